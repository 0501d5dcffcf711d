/** Seed 000's failover table for the Openswan resource: its four cases, and the edges. */
import { describe, expect, it } from 'vitest';
import { decideFailover, type NodeHealth } from '../src/failover.ts';

describe('failover decision (seed 000, Openswan resource)', () => {
  it('both recoveries succeed: no failover', () => {
    expect(decideFailover('recovered', 'recovered')).toMatchObject({ failover: false, reportSuccess: true, keepTrying: false });
  });
  it('active succeeds, standby fails: no failover, the standby keeps trying', () => {
    expect(decideFailover('recovered', 'failed')).toMatchObject({ failover: false, reportSuccess: true, keepTrying: true });
  });
  it('active fails, standby succeeds: fail over', () => {
    const d = decideFailover('failed', 'recovered');
    expect(d).toMatchObject({ failover: true, reportSuccess: false });
    expect(d.reason).toMatch(/fail over to the standby/);
  });
  it('both fail: no failover, report success and keep trying', () => {
    const d = decideFailover('failed', 'failed');
    expect(d).toMatchObject({ failover: false, reportSuccess: true, keepTrying: true });
    expect(d.reason).toMatch(/both VPN nodes/);
  });
  it('a healthy node counts as a successful recovery; an unknown standby is no place to move to', () => {
    expect(decideFailover('healthy', 'healthy')).toMatchObject({ failover: false, keepTrying: false });
    expect(decideFailover('failed', 'healthy')).toMatchObject({ failover: true });
    expect(decideFailover('failed', 'unknown')).toMatchObject({ failover: false, reportSuccess: true, keepTrying: true });
    expect(decideFailover('healthy', 'unknown')).toMatchObject({ failover: false, keepTrying: true });
  });
  it('fails over in exactly one of the 16 combinations of states', () => {
    const all: NodeHealth[] = ['healthy', 'recovered', 'failed', 'unknown'];
    const moves = all.flatMap((a) => all.map((s) => [a, s, decideFailover(a, s).failover] as const)).filter(([, , f]) => f);
    expect(moves.map(([a, s]) => `${a}/${s}`)).toEqual(['failed/healthy', 'failed/recovered']);
    expect(decideFailover('unknown', 'healthy').failover).toBe(false);
  });
});
