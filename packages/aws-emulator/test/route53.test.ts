import {
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsCommandInput,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListHostedZonesCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
  waitUntilResourceRecordSetsChanged,
} from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import { failure, route53 } from './helpers.ts';

let emu: Emulator;
let client: Route53Client;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator({ route53ChangeDelayMs: 0 });
  client = route53(emu);
});
afterAll(async () => {
  client.destroy();
  await emu.stop();
});
beforeEach(async () => {
  emu.reset();
  emu.config.route53ChangeDelayMs = 0;
  emu.config.route53RejectWhilePending = false;
  const layout = twoAzLayout();
  ids = layout.ids;
  await emu.seed(layout.seed);
});

function upsertA(name: string, value: string, ttl = 60, action: 'UPSERT' | 'CREATE' | 'DELETE' = 'UPSERT'): ChangeResourceRecordSetsCommandInput {
  return {
    HostedZoneId: ids.hostedZones.public,
    ChangeBatch: {
      Comment: `${action} ${name}`,
      Changes: [{ Action: action, ResourceRecordSet: { Name: name, Type: 'A', TTL: ttl, ResourceRecords: [{ Value: value }] } }],
    },
  };
}

describe('hosted zones', () => {
  it('lists zones, by name, and gets public and private zones', async () => {
    const all = await client.send(new ListHostedZonesCommand({}));
    expect(all.HostedZones?.map((z) => [z.Id, z.Name, z.Config?.PrivateZone])).toEqual([
      [`/hostedzone/${ids.hostedZones.public}`, 'example.com.', false],
      [`/hostedzone/${ids.hostedZones.private}`, 'internal.example.com.', true],
    ]);
    expect(all.IsTruncated).toBe(false);
    const paged = await client.send(new ListHostedZonesCommand({ MaxItems: 1 }));
    expect(paged.IsTruncated).toBe(true);
    expect(paged.NextMarker).toBe(ids.hostedZones.private);
    const second = await client.send(new ListHostedZonesCommand({ Marker: paged.NextMarker }));
    expect(second.HostedZones?.map((z) => z.Name)).toEqual(['internal.example.com.']);

    const byName = await client.send(new ListHostedZonesByNameCommand({ DNSName: 'internal.example.com' }));
    expect(byName.HostedZones?.[0]?.Name).toBe('internal.example.com.');
    expect(byName.DNSName).toBe('internal.example.com');

    const pub = await client.send(new GetHostedZoneCommand({ Id: ids.hostedZones.public }));
    expect(pub.HostedZone).toMatchObject({ Id: `/hostedzone/${ids.hostedZones.public}`, Name: 'example.com.', ResourceRecordSetCount: 3 });
    expect(pub.DelegationSet?.NameServers).toHaveLength(4);
    // The SDK also accepts the /hostedzone/ prefixed id.
    const priv = await client.send(new GetHostedZoneCommand({ Id: `/hostedzone/${ids.hostedZones.private}` }));
    expect(priv.HostedZone?.Config?.PrivateZone).toBe(true);
    expect(priv.VPCs).toEqual([{ VPCRegion: 'us-east-1', VPCId: ids.vpcId }]);

    const err = await failure(client.send(new GetHostedZoneCommand({ Id: 'ZNOSUCHZONE0000000000' })));
    expect(err.name).toBe('NoSuchHostedZone');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });
});

