/**
 * Seed 000's failover rule for the Openswan resource, as a pure function. Both VPN nodes (the
 * active one, whose ENI the route tables point at, and the standby) keep their own tunnel up and
 * check it; a failed check runs local recovery on that node first. Then:
 *
 * | active node's recovery | standby node's recovery | decision |
 * | --- | --- | --- |
 * | succeeds | succeeds | no failover |
 * | succeeds | fails | no failover (the standby keeps trying) |
 * | fails | succeeds | **fail over** to the standby |
 * | fails | fails | no failover; report success and keep trying (moving cannot keep the path) |
 *
 * "Healthy" (no recovery was needed) counts as success. "Unknown" (the check could not tell)
 * is neither: an unknown standby is no place to move to, and an unknown active node is not a
 * failed one. Neither fails over.
 */
export type NodeHealth = 'healthy' | 'recovered' | 'failed' | 'unknown';

export interface FailoverDecision {
  failover: boolean;
  /** What the active node's recover should report: true = success (stay in service). */
  reportSuccess: boolean;
  /** Keep checking and recovering the tunnels that are down (on whichever node). */
  keepTrying: boolean;
  /** One sentence for the log. */
  reason: string;
}

const ok = (h: NodeHealth) => h === 'healthy' || h === 'recovered';

export function decideFailover(active: NodeHealth, standby: NodeHealth): FailoverDecision {
  if (ok(active)) {
    return ok(standby)
      ? {
          failover: false,
          reportSuccess: true,
          keepTrying: false,
          reason: `the active node's tunnel is ${active} and the standby's is ${standby}: no failover`,
        }
      : {
          failover: false,
          reportSuccess: true,
          keepTrying: true,
          reason: `the active node's tunnel is ${active}; the standby's is ${standby}: no failover, the standby keeps trying`,
        };
  }
  if (active === 'unknown')
    return {
      failover: false,
      reportSuccess: true,
      keepTrying: true,
      reason: `the active node's tunnel state is unknown (its check did not answer): no failover on a guess, keep trying`,
    };
  if (ok(standby))
    return {
      failover: true,
      reportSuccess: false,
      keepTrying: false,
      reason: `the active node's recovery failed and the standby's tunnel is ${standby}: fail over to the standby`,
    };
  return {
    failover: false,
    reportSuccess: true,
    keepTrying: true,
    reason:
      standby === 'unknown'
        ? "the active node's recovery failed and the standby's state is unknown: no failover (moving may not keep the path), keep trying"
        : 'the recovery failed on both VPN nodes: no failover (moving cannot keep the path), report success and keep trying',
  };
}
