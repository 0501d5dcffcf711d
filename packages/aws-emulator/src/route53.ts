/** Route53 REST/XML API (2013-04-01) over the emulator state. */
import { XMLParser } from 'fast-xml-parser';
import { normalizeDnsName } from './seed.ts';
import { type EmulatorState, type HostedZone, type ResourceRecordSet, type Route53Change, newChangeId } from './state.ts';
import { isIpv4, isIpv6 } from './util.ts';
import { type XmlObject, members, renderDocument } from './xml.ts';

export const ROUTE53_NAMESPACE = 'https://route53.amazonaws.com/doc/2013-04-01/';

export class Route53Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly type: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
    readonly messages?: string[],
  ) {
    super(message);
  }
}

export function renderRoute53Error(err: { code: string; message: string; type: string; messages?: string[] | undefined }, requestId: string): string {
  const error: XmlObject = { Type: err.type, Code: err.code, Message: err.message };
  // The SDK reads InvalidChangeBatch's list from a lowercase `messages` element (model member without xmlName).
  if (err.messages) error.messages = members('Message', err.messages);
  return renderDocument('ErrorResponse', ROUTE53_NAMESPACE, { Error: error, RequestId: requestId });
}

export interface Route53Settings {
  /** Delay before a submitted change reports INSYNC. */
  changeDelayMs: number;
  /** Reject ChangeResourceRecordSets with PriorRequestNotComplete while a change on the same zone is PENDING. */
  rejectWhilePending: boolean;
}

export interface Route53Request {
  method: string;
  /** Path after `/2013-04-01`. */
  path: string;
  query: URLSearchParams;
  body: string;
  state: EmulatorState;
  settings: Route53Settings;
}

export interface Route53Result {
  action: string;
  status: number;
  xml: string;
}

