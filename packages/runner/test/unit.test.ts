import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ConfigError, defineOptions, opt, checkCidr, parseCidr } from '@recovery-kit/sdk';
import {
  createTunables,
  readTunablesFile,
  checkTunables,
  CORE_TUNABLES,
  describeKind,
  parseTunablesText,
  setTunablesWarningSink,
  suggestTunable,
  tunableSetOf,
  typedValue,
  undeclaredTunables,
} from '../src/tunables.ts';
import { acquireLock } from '../src/lock.ts';
import { removeOrder, restoreOrder, wouldCycle } from '../src/hierarchy.ts';
import type { StoreData } from '../src/store.ts';

const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rk-unit-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

describe('tunables file', () => {
  it('reads KEY=VALUE lines, comments, quotes and per-tag overrides', () => {
    const f = join(tmp(), 't');
    writeFileSync(f, '# comment\n\nLKCHECKINTERVAL=30\nESCALATION_COMMAND="/usr/bin/logger -t rk"\nIP_PINGTRIES=5\nIP_PINGTRIES_web-vip=9\n');
    const { values } = readTunablesFile(f);
    const t = createTunables(values, { ...CORE_TUNABLES, IP_PINGTRIES: { kind: 'integer', default: 3, description: '' } }, 'web-vip');
    expect(t.int('LKCHECKINTERVAL')).toBe(30);
    expect(t.string('ESCALATION_COMMAND')).toBe('/usr/bin/logger -t rk');
    expect(t.int('IP_PINGTRIES')).toBe(9);
    expect(t.int('RESTORE_TIMEOUT')).toBe(300);
    expect(createTunables(values, CORE_TUNABLES, 'other').int('IP_PINGTRIES')).toBe(5);
  });
  it('a missing file means defaults; malformed lines are reported with their number', () => {
    expect(readTunablesFile('/nonexistent/rk').values).toEqual({});
    const f = join(tmp(), 't');
    writeFileSync(f, 'A=1\n[section]\nB\n');
    expect(() => readTunablesFile(f)).toThrow(/:2: not a KEY=VALUE line[\s\S]*:3: not a KEY=VALUE line/);
  });
  it('checks declared kinds and ranges, also of per-tag overrides', () => {
    const issues = checkTunables({ LKCHECKINTERVAL: '0', LOCAL_RECOVERY: 'maybe', RESTORE_TIMEOUT_db: 'x' }, CORE_TUNABLES);
    expect(issues.map((i) => i.field).sort()).toEqual(['LKCHECKINTERVAL', 'LOCAL_RECOVERY', 'RESTORE_TIMEOUT_db']);
  });
  it('keeps # and ; inside values; a comment starts a line', () => {
    const { values, issues } = parseTunablesText(
      [
        'ESCALATION_COMMAND=/usr/bin/page --channel=#ops --msg=a;b',
        '  # indented comment',
        '; semicolon comment',
        'A="x # y; z"   # trailing comment after quotes',
        "B='it''s'",
        "C='single $HOME \\ kept'",
        'D="say \\"hi\\" \\\\ ok"',
        'export E=1',
        'F=',
        'G = spaced',
      ].join('\n'),
    );
    expect(issues).toEqual([expect.objectContaining({ field: '(text):5' })]);
    expect(values).toEqual({
      ESCALATION_COMMAND: '/usr/bin/page --channel=#ops --msg=a;b',
      A: 'x # y; z',
      C: 'single $HOME \\ kept',
      D: 'say "hi" \\ ok',
      E: '1',
      F: '',
      G: 'spaced',
    });
    expect(parseTunablesText('A="open').issues[0]!.message).toMatch(/double quote is not closed/);
  });
  it('reports undeclared keys with a did-you-mean, once, and types values', () => {
    const values = { LKCHECKINTERVL: '30', RESTORE_TIMEOUT_db: '9', OTHER_TOOL_KEY: 'x', EC2_RESTORE_TIMEOUT: '5' };
    const all = undeclaredTunables(values, CORE_TUNABLES);
    expect(all.map((i) => i.field)).toEqual(['EC2_RESTORE_TIMEOUT', 'LKCHECKINTERVL', 'OTHER_TOOL_KEY']);
    expect(all.find((i) => i.field === 'LKCHECKINTERVL')!.fix).toMatch(/did you mean LKCHECKINTERVAL\?/);
    expect(all.find((i) => i.field === 'EC2_RESTORE_TIMEOUT')!.fix).not.toMatch(/did you mean/);
    expect(undeclaredTunables(values, CORE_TUNABLES, true).map((i) => i.field)).toEqual(['LKCHECKINTERVL']);
    expect(suggestTunable('lkcheckinterval', Object.keys(CORE_TUNABLES))).toBe('LKCHECKINTERVAL');
    const lines: string[] = [];
    const prev = setTunablesWarningSink((l) => lines.push(l));
    try {
      const set = tunableSetOf({ LKCHECKINTERVL: 30 });
      set.check();
      set.view(undefined, 'x');
      tunableSetOf({ LKCHECKINTERVL: 30 }).check();
    } finally {
      setTunablesWarningSink(prev);
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/LKCHECKINTERVL is not a tunable.*did you mean LKCHECKINTERVAL/);
    expect(typedValue('30', CORE_TUNABLES.LKCHECKINTERVAL)).toBe(30);
    expect(typedValue('0', CORE_TUNABLES.LOCAL_RECOVERY)).toBe(false);
    expect(typedValue(true, CORE_TUNABLES.LOCAL_RECOVERY)).toBe(true);
    expect(typedValue('a b', CORE_TUNABLES.ESCALATION_COMMAND)).toBe('a b');
  });
  it('says "an integer from 1 to 3600", never "a integer" or "∞"', () => {
    expect(describeKind({ kind: 'integer', min: 1, max: 3600 })).toBe('an integer from 1 to 3600');
    expect(describeKind({ kind: 'integer', min: 1 })).toBe('an integer of at least 1');
    expect(describeKind({ kind: 'number', max: 5 })).toBe('a number of at most 5');
    const issues = checkTunables({ LKCHECKINTERVAL: '0' }, CORE_TUNABLES);
    expect(issues[0]!.fix).toBe('set an integer of at least 1 (default 120), or delete the line to use the default');
    for (const i of checkTunables({ LKCHECKINTERVAL: 'x', LOCAL_RECOVERY: 'maybe', LOCK_WAIT_TIMEOUT: '-1' }, CORE_TUNABLES)) {
      expect(i.fix).not.toMatch(/\ba integer|∞/);
    }
  });
});

