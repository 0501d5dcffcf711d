/**
 * The generic application kit: protects a service through three commands you already have:
 * start, stop and status (exit 0 = running). Like LifeKeeper's Generic Application kit and
 * Quick Service Protection. Commands are split into arguments (quotes group words) and run
 * without a shell, so no input is ever interpreted by one.
 *
 * Copy this directory to start a kit of your own: see docs/extend/writing-a-kit.md.
 */
import { ActionFailedError, ConfigError, defineKit, defineOptions, opt, splitArgs } from '@recovery-kit/sdk';
import { waitUntil } from '@recovery-kit/sdk/util';

const command = (description: string) =>
  opt.string({
    description,
    required: true,
    example: '/usr/local/bin/myapp start',
    check: (v: string) => {
      let argv: string[];
      try {
        argv = splitArgs(v);
      } catch (err) {
        return (err as Error).message;
      }
      if (argv.length === 0) return 'is empty';
      return argv[0]!.startsWith('/') ? undefined : { message: `${JSON.stringify(v)} does not start with an absolute path`, fix: 'give the full path of the program, e.g. /usr/bin/systemctl start myapp' };
    },
  });

export const options = defineOptions({
  start: command('Command that starts the service; must return 0 once it runs (and 0 if it already runs).'),
  stop: command('Command that stops the service; must return 0 once it is stopped (and 0 if it is not running).'),
  status: command('Command that exits 0 when the service is healthy and non-zero otherwise.'),
  user: opt.string({ description: 'Run the commands as this OS user (needs kit-runner as root).', pattern: /^[a-z_][a-z0-9_-]*\$?$/ }),
  settleSeconds: opt.integer({ description: 'Seconds to wait after start for status to report healthy.', default: 10, min: 0, max: 3600 }),
});

type Options = (typeof options) extends { parse(raw: never): infer O } ? O : never;

const run = (ctx: Parameters<NonNullable<typeof actions.quickCheck>>[0], line: string) => {
  const [file, ...args] = splitArgs(line);
  return ctx.exec(file!, args, { reject: false, ...(ctx.options.user ? { user: ctx.options.user } : {}) });
};

async function healthy(ctx: Parameters<typeof run>[0]): Promise<boolean> {
  return (await run(ctx, ctx.options.status)).exitCode === 0;
}

const actions = {
  async create(ctx: import('@recovery-kit/sdk').KitContext<Options>) {
    for (const key of ['start', 'stop', 'status'] as const) {
      const [file] = splitArgs(ctx.options[key]);
      const { access, constants } = await import('node:fs/promises');
      try {
        await access(file!, constants.X_OK);
      } catch {
        throw new ConfigError(`${key}: ${file} is not an executable file on ${ctx.server}`, { field: key, fix: 'install the program or correct the path' });
      }
    }
  },
  async restore(ctx: import('@recovery-kit/sdk').KitContext<Options>) {
    if (await healthy(ctx)) {
      ctx.logger.info('already running');
      return;
    }
    const r = await run(ctx, ctx.options.start);
    if (r.exitCode !== 0) throw new ActionFailedError(`start command exited ${r.exitCode}: ${r.stderr.trim().slice(-300)}`, { fix: 'run the start command by hand to see why it fails' });
    if (await waitUntil(() => healthy(ctx), { deadline: Date.now() + ctx.options.settleSeconds * 1000, initialDelayMs: 200, factor: 1, signal: ctx.signal })) return;
    throw new ActionFailedError(`the service did not report healthy within ${ctx.options.settleSeconds} s of starting`, { fix: 'raise settleSeconds, or check the status command' });
  },
  async remove(ctx: import('@recovery-kit/sdk').KitContext<Options>) {
    const r = await run(ctx, ctx.options.stop);
    if (r.exitCode !== 0) throw new ActionFailedError(`stop command exited ${r.exitCode}: ${r.stderr.trim().slice(-300)}`);
    if (await healthy(ctx)) throw new ActionFailedError('the service still reports healthy after the stop command', { fix: 'check that the stop command really stops it' });
  },
  async quickCheck(ctx: import('@recovery-kit/sdk').KitContext<Options>) {
    const r = await run(ctx, ctx.options.status);
    return r.exitCode === 0 ? { status: 'ok' as const } : { status: 'failed' as const, reason: `status command exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().slice(-200)}` : ''}` };
  },
};

export default defineKit({
  meta: { name: '@recovery-kit/kit-app', version: '0.1.0', kitType: 'app', description: 'Generic application: start/stop/status commands' },
  options,
  actions,
});
