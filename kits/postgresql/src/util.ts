/** Small pure helpers: argument splitting, pgpass parsing, shell quoting for pg_ctl -o. */

export { splitArgs } from '@recovery-kit/sdk/util';

/** pg_ctl passes -o through /bin/sh: single-quote every value. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
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
