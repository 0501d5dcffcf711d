#!/usr/bin/env node
/** aws-emulator: run the local AWS emulator until SIGINT/SIGTERM. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startEmulator } from './emulator.ts';
import { twoAzLayout, twoRegionLayout } from './layouts.ts';
import type { SeedDocument } from './seed.ts';

const USAGE = `Usage: aws-emulator [options]

Local AWS emulator (EC2 Query API, Route53, IMDSv2) on loopback for tests and demos.

Options:
  --port N               port for the EC2/Route53/control endpoint (default 0 = ephemeral)
  --host ADDR            listen address (default 127.0.0.1)
  --seed FILE            seed the state from a JSON seed document (repeatable)
  --layout NAME          seed a built-in layout: two-az | two-region
  --region NAME          default region (requests without SigV4 scope; AWS_REGION in --print-env)
  --route53-delay-ms N   delay before Route53 changes become INSYNC (default 500)
  --imds-max-ttl N       cap IMDS token TTLs at N seconds
  --print-env            print "export VAR=value" lines for the SDK (and per-instance IMDS endpoints)
  --instance ID          with --print-env: env for a process running on this emulated instance
  --json                 print one JSON line {endpoint, port, imds, env, ids} instead of text
  --log                  log one line per API call to stderr (never secrets)
  -h, --help             show this help

Control API: GET/POST <endpoint>/_emulator/... (see the package README).`;

function shellQuote(v: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      seed: { type: 'string', multiple: true },
      layout: { type: 'string' },
      region: { type: 'string' },
      'route53-delay-ms': { type: 'string' },
      'imds-max-ttl': { type: 'string' },
      'print-env': { type: 'boolean', default: false },
      instance: { type: 'string' },
      json: { type: 'boolean', default: false },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const num = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got ${v}`);
    return n;
  };
  const delay = num('route53-delay-ms', values['route53-delay-ms']);
  const maxTtl = num('imds-max-ttl', values['imds-max-ttl']);
  const emu = await startEmulator({
    host: values.host,
    port: num('port', values.port) ?? 0,
    ...(values.region ? { defaultRegion: values.region } : {}),
    ...(delay !== undefined ? { route53ChangeDelayMs: delay } : {}),
    ...(maxTtl !== undefined ? { imds: { maxTokenTtlSeconds: maxTtl } } : {}),
    ...(values.log ? { logger: (line: string) => process.stderr.write(`[aws-emulator] ${line}\n`) } : {}),
  });
  let ids: unknown;
  if (values.layout) {
    if (values.layout === 'two-az') {
      const l = twoAzLayout(values.region ? { region: values.region } : {});
      await emu.seed(l.seed);
      ids = l.ids;
    } else if (values.layout === 'two-region') {
      const l = twoRegionLayout();
      await emu.seed(l.seed);
      ids = l.ids;
    } else {
      throw new Error(`unknown --layout ${values.layout} (two-az | two-region)`);
    }
  }
  for (const file of values.seed ?? []) {
    await emu.seed(JSON.parse(readFileSync(file, 'utf8')) as SeedDocument);
  }
  const env = emu.env({ ...(values.instance ? { instanceId: values.instance } : {}), ...(values.region ? { region: values.region } : {}) });
  const imds = emu.imdsUrls();
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ endpoint: emu.endpoint, port: emu.port, imds, env, ...(ids ? { ids } : {}) })}\n`);
  } else {
    process.stdout.write(`# aws-emulator listening on ${emu.endpoint} (control API: ${emu.endpoint}/_emulator/info)\n`);
    if (values['print-env']) {
      for (const [k, v] of Object.entries(env)) process.stdout.write(`export ${k}=${shellQuote(v)}\n`);
      if (!values.instance) {
        for (const [id, url] of Object.entries(imds)) {
          process.stdout.write(`# on ${id}: export AWS_EC2_METADATA_SERVICE_ENDPOINT=${url} AWS_EC2_METADATA_DISABLED=false\n`);
        }
      }
    }
  }
  const shutdown = (): void => {
    emu.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((e: unknown) => {
  process.stderr.write(`aws-emulator: ${(e as Error).message}\n`);
  process.exit(2);
});
