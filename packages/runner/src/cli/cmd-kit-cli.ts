/** `kit-runner <kitType> <command> ...`: top-level commands that kits add (e.g. ec2 replace-route). */
import { parseArgs } from 'node:util';
import { ExitCode, UsageError, type KitCliCommand } from '@recovery-kit/sdk';
import { runCliCommand } from '../action-runner.ts';
import { createLogger } from '../logger.ts';
import { stderrSink } from './common.ts';
import { discoverKits, loadKit } from '../loader.ts';
import { resolveSettings, type GlobalFlags } from '../settings.ts';
import { loadTunables } from '../tunables.ts';
import { GLOBAL_OPTIONS } from './spec.ts';
import { globalBlock, helpWidth, wrapLine, wrapUsage } from './format.ts';
import { printJson } from './output.ts';

function help(kitType: string, name: string, c: KitCliCommand, width = helpWidth()): string {
  const flags = Object.entries(c.flags).map(
    ([k, f]) =>
      `  ${f.short ? `-${f.short}, ` : ''}--${k}${f.type === 'string' ? ' VALUE' : ''}${f.multiple ? ' (repeatable)' : ''}${f.required ? ' (required)' : ''}\n${wrapLine(f.description, width, '      ')}`,
  );
  return [
    wrapLine(`kit-runner ${kitType} ${name}: ${c.description}`, width),
    wrapUsage(`kit-runner ${kitType} ${name} ${c.usage}`, width, 'Usage: '),
    `Options:\n${flags.join('\n')}`,
    globalBlock(width),
  ]
    .join('\n\n')
    .concat('\n');
}

/** `globals` are the global options written before the kit type (`kit-runner --node b ec2 ...`). */
export async function runKitCli(kitType: string, args: string[], globals: string[] = []): Promise<number> {
  const argv = args.length ? [args[0]!, ...globals, ...args.slice(1)] : [];
  const pre = parseArgs({ args: [...globals, ...args], options: GLOBAL_OPTIONS, allowPositionals: true, strict: false });
  const settings = resolveSettings(pre.values as GlobalFlags);
  const discovery = discoverKits(settings.kitsDirs);
  if (!discovery.kits.has(kitType)) {
    throw new UsageError(`unknown command "${kitType}"`, {
      field: 'command',
      fix: 'run "kit-runner --help" for the commands, "kit-runner kits" for the installed kits',
    });
  }
  const kit = await loadKit(discovery, kitType);
  const commands = kit.cli ?? {};
  const name = argv[0];
  if (name === undefined || name === '--help' || name === '-h' || !commands[name]) {
    const width = helpWidth();
    const list = Object.entries(commands).map(
      ([k, c]) => `${wrapUsage(`kit-runner ${kitType} ${k} ${c.usage}`, width, '  ')}\n${wrapLine(c.description, width, '      ')}`,
    );
    process.stdout.write(`kit-runner ${kitType}: commands of the ${kit.meta.name} kit\n\n${list.length ? list.join('\n') : '  (this kit adds no commands)'}\n`);
    if (name === '--help' || name === '-h') return ExitCode.OK;
    if (name === undefined) return ExitCode.USAGE;
    throw new UsageError(`kit ${kitType} has no command "${name}"`, { field: 'command', fix: `run "kit-runner ${kitType} --help"` });
  }
  const cmd = commands[name]!;
  const options = { ...GLOBAL_OPTIONS };
  for (const [k, f] of Object.entries(cmd.flags))
    options[k] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv.slice(1), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message, { fix: `usage: kit-runner ${kitType} ${name} ${cmd.usage}` });
  }
  if (parsed.values.help) {
    process.stdout.write(help(kitType, name, cmd));
    return ExitCode.OK;
  }
  for (const [k, f] of Object.entries(cmd.flags)) {
    if (f.required && parsed.values[k] === undefined)
      throw new UsageError(`--${k} is required`, { field: `--${k}`, fix: `usage: kit-runner ${kitType} ${name} ${cmd.usage}` });
  }
  const logger = createLogger([stderrSink(settings)], settings.logLevel, `${kitType}:${name}`);
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const run = { tunables: loadTunables(settings.tunablesPath), logger, node: settings.node, json: settings.json, stop: [controller.signal] };
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    const result = await runCliCommand(kit, name, cmd, run, (ctx) => cmd.run(ctx, values, parsed.positionals));
    if (settings.json) printJson({ ok: true, ...result });
    else if (result.summary) process.stdout.write(`${result.summary}\n`);
    return ExitCode.OK;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
