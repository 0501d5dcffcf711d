import { KIT_ACTIONS, type Kit } from '@recovery-kit/sdk';
import { discoverKits, loadKit, SUPPORTED_API_VERSIONS } from '../loader.ts';
import type { Settings } from '../settings.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { noExtra } from './common.ts';
import { printJson, table } from './output.ts';

function describeKit(kit: Kit) {
  return {
    kitType: kit.meta.kitType,
    name: kit.meta.name,
    version: kit.meta.version,
    description: kit.meta.description,
    actions: KIT_ACTIONS.filter((a) => typeof kit.actions[a] === 'function'),
    commands: Object.fromEntries(Object.entries(kit.commands ?? {}).map(([k, c]) => [k, c.description])),
    cli: Object.fromEntries(Object.entries(kit.cli ?? {}).map(([k, c]) => [k, { description: c.description, usage: c.usage }])),
    options: Object.fromEntries(
      Object.entries(kit.options.fields).map(([k, f]) => [
        k,
        {
          kind: f.kind,
          required: f.required,
          default: f.default,
          perServer: f.perServer,
          secret: f.secret,
          description: f.description,
          values: f.values,
          min: f.min,
          max: f.max,
          example: f.example,
        },
      ]),
    ),
    tunables: kit.tunables ?? {},
    timeouts: kit.timeouts ?? {},
  };
}

/** Describes one kit (loads its code): options, actions, commands, tunables. */
export async function printKit(settings: Settings, type: string): Promise<number> {
  const discovery = discoverKits(settings.kitsDirs);
  const kit = await loadKit(discovery, type);
  const d = describeKit(kit);
  if (settings.json) {
    printJson({ ok: true, kit: d, dir: discovery.kits.get(type)?.dir });
    return 0;
  }
  const out: string[] = [];
  out.push(`${d.kitType}: ${d.name}@${d.version}${d.description ? ` - ${d.description}` : ''}`);
  out.push(`installed at ${discovery.kits.get(type)?.dir}`, '');
  out.push(`Actions: ${d.actions.join(', ')}`);
  if (Object.keys(d.commands).length)
    out.push(
      `Own actions (kit-runner action TAG NAME): ${Object.entries(d.commands)
        .map(([k, v]) => `${k} (${v})`)
        .join('; ')}`,
    );
  if (Object.keys(d.cli).length) {
    out.push('', 'Commands:');
    for (const [k, v] of Object.entries(d.cli)) out.push(`  kit-runner ${d.kitType} ${k} ${v.usage}`, `      ${v.description}`);
  }
  out.push('', 'Options (--opt KEY=VALUE):');
  out.push(
    table([
      ['  NAME', 'TYPE', 'REQUIRED', 'DEFAULT', 'DESCRIPTION'],
      ...Object.entries(d.options).map(([k, o]) => [
        `  ${k}`,
        o.kind === 'enum' ? `${o.values?.join('|')}` : o.kind,
        o.required ? 'yes' : o.perServer ? 'per-server' : '',
        o.default === undefined ? '' : Array.isArray(o.default) ? o.default.join(',') : String(o.default),
        o.description,
      ]),
    ]),
  );
  if (Object.keys(d.tunables).length) {
    out.push('', 'Tunables (in the tunables file; NAME_<tag> overrides one resource):');
    out.push(
      table([
        ['  NAME', 'TYPE', 'DEFAULT', 'DESCRIPTION'],
        ...Object.entries(d.tunables).map(([k, t]) => [`  ${k}`, t.kind, t.default === undefined ? '' : String(t.default), t.description]),
      ]),
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}

async function run(inv: Invocation): Promise<number> {
  noExtra(inv, 2, command.usage);
  const type = inv.positionals[1];
  if (type !== undefined) return printKit(inv.settings, type);
  const discovery = discoverKits(inv.settings.kitsDirs);
  const kits = [...discovery.kits.values()].sort((a, b) => a.kitType.localeCompare(b.kitType));
  if (inv.settings.json) {
    printJson({
      ok: true,
      supportedApiVersions: SUPPORTED_API_VERSIONS,
      searched: discovery.searched,
      kits: kits.map((k) => ({
        kitType: k.kitType,
        name: k.name,
        version: k.version,
        apiVersion: k.manifest.apiVersion,
        dir: k.dir,
        source: k.source,
        usable: !k.problem,
        problem: k.problem,
        shadowed: k.shadowed,
      })),
      broken: discovery.broken.map((k) => ({ name: k.name, version: k.version, dir: k.dir, problem: k.problem })),
    });
    return 0;
  }
  const rows = [['KIT', 'PACKAGE', 'VERSION', 'STATUS', 'FROM']];
  for (const k of kits)
    rows.push([k.kitType, k.name, k.version, k.problem ? `unusable: ${k.problem.code}` : 'ok', k.source === 'kits-dir' ? k.dir : 'runner install']);
  for (const k of discovery.broken) rows.push(['?', k.name, k.version, `unusable: ${k.problem?.code}`, k.dir]);
  process.stdout.write(kits.length + discovery.broken.length ? `${table(rows)}\n` : `No kits found. Searched: ${discovery.searched.join(', ')}\n`);
  for (const k of [...kits, ...discovery.broken].filter((x) => x.problem))
    process.stdout.write(`\n${k.name}: ${k.problem!.message}\n  fix: ${k.problem!.fix}\n`);
  return 0;
}

export const command = defineCommand({
  name: 'kits',
  summary: 'list installed kits, or describe one',
  usage: 'kit-runner kits [KIT_TYPE] [--json]',
  help: 'Without an argument, lists the kits found (manifests only; no kit code runs) and any kit that cannot be used, with the reason. With KIT_TYPE, loads that kit and shows its options, actions, commands and tunables.',
  examples: [
    { about: 'the installed kits', cmd: 'kit-runner kits' },
    { about: "the ip kit's options, actions and tunables", cmd: 'kit-runner kits ip' },
    { about: 'look in another kits directory first', cmd: 'kit-runner --kits-dir /opt/kits kits --json' },
  ],
  options: {},
  run,
});
