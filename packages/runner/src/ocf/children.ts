/**
 * Children in OCF mode. A kit's `create` names the resources it depends on (the Route 53 kit's
 * `ip`, the EC2 kit's `ipResource`) as ChildSpecs. With no store, the agent finds each child's
 * options, in this order:
 * 1. the agent's `children` parameter (`TAG:OPTION=VALUE ...`), explicit and cheap;
 * 2. the Pacemaker resource of that name: `crm_resource --resource TAG --get-parameter OPTION
 *    --output-as=xml`, once for each required option of the child's kit (for the IP kit: address).
 * A child that cannot be found is a configuration error (the CIB is the same on every node: 6).
 */
import { ActionFailedError, ConfigError, type ChildSpec, type DependencyView, type Exec, type Kit, type RawValue } from '@recovery-kit/sdk';

export interface ChildLookup {
  explicit: Map<string, Record<string, string>>;
  exec: Exec;
  /** The child's kit, when installed (to know its required options and parse them). */
  kitOf(kitType: string): Promise<Kit | undefined>;
}

const unescapeXml = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/**
 * The value of parameter `name` in crm_resource's XML output: Pacemaker 2.1 prints
 * `<item name="address">10.0.0.10/24</item>` inside `<list name="attributes">`; a
 * `value="..."` attribute is accepted too.
 */
export function parseCrmParameter(xml: string, name: string): string | undefined {
  for (const m of xml.matchAll(/<([A-Za-z_-]+)\b([^>]*?)(\/>|>([^<]*)<\/\1>)/g)) {
    const attrs = m[2] ?? '';
    const n = /\bname="([^"]*)"/.exec(attrs)?.[1];
    if (n === undefined || unescapeXml(n) !== name || m[1] === 'list') continue;
    const v = /\bvalue="([^"]*)"/.exec(attrs)?.[1];
    if (v !== undefined) return unescapeXml(v);
    if (m[4] !== undefined) return unescapeXml(m[4]);
  }
  return undefined;
}

/** crm_resource's exit code for "no such resource" (CRM_EX_NOSUCH). */
const CRM_EX_NOSUCH = 105;

async function fromCib(tag: string, option: string, exec: Exec): Promise<string | undefined> {
  const r = await exec('crm_resource', ['--resource', tag, '--get-parameter', option, '--output-as=xml'], { reject: false });
  if (r.exitCode === 127) {
    throw new ConfigError(`cannot read the parameters of the Pacemaker resource ${tag}: crm_resource is not installed`, {
      field: 'children',
      fix: `give them in the children parameter, e.g. children="${tag}:${option}=<value>"`,
    });
  }
  if (r.exitCode === CRM_EX_NOSUCH) return undefined;
  if (r.exitCode !== 0) {
    // The CIB did not answer (the cluster is starting, a time-out): retried, never "not configured".
    throw new ActionFailedError(
      `crm_resource --resource ${tag} --get-parameter ${option} failed (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`,
      {
        code: 'CIB_UNAVAILABLE',
        retryable: true,
        fix: `check the cluster (crm_mon -1), or give the child's options in the children parameter: children="${tag}:${option}=<value>"`,
      },
    );
  }
  return parseCrmParameter(r.stdout, option);
}

export async function resolveChildren(specs: readonly ChildSpec[], lookup: ChildLookup): Promise<DependencyView[]> {
  const out: DependencyView[] = [];
  for (const spec of specs) {
    const childKit = await lookup.kitOf(spec.kitType);
    const given = lookup.explicit.get(spec.tag);
    const raw: Record<string, RawValue> = { ...spec.options } as Record<string, RawValue>;
    if (given) Object.assign(raw, given);
    else if (spec.existing !== true && Object.keys(spec.options).length > 0) {
      // A child the kit would create itself from the options it gives (the Oracle kit's
      // listener): in a cluster it is its own Pacemaker resource; the kit reads these options.
    } else {
      const required = childKit
        ? Object.entries(childKit.options.fields)
            .filter(([, f]) => f.required && !f.secret)
            .map(([k]) => k)
        : ['address'];
      for (const option of required) {
        const v = await fromCib(spec.tag, option, lookup.exec);
        if (v === undefined) {
          throw new ConfigError(
            `the resource this one depends on, ${spec.tag} (kit ${spec.kitType}), was not found: no parameter ${option} in the children parameter or on a Pacemaker resource ${spec.tag}`,
            {
              field: 'children',
              fix: `create the Pacemaker resource ${spec.tag} (ocf:recovery-kit:${spec.kitType}) first, or give children="${spec.tag}:${option}=<value>"`,
            },
          );
        }
        raw[option] = v;
      }
    }
    let options: Record<string, unknown> = raw;
    if (childKit) {
      const r = childKit.options.check(raw);
      if (!r.ok) {
        throw new ConfigError(`the options of ${spec.tag} (kit ${spec.kitType}) are not valid: ${r.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, {
          field: 'children',
          fix: `correct the parameters of ${spec.tag}`,
        });
      }
      options = childKit.options.redact(r.value as Record<string, unknown>);
    }
    const address = typeof options.address === 'string' ? options.address : undefined;
    const info: Record<string, unknown> = address ? { address: address.split('/')[0], cidr: address } : {};
    out.push({ tag: spec.tag, kitType: spec.kitType, options, info, state: 'ISP' });
  }
  return out;
}
