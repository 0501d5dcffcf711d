import type { Service } from './faults.ts';

export interface CallRecord {
  seq: number;
  time: string;
  service: Service;
  action: string;
  region?: string;
  instanceId?: string;
  /** Access key id from the SigV4 scope (never the secret or signature). */
  accessKeyId?: string;
  status: number;
  errorCode?: string;
  /** Fault kind applied to this call, if any. */
  fault?: string;
  durationMs: number;
  /** Selected request parameters (ids and CIDRs, no secrets) for debugging. */
  params?: Record<string, string>;
}

export interface CallQuery {
  service?: Service;
  action?: string;
  region?: string;
  instanceId?: string;
  /** Only calls that succeeded (2xx). */
  ok?: boolean;
}

/** Log of every API call the emulator received (including faulted ones). */
export class CallLog {
  private records: CallRecord[] = [];
  private seq = 0;
  /** Maximum number of kept records (counters stay exact beyond that). */
  limit = 100_000;
  private counters = new Map<string, number>();

  record(r: Omit<CallRecord, 'seq' | 'time'>): CallRecord {
    const rec: CallRecord = { seq: ++this.seq, time: new Date().toISOString(), ...r };
    this.records.push(rec);
    if (this.records.length > this.limit) this.records.splice(0, this.records.length - this.limit);
    this.counters.set(rec.action, (this.counters.get(rec.action) ?? 0) + 1);
    return rec;
  }

  list(q: CallQuery = {}): CallRecord[] {
    return this.records.filter((r) => matches(r, q));
  }

  /** Number of calls of an action (or all calls), including failed and faulted ones. */
  count(action?: string | CallQuery): number {
    if (action === undefined) return this.seq === 0 ? 0 : [...this.counters.values()].reduce((a, b) => a + b, 0);
    if (typeof action === 'string') return this.counters.get(action) ?? 0;
    return this.list(action).length;
  }

  /** Calls per action name. */
  byAction(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.records = [];
    this.counters.clear();
  }
}

function matches(r: CallRecord, q: CallQuery): boolean {
  if (q.service && r.service !== q.service) return false;
  if (q.action && r.action !== q.action) return false;
  if (q.region && r.region !== q.region) return false;
  if (q.instanceId && r.instanceId !== q.instanceId) return false;
  if (q.ok !== undefined && q.ok !== (r.status >= 200 && r.status < 300)) return false;
  return true;
}
