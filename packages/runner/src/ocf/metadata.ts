/**
 * OCF meta-data generated from a kit's option schema (`kit.options.fields`), its timeout
 * tunables and the agent's own parameters. Two profiles:
 *
 * - `1.1`: OCF 1.1 (`<version>1.1</version>`): enums as `select` with `<option>`s, `unique-group`,
 *   `required`, `reloadable`, `reload-agent` when a parameter is reloadable, Promoted/Unpromoted
 *   monitor entries for kits with roles. Checked against our RelaxNG (schemas/ocf-1.1.rng).
 * - `1.0`: what resources-agents' ra-api-1.dtd (and so `ocf-tester`) accepts: no `select` (enums
 *   are strings, the values listed in the description), no `unique-group` (the deprecated
 *   boolean `unique` instead), no `reloadable`, no `reload-agent`, no `required` only where the
 *   DTD allows it (it does), no `lang`-less text. Content types stay within string, integer,
 *   boolean (never `time`, which the 1.1 schema lacks).
 *
 * From the contract (packages/sdk): a field's `unique` (true or a group name) and `reloadable`,
 * the kit's `checkLevels` (what quickCheck does at each OCF_CHECK_LEVEL; a `depth` monitor per
 * level above 0) and `actions.promote`/`actions.demote` (roles).
 */
import type { Field, Kit } from '@recovery-kit/sdk';
import { CORE_TUNABLES } from '../tunables.ts';

export type OcfProfile = '1.0' | '1.1';
export const OCF_PROFILES: readonly OcfProfile[] = ['1.0', '1.1'];
/** Pacemaker 2.1 reads OCF 1.1 meta-data (it uses reload-agent only for agents claiming 1.1): the default. */
export const DEFAULT_PROFILE: OcfProfile = '1.1';

/** A field's OCF declarations (typed in the SDK's Field). */
export const extrasOf = (field: Field<unknown>): { unique?: boolean | string; reloadable?: boolean } => ({
  ...(field.unique !== undefined ? { unique: field.unique } : {}),
  ...(field.reloadable !== undefined ? { reloadable: field.reloadable } : {}),
});
/** A kit has roles when it declares both promote and demote. */
export const hasRoles = (kit: Kit): boolean => typeof kit.actions.promote === 'function' && typeof kit.actions.demote === 'function';

/** A parameter the agent adds to every kit's (not a kit option). */
export interface AgentParam {
  name: string;
  kind: 'string' | 'boolean' | 'integer';
  default?: string;
  shortdesc: string;
  longdesc: string;
}

export const AGENT_PARAMS: readonly AgentParam[] = [
  {
    name: 'local_recovery',
    kind: 'boolean',
    default: 'false',
    shortdesc: "Run the kit's recover before monitor reports a failure",
    longdesc:
      "When true, a monitor that finds the resource unhealthy runs the kit's local recovery (recover) once and checks again; only if that fails does monitor report the failure to Pacemaker. When false, Pacemaker's own recovery (stop, start) runs.",
  },
  {
    name: 'degraded_results',
    kind: 'boolean',
    default: 'false',
    shortdesc: 'Report "could not tell" monitors as degraded (190/191)',
    longdesc:
      'When the kit cannot tell whether the resource is healthy (the cloud API did not answer), monitor reports running (0, or 8 when promoted). With true it reports OCF_DEGRADED (190, 191 when promoted) instead. Off by default: some Pacemaker versions loop on degraded results.',
  },
  {
    name: 'children',
    kind: 'string',
    shortdesc: 'Options of the resources this one depends on (TAG:OPTION=VALUE ...)',
    longdesc:
      'Space-separated TAG:OPTION=VALUE entries giving the options of a child resource the kit names (the Route 53 kit\'s ip, the EC2 kit\'s ipResource), e.g. "vip:address=10.0.0.10/32". A child not listed here is read from the Pacemaker resource of that name with crm_resource --get-parameter.',
  },
];

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function firstSentence(text: string): string {
  const s = text.split(/(?<=[.!?])\s+|\n/)[0] ?? text;
  const t = s.replace(/[.:]$/, '');
  return t.length > 100 ? `${t.slice(0, 97)}...` : t;
}

function defaultText(field: Field<unknown>): string | undefined {
  const d = field.default;
  if (d === undefined) return undefined;
  if (Array.isArray(d)) return d.length ? d.join(',') : undefined;
  return String(d);
}

