import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { HERMETIC_AWS_ENV } from './hermetic.ts';
import type { AddressInfo, Socket } from 'node:net';
import { CallLog } from './calls.ts';
import { handleControl } from './control.ts';
import { Ec2Error, QueryParams, renderEc2Error, renderEc2Response, runEc2Action } from './ec2.ts';
import { type ActiveFault, FaultController, type Service } from './faults.ts';
import { InstanceLifecycle } from './instances.ts';
import { type ImdsSettings, ImdsTokens, handleImds, imdsActionFor } from './imds.ts';
import { Route53Error, type Route53Settings, renderRoute53Error, route53ActionName, runRoute53 } from './route53.ts';
import { type SeedDocument, applySeed, dumpState } from './seed.ts';
import { parseSigV4 } from './sigv4.ts';
import { EmulatorState } from './state.ts';
import type { Emulator, EmulatorConfig, EmulatorOptions, EnvOptions } from './types.ts';
import { requestId as newRequestId } from './util.ts';
// Node's own timer (the emulator depends on nothing of the kit SDK, so not @recovery-kit/sdk/util's sleep).
import { setTimeout as sleep } from 'node:timers/promises';

export type { Emulator, EmulatorConfig, EmulatorOptions, EnvOptions } from './types.ts';

const MAX_BODY = 5 * 1024 * 1024;

/** Collapse repeated slashes (the SDK's MetadataService sends `//latest/...` for a bare base URL). */
function normalizePath(url: string | undefined): string {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  const path = q >= 0 ? raw.slice(0, q) : raw;
  return path.replace(/\/{2,}/g, '/') + (q >= 0 ? raw.slice(q) : '');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
}

interface ImdsListener {
  server: Server;
  sockets: Set<Socket>;
  port: number;
  url: string;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new EmulatorState(options.accountId);
  for (const k of options.knownAccessKeys ?? []) state.knownAccessKeys.add(k);
  const faults = new FaultController();
  const calls = new CallLog();
  const tokens = new ImdsTokens();
  const config: EmulatorConfig = {
    defaultRegion: options.defaultRegion ?? 'us-east-1',
    route53ChangeDelayMs: options.route53ChangeDelayMs ?? 500,
    route53RejectWhilePending: options.route53RejectWhilePending ?? false,
    imdsMaxTokenTtlSeconds: options.imds?.maxTokenTtlSeconds ?? 21600,
    imdsV1Allowed: options.imds?.v1Allowed ?? false,
    imdsCredentialTtlSeconds: options.imds?.credentialTtlSeconds ?? 21600,
    requireKnownAccessKey: options.requireKnownAccessKey ?? false,
    baseLatencyMs: options.baseLatencyMs ?? 0,
    instanceStopDelayMs: options.instanceStopDelayMs ?? 500,
    instanceStartDelayMs: options.instanceStartDelayMs ?? 500,
  };
  const instances = new InstanceLifecycle(() => ({ stopMs: config.instanceStopDelayMs, startMs: config.instanceStartDelayMs }));
  const fixedImdsPorts = options.imds?.ports ?? {};
  const log = options.logger;
  const imdsListeners = new Map<string, ImdsListener>();
  const pendingImds = new Map<string, Promise<ImdsListener>>();
  let stopped = false;

  const imdsSettings = (): ImdsSettings => ({
    maxTokenTtlSeconds: config.imdsMaxTokenTtlSeconds,
    v1Allowed: config.imdsV1Allowed,
    credentialTtlSeconds: config.imdsCredentialTtlSeconds,
  });

