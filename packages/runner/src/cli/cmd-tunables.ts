import type { Kit, TunableSpec } from '@recovery-kit/sdk';
import { discoverKits, loadKit } from '../loader.ts';
import { checkTunables, CORE_TUNABLES, declaredName, readTunablesFile, typedValue, undeclaredTunables } from '../tunables.ts';
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
  const undeclared = undeclaredTunables(file.values, specs);
  if (undeclared.length && inv.values.strict) {
    throw ConfigError.fromIssues(`undeclared key in the tunables file ${file.path} (--strict)`, undeclared);
  }
  if (!inv.settings.json && !inv.values.quiet) {
    for (const i of undeclared) process.stderr.write(`kit-runner: warning: ${file.path}: ${i.message}; ${i.fix}\n`);
  }
  const rows = Object.keys(specs)
    .sort()
    .map((k) => ({
      name: k,
      owner: owners[k],
      value: typedValue(file.values[k] ?? specs[k]!.default, specs[k]),
      source: file.values[k] !== undefined ? 'file' : 'default',
      kind: specs[k]!.kind,
      default: specs[k]!.default,
      description: specs[k]!.description,
    }));
  const extra = Object.keys(file.values)
    .filter((k) => !specs[k])
    .sort()
    .map((k) => {
      const base = declaredName(k, specs);
      const spec = base ? specs[base] : undefined;
      return {
        name: k,
        owner: base ? owners[base]! : null,
        value: typedValue(file.values[k], spec),
        source: 'file',
        kind: spec?.kind ?? 'string',
        default: spec?.default,
        description: base ? `per-tag override of ${base}` : 'not declared by the runner or an installed kit',
      };
    });
  if (inv.settings.json) {
    printJson({
      ok: true,
      formatVersion: 1,
      file: file.path,
      exists: file.exists,
      tunables: [...rows, ...extra],
      warnings: undeclared.map((i) => ({ key: i.field, message: i.message, fix: i.fix })),
    });
    return 0;
  }
  process.stdout.write(`Tunables file: ${file.path}${file.exists ? '' : ' (absent: defaults apply)'}\n\n`);
  process.stdout.write(
    `${table([['NAME', 'VALUE', 'SOURCE', 'OWNER', 'DESCRIPTION'], ...[...rows, ...extra].map((r) => [r.name, r.value === null ? '' : String(r.value), r.source, r.owner ?? '-', r.description])])}\n`,
  );
  return 0;
}

export const command = defineCommand({
  name: 'tunables',
  summary: 'show the tunables in effect, their values and where they come from',
  usage: 'kit-runner tunables [--strict] [--json]',
  help: [
    "Reads the tunables file and lists the runner's and every loadable kit's tunables with their value, default and source. Exits 6 when the file is malformed or a value is invalid.",
    'A key that no one declares (neither NAME nor a per-tag override NAME_<tag>) is a warning with a did-you-mean; --strict makes it an error (exit 6). With --json, values are typed (numbers as numbers, booleans as true/false) and warnings are listed.',
  ].join('\n'),
  examples: [
    { about: 'what is in effect, and where each value comes from', cmd: 'kit-runner tunables' },
    { about: 'check a new tunables file before installing it (exit 6 on any problem)', cmd: 'kit-runner --tunables /tmp/recovery-kit.new tunables --strict' },
  ],
  options: { strict: { type: 'boolean' } },
  run,
});
