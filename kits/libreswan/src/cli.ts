/**
 * `kit-runner libreswan connections [--config FILE]`: the connections of this node's Libreswan
 * configuration, each oriented (which side is this node) and checked the way `create` checks
 * the one it protects, so the operator can choose.
 */
import type { KitCliCommand } from '@recovery-kit/sdk';
import { orient } from './conn.ts';
import { Ipsec } from './ipsec.ts';
import { localAddresses } from './actions.ts';

export const cli: Record<string, KitCliCommand> = {
  connections: {
    description: "Lists this node's IPsec connections and whether each can be protected.",
    usage: '[--config /etc/ipsec.conf] [--ipsec /usr/sbin/ipsec]',
    flags: {
      config: { type: 'string', description: 'Libreswan configuration file (default /etc/ipsec.conf).' },
      ipsec: { type: 'string', description: 'The ipsec command (default /usr/sbin/ipsec).' },
    },
    async run(ctx, flags) {
      const ipsec = new Ipsec({
        exec: ctx.exec,
        logger: ctx.logger,
        ipsec: (flags.ipsec as string | undefined) ?? '/usr/sbin/ipsec',
        configFile: (flags.config as string | undefined) ?? '/etc/ipsec.conf',
      });
      const version = await ipsec.version();
      const addrs = await localAddresses(ctx.exec);
      const connections = (await ipsec.connections()).map((c) => {
        const { tunnel, issues } = orient(c, addrs, version.generation);
        return {
          name: c.name,
          usable: issues.length === 0,
          ...(tunnel
            ? {
                localSide: tunnel.localSide,
                localSubnets: tunnel.local.subnets,
                remoteSubnets: tunnel.remote.subnets,
                localSourceIp: tunnel.local.sourceIp,
                remoteSourceIp: tunnel.remote.sourceIp,
                remote: tunnel.remote.address,
              }
            : {}),
          issues: issues.map((i) => i.message),
        };
      });
      const lines = connections.map(
        (c) =>
          `${c.usable ? 'ok  ' : 'no  '} ${c.name}${c.localSide ? ` (${c.localSide} is this node; ${c.localSubnets?.join(',')} <-> ${c.remoteSubnets?.join(',')})` : ''}${c.issues.length ? `\n       ${c.issues.join('\n       ')}` : ''}`,
      );
      return {
        summary: `${version.text} (${version.generation === 5 ? 'ipsec up/down' : 'ipsec auto --up/--down'})\n${lines.join('\n') || '(no connections)'}`,
        libreswan: version.text,
        generation: version.generation,
        connections,
      };
    },
  },
};
