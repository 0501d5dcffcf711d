/**
 * The leaf of the CLI: the global options, their help, and the shape every command module
 * exports. Command modules import this file; nothing here imports a command.
 */
import type { ParseArgsConfig } from 'node:util';
import type { Settings } from '../settings.ts';

export type Options = NonNullable<ParseArgsConfig['options']>;

export const GLOBAL_OPTIONS: Options = {
  'state-dir': { type: 'string' },
  tunables: { type: 'string' },
  'kits-dir': { type: 'string', multiple: true },
  node: { type: 'string' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  quiet: { type: 'boolean', short: 'q' },
  progress: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const GLOBAL_HELP = `Global options (before or after the command):
  --state-dir DIR    store directory (env KIT_RUNNER_STATE_DIR, default /var/lib/recovery-kit)
  --tunables FILE    KEY=VALUE tunables file (env KIT_RUNNER_TUNABLES, default /etc/default/recovery-kit)
  --kits-dir DIR     where operators install kits; repeatable (env KIT_RUNNER_KITS_DIR, colon-separated,
                     default /usr/lib/recovery-kit/kits); the runner's own installation is searched after
  --node NAME        the server this runner acts for (env KIT_RUNNER_NODE, default the host name)
  --json             machine-readable output on stdout
  --log-level LEVEL  debug, info, warn or error (env KIT_RUNNER_LOG_LEVEL); -v = debug (and errors show
                     their causes), -q = errors only
  --progress         progress of long waits on stderr also when it is not a terminal (a line every 5 s;
                     env KIT_RUNNER_PROGRESS=1); on a terminal it is one line updated in place
  -h, --help         help for the command`;

export interface Invocation {
  settings: Settings;
  values: Record<string, string | boolean | string[] | undefined>;
  /** The positional arguments, the command's name first. */
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
}

/** What every command module exports as `command`: its metadata next to its code. */
export interface Command {
  name: string;
  summary: string;
  usage: string;
  help: string;
  options: Options;
  run(inv: Invocation): Promise<number>;
  /** Extra help after the command's own (e.g. `create KIT_TYPE --help` describes the kit). */
  moreHelp?(inv: Invocation): Promise<number | undefined>;
}

export const defineCommand = (c: Command): Command => c;

export function commandHelp(c: Pick<Command, 'name' | 'summary' | 'usage' | 'help'>): string {
  return `kit-runner ${c.name}: ${c.summary}\n\nUsage: ${c.usage}\n\n${c.help}\n\n${GLOBAL_HELP}\n`;
}

/**
 * Splits the global options written before the command from the rest:
 * `--state-dir D status` gives `{ globals: ['--state-dir', 'D'], rest: ['status'] }`.
 */
export function leadingGlobals(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const shorts = new Map(Object.entries(GLOBAL_OPTIONS).flatMap(([k, o]) => (o.short ? [[o.short, k] as const] : [])));
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === '--' || !a.startsWith('-') || a === '-') break;
    const name = a.startsWith('--') ? a.slice(2).split('=')[0]! : shorts.get(a.slice(1));
    const spec = name === undefined ? undefined : GLOBAL_OPTIONS[name];
    if (!spec || name === 'help') break;
    i += spec.type === 'string' && !a.includes('=') ? 2 : 1;
  }
  return { globals: argv.slice(0, i), rest: argv.slice(i) };
}
