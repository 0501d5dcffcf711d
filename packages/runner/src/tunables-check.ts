/**
 * Checks of tunables against their declarations: values of the declared kind and range,
 * per-tag overrides NAME_<tag>, and keys nobody declares (with a did-you-mean).
 */
import { editDistance, type Issue, type TunableSpec } from '@recovery-kit/sdk';

/** The declared name a key sets: itself, or NAME for a per-tag override NAME_<tag>; undefined when none. */
export function declaredName(key: string, specs: Record<string, TunableSpec>): string | undefined {
  if (specs[key]) return key;
  return baseName(key, specs) || undefined;
}

/** The declared name closest to `key` (case-insensitive, at most 2 edits and a third of its letters off), if any. */
export function suggestTunable(key: string, names: Iterable<string>): string | undefined {
  const k = key.toUpperCase();
  let best: string | undefined;
  let bestD = Math.min(2, Math.max(1, Math.floor(k.length / 3))) + 1;
  for (const n of names) {
    // At least the difference in length apart: most names need no distance computed.
    if (Math.abs(n.length - k.length) >= bestD) continue;
    const d = editDistance(k, n.toUpperCase());
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
