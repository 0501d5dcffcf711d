/**
 * The kit against the contract (KitTester: shape, behaviour cases, the restore/remove lifecycle)
 * and its actions called directly, on a real file system.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { KitTester, createTestContext } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { scratch } from './helpers.ts';

const s = scratch();
afterAll(s.cleanup);

new KitTester(kit, { packageJson: fileURLToPath(new URL('../package.json', import.meta.url)) }).run({
  cases: [
    { name: 'create refuses a relative path', action: 'create', context: { options: { path: 'in-service' } }, expect: /not an absolute path/ },
    {
      name: 'create refuses a directory that does not exist',
      action: 'create',
      context: { options: { path: '/nonexistent/dir/file' } },
      expect: { code: 'INVALID_CONFIG' },
    },
    { name: 'quickCheck fails while the file is missing', action: 'quickCheck', context: { options: { path: s.path } }, expect: 'failed' },
  ],
  // restore twice, quickCheck healthy, remove twice, quickCheck not healthy
  lifecycle: { context: { options: { path: s.path } } },
});

describe('{{kitType}} kit actions', () => {
  it('restore writes the content, quickCheck notices a changed file, remove deletes it', async () => {
    const ctx = createTestContext(kit, { options: { path: s.path, content: 'hello' } });
    await kit.actions.restore(ctx);
    expect(readFileSync(s.path, 'utf8')).toBe('hello\n');
    expect(await kit.actions.quickCheck?.(ctx)).toEqual({ status: 'ok' });
    const other = createTestContext(kit, { options: { path: s.path, content: 'other' } });
    expect(await kit.actions.quickCheck?.(other)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/holds something else/) });
    await kit.actions.remove(ctx);
    expect(existsSync(s.path)).toBe(false);
  });
});
