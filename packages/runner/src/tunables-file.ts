/**
 * The tunables file's syntax (see tunables.ts): KEY=VALUE lines, `#` and `;` comment lines,
 * "..." and '...' quoting, `export NAME=value`; a malformed line is reported with its number.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Issue } from '@recovery-kit/sdk';
import { fileTrustProblem } from './trust.ts';

export interface TunablesFile {
  path: string;
  exists: boolean;
  values: Record<string, string>;
}

const KEY = /^([A-Za-z_][A-Za-z0-9_./-]*)\s*=/;

/**
 * Parses the text of a tunables file: `{ values }`, or the malformed lines as issues
 * (`field` is `path:line`). The last of repeated keys wins, as in a shell.
 */
export function parseTunablesText(text: string, path = '(text)'): { values: Record<string, string>; issues: Issue[] } {
  const issues: Issue[] = [];
  const values: Record<string, string> = {};
  text.split(/\r?\n/).forEach((line, i) => {
    const where = `${path}:${i + 1}`;
    let t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    if (/^export\s/.test(t)) t = t.replace(/^export\s+/, '');
    const m = KEY.exec(t);
    if (!m) {
      issues.push({
        field: where,
        message: `not a KEY=VALUE line: ${JSON.stringify(t.slice(0, 80))}`,
        fix: 'write NAME=value, or start the line with # to comment it out',
      });
      return;
    }
    const value = parseValue(t.slice(m[0].length).trim());
    if (typeof value !== 'string') {
      issues.push({ field: where, message: `${m[1]}: ${value.problem}`, fix: value.fix });
      return;
    }
    values[m[1]!] = value;
  });
  return { values, issues };
}

function parseValue(raw: string): string | { problem: string; fix: string } {
  const q = raw[0];
  if (q !== '"' && q !== "'") return raw;
  let out = '';
  let i = 1;
  for (; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === q) break;
    if (q === '"' && c === '\\' && (raw[i + 1] === '"' || raw[i + 1] === '\\' || raw[i + 1] === '$' || raw[i + 1] === '`')) {
      out += raw[++i];
      continue;
    }
    out += c;
  }
  if (i >= raw.length) return { problem: `the ${q === '"' ? 'double' : 'single'} quote is not closed`, fix: `end the value with ${q}` };
  const after = raw.slice(i + 1).trim();
  if (after !== '' && !after.startsWith('#')) {
    return {
      problem: `text after the closing quote: ${JSON.stringify(after.slice(0, 40))}`,
      fix: 'quote the whole value, or put a # before a comment',
    };
  }
  return out;
}

/**
 * Reads and checks the file. A missing file is empty, not an error. The file is trusted the way
 * the kits and state directories are (trust.ts): tunables steer what kits run as root.
 */
export function readTunablesFile(path: string): TunablesFile {
  const distrust = fileTrustProblem(path);
  if (distrust) {
    throw new ConfigError(`refusing the tunables file: ${distrust.why}`, {
      code: 'UNTRUSTED_LOCATION',
      field: path,
      fix: `${distrust.fix} (docs/operate/trusted-locations.md)`,
    });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, values: {} };
    throw new ConfigError(`cannot read the tunables file ${path}: ${(err as Error).message}`, {
      field: path,
      fix: 'check the path and its permissions, or point --tunables / KIT_RUNNER_TUNABLES elsewhere',
    });
  }
  const { values, issues } = parseTunablesText(text, path);
  if (issues.length) throw ConfigError.fromIssues(`malformed tunables file ${path}`, issues);
  return { path, exists: true, values };
}
