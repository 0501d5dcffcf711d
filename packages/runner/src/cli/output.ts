/** Printing: results on stdout, diagnostics on stderr, --json for scripts. */
import { ConfigError, ExitCode, isKitError, PermissionError, withOrigin, type ErrorOrigin } from '@recovery-kit/sdk';
import { closeProgressLine } from '../logger.ts';

let quietMode = false;

/** `-q`: only errors are printed (step lines, notes, warnings and "ok" lines are not). */
export function setQuiet(on: boolean): void {
  quietMode = on;
}

export function isQuiet(): boolean {
  return quietMode;
}

/** A note for the operator on stderr (step lines, warnings); silent under -q. */
export function note(text: string): void {
  if (quietMode) return;
  closeProgressLine();
  process.stderr.write(`${text}\n`);
}

/** A reason or other text on one line: line breaks and runs of blanks folded to single spaces, " / " between lines. */
export function oneLine(text: string | undefined): string {
  if (!text) return '';
  return text
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .join(' / ');
}

/** "42s ago", "5m ago", "3h ago", "2d ago" from an ISO time (or the time itself when unreadable). */
export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)}m ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

/** A kit action's result for people: a string as is, an object as `key: value` lines (nested ones indented). */
export function humanValue(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return `${indent}${String(value)}`;
  const lines: string[] = [];
  const scalar = (v: unknown) => v === null || typeof v !== 'object';
  const show = (v: unknown) => (v === null ? '-' : typeof v === 'string' ? oneLine(v) : String(v));
  if (Array.isArray(value)) {
    if (value.every(scalar)) return `${indent}${value.map(show).join(', ')}`;
    value.forEach((v, i) => {
      if (scalar(v)) lines.push(`${indent}- ${show(v)}`);
      else lines.push(`${indent}- [${i}]`, humanValue(v, `${indent}    `));
    });
    return lines.join('\n');
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    if (scalar(v)) lines.push(`${indent}${k}: ${show(v)}`);
    else if (Array.isArray(v) && v.every(scalar)) lines.push(`${indent}${k}: ${v.length ? v.map(show).join(', ') : '(none)'}`);
    else lines.push(`${indent}${k}:`, humanValue(v, `${indent}  `));
  }
  return lines.join('\n');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** True when the command line (or KIT_RUNNER_LOG_LEVEL) asks for debug output: errors then show their causes. */
export function wantsCauses(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const dd = argv.indexOf('--');
  const args = dd >= 0 ? argv.slice(0, dd) : argv;
  const i = args.indexOf('--log-level');
  return (
    args.includes('-v') ||
    args.includes('--verbose') ||
    args.includes('--log-level=debug') ||
    (i >= 0 && args[i + 1] === 'debug') ||
    env.KIT_RUNNER_LOG_LEVEL === 'debug'
  );
}

/** "kit ip@0.1.0, restore of vip on node-a" */
export function originText(o: ErrorOrigin): string {
  const what = o.action ? `${o.action}${o.tag ? ` of ${o.tag}` : ''}${o.server ? ` on ${o.server}` : ''}` : '';
  return `kit ${o.kit}${what ? `, ${what}` : ''}`;
}

/** Prints an error the operator can act on; returns its exit code. `causes` prints the cause chain. */
export function printError(given: unknown, json: boolean, causes = false): number {
  const err = asPermission(given);
  if (isKitError(err)) {
    if (json) printJson({ ok: false, error: err.toJSON() });
    const lines = [`kit-runner: error: ${err.message}`];
    if (err.origin) lines.push(`  from: ${originText(err.origin)}`);
    if (err.fix) lines.push(`  fix: ${err.fix}`);
    lines.push(`  code: ${err.code} (exit ${err.exitCode})`);
    if (causes) lines.push(...causeLines(err));
    closeProgressLine();
    process.stderr.write(`${lines.join('\n')}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) printJson({ ok: false, error: { code: 'INTERNAL', message: e.message, exitCode: ExitCode.INTERNAL } });
  process.stderr.write(`kit-runner: internal error (a bug; please report it with this output): ${e.stack ?? e.message}\n`);
  return ExitCode.INTERNAL;
}

const DENIED = new Set(['EACCES', 'EPERM']);

/**
 * Permission denied on the runner's own files (the store, a lock, the tunables file) is exit 4
 * (PERMISSION), as docs/reference/exit-codes.md says, whether it comes raw from Node or wrapped
 * in a ConfigError (by its cause, or the "EACCES:" Node puts in the message). Kit errors keep theirs.
 */
export function asPermission(err: unknown): unknown {
  // A kit's error carries its origin (kits share the runner's ConfigError class: loader.ts, shareSdk).
  if (isKitError(err) && (!(err instanceof ConfigError) || err.origin !== undefined)) return err;
  let denied = false;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (DENIED.has(String((e as NodeJS.ErrnoException).code))) denied = true;
  }
  if (!denied && err instanceof ConfigError && /\b(EACCES|EPERM)\b/.test(err.message)) denied = true;
  if (!denied) return err;
  const e = err as Error & { fix?: string; field?: string };
  const p = new PermissionError(e.message, {
    fix: e.fix ?? 'run kit-runner as root, or point --state-dir / --tunables at files this user may use',
    ...(e.field ? { field: e.field } : {}),
    cause: err,
  });
  if (isKitError(err) && err.origin) withOrigin(p, err.origin);
  return p;
}

/** "  caused by: ..." for each error in the cause chain (a repeated message is skipped). */
export function causeLines(err: Error): string[] {
  const out: string[] = [];
  let last = err.message;
  let cause = err.cause;
  for (let depth = 0; cause !== undefined && depth < 10; depth++) {
    const c = cause instanceof Error ? cause : new Error(String(cause));
    const code = isKitError(c) ? ` [${c.code}]` : (c as NodeJS.ErrnoException).code ? ` [${(c as NodeJS.ErrnoException).code}]` : '';
    if (c.message !== last) out.push(`  caused by: ${c.message}${code}`);
    last = c.message;
    cause = c.cause;
  }
  return out;
}

/** A plain text table. */
export function table(rows: string[][], indentFirst = 0): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + (i === 0 ? indentFirst : 0))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
