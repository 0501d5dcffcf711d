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
import { ConfigError, type Issue, type Kit, type TunableSpec, type Tunables } from '@recovery-kit/sdk';
import { checkTunables, undeclaredTunables } from './tunables-check.ts';
import { readTunablesFile, type TunablesFile } from './tunables-file.ts';

export { checkTunables, declaredName, describeKind, suggestTunable, typedValue, undeclaredTunables } from './tunables-check.ts';
export { parseTunablesText, readTunablesFile, type TunablesFile } from './tunables-file.ts';

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
  DEEP_CHECK_EVERY: {
    kind: 'integer',
    default: 10,
    min: 1,
    description:
      "How often the monitor's quickCheck of a resource runs at the deepest check level (OCF_CHECK_LEVEL 20: e.g. the EC2 kit also reads this instance's ENI and its source/destination check); the rounds between run level 10 (e.g. one DescribeRouteTables). 1 = every round deep. The first round is deep. As Pacemaker's depth monitors do (meta-data: a level-10 monitor at twice, a level-20 one at ten times the interval). A one-shot `action TAG quickCheck` is always level 20.",
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
