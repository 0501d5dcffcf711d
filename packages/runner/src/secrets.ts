/**
 * Secret options (a field declared `secret: true`) never stand in the store in clear. At create
 * and extend each secret value goes into a file of its own, `STATE_DIR/secrets/<random>`, mode
 * 0600 in a 0700 directory (created with O_EXCL and O_NOFOLLOW), and the store holds a reference
 * to it: `{"$secret": "<random>"}`. The runner reads the file back only when it builds a kit's
 * context (engine.actionRun) or checks options (extend); delete and unextend remove the files of
 * what they remove. Like Pacemaker's cibsecret (`lrm://` in the CIB, the value in a local file).
 *
 * Messages are covered by two rules: the SDK's option schema never quotes a secret field's value
 * (hideValue), and the runner scrubs the secret values of an action's options out of everything
 * the kit logs or throws (`secretScrubber`), so a kit that quotes its own token in an error
 * does not put it in the reason, the history, the logs or the terminal.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomHex } from './lazy-crypto.ts';
import { ConfigError, isKitError, type Kit, type Logger } from '@recovery-kit/sdk';

export const SECRET_REF = '$secret';
const NAME = /^[0-9a-f]{32}$/;

export const isSecretRef = (v: unknown): v is { [SECRET_REF]: string } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as Record<string, unknown>)[SECRET_REF] === 'string';

const dirOf = (stateDir: string) => join(stateDir, 'secrets');

/**
 * `values` with each secret field's value written to its own file and replaced by a reference.
 * Returns the new values and the files written (for `discardSecrets` when the store write fails).
 */
export function sealSecrets(
  stateDir: string,
  kit: Pick<Kit, 'options'>,
  values: Record<string, unknown>,
): { values: Record<string, unknown>; written: string[] } {
  const out: Record<string, unknown> = { ...values };
  const written: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (!kit.options.fields[k]?.secret || v === undefined || v === null || isSecretRef(v)) continue;
    const dir = dirOf(stateDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = randomHex(16);
    const fd = openSync(join(dir, name), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, JSON.stringify(v));
    } finally {
      closeSync(fd);
    }
    written.push(name);
    out[k] = { [SECRET_REF]: name };
  }
  return { values: out, written };
}

/** `values` with every secret reference replaced by the value in its file. */
export function openSecrets(stateDir: string, values: Record<string, unknown>, subject: string): Record<string, unknown> {
  if (!Object.values(values).some(isSecretRef)) return values;
  const out: Record<string, unknown> = { ...values };
  for (const [k, v] of Object.entries(values)) {
    if (!isSecretRef(v)) continue;
    const name = v[SECRET_REF];
    const file = join(dirOf(stateDir), name);
    const missing = (why: string) =>
      new ConfigError(`the secret option ${k} of ${subject} cannot be read from ${file}: ${why}`, {
        field: k,
        fix: `restore ${file} from a backup, or delete and create the resource again with the value`,
      });
    if (!NAME.test(name)) throw missing('not a secret file name kit-runner writes');
    let fd: number;
    try {
      fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      throw missing((err as NodeJS.ErrnoException).code ?? (err as Error).message);
    }
    try {
      const st = fstatSync(fd);
      if (!st.isFile() || (st.mode & 0o077) !== 0 || (st.uid !== 0 && st.uid !== (process.geteuid?.() ?? 0)))
        throw missing(`it must be a file of root's (or kit-runner's user) with mode 0600 (it is ${(st.mode & 0o777).toString(8)}, uid ${st.uid})`);
      out[k] = JSON.parse(readFileSync(fd, 'utf8'));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw missing((err as Error).message);
    } finally {
      closeSync(fd);
    }
  }
  return out;
}

/** The secret files `values` refer to. */
export const secretFiles = (values: Record<string, unknown> | undefined): string[] =>
  Object.values(values ?? {})
    .filter(isSecretRef)
    .map((v) => v[SECRET_REF]);

/** Removes secret files (written for a store write that did not happen, or of what was deleted). */
export function discardSecrets(stateDir: string, names: readonly string[]): void {
  for (const n of names) {
    if (!NAME.test(n)) continue;
    try {
      unlinkSync(join(dirOf(stateDir), n));
    } catch {
      /* already gone */
    }
  }
}

/** Shown instead of a secret value. */
export const MASK = '********';

/**
 * Replaces the given secret values (those of 4 characters or more: shorter ones would mangle
 * every message and are no secrets) wherever they appear. Identity when there are none.
 */
export function secretScrubber(kit: Pick<Kit, 'options'>, options: Record<string, unknown>): ((text: string) => string) | undefined {
  const values = new Set<string>();
  for (const [k, v] of Object.entries(options)) {
    if (!kit.options.fields[k]?.secret || v === undefined || v === null) continue;
    for (const s of Array.isArray(v) ? v.map(String) : [typeof v === 'object' ? JSON.stringify(v) : String(v)]) if (s.length >= 4) values.add(s);
  }
  if (values.size === 0) return undefined;
  const sorted = [...values].sort((a, b) => b.length - a.length);
  return (text: string) => sorted.reduce((t, s) => t.split(s).join(MASK), text);
}

const scrubValue = (v: unknown, scrub: (t: string) => string, depth = 0): unknown => {
  if (typeof v === 'string') return scrub(v);
  if (depth > 4 || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => scrubValue(x, scrub, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, scrubValue(x, scrub, depth + 1)]));
};

/** The error, its fix, details and causes with the secret values scrubbed (in place; returns it). */
export function scrubError<E>(err: E, scrub: (t: string) => string): E {
  let e: unknown = err;
  for (let i = 0; i < 8 && e instanceof Error; i++) {
    const m = e as Error & { fix?: unknown; details?: unknown };
    try {
      m.message = scrub(m.message);
      if (m.stack) m.stack = scrub(m.stack);
      if (isKitError(m)) {
        if (typeof m.fix === 'string') Object.defineProperty(m, 'fix', { value: scrub(m.fix), configurable: true, writable: true });
        if (m.details) Object.defineProperty(m, 'details', { value: scrubValue(m.details, scrub), configurable: true, writable: true });
      }
    } catch {
      /* a frozen error: leave it */
    }
    e = m.cause;
  }
  return err;
}

/** A logger that scrubs the secret values out of messages and fields. */
export function scrubLogger(logger: Logger, scrub: (t: string) => string): Logger {
  const wrap = (level: 'debug' | 'info' | 'warn' | 'error') => (m: string, fields?: Record<string, unknown>) =>
    logger[level](scrub(m), fields ? (scrubValue(fields, scrub) as Record<string, unknown>) : undefined);
  return {
    debug: wrap('debug'),
    info: wrap('info'),
    warn: wrap('warn'),
    error: wrap('error'),
    child: (t) => scrubLogger(logger.child(t), scrub),
  };
}
