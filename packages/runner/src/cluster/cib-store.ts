/**
 * The cluster's store (KIT_RUNNER_STORE=cib): a {@link Store} backed by Pacemaker's CIB, so every
 * node reads and writes the same hierarchies.
 * - read(): `cibadmin --query` (the whole CIB, XML), our part of its configuration in the store
 *   form (cib-import.ts, with each server's kit info, info.ts), each server's state from
 *   `crm_mon --output-as=xml`: ISP where Pacemaker has the resource active, OSF where it failed
 *   there, OSU elsewhere. States are Pacemaker's: a change of states only is never written.
 * - update(change): read (remembering the CIB's version: admin_epoch, epoch, num_updates), apply
 *   `change` to a copy, generate the configuration before and after (cib.ts) and carry the
 *   difference over to the live configuration (cib-write.ts); when it differs, write the whole
 *   CIB as read with that configuration in ONE `cibadmin --replace`. Pacemaker refuses a
 *   whole-CIB replace older than its CIB (exit 103, "Update was older than existing
 *   configuration": cib_process_replace compares the three version fields) and bumps the epoch of
 *   one it takes, so a writer that got in between our read and our write (a node's extend, a
 *   `crm_resource`, a status update) is never overwritten: we read again and re-apply `change`,
 *   up to `attempts` times (then exit 11, CIB_CHANGED). A configuration-scope replace has no such
 *   guard (it takes the version from the live CIB), nor does re-reading before writing: the gap
 *   between the check and the write stays (cluster-store.test.ts shows both).
 * - reserve(): the local store's reservation (a lock file on this node), as in file mode: two
 *   commands on one node never act on one hierarchy at once; across nodes the version guard keeps
 *   every write, and the lifecycle commands check the store inside `change` (docs/contribute/store.md).
 * - history(): the local store's history file on this node.
 * Secrets are never written to the CIB: they stay in 0600 files in each node's state directory.
 */
import type * as ChildProcess from 'node:child_process';
import { ConflictError, KitError } from '@recovery-kit/sdk';
import { builtin } from '../builtin.ts';
import type { Lock } from '../lock.ts';
import type { LockRequest, Store, StoreData } from '../store.ts';
import { generate, type KitFacts } from './cib.ts';
import { importCib } from './cib-import.ts';
import { nextConfiguration } from './cib-write.ts';
import { loadFacts } from './facts.ts';
import { parsePlacement, type Placement } from './move.ts';
import { kid, parseXml, serialize, type El } from './xml.ts';

/** Runs a Pacemaker CLI tool synchronously (the Store interface is synchronous). */
export interface SyncCib {
  run(argv: readonly string[], input?: string): { code: number; stdout: string; stderr: string };
}

