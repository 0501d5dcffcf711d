/** The generated configuration as crm shell commands (what `cluster apply --dry-run` prints beside the XML). */
import type { Generated } from './cib.ts';
import { isInfoSet } from './info.ts';
import { all, el, kid, kids } from './xml.ts';

/** Equivalent crm shell commands, or undefined when the configuration is not simple (node-scoped values, kit info, ticket gates). */
export function crmCommands(g: Generated): string | undefined {
  const lines: string[] = [];
  for (const h of g.hierarchies) {
    // Ticket gates (clones, rsc_ticket, two-rule locations): XML only.
    if (h.resources.some((e) => e.name === 'clone')) return undefined;
    for (const p of all(el('x', {}, h.resources), 'primitive').concat(h.resources.filter((e) => e.name === 'primitive'))) {
      if (lines.some((l) => l.startsWith(`crm configure primitive ${p.attrs.id} `))) continue;
      const sets = kids(p, 'instance_attributes');
      // Node-scoped values, and the kits' per-server info (info.ts: JSON in a meta set): XML only.
      if (sets.length > 1 || kids(p, 'meta_attributes').some((m) => isInfoSet(p.attrs.id ?? '', m))) return undefined;
      const params = (sets[0]?.children ?? []).map((n) => `${n.attrs.name}=${shq(n.attrs.value ?? '')}`);
      const ops = kids(kid(p, 'operations'), 'op').map(
        (op) => `op ${op.attrs.name} interval=${op.attrs.interval}${op.attrs.role ? ` role=${op.attrs.role}` : ''} timeout=${op.attrs.timeout}`,
      );
      const meta = kids(kid(p, 'meta_attributes'), 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`);
      lines.push(
        `crm configure primitive ${p.attrs.id} ocf:${p.attrs.provider}:${p.attrs.type}${params.length ? ` params ${params.join(' ')}` : ''}${meta.length ? ` meta ${meta.join(' ')}` : ''} ${ops.join(' ')}`,
      );
    }
    for (const grp of h.resources.filter((e) => e.name === 'group')) {
      const meta = kids(kid(grp, 'meta_attributes'), 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`);
      lines.push(
        `crm configure group ${grp.attrs.id} ${kids(grp, 'primitive')
          .map((p) => p.attrs.id)
          .join(' ')} meta ${meta.join(' ')}`,
      );
    }
    for (const c of h.constraints) {
      if (c.name === 'rsc_location' && c.attrs.node) lines.push(`crm configure location ${c.attrs.id} ${c.attrs.rsc} ${c.attrs.score}: ${c.attrs.node}`);
      else if (c.name === 'rsc_location') {
        const rule = kid(c, 'rule')!;
        lines.push(
          `crm configure location ${c.attrs.id} ${c.attrs.rsc} rule ${rule.attrs.score}: ${kids(rule, 'expression')
            .map((x) => `${x.attrs.attribute} ${x.attrs.operation} ${x.attrs.value}`)
            .join(' and ')}`,
        );
      } else if (c.name === 'rsc_order') lines.push(`crm configure order ${c.attrs.id} Mandatory: ${c.attrs.first} ${c.attrs.then}`);
      else if (c.name === 'rsc_colocation') lines.push(`crm configure colocation ${c.attrs.id} inf: ${c.attrs.rsc} ${c.attrs['with-rsc']}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const shq = (s: string) => (/^[A-Za-z0-9_./:,=@+-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
