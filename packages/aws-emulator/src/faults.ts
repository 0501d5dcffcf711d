/** Fault injection rules, matched per call by service, action, region and instance. */

export type Service = 'ec2' | 'route53' | 'imds';

export type FaultKind =
  /** Service-specific throttling error: EC2 `RequestLimitExceeded` (503), Route53 `Throttling` (400), IMDS 429. */
  | 'throttle'
  /** An error response with the given status/code (default: 500 InternalError / InternalFailure, IMDS 500). */
  | 'error'
  /** Answer after `latencyMs` more milliseconds (composes with the other kinds). */
  | 'latency'
  /** Destroy the socket without any answer. */
  | 'drop'
  /** Access denied: EC2 `UnauthorizedOperation` (403), Route53 `AccessDenied` (403), IMDS 403. */
  | 'unauthorized';

export interface FaultRule {
  kind: FaultKind;
  /** Limit to one service; default all. */
  service?: Service;
  /** Action name (`ReplaceRoute`, `ChangeResourceRecordSets`, `IMDS:GetMetadata`...) or `*` (default). */
  action?: string;
  /** EC2 region (from the SigV4 scope) this rule applies to; default all. */
  region?: string;
  /** IMDS instance this rule applies to; default all. */
  instanceId?: string;
  /** Fire for the next N matching calls, then disappear. Default unlimited. */
  count?: number;
  /** Let the first N matching calls through before firing. Default 0. */
  skip?: number;
  /** Fire with this probability (0..1) per matching call. Default 1. */
  probability?: number;
  /** For `error`: HTTP status and error code / message. */
  status?: number;
  code?: string;
  message?: string;
  /** For `latency`. */
  latencyMs?: number;
}

export interface ActiveFault extends FaultRule {
  id: string;
  /** How many times the rule fired. */
  fired: number;
  /** How many matching calls the rule has seen. */
  seen: number;
}

export interface CallContext {
  service: Service;
  action: string;
  region?: string;
  instanceId?: string;
}

export interface FaultDecision {
  latencyMs: number;
  /** Terminal fault (throttle/error/drop/unauthorized) to apply, if any. */
  fault?: ActiveFault;
}

let nextId = 1;

export class FaultController {
  private rules: ActiveFault[] = [];
  /** Random source (replaceable in tests for deterministic probabilities). */
  random: () => number = Math.random;

  add(rule: FaultRule): string {
    const id = `fault-${nextId++}`;
    this.rules.push({ ...rule, id, fired: 0, seen: 0 });
    return id;
  }

  /** Throttle the next `count` calls (default: every call) of an action (`*` = any). */
  throttle(action = '*', opts: Omit<FaultRule, 'kind' | 'action'> = {}): string {
    return this.add({ ...opts, kind: 'throttle', action });
  }

  /** Fail calls with a server error (default 500 InternalError). */
  error(action = '*', opts: Omit<FaultRule, 'kind' | 'action'> = {}): string {
    return this.add({ ...opts, kind: 'error', action });
  }

  latency(action: string, latencyMs: number, opts: Omit<FaultRule, 'kind' | 'action' | 'latencyMs'> = {}): string {
    return this.add({ ...opts, kind: 'latency', action, latencyMs });
  }

  drop(action = '*', opts: Omit<FaultRule, 'kind' | 'action'> = {}): string {
    return this.add({ ...opts, kind: 'drop', action });
  }

  unauthorized(action = '*', opts: Omit<FaultRule, 'kind' | 'action'> = {}): string {
    return this.add({ ...opts, kind: 'unauthorized', action });
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** Decide what happens to one call (consumes counted rules). */
  decide(ctx: CallContext): FaultDecision {
    const decision: FaultDecision = { latencyMs: 0 };
    for (const rule of [...this.rules]) {
      if (!matches(rule, ctx)) continue;
      if (decision.fault && rule.kind !== 'latency') continue;
      rule.seen++;
      if (rule.skip !== undefined && rule.seen <= rule.skip) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired++;
      if (rule.count !== undefined && rule.fired >= rule.count) this.remove(rule.id);
      if (rule.kind === 'latency') decision.latencyMs += rule.latencyMs ?? 0;
      else decision.fault = rule;
    }
    return decision;
  }
}

function matches(rule: FaultRule, ctx: CallContext): boolean {
  if (rule.service && rule.service !== ctx.service) return false;
  if (rule.action && rule.action !== '*' && rule.action !== ctx.action) return false;
  if (rule.region && ctx.service === 'ec2' && rule.region !== ctx.region) return false;
  if (rule.instanceId && rule.instanceId !== ctx.instanceId) return false;
  return true;
}