  /** Shared fault / latency / logging envelope for one AWS or IMDS call. */
  async function withFaults(
    ctx: { service: Service; action: string; region?: string; instanceId?: string; accessKeyId?: string; params?: Record<string, string> },
    res: ServerResponse,
    req: IncomingMessage,
    faultResponse: (fault: ActiveFault) => { status: number; body: string; code: string; headers?: Record<string, string> },
    run: () => { status: number; body: string; code?: string; headers?: Record<string, string> },
  ): Promise<void> {
    const started = Date.now();
    const decision = faults.decide(ctx);
    const delay = decision.latencyMs + config.baseLatencyMs;
    if (delay > 0) await sleep(delay);
    const base = {
      service: ctx.service,
      action: ctx.action,
      ...(ctx.region !== undefined ? { region: ctx.region } : {}),
      ...(ctx.instanceId !== undefined ? { instanceId: ctx.instanceId } : {}),
      ...(ctx.accessKeyId !== undefined ? { accessKeyId: ctx.accessKeyId } : {}),
      ...(ctx.params !== undefined ? { params: ctx.params } : {}),
    };
    const fault = decision.fault;
    if (fault?.kind === 'drop') {
      calls.record({ ...base, status: 0, fault: 'drop', durationMs: Date.now() - started });
      log?.(`${ctx.service} ${ctx.action} -> dropped connection (fault)`);
      req.socket.destroy();
      return;
    }
    let out: { status: number; body: string; code?: string; headers?: Record<string, string> };
    if (fault) out = faultResponse(fault);
    else out = run();
    const contentType = ctx.service === 'imds' ? 'text/plain' : 'text/xml;charset=UTF-8';
    res.writeHead(out.status, { 'content-type': contentType, ...out.headers });
    res.end(req.method === 'HEAD' ? undefined : out.body);
    calls.record({
      ...base,
      status: out.status,
      ...(out.code !== undefined ? { errorCode: out.code } : {}),
      ...(fault ? { fault: fault.kind } : {}),
      durationMs: Date.now() - started,
    });
    log?.(
      `${ctx.service} ${ctx.action}${ctx.region ? ` [${ctx.region}]` : ''} -> ${out.status}${out.code ? ` ${out.code}` : ''}${fault ? ` (fault ${fault.kind})` : ''}`,
    );
  }

  function ec2FaultResponse(fault: ActiveFault, rid: string): { status: number; body: string; code: string } {
    let status: number;
    let code: string;
    let message: string;
    switch (fault.kind) {
      case 'throttle':
        [status, code, message] = [fault.status ?? 503, fault.code ?? 'RequestLimitExceeded', fault.message ?? 'Request limit exceeded.'];
        break;
      case 'unauthorized':
        [status, code, message] = [
          fault.status ?? 403,
          fault.code ?? 'UnauthorizedOperation',
          fault.message ?? 'You are not authorized to perform this operation.',
        ];
        break;
      default:
        status = fault.status ?? 500;
        code = fault.code ?? (status === 503 ? 'Unavailable' : 'InternalError');
        message = fault.message ?? (status === 503 ? 'The server is overloaded and cannot handle the request.' : 'An internal error has occurred');
    }
    return { status, code, body: renderEc2Error(code, message, rid) };
  }

  function route53FaultResponse(fault: ActiveFault, rid: string): { status: number; body: string; code: string; headers: Record<string, string> } {
    let status: number;
    let code: string;
    let message: string;
    switch (fault.kind) {
      case 'throttle':
        [status, code, message] = [fault.status ?? 400, fault.code ?? 'Throttling', fault.message ?? 'Rate exceeded'];
        break;
      case 'unauthorized':
        [status, code, message] = [fault.status ?? 403, fault.code ?? 'AccessDenied', fault.message ?? 'User is not authorized to perform this action.'];
        break;
      default:
        status = fault.status ?? 500;
        code = fault.code ?? (status === 503 ? 'ServiceUnavailable' : status >= 500 ? 'InternalFailure' : 'InvalidInput');
        message = fault.message ?? (status >= 500 ? 'The service encountered an internal error.' : 'Injected fault');
    }
    const type = status >= 500 ? 'Receiver' : 'Sender';
    return { status, code, body: renderRoute53Error({ code, message, type }, rid), headers: { 'x-amzn-requestid': rid } };
  }

  function knownKey(accessKeyId: string | undefined): boolean {
    return !config.requireKnownAccessKey || (accessKeyId !== undefined && state.knownAccessKeys.has(accessKeyId));
  }

  async function handleEc2(req: IncomingMessage, res: ServerResponse, body: string, query: URLSearchParams): Promise<void> {
    const params = new URLSearchParams(body);
    for (const [k, v] of query) if (!params.has(k)) params.set(k, v);
    const action = params.get('Action') ?? 'Unknown';
    const scope = parseSigV4(req.headers.authorization, query);
    const regionName = scope?.region ?? config.defaultRegion;
    const rid = newRequestId();
    const qp = new QueryParams(params);
    await withFaults(
      {
        service: 'ec2',
        action,
        region: regionName,
        ...(scope ? { accessKeyId: scope.accessKeyId } : {}),
        params: qp.summary(),
      },
      res,
      req,
      (fault) => ec2FaultResponse(fault, rid),
      () => {
        if (!knownKey(scope?.accessKeyId)) {
          return { status: 401, code: 'AuthFailure', body: renderEc2Error('AuthFailure', 'AWS was not able to validate the provided access credentials', rid) };
        }
        try {
          const out = runEc2Action({ action, params: qp, region: state.ec2(regionName), state, instances });
          return { status: 200, body: renderEc2Response(action, rid, out) };
        } catch (e) {
          if (e instanceof Ec2Error) return { status: e.status, code: e.code, body: renderEc2Error(e.code, e.message, rid) };
          log?.(`ec2 ${action}: internal error: ${(e as Error).stack ?? String(e)}`);
          return { status: 500, code: 'InternalError', body: renderEc2Error('InternalError', 'An internal error has occurred', rid) };
        }
      },
    );
  }

