/** Printing: results on stdout, diagnostics on stderr, --json for scripts. */
import { ExitCode, isKitError } from '@recovery-kit/sdk';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints an error the operator can act on; returns its exit code. */
export function printError(err: unknown, json: boolean): number {
  if (isKitError(err)) {
    if (json) printJson({ ok: false, error: err.toJSON() });
    const lines = [`kit-runner: error: ${err.message}`];
    if (err.fix) lines.push(`  fix: ${err.fix}`);
    lines.push(`  code: ${err.code} (exit ${err.exitCode})`);
    let cause = (err as Error).cause;
    while (cause instanceof Error && process.env.KIT_RUNNER_LOG_LEVEL === 'debug') {
      lines.push(`  caused by: ${cause.message}`);
      cause = cause.cause;
    }
    process.stderr.write(`${lines.join('\n')}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) printJson({ ok: false, error: { code: 'INTERNAL', message: e.message, exitCode: ExitCode.INTERNAL } });
  process.stderr.write(`kit-runner: internal error (a bug; please report it with this output): ${e.stack ?? e.message}\n`);
  return ExitCode.INTERNAL;
}

/** A plain text table. */
export function table(rows: string[][], indentFirst = 0): string {
  if (!rows.length) return '';
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + (i === 0 ? indentFirst : 0)))).join('  ').trimEnd())
    .join('\n');
}