const SUPPORTED_TYPES = new Set(['A', 'AAAA', 'CAA', 'CNAME', 'DS', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SPF', 'SRV', 'TXT']);

/** Identify the action from method and path (for the call log and faults) before running it. */
export function route53ActionName(method: string, path: string): string {
  if (method === 'GET' && /^\/hostedzone\/?$/.test(path)) return 'ListHostedZones';
  if (method === 'GET' && /^\/hostedzonesbyname\/?$/.test(path)) return 'ListHostedZonesByName';
  if (method === 'GET' && /^\/hostedzone\/[^/]+\/rrset\/?$/.test(path)) return 'ListResourceRecordSets';
  if (method === 'POST' && /^\/hostedzone\/[^/]+\/rrset\/?$/.test(path)) return 'ChangeResourceRecordSets';
  if (method === 'GET' && /^\/hostedzone\/[^/]+\/?$/.test(path)) return 'GetHostedZone';
  if (method === 'GET' && /^\/change\/[^/]+\/?$/.test(path)) return 'GetChange';
  return 'Unknown';
}

function zoneIdFromPath(path: string): string {
  const m = /^\/hostedzone\/([^/]+)/.exec(path);
  return decodeURIComponent(m?.[1] ?? '');
}

function getZone(state: EmulatorState, id: string): HostedZone {
  const zone = state.hostedZones.get(id.replace(/^\/?hostedzone\//, ''));
  if (!zone) throw new Route53Error('NoSuchHostedZone', `No hosted zone found with ID: ${id}`, 404);
  return zone;
}

function reversedName(name: string): string {
  return name.replace(/\.$/, '').split('.').reverse().join('.');
}

function recordKey(r: ResourceRecordSet): [string, string, string] {
  return [reversedName(r.name), r.type, r.setIdentifier ?? ''];
}

function compareKeys(a: [string, string, string], b: [string, string, string]): number {
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? '';
    const y = b[i] ?? '';
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

function displayName(name: string): string {
  return name.replace(/\*/g, '\\052');
}

function parseDnsName(name: string): string {
  return normalizeDnsName(name.replace(/\\052/g, '*').replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(parseInt(d, 8))));
}

function renderZone(zone: HostedZone): XmlObject {
  return {
    Id: `/hostedzone/${zone.id}`,
    Name: zone.name,
    CallerReference: zone.callerReference,
    Config: { Comment: zone.comment, PrivateZone: zone.privateZone },
    ResourceRecordSetCount: zone.records.length,
  };
}

function renderRecord(r: ResourceRecordSet): XmlObject {
  return {
    Name: displayName(r.name),
    Type: r.type,
    SetIdentifier: r.setIdentifier,
    Weight: r.weight,
    Region: r.region,
    Failover: r.failover,
    MultiValueAnswer: r.multiValueAnswer,
    TTL: r.ttl,
    ResourceRecords: r.aliasTarget
      ? undefined
      : members(
          'ResourceRecord',
          r.values.map((Value) => ({ Value })),
        ),
    AliasTarget: r.aliasTarget
      ? { HostedZoneId: r.aliasTarget.hostedZoneId, DNSName: r.aliasTarget.dnsName, EvaluateTargetHealth: r.aliasTarget.evaluateTargetHealth }
      : undefined,
    HealthCheckId: r.healthCheckId,
  };
}

function renderChange(c: Route53Change): XmlObject {
  return {
    Id: `/change/${c.id}`,
    Status: Date.now() >= c.insyncAt ? 'INSYNC' : 'PENDING',
    SubmittedAt: c.submittedAt,
    Comment: c.comment,
  };
}

function maxItems(query: URLSearchParams, def: number, cap: number): number {
  const raw = query.get('maxitems');
  if (raw === null) return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Route53Error('InvalidInput', `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint`);
  return Math.min(n, cap);
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => ['Change', 'ResourceRecord', 'VPC'].includes(name),
});

type Obj = Record<string, unknown>;
function obj(v: unknown): Obj | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}
function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

interface ParsedChange {
  action: 'CREATE' | 'DELETE' | 'UPSERT';
  record: ResourceRecordSet;
}

function describe(r: ResourceRecordSet): string {
  return `[name='${r.name}', type='${r.type}'${r.setIdentifier !== undefined ? `, set-identifier='${r.setIdentifier}'` : ''}]`;
}

function parseChanges(body: string): { comment?: string; changes: ParsedChange[] } {
  let doc: Obj;
  try {
    doc = parser.parse(body) as Obj;
  } catch (e) {
    throw new Route53Error('InvalidInput', `Invalid XML ; ${(e as Error).message}`);
  }
  const batch = obj(obj(doc['ChangeResourceRecordSetsRequest'])?.['ChangeBatch']);
  if (!batch) throw new Route53Error('InvalidInput', 'Invalid XML ; expected ChangeResourceRecordSetsRequest/ChangeBatch');
  const list = obj(batch['Changes'])?.['Change'];
  if (!Array.isArray(list) || list.length === 0) throw new Route53Error('InvalidInput', 'Invalid request: the change batch must contain at least one change');
  const changes: ParsedChange[] = list.map((raw) => {
    const c = obj(raw) ?? {};
    const action = str(c['Action']);
    if (action !== 'CREATE' && action !== 'DELETE' && action !== 'UPSERT') {
      throw new Route53Error('InvalidInput', `Invalid XML ; Value '${action ?? ''}' is not valid for Action (CREATE, DELETE, UPSERT)`);
    }
    const rrs = obj(c['ResourceRecordSet']);
    const name = str(rrs?.['Name']);
    const type = str(rrs?.['Type']);
    if (!rrs || !name || !type) throw new Route53Error('InvalidInput', 'Invalid XML ; ResourceRecordSet requires Name and Type');
    if (!SUPPORTED_TYPES.has(type)) throw new Route53Error('InvalidInput', `Invalid XML ; Value '${type}' is not a valid record type`);
    const record: ResourceRecordSet = { name: parseDnsName(name), type, values: [] };
    const ttl = str(rrs['TTL']);
    if (ttl !== undefined) {
      const n = Number(ttl);
      if (!Number.isInteger(n) || n < 0 || n > 2147483647) throw new Route53Error('InvalidInput', `Invalid XML ; TTL '${ttl}' is not valid`);
      record.ttl = n;
    }
    const rrList = obj(rrs['ResourceRecords'])?.['ResourceRecord'];
    if (Array.isArray(rrList)) record.values = rrList.map((x) => str(obj(x)?.['Value']) ?? '');
    const setIdentifier = str(rrs['SetIdentifier']);
    if (setIdentifier !== undefined) record.setIdentifier = setIdentifier;
    const weight = str(rrs['Weight']);
    if (weight !== undefined) record.weight = Number(weight);
    const region = str(rrs['Region']);
    if (region !== undefined) record.region = region;
    const failover = str(rrs['Failover']);
    if (failover === 'PRIMARY' || failover === 'SECONDARY') record.failover = failover;
    const hc = str(rrs['HealthCheckId']);
    if (hc !== undefined) record.healthCheckId = hc;
    const mva = str(rrs['MultiValueAnswer']);
    if (mva !== undefined) record.multiValueAnswer = mva === 'true';
    const alias = obj(rrs['AliasTarget']);
    if (alias) {
      record.aliasTarget = {
        hostedZoneId: str(alias['HostedZoneId']) ?? '',
        dnsName: normalizeDnsName(str(alias['DNSName']) ?? ''),
        evaluateTargetHealth: str(alias['EvaluateTargetHealth']) === 'true',
      };
    }
    const hasRecords = Array.isArray(rrList) && rrList.length > 0;
    if (record.aliasTarget ? hasRecords || record.ttl !== undefined : !(hasRecords && record.ttl !== undefined)) {
      throw new Route53Error(
        'InvalidInput',
        `Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found ${
          record.aliasTarget ? 'more than one' : 'none'
        } in Change with [Action=${action}, Name=${record.name}, Type=${type}, SetIdentifier=${setIdentifier ?? 'null'}]`,
      );
    }
    return { action, record };
  });
  const comment = str(batch['Comment']);
  return comment !== undefined ? { comment, changes } : { changes };
}

function validateValues(r: ResourceRecordSet): string | undefined {
  for (const v of r.values) {
    if (r.type === 'A' && !isIpv4(v)) {
      return `Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '${v}''`;
    }
    if (r.type === 'AAAA' && !isIpv6(v)) {
      return `Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '${v}''`;
    }
    if ((r.type === 'TXT' || r.type === 'SPF') && !/^".*"$/.test(v)) {
      return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${v}''`;
    }
    if (v.trim() === '') return `Invalid Resource Record: 'FATAL problem: empty value'`;
  }
  if (r.type === 'CNAME' && r.values.length > 1) return `RRSet of type CNAME with DNS name ${r.name} contains more than one value.`;
  return undefined;
}

function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const sortVals = (v: string[]): string => [...v].sort().join('\n');
  return (
    a.ttl === b.ttl &&
    sortVals(a.values) === sortVals(b.values) &&
    a.weight === b.weight &&
    a.region === b.region &&
    a.failover === b.failover &&
    a.healthCheckId === b.healthCheckId &&
    JSON.stringify(a.aliasTarget ?? null) === JSON.stringify(b.aliasTarget ?? null)
  );
}

function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Apply the batch to a copy of the zone's records; all-or-nothing. */
function applyChanges(zone: HostedZone, changes: ParsedChange[]): ResourceRecordSet[] {
  const records = zone.records.map((r) => ({ ...r, values: [...r.values] }));
  const errors: string[] = [];
  const same = (a: ResourceRecordSet, b: ResourceRecordSet): boolean =>
    a.name === b.name && a.type === b.type && (a.setIdentifier ?? '') === (b.setIdentifier ?? '');
  for (const { action, record } of changes) {
    if (!inZone(record.name, zone.name)) {
      errors.push(`RRSet with DNS name ${record.name} is not permitted in zone ${zone.name}`);
      continue;
    }
    const idx = records.findIndex((r) => same(r, record));
    if (action === 'DELETE') {
      const existing = records[idx];
      if (!existing) {
        errors.push(`Tried to delete resource record set ${describe(record)} but it was not found`);
      } else if (!sameRecord(existing, record)) {
        errors.push(`Tried to delete resource record set ${describe(record)} but the values provided do not match the current values`);
      } else if (record.name === zone.name && (record.type === 'SOA' || record.type === 'NS')) {
        errors.push(`A HostedZone must contain at least one NS record and one SOA record for the zone itself.`);
      } else {
        records.splice(idx, 1);
      }
      continue;
    }
    const invalid = validateValues(record);
    if (invalid) {
      errors.push(invalid);
      continue;
    }
    if (record.type === 'CNAME' && record.name === zone.name) {
      errors.push(`RRSet of type CNAME with DNS name ${record.name} is not permitted at apex in zone ${zone.name}`);
      continue;
    }
    const conflict = records.find((r) => r.name === record.name && r.type !== record.type && (r.type === 'CNAME' || record.type === 'CNAME'));
    if (conflict) {
      errors.push(
        `RRSet of type ${record.type} with DNS name ${record.name} is not permitted because a conflicting RRSet of type ${conflict.type} with the same DNS name already exists in zone ${zone.name}`,
      );
      continue;
    }
    if (action === 'CREATE') {
      if (idx >= 0) {
        errors.push(`Tried to create resource record set ${describe(record)} but it already exists`);
        continue;
      }
      records.push(record);
    } else if (idx >= 0) {
      records[idx] = record;
    } else {
      records.push(record);
    }
  }
  if (errors.length) {
    throw new Route53Error('InvalidChangeBatch', `[${errors.join(', ')}]`, 400, 'Sender', errors);
  }
  return records;
}

export function runRoute53(req: Route53Request): Route53Result {
  const { method, path, query, state } = req;
  const action = route53ActionName(method, path);
  const ok = (root: string, body: XmlObject, status = 200): Route53Result => ({
    action,
    status,
    xml: renderDocument(root, ROUTE53_NAMESPACE, body),
  });
  switch (action) {
    case 'ListHostedZones': {
      const all = [...state.hostedZones.values()];
      const marker = query.get('marker');
      const max = maxItems(query, 100, 100);
      let start = 0;
      if (marker) {
        start = all.findIndex((z) => z.id === marker.replace(/^\/hostedzone\//, ''));
        if (start < 0) throw new Route53Error('InvalidInput', `The marker '${marker}' is not valid`);
      }
      const pageZones = all.slice(start, start + max);
      const next = all[start + max];
      return ok('ListHostedZonesResponse', {
        HostedZones: members('HostedZone', pageZones.map(renderZone)),
        Marker: marker ?? undefined,
        IsTruncated: next !== undefined,
        NextMarker: next?.id,
        MaxItems: max,
      });
    }
    case 'ListHostedZonesByName': {
      const sorted = [...state.hostedZones.values()].sort((a, b) => {
        const x = reversedName(a.name);
        const y = reversedName(b.name);
        return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      });
      const dnsName = query.get('dnsname');
      const zoneId = query.get('hostedzoneid');
      if (zoneId && !dnsName) throw new Route53Error('InvalidInput', 'The input is not valid: HostedZoneId requires DNSName');
      let start = 0;
      if (dnsName) {
        const key = reversedName(normalizeDnsName(dnsName));
        start = sorted.findIndex((z) => {
          const k = reversedName(z.name);
          return k > key || (k === key && (!zoneId || z.id >= zoneId));
        });
        if (start < 0) start = sorted.length;
      }
      const max = maxItems(query, 100, 100);
      const pageZones = sorted.slice(start, start + max);
      const next = sorted[start + max];
      return ok('ListHostedZonesByNameResponse', {
        HostedZones: members('HostedZone', pageZones.map(renderZone)),
        DNSName: dnsName ?? undefined,
        HostedZoneId: zoneId ?? undefined,
        IsTruncated: next !== undefined,
        NextDNSName: next?.name,
        NextHostedZoneId: next?.id,
        MaxItems: max,
      });
    }
    case 'GetHostedZone': {
      const zone = getZone(state, zoneIdFromPath(path));
      return ok('GetHostedZoneResponse', {
        HostedZone: renderZone(zone),
        DelegationSet: zone.privateZone
          ? undefined
          : {
              NameServers: members(
                'NameServer',
                zone.nameServers.map((n) => n.replace(/\.$/, '')),
              ),
            },
        VPCs: zone.privateZone
          ? members(
              'VPC',
              zone.vpcs.map((v) => ({ VPCRegion: v.vpcRegion, VPCId: v.vpcId })),
            )
          : undefined,
      });
    }
    case 'ListResourceRecordSets': {
      const zone = getZone(state, zoneIdFromPath(path));
      const name = query.get('name');
      const type = query.get('type');
      const identifier = query.get('identifier');
      if (type && !name) throw new Route53Error('InvalidInput', 'The input is not valid: you must specify a record name if you specify a record type');
      if (type && !SUPPORTED_TYPES.has(type)) throw new Route53Error('InvalidInput', `Invalid type: ${type}`);
      const max = maxItems(query, 300, 300);
      const sorted = [...zone.records].sort((a, b) => compareKeys(recordKey(a), recordKey(b)));
      let start = 0;
      if (name) {
        const key: [string, string, string] = [reversedName(parseDnsName(name)), type ?? '', identifier ?? ''];
        start = sorted.findIndex((r) => compareKeys(recordKey(r), key) >= 0);
        if (start < 0) start = sorted.length;
      }
      const pageRecords = sorted.slice(start, start + max);
      const next = sorted[start + max];
      return ok('ListResourceRecordSetsResponse', {
        ResourceRecordSets: members('ResourceRecordSet', pageRecords.map(renderRecord)),
        IsTruncated: next !== undefined,
        NextRecordName: next ? displayName(next.name) : undefined,
        NextRecordType: next?.type,
        NextRecordIdentifier: next?.setIdentifier,
        MaxItems: max,
      });
    }
    case 'ChangeResourceRecordSets': {
      const zone = getZone(state, zoneIdFromPath(path));
      const batch = parseChanges(req.body);
      const now = Date.now();
      if (req.settings.rejectWhilePending) {
        for (const c of state.changes.values()) {
          if (c.hostedZoneId === zone.id && now < c.insyncAt) {
            throw new Route53Error('PriorRequestNotComplete', 'The request was rejected because Route 53 was still processing a prior request.', 400);
          }
        }
      }
      zone.records = applyChanges(zone, batch.changes);
      const change: Route53Change = {
        id: newChangeId(),
        status: 'PENDING',
        submittedAt: new Date(now),
        insyncAt: now + Math.max(0, req.settings.changeDelayMs),
        hostedZoneId: zone.id,
      };
      if (batch.comment !== undefined) change.comment = batch.comment;
      state.changes.set(change.id, change);
      // The submit response always says PENDING, as Route53 does.
      return ok('ChangeResourceRecordSetsResponse', { ChangeInfo: { ...renderChange(change), Status: 'PENDING' } });
    }
    case 'GetChange': {
      const id = decodeURIComponent(/^\/change\/([^/]+)/.exec(path)?.[1] ?? '').replace(/^\/?change\//, '');
      const change = state.changes.get(id);
      if (!change) throw new Route53Error('NoSuchChange', `Could not find resource with ID: ${id}`, 404);
      return ok('GetChangeResponse', { ChangeInfo: renderChange(change) });
    }
    default:
      throw new Route53Error('UnknownOperationException', `The emulator does not support ${method} /2013-04-01${path}`, 404);
  }
}
