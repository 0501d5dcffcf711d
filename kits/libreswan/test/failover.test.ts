/** Seed 000's failover table for the Openswan resource: its four cases, and the edges. */
import { describe, expect, it } from 'vitest';
import { decideFailover, type NodeHealth } from '../src/failover.ts';
import { attributeOf, freshDegraded, healthOfValue, parseAttrdQuery, parseHealthOutput } from '../src/standby.ts';

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

describe("the health every VPN node publishes (node attribute rk-health-TAG) and the standby's as read", () => {
  it('parses attrd_updater -Q -A output, one line per node', () => {
    expect(parseAttrdQuery('name="rk-health-vpn" host="vpn-a" value="degraded:1796163439"\nname="rk-health-vpn" host="vpn-b" value="healthy"\n')).toEqual([
      { host: 'vpn-a', value: 'degraded:1796163439' },
      { host: 'vpn-b', value: 'healthy' },
    ]);
    expect(attributeOf('vpn/east')).toBe('rk-health-vpn_east');
  });
  it('reads a standbyHealth command: kit-runner --json, or the first health word; anything else is unknown', () => {
    expect(parseHealthOutput('{"health":"recovered","detail":"x"}')).toBe('recovered');
    expect(parseHealthOutput('{"result":{"health":"failed"}}')).toBe('failed');
    expect(parseHealthOutput('failed: recovery failed')).toBe('failed');
    expect(parseHealthOutput('ssh: connect to host vpn-b port 22: No route to host')).toBe('unknown');
    expect(healthOfValue('degraded:1')).toBe('failed');
  });
  it('a degraded mark is fresh for a while only (the agent re-checks right after recover)', () => {
    const now = 1_796_163_439_000;
    expect(freshDegraded(`degraded:${now / 1000 - 10}`, now)).toBe(true);
    expect(freshDegraded(`degraded:${now / 1000 - 600}`, now)).toBe(false);
    expect(freshDegraded('failed', now)).toBe(false);
    expect(freshDegraded(undefined, now)).toBe(false);
  });
});
