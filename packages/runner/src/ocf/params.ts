/**
 * OCF parameters (`OCF_RESKEY_<name>`) to a kit's options: the same schema, the same validation,
 * errors that name the parameter (exit 6 through the policy's `parameters` stage). The agent's
 * own parameters (metadata.ts AGENT_PARAMS) are split off first. Secrets are never parameters.
 */
import { ConfigError, type Issue, type Kit, type RawValue } from '@recovery-kit/sdk';
import { AGENT_PARAMS } from './metadata.ts';

export interface AgentSettings {
  localRecovery: boolean;
  degraded: boolean;
  /** TAG -> OPTION -> VALUE from the `children` parameter. */
  children: Map<string, Record<string, string>>;
}

export interface OcfParams {
  /** Kit options as given (strings), only those present. */
  raw: Record<string, RawValue>;
  agent: AgentSettings;
}

const META = 'CRM_meta_';

const bool = (name: string, v: string | undefined, fallback: boolean): boolean => {
  if (v === undefined || v === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(`parameter ${name} (OCF_RESKEY_${name}): ${JSON.stringify(v)} is not a boolean`, { field: name, fix: `set ${name} to true or false` });
};

function parseChildren(text: string | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  if (!text) return out;
  for (const entry of text.trim().split(/\s+/)) {
    const m = /^([A-Za-z0-9_-][A-Za-z0-9_./-]*):([A-Za-z][A-Za-z0-9_]*)=(.*)$/.exec(entry);
    if (!m)
      throw new ConfigError(`parameter children (OCF_RESKEY_children): ${JSON.stringify(entry)} is not TAG:OPTION=VALUE`, {
        field: 'children',
        fix: 'write entries such as vip:address=10.0.0.10/32, separated by spaces',
      });
    const rec = out.get(m[1]!) ?? {};
    rec[m[2]!] = m[3]!;
    out.set(m[1]!, rec);
  }
  return out;
}

/** Reads the parameters from the environment. Throws ConfigError naming the parameter for the agent's own. */
export function readParams(kit: Kit, env: NodeJS.ProcessEnv): OcfParams {
  const raw: Record<string, RawValue> = {};
  const own = new Set(AGENT_PARAMS.map((p) => p.name));
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith('OCF_RESKEY_') || value === undefined) continue;
    const name = key.slice('OCF_RESKEY_'.length);
    // Pacemaker passes meta-attributes as CRM_meta_* and its feature set as crm_feature_set;
    // everything else is an instance parameter.
    if (name.startsWith(META) || name === 'crm_feature_set' || own.has(name)) continue;
    raw[name] = value;
  }
  const get = (n: string) => env[`OCF_RESKEY_${n}`];
  return {
    raw,
    agent: {
      localRecovery: bool('local_recovery', get('local_recovery'), false),
      degraded: bool('degraded_results', get('degraded_results'), false),
      children: parseChildren(get('children')),
    },
  };
}

/** Secret options given inline: the message tells the operator to use a 0600 file. */
export function inlineSecrets(kit: Kit, raw: Readonly<Record<string, RawValue>>): Issue[] {
  const issues: Issue[] = [];
  for (const [name, field] of Object.entries(kit.options.fields)) {
    if (!field.secret) continue;
    const v = raw[name];
    if (v === undefined || v === null || v === '') continue;
    const fileOption = Object.keys(kit.options.fields).find((k) => k.toLowerCase() === `${name.toLowerCase()}file`);
    issues.push({
      field: name,
      message: 'is a secret and must not be given inline: OCF parameters are stored in the CIB, which the haclient group can read',
      fix: fileOption
        ? `delete ${name} and give ${fileOption}=<path to a 0600 file holding it>`
        : `delete ${name} and give a path to a 0600 file holding it (see the kit's options)`,
    });
  }
  return issues;
}

/** The kit's options from the parameters, through the kit's schema; a ConfigError names each bad parameter. */
export function parseOptions<O>(kit: Kit<O>, raw: Readonly<Record<string, RawValue>>): O {
  const r = kit.options.check(raw);
  if (r.ok) return r.value;
  throw paramError(kit, r.issues);
}

export function paramError(kit: Kit, issues: readonly Issue[]): ConfigError {
  const own = AGENT_PARAMS.map((p) => p.name).join(', ');
  const fix = (i: Issue) =>
    (i.fix ?? '').replace(/--opt ([A-Za-z0-9_]+)=/g, 'the parameter $1=').replace(/^known options: (.*)$/, `known parameters: $1, and the agent's ${own}`);
  const message = (i: Issue) => (i.message === 'unknown option' ? 'unknown parameter' : i.message);
  const lines = issues.map((i) => `  - parameter ${i.field} (OCF_RESKEY_${i.field}): ${message(i)}${i.fix ? ` (fix: ${fix(i)})` : ''}`);
  const first = issues[0];
  return new ConfigError(`invalid parameters for ocf:recovery-kit:${kit.meta.kitType}:\n${lines.join('\n')}`, {
    field: first?.field,
    issues: issues.map((i) => ({ ...i, fix: fix(i) })),
    fix: issues.length === 1 && first ? fix(first) : 'correct the parameters listed above (crm configure edit, or pcs resource update)',
    details: { issues },
  });
}
