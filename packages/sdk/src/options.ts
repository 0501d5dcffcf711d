/**
 * Typed option schemas. A kit declares its options once; the same declaration validates input
 * before any action runs, types `ctx.options`, drives `kit-runner kits <type>` and `--help`, the
 * docs tables and OCF meta-data.
 *
 * Values arrive as strings (command line, KEY=VALUE files, OCF environment) or already typed
 * (JSON option files); every field coerces both.
 */
import { ConfigError, type Issue } from './errors.ts';

export type FieldKind = 'string' | 'integer' | 'number' | 'boolean' | 'list' | 'enum';
export type RawValue = string | number | boolean | readonly string[] | null | undefined;

/** One declared option. `T` is the parsed value type. */
export interface Field<T> {
  readonly kind: FieldKind;
  readonly description: string;
  readonly required: boolean;
  /** Shown in docs; applied when the option is absent. */
  readonly default: T | undefined;
  /** Never printed in logs, status or errors. */
  readonly secret: boolean;
  /** The value may differ per server (given again at `extend`, e.g. the address in another VPC). */
  readonly perServer: boolean;
  /** An example value for docs and help. */
  readonly example: string | undefined;
  /**
   * No two resources of this kit may share the value (OCF meta-data: `unique-group`, or the 1.0
   * `unique="1"`): `true` makes the option its own group, a string names a group of options
   * whose values together must be unique.
   */
  readonly unique?: boolean | string;
  /**
   * The kit reads the option at every action, so a change needs no restart: the OCF agent declares
   * it `reloadable` and offers `reload-agent` (OCF 1.1); Pacemaker restarts the resource for any other.
   */
  readonly reloadable?: boolean;
  /** Allowed values, for enum fields. */
  readonly values: readonly string[] | undefined;
  readonly min: number | undefined;
  readonly max: number | undefined;
  /** Coerces and checks one present value; returns the value or an issue message. */
  parse(raw: Exclude<RawValue, null | undefined>): { ok: true; value: T } | { ok: false; message: string; fix?: string };
}

interface CommonSpec {
  description: string;
  secret?: boolean;
  perServer?: boolean;
  example?: string;
  /** See {@link Field.unique}. */
  unique?: boolean | string;
  /** See {@link Field.reloadable}. */
  reloadable?: boolean;
}
type Check<T> = (value: T) => string | undefined | { message: string; fix?: string };

type Req<S, T> = S extends { required: true } ? T : S extends { default: unknown } ? T : T | undefined;

function makeField<T>(
  kind: FieldKind,
  spec: CommonSpec & { required?: boolean; default?: T; values?: readonly string[]; min?: number; max?: number },
  coerce: (raw: Exclude<RawValue, null | undefined>) => { ok: true; value: T } | { ok: false; message: string; fix?: string },
  check?: Check<T>,
): Field<T> {
  return {
    kind,
    description: spec.description,
    required: spec.required ?? false,
    default: spec.default,
    secret: spec.secret ?? false,
    perServer: spec.perServer ?? false,
    example: spec.example,
    ...(spec.unique !== undefined && spec.unique !== false ? { unique: spec.unique } : {}),
    ...(spec.reloadable ? { reloadable: true } : {}),
    values: spec.values,
    min: spec.min,
    max: spec.max,
    parse(raw) {
      const r = ((): ReturnType<Field<T>['parse']> => {
        const c = coerce(raw);
        if (!c.ok || !check) return c;
        const problem = check(c.value);
        if (problem === undefined) return c;
        return typeof problem === 'string' ? { ok: false, message: problem } : { ok: false, ...problem };
      })();
      // A secret's value never appears in a message, whatever the builder or the kit's check wrote.
      if (r.ok || !spec.secret) return r;
      return { ok: false, message: hideValue(r.message, raw), ...(r.fix !== undefined ? { fix: hideValue(r.fix, raw) } : {}) };
    },
  };
}

