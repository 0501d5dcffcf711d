/** JSON control API under /_emulator/ for tests and benchmarks in other processes. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CallQuery } from './calls.ts';
import type { Emulator, EmulatorConfig } from './types.ts';
import type { FaultRule, Service } from './faults.ts';
import { type TwoAzLayoutOptions, type TwoRegionLayoutOptions, twoAzLayout, twoRegionLayout } from './layouts.ts';
import { type SeedDocument, SeedError } from './seed.ts';
import { INSTANCE_STATE_CODES, type InstanceStateName } from './state.ts';

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch (e) {
    throw new ControlError(400, `invalid JSON body: ${(e as Error).message}`);
  }
}

function asObject(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  throw new ControlError(400, 'expected a JSON object');
}

const CONFIG_KEYS: Record<keyof EmulatorConfig, 'number' | 'boolean' | 'string'> = {
  defaultRegion: 'string',
  route53ChangeDelayMs: 'number',
  route53RejectWhilePending: 'boolean',
  imdsMaxTokenTtlSeconds: 'number',
  imdsV1Allowed: 'boolean',
  imdsCredentialTtlSeconds: 'number',
  requireKnownAccessKey: 'boolean',
  baseLatencyMs: 'number',
  instanceStopDelayMs: 'number',
  instanceStartDelayMs: 'number',
};

const FAULT_KINDS = new Set(['throttle', 'error', 'latency', 'drop', 'unauthorized']);

function validateFault(raw: unknown): FaultRule {
  const r = asObject(raw);
  if (typeof r.kind !== 'string' || !FAULT_KINDS.has(r.kind)) {
    throw new ControlError(400, `fault.kind must be one of ${[...FAULT_KINDS].join(', ')}`);
  }
  if (r.service !== undefined && !['ec2', 'route53', 'imds'].includes(String(r.service))) {
    throw new ControlError(400, 'fault.service must be ec2, route53 or imds');
  }
  return r as unknown as FaultRule;
}

export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, body: string, emu: Emulator): Promise<void> {
  const send = (status: number, value: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(value, null, 2));
  };
  try {
    const method = req.method ?? 'GET';
    const path = url.pathname.replace(/\/+$/, '');
    const route = `${method} ${path}`;
    const q = url.searchParams;

    if (route === 'GET /_emulator/health') return send(200, { ok: true });
    if (route === 'GET /_emulator/info' || route === 'GET /_emulator') {
      return send(200, { endpoint: emu.endpoint, port: emu.port, config: emu.config, imds: emu.imdsUrls(), env: emu.env() });
    }
    if (route === 'GET /_emulator/env') {
      const instanceId = q.get('instanceId') ?? undefined;
      const region = q.get('region') ?? undefined;
      return send(200, emu.env({ ...(instanceId ? { instanceId } : {}), ...(region ? { region } : {}) }));
    }
    if (route === 'POST /_emulator/seed') {
      const result = await emu.seed(asObject(parseJson(body)) as SeedDocument);
      return send(200, { ok: true, ...result, imds: emu.imdsUrls() });
    }
    if (route === 'POST /_emulator/layout/two-az') {
      const layout = twoAzLayout(asObject(parseJson(body)) as TwoAzLayoutOptions);
      await emu.seed(layout.seed);
      return send(200, { ok: true, ids: layout.ids, imds: emu.imdsUrls() });
    }
    if (route === 'POST /_emulator/layout/two-region') {
      const layout = twoRegionLayout(asObject(parseJson(body)) as TwoRegionLayoutOptions);
      await emu.seed(layout.seed);
      return send(200, { ok: true, ids: layout.ids, imds: emu.imdsUrls() });
    }
    if (route === 'GET /_emulator/state') return send(200, emu.dump());
    if (route === 'POST /_emulator/reset') {
      const o = asObject(parseJson(body));
      emu.reset({
        ...(typeof o.state === 'boolean' ? { state: o.state } : {}),
        ...(typeof o.faults === 'boolean' ? { faults: o.faults } : {}),
        ...(typeof o.calls === 'boolean' ? { calls: o.calls } : {}),
      });
      return send(200, { ok: true });
    }
    if (route === 'GET /_emulator/config') return send(200, emu.config);
    if (route === 'POST /_emulator/config' || route === 'PATCH /_emulator/config') {
      const o = asObject(parseJson(body));
      for (const [k, v] of Object.entries(o)) {
        const type = CONFIG_KEYS[k as keyof EmulatorConfig];
        if (!type) throw new ControlError(400, `unknown config key ${k}`);
        if (typeof v !== type) throw new ControlError(400, `config ${k} must be a ${type}`);
      }
      Object.assign(emu.config, o);
      return send(200, emu.config);
    }
    if (route === 'GET /_emulator/faults') return send(200, { faults: emu.faults.list() });
    if (route === 'POST /_emulator/faults') {
      const parsed = parseJson(body);
      const rules = Array.isArray(parsed) ? parsed : Array.isArray(asObject(parsed).rules) ? (asObject(parsed).rules as unknown[]) : [parsed];
      const ids = rules.map((r) => emu.faults.add(validateFault(r)));
      return send(200, { ok: true, ids });
    }
    if (route === 'DELETE /_emulator/faults') {
      emu.faults.clear();
      return send(200, { ok: true });
    }
    const faultMatch = /^DELETE \/_emulator\/faults\/([^/]+)$/.exec(route);
    if (faultMatch) {
      const removed = emu.faults.remove(decodeURIComponent(faultMatch[1] ?? ''));
      return send(removed ? 200 : 404, { ok: removed });
    }
    if (route === 'GET /_emulator/calls') {
      const query: CallQuery = {};
      const service = q.get('service');
      if (service) query.service = service as Service;
      const action = q.get('action');
      if (action) query.action = action;
      const region = q.get('region');
      if (region) query.region = region;
      const instanceId = q.get('instanceId');
      if (instanceId) query.instanceId = instanceId;
      const ok = q.get('ok');
      if (ok === 'true' || ok === 'false') query.ok = ok === 'true';
      const list = emu.calls.list(query);
      const withRecords = q.get('records') !== 'false';
      return send(200, { total: list.length, byAction: emu.calls.byAction(), ...(withRecords ? { calls: list } : {}) });
    }
    if (route === 'DELETE /_emulator/calls' || route === 'POST /_emulator/calls/reset') {
      emu.calls.reset();
      return send(200, { ok: true });
    }
    if (route === 'POST /_emulator/imds/expire-tokens') {
      const o = asObject(parseJson(body));
      const expired = emu.imds.expireTokens(typeof o.instanceId === 'string' ? o.instanceId : undefined);
      return send(200, { ok: true, expired });
    }
    if (route === 'POST /_emulator/imds/rotate-credentials') {
      const o = asObject(parseJson(body));
      emu.imds.rotateCredentials(typeof o.instanceId === 'string' ? o.instanceId : undefined);
      return send(200, { ok: true });
    }
    if (route === 'GET /_emulator/imds') return send(200, emu.imdsUrls());
    if (route === 'POST /_emulator/route53/sync') return send(200, { ok: true, synced: emu.route53.syncAll() });
    const stateMatch = /^POST \/_emulator\/ec2\/instances\/([^/]+)\/state$/.exec(route);
    if (stateMatch) {
      const id = decodeURIComponent(stateMatch[1] ?? '');
      const o = asObject(parseJson(body));
      const found = emu.state.findInstance(id);
      if (!found) throw new ControlError(404, `unknown instance ${id}`);
      if (typeof o.state !== 'string' || !(o.state in INSTANCE_STATE_CODES)) {
        throw new ControlError(400, `state must be one of ${Object.keys(INSTANCE_STATE_CODES).join(', ')}`);
      }
      emu.ec2.setInstanceState(id, o.state as InstanceStateName);
      return send(200, { ok: true, instanceId: id, state: found.instance.state });
    }
    if (route === 'GET /_emulator/ec2/instance-events') {
      // Long poll: the state changes after `after`, waiting up to `waitMs` (at most 60 s) for one.
      const after = Number(q.get('after') ?? 0);
      const waitMs = Math.min(60_000, Number(q.get('waitMs') ?? 0));
      if (!Number.isFinite(after) || after < 0 || !Number.isFinite(waitMs) || waitMs < 0)
        throw new ControlError(400, 'after and waitMs must be non-negative numbers');
      const events = waitMs > 0 ? await emu.ec2.waitInstanceEvents(after, waitMs) : emu.ec2.instanceEvents(after);
      return send(200, { events, last: events.at(-1)?.seq ?? after });
    }
    throw new ControlError(404, `unknown control endpoint: ${route}`);
  } catch (e) {
    if (e instanceof ControlError) return send(e.status, { error: e.message });
    if (e instanceof SeedError) return send(400, { error: e.message });
    return send(500, { error: (e as Error).message });
  }
}
