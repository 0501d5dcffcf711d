/**
 * The generic application kit's actions: protects a service through three commands you already have:
 * start, stop and status (exit 0 = running). Like LifeKeeper's Generic Application kit and
 * Quick Service Protection. Commands are split into arguments (quotes group words) and run
 * without a shell, so no input is ever interpreted by one.
 *
 * recover is not written here: the runner's default (remove, then restore) is what this kit wants.
 */
import { ActionFailedError, ConfigError, type ExecResult, type QuickCheckResult } from '@recovery-kit/sdk';
import { printable, splitArgs, waitUntil } from '@recovery-kit/sdk/util';
import type { Ctx } from './options.ts';

/** Runs one of the configured command lines, split into arguments (no shell), as `user` when set. */
function run(ctx: Ctx, line: string) {
  const [file, ...args] = splitArgs(line);
  return ctx.exec(file!, args, { reject: false, ...(ctx.options.user ? { user: ctx.options.user } : {}) });
}

async function healthy(ctx: Ctx): Promise<boolean> {
  return (await run(ctx, ctx.options.status)).exitCode === 0;
}

/** How a command ended, for messages: "exited 3: <stderr>" or "was killed by SIGSEGV", stderr made printable. */
function ended(r: ExecResult): string {
  const how = r.signal ? `was killed by ${r.signal}` : r.timedOut ? 'timed out' : `exited ${r.exitCode}`;
  const tail = printable(r.stderr, 200);
  return tail ? `${how}: ${tail}` : how;
}

async function create(ctx: Ctx): Promise<void> {
  // Imported here: only create needs it, and loading node:fs/promises (with the readline and
  // file-watch modules it brings) is about 2 ms of every process that imports the kit: each
  // Pacemaker monitor (docs/benchmarks.md).
  const { access, constants, stat } = await import('node:fs/promises');
  for (const key of ['start', 'stop', 'status'] as const) {
    const [file] = splitArgs(ctx.options[key]);
    let isFile = false;
    try {
      await access(file!, constants.X_OK);
      isFile = (await stat(file!)).isFile();
    } catch {
      /* reported below */
    }
    if (!isFile)
      throw new ConfigError(`${key}: ${file} is not an executable file on ${ctx.server}`, { field: key, fix: 'install the program or correct the path' });
  }
  const user = ctx.options.user;
  if (user !== undefined) {
    // getent asks NSS (files, LDAP, sssd) as runuser will; exit 2 means no such user.
    const r = await ctx.exec('getent', ['passwd', user], { reject: false });
    if (r.exitCode === 2)
      throw new ConfigError(`user: there is no user ${JSON.stringify(user)} on ${ctx.server}`, {
        field: 'user',
        fix: 'create the user first (useradd), or correct the name',
      });
    if (r.exitCode !== 0) throw new ConfigError(`user: cannot look up user ${JSON.stringify(user)} on ${ctx.server}: getent ${ended(r)}`, { field: 'user' });
  }
}

async function restore(ctx: Ctx): Promise<void> {
  if (await healthy(ctx)) {
    ctx.logger.info('already running');
    return;
  }
  const r = await run(ctx, ctx.options.start);
  if (r.exitCode !== 0)
    throw new ActionFailedError(`start command ${ended(r)}`, {
      fix: 'run the start command by hand to see why it fails',
    });
  if (await waitUntil(() => healthy(ctx), { deadline: Date.now() + ctx.options.settleSeconds * 1000, initialDelayMs: 200, factor: 1, signal: ctx.signal }))
    return;
  throw new ActionFailedError(`the service did not report healthy within ${ctx.options.settleSeconds} s of starting`, {
    fix: 'raise settleSeconds, or check the status command',
  });
}

async function remove(ctx: Ctx): Promise<void> {
  const r = await run(ctx, ctx.options.stop);
  if (r.exitCode !== 0) throw new ActionFailedError(`stop command ${ended(r)}`);
  if (await healthy(ctx))
    throw new ActionFailedError('the service still reports healthy after the stop command', { fix: 'check that the stop command really stops it' });
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const r = await run(ctx, ctx.options.status);
  return r.exitCode === 0 ? { status: 'ok' } : { status: 'failed', reason: `status command ${ended(r)}` };
}

export const actions = { create, restore, remove, quickCheck };
