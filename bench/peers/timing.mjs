// Timing helpers of the peer benchmarks' inside scripts (inside.mjs, ocf-inside.mjs).
import { spawn } from 'node:child_process';

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs one process to its end: wall time in ms, exit code, stdout and stderr. */
export function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const c = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => resolve({ ms: Number(process.hrtime.bigint() - t) / 1e6, code, out, err }));
  });
}