function contentOf(field: Field<unknown>, profile: OcfProfile): string {
  const def = defaultText(field);
  const dflt = def === undefined ? '' : ` default="${esc(def)}"`;
  switch (field.kind) {
    case 'boolean':
      return `<content type="boolean"${dflt}/>`;
    case 'integer':
      return `<content type="integer"${dflt}/>`;
    case 'enum':
      if (profile === '1.1') {
        const opts = (field.values ?? []).map((v) => `<option value="${esc(v)}"/>`).join('');
        return `<content type="select"${dflt}>${opts}</content>`;
      }
      return `<content type="string"${dflt}/>`;
    default:
      // string, number (no OCF type for decimals), list (comma-separated)
      return `<content type="string"${dflt}/>`;
  }
}

function longdescOf(name: string, field: Field<unknown>, profile: OcfProfile): string {
  const parts = [field.description];
  if (field.kind === 'list') parts.push('A comma- or space-separated list.');
  if (field.kind === 'number') parts.push('A number (decimals allowed).');
  if (field.kind === 'enum' && profile === '1.0') parts.push(`One of: ${(field.values ?? []).join(', ')}.`);
  if (field.min !== undefined || field.max !== undefined) parts.push(`Range: ${field.min ?? '-'} to ${field.max ?? '-'}.`);
  if (field.example) parts.push(`Example: ${name}=${field.example}.`);
  if (field.secret) parts.push('A secret: never give it inline (the CIB is readable by the haclient group); give a path to a 0600 file instead.');
  return parts.join(' ');
}

function paramXml(name: string, attrs: string, longdesc: string, shortdesc: string, content: string): string {
  return `<parameter name="${esc(name)}"${attrs}>\n<longdesc lang="en">${esc(longdesc)}</longdesc>\n<shortdesc lang="en">${esc(shortdesc)}</shortdesc>\n${content}\n</parameter>`;
}

/** Seconds: the kit's timeout tunable's default for the action, else the runner's. */
export interface ActionTimeout {
  seconds: number;
  source: string;
  /** True when the kit names its own tunable (a value the kit author chose for its worst case). */
  fromKit: boolean;
}

const RUNNER_TUNABLE: Record<string, string> = {
  restore: 'RESTORE_TIMEOUT',
  remove: 'REMOVE_TIMEOUT',
  quickCheck: 'QUICKCHECK_TIMEOUT',
  recover: 'RECOVER_TIMEOUT',
  create: 'ADMIN_TIMEOUT',
};

export function actionTimeout(kit: Kit, action: 'restore' | 'remove' | 'quickCheck' | 'recover' | 'create'): ActionTimeout {
  const own = kit.timeouts?.[action];
  const spec = own ? kit.tunables?.[own] : undefined;
  if (own && spec && typeof spec.default === 'number') return { seconds: spec.default, source: own, fromKit: true };
  const name = RUNNER_TUNABLE[action]!;
  return { seconds: Number(CORE_TUNABLES[name]!.default), source: name, fromKit: false };
}

/** Monitor interval hint: the kit's check interval tunable, else LKCHECKINTERVAL's default capped to what OCF agents usually use. */
function monitorInterval(kit: Kit): number {
  const t = kit.checkIntervalTunable ? kit.tunables?.[kit.checkIntervalTunable] : undefined;
  if (t && typeof t.default === 'number') return t.default;
  return 30;
}

/** The parameters the agent reads from OCF_RESKEY_*: the kit's options, then the agent's own. */
export function parameterNames(kit: Kit): string[] {
  return [...Object.keys(kit.options.fields), ...AGENT_PARAMS.map((p) => p.name)];
}

