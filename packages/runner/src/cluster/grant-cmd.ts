/**
 * `kit-runner cluster grant|revoke TAG REGION`: the operator's grant for the hierarchy holding TAG
 * in REGION (not its home region). Cluster mode (KIT_RUNNER_STORE=cib): crm_ticket on the ticket
 * that cluster apply wrote; stand-alone: the record in <state dir>/grants.json.
 */
import { ConfigError } from '@recovery-kit/sdk';
import { openStore } from '../file-store.ts';
import { localCib, queryConfiguration } from './apply.ts';
import { importCib } from './cib-import.ts';
import { gatesIn, setTicket, ticketGranted, writeGrant } from './grant.ts';
import { crossRegions, hierarchyRoot } from './ticket.ts';

export async function grantOrRevoke(
  tag: string,
  region: string,
  granted: boolean,
  o: { cluster: boolean; stateDir: string },
): Promise<{ ticket: string; changed: boolean; via: 'crm_ticket' | 'grants.json' }> {
  let ticket: string;
  let regions: string[];
  if (o.cluster) {
    const conf = await queryConfiguration(localCib);
    const data = importCib(conf);
    if (!data.resources[tag])
      throw new ConfigError(`no resource with tag "${tag}" in the cluster's configuration (CIB)`, { field: 'TAG', fix: 'see "kit-runner cluster status"' });
    const gates = gatesIn(conf, hierarchyRoot(data, tag));
    regions = gates.map((g) => g.region);
    ticket = gates.find((g) => g.region === region)?.ticket ?? '';
  } else {
    const data = openStore(o.stateDir).read();
    if (!data.resources[tag])
      throw new ConfigError(`no resource with tag "${tag}" in the store ${o.stateDir}`, { field: 'TAG', fix: 'run "kit-runner status" for the tags' });
    const others = crossRegions(data, hierarchyRoot(data, tag)).others;
    regions = others.map((x) => x.region);
    ticket = others.find((x) => x.region === region)?.ticket ?? '';
  }
  if (!ticket)
    throw new ConfigError(
      regions.length
        ? `the hierarchy of ${tag} needs no grant in ${region}: its other regions are ${regions.join(', ')}`
        : `the hierarchy of ${tag} has servers in one region only: no grant applies`,
      {
        field: 'REGION',
        fix: regions.length
          ? `give one of ${regions.join(', ')}`
          : "a server's region is its region option or the region its kit recorded at extend (kit-runner status --json)",
      },
    );
  if (!o.cluster) return { ticket, changed: writeGrant(o.stateDir, ticket, granted), via: 'grants.json' };
  const changed = (await ticketGranted(localCib, ticket)) !== granted;
  if (changed) await setTicket(localCib, ticket, granted);
  return { ticket, changed, via: 'crm_ticket' };
}
