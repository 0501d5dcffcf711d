// Bad stores and out-of-range timeouts (issue 16, item 8): a clear exit-6 error naming the file
// or tunable and the fix, never exit 70, a stack trace, or an action failing at once.
import { readFileSync, writeFileSync } from 'node:fs';
import { FileStore } from '@recovery-kit/runner';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

const noStack = (s: string) => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('a damaged store', () => {
  it('status, action and delete say exit 6, naming the file, for invalid JSON, a cycle, a dangling dependency, a bad entry', async () => {
    const sb = recSandbox();
    await sb.create('p');
    await sb.create('c');
    await sb.ok(['dep', 'add', 'p', 'c']);
    const file = new FileStore(sb.stateDir).file;
    const good = JSON.parse(readFileSync(file, 'utf8'));
    const damages: Array<[string, (s: typeof good) => string, RegExp]> = [
      ['not JSON', () => '{"format": 1, "resources": {', /not valid JSON/],
      [
        'cycle',
        (s) => {
          s.dependencies.push({ parent: 'c', child: 'p' });
          return JSON.stringify(s);
        },
        /cycle: (p -> c -> p|c -> p -> c)/,
      ],
      [
        'dangling',
        (s) => {
          delete s.resources.c;
          return JSON.stringify(s);
        },
        /dependency p -> c names c, which has no resource record/,
      ],
      [
        'bad server entry',
        (s) => {
          s.resources.p.servers['node-a'] = null;
          return JSON.stringify(s);
        },
        /resource p on node-a is not an object/,
      ],
    ];
    for (const [name, damage, message] of damages) {
      writeFileSync(file, damage(structuredClone(good)));
      const bytes = readFileSync(file, 'utf8');
      for (const args of [['status'], ['status', 'p'], ['action', 'p', 'restore'], ['delete', 'p']]) {
        const r = await sb.run(args);
        expect(r.exitCode, `${name}: ${args.join(' ')}: ${r.stderr}`).toBe(6);
        expect(r.stderr, name).toContain(file);
        expect(r.stderr, name).toMatch(message);
        expect(r.stderr, name).toMatch(/backup/);
        noStack(r.stderr);
        expect(readFileSync(file, 'utf8')).toBe(bytes);
      }
    }
  });
});

describe('timeout tunables', () => {
  it('a timeout above what a timer can wait (2^31-1 ms) is refused with exit 6, not an action failing at once', async () => {
    const sb = recSandbox();
    await sb.create('a', ['sleepMs=300']);
    for (const t of ['RESTORE_TIMEOUT', 'REC_RESTORE_TIMEOUT']) {
      sb.setTunables({ [t]: 2_200_000 });
      const before = sb.storeBytes();
      const r = await sb.run(['action', 'a', 'restore']);
      expect(r.exitCode, `${t}: ${r.stderr}`).toBe(6);
      expect(r.stderr).toContain(t);
      expect(r.stderr).toMatch(/2147483/);
      expect(r.stderr).not.toMatch(/TimeoutOverflowWarning/);
      noStack(r.stderr);
      if (t === 'REC_RESTORE_TIMEOUT') expect(sb.storeBytes()).toBe(before);
    }
    // The largest allowed value works.
    sb.setTunables({ REC_RESTORE_TIMEOUT: 2_147_483 });
    const ok = await sb.run(['action', 'a', 'restore']);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stderr).not.toMatch(/TimeoutOverflowWarning/);
  });
});
