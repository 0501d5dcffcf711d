/**
 * The Route53 kit's actions: keeps a service's DNS name (an A record, AAAA for an IPv6 address) in a
 * Route 53 hosted zone pointed at the address its IP child resource has on the active server,
 * so clients follow the service across availability zones and regions (LifeKeeper's Route53
 * Recovery Kit; the cross-region guide's Route53 -> EC2 -> IP hierarchy).
 *
 * - create: lists the account's hosted zones (logged), finds the zone by name (or id), checks the
 *   host name, and makes the named IP resource this resource's child.
 * - restore / recover: read the record; when it already holds the address (and TTL), nothing
 *   changes. Otherwise UPSERT it and poll GetChange until INSYNC (short first poll, growing to
 *   ROUTE53_CHANGEID_INTERVAL, ROUTE53_CHANGEID_TRY_COUNT x ROUTE53_CHANGEID_INTERVAL in all),
 *   then read it back. A change still PENDING when the wait runs out fails with a message that
 *   says the update was accepted; the next restore then succeeds without a new change.
 * - quickCheck: reads the record (ROUTE53_RECORDCHECK_*); unreadable -> unknown (logged),
 *   missing or another address -> failed (recover UPSERTs it again).
 * - remove: leaves the record in place (the next restore, here or elsewhere, UPSERTs it; no
 *   window in which the name does not resolve and resolvers cache NXDOMAIN).
 *
 * See README.md for the options, tunables, IAM actions and failure modes.
 */
import { ActionFailedError, ConfigError, ExitCode, KitError, editDistance, parseCidr, type DependencyView, type QuickCheckResult } from '@recovery-kit/sdk';
import { canonicalIp } from '@recovery-kit/sdk/util';
import {
  describeZone,
  listZones,
  readRecord,
  upsertRecord,
  waitInsync,
  type Io,
  type RecordValue,
  type RetryPolicy,
  type Route53Api,
  type WaitPolicy,
  type Zone,
} from './api.ts';
import { lazyRoute53 } from './aws.ts';
import { bareZoneId, canonicalZone, fqdnOf, looksLikeZoneId } from './names.ts';
import type { Ctx } from './options.ts';

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it). */
export const checkLevels = {
  0: "no request: the IP child's address on this server is known (the record holds it since start or the last deeper check). A record changed behind its back is not seen.",
  10: 'one Route 53 request: ListResourceRecordSets for the record, in the zone create recorded (no ListHostedZones); sees a record missing or holding another address. Never writes (unlike aws-vpc-route53, resource-agents#2067).',
} as const;

/** The Route 53 client of an action (the SDK loads at its first call). */
export const clientOf = lazyRoute53;

// ------------------------------------------------------------------------------------------ helpers

