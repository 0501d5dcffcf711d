/**
 * Children in OCF mode. A kit's `create` names the resources it depends on (the Route 53 kit's
 * `ip`, the EC2 kit's `ipResource`) as ChildSpecs. With no store, the agent finds each child's
 * options, in this order:
 * 1. the agent's `children` parameter (`TAG:OPTION=VALUE ...`), explicit and cheap;
 * 2. the Pacemaker resource of that name: `crm_resource --resource TAG --get-parameter OPTION
 *    --output-as=xml`, once for each required option of the child's kit (for the IP kit: address).
 * A child that cannot be found is a configuration error (the CIB is the same on every node: 6).
 */
import { ConfigError, type ChildSpec, type DependencyView, type Exec, type Kit, type RawValue } from '@recovery-kit/sdk';

export interface ChildLookup {
  explicit: Map<string, Record<string, string>>;
  exec: Exec;
  /** The child's kit, when installed (to know its required options and parse them). */
  kitOf(kitType: string): Promise<Kit | undefined>;
}

const unescapeXml = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The value of parameter `name` in crm_resource's XML output (an element with name= and value=). */
export function parseCrmParameter(xml: string, name: string): string | undefined {
  const el = /<[A-Za-z_-]+\b[^>]*>/g;
  for (const m of xml.matchAll(el)) {
    const tag = m[0];
    const n = /\bname="([^"]*)"/.exec(tag)?.[1];
    const v = /\bvalue="([^"]*)"/.exec(tag)?.[1];
    if (n !== undefined && unescapeXml(n) === name && v !== undefined) return unescapeXml(v);
  }
  return undefined;
}

async function fromCib(tag: string, option: string, exec: Exec): Promise<string | undefined> {
  const r = await exec('crm_resource', ['--resource', tag, '--get-parameter', option, '--output-as=xml'], { reject: false });
  if (r.exitCode === 127) {
    throw new ConfigError(`cannot read the parameters of the Pacemaker resource ${tag}: crm_resource is not installed`, {
      field: 'children',
      fix: `give them in the children parameter, e.g. children="${tag}:${option}=<value>"`,
    });
  }
  if (r.exitCode !== 0) return undefined;
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
      const required = childKit ? Object.entries(childKit.options.fields).filter(([, f]) => f.required && !f.secret).map(([k]) => k) : ['address'];
      for (const option of required) {
        const v = await fromCib(spec.tag, option, lookup.exec);
        if (v === undefined) {
          throw new ConfigError(`the resource this one depends on, ${spec.tag} (kit ${spec.kitType}), was not found: no parameter ${option} in the children parameter or on a Pacemaker resource ${spec.tag}`, {
            field: 'children',
            fix: `create the Pacemaker resource ${spec.tag} (ocf:recovery-kit:${spec.kitType}) first, or give children="${spec.tag}:${option}=<value>"`,
          });
        }
        raw[option] = v;
      }
    }
    let options: Record<string, unknown> = raw;
    if (childKit) {
      const r = childKit.options.check(raw);
      if (!r.ok) {
        throw new ConfigError(`the options of ${spec.tag} (kit ${spec.kitType}) are not valid: ${r.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`, { field: 'children', fix: `correct the parameters of ${spec.tag}` });
      }
      options = childKit.options.redact(r.value as Record<string, unknown>);
    }
    const address = typeof options.address === 'string' ? options.address : undefined;
    const info: Record<string, unknown> = address ? { address: address.split('/')[0], cidr: address } : {};
    out.push({ tag: spec.tag, kitType: spec.kitType, options, info, state: 'ISP' });
  }
  return out;
}