describe('record sets', () => {
  it('lists records in Route53 order with paging', async () => {
    for (const n of ['b', 'a', 'c']) await client.send(new ChangeResourceRecordSetsCommand(upsertA(`${n}.example.com`, '192.0.2.1')));
    const all = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public }));
    expect(all.ResourceRecordSets?.map((r) => `${r.Name} ${r.Type}`)).toEqual([
      'example.com. NS',
      'example.com. SOA',
      'a.example.com. A',
      'app.example.com. A',
      'b.example.com. A',
      'c.example.com. A',
    ]);
    const page1 = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public, MaxItems: 3 }));
    expect(page1.IsTruncated).toBe(true);
    expect([page1.NextRecordName, page1.NextRecordType]).toEqual(['app.example.com.', 'A']);
    const page2 = await client.send(
      new ListResourceRecordSetsCommand({
        HostedZoneId: ids.hostedZones.public,
        StartRecordName: page1.NextRecordName,
        StartRecordType: page1.NextRecordType,
        MaxItems: 3,
      }),
    );
    expect(page2.ResourceRecordSets?.map((r) => r.Name)).toEqual(['app.example.com.', 'b.example.com.', 'c.example.com.']);
    expect(page2.IsTruncated).toBe(false);
    // The kits look a record up by name: StartRecordName + MaxItems 1.
    const one = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public, StartRecordName: 'app.example.com', StartRecordType: 'A', MaxItems: 1 }),
    );
    expect(one.ResourceRecordSets?.[0]).toMatchObject({ Name: 'app.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: ids.publicIp }] });
    const err = await failure(client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public, StartRecordType: 'A' })));
    expect(err.name).toBe('InvalidInput');
  });

  it('CREATE / UPSERT / DELETE with InvalidChangeBatch errors', async () => {
    await client.send(new ChangeResourceRecordSetsCommand(upsertA('db.example.com', '10.1.0.10', 10, 'CREATE')));
    const dup = await failure(client.send(new ChangeResourceRecordSetsCommand(upsertA('db.example.com', '10.1.0.11', 10, 'CREATE'))));
    expect(dup.name).toBe('InvalidChangeBatch');
    expect(dup.$metadata.httpStatusCode).toBe(400);
    expect(dup.message).toContain("Tried to create resource record set [name='db.example.com.', type='A'] but it already exists");
    expect(dup.messages).toEqual([expect.stringContaining('already exists')]);

    await client.send(new ChangeResourceRecordSetsCommand(upsertA('db.example.com', '10.1.0.11', 10)));
    let rec = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public, StartRecordName: 'db.example.com', MaxItems: 1 }));
    expect(rec.ResourceRecordSets?.[0]?.ResourceRecords).toEqual([{ Value: '10.1.0.11' }]);

    const mismatch = await failure(client.send(new ChangeResourceRecordSetsCommand(upsertA('db.example.com', '10.1.0.10', 10, 'DELETE'))));
    expect(mismatch.name).toBe('InvalidChangeBatch');
    expect(mismatch.message).toContain('values provided do not match the current values');
    const missing = await failure(client.send(new ChangeResourceRecordSetsCommand(upsertA('nope.example.com', '10.1.0.10', 10, 'DELETE'))));
    expect(missing.message).toContain('but it was not found');
    const bad = await failure(client.send(new ChangeResourceRecordSetsCommand(upsertA('x.example.com', '10.1.0.300'))));
    expect(bad.name).toBe('InvalidChangeBatch');
    expect(bad.message).toContain('ARRDATAIllegalIPv4Address');
    const outside = await failure(client.send(new ChangeResourceRecordSetsCommand(upsertA('x.other.org', '10.1.0.3'))));
    expect(outside.message).toContain('is not permitted in zone example.com.');
    const noTtl = await failure(
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ids.hostedZones.public,
          ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'y.example.com', Type: 'A', ResourceRecords: [{ Value: '10.0.0.1' }] } }] },
        }),
      ),
    );
    expect(noTtl.name).toBe('InvalidInput');

    // A failing batch changes nothing (atomic), a DELETE+CREATE batch is applied together.
    const atomic = await failure(
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ids.hostedZones.public,
          ChangeBatch: {
            Changes: [
              { Action: 'UPSERT', ResourceRecordSet: { Name: 'db.example.com', Type: 'A', TTL: 10, ResourceRecords: [{ Value: '10.9.9.9' }] } },
              { Action: 'DELETE', ResourceRecordSet: { Name: 'ghost.example.com', Type: 'A', TTL: 10, ResourceRecords: [{ Value: '10.9.9.9' }] } },
            ],
          },
        }),
      ),
    );
    expect(atomic.name).toBe('InvalidChangeBatch');
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ids.hostedZones.public,
        ChangeBatch: {
          Changes: [
            { Action: 'DELETE', ResourceRecordSet: { Name: 'db.example.com', Type: 'A', TTL: 10, ResourceRecords: [{ Value: '10.1.0.11' }] } },
            { Action: 'CREATE', ResourceRecordSet: { Name: 'db.example.com', Type: 'A', TTL: 20, ResourceRecords: [{ Value: '10.1.0.12' }] } },
          ],
        },
      }),
    );
    rec = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: ids.hostedZones.public, StartRecordName: 'db.example.com', MaxItems: 1 }));
    expect(rec.ResourceRecordSets?.[0]).toMatchObject({ TTL: 20, ResourceRecords: [{ Value: '10.1.0.12' }] });

    await client.send(new ChangeResourceRecordSetsCommand(upsertA('db.example.com', '10.1.0.12', 20, 'DELETE')));
    const nsDelete = await failure(
      client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: ids.hostedZones.public,
          ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: { Name: 'example.com', Type: 'SOA', TTL: 1, ResourceRecords: [{ Value: 'x' }] } }] },
        }),
      ),
    );
    expect(nsDelete.name).toBe('InvalidChangeBatch');
    const noZone = await failure(
      client.send(new ChangeResourceRecordSetsCommand({ ...upsertA('a.example.com', '10.0.0.1'), HostedZoneId: 'ZNOSUCHZONE0000000000' })),
    );
    expect(noZone.name).toBe('NoSuchHostedZone');
  });

  it('changes in the private zone', async () => {
    await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ids.hostedZones.private,
        ChangeBatch: {
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: ids.records.private, Type: 'A', TTL: 10, ResourceRecords: [{ Value: '10.0.4.10' }] } }],
        },
      }),
    );
    const zone = emu.state.hostedZones.get(ids.hostedZones.private);
    expect(zone?.records.find((r) => r.name === ids.records.private)?.values).toEqual(['10.0.4.10']);
  });
});