export const localSyncCib: SyncCib = {
  run(argv, input) {
    // node:child_process on first use: a file-mode process (a status, a monitor) loads this module
    // (file-store.ts) without ever running a Pacemaker tool; child_process and the net and stream
    // modules under it are about 2.5 ms of its start.
    const { spawnSync } = builtin<typeof ChildProcess>('node:child_process');
    const r = spawnSync(argv[0]!, argv.slice(1), { input: input ?? '', encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return { code: r.error ? 127 : (r.status ?? 1), stdout: r.stdout ?? '', stderr: r.stderr ?? (r.error?.message || '') };
  },
};

/** crm_error's CRM_EX_OLD: the CIB refused an update older than itself. */
export const CRM_EX_OLD = 103;

export interface CibStoreOptions {
  /** This node's file store: reservations and history stay local. */
  local: Store;
  kitsDirs: readonly string[];
  tunablesPath: string;
  cib?: SyncCib;
  /** Writes tried before giving up when the CIB keeps changing underneath (default 5). */
  attempts?: number;
}

interface Snapshot {
  cib: El;
  conf: El;
  data: StoreData;
}

/** Each server's state from where Pacemaker has the resource (crm_mon). */
export function applyStates(data: StoreData, where: Placement): void {
  for (const [tag, r] of Object.entries(data.resources)) {
    const p = where.resources[tag];
    for (const [server, e] of Object.entries(r.servers)) {
      const here = p?.nodes.includes(server) ?? false;
      // A promotable clone is in service where it is Promoted; an Unpromoted instance (a mirror's target) is a standby.
      const role = p?.roles ? (p.promoted.includes(server) ? 'Promoted' : 'Unpromoted') : p?.role;
      e.state = here && p?.failed ? 'OSF' : here && (role === 'Started' || role === 'Promoted') ? 'ISP' : 'OSU';
      e.reason = here ? `pacemaker: ${role}${p!.failed ? ' (failed)' : ''}` : `pacemaker: not active on ${server}`;
    }
  }
}

/** The store data without what Pacemaker owns (states, reasons, checks): what a write is about. */
function configOf(data: StoreData): string {
  const strip = (e: object) => {
    const { state: _s, reason: _r, since: _t, pending: _p, unknown: _u, lastCheck: _l, failures: _f, ...rest } = e as Record<string, unknown>;
    return rest;
  };
  return JSON.stringify({
    resources: Object.fromEntries(
      Object.entries(data.resources).map(([t, r]) => [t, { ...r, servers: Object.fromEntries(Object.entries(r.servers).map(([s, e]) => [s, strip(e)])) }]),
    ),
    dependencies: data.dependencies,
  });
}

function failed(what: string, r: { code: number; stderr: string; stdout: string }): KitError {
  return new KitError(`${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, {
    code: r.code === 127 ? 'NOT_INSTALLED' : 'CIB_FAILED',
    exitCode: r.code === 127 ? 5 : 1,
    fix:
      r.code === 127
        ? 'install pacemaker-cli-utils (cibadmin, crm_mon) on this node'
        : 'check that this node is an online cluster member ("crm_mon -1"); "kit-runner cluster apply --dry-run" shows the XML',
  });
}

export class CibStore implements Store {
  readonly #o: CibStoreOptions;
  readonly #cib: SyncCib;
  readonly #facts = new Map<string, KitFacts>();
  #reads = 0;
  #writes = 0;
  /** Writes Pacemaker refused as older than its CIB (each one retried). */
  conflicts = 0;

  constructor(o: CibStoreOptions) {
    this.#o = o;
    this.#cib = o.cib ?? localSyncCib;
  }

  get location(): string {
    return process.env.CIB_file ? `the CIB in ${process.env.CIB_file}` : 'the Pacemaker CIB';
  }

  get reads(): number {
    return this.#reads;
  }

  get writes(): number {
    return this.#writes;
  }

  /**
   * Loads what writing needs from the kits (their timeouts and secret options, facts.ts): those of
   * the CIB's resources and `kitTypes` (a kit about to be created). Before any update().
   */
  async prepare(kitTypes: Iterable<string> = []): Promise<void> {
    const wanted = new Set([...Object.values(this.#snapshot().data.resources).map((r) => r.kit), ...kitTypes]);
    const missing = [...wanted].filter((k) => !this.#facts.has(k));
    if (!missing.length) return;
    for (const [k, f] of await loadFacts(this.#o.kitsDirs, this.#o.tunablesPath, missing)) this.#facts.set(k, f);
  }

  read(): StoreData {
    return this.#snapshot().data;
  }

  #snapshot(): Snapshot {
    this.#reads++;
    const q = this.#cib.run(['cibadmin', '--query']);
    if (q.code !== 0) throw failed('cibadmin --query', q);
    const cib = parseXml(q.stdout, 'cibadmin --query');
    const conf = kid(cib, 'configuration');
    if (cib.name !== 'cib' || !conf) throw failed('cibadmin --query', { code: 1, stdout: '', stderr: 'the answer is not a <cib> with a <configuration>' });
    const data = importCib(cib);
    const mon = this.#cib.run(['crm_mon', '--output-as=xml', '-1']);
    if (mon.code !== 0 && !mon.stdout.includes('<pacemaker-result')) throw failed('crm_mon --output-as=xml', mon);
    applyStates(data, parsePlacement(mon.stdout));
    return { cib, conf, data };
  }

  update<T>(change: (data: StoreData) => T): T {
    const attempts = this.#o.attempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const snap = this.#snapshot();
      const data = structuredClone(snap.data);
      const result = change(data);
      if (configOf(data) === configOf(snap.data)) return result;
      const next = nextConfiguration(snap.conf, generate(snap.data, this.#factsFor(snap.data)), generate(data, this.#factsFor(data)));
      if (serialize(next) === serialize(snap.conf)) return result;
      // The whole CIB as read (its version attributes and status untouched), our configuration in it.
      const whole = { ...snap.cib, children: snap.cib.children.map((c) => (c.name === 'configuration' ? next : c)) };
      const r = this.#cib.run(['cibadmin', '--replace', '--xml-pipe'], serialize(whole));
      if (r.code === 0) {
        this.#writes++;
        return result;
      }
      if (r.code !== CRM_EX_OLD) throw failed('cibadmin --replace', r);
      this.conflicts++;
      if (attempt >= attempts)
        throw new ConflictError(`the CIB changed under each of ${attempts} attempts to write it; nothing of this command was written`, {
          code: 'CIB_CHANGED',
          field: 'CIB',
          fix: 'run the command again (something is writing the CIB continuously: see "crm_mon -1" and the cluster log)',
        });
      // Another writer got in between: let it finish, then read again and re-apply the change.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 * attempt + Math.floor(Math.random() * 30));
    }
  }

  #factsFor(data: StoreData): Map<string, KitFacts> {
    for (const r of Object.values(data.resources))
      if (!this.#facts.has(r.kit))
        throw new KitError(`the kit facts of ${r.kit} (resource ${r.tag}) were not loaded before writing the CIB`, {
          code: 'INTERNAL',
          fix: 'a cluster-mode command must call CibStore.prepare() first; please report this',
        });
    return this.#facts;
  }

  history(entry: Record<string, unknown>): void {
    this.#o.local.history(entry);
  }

  reserve(name: string, request: LockRequest): Promise<Lock> {
    return this.#o.local.reserve(name, request);
  }
}
