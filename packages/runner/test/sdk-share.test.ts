/**
 * The bundled kit-runner gives kits its own copy of the kit contract (loader.ts, shareSdk): a kit
 * process loads the SDK from dist/sdk/ once, never the SDK package's own files a second time.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// A kit installed with an SDK of its own (its node_modules): the same release gets the runner's
// copy, another release keeps its own (loader.ts reads the version from the package.json Node's
// resolver would find, without asking the resolver).
it.each([
  ['the same release as the runner’s: the runner’s copy', 'same'],
  ['another release: its own copy', 'other'],
])('a kit whose own node_modules holds %s', (_, which) => {
  const dir = mkdtempSync(join(tmpdir(), 'rk-sdk-own-'));
  try {
    const sdkDir = fileURLToPath(new URL('../../sdk/', import.meta.url));
    const nm = join(dir, 'kits', 'node_modules');
    const own = join(nm, '@recovery-kit', 'sdk');
    mkdirSync(own, { recursive: true });
    cpSync(join(sdkDir, 'dist'), join(own, 'dist'), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(own, 'package.json'), JSON.stringify({ ...pkg, version: which === 'same' ? pkg.version : `${pkg.version}-other` }));
    const kit = join(nm, 'kit-own-sdk');
    mkdirSync(kit);
    writeFileSync(
      join(kit, 'package.json'),
      JSON.stringify({ name: 'kit-own-sdk', version: '1.0.0', type: 'module', main: 'index.js', recoveryKit: { kitType: 'ownsdk', apiVersion: 1 } }),
    );
    writeFileSync(
      join(kit, 'index.js'),
      "import { defineKit, defineOptions } from '@recovery-kit/sdk';\n" +
        "export default defineKit({ meta: { name: 'kit-own-sdk', version: '1.0.0', kitType: 'ownsdk', description: 'fixture' }, options: defineOptions({}), actions: { restore() {}, remove() {}, quickCheck() { return { status: 'ok' }; } } });\n",
    );
    const r = spawnSync(process.execPath, [bin, 'kits', 'ownsdk'], {
      encoding: 'utf8',
      env: { ...process.env, KIT_RUNNER_STATE_DIR: join(dir, 'state'), KIT_RUNNER_KITS_DIR: join(dir, 'kits'), NODE_DEBUG: 'esm' },
    });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const loaded = [...r.stderr.matchAll(/Translating StandardModule (file:\/\/\S+)/g)].map((m) => m[1]!);
    expect(loaded.some((u) => u.endsWith('/kit-own-sdk/index.js'))).toBe(true);
    expect(loaded.filter((u) => u.endsWith('/runner/dist/sdk/index.mjs'))).toHaveLength(1);
    expect(loaded.filter((u) => u.includes('/@recovery-kit/sdk/dist/')).length > 0).toBe(which === 'other');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