/** What the record must hold on this server: the IP child's address. */
export interface Target {
  child: string;
  address: string;
  family: 4 | 6;
  type: 'A' | 'AAAA';
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function suggestTag(ctx: { options: { host?: string } }): string {
  return `route53-${ctx.options.host ?? '<host>'}`;
}

export function targetOf(ctx: Pick<Ctx, 'tag' | 'server' | 'options' | 'children'>): Target {
  const child: DependencyView | undefined = ctx.children.find((c) => c.tag === ctx.options.ip);
  if (!child) {
    const others = ctx.children.filter((c) => c.kitType === 'ip').map((c) => c.tag);
    throw new KitError(`${ctx.tag} has no IP child resource "${ctx.options.ip}" on ${ctx.server}: the record's value is the address of that IP resource`, {
      code: 'ROUTE53_NO_IP_CHILD',
      exitCode: ExitCode.INVALID_CONFIG,
      field: 'ip',
      fix: others.length
        ? `its IP child is ${others.join(', ')}, but the ip option names ${ctx.options.ip}: make them agree (kit-runner dep add ${ctx.tag} ${ctx.options.ip})`
        : `make the IP resource a child again: kit-runner dep add ${ctx.tag} ${ctx.options.ip} (extend ${ctx.options.ip} to every server of ${ctx.tag} first)`,
    });
  }
  const text = str(child.options.address) ?? str(child.info.cidr) ?? str(child.info.address);
  const cidr = text ? parseCidr(text) : undefined;
  if (!cidr) {
    throw new KitError(
      `the child ${child.tag} (kit ${child.kitType}) has no IP address on ${ctx.server}${text ? ` (${JSON.stringify(text)} is not one)` : ''}`,
      {
        code: 'ROUTE53_NO_ADDRESS',
        exitCode: ExitCode.INVALID_CONFIG,
        field: 'ip',
        fix: `the ip option must name an IP resource (kit ip) with an address on every server: kit-runner status ${child.tag}`,
      },
    );
  }
  return { child: child.tag, address: cidr.address, family: cidr.family, type: cidr.family === 6 ? 'AAAA' : 'A' };
}

interface Policies {
  ttl: number;
  record: RetryPolicy;
  check: RetryPolicy;
  wait: WaitPolicy;
}

function policies(ctx: Pick<Ctx, 'options' | 'tunables'>): Policies {
  const t = ctx.tunables;
  const interval = t.number('ROUTE53_CHANGEID_INTERVAL') * 1000;
  return {
    ttl: ctx.options.ttl ?? t.int('ROUTE53_TTL'),
    record: { tries: t.int('ROUTE53_RECORD_TRY_COUNT'), intervalMs: t.number('ROUTE53_RECORD_INTERVAL') * 1000 },
    check: { tries: t.int('ROUTE53_RECORDCHECK_TRY_COUNT'), intervalMs: t.number('ROUTE53_RECORDCHECK_INTERVAL') * 1000 },
    wait: { firstMs: t.number('ROUTE53_CHANGEID_FIRST_INTERVAL') * 1000, maxIntervalMs: interval, budgetMs: t.int('ROUTE53_CHANGEID_TRY_COUNT') * interval },
  };
}

/** The action's deadline (ctx.deadline) minus a reserve, so the kit reports its own clear failure before the runner's timeout. */
export function ioOf(ctx: Pick<Ctx, 'logger' | 'signal' | 'timeoutMs' | 'deadline'>): Io {
  const reserve = Math.min(5000, ctx.timeoutMs * 0.1);
  return { logger: ctx.logger, signal: ctx.signal, deadline: ctx.deadline - reserve };
}

function holds(r: RecordValue | undefined, address: string): boolean {
  return (
    r !== undefined && r.alias === undefined && r.values.length === 1 && (canonicalIp(r.values[0]!.trim()) ?? r.values[0]!.trim().toLowerCase()) === address
  );
}

function describeRecord(r: RecordValue | undefined): string {
  if (!r) return 'absent';
  if (r.alias) return `an alias to ${r.alias}`;
  return `${r.values.join(', ') || '(no value)'} (TTL ${r.ttl ?? '-'})`;
}

/** Finds the zone the options name among the account's zones; throws a ConfigError listing them when it cannot. */
export function findZone(zones: Zone[], zone: string, zoneId: string | undefined, tag = 'route53-<host>'): Zone {
  const listing = zones.length ? zones.map(describeZone).join(', ') : '(none: the account has no hosted zones)';
  const wantId = zoneId ? bareZoneId(zoneId) : looksLikeZoneId(zone) ? bareZoneId(zone) : undefined;
  if (wantId) {
    const z = zones.find((x) => x.id === wantId);
    if (!z) {
      throw new ConfigError(`hosted zone ${wantId} not found; the account's hosted zones: ${listing}`, {
        field: zoneId ? 'zoneId' : 'zone',
        fix: 'give one of the zones listed (by name, e.g. --opt zone=example.com, or by id)',
        details: { zones },
      });
    }
    if (!looksLikeZoneId(zone) && z.name !== canonicalZone(zone)) {
      throw new ConfigError(`hosted zone ${wantId} is ${z.name}, not ${canonicalZone(zone)}`, {
        field: 'zoneId',
        fix: `give --opt zone=${z.name.replace(/\.$/, '')}, or the id of ${canonicalZone(zone)}`,
        details: { zones },
      });
    }
    return z;
  }
  const name = canonicalZone(zone);
  const matches = zones.filter((z) => z.name === name);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new ConfigError(`${matches.length} hosted zones are named ${name}: ${matches.map(describeZone).join(', ')}`, {
      field: 'zoneId',
      fix: `choose one with --opt zoneId=<id>, e.g. kit-runner create route53 --tag ${tag} --opt zone=${name.replace(/\.$/, '')} --opt zoneId=${matches[0]!.id} ...`,
      details: { zones: matches },
    });
  }
  const near = zones
    .filter((z) => editDistance(z.name, name) <= 2 || z.name.endsWith(`.${name}`) || name.endsWith(`.${z.name}`))
    .map((z) => z.name.replace(/\.$/, ''));
  throw new ConfigError(`hosted zone ${name} not found; the account's hosted zones: ${listing}`, {
    field: 'zone',
    fix: zones.length
      ? `${near.length ? `did you mean ${near.map((n) => `--opt zone=${n}`).join(' or ')}? ` : ''}give one of the zones listed (register the domain / create the zone in Route 53 first if it is missing)`
      : 'create the hosted zone in Route 53 first (or check that kit-runner uses the right AWS account)',
    details: { zones },
  });
}

