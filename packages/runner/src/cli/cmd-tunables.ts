import type { Kit, TunableSpec } from '@recovery-kit/sdk';
import { discoverKits, loadKit } from '../loader.ts';
import { checkTunables, CORE_TUNABLES, readTunablesFile } from '../tunables.ts';
import { ConfigError } from '@recovery-kit/sdk';
import { defineCommand, type Invocation } from './spec.ts';
import { printJson, table } from './output.ts';

async function run(inv: Invocation): Promise<number> {
  const file = readTunablesFile(inv.settings.tunablesPath);
  const discovery = discoverKits(inv.settings.kitsDirs);
  const owners: Record<string, string> = {};
  const specs: Record<string, TunableSpec> = {};
  for (const [k, s] of Object.entries(CORE_TUNABLES)) {
    specs[k] = s;
    owners[k] = 'runner';
  }
  for (const entry of discovery.kits.values()) {
    if (entry.problem) continue;
    let kit: Kit;
    try {
      kit = await loadKit(discovery, entry.kitType);
    } catch {
      continue;
    }
    for (const [k, s] of Object.entries(kit.tunables ?? {})) {
      specs[k] = s;
      owners[k] = entry.kitType;
    }
  }
  const issues = checkTunables(file.values, specs);
  if (issues.length) throw ConfigError.fromIssues(`invalid value in the tunables file ${file.path}`, issues);
  const rows = Object.keys(specs)
    .sort()
    .map((k) => ({
      name: k,
      owner: owners[k],
      value: file.values[k] ?? (specs[k]!.default === undefined ? null : String(specs[k]!.default)),
      source: file.values[k] !== undefined ? 'file' : 'default',
      kind: specs[k]!.kind,
      default: specs[k]!.default,
      description: specs[k]!.description,
    }));
  const extra = Object.keys(file.values)
    .filter((k) => !specs[k])
    .sort()
    .map((k) => ({
      name: k,
      owner: null,
      value: file.values[k],
      source: 'file',
      kind: 'string',
      default: undefined,
      description: 'not declared by the runner or an installed kit (per-tag override, or for another tool)',
    }));
  if (inv.settings.json) {
    printJson({ ok: true, file: file.path, exists: file.exists, tunables: [...rows, ...extra] });
    return 0;
  }
  process.stdout.write(`Tunables file: ${file.path}${file.exists ? '' : ' (absent: defaults apply)'}\n\n`);
  process.stdout.write(
    `${table([['NAME', 'VALUE', 'SOURCE', 'OWNER', 'DESCRIPTION'], ...[...rows, ...extra].map((r) => [r.name, r.value ?? '', r.source, r.owner ?? '-', r.description])])}\n`,
  );
  return 0;
}

export const command = defineCommand({
  name: 'tunables',
  summary: 'show the tunables in effect, their values and where they come from',
  usage: 'kit-runner tunables [--json]',
  help:
    "Reads the tunables file and lists the runner's and every loadable kit's tunables with their value, default\n" +
    'and source. Exits 6 when the file is malformed or a value is invalid.',
  options: {},
  run,
});
