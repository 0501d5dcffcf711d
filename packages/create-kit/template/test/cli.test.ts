/**
 * The kit the way operators use it: the built kit (dist/, `npm run build`) loaded by the real
 * kit-runner in a throw-away state directory (createSandbox).
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSandbox } from '@recovery-kit/testing';
import { scratch } from './helpers.ts';

const s = scratch();
afterAll(s.cleanup);
// A kits directory holding only this kit (kit-runner searches DIR/* and DIR/node_modules/*).
const kitsDir = join(s.dir, 'kits');
mkdirSync(kitsDir);
symlinkSync(fileURLToPath(new URL('..', import.meta.url)), join(kitsDir, '{{kitType}}'));

describe('{{kitType}} kit under kit-runner', () => {
  const sb = createSandbox({ kitsDirs: [kitsDir] });
  afterAll(() => sb.cleanup());

  it('is listed by kit-runner kits', async () => {
    const r = await sb.run(['kits', '--json']);
    expect(r.exitCode).toBe(0);
    expect(JSON.stringify(r.json)).toContain('"{{kitType}}"');
  });

  it('creates, restores, checks, removes and deletes a resource', async () => {
    const path = join(s.dir, 'via-runner');
    expect((await sb.run(['create', '{{kitType}}', '--tag', 'demo', '--opt', `path=${path}`])).exitCode).toBe(0);
    expect((await sb.run(['action', 'demo', 'restore'])).exitCode).toBe(0);
    expect(existsSync(path)).toBe(true);
    expect((await sb.run(['action', 'demo', 'quickCheck'])).exitCode).toBe(0);
    const status = await sb.run(['status', '--json']);
    expect(JSON.stringify(status.json)).toContain('"ISP"');
    expect((await sb.run(['action', 'demo', 'remove'])).exitCode).toBe(0);
    expect(existsSync(path)).toBe(false);
    expect((await sb.run(['action', 'demo', 'quickCheck'])).exitCode).toBe(7);
    expect((await sb.run(['delete', 'demo'])).exitCode).toBe(0);
  });

  it('refuses a bad option with exit 6, naming the field', async () => {
    const r = await sb.run(['create', '{{kitType}}', '--tag', 'bad', '--opt', 'path=relative']);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toMatch(/path/);
  });

  it('runs its own command: kit-runner {{kitType}} probe', async () => {
    const r = await sb.run(['{{kitType}}', 'probe', '--path', s.path]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/absent/);
  });
});