export function metadataXml(kit: Kit, profile: OcfProfile = DEFAULT_PROFILE): string {
  const out: string[] = [];
  const fields = kit.options.fields;
  for (const p of AGENT_PARAMS)
    if (Object.hasOwn(fields, p.name)) throw new Error(`kit ${kit.meta.kitType}: option ${p.name} clashes with the OCF agent's own parameter of that name`);
  const params: string[] = [];
  let reloadable = false;
  for (const [name, field] of Object.entries(fields)) {
    const x = extrasOf(field);
    let attrs = field.required ? ' required="1"' : ' required="0"';
    if (x.unique) attrs += profile === '1.1' ? ` unique-group="${esc(typeof x.unique === 'string' ? x.unique : name)}"` : ' unique="1"';
    else if (profile === '1.0') attrs += ' unique="0"';
    if (x.reloadable && profile === '1.1') {
      attrs += ' reloadable="1"';
      reloadable = true;
    }
    params.push(paramXml(name, attrs, longdescOf(name, field, profile), firstSentence(field.description), contentOf(field, profile)));
  }
  for (const p of AGENT_PARAMS) {
    const attrs = ` required="0"${profile === '1.0' ? ' unique="0"' : ''}${profile === '1.1' && p.name !== 'children' ? ' reloadable="1"' : ''}`;
    if (profile === '1.1' && p.name !== 'children') reloadable = true;
    params.push(
      paramXml(p.name, attrs, p.longdesc, p.shortdesc, `<content type="${p.kind}"${p.default !== undefined ? ` default="${esc(p.default)}"` : ''}/>`),
    );
  }

  const start = actionTimeout(kit, 'restore');
  const stop = actionTimeout(kit, 'remove');
  const check = actionTimeout(kit, 'quickCheck');
  const recover = actionTimeout(kit, 'recover');
  const create = actionTimeout(kit, 'create');
  const interval = monitorInterval(kit);
  const levels = kit.checkLevels ?? {};
  const note = (what: string, t: ActionTimeout) =>
    t.fromKit
      ? `${what}: ${t.seconds} s, the default of the kit's ${t.source}`
      : `${what}: ${t.seconds} s, the runner's ${t.source} default (the kit declares no timeout of its own: no measured worst case)`;
  // A monitor's timeout must also cover local recovery when local_recovery is on.
  const monitorTimeout = check.seconds;
  const actions: string[] = [];
  actions.push(`<action name="start" timeout="${start.seconds}s"/>`);
  actions.push(`<action name="stop" timeout="${stop.seconds}s"/>`);
  if (hasRoles(kit)) {
    actions.push(`<action name="monitor" timeout="${monitorTimeout}s" interval="${interval}s" role="${profile === '1.1' ? 'Unpromoted' : 'Slave'}"/>`);
    actions.push(
      `<action name="monitor" timeout="${monitorTimeout}s" interval="${Math.max(1, interval - 1)}s" role="${profile === '1.1' ? 'Promoted' : 'Master'}"/>`,
    );
    actions.push(`<action name="promote" timeout="${start.seconds}s"/>`);
    actions.push(`<action name="demote" timeout="${stop.seconds}s"/>`);
  } else {
    actions.push(`<action name="monitor" timeout="${monitorTimeout}s" interval="${interval}s"/>`);
  }
  for (const depth of ['10', '20'] as const) {
    if (levels[depth])
      actions.push(`<action name="monitor" timeout="${monitorTimeout}s" interval="${interval * (depth === '10' ? 2 : 10)}s" depth="${depth}"/>`);
  }
  if (kit.actions.recover) actions.push(`<action name="recover" timeout="${recover.seconds}s"/>`);
  if (reloadable && profile === '1.1') actions.push(`<action name="reload-agent" timeout="20s"/>`);
  actions.push(`<action name="validate-all" timeout="${create.seconds}s"/>`);
  actions.push(`<action name="meta-data" timeout="5s"/>`);

  const levelText = Object.entries(levels)
    .map(([l, d]) => `OCF_CHECK_LEVEL ${l}: ${d}`)
    .join(' ');
  const longdesc = [
    `${kit.meta.description ?? kit.meta.kitType} (kit ${kit.meta.name}@${kit.meta.version}, run by kit-runner).`,
    "start runs the kit's restore, stop its remove, monitor its quickCheck; exit codes follow the SDK's OCF policy (docs/reference/ocf.md).",
    levelText
      ? `${levelText} A level the kit does not list checks what the next lower one does.`
      : 'The kit does not distinguish OCF_CHECK_LEVEL values: every level runs the same quickCheck.',
  ].join(' ');
  out.push('<?xml version="1.0"?>');
  if (profile === '1.0') out.push('<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">');
  out.push(`<resource-agent name="${esc(kit.meta.kitType)}" version="${esc(kit.meta.version)}">`);
  out.push(`<version>${profile}</version>`);
  out.push(`<longdesc lang="en">${esc(longdesc)}</longdesc>`);
  out.push(`<shortdesc lang="en">${esc(firstSentence(kit.meta.description ?? `recovery kit ${kit.meta.kitType}`))}</shortdesc>`);
  out.push('<parameters>');
  out.push(...params);
  out.push('</parameters>');
  out.push(
    `<!-- ${esc([note('start', start), note('stop', stop), note('monitor', check), ...(kit.actions.recover ? [note('recover', recover)] : []), note('validate-all', create)].join('; ')).replace(/--/g, '- -')} -->`,
  );
  out.push('<actions>');
  out.push(...actions);
  out.push('</actions>');
  out.push('</resource-agent>');
  return `${out.join('\n')}\n`;
}