describe('option schemas', () => {
  const schema = defineOptions({
    address: opt.string({ description: 'a', required: true, check: (v) => checkCidr(v, { requirePrefix: true }) }),
    count: opt.integer({ description: 'c', default: 3, min: 1, max: 9 }),
    on: opt.boolean({ description: 'b', default: false }),
    mode: opt.enum(['fast', 'slow'] as const, { description: 'm', default: 'fast' }),
    list: opt.list({ description: 'l', default: [] }),
  });
  it('coerces strings and applies defaults', () => {
    expect(schema.parse({ address: '10.0.0.1/32', count: '4', on: 'yes', list: 'a, b c' })).toEqual({
      address: '10.0.0.1/32',
      count: 4,
      on: true,
      mode: 'fast',
      list: ['a', 'b', 'c'],
    });
  });
  it('names every bad field with a fix', () => {
    try {
      schema.parse({ address: '10.0.0.1/33', count: '10', mode: 'medium', extra: '1' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const fields = (err as ConfigError).issues.map((i) => i.field).sort();
      expect(fields).toEqual(['address', 'count', 'extra', 'mode']);
      expect((err as Error).message).toMatch(/prefix \/33 is out of range/);
      expect((err as Error).message).toMatch(/use one of: fast, slow/);
    }
  });
  it('parses CIDRs', () => {
    expect(parseCidr('fd00::1/64')).toEqual({ address: 'fd00::1', prefix: 64, family: 6 });
    expect(parseCidr('10.0.0.1')).toEqual({ address: '10.0.0.1', prefix: 32, family: 4 });
    expect(parseCidr('10.0.0.1/40')).toBeUndefined();
    expect(checkCidr('not-an-ip')).toMatch(/is not an IPv4 or IPv6 address/);
  });
});

describe('locks', () => {
  it('excludes a second holder and is broken when its owner died', async () => {
    const dir = tmp();
    const path = join(dir, 'x.lock');
    const held = await acquireLock(path, { waitMs: 0, purpose: 't', what: 'x' });
    await expect(acquireLock(path, { waitMs: 100, purpose: 't2', what: 'x' })).rejects.toThrow(/x is busy/);
    held.release();
    expect(existsSync(path)).toBe(false);
    // A lock left by a process that is gone: write one for a child that has exited.
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = await new Promise<number>((r) => child.on('exit', () => r(child.pid!)));
    writeFileSync(path, JSON.stringify({ pid, start: '1', host: (await import('node:os')).hostname(), since: '', purpose: 'dead' }));
    const taken = await acquireLock(path, { waitMs: 0, purpose: 't3', what: 'x' });
    taken.release();
  });
  it('many concurrent waiters: exactly one holds the lock at a time', async () => {
    const path = join(tmp(), 'y.lock');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const l = await acquireLock(path, { waitMs: 10_000, purpose: 'c', what: 'y' });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 2));
        inside--;
        l.release();
      }),
    );
    expect(maxInside).toBe(1);
  });
});

describe('hierarchy order', () => {
  const data: StoreData = {
    format: 1,
    resources: {},
    dependencies: [
      { parent: 'app', child: 'web' },
      { parent: 'web', child: 'db' },
      { parent: 'web', child: 'vip' },
      { parent: 'db', child: 'disk' },
      { parent: 'vip', child: 'disk' },
    ],
  };
  it('restores each resource after all of its children, once', () => {
    expect(restoreOrder(data, 'app')).toEqual(['disk', 'db', 'vip', 'web', 'app']);
  });
  it('removes each resource after all of its parents', () => {
    expect(removeOrder(data, ['disk', 'db', 'vip', 'web', 'app'])).toEqual(['app', 'web', 'db', 'vip', 'disk']);
  });
  it('finds cycles, also through shared children', () => {
    expect(wouldCycle(data, 'disk', 'app')).toEqual(['disk', 'app', 'web', 'db', 'disk']);
    expect(wouldCycle(data, 'app', 'disk')).toBeUndefined();
  });
});
