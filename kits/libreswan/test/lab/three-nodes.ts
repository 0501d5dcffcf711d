/**
 * Seed 000's VPN nodes in three lab VMs, for the failover table under real Libreswan 4.10 and
 * the real kit-runner: `act` (VPN_P_A, the active node) and `stb` (VPN_P_B, the standby) in the
 * primary region, each with its own connection `vpn1` to `west` (VPN_S_A, the remote VPN node).
 *
 * Cables: act-west and stb-west (west bridges the two into one "public" segment 192.0.2.0/24,
 * so the remote node has one public address, 192.0.2.2, as in the seed), and act-stb (the VPC's
 * link between the two VPN nodes, 10.0.200.0/24, which carries the active node's question to
 * the standby). Each node's local address sits on a dummy interface inside its own subnet
 * (the seed's two AZ subnets 10.0.0.0/24 and 10.0.10.0/24; the remote's 172.16.0.0/16), so the
 * remote's two connections have different traffic selectors and both can be up at once.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type Lab, type RunResult, type Vm } from '@recovery-kit/vmlab';

export const PROJECT = fileURLToPath(new URL('../../../..', import.meta.url));
const PSK = 'lab-only-psk-failover-0123456789abcdef';
export const REMOTE = { pub: '192.0.2.2', subnet: '172.16.0.0/16', local: '172.16.0.5' };
export const NODES = {
  act: { pub: '192.0.2.1', subnet: '10.0.0.0/24', local: '10.0.0.5', lan: '10.0.200.1' },
  stb: { pub: '192.0.2.3', subnet: '10.0.10.0/24', local: '10.0.10.5', lan: '10.0.200.2' },
} as const;
export type NodeName = keyof typeof NODES;
/** The port of the standby's health service (test/lab/health-service.mjs). */
export const HEALTH_PORT = 7070;

interface Side {
  pub: string;
  subnet: string;
  local: string;
}
const conn = (name: string, left: Side, right: Side, auto: string) => `conn ${name}
	type=tunnel
	authby=secret
	ikev2=yes
	left=${left.pub}
	leftid=${left.pub}
	leftsubnet=${left.subnet}
	leftsourceip=${left.local}
	right=${right.pub}
	rightid=${right.pub}
	rightsubnet=${right.subnet}
	rightsourceip=${right.local}
	pfs=yes
	auto=${auto}
`;
const SETUP = 'config setup\n\tlogfile=/var/log/pluto.log\n';
export const PLUTO = ['/usr/libexec/ipsec/pluto', '--config', '/etc/ipsec.conf'];

const RUNNER = ['/mnt/hostbin/node', '/mnt/project/packages/runner/bin/kit-runner.js'];
/** kit-runner's environment on a node: its own store, tunables, node name; the project's kits. */
export const runnerEnv = (node: string) => [
  'KIT_RUNNER_STATE_DIR=/var/lib/rk-lab',
  'KIT_RUNNER_TUNABLES=/etc/rk-lab.conf',
  `KIT_RUNNER_NODE=${node}`,
  'KIT_RUNNER_KITS_DIR=',
];
/** The real kit-runner (the built runner, the host's Node.js over 9p) inside a VM. */
export const kitRunner = (vm: Vm, args: string[], timeoutSec = 600): Promise<RunResult> =>
  vm.run(['env', ...runnerEnv(vm.name), ...RUNNER, ...args], { timeoutSec });
export const kitRunnerArgv = (node: string, args: string[]) => ['env', ...runnerEnv(node), ...RUNNER, ...args];

