// Races: lifecycle commands run concurrently through the real bin, and the store's invariants
// checked after every pair. The rec kit keeps a marker file <dir>/<tag>@<server>.up while a
// resource runs, so "an in-service resource deleted" is seen for real (a marker without a store
// entry in service), not read back from the store alone.
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '@recovery-kit/runner';
import { describe, expect, it } from 'vitest';
import { recSandbox, type RecSandbox } from './helpers.ts';

interface Store {
  resources: Record<string, { servers: Record<string, { priority: number; state: string }> }>;
  dependencies: Array<{ parent: string; child: string }>;
}

const started = (sb: RecSandbox, tag: string, action: string) => sb.log().some((l) => l.tag === tag && l.action === `${action}:start`);

async function until(what: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The invariants every sequence of lifecycle commands keeps; `forced` are tags deleted with --force. */
function invariants(sb: RecSandbox, forced: Set<string> = new Set()): string[] {
  const s = JSON.parse(sb.storeBytes()) as Store;
  const bad: string[] = [];
  for (const [tag, r] of Object.entries(s.resources)) {
    const prios = Object.values(r.servers).map((e) => e.priority);
    if (new Set(prios).size !== prios.length) bad.push(`${tag} has one priority on two servers: ${JSON.stringify(r.servers)}`);
  }
  for (const { parent, child } of s.dependencies) {
    const p = s.resources[parent];
    const c = s.resources[child];
    if (!p || !c) {
      bad.push(`dependency ${parent} -> ${child} names a resource that is gone`);
      continue;
    }
    for (const server of Object.keys(p.servers)) if (!c.servers[server]) bad.push(`${parent} is on ${server}, its child ${child} is not`);
  }
  for (const f of readdirSync(sb.dir).filter((n) => n.endsWith('.up'))) {
    const [tag, server] = f.slice(0, -3).split('@') as [string, string];
    if (forced.has(tag)) continue;
    const e = s.resources[tag]?.servers[server];
    if (!e) bad.push(`${tag} runs on ${server} but the store has no such resource there (deleted or unextended while in service)`);
  }
  return bad;
}

function noCrash(r: { exitCode: number; stderr: string }, args: string[]): void {
  expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).not.toBe(70);
  expect(r.stderr, args.join(' ')).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('races past the reservation (issue 16, items 1 and 2)', () => {
  it('delete without --force racing a restore never removes the resource it brings into service', async () => {
    const sb = recSandbox();
    await sb.create('svc', ['sleepMs=800']);
    const restore = sb.run(['action', 'svc', 'restore']);
    await until(() => started(sb, 'svc', 'restore'));
    const del = await sb.run(['delete', 'svc']);
    noCrash(del, ['delete']);
    expect(del.exitCode, del.stderr).not.toBe(0);
    expect(del.stderr).toMatch(/in service/);
    expect((await restore).exitCode).toBe(0);
    expect(invariants(sb)).toEqual([]);
    expect(JSON.parse(sb.storeBytes()).resources.svc.servers['node-a'].state).toBe('ISP');
  });

  it('unextend racing a restore never removes the server the resource is running on', async () => {
    const sb = recSandbox();
    await sb.create('svc', ['sleepMs=800']);
    await sb.ok(['extend', 'svc', '--server', 'node-b', '--priority', '2']);
    const restore = sb.run(['action', 'svc', 'restore']);
    await until(() => started(sb, 'svc', 'restore'));
    const un = await sb.run(['unextend', 'svc', '--server', 'node-a']);
    noCrash(un, ['unextend']);
    expect(un.exitCode, un.stderr).not.toBe(0);
    expect(un.stderr).toMatch(/in service on node-a/);
    expect((await restore).exitCode).toBe(0);
    expect(invariants(sb)).toEqual([]);
  });

  it('six concurrent extends with one priority: exactly one succeeds', async () => {
    const sb = recSandbox();
    await sb.create('q');
    const rs = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => sb.run(['extend', 'q', '--server', `s${n}`, '--priority', '2'])));
    for (const r of rs) noCrash(r, ['extend']);
    expect(rs.filter((r) => r.exitCode === 0).length).toBe(1);
    for (const r of rs.filter((x) => x.exitCode !== 0)) expect(r.stderr).toMatch(/priority 2 is already used/);
    expect(invariants(sb)).toEqual([]);
    expect(Object.keys(JSON.parse(sb.storeBytes()).resources.q.servers).length).toBe(2);
  });

  it('dep add racing delete --force of the child leaves no dependency on a resource that is gone', async () => {
    for (let round = 0; round < 3; round++) {
      const sb = recSandbox();
      await sb.create('p');
      await sb.create('c');
      const [add, del] = await Promise.all([sb.run(['dep', 'add', 'p', 'c']), sb.run(['delete', 'c', '--force'])]);
      noCrash(add, ['dep add']);
      noCrash(del, ['delete']);
      // Both may succeed only in the order dep add, then delete --force (which drops the dependency with the child).
      expect(invariants(sb, new Set(['c']))).toEqual([]);
    }
  });

  it('extend racing dep add never leaves a parent on a server its child is not on', async () => {
    for (let round = 0; round < 3; round++) {
      const sb = recSandbox();
      await sb.create('p');
      await sb.create('c');
      const rs = await Promise.all([sb.run(['extend', 'p', '--server', 'node-b', '--priority', '2']), sb.run(['dep', 'add', 'p', 'c'])]);
      for (const r of rs) noCrash(r, ['extend/dep add']);
      expect(invariants(sb)).toEqual([]);
    }
  });
});

