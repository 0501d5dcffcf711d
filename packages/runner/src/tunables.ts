/**
 * Tunables: an /etc/default-style file of KEY=VALUE lines (`#` comments, blank lines), read
 * with `ini` after a strict line check, so a malformed line is reported with its number instead
 * of being taken as a key. Read once per process (`loadTunables`; the monitor reads it again at
 * each pass) and checked once per kit. A per-tag override `NAME_<tag>` wins over
 * `NAME` for that resource (LifeKeeper's convention).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, type Issue, type Kit, type TunableSpec, type Tunables } from '@recovery-kit/sdk';
import { parse as parseIni } from 'ini';

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

const LINE = /^\s*([A-Za-z_][A-Za-z0-9_./-]*)\s*=(.*)$/;

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
  const issues: Issue[] = [];
  const lines = text.split(/\r?\n/);
  const clean: string[] = [];
  lines.forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) return;
    if (!LINE.test(line)) {
      issues.push({
        field: `${path}:${i + 1}`,
        message: `not a KEY=VALUE line: ${JSON.stringify(t.slice(0, 80))}`,
        fix: 'write NAME=value, or start the line with # to comment it out',
      });
      return;
    }
    if (t.startsWith('[')) return;
    clean.push(line.replace(/^\s*export\s+/, ''));
  });
  if (issues.length) throw ConfigError.fromIssues(`malformed tunables file ${path}`, issues);
  const parsed = parseIni(clean.join('\n')) as Record<string, unknown>;
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v === 'string') values[k] = v.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
    else if (typeof v === 'boolean') values[k] = String(v);
  }
  return { path, exists: true, values };
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

function fixFor(spec: TunableSpec): string {
  const range = spec.min !== undefined || spec.max !== undefined ? ` from ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}` : '';
  return `set a ${spec.kind}${range}${spec.default !== undefined ? ` (default ${spec.default})` : ''}, or delete the line to use the default`;
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
    const issues = checkTunables(this.values, this.specs(kit));
    if (issues.length) throw ConfigError.fromIssues(`invalid value in the tunables file ${this.path}`, issues);
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
