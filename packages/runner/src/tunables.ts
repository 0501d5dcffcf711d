/**
 * Tunables: an /etc/default-style file of KEY=VALUE lines, read by a parser of our own:
 * a comment is a line whose first non-blank character is `#` or `;` (inside a value both are
 * kept: `ESCALATION_COMMAND=/usr/bin/page --channel=#ops --msg=a;b`); a value may be quoted
 * ("..." with \\" and \\\\ escapes, or '...' taken as is), and after a closing quote only blanks
 * and a `#` comment may follow; `export NAME=value` is accepted. A malformed line is reported
 * with its number. Read once per process (`loadTunables`; the monitor reads it again at each
 * pass) and checked once per kit. A per-tag override `NAME_<tag>` wins over `NAME` for that
 * resource (LifeKeeper's convention). Keys nobody declares are reported with a did-you-mean
 * ({@link undeclaredTunables}).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Issue, type Kit, type TunableSpec, type Tunables } from '@recovery-kit/sdk';

/** The longest timeout a timer can take (Node's setTimeout: 2^31-1 ms), in whole seconds. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Tunables of the runner itself. */
export const CORE_TUNABLES: Record<string, TunableSpec> = {
  LKCHECKINTERVAL: { kind: 'integer', default: 120, min: 1, description: 'Seconds between quickChecks of each in-service resource (monitor).' },
  RESTORE_TIMEOUT: {
    kind: 'integer',
    default: 300,
    min: 1,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds a restore may take, unless the kit names its own tunable.',
  },
  REMOVE_TIMEOUT: {
    kind: 'integer',
    default: 300,
    min: 1,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds a remove may take, unless the kit names its own tunable.',
  },
  QUICKCHECK_TIMEOUT: {
    kind: 'integer',
    default: 60,
    min: 1,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds a quickCheck may take, unless the kit names its own tunable.',
  },
  RECOVER_TIMEOUT: {
    kind: 'integer',
    default: 300,
    min: 1,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds a recover may take, unless the kit names its own tunable.',
  },
  ADMIN_TIMEOUT: {
    kind: 'integer',
    default: 120,
    min: 1,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds create, extend, unextend, delete and other named actions may take.',
  },
  LOCK_WAIT_TIMEOUT: {
    kind: 'integer',
    default: 60,
    min: 0,
    max: MAX_TIMEOUT_SECONDS,
    description: 'Seconds to wait for another kit-runner to release a hierarchy before failing with exit 12.',
  },
  UNKNOWN_LIMIT: {
    kind: 'integer',
    default: 3,
    min: 1,
    description:
      'Consecutive quickChecks that could not tell (API silent, own timeout, configuration or store problem) after which the monitor treats the resource as failed (recover, then escalation).',
  },
  LOCAL_RECOVERY: { kind: 'boolean', default: true, description: 'Run recover after a failed quickCheck (0 = escalate at once).' },
  ESCALATION_COMMAND: {
    kind: 'string',
    default: '',
    description:
      'Program and arguments (quotes group words; never run through a shell) started when recovery fails; gets KIT_RUNNER_TAG, KIT_RUNNER_KIT, KIT_RUNNER_REASON, KIT_RUNNER_NODE in its environment.',
  },
  ESCALATION_TIMEOUT: { kind: 'integer', default: 120, min: 1, max: MAX_TIMEOUT_SECONDS, description: 'Seconds the escalation command may take.' },
};

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

