/** Small pure helpers: argument splitting, pgpass parsing, shell quoting for pg_ctl -o. */

import type { Logger } from '@recovery-kit/sdk';
import { splitArgs } from '@recovery-kit/sdk/util';

export { splitArgs };

/**
 * Reports a long wait with the runner's progress convention (`{ progress: true }`: one updating
 * line on a terminal, a line every 5 s on a pipe when asked) every second until `stop()`.
 */
export function progressTicker(logger: Logger, text: (seconds: number) => string): { stop(): void } {
  const started = Date.now();
  const timer = setInterval(() => logger.info(text(Math.round((Date.now() - started) / 1000)), { progress: true }), 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** pg_ctl passes -o through /bin/sh: single-quote every value. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The characters /bin/sh still interprets inside double quotes. pg_ctl start builds one shell
 * command, `exec "POSTGRES" -D "DIR" OPTIONS < "/dev/null" >> "LOGFILE" 2>&1`, so a path it puts
 * between those quotes must not hold any of them.
 */
export const DOUBLE_QUOTE_SPECIAL = /["$`\\]/;

/** Why `path` cannot go between pg_ctl's double quotes, or undefined when it can. */
export function shellSafePathProblem(path: string): string | undefined {
  return DOUBLE_QUOTE_SPECIAL.test(path)
    ? `${JSON.stringify(path)} holds one of " $ \` \\, which the shell pg_ctl starts the server with would interpret`
    : undefined;
}

/**
 * pgctlOptions as pg_ctl arguments, made safe for the shell pg_ctl starts the server through:
 * the server options of each -o (--options) are split into words and every word single-quoted,
 * so the server receives exactly those words and the shell interprets none of them; any other
 * argument that holds " $ ` or \ is refused (pg_ctl may put it between double quotes).
 * Throws an Error with the reason.
 */
export function pgctlArgs(text: string): string[] {
  const argv = splitArgs(text);
  const quoteWords = (v: string) => splitArgs(v).map(shQuote).join(' ');
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-o' || a === '--options') {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs the server options after it`);
      out.push(a, quoteWords(v));
    } else if (a.startsWith('--options=')) out.push(`--options=${quoteWords(a.slice('--options='.length))}`);
    else if (a.startsWith('-o')) out.push('-o', quoteWords(a.slice(2)));
    else if (DOUBLE_QUOTE_SPECIAL.test(a)) {
      throw new Error(
        `${JSON.stringify(a)} holds one of " $ \` \\, which the shell pg_ctl starts the server with would interpret (only the server options after -o may hold them: they are quoted for it)`,
      );
    } else out.push(a);
  }
  return out;
}

export interface PgpassQuery {
  host: string;
  port: number;
  database: string;
  user: string;
}

function splitPgpassLine(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else if (c === ':' && fields.length < 4) {
      fields.push(cur);
      cur = '';
    } else cur += c;
  }
  fields.push(cur);
  return fields;
}

/**
 * Finds the password in pgpass-format text (hostname:port:database:username:password, `*`
 * matches anything, `\:` and `\\` escape). Like libpq, a unix-socket connection matches the
 * host `localhost` (and, here, also the socket directory itself).
 */
export function findPgpassPassword(text: string, q: PgpassQuery): string | undefined {
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const f = splitPgpassLine(raw);
    if (f.length !== 5) continue;
    const [h, p, d, u, pw] = f as [string, string, string, string, string];
    const hostOk = h === '*' || h === q.host || (q.host.startsWith('/') && h === 'localhost');
    if (hostOk && (p === '*' || p === String(q.port)) && (d === '*' || d === q.database) && (u === '*' || u === q.user)) return pw;
  }
  return undefined;
}