// Every pair of lifecycle commands, from one starting store: the first started, the second
// 250 ms later (inside the first's kit action: every restore/remove takes 400 ms).
const COMMANDS: Array<{ name: string; args: string[]; force?: string }> = [
  { name: 'restore P', args: ['action', 'P', 'restore'] },
  { name: 'restore Q', args: ['action', 'Q', 'restore'] },
  { name: 'remove R', args: ['action', 'R', 'remove'] },
  { name: 'delete R', args: ['delete', 'R'] },
  { name: 'delete Q', args: ['delete', 'Q'] },
  { name: 'delete C --force', args: ['delete', 'C', '--force'], force: 'C' },
  { name: 'delete P', args: ['delete', 'P'] },
  { name: 'unextend P node-a', args: ['unextend', 'P', '--server', 'node-a'] },
  { name: 'unextend C node-b', args: ['unextend', 'C', '--server', 'node-b'] },
  { name: 'extend Q node-b 2', args: ['extend', 'Q', '--server', 'node-b', '--priority', '2'] },
  { name: 'extend Q node-c 2', args: ['extend', 'Q', '--server', 'node-c', '--priority', '2'] },
  { name: 'dep add P Q', args: ['dep', 'add', 'P', 'Q'] },
  { name: 'dep add Q R', args: ['dep', 'add', 'Q', 'R'] },
  { name: 'dep remove P C', args: ['dep', 'remove', 'P', 'C'] },
];

describe('every pair of lifecycle commands, concurrently', () => {
  it('keeps one priority per server, children on every server of their parents, no in-service resource deleted without --force', {
    timeout: 600_000,
  }, async () => {
    const sb = recSandbox();
    // C and P on node-a and node-b, P depends on C; Q on node-a only; R in service on node-a.
    for (const t of ['C', 'P', 'Q', 'R']) await sb.create(t, ['sleepMs=400']);
    for (const t of ['C', 'P']) await sb.ok(['extend', t, '--server', 'node-b', '--priority', '2']);
    await sb.ok(['dep', 'add', 'P', 'C']);
    await sb.ok(['action', 'R', 'restore']);
    const storeFile = new FileStore(sb.stateDir).file;
    const start = sb.storeBytes();
    const failures: string[] = [];
    for (let i = 0; i < COMMANDS.length; i++) {
      for (let j = i + 1; j < COMMANDS.length; j++) {
        const a = COMMANDS[i]!;
        const b = COMMANDS[j]!;
        writeFileSync(storeFile, start, { mode: 0o600 });
        for (const f of readdirSync(sb.dir)) if (f.endsWith('.up')) rmSync(join(sb.dir, f));
        writeFileSync(join(sb.dir, 'R@node-a.up'), '');
        const first = sb.run(a.args);
        await new Promise((r) => setTimeout(r, 250));
        const second = sb.run(b.args);
        const [ra, rb] = await Promise.all([first, second]);
        for (const [c, r] of [
          [a, ra],
          [b, rb],
        ] as const) {
          if (r.exitCode === 70 || /\n\s+at .+:\d+:\d+/.test(r.stderr)) failures.push(`${a.name} | ${b.name}: ${c.name} crashed: ${r.stderr}`);
        }
        const forced = new Set([a, b].filter((c) => c.force).map((c) => c.force!));
        for (const v of invariants(sb, forced)) failures.push(`${a.name} | ${b.name}: ${v}`);
      }
    }
    expect(existsSync(storeFile)).toBe(true);
    expect(failures).toEqual([]);
  });
});
