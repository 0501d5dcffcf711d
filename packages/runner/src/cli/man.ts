/**
 * The manual page kit-runner(8), in roff, made from the same command specs as the help screens
 * (`kit-runner help --man`; packages/runner/man/kit-runner.8 is its output, checked by a test).
 * The SYNOPSIS of docs/reference/kit-runner.md is `kit-runner help --synopsis`, checked the same way.
 */
import { DEFINITION, wrapUsage } from './format.ts';
import { type Command, EXIT_CODES, GLOBAL_ENTRIES } from './spec.ts';

type ManCommand = Pick<Command, 'name' | 'summary' | 'usage' | 'help' | 'examples'>;

/** The line for a kit's own commands, which have no spec of their own here. */
export const KIT_CLI_USAGE = 'kit-runner KIT_TYPE COMMAND [FLAGS]';

/**
 * Escapes text for roff: backslashes, a leading `.` or `'`, and every dash as `\-` (a plain ASCII
 * minus: commands and options stay copyable, and no line breaks inside kit-runner or --state-dir).
 */
function esc(text: string): string {
  return text
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .replace(/^([.'])/, '\\&$1');
}

/** A usage line: literal words bold, placeholders italic; no line break inside a [...] group. */
export function roffUsage(usage: string): string {
  let depth = 0;
  let out = '';
  for (const tok of usage.match(/\[|\]|\{|\}|\||\.\.\.|\s+|[^\s[\]{}|.]+(?:\.[^\s[\]{}|.]+)*/g) ?? []) {
    if (tok === '[') depth++;
    if (tok === ']') depth--;
    if (/^\s+$/.test(tok)) out += depth > 0 ? '\\ ' : ' ';
    else if (/^[[\]{}|]$|^\.\.\.$/.test(tok)) out += tok;
    else if (/^[A-Z][A-Z0-9_=]*$/.test(tok)) out += `\\fI${esc(tok)}\\fR`;
    else out += `\\fB${esc(tok)}\\fR`;
  }
  return out;
}

function synopsis(usage: string): string {
  return `.PP\n.in +4n\n.ti -4n\n${roffUsage(usage)}\n.in -4n`;
}

/** A help text (spec.ts: one logical line per paragraph; `TERM  TEXT` definitions) as roff. */
function roffHelp(text: string): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const def = DEFINITION.exec(line);
    if (def) out.push('.TP', `\\fB${esc(def[1]!)}\\fR`, esc(def[2]!));
    else if (/^\s/.test(line)) out.push('.RS 4', '.EX', esc(line.trim()), '.EE', '.RE');
    else out.push('.PP', esc(line));
  }
  return out.join('\n');
}

const DESCRIPTION = [
  "kit-runner keeps a store of resources. Each resource has a unique tag, an id, the kit that manages it, the kit's validated options, and for each server it is extended to: a priority (1 is highest, unique per resource, up to 999), a switchback type (intelligent or automatic), per-server option values, and a state: ISP (in service, protected), OSU (out of service, unimpaired), OSF (out of service, failed; the reason says why) or ILLSTATE (no state known yet).",
  'Resources form hierarchies: "kit-runner dep add PARENT CHILD" makes PARENT depend on CHILD. A restore brings children up before their parents; a remove takes parents down before their children. Two kit-runner processes never act on one hierarchy at once: each action takes the hierarchy\'s reservation first, waiting up to LOCK_WAIT_TIMEOUT seconds (and saying what it waits for).',
  'kit-runner acts for one server, the node (--node, else KIT_RUNNER_NODE, else the short host name). Across nodes, failover is driven by the cluster manager (Pacemaker) calling kit-runner, through the OCF agents, on each node; kit-runner does no membership or quorum of its own.',
  'Results go to stdout (--json for scripts), step lines, warnings and errors to stderr. Every error names the problem, the field at fault where there is one, a fix: line, and its code and exit status.',
];

const ENVIRONMENT: Array<[string, string]> = [
  ['KIT_RUNNER_STATE_DIR', 'the store directory (--state-dir)'],
  ['KIT_RUNNER_TUNABLES', 'the tunables file (--tunables)'],
  ['KIT_RUNNER_KITS_DIR', 'kit directories, colon-separated (--kits-dir)'],
  ['KIT_RUNNER_NODE', 'the server this runner acts for (--node)'],
  ['KIT_RUNNER_LOG_LEVEL', 'debug, info, warn or error (--log-level)'],
  ['KIT_RUNNER_LOG_FORMAT', 'json: log lines as JSON objects'],
  ['KIT_RUNNER_PROGRESS', '1: progress of long waits also when stderr is not a terminal (--progress)'],
  ['KIT_RUNNER_STORE', 'cib: cluster mode, the hierarchies live in the Pacemaker CIB'],
  [
    'KIT_RUNNER_CACHE_DIR',
    "where Node's compile cache goes (DIR/node-compile-cache; default /var/cache/recovery-kit for root, else ~/.cache/recovery-kit); used only when no other user can write to it",
  ],
  ['JOURNAL_STREAM', 'set by systemd: log lines carry syslog priorities for journald'],
];

const FILES: Array<[string, string]> = [
  [
    '/var/lib/recovery-kit/store.json',
    'the store (mode 0600, directory 0700); every change is written to a temporary file, fsynced and renamed over the old one',
  ],
  ['/var/lib/recovery-kit/locks/', 'reservation locks, one per hierarchy; a lock whose owner died (even by kill -9) is broken by the next waiter'],
  ['/var/lib/recovery-kit/history.jsonl', 'one JSON line per create, extend, action and escalation (never option values)'],
  ['/etc/default/recovery-kit', 'tunables: KEY=VALUE lines ("kit-runner tunables" lists them)'],
  ['/usr/lib/recovery-kit/kits', 'where operators install kits ("kit-runner kits" lists them)'],
];

/** The synopsis block of docs/reference/kit-runner.md: every usage, wrapped at 100 columns. */
export function synopsisText(commands: readonly ManCommand[]): string {
  return `${[...commands.map((c) => wrapUsage(c.usage, 100)), `${KIT_CLI_USAGE}   (commands a kit adds, e.g. kit-runner ec2 replace-route)`].join('\n')}\n`;
}

export function manPage(commands: readonly ManCommand[], version: string): string {
  const out: string[] = [];
  const tp = (term: string, text: string) => out.push('.TP', `\\fB${esc(term)}\\fR`, esc(text));
  out.push(
    '.\\" kit-runner(8). Generated by "kit-runner help --man" from the command specs; do not edit.',
    `.TH KIT\\-RUNNER 8 "" "recovery\\-kit ${version}" "System Administration"`,
    '.nh',
    '.ad l',
    '.SH NAME',
    'kit\\-runner \\- run recovery kits: resource hierarchies, actions, monitoring',
    '.SH SYNOPSIS',
  );
  for (const c of commands) out.push(synopsis(c.usage));
  out.push(synopsis(KIT_CLI_USAGE), synopsis('kit-runner {-h|--help|-V|--version}'));
  out.push('.SH DESCRIPTION');
  for (const p of DESCRIPTION) out.push('.PP', esc(p));
  out.push('.SH COMMANDS');
  for (const c of commands) {
    out.push(`.SS ${esc(c.name)}`, esc(`${c.summary}.`), synopsis(c.usage), roffHelp(c.help));
  }
  out.push('.SS KIT_TYPE COMMAND', esc('The commands a kit adds (e.g. "kit-runner ec2 replace-route"); "kit-runner KIT_TYPE --help" lists them.'));
  out.push(
    '.SH GLOBAL OPTIONS',
    esc('Written before or after the command: "kit-runner --state-dir D status" and "kit-runner status --state-dir D" are the same.'),
  );
  for (const [t, text] of GLOBAL_ENTRIES) tp(t, text);
  out.push('.SH EXAMPLES');
  for (const c of commands)
    for (const e of c.examples) {
      out.push('.PP', esc(`${e.about}:`), '.RS 4', '.EX', esc(e.cmd), '.EE', '.RE');
    }
  out.push('.SH EXIT STATUS', esc('These numbers are stable. Where OCF gives a number a meaning, kit-runner uses the same number for the same meaning.'));
  for (const x of EXIT_CODES) tp(`${x.code} ${x.name}`, x.meaning);
  out.push('.SH ENVIRONMENT');
  for (const [k, v] of ENVIRONMENT) tp(k, v);
  out.push('.SH FILES');
  for (const [k, v] of FILES) tp(k, v);
  out.push(
    '.SH SEE ALSO',
    '.BR crm_mon (8),',
    '.BR cibadmin (8),',
    '.BR ocf\\-tester (8);',
    esc('the reference in docs/reference/ (kit-runner.md, exit-codes.md, ocf.md) and the operator guides in docs/operate/.'),
  );
  return `${out.join('\n')}\n`;
}
