/**
 * Instance power state as EC2 runs it, for fencing (`fence_aws` stops and starts instances and
 * reads their state with DescribeInstances): StopInstances moves a running instance to `stopping`
 * and, after `instanceStopDelayMs`, to `stopped`; StartInstances moves a stopped one to `pending`
 * and, after `instanceStartDelayMs`, to `running`. Every change is an event: listeners in this
 * process (`emu.onInstanceState`) and a numbered log for other processes (the control API's
 * `GET /_emulator/ec2/instance-events?after=N&waitMs=M`), so that a lab can power a node off when
 * its instance stops.
 */
import type { Ec2Region, Instance, InstanceStateName } from './state.ts';

export interface InstanceStateEvent {
  /** 1, 2, 3... in the order the changes happened. */
  seq: number;
  at: string;
  region: string;
  instanceId: string;
  previous: InstanceStateName;
  current: InstanceStateName;
  /** What made the change: the API call, the end of a transition, or the control API. */
  cause: 'StopInstances' | 'StartInstances' | 'transition' | 'control';
}

export type InstanceStateListener = (event: InstanceStateEvent) => void;

const MAX_EVENTS = 10_000;

export class InstanceLifecycle {
  readonly #listeners = new Set<InstanceStateListener>();
  readonly #events: InstanceStateEvent[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #waiters = new Set<() => void>();
  #seq = 0;

  constructor(private readonly delays: () => { stopMs: number; startMs: number }) {}

  /** Calls `listener` for every state change; returns the function that removes it. */
  on(listener: InstanceStateListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The recorded events with seq > `after`. */
  events(after = 0): InstanceStateEvent[] {
    return this.#events.filter((e) => e.seq > after);
  }

  /** Events with seq > `after`, waiting up to `waitMs` for the first one (long poll). */
  async waitEvents(after: number, waitMs: number): Promise<InstanceStateEvent[]> {
    const now = this.events(after);
    if (now.length || waitMs <= 0) return now;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, waitMs);
      this.#waiters.add(done);
    });
    return this.events(after);
  }

  /** Sets the state now and tells everyone (no event when it does not change). */
  set(region: Ec2Region, instance: Instance, next: InstanceStateName, cause: InstanceStateEvent['cause']): void {
    const previous = instance.state;
    if (previous === next) return;
    instance.state = next;
    const event: InstanceStateEvent = {
      seq: ++this.#seq,
      at: new Date().toISOString(),
      region: region.region,
      instanceId: instance.instanceId,
      previous,
      current: next,
      cause,
    };
    this.#events.push(event);
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
    for (const l of this.#listeners) {
      try {
        l(event);
      } catch {
        // a listener's failure is its own
      }
    }
    for (const w of [...this.#waiters]) w();
  }

  /** StopInstances for one instance: running/pending -> stopping -> (delay) stopped. Returns [previous, current]. */
  stop(region: Ec2Region, instance: Instance): [InstanceStateName, InstanceStateName] {
    const previous = instance.state;
    if (previous === 'stopped' || previous === 'stopping') return [previous, previous];
    this.set(region, instance, 'stopping', 'StopInstances');
    this.#after(this.delays().stopMs, region, instance, 'stopping', 'stopped');
    return [previous, 'stopping'];
  }

  /** StartInstances for one instance: stopped -> pending -> (delay) running. Returns [previous, current]. */
  start(region: Ec2Region, instance: Instance): [InstanceStateName, InstanceStateName] {
    const previous = instance.state;
    if (previous === 'running' || previous === 'pending') return [previous, previous];
    this.set(region, instance, 'pending', 'StartInstances');
    this.#after(this.delays().startMs, region, instance, 'pending', 'running');
    return [previous, 'pending'];
  }

  #after(ms: number, region: Ec2Region, instance: Instance, from: InstanceStateName, to: InstanceStateName): void {
    const finish = () => {
      // Only if nothing changed it meanwhile (another call, a reset, the control API).
      if (region.instances.get(instance.instanceId) === instance && instance.state === from) this.set(region, instance, to, 'transition');
    };
    if (ms <= 0) {
      finish();
      return;
    }
    const t = setTimeout(() => {
      this.#timers.delete(t);
      finish();
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  /** Cancels pending transitions and forgets the events (reset of the state). */
  clear(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#events.length = 0;
    for (const w of [...this.#waiters]) w();
  }
}
