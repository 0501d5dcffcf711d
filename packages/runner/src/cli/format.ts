/**
 * Help screens: the command specs (spec.ts) wrapped to the terminal. `process.stdout.columns`
 * on a terminal, 80 on a pipe. The manual page (man.ts) is made from the same specs.
 */
import { type Command, GLOBAL_ENTRIES, GLOBAL_HEADING } from './spec.ts';

/** The width help is wrapped to: the terminal's, or 80 when stdout is not a terminal. */
export function helpWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const cols = stream.isTTY ? stream.columns : undefined;
  return Math.max(40, cols || 80);
}

/** Greedy word wrap of `words` into lines of at most `width`; the first line starts with `first`, the others with `next`. */
function fill(words: string[], width: number, first: string, next: string): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const w of words) {
    if (!empty && line.length + 1 + w.length > width) {
      lines.push(line);
      line = next + w;
    } else line = empty ? line + w : `${line} ${w}`;
    empty = false;
  }
  lines.push(line);
  return lines.map((l) => l.trimEnd());
}

/** A definition line of the help: `TERM  TEXT` (two or more blanks after the term). */
export const DEFINITION = /^(\S+(?: \S+)*?) {2,}(\S.*)$/;

/**
 * Wraps one logical line. A definition (`restore   brings TAG...`) keeps its text column for the
 * lines that follow; a paragraph keeps its leading indent.
 */
export function wrapLine(line: string, width: number, indent = ''): string {
  if (line === '') return '';
  const def = DEFINITION.exec(line);
  if (def) {
    const col = line.length - def[2]!.length;
    const head = `${indent}${line.slice(0, col)}`;
    // A term too wide for the column leaves no room: its text starts on the next line.
    if (col > width / 2) return [`${indent}${def[1]}`, ...fill(def[2]!.split(' '), width, `${indent}    `, `${indent}    `)].join('\n');
    return fill(def[2]!.split(' ').filter(Boolean), width, head, ' '.repeat(head.length)).join('\n');
  }
  const lead = /^ */.exec(line)![0];
  return fill(line.trim().split(/ +/), width, indent + lead, indent + lead).join('\n');
}

export function wrapText(text: string, width: number, indent = ''): string {
  return text
    .split('\n')
    .map((l) => wrapLine(l, width, indent))
    .join('\n');
}

/** `[TERM, TEXT]` pairs as an aligned list: terms in a column (up to 20 wide), texts wrapped beside them. */
export function definitions(entries: ReadonlyArray<readonly [string, string]>, width: number, indent = '  '): string {
  const col = Math.min(20, Math.max(...entries.map(([t]) => t.length)));
  return entries.map(([t, text]) => wrapLine(`${t.padEnd(col)}  ${text}`, width, indent)).join('\n');
}

/**
 * Splits a usage line into the pieces it may be broken between: at blanks outside brackets and
 * braces; a group longer than the line is broken inside too (at blanks, before a `|`).
 */
export function wrapUsage(usage: string, width: number, first = ''): string {
  const atoms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of usage) {
    if (ch === '[' || ch === '{') depth++;
    if (ch === ']' || ch === '}') depth--;
    if (ch === ' ' && depth === 0) {
      if (cur) atoms.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) atoms.push(cur);
  // kit-runner NAME stay together; what follows is indented under the first argument.
  const lead = atoms.slice(0, 2).join(' ');
  let hang = ' '.repeat(Math.min(first.length + lead.length + 1, 32));
  const words = [lead, ...atoms.slice(2).flatMap((a) => (a.length > width - hang.length ? a.split(' ') : [a]))];
  // A word too long for the column under the first argument goes under the command instead.
  if (words.some((w) => w.length > width - hang.length)) hang = ' '.repeat(first.length + 4);
  return fill(words, width, first, hang).join('\n');
}

/** The global options block, printed once in every help screen. */
export function globalBlock(width: number): string {
  return `${GLOBAL_HEADING}\n${definitions(GLOBAL_ENTRIES, width)}`;
}

export function examplesBlock(examples: Command['examples'], width: number): string {
  const lines = examples.map((e) => `${wrapLine(`# ${e.about}`, width, '  ')}\n${wrapUsage(e.cmd, width, '  ')}`);
  return `Examples:\n${lines.join('\n\n')}`;
}

/** `kit-runner NAME --help`. */
export function commandHelp(c: Pick<Command, 'name' | 'summary' | 'usage' | 'help' | 'examples'>, width = helpWidth()): string {
  return [
    wrapLine(`kit-runner ${c.name}: ${c.summary}`, width),
    wrapUsage(c.usage, width, 'Usage: '),
    wrapText(c.help, width),
    examplesBlock(c.examples, width),
    globalBlock(width),
  ]
    .join('\n\n')
    .concat('\n');
}