/** Boots the three VMs at once and configures addresses, Libreswan and the remote's pluto. */
export async function startVpnLab(log: (l: string) => void): Promise<Lab> {
  const shares = [
    { host: PROJECT, guest: '/mnt/project', readonly: true },
    { host: dirname(process.execPath), guest: '/mnt/hostbin', readonly: true },
  ];
  const lab = await startLab({
    vms: [{ name: 'act', memoryMiB: 1024, shares }, { name: 'stb', memoryMiB: 1024, shares }, { name: 'west' }],
    links: [
      ['act', 'west'],
      ['stb', 'west'],
      ['act', 'stb'],
    ],
    log,
  });
  const { act, stb, west } = lab.vms as Record<'act' | 'stb' | 'west', Vm>;
  const step = async <T>(what: string, p: Promise<T>): Promise<T> => {
    const t = Date.now();
    const r = await p;
    log(`vpn lab: ${what} ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return r;
  };
  const node = async (vm: Vm, n: NodeName) => {
    const me = NODES[n];
    const up = lab.nic(n, 'west');
    const lan = lab.nic(n, n === 'act' ? 'stb' : 'act');
    await step(
      `${n}: addresses`,
      vm.sh(
        [
          `ip link set ${up} up && ip addr add ${me.pub}/24 dev ${up}`,
          `ip link set ${lan} up && ip addr add ${me.lan}/24 dev ${lan}`,
          `ip link add lan0 type dummy && ip link set lan0 up && ip addr add ${me.local}/32 dev lan0`,
        ].join(' && '),
      ),
    );
    await vm.writeFile('/etc/ipsec.conf', SETUP + conn('vpn1', me, REMOTE, 'start'));
    await vm.writeFile('/etc/ipsec.secrets', `${me.pub} ${REMOTE.pub} : PSK "${PSK}"\n`, '0600');
    await step(`${n}: ipsec initnss`, vm.check(['ipsec', 'initnss']));
  };
  const remote = async () => {
    const [a, b] = [lab.nic('west', 'act'), lab.nic('west', 'stb')];
    await west.sh(
      [
        `ip link add br0 type bridge && ip link set ${a} master br0 && ip link set ${b} master br0`,
        `ip link set ${a} up && ip link set ${b} up && ip link set br0 up && ip addr add ${REMOTE.pub}/24 dev br0`,
        `ip link add lan0 type dummy && ip link set lan0 up && ip addr add ${REMOTE.local}/32 dev lan0`,
      ].join(' && '),
    );
    await west.writeFile('/etc/ipsec.conf', SETUP + conn('to-act', REMOTE, NODES.act, 'add') + conn('to-stb', REMOTE, NODES.stb, 'add'));
    await west.writeFile('/etc/ipsec.secrets', `${REMOTE.pub} ${NODES.act.pub} : PSK "${PSK}"\n${REMOTE.pub} ${NODES.stb.pub} : PSK "${PSK}"\n`, '0600');
    await step('west: ipsec initnss', west.check(['ipsec', 'initnss']));
    await step('west: pluto', west.check(PLUTO));
  };
  try {
    await Promise.all([node(act, 'act'), node(stb, 'stb'), remote()]);
  } catch (err) {
    await lab.stop();
    throw err;
  }
  return lab;
}

/** nftables on a node: drop everything from the remote VPN node's public address (its end of the link), or stop dropping. */
export async function dropRemote(vm: Vm, on: boolean): Promise<void> {
  if (on)
    await vm.check(['nft', '-f', '-'], {
      input: `table inet rklab {\n chain input { type filter hook input priority 0; ip saddr ${REMOTE.pub} drop; }\n}\n`,
    });
  else await vm.check(['nft', 'delete', 'table', 'inet', 'rklab']);
}

/** The resource's state on `node` in that node's kit-runner store (read directly: a kit-runner start costs 14 s here). */
export async function stateOn(vm: Vm, tag = 'vpn'): Promise<string | undefined> {
  const s = JSON.parse((await vm.check(['cat', '/var/lib/rk-lab/store.json'])).stdout) as {
    resources: Record<string, { servers: Record<string, { state: string }> }>;
  };
  return s.resources[tag]?.servers[vm.name]?.state;
}