/** The zone for a runtime action: from the zoneId create recorded (no API call), else looked up. */
async function zoneOf(ctx: Ctx, client: Route53Api, io: Io, p: Policies): Promise<{ id: string; name: string }> {
  const info = ctx.info as { zoneId?: unknown; zoneName?: unknown };
  if (ctx.options.zoneId && !looksLikeZoneId(ctx.options.zone)) return { id: bareZoneId(ctx.options.zoneId), name: canonicalZone(ctx.options.zone) };
  if (ctx.options.zoneId && typeof info.zoneName === 'string') return { id: bareZoneId(ctx.options.zoneId), name: canonicalZone(info.zoneName) };
  return findZone(await listZones(client, io, p.check), ctx.options.zone, ctx.options.zoneId, ctx.tag);
}

/** restore and recover: make the record hold the target address, wait for INSYNC, read it back. */
async function apply(ctx: Ctx): Promise<void> {
  const io = ioOf(ctx);
  const target = targetOf(ctx);
  const p = policies(ctx);
  const client = clientOf(ctx.tunables);
  const zone = await zoneOf(ctx, client, io, p);
  const fqdn = fqdnOf(ctx.options.host, zone.name);
  const current = await readRecord(client, io, p.check, zone, fqdn, target.type);
  if (holds(current, target.address) && current!.ttl === p.ttl) {
    ctx.logger.info(
      `${fqdn} ${target.type} already holds ${target.address} (TTL ${p.ttl}, the address of ${target.child} on ${ctx.server}): nothing to change`,
    );
    return;
  }
  ctx.logger.info(
    `${fqdn} ${target.type} is ${describeRecord(current)}; setting it to ${target.address} (TTL ${p.ttl}, the address of ${target.child} on ${ctx.server})`,
  );
  const { changeId } = await upsertRecord(
    client,
    io,
    p.record,
    zone,
    fqdn,
    target.type,
    p.ttl,
    target.address,
    `recovery-kit ${ctx.tag}: ${ctx.action} on ${ctx.server}`,
  );
  ctx.logger.info(`Route 53 accepted the change ${changeId}; waiting for INSYNC (up to ${p.wait.budgetMs / 1000} s)`);
  const w = await waitInsync(client, io, p.wait, changeId);
  if (w.status === 'PENDING') {
    const cut = Date.now() + 1000 >= io.deadline || w.waitedMs + 1000 < p.wait.budgetMs;
    const timeoutName = ctx.action === 'recover' ? 'RECOVER_TIMEOUT' : 'RESTORE_TIMEOUT';
    throw new ActionFailedError(
      `Route 53 accepted the change of ${fqdn} ${target.type} to ${target.address} (change ${changeId}), but it was still PENDING after ${(w.waitedMs / 1000).toFixed(1)} s and ${w.polls} GetChange poll${w.polls === 1 ? '' : 's'}: the record already holds the new value; its propagation to Route 53's DNS servers is slow${cut ? ` (the action's time limit, ${timeoutName}, cut the wait short)` : ''}`,
      {
        code: 'ROUTE53_CHANGE_PENDING',
        retryable: true,
        details: { changeId, fqdn, type: target.type, value: target.address, polls: w.polls, waitedMs: w.waitedMs },
        fix: `nothing needs repair: run the restore again (it finds ${target.address} in the record and succeeds without a new change); if this happens often raise ROUTE53_CHANGEID_TRY_COUNT (now ${ctx.tunables.int('ROUTE53_CHANGEID_TRY_COUNT')})${cut ? ` and ${timeoutName}` : ''}. "kit-runner action ${ctx.tag} show" shows the record`,
      },
    );
  }
  const after = await readRecord(client, io, p.check, zone, fqdn, target.type);
  if (!holds(after, target.address)) {
    throw new ActionFailedError(
      `${fqdn} ${target.type} is ${describeRecord(after)} right after the change to ${target.address} became INSYNC: something else changed it at the same time`,
      {
        code: 'ROUTE53_RECORD_CHANGED',
        fix: `find the other writer of ${fqdn} (another cluster, a second route53 resource for the same name, a deployment tool) and stop it, then run the action again`,
      },
    );
  }
  ctx.logger.info(
    `${fqdn} ${target.type} ${target.address}: change ${changeId} INSYNC after ${(w.waitedMs / 1000).toFixed(1)} s (${w.polls} GetChange poll${w.polls === 1 ? '' : 's'})`,
  );
}

export const actions = {
  async create(ctx: Ctx) {
    if (ctx.options.ip === ctx.tag)
      throw new ConfigError(`the ip option names this resource itself (${ctx.tag})`, {
        field: 'ip',
        fix: 'give the tag of the IP resource (kit-runner status lists the resources)',
      });
    const io = ioOf(ctx);
    const p = policies(ctx);
    const zones = await listZones(clientOf(ctx.tunables), io, p.check);
    ctx.logger.info(`hosted zones of the account: ${zones.length ? zones.map(describeZone).join(', ') : '(none)'}`);
    const zone = findZone(zones, ctx.options.zone, ctx.options.zoneId, ctx.tag);
    const fqdn = fqdnOf(ctx.options.host, zone.name);
    if (fqdn.length > 254) throw new ConfigError(`${fqdn} is longer than 253 characters`, { field: 'host', fix: 'use a shorter host name' });
    const conventional = suggestTag(ctx);
    if (ctx.tag !== conventional) ctx.logger.info(`tag ${ctx.tag}: the conventional tag for this resource is ${conventional} (LifeKeeper's default)`);
    ctx.logger.info(`${ctx.tag}: ${fqdn} in the ${zone.private ? 'private' : 'public'} zone ${zone.id} follows the address of IP resource ${ctx.options.ip}`);
    return {
      options: { ...ctx.options, zone: zone.name.replace(/\.$/, ''), zoneId: zone.id },
      info: { zoneId: zone.id, zoneName: zone.name, privateZone: zone.private, fqdn },
      children: [{ kitType: 'ip', tag: ctx.options.ip, options: {}, existing: true }],
    };
  },

  async extend(ctx: Ctx) {
    const target = targetOf(ctx);
    const zoneName = typeof ctx.info.zoneName === 'string' ? ctx.info.zoneName : canonicalZone(ctx.options.zone);
    const fqdn = fqdnOf(ctx.options.host, zoneName);
    ctx.logger.info(`on ${ctx.server}, ${fqdn} ${target.type} will hold ${target.address} (the address of ${target.child} there)`);
    return { info: { zoneId: ctx.options.zoneId, zoneName, fqdn, address: target.address, type: target.type } };
  },

  restore: apply,
  recover: apply,

  async remove(ctx: Ctx) {
    // Deliberately no API call: the record stays, the next restore (here or on another server)
    // UPSERTs it. Deleting it would open a window in which the name does not resolve and
    // resolvers cache the NXDOMAIN for the zone's negative TTL.
    const zoneName = typeof ctx.info.zoneName === 'string' ? ctx.info.zoneName : canonicalZone(ctx.options.zone);
    ctx.logger.info(`${fqdnOf(ctx.options.host, zoneName)} is left as it is: the next restore, here or on another server, points it at that server's address`);
  },

  async quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
    const io = ioOf(ctx);
    const target = targetOf(ctx);
    if (ctx.checkLevel < 10) {
      const zone = typeof ctx.info.zoneName === 'string' ? ctx.info.zoneName : canonicalZone(ctx.options.zone);
      return {
        status: 'ok',
        detail: `level 0, no Route 53 request: ${fqdnOf(ctx.options.host, zone)} ${target.type} last set to ${target.address} (${target.child} on ${ctx.server}) (OCF_CHECK_LEVEL=10 reads it)`,
      };
    }
    const p = policies(ctx);
    const client = clientOf(ctx.tunables);
    let zone: { id: string; name: string };
    let current: RecordValue | undefined;
    try {
      zone = await zoneOf(ctx, client, io, p);
      current = await readRecord(client, io, p.check, zone, fqdnOf(ctx.options.host, zone.name), target.type);
    } catch (err) {
      const e = err as KitError;
      if (e.details?.awsCode === 'NoSuchHostedZone') return { status: 'failed', reason: e.message };
      if (ctx.signal.aborted) throw err;
      const reason = `cannot read the record from Route 53: ${e.message}`;
      ctx.logger.warn(`${reason}; this check is skipped (no recovery), the next one tries again`);
      return { status: 'unknown', reason };
    }
    const fqdn = fqdnOf(ctx.options.host, zone.name);
    if (!current)
      return {
        status: 'failed',
        reason: `there is no ${target.type} record ${fqdn} in zone ${zone.name} (${zone.id}); it should hold ${target.address} (${target.child} on ${ctx.server})`,
      };
    if (!holds(current, target.address)) {
      return {
        status: 'failed',
        reason: `${fqdn} ${target.type} is ${describeRecord(current)}, not ${target.address} (the address of ${target.child} on ${ctx.server})`,
      };
    }
    return { status: 'ok', detail: `${fqdn} ${target.type} ${target.address} (TTL ${current.ttl ?? '-'})` };
  },
};

const show = {
  description: 'Shows the record in Route 53 and the address it should hold on this server (read only).',
  async run(ctx: Ctx) {
    const io = ioOf(ctx);
    const p = policies(ctx);
    const client = clientOf(ctx.tunables);
    const target = targetOf(ctx);
    const zone = await zoneOf(ctx, client, io, p);
    const fqdn = fqdnOf(ctx.options.host, zone.name);
    const r = await readRecord(client, io, p.check, zone, fqdn, target.type);
    return {
      zone: zone.name,
      zoneId: zone.id,
      name: fqdn,
      type: target.type,
      record: r ?? null,
      expected: target.address,
      ip: target.child,
      server: ctx.server,
      inSync: holds(r, target.address),
    };
  },
};

/** Kit commands run per resource: `kit-runner action TAG show`. */
export const commands = { show };
