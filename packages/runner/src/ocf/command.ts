/**
 * `kit-runner ocf ...`: install and uninstall the OCF agents, print a kit's meta-data, and the
 * agent entry itself (`kit-runner ocf agent KIT_TYPE ACTION`, what the installed agents run).
 */
import { ExitCode, UsageError } from '@recovery-kit/sdk';
import { defineCommand, type Invocation } from '../cli/spec.ts';
import { printJson } from '../cli/output.ts';
import { discoverKits, loadKit } from '../loader.ts';
import { DEFAULT_OCF_ROOT, install, uninstall } from './install.ts';
import { metadataXml, OCF_PROFILES, type OcfProfile } from './metadata.ts';

function profileFlag(v: unknown): OcfProfile | undefined {
  if (v === undefined) return undefined;
  if ((OCF_PROFILES as readonly unknown[]).includes(v)) return v as OcfProfile;
  throw new UsageError(`--profile ${JSON.stringify(v)} is not an OCF meta-data profile`, {
    field: '--profile',
    fix: 'use --profile 1.1 (OCF 1.1, the default) or --profile 1.0 (what ocf-tester and ra-api-1.dtd accept)',
  });
}

async function run(inv: Invocation): Promise<number> {
  const sub = inv.positionals[1];
  const s = inv.settings;
  if (sub === 'agent') {
    const { runAgent } = await import('./agent.ts');
    const kitType = inv.positionals[2];
    if (!kitType) throw new UsageError('KIT_TYPE is missing', { fix: 'usage: kit-runner ocf agent KIT_TYPE ACTION' });
    return runAgent(kitType, inv.positionals[3]);
  }
  if (sub === 'meta-data') {
    const kitType = inv.positionals[2];
    if (!kitType) throw new UsageError('KIT_TYPE is missing', { fix: 'usage: kit-runner ocf meta-data KIT_TYPE [--profile 1.0|1.1]' });
    const kit = await loadKit(discoverKits(s.kitsDirs), kitType);
    process.stdout.write(metadataXml(kit, profileFlag(inv.values.profile) ?? '1.1'));
    return ExitCode.OK;
  }
  const root = typeof inv.values.root === 'string' ? inv.values.root : DEFAULT_OCF_ROOT;
  if (sub === 'install') {
    const profile = profileFlag(inv.values.profile);
    const env: Record<string, string> = {};
    if (inv.values['kits-dir'] !== undefined || process.env.KIT_RUNNER_KITS_DIR !== undefined) env.KIT_RUNNER_KITS_DIR = s.kitsDirs.join(':');
    if (inv.values.tunables !== undefined || process.env.KIT_RUNNER_TUNABLES !== undefined) env.KIT_RUNNER_TUNABLES = s.tunablesPath;
    if (profile) env.KIT_RUNNER_OCF_PROFILE = profile;
    const r = await install(discoverKits(s.kitsDirs), { root, env });
    if (s.json) printJson({ ok: true, ...r });
    else {
      for (const f of r.written) process.stdout.write(`installed ${f}\n`);
      for (const f of r.unchanged) process.stdout.write(`unchanged ${f}\n`);
      for (const f of r.removed) process.stdout.write(`removed ${f} (its kit is no longer installed)\n`);
      for (const k of r.skipped) process.stderr.write(`skipped ${k.kitType}: ${k.reason}\n`);
    }
    return ExitCode.OK;
  }
  if (sub === 'uninstall') {
    const r = uninstall(root);
    if (s.json) printJson({ ok: true, ...r });
    else {
      for (const f of r.removed) process.stdout.write(`removed ${f}\n`);
      for (const f of r.kept) process.stderr.write(`kept ${f} (not written by kit-runner)\n`);
      if (!r.removed.length) process.stdout.write(`no agents installed in ${r.dir}\n`);
    }
    return ExitCode.OK;
  }
  throw new UsageError(sub ? `unknown ocf command "${sub}"` : 'ocf needs a command', { field: 'command', fix: `usage: ${command.usage}` });
}

export const command = defineCommand({
  name: 'ocf',
  summary: 'install or remove the OCF resource agents (ocf:recovery-kit:<kitType>) for Pacemaker',
  usage: 'kit-runner ocf {install [--root DIR] [--profile 1.0|1.1] | uninstall [--root DIR] | meta-data KIT_TYPE [--profile 1.0|1.1] | agent KIT_TYPE ACTION}',
  help: [
    'install     writes one agent per installed kit at DIR/recovery-kit/<kitType> (DIR default /usr/lib/ocf/resource.d), mode 0755; safe to run again (unchanged agents are left alone; agents of kits no longer installed go). --profile 1.0 makes the agents print OCF 1.0-compatible meta-data (what ocf-tester accepts); default 1.1. The KIT_RUNNER_OCF_PROFILE environment variable chooses it per call.',
    'uninstall   removes the agents install wrote, and the directory when it is empty.',
    "meta-data   prints a kit's OCF meta-data.",
    'agent       runs one OCF action (what the installed agents call); parameters in OCF_RESKEY_*.',
    'See docs/operate/pacemaker.md and docs/reference/ocf.md.',
  ].join('\n'),
  examples: [
    { about: 'install an agent for every installed kit', cmd: 'kit-runner ocf install' },
    { about: "the ip kit's OCF meta-data, as ocf-tester wants it", cmd: 'kit-runner ocf meta-data ip --profile 1.0' },
  ],
  options: { root: { type: 'string' }, profile: { type: 'string' } },
  run,
});