  async function handleRoute53(req: IncomingMessage, res: ServerResponse, body: string, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.slice('/2013-04-01'.length) || '/';
    const action = route53ActionName(method, path);
    const scope = parseSigV4(req.headers.authorization, url.searchParams);
    const rid = newRequestId();
    const params: Record<string, string> = { path: url.pathname };
    for (const [k, v] of url.searchParams) params[k] = v;
    await withFaults(
      { service: 'route53', action, ...(scope ? { accessKeyId: scope.accessKeyId } : {}), params },
      res,
      req,
      (fault) => route53FaultResponse(fault, rid),
      () => {
        const headers = { 'x-amzn-requestid': rid };
        if (!knownKey(scope?.accessKeyId)) {
          return {
            status: 403,
            code: 'InvalidClientTokenId',
            headers,
            body: renderRoute53Error({ code: 'InvalidClientTokenId', message: 'The security token included in the request is invalid.', type: 'Sender' }, rid),
          };
        }
        try {
          const out = runRoute53({
            method,
            path,
            query: url.searchParams,
            body,
            state,
            settings: { changeDelayMs: config.route53ChangeDelayMs, rejectWhilePending: config.route53RejectWhilePending } satisfies Route53Settings,
          });
          return { status: out.status, body: out.xml, headers };
        } catch (e) {
          if (e instanceof Route53Error) {
            return {
              status: e.status,
              code: e.code,
              headers,
              body: renderRoute53Error({ code: e.code, message: e.message, type: e.type, messages: e.messages }, rid),
            };
          }
          log?.(`route53 ${action}: internal error: ${(e as Error).stack ?? String(e)}`);
          return {
            status: 500,
            code: 'InternalFailure',
            headers,
            body: renderRoute53Error({ code: 'InternalFailure', message: 'The service encountered an internal error.', type: 'Receiver' }, rid),
          };
        }
      },
    );
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.url = normalizePath(req.url);
    const url = new URL(req.url, 'http://emulator');
    let body: string;
    try {
      body = await readBody(req);
    } catch {
      return;
    }
    if (url.pathname.startsWith('/_emulator/') || url.pathname === '/_emulator') {
      await handleControl(req, res, url, body, emu);
      return;
    }
    if (url.pathname.startsWith('/2013-04-01/')) {
      await handleRoute53(req, res, body, url);
      return;
    }
    const isEc2 = (req.method === 'POST' && /(^|&)Action=/.test(body)) || url.searchParams.has('Action');
    if (isEc2) {
      await handleEc2(req, res, body, url.searchParams);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `not an EC2, Route53 or control request: ${req.method} ${url.pathname}` }));
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      log?.(`internal error: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal emulator error');
    });
  });
  server.keepAliveTimeout = 5000;
  const sockets = trackSockets(server);
  const port = await listen(server, options.port ?? 0, host);
  const endpoint = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  async function startImds(instanceId: string): Promise<ImdsListener> {
    const existing = imdsListeners.get(instanceId);
    if (existing) return existing;
    const pending = pendingImds.get(instanceId);
    if (pending !== undefined) return pending;
    const p = (async () => {
      const s = createServer((req, res) => {
        req.url = normalizePath(req.url);
        const url = new URL(req.url, 'http://imds');
        const action = imdsActionFor(req.method ?? 'GET', url.pathname);
        req.resume();
        withFaults(
          { service: 'imds', action, instanceId, params: { method: req.method ?? 'GET', path: url.pathname } },
          res,
          req,
          (fault) => {
            const status = fault.kind === 'throttle' ? 429 : fault.kind === 'unauthorized' ? 403 : (fault.status ?? 500);
            return { status, code: String(status), body: fault.message ?? (status === 429 ? 'Too Many Requests' : 'Internal Server Error') };
          },
          () => {
            const out = handleImds(req, instanceId, state, tokens, imdsSettings());
            return out.status >= 400 ? { ...out, code: String(out.status) } : out;
          },
        ).catch((e: unknown) => {
          log?.(`imds error: ${String(e)}`);
          if (!res.headersSent) res.writeHead(500);
          res.end();
        });
      });
      s.keepAliveTimeout = 5000;
      const socks = trackSockets(s);
      const imdsPort = await listen(s, fixedImdsPorts[instanceId] ?? 0, host);
      const listener: ImdsListener = { server: s, sockets: socks, port: imdsPort, url: `http://${host.includes(':') ? `[${host}]` : host}:${imdsPort}` };
      imdsListeners.set(instanceId, listener);
      pendingImds.delete(instanceId);
      return listener;
    })();
    pendingImds.set(instanceId, p);
    return p;
  }

  async function ensureImdsForAll(): Promise<void> {
    const ids: string[] = [];
    for (const r of state.regions.values()) for (const id of r.instances.keys()) ids.push(id);
    await Promise.all(ids.map((id) => startImds(id)));
  }

  const emu: Emulator = {
    endpoint,
    port,
    state,
    faults,
    calls,
    config,
    imdsUrlFor(instanceId: string): string {
      const l = imdsListeners.get(instanceId);
      if (!l) throw new Error(`no IMDS listener for instance ${instanceId} (seed the instance first)`);
      return l.url;
    },
    imdsUrls(): Record<string, string> {
      return Object.fromEntries([...imdsListeners.entries()].map(([id, l]) => [id, l.url]));
    },
    async seed(doc: SeedDocument) {
      if (stopped) throw new Error('emulator stopped');
      const result = applySeed(state, doc);
      await ensureImdsForAll();
      return result;
    },
    env(opts: EnvOptions = {}): Record<string, string> {
      const env: Record<string, string> = {
        ...HERMETIC_AWS_ENV,
        AWS_ENDPOINT_URL_EC2: endpoint,
        AWS_ENDPOINT_URL_ROUTE_53: endpoint,
      };
      let region = opts.region;
      if (opts.instanceId) {
        const found = state.findInstance(opts.instanceId);
        region ??= found?.region.region;
        env.AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.imdsUrlFor(opts.instanceId);
        env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE = 'IPv4';
        env.AWS_EC2_METADATA_DISABLED = 'false';
      } else {
        env.AWS_EC2_METADATA_DISABLED = 'true';
      }
      env.AWS_REGION = region ?? config.defaultRegion;
      const creds = opts.credentials ?? (opts.instanceId ? false : { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'emulator-secret' });
      if (creds) {
        env.AWS_ACCESS_KEY_ID = creds.accessKeyId;
        env.AWS_SECRET_ACCESS_KEY = creds.secretAccessKey;
        if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
      }
      return env;
    },
    dump: () => dumpState(state),
    imds: {
      expireTokens: (instanceId?: string) => tokens.expireAll(instanceId),
      rotateCredentials(instanceId?: string) {
        if (instanceId) state.roleCredentials.delete(instanceId);
        else state.roleCredentials.clear();
      },
    },
    route53: {
      syncAll() {
        let n = 0;
        const now = Date.now();
        for (const c of state.changes.values()) {
          if (c.insyncAt > now) {
            c.insyncAt = now;
            n++;
          }
        }
        return n;
      },
    },
    ec2: {
      onInstanceState: (listener) => instances.on(listener),
      instanceEvents: (after) => instances.events(after),
      waitInstanceEvents: (after, waitMs) => instances.waitEvents(after, waitMs),
      setInstanceState(instanceId, next) {
        const found = state.findInstance(instanceId);
        if (!found) throw new Error(`unknown instance ${instanceId}`);
        instances.set(found.region, found.instance, next, 'control');
      },
    },
    reset(opts = {}) {
      if (opts.state ?? true) {
        state.clear();
        tokens.clear();
        instances.clear();
      }
      if (opts.faults ?? true) faults.clear();
      if (opts.calls ?? true) calls.reset();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      instances.clear();
      await Promise.all([...pendingImds.values()].map((p) => p.catch(() => undefined)));
      await Promise.all([closeServer(server, sockets), ...[...imdsListeners.values()].map((l) => closeServer(l.server, l.sockets))]);
    },
  };

  if (options.seed) await emu.seed(options.seed);
  return emu;
}