/** Reads and checks the file. A missing file is empty, not an error. */
export function readTunablesFile(path: string): TunablesFile {
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

/** The declared name a key sets: itself, or NAME for a per-tag override NAME_<tag>; undefined when none. */
export function declaredName(key: string, specs: Record<string, TunableSpec>): string | undefined {
  if (specs[key]) return key;
  return baseName(key, specs) || undefined;
}

/** Levenshtein distance, for did-you-mean. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The declared name closest to `key` (case-insensitive, at most 2 edits and a third of its letters off), if any. */
export function suggestTunable(key: string, names: Iterable<string>): string | undefined {
  const k = key.toUpperCase();
  let best: string | undefined;
  let bestD = Math.min(2, Math.max(1, Math.floor(k.length / 3))) + 1;
  for (const n of names) {
    const d = distance(k, n.toUpperCase());
    if (d < bestD) {
      best = n;
      bestD = d;
    }
  }
  return best;
}

/**
 * Keys of the file that set nothing the runner or a kit declares (neither NAME nor NAME_<tag>),
 * each an issue with a did-you-mean fix. `near` keeps only those close to a declared name: a check
 * that sees one kit's declarations cannot tell another kit's tunable from a typo, but a near miss
 * of a declared name is worth a word.
 */
export function undeclaredTunables(values: Record<string, string>, specs: Record<string, TunableSpec>, near = false): Issue[] {
  const issues: Issue[] = [];
  for (const key of Object.keys(values).sort()) {
    if (declaredName(key, specs)) continue;
    const guess = suggestTunable(key, Object.keys(specs));
    if (near && !guess) continue;
    issues.push({
      field: key,
      message: `${key} is not a tunable of the runner or of an installed kit`,
      fix: guess ? `did you mean ${guess}? (kit-runner tunables lists them)` : 'check the spelling against "kit-runner tunables", or delete the line',
    });
  }
  return issues;
}

const warned = new Set<string>();
let warnSink: (line: string) => void = (line) => void process.stderr.write(`${line}\n`);

/** Where tunables warnings go (default stderr); returns the previous sink. Tests and the CLI's -q use it. */
export function setTunablesWarningSink(sink: (line: string) => void): (line: string) => void {
  const prev = warnSink;
  warnSink = sink;
  return prev;
}

/** Prints each warning once per process (the monitor reads the file each pass). */
function warnOnce(path: string, issues: Issue[]): void {
  for (const i of issues) {
    const id = `${path}\0${i.field}`;
    if (warned.has(id)) continue;
    warned.add(id);
    warnSink(`kit-runner: warning: ${path}: ${i.message}${i.fix ? `; ${i.fix}` : ''}`);
  }
}

/** The value as its kind: integers and numbers as numbers, booleans as true/false (for --json). */
export function typedValue(raw: string | number | boolean | undefined, spec: TunableSpec | undefined): string | number | boolean | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string') return raw;
  const t = raw.trim();
  if (spec?.kind === 'integer' || spec?.kind === 'number') return t !== '' && Number.isFinite(Number(t)) ? Number(t) : raw;
  if (spec?.kind === 'boolean') {
    if (/^(1|true|yes|on)$/i.test(t)) return true;
    if (/^(0|false|no|off)$/i.test(t)) return false;
  }
  return raw;
}

/** Checks declared tunables' values; returns issues naming the key. */
export function checkTunables(values: Record<string, string>, specs: Record<string, TunableSpec>): Issue[] {
  const issues: Issue[] = [];
  for (const [key, raw] of Object.entries(values)) {
    const spec = specs[key] ?? specs[baseName(key, specs)];
    if (!spec) continue;
    const problem = checkValue(raw, spec);
    if (problem) issues.push({ field: key, message: problem, fix: fixFor(spec) });
  }
  return issues;
}

function baseName(key: string, specs: Record<string, TunableSpec>): string {
  // NAME_<tag>: find the longest declared NAME that prefixes the key.
  let best = '';
  for (const name of Object.keys(specs)) if (key.startsWith(`${name}_`) && name.length > best.length) best = name;
  return best;
}

function checkValue(raw: string, spec: TunableSpec): string | undefined {
  const t = raw.trim();
  switch (spec.kind) {
    case 'integer':
      if (!/^[-+]?\d+$/.test(t)) return `${JSON.stringify(raw)} is not a whole number`;
      break;
    case 'number':
      if (t === '' || !Number.isFinite(Number(t))) return `${JSON.stringify(raw)} is not a number`;
      break;
    case 'boolean':
      if (!/^(0|1|true|false|yes|no|on|off)$/i.test(t)) return `${JSON.stringify(raw)} is not a boolean (use 0 or 1)`;
      return undefined;
    default:
      return undefined;
  }
  const n = Number(t);
  if (spec.min !== undefined && n < spec.min) return `${n} is below the minimum ${spec.min}`;
  if (spec.max !== undefined && n > spec.max) return `${n} is above the maximum ${spec.max}`;
  return undefined;
}

