/** Top-level commands: `kit-runner route53 COMMAND`. */
import type { KitCliCommand } from '@recovery-kit/sdk';
import { listZones } from './api.ts';
import { clientOf, ioOf } from './actions.ts';

const zones: KitCliCommand = {
  description: "Lists the hosted zones of the account (what the zone option may name), like the zone list of LifeKeeper's create dialog.",
  usage: '[--json]',
  flags: {},
  async run(ctx) {
    const p = { tries: ctx.tunables.int('ROUTE53_RECORDCHECK_TRY_COUNT'), intervalMs: ctx.tunables.number('ROUTE53_RECORDCHECK_INTERVAL') * 1000 };
    const zones = await listZones(clientOf(ctx.tunables), ioOf(ctx), p);
    const lines = zones.map((z) => `${z.name.padEnd(32)} ${z.id.padEnd(24)} ${z.private ? 'private' : 'public '} ${z.records ?? ''}`);
    return {
      summary: zones.length ? `${'NAME'.padEnd(32)} ${'ID'.padEnd(24)} TYPE    RECORDS\n${lines.join('\n')}` : 'the account has no hosted zones',
      zones,
    };
  },
};

export const cli: Record<string, KitCliCommand> = { zones };
