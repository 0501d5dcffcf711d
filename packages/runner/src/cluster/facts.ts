/** What `cluster apply` needs from each kit: secret options, the agents' timeouts, the monitor interval. */
import type { Kit } from '@recovery-kit/sdk';
import { discoverKits, loadKit } from '../loader.ts';
import { actionTimeout, hasRoles } from '../ocf/metadata.ts';
import { loadTunables } from '../tunables.ts';
import type { KitFacts } from './cib.ts';

/** Seconds: the tunables file's value of `name` when set and numeric, else `fallback`. */
function seconds(values: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const v = values[name];
  return v !== undefined && /^\d+$/.test(v) && Number(v) > 0 ? Number(v) : fallback;
}

export function kitFacts(kit: Kit, tunables: Readonly<Record<string, string>>, monitorIntervalS?: number): KitFacts {
  const t = (action: 'restore' | 'remove' | 'quickCheck' | 'recover') => {
    const a = actionTimeout(kit, action);
    return seconds(tunables, a.source, a.seconds);
  };
  const own = kit.checkIntervalTunable;
  const ownDefault = own ? kit.tunables?.[own]?.default : undefined;
  const interval =
    monitorIntervalS ?? (own ? seconds(tunables, own, typeof ownDefault === 'number' ? ownDefault : 120) : seconds(tunables, 'LKCHECKINTERVAL', 120));
  return {
    kitType: kit.meta.kitType,
    secret: new Set(
      Object.entries(kit.options.fields)
        .filter(([, f]) => f.secret)
        .map(([k]) => k),
    ),
    startTimeoutS: t('restore'),
    stopTimeoutS: t('remove'),
    monitorTimeoutS: t('quickCheck'),
    monitorIntervalS: interval,
    // Level 10 only: the kit's check of the cloud (e.g. one DescribeRouteTables). Level 20 can need
    // what a node may not have (the IP kit's data-path ping needs a ping target or broadcast
    // answers, which a VPC never gives): an operator adds it (docs/operate/cluster.md).
    checkDepths: kit.checkLevels?.['10'] !== undefined ? [10] : [],
    // The Stopped-role monitor runs the health command (a check, then local recovery when it fails), then quickCheck.
    // A kit with roles becomes a promotable clone; its cibClone option (the mirror's) takes the clone's id.
    ...(hasRoles(kit)
      ? { roles: true, ...(kit.commands?.score ? { promotionScores: true } : {}), ...('cibClone' in kit.options.fields ? { cloneOption: 'cibClone' } : {}) }
      : {}),
    ...(kit.commands?.health ? { healthAttribute: true, healthTimeoutS: 2 * t('quickCheck') + t('recover') } : {}),
  };
}

/** Facts for every kit type named in `kitTypes`, loading the installed kits. */
export async function loadFacts(
  kitsDirs: readonly string[],
  tunablesPath: string,
  kitTypes: Iterable<string>,
  monitorIntervalS?: number,
): Promise<Map<string, KitFacts>> {
  const discovery = discoverKits(kitsDirs);
  const values = loadTunables(tunablesPath).values;
  const out = new Map<string, KitFacts>();
  for (const type of new Set(kitTypes)) out.set(type, kitFacts(await loadKit(discovery, type), values, monitorIntervalS));
  return out;
}