describe('changes', () => {
  it('start PENDING and become INSYNC after the configured delay (changeable at run time)', async () => {
    emu.config.route53ChangeDelayMs = 400;
    const out = await client.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.20')));
    expect(out.ChangeInfo?.Status).toBe('PENDING');
    expect(out.ChangeInfo?.Id).toMatch(/^\/change\/C[A-Z0-9]+$/);
    expect(out.ChangeInfo?.SubmittedAt).toBeInstanceOf(Date);
    expect(out.ChangeInfo?.Comment).toBe(`UPSERT ${ids.records.public}`);
    const pending = await client.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }));
    expect(pending.ChangeInfo?.Status).toBe('PENDING');
    await new Promise((r) => setTimeout(r, 450));
    const synced = await client.send(new GetChangeCommand({ Id: out.ChangeInfo?.Id }));
    expect(synced.ChangeInfo?.Status).toBe('INSYNC');

    const second = await client.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.21')));
    expect(second.ChangeInfo?.Id).not.toBe(out.ChangeInfo?.Id);
    // The SDK waiter polls GetChange until INSYNC.
    emu.config.route53ChangeDelayMs = 0;
    const third = await client.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.22')));
    const waited = await waitUntilResourceRecordSetsChanged({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { Id: third.ChangeInfo?.Id });
    expect(waited.state).toBe('SUCCESS');
    expect(emu.route53.syncAll()).toBe(1);
    expect((await client.send(new GetChangeCommand({ Id: second.ChangeInfo?.Id }))).ChangeInfo?.Status).toBe('INSYNC');

    const err = await failure(client.send(new GetChangeCommand({ Id: 'CNOSUCHCHANGE' })));
    expect(err.name).toBe('NoSuchChange');
    expect(err.$metadata.httpStatusCode).toBe(404);
  });

  it('PriorRequestNotComplete while a change is pending (optional realism)', async () => {
    emu.config.route53ChangeDelayMs = 60_000;
    emu.config.route53RejectWhilePending = true;
    const once = route53(emu, { maxAttempts: 1 });
    try {
      await once.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.30')));
      const err = await failure(once.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.31'))));
      expect(err.name).toBe('PriorRequestNotComplete');
      expect(err.$metadata.httpStatusCode).toBe(400);
      emu.route53.syncAll();
      await once.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.31')));
    } finally {
      once.destroy();
    }
  });

  it('PriorRequestNotComplete as an injected fault is retried by the SDK', async () => {
    emu.faults.error('ChangeResourceRecordSets', { count: 1, status: 400, code: 'PriorRequestNotComplete', message: 'still processing' });
    const out = await client.send(new ChangeResourceRecordSetsCommand(upsertA(ids.records.public, '203.0.113.40')));
    expect(out.$metadata.attempts).toBe(2);
  });
});
