/**
 * Instance power state for fencing, with the real AWS SDK: StopInstances / StartInstances /
 * DescribeInstances as fence_aws sends them (boto3: DescribeInstances with an `instance-id` or
 * `tag:` filter, StopInstances with Force=true, StartInstances), state codes and names, the
 * stopping -> stopped and pending -> running transitions after the configured delays, and the
 * hook a lab uses to power a node off (emu.ec2.onInstanceState, and the control API's long poll).
 */
import { DescribeInstancesCommand, type EC2Client, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type InstanceStateEvent, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import { ec2 } from './helpers.ts';

let emu: Emulator;
let client: EC2Client;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator({ instanceStopDelayMs: 150, instanceStartDelayMs: 150 });
  client = ec2(emu);
});
afterAll(async () => {
  client.destroy();
  await emu.stop();
});
beforeEach(async () => {
  emu.reset();
  emu.config.instanceStopDelayMs = 150;
  emu.config.instanceStartDelayMs = 150;
  const layout = twoAzLayout({ secondEni: false });
  ids = layout.ids;
  await emu.seed(layout.seed);
});

/** fence_aws's get_power_status: the state name of the one instance the filter finds. */
async function stateOf(filter: { Name: string; Values: string[] }): Promise<Array<{ id: string; code: number | undefined; name: string | undefined }>> {
  const out = await client.send(new DescribeInstancesCommand({ Filters: [filter] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => ({ id: i.InstanceId!, code: i.State?.Code, name: i.State?.Name }));
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StopInstances / StartInstances / DescribeInstances (fence_aws)', () => {
  it('DescribeInstances by instance-id and by tag filter gives the state code and name', async () => {
    expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node1] })).toEqual([{ id: ids.instances.node1, code: 16, name: 'running' }]);
    expect(await stateOf({ Name: 'tag:Name', Values: ['node2'] })).toEqual([{ id: ids.instances.node2, code: 16, name: 'running' }]);
    expect(await stateOf({ Name: 'tag:Name', Values: ['node*'] })).toHaveLength(2);
    expect(await stateOf({ Name: 'instance-id', Values: ['i-0000000000000000f'] })).toEqual([]);
  });

  it('stop (Force): running -> stopping now, stopped after the delay; again is a no-op; start: pending -> running', async () => {
    const events: InstanceStateEvent[] = [];
    const off = emu.ec2.onInstanceState((e) => events.push(e));
    try {
      const stop = await client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node1], Force: true }));
      expect(stop.StoppingInstances).toEqual([
        { InstanceId: ids.instances.node1, CurrentState: { Code: 64, Name: 'stopping' }, PreviousState: { Code: 16, Name: 'running' } },
      ]);
      expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node1] })).toMatchObject([{ code: 64, name: 'stopping' }]);
      expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node2] })).toMatchObject([{ name: 'running' }]);
      await sleep(400);
      expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node1] })).toMatchObject([{ code: 80, name: 'stopped' }]);
      expect(await stateOf({ Name: 'instance-state-name', Values: ['stopped'] })).toMatchObject([{ id: ids.instances.node1 }]);
      const again = await client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node1], Force: true }));
      expect(again.StoppingInstances?.[0]).toMatchObject({ CurrentState: { Code: 80, Name: 'stopped' }, PreviousState: { Code: 80, Name: 'stopped' } });

      const start = await client.send(new StartInstancesCommand({ InstanceIds: [ids.instances.node1] }));
      expect(start.StartingInstances).toEqual([
        { InstanceId: ids.instances.node1, CurrentState: { Code: 0, Name: 'pending' }, PreviousState: { Code: 80, Name: 'stopped' } },
      ]);
      await sleep(400);
      expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node1] })).toMatchObject([{ code: 16, name: 'running' }]);
      expect(events.map((e) => [e.instanceId, e.previous, e.current, e.cause])).toEqual([
        [ids.instances.node1, 'running', 'stopping', 'StopInstances'],
        [ids.instances.node1, 'stopping', 'stopped', 'transition'],
        [ids.instances.node1, 'stopped', 'pending', 'StartInstances'],
        [ids.instances.node1, 'pending', 'running', 'transition'],
      ]);
      expect(events.map((e) => e.seq)).toEqual([...events.map((e) => e.seq)].sort((a, b) => a - b));
      expect(events.every((e) => e.region === ids.region)).toBe(true);
    } finally {
      off();
    }
  });

  it('a delay of 0 stops at once; starting a stopping instance is IncorrectInstanceState; unknown and malformed ids are refused', async () => {
    emu.config.instanceStopDelayMs = 0;
    const stop = await client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node2] }));
    expect(stop.StoppingInstances?.[0]?.CurrentState).toEqual({ Code: 64, Name: 'stopping' });
    expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node2] })).toMatchObject([{ name: 'stopped' }]);

    emu.config.instanceStopDelayMs = 10_000;
    await client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node1] }));
    await expect(client.send(new StartInstancesCommand({ InstanceIds: [ids.instances.node1] }))).rejects.toMatchObject({ name: 'IncorrectInstanceState' });
    await expect(client.send(new StopInstancesCommand({ InstanceIds: ['i-0000000000000000f'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.NotFound' });
    await expect(client.send(new StopInstancesCommand({ InstanceIds: ['nope'] }))).rejects.toMatchObject({ name: 'InvalidInstanceID.Malformed' });
    // One unknown id among known ones: nothing is stopped.
    emu.reset({ faults: false, calls: false });
    await emu.seed(twoAzLayout({ secondEni: false }).seed);
    await expect(client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node1, 'i-0000000000000000f'] }))).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
    expect(await stateOf({ Name: 'instance-id', Values: [ids.instances.node1] })).toMatchObject([{ name: 'running' }]);
  });

  it('the control API: a long poll for state changes returns when an instance stops; the state setter is an event too', async () => {
    emu.config.instanceStopDelayMs = 50;
    const base = `${emu.endpoint}/_emulator/ec2/instance-events`;
    const first = (await (await fetch(`${base}?after=0`)).json()) as { events: InstanceStateEvent[]; last: number };
    const waiting = fetch(`${base}?after=${first.last}&waitMs=5000`).then((r) => r.json() as Promise<{ events: InstanceStateEvent[]; last: number }>);
    await sleep(50);
    await client.send(new StopInstancesCommand({ InstanceIds: [ids.instances.node2], Force: true }));
    const got = await waiting;
    expect(got.events[0]).toMatchObject({ instanceId: ids.instances.node2, previous: 'running', current: 'stopping', cause: 'StopInstances' });
    await sleep(200);
    const after = (await (await fetch(`${base}?after=${got.last}`)).json()) as { events: InstanceStateEvent[] };
    expect(after.events.map((e) => e.current)).toEqual(['stopped']);
    const set = await fetch(`${emu.endpoint}/_emulator/ec2/instances/${ids.instances.node2}/state`, {
      method: 'POST',
      body: JSON.stringify({ state: 'running' }),
    });
    expect(set.status).toBe(200);
    expect(emu.ec2.instanceEvents().at(-1)).toMatchObject({ instanceId: ids.instances.node2, previous: 'stopped', current: 'running', cause: 'control' });
    expect((await fetch(`${base}?after=-1`)).status).toBe(400);
  });
});