/** "an integer from 1 to 3600", "an integer of at least 1", "a number of at most 5", "a boolean (0 or 1)". */
export function describeKind(spec: Pick<TunableSpec, 'kind' | 'min' | 'max'>): string {
  const noun = spec.kind === 'integer' ? 'an integer' : spec.kind === 'number' ? 'a number' : spec.kind === 'boolean' ? 'a boolean (0 or 1)' : 'a string';
  if (spec.kind !== 'integer' && spec.kind !== 'number') return noun;
  if (spec.min !== undefined && spec.max !== undefined) return `${noun} from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `${noun} of at least ${spec.min}`;
  if (spec.max !== undefined) return `${noun} of at most ${spec.max}`;
  return noun;
}

function fixFor(spec: TunableSpec): string {
  return `set ${describeKind(spec)}${spec.default !== undefined && spec.default !== '' ? ` (default ${spec.default})` : ''}, or delete the line to use the default`;
}

/** The view kits get: values from the file, per-tag overrides, declared defaults. */
export function createTunables(values: Record<string, string>, specs: Record<string, TunableSpec>, tag?: string): Tunables {
  const get = (name: string): string | undefined => {
    if (tag !== undefined && values[`${name}_${tag}`] !== undefined) return values[`${name}_${tag}`];
    if (values[name] !== undefined) return values[name];
    const d = specs[name]?.default;
    return d === undefined ? undefined : String(d);
  };
  const need = (name: string, kind: string): never => {
    throw new ConfigError(`tunable ${name} is not set and has no default`, { field: name, fix: `add ${name}=<${kind}> to the tunables file` });
  };
  return {
    get,
    int(name, fallback) {
      const v = get(name);
      if (v === undefined || v.trim() === '') return fallback ?? need(name, 'integer');
      const n = Number(v.trim());
      if (!Number.isInteger(n))
        throw new ConfigError(`tunable ${name}=${JSON.stringify(v)} is not a whole number`, { field: name, fix: `set ${name} to a whole number` });
      return n;
    },
    number(name, fallback) {
      const v = get(name);
      if (v === undefined || v.trim() === '') return fallback ?? need(name, 'number');
      const n = Number(v.trim());
      if (!Number.isFinite(n)) throw new ConfigError(`tunable ${name}=${JSON.stringify(v)} is not a number`, { field: name, fix: `set ${name} to a number` });
      return n;
    },
    bool(name, fallback) {
      const v = get(name);
      if (v === undefined || v.trim() === '') return fallback ?? need(name, 'boolean');
      return /^(1|true|yes|on)$/i.test(v.trim());
    },
    string(name, fallback) {
      const v = get(name);
      return v ?? fallback ?? need(name, 'string');
    },
  };
}

/**
 * The tunables file's values, checked once per kit against the runner's and that kit's
 * declarations. One per process (see {@link loadTunables}): every action shares it.
 */
export class TunableSet {
  readonly path: string;
  readonly exists: boolean;
  readonly values: Readonly<Record<string, string>>;
  #checked = new WeakSet<object>();
  #coreChecked = false;

  constructor(file: TunablesFile) {
    this.path = file.path;
    this.exists = file.exists;
    this.values = Object.freeze({ ...file.values });
  }

  /** The runner's and `kit`'s declarations. */
  specs(kit?: Pick<Kit, 'tunables'>): Record<string, TunableSpec> {
    return { ...CORE_TUNABLES, ...(kit?.tunables ?? {}) };
  }

  /** Throws ConfigError naming every invalid value of a tunable the runner or `kit` declares. */
  check(kit?: Pick<Kit, 'tunables'>): void {
    if (kit ? this.#checked.has(kit) : this.#coreChecked) return;
    const specs = this.specs(kit);
    const issues = checkTunables(this.values, specs);
    if (issues.length) throw ConfigError.fromIssues(`invalid value in the tunables file ${this.path}`, issues);
    warnOnce(this.path, undeclaredTunables(this.values, specs, true));
    if (kit) this.#checked.add(kit);
    else this.#coreChecked = true;
  }

  /** The checked view a kit gets for one resource (`tag` selects NAME_<tag> overrides). */
  view(kit?: Pick<Kit, 'tunables'>, tag?: string): Tunables {
    this.check(kit);
    return createTunables(this.values, this.specs(kit), tag);
  }
}

const loaded = new Map<string, TunableSet>();

/** The tunables file at `path`, read once per process; `fresh` reads it again (the monitor, each pass). */
export function loadTunables(path: string, fresh = false): TunableSet {
  let t = loaded.get(path);
  if (!t || fresh) {
    t = new TunableSet(readTunablesFile(path));
    loaded.set(path, t);
  }
  return t;
}

/** A tunable set from plain values (tests, KitTester). */
export function tunableSetOf(values: Record<string, string | number | boolean>): TunableSet {
  return new TunableSet({ path: '(test values)', exists: true, values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, String(v)])) });
}
