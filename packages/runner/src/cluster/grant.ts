/**
 * The operator's grant for a cross-region restore (ticket.ts says which restores need one).
 * - Stand-alone: `<state dir>/grants.json` ({ ticket: { grantedAt, by } }), written atomically
 *   (temporary file + rename) by `kit-runner cluster grant|revoke`; `restore` refuses a
 *   restore into another region without the record, before anything is reserved or run.
 * - Cluster mode: the ticket's state in the CIB status (`<tickets><ticket_state granted="true">`,
 *   read with cibadmin, XML), granted with `crm_ticket --grant --force` (or by booth).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ExitCode, KitError } from '@recovery-kit/sdk';
import type { StoreData } from '../store.ts';
import type { CibRunner } from './apply.ts';
import { crossRegions, hierarchyRoot, type CrossRegion } from './ticket.ts';
import { all, kid, kids, parseXml, type El } from './xml.ts';

export interface GrantRecord {
  grantedAt: string;
  by: string;
}

export const grantsPath = (stateDir: string): string => join(stateDir, 'grants.json');

export function readGrants(stateDir: string): Record<string, GrantRecord> {
  const f = grantsPath(stateDir);
  if (!existsSync(f)) return {};
  try {
    const v = JSON.parse(readFileSync(f, 'utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, GrantRecord>;
  } catch {
    // fall through
  }
  throw new ConfigError(`${f} is not a JSON object of grants`, { field: f, fix: `remove ${f} and grant again with "kit-runner cluster grant TAG REGION"` });
}

/** Records (granted) or deletes (revoked) the stand-alone grant of `ticket`; false when nothing changed. */
export function writeGrant(stateDir: string, ticket: string, granted: boolean): boolean {
  const grants = readGrants(stateDir);
  if (granted === !!grants[ticket]) return false;
  if (granted) grants[ticket] = { grantedAt: new Date().toISOString(), by: `${safeUser()}@${hostname()}` };
  else delete grants[ticket];
  const f = grantsPath(stateDir);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(grants, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, f);
  return true;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}

/** The cross-region placement `node` is in for the hierarchy holding `tag`, if any. */
export function regionNeedingGrant(data: StoreData, tag: string, node: string): { root: string; home: string; x: CrossRegion } | undefined {
  const root = hierarchyRoot(data, tag);
  const { home, others } = crossRegions(data, root);
  const x = others.find((o) => o.nodes.includes(node));
  return home !== undefined && x ? { root, home, x } : undefined;
}

export function noGrantError(tag: string, node: string, root: string, home: string | undefined, x: CrossRegion, cluster: boolean): KitError {
  return new KitError(
    `restore of ${tag} on ${node} would bring the hierarchy ${root} into ${x.region}${home ? ` (its home region is ${home})` : ''}: that needs the operator's grant of ticket ${x.ticket}, which is not granted; nothing was changed`,
    {
      code: 'NO_GRANT',
      exitCode: ExitCode.PERMISSION,
      field: 'TAG',
      fix: cluster
        ? `grant it with "kit-runner cluster grant ${tag} ${x.region}" (= crm_ticket --ticket ${x.ticket} --grant --force; between two clusters "booth grant ${x.ticket}"), then run the restore again; or restore on a server in ${home ?? 'the home region'}`
        : `grant it with "kit-runner cluster grant ${tag} ${x.region}", then run the restore again; or restore on a server in ${home ?? 'the home region'}`,
      details: { ticket: x.ticket, region: x.region },
    },
  );
}

/** Stand-alone: throws NO_GRANT when restoring `tag` on `node` needs a grant that is not recorded. */
export function requireGrant(data: StoreData, tag: string, node: string, stateDir: string): void {
  const need = regionNeedingGrant(data, tag, node);
  if (need && !readGrants(stateDir)[need.x.ticket]) throw noGrantError(tag, node, need.root, need.home, need.x, false);
}

// ---------------------------------------------------------------- cluster mode

/** The grants `cluster apply` wrote for the hierarchy `root`: each rsc_ticket, with the nodes its gate may run on. */
export function gatesIn(conf: El, root: string): CrossRegion[] {
  const cons = kid(conf, 'constraints');
  const out: CrossRegion[] = [];
  const prefix = `rk-${root}-ticket-`;
  for (const t of kids(cons, 'rsc_ticket')) {
    const id = t.attrs.id ?? '';
    if (!id.startsWith(prefix) || !t.attrs.ticket || !t.attrs.rsc) continue;
    const loc = kids(cons, 'rsc_location').find((l) => l.attrs.id === `${t.attrs.rsc}-in-region`);
    const nodes = all(loc ?? { name: 'x', attrs: {}, children: [] }, 'expression')
      .filter((e) => e.attrs.attribute === '#uname' && e.attrs.operation === 'ne')
      .map((e) => e.attrs.value!);
    out.push({ region: id.slice(prefix.length), ticket: t.attrs.ticket, nodes });
  }
  return out;
}

/** Whether `ticket` is granted to this cluster (the CIB status section). */
export async function ticketGranted(cib: CibRunner, ticket: string): Promise<boolean> {
  const r = await cib.run(['cibadmin', '--query', '--scope', 'status']);
  if (r.code !== 0)
    throw new KitError(`cibadmin --query --scope status failed (exit ${r.code}): ${r.stderr.trim()}`, {
      code: 'CIB_FAILED',
      exitCode: ExitCode.FAILED,
      fix: 'check that this node is an online cluster member ("crm_mon -1")',
    });
  const st = parseXml(r.stdout, 'cibadmin --query --scope status');
  return all(st, 'ticket_state').some((t) => t.attrs.id === ticket && t.attrs.granted === 'true');
}

/** `crm_ticket --grant|--revoke --force` of `ticket`. */
export async function setTicket(cib: CibRunner, ticket: string, granted: boolean): Promise<void> {
  const r = await cib.run(['crm_ticket', '--ticket', ticket, granted ? '--grant' : '--revoke', '--force']);
  if (r.code !== 0)
    throw new KitError(`crm_ticket --ticket ${ticket} ${granted ? '--grant' : '--revoke'} failed (exit ${r.code}): ${r.stderr.trim()}`, {
      code: 'CIB_FAILED',
      exitCode: ExitCode.FAILED,
      fix: 'check that this node is an online cluster member ("crm_mon -1")',
    });
}
