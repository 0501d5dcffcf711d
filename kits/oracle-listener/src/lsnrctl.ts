/** lsnrctl and the tnslsnr processes: what the listener actions share. */
import { statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigError, findProcesses, isCommandFailed } from '@recovery-kit/sdk';
import { executableUnder } from '@recovery-kit/sdk/util';
import type { Ctx } from './options.ts';

/** PIDs of tnslsnr processes serving `name` (cmdline "…/tnslsnr NAME -inherit"). */
export function listenerPids(name: string): number[] {
  const want = name.toUpperCase();
  return findProcesses((p) => {
    const argv = p.argv();
    return argv.some((a, i) => basename(a) === 'tnslsnr' && (argv[i + 1] ?? 'LISTENER').toUpperCase() === want);
  });
}

/** The TNS-/NL- error lines of lsnrctl output, for messages. */
export function tnsErrors(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(TNS|NL)-\d{5}:/.test(l) || /^Linux Error:/.test(l));
}

export const completed = (text: string) => /The command completed successfully/.test(text);

export function envOf(ctx: Ctx): Record<string, string> {
  const o = ctx.options;
  return {
    ORACLE_HOME: o.home,
    PATH: `${join(o.home, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LD_LIBRARY_PATH: join(o.home, 'lib'),
    NLS_LANG: 'AMERICAN_AMERICA.AL32UTF8',
    ...(o.tnsAdmin ? { TNS_ADMIN: o.tnsAdmin } : {}),
  };
}

export async function userOf(ctx: Ctx): Promise<string> {
  if (ctx.options.user) return ctx.options.user;
  const uid = statSync(ctx.options.home).uid;
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  const name = r.exitCode === 0 ? r.stdout.split(':')[0] : undefined;
  if (!name)
    throw new ConfigError(`cannot tell the owner of ${ctx.options.home} (uid ${uid})`, { field: 'user', fix: 'set user= to the Oracle software owner' });
  return name;
}

/** Runs `lsnrctl CMD NAME` as the owner. timedOut = the command did not finish in time. */
export async function lsnrctl(ctx: Ctx, cmd: 'start' | 'stop' | 'status', timeoutS: number): Promise<{ exitCode: number; text: string; timedOut: boolean }> {
  const user = await userOf(ctx);
  try {
    const r = await ctx.exec(join(ctx.options.home, 'bin', 'lsnrctl'), [cmd, ctx.options.listener], { user, env: envOf(ctx), timeoutMs: timeoutS * 1000 });
    return { exitCode: r.exitCode ?? 1, text: r.stdout + r.stderr, timedOut: false };
  } catch (err) {
    if (!isCommandFailed(err)) throw err;
    const e = err.result;
    return { exitCode: e.exitCode ?? 1, text: `${e.stdout}${e.stderr}`, timedOut: e.timedOut };
  }
}

export function checkBinary(ctx: Ctx): void {
  executableUnder(ctx.options.home, 'bin/lsnrctl', {
    field: 'home',
    server: ctx.server,
    fix: 'correct home= (ORACLE_HOME), or mount the file system holding it first',
  });
}

export async function up(ctx: Ctx): Promise<boolean> {
  if (listenerPids(ctx.options.listener).length === 0) return false;
  const s = await lsnrctl(ctx, 'status', ctx.tunables.int('LSNR_STATUS_TIME'));
  return completed(s.text);
}