const describe = (raw: unknown): string => (typeof raw === 'string' ? JSON.stringify(raw) : String(raw));

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` with every appearance of `raw` (quoted, or as a whole word) written "the value". */
export function hideValue(text: string, raw: RawValue): string {
  if (raw === undefined || raw === null) return text;
  const forms = new Set<string>();
  for (const v of Array.isArray(raw) ? raw.map(String) : [String(raw)]) {
    for (const f of [v, v.trim()]) if (f !== '') forms.add(f);
  }
  let out = text;
  for (const f of [...forms].sort((a, b) => b.length - a.length)) {
    out = out.split(JSON.stringify(f)).join('the value');
    out = out.replace(new RegExp(`(?<![\\w])${escapeRe(f)}(?![\\w])`, 'g'), 'the value');
    if (f.length >= 4) out = out.split(f).join('********');
  }
  return out;
}

/** Field builders. `required: true` or a `default` makes the parsed type non-optional. */
export const opt = {
  string<S extends CommonSpec & { required?: boolean; default?: string; pattern?: RegExp; check?: Check<string> }>(spec: S): Field<Req<S, string>> {
    return makeField<string>(
      'string',
      spec,
      (raw) => {
        if (Array.isArray(raw)) return { ok: false, message: 'expected a single value, got a list' };
        const value = String(raw);
        if (spec.pattern && !spec.pattern.test(value)) {
          return { ok: false, message: `${spec.secret ? 'the value' : describe(value)} does not match ${spec.pattern}` };
        }
        return { ok: true, value };
      },
      spec.check,
    ) as Field<Req<S, string>>;
  },

  integer<S extends CommonSpec & { required?: boolean; default?: number; min?: number; max?: number; check?: Check<number> }>(spec: S): Field<Req<S, number>> {
    return makeField<number>(
      'integer',
      spec,
      (raw) => {
        const text = String(raw).trim();
        if (!/^[-+]?\d+$/.test(text)) return { ok: false, message: `${describe(raw)} is not a whole number` };
        const value = Number(text);
        if (spec.min !== undefined && value < spec.min) return { ok: false, message: `${value} is below the minimum ${spec.min}` };
        if (spec.max !== undefined && value > spec.max) return { ok: false, message: `${value} is above the maximum ${spec.max}` };
        return { ok: true, value };
      },
      spec.check,
    ) as Field<Req<S, number>>;
  },

  number<S extends CommonSpec & { required?: boolean; default?: number; min?: number; max?: number }>(spec: S): Field<Req<S, number>> {
    return makeField<number>('number', spec, (raw) => {
      const value = Number(String(raw).trim());
      if (String(raw).trim() === '' || !Number.isFinite(value)) return { ok: false, message: `${describe(raw)} is not a number` };
      if (spec.min !== undefined && value < spec.min) return { ok: false, message: `${value} is below the minimum ${spec.min}` };
      if (spec.max !== undefined && value > spec.max) return { ok: false, message: `${value} is above the maximum ${spec.max}` };
      return { ok: true, value };
    }) as Field<Req<S, number>>;
  },

  boolean<S extends CommonSpec & { required?: boolean; default?: boolean }>(spec: S): Field<Req<S, boolean>> {
    return makeField<boolean>('boolean', spec, (raw) => {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const text = String(raw).trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(text)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(text)) return { ok: true, value: false };
      return { ok: false, message: `${describe(raw)} is not a boolean`, fix: 'use true or false' };
    }) as Field<Req<S, boolean>>;
  },

  /** A list, given as an array or as a comma- or space-separated string. */
  list<S extends CommonSpec & { required?: boolean; default?: readonly string[]; item?: Check<string>; check?: Check<readonly string[]> }>(
    spec: S,
  ): Field<Req<S, readonly string[]>> {
    return makeField<readonly string[]>(
      'list',
      spec,
      (raw) => {
        const items = Array.isArray(raw)
          ? raw.map(String)
          : String(raw)
              .split(/[,\s]+/)
              .filter((s) => s !== '');
        if (spec.item) {
          for (const item of items) {
            const problem = spec.item(item);
            if (problem !== undefined) {
              return typeof problem === 'string' ? { ok: false, message: problem } : { ok: false, ...problem };
            }
          }
        }
        return { ok: true, value: items };
      },
      spec.check,
    ) as Field<Req<S, readonly string[]>>;
  },

  enum<const V extends readonly string[], S extends CommonSpec & { required?: boolean; default?: V[number] }>(values: V, spec: S): Field<Req<S, V[number]>> {
    return makeField<V[number]>('enum', { ...spec, values }, (raw) => {
      const value = String(raw);
      if (!values.includes(value)) {
        return { ok: false, message: `${describe(raw)} is not one of ${values.join(', ')}`, fix: `use one of: ${values.join(', ')}` };
      }
      return { ok: true, value: value as V[number] };
    }) as Field<Req<S, V[number]>>;
  },
};

export type Fields = Record<string, Field<unknown>>;
export type InferOptions<F extends Fields> = { readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never };

/** The validated, documented option set of a kit. */
export interface OptionsSchema<O> {
  readonly fields: Readonly<Record<string, Field<unknown>>>;
  /**
   * Coerces raw values into typed options, or throws a ConfigError naming every bad field.
   * Unknown keys are rejected so typos fail loudly.
   */
  parse(raw: Readonly<Record<string, RawValue>>, subject?: string): O;
  /** Like parse, but returns the issues instead of throwing. */
  check(raw: Readonly<Record<string, RawValue>>): { ok: true; value: O } | { ok: false; issues: Issue[] };
  /** Removes secret values, for logs, status and errors. */
  redact(values: Readonly<Record<string, unknown>>): Record<string, unknown>;
}

/**
 * Declares a kit's options. `validate` checks relations between fields and returns issues.
 *
 * ```ts
 * const options = defineOptions({
 *   address: opt.string({ description: 'Virtual address with prefix', required: true, perServer: true }),
 *   pingList: opt.list({ description: 'Addresses to ping in quickCheck', default: [] }),
 * });
 * ```
 */
export function defineOptions<F extends Fields>(fields: F, validate?: (value: InferOptions<F>) => Issue[]): OptionsSchema<InferOptions<F>> {
  const check = (raw: Readonly<Record<string, RawValue>>) => {
    const issues: Issue[] = [];
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(raw)) {
      if (!Object.hasOwn(fields, key)) {
        const known = Object.keys(fields);
        const norm = (x: string) => x.toLowerCase().replace(/[-_]/g, '');
        const near = known.find((k) => norm(k) === norm(key)) ?? known.find((k) => editDistance(norm(k), norm(key)) <= 2);
        issues.push({
          field: key,
          message: 'unknown option',
          fix: near ? `did you mean "${near}"?` : `known options: ${known.join(', ') || '(none)'}`,
        });
      }
    }
    for (const [key, field] of Object.entries(fields)) {
      const value = raw[key];
      if (value === undefined || value === null || value === '') {
        if (field.required) {
          issues.push({
            field: key,
            message: 'is required',
            fix: `give it with --opt ${key}=${field.example ?? '<value>'} (${field.description})`,
          });
        } else if (field.default !== undefined) {
          out[key] = field.default;
        }
        continue;
      }
      const r = field.parse(value);
      if (r.ok) out[key] = r.value;
      else issues.push({ field: key, message: r.message, fix: r.fix ?? hint(field) });
    }
    if (issues.length === 0 && validate) {
      // The kit's cross-field checks may quote values: secret ones are hidden.
      const secrets = Object.entries(fields)
        .filter(([k, f]) => f.secret && raw[k] !== undefined && raw[k] !== null && raw[k] !== '')
        .map(([k]) => raw[k]);
      const hide = (t: string) => secrets.reduce<string>((acc, v) => hideValue(acc, v), t);
      for (const i of validate(out as InferOptions<F>))
        issues.push(secrets.length ? { ...i, message: hide(i.message), ...(i.fix !== undefined ? { fix: hide(i.fix) } : {}) } : i);
    }
    return issues.length ? { ok: false as const, issues } : { ok: true as const, value: out as InferOptions<F> };
  };
  return {
    fields,
    check,
    parse(raw, subject = 'invalid options') {
      const r = check(raw);
      if (!r.ok) throw ConfigError.fromIssues(subject, r.issues);
      return r.value;
    },
    redact(values) {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(values)) out[k] = fields[k]?.secret ? '********' : v;
      return out;
    },
  };
}

function hint(field: Field<unknown>): string {
  switch (field.kind) {
    case 'integer':
      return `use a whole number${field.min !== undefined ? ` from ${field.min}` : ''}${field.max !== undefined ? ` to ${field.max}` : ''}`;
    case 'enum':
      return `use one of: ${field.values?.join(', ')}`;
    case 'boolean':
      return 'use true or false';
    default:
      return field.example ? `for example ${field.example}` : field.description;
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
