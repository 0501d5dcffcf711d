/**
 * kit-runner's command line. Each command lives in its own module, imported only when that
 * command runs, so `status` never loads execa, the AWS SDK or any kit.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ExitCode, UsageError } from '@recovery-kit/sdk';
import { printError } from './output.ts';
import { resolveSettings, type GlobalFlags, type Settings } from '../settings.ts';

type Options = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: Options = {
  'state-dir': { type: 'string' },
  tunables: { type: 'string' },
  'kits-dir': { type: 'string', multiple: true },
  node: { type: 'string' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_HELP = `Global options:
  --state-dir DIR    store directory (env KIT_RUNNER_STATE_DIR, default /var/lib/recovery-kit)
  --tunables FILE    KEY=VALUE tunables file (env KIT_RUNNER_TUNABLES, default /etc/default/recovery-kit)
  --kits-dir DIR     where operators install kits; repeatable (env KIT_RUNNER_KITS_DIR, colon-separated,
                     default /usr/lib/recovery-kit/kits); the runner's own installation is searched after
  --node NAME        the server this runner acts for (env KIT_RUNNER_NODE, default the host name)
  --json             machine-readable output on stdout
  --log-level LEVEL  debug, info, warn or error (env KIT_RUNNER_LOG_LEVEL); -v = debug, -q = warn
  -h, --help         help for the command`;

export interface CommandSpec {
  summary: string;
  usage: string;
  help: string;
  options: Options;
  load: () => Promise<{ run: (inv: Invocation) => Promise<number> }>;
}

export interface Invocation {
  settings: Settings;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
}

const opt = (o: Options): Options => o;

export const COMMANDS: Record<string, CommandSpec> = {
  status: {
    summary: 'show resource hierarchies and their states (like lcdstatus)',
    usage: 'kit-runner status [TAG] [--json]',
    help: 'Shows every hierarchy as a tree, parents above their children, with the state of each resource on this node\nand its priority and state on every server it is extended to. With TAG, only the hierarchy holding TAG.',
    options: opt({}),
    load: () => import('./cmd-status.ts'),
  },
  kits: {
    summary: 'list installed kits, or describe one',
    usage: 'kit-runner kits [KIT_TYPE] [--json]',
    help: 'Without an argument, lists the kits found (manifests only; no kit code runs) and any kit that cannot be used,\nwith the reason. With KIT_TYPE, loads that kit and shows its options, actions, commands and tunables.',
    options: opt({}),
    load: () => import('./cmd-kits.ts'),
  },
  create: {
    summary: 'create a resource of a kit on this node',
    usage: 'kit-runner create KIT_TYPE --tag TAG [--opt KEY=VALUE]... [--opts-file FILE] [--priority N] [--switchback intelligent|automatic] [--id ID] [--restore]',
    help: 'Validates the options against the kit\'s schema and lets the kit check them (devices, zones...), then stores\nthe resource out of service (OSU) on this node with priority N (default 1). --restore brings it in service at once.\n--opts-file reads KEY=VALUE lines or a JSON object.',
    options: opt({
      tag: { type: 'string', short: 't' },
      opt: { type: 'string', multiple: true, short: 'o' },
      'opts-file': { type: 'string' },
      priority: { type: 'string' },
      switchback: { type: 'string' },
      id: { type: 'string' },
      restore: { type: 'boolean' },
    }),
    load: () => import('./cmd-admin.ts'),
  },
  extend: {
    summary: 'extend a resource (and what it depends on) to another server',
    usage: 'kit-runner extend TAG --server SERVER --priority N [--switchback intelligent|automatic] [--opt KEY=VALUE]...',
    help: 'Adds SERVER to TAG\'s equivalency with priority N (1 = highest, unique per resource, up to 999). Resources below\nTAG that are not on SERVER yet are extended too, with the same priority. --opt gives per-server option values\n(e.g. another address in another VPC) for TAG only: extend such children first, each with its own values.',
    options: opt({ server: { type: 'string', short: 's' }, priority: { type: 'string' }, switchback: { type: 'string' }, opt: { type: 'string', multiple: true, short: 'o' } }),
    load: () => import('./cmd-admin.ts'),
  },
  unextend: {
    summary: 'remove a server from a resource and everything above it',
    usage: 'kit-runner unextend TAG --server SERVER',
    help: 'Removes SERVER from TAG and from every resource that depends on TAG. Refused while any of them is in service\non SERVER, or when SERVER is the only one left (use delete).',
    options: opt({ server: { type: 'string', short: 's' } }),
    load: () => import('./cmd-admin.ts'),
  },
  delete: {
    summary: 'delete a resource from every server',
    usage: 'kit-runner delete TAG [--force]',
    help: 'Runs the kit\'s delete action and removes TAG from the store. Refused while another resource depends on TAG,\nor while TAG is in service somewhere (unless --force).',
    options: opt({ force: { type: 'boolean' } }),
    load: () => import('./cmd-admin.ts'),
  },
  dep: {
    summary: 'add or remove a dependency (PARENT depends on CHILD)',
    usage: 'kit-runner dep add|remove PARENT CHILD',
    help: 'PARENT depends on CHILD: CHILD is restored first and removed last. A dependency that would close a cycle is\nrefused, and so is one whose CHILD is not extended to every server of PARENT.',
    options: opt({}),
    load: () => import('./cmd-admin.ts'),
  },
  action: {
    summary: 'run an action: restore, remove, quickCheck, recover, or a kit\'s own',
    usage: 'kit-runner action TAG ACTION [--force] [-- ARGS...]',
    help: 'restore   brings TAG and everything it depends on into service on this node, children first, skipping\n          resources already in service; resources in service on another server are removed there first.\n          Stops at the first failure, which is marked OSF with the reason.\nremove    takes TAG and everything that depends on it out of service, parents first (--force also runs the\n          kit\'s remove for resources already marked OSU).\nquickCheck  health probe; exit 0 healthy, 7 not healthy. Changes no state.\nrecover   the kit\'s local repair; ISP on success, OSF on failure.\nOther names run the kit\'s own commands ("kit-runner kits TYPE" lists them) with ARGS.\nActions may be written in kebab-case (quick-check).',
    options: opt({ force: { type: 'boolean' } }),
    load: () => import('./cmd-action.ts'),
  },
  tunables: {
    summary: 'show the tunables in effect, their values and where they come from',
    usage: 'kit-runner tunables [--json]',
    help: 'Reads the tunables file and lists the runner\'s and every loadable kit\'s tunables with their value, default\nand source. Exits 6 when the file is malformed or a value is invalid.',
    options: opt({}),
    load: () => import('./cmd-tunables.ts'),
  },
  monitor: {
    summary: 'watch in-service resources: quickCheck, recover, escalate',
    usage: 'kit-runner monitor [--once]',
    help: 'Every LKCHECKINTERVAL seconds (or the kit\'s own interval tunable) runs quickCheck on each resource in service\n(ISP) on this node. On failure runs recover once (LOCAL_RECOVERY=1); if recover fails, or the kit has none, marks\nthe resource OSF and starts ESCALATION_COMMAND. A check that cannot tell (unknown) is logged and changes\nnothing. Stops cleanly on SIGTERM or SIGINT. --once runs one pass and exits (0 when all healthy, 7 otherwise).',
    options: opt({ once: { type: 'boolean' } }),
    load: () => import('./cmd-monitor.ts'),
  },
};

function topHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `kit-runner: run recovery kits: resource hierarchies, actions, monitoring.

Usage: kit-runner COMMAND [ARGS] [OPTIONS]

Commands:
${lines.join('\n')}
  ${'KIT_TYPE'.padEnd(width)}  a kit's own commands, e.g. "kit-runner ec2 --help"

${GLOBAL_HELP}

Exit codes: 0 ok, 1 action failed, 2 usage, 3 unsupported action, 4 permission, 5 kit not installed,
6 invalid configuration, 7 not running (quickCheck), 10 not found, 11 conflict, 12 busy, 124 timeout,
70 internal error. See docs/reference/exit-codes.md.
`;
}

export function commandHelp(name: string, c: CommandSpec): string {
  return `kit-runner ${name}: ${c.summary}\n\nUsage: ${c.usage}\n\n${c.help}\n\n${GLOBAL_HELP}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      const topic = rest[0];
      if (name === 'help' && topic && COMMANDS[topic]) process.stdout.write(commandHelp(topic, COMMANDS[topic]));
      else process.stdout.write(topHelp());
      return name === undefined ? ExitCode.USAGE : ExitCode.OK;
    }
    if (name === '--version' || name === 'version') {
      const { runnerVersion } = await import('../version.ts');
      process.stdout.write(`${runnerVersion()}\n`);
      return ExitCode.OK;
    }
    const spec = COMMANDS[name];
    if (!spec) {
      if (/^[a-z][a-z0-9-]*$/.test(name)) {
        const { runKitCli } = await import('./cmd-kit-cli.ts');
        return await runKitCli(name, rest);
      }
      throw new UsageError(`unknown command "${name}"`, { field: 'command', fix: `run "kit-runner --help" for the list of commands` });
    }
    const dashdash = rest.indexOf('--');
    const args = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
    const after = dashdash >= 0 ? rest.slice(dashdash + 1) : [];
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...spec.options }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional.*$/s, '')}`, { fix: `usage: ${spec.usage} (kit-runner ${name} --help)` });
    }
    const values = parsed.values as Invocation['values'];
    if (values.help) {
      process.stdout.write(commandHelp(name, spec));
      // `create KIT_TYPE --help`: the kit's own options too.
      if (name === 'create' && parsed.positionals[0]) {
        const { run } = await import('./cmd-kits.ts');
        process.stdout.write(`\n`);
        return await run({ settings: resolveSettings(values as GlobalFlags), values: {}, positionals: ['kits', parsed.positionals[0]], rest: [] });
      }
      return ExitCode.OK;
    }
    const settings = resolveSettings(values as GlobalFlags);
    const mod = await spec.load();
    return await mod.run({ settings, values, positionals: [name, ...parsed.positionals], rest: after });
  } catch (err) {
    return printError(err, json);
  }
}
