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

/**
 * The global options' help: [flags, text] pairs. The help screens and the manual page are both
 * made from these (format.ts wraps them to the terminal; man.ts writes them as roff).
 */
export const GLOBAL_ENTRIES: ReadonlyArray<readonly [string, string]> = [
  ['--state-dir DIR', 'store directory (env KIT_RUNNER_STATE_DIR, default /var/lib/recovery-kit)'],
  ['--tunables FILE', 'KEY=VALUE tunables file (env KIT_RUNNER_TUNABLES, default /etc/default/recovery-kit)'],
  [
    '--kits-dir DIR',
    "where operators install kits; repeatable (env KIT_RUNNER_KITS_DIR, colon-separated, default /usr/lib/recovery-kit/kits); the runner's own installation is searched after",
  ],
  ['--node NAME', 'the server this runner acts for (env KIT_RUNNER_NODE, default the host name)'],
  ['--json', 'machine-readable output on stdout'],
  ['--log-level LEVEL', 'debug, info, warn or error (env KIT_RUNNER_LOG_LEVEL); -v is debug, -q is error'],
  ['-v, --verbose', 'debug output; errors show their cause chain; progress of long waits also on a pipe'],
  ['-q, --quiet', 'errors only: no step lines, notes, warnings, progress or "ok" lines'],
  [
    '--progress',
    'progress of long waits (lock, INSYNC, database start...) on stderr also when it is not a terminal (a line every 5 s; env KIT_RUNNER_PROGRESS=1); on a terminal it is one line updated in place',
  ],
  ['-h, --help', 'help for the command'],
  ['-V, --version', "print kit-runner's version and exit"],
];

export const GLOBAL_HEADING = 'Global options (before or after the command):';

/** One example of a command: what it does (a short phrase) and the command line. */
export interface Example {
  about: string;
  cmd: string;
}

/**
 * The exit codes, in the order docs/reference/exit-codes.md lists them (a test compares the two).
 * `short` is the word the top-level help uses.
 */
export const EXIT_CODES: ReadonlyArray<{ code: number; name: string; short: string; meaning: string }> = [
  { code: 0, name: 'OK', short: 'ok', meaning: 'success; for "action TAG quickCheck", healthy' },
  { code: 1, name: 'FAILED', short: 'action failed', meaning: 'the action ran and failed; the resource is marked OSF with the reason' },
  { code: 2, name: 'USAGE', short: 'usage', meaning: 'bad command line: unknown command or flag, missing argument' },
  { code: 3, name: 'UNSUPPORTED', short: 'unsupported action', meaning: 'the kit does not implement the action' },
  { code: 4, name: 'PERMISSION', short: 'permission', meaning: 'insufficient privileges (the store, a lock or the tunables file; IAM denied)' },
  { code: 5, name: 'KIT_NOT_INSTALLED', short: 'kit not installed', meaning: 'a kit cannot be found, imported, or speaks another contract version' },
  {
    code: 6,
    name: 'INVALID_CONFIG',
    short: 'invalid configuration',
    meaning: 'invalid input or configuration (option values, tunables file, tag, priority, damaged store); nothing was changed',
  },
  { code: 7, name: 'NOT_RUNNING', short: 'not running (quickCheck)', meaning: 'quickCheck: the resource is not healthy; monitor --once: a resource failed' },
  { code: 10, name: 'NOT_FOUND', short: 'not found', meaning: 'no such tag, dependency or server' },
  { code: 11, name: 'CONFLICT', short: 'conflict', meaning: 'the request conflicts with the store (duplicate tag, cycle, in service...); nothing was changed' },
  { code: 12, name: 'BUSY', short: 'busy', meaning: "another kit-runner holds the hierarchy's reservation longer than LOCK_WAIT_TIMEOUT" },
  { code: 70, name: 'INTERNAL', short: 'internal error', meaning: 'a bug: printed with its stack; please report it' },
  { code: 124, name: 'TIMEOUT', short: 'timeout', meaning: 'an action ran longer than its timeout tunable; the resource is marked OSF' },
];

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
  /** The synopsis: `kit-runner NAME ...`. Completion and the manual page's SYNOPSIS are read from it. */
  usage: string;
  /**
   * The description: one logical line per paragraph (no hard line breaks: the help is wrapped to
   * the terminal). A line `TERM  TEXT` (two or more blanks after a first word group) is a
   * definition: TEXT's wrapped lines are indented to its column.
   */
  help: string;
  /** At least one; shown under "Examples:" in the help and EXAMPLES in the manual page. */
  examples: readonly Example[];
  options: Options;
  run(inv: Invocation): Promise<number>;
  /** Extra help after the command's own (e.g. `create KIT_TYPE --help` describes the kit). */
  moreHelp?(inv: Invocation): Promise<number | undefined>;
}

export const defineCommand = (c: Command): Command => c;

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
