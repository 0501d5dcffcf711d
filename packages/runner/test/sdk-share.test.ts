/**
 * The bundled kit-runner gives kits its own copy of the kit contract (loader.ts, shareSdk): a kit
 * process loads the SDK from dist/sdk/ once, never the SDK package's own files a second time.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));

it('a kit loaded by the bundled CLI imports the runner’s SDK copy (dist/sdk), not the SDK package’s dist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rk-sdk-share-'));
  try {
    const r = spawnSync(process.execPath, [bin, 'kits', 'app'], {
      encoding: 'utf8',
      env: { ...process.env, KIT_RUNNER_STATE_DIR: join(dir, 'state'), KIT_RUNNER_KITS_DIR: '', NODE_DEBUG: 'esm' },
    });
    expect(r.status).toBe(0);
    const loaded = [...r.stderr.matchAll(/Translating StandardModule (file:\/\/\S+)/g)].map((m) => m[1]!);
    expect(loaded.some((u) => u.endsWith('/examples/kit-app/dist/index.js'))).toBe(true);
    expect(loaded.filter((u) => u.endsWith('/runner/dist/sdk/index.mjs'))).toHaveLength(1);
    expect(loaded.filter((u) => u.includes('/packages/sdk/'))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
