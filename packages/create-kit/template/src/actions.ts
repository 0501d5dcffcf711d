/**
 * The {{kitType}} kit's actions. This starting point protects a file (like Pacemaker's Dummy
 * agent): restore writes it, remove deletes it, quickCheck looks for it. Replace the bodies with
 * what your service needs, keeping the rules (docs/extend/writing-a-kit.md in recovery-kit):
 * restore and remove idempotent, quickCheck read-only, failures thrown as KitErrors with a fix,
 * programs run only through ctx.exec(file, [args]) (never a shell).
 *
 * recover is left out: the runner's default (remove, then restore) is what this kit wants.
 */
import { constants } from 'node:fs';
import { access, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ActionFailedError, ConfigError, type QuickCheckResult } from '@recovery-kit/sdk';
import type { Ctx } from './options.ts';

/** Is the file there? (false when it is not; other errors are the action's failure) */
export async function present(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function create(ctx: Ctx): Promise<void> {
  const dir = dirname(ctx.options.path);
  try {
    await access(dir, constants.W_OK);
  } catch {
    throw new ConfigError(`path: directory ${dir} does not exist or is not writable on ${ctx.server}`, {
      field: 'path',
      fix: `create ${dir} (writable by the user kit-runner runs as), or choose another path`,
    });
  }
}

async function restore(ctx: Ctx): Promise<void> {
  const { path, content } = ctx.options;
  if (await present(path)) {
    ctx.logger.info(`${path} is already there`);
    return;
  }
  // Written to a temporary name and renamed: the file is never seen half written.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${content}\n`, { mode: 0o644 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new ActionFailedError(`cannot write ${path}: ${(err as Error).message}`, { fix: 'check that the directory exists and is writable', cause: err });
  }
}

async function remove(ctx: Ctx): Promise<void> {
  await rm(ctx.options.path, { force: true });
  if (await present(ctx.options.path)) throw new ActionFailedError(`${ctx.options.path} is still there after removing it`, { fix: 'check who recreates it' });
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  if (!(await present(ctx.options.path))) return { status: 'failed', reason: `${ctx.options.path} is missing` };
  const text = await readFile(ctx.options.path, 'utf8');
  return text.trim() === ctx.options.content ? { status: 'ok' } : { status: 'failed', reason: `${ctx.options.path} holds something else` };
}

export const actions = { create, restore, remove, quickCheck };
