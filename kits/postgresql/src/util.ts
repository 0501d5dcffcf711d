/** Small pure helpers: argument splitting, pgpass parsing, shell quoting for pg_ctl -o. */

/** Splits an option string into arguments: white space separates, quotes group, backslash escapes. No shell. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let has = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new Error(`unterminated ${quote} quote`);
  if (has || cur) out.push(cur);
  return out;
}

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
