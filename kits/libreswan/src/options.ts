/** Options of a tunnel resource: which connection, and what the node needs to drive pluto. */
import { defineOptions, opt, splitArgs, checkAddress, checkAwsId } from '@recovery-kit/sdk';

const checkCommand = (v: string): string | { message: string; fix: string } | undefined => {
  let argv: string[];
  try {
    argv = splitArgs(v);
  } catch (err) {
    return (err as Error).message;
  }
  if (!argv.length) return 'is empty';
  return argv[0]!.startsWith('/')
    ? undefined
    : { message: `${JSON.stringify(v)} does not start with an absolute path`, fix: 'give the full path, e.g. /usr/sbin/ipsec start' };
};

const command = (description: string, dflt: string) => opt.string({ description, default: dflt, check: checkCommand });

const address = (description: string) => opt.string({ description, perServer: true, check: (v: string) => checkAddress(v) });

export const options = defineOptions({
  connection: opt.string({
    description: 'Name of the IPsec connection (conn NAME in ipsec.conf or /etc/ipsec.d/*.conf) to protect; `kit-runner libreswan connections` lists them.',
    required: true,
    perServer: true,
    example: 'vpn1',
    pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  }),
  configFile: opt.string({
    description: 'The Libreswan configuration file.',
    default: '/etc/ipsec.conf',
    check: (v: string) => (v.startsWith('/') ? undefined : 'must be an absolute path'),
  }),
  ipsec: opt.string({
    description: 'The ipsec command.',
    default: '/usr/sbin/ipsec',
    check: (v: string) => (v.startsWith('/') ? undefined : 'must be an absolute path'),
  }),
  daemonStart: command('Command that starts pluto when it is not running (systemd: /usr/bin/systemctl start ipsec).', '/usr/sbin/ipsec start'),
  remoteLocalAddress: address("The peer VPN node's local address, pinged through the tunnel; default: the connection's rightsourceip."),
  remotePublicAddress: address("The peer VPN node's public address, pinged directly; default: the connection's right= (or rightid=)."),
  localSourceAddress: address("This node's local address the tunnel ping is sent from; default: the connection's leftsourceip."),
  standbyHealth: opt.string({
    check: checkCommand,
    description:
      "recover, when local recovery fails: a command printing the standby VPN node's tunnel health (healthy, recovered, failed or unknown; or kit-runner's --json with `health`), e.g. `/usr/bin/ssh -o BatchMode=yes vpn-p-b /usr/bin/kit-runner action vpn health`. Default: the other nodes' rk-health-TAG Pacemaker attribute; with neither, a failed recovery fails (the runner's ordinary rule).",
  }),
  runDir: opt.string({
    description:
      'Directory (a tmpfs) for the mark that the resource is in service on this node: every VPN node keeps its tunnel up, so quickCheck reports the resource held only where it was restored.',
    default: '/run/recovery-kit/libreswan',
    check: (v: string) => (v.startsWith('/') ? undefined : 'must be an absolute path'),
  }),
  pingPublic: opt.boolean({
    description: "Ping the peer's public address in quickCheck (seed 000 step 3); turn off where the peer drops ICMP from the Internet.",
    default: true,
  }),
  downOnRemove: opt.boolean({
    description:
      "Take the connection down when the resource is taken out of service. Off by default: seed 000 keeps the standby VPN node's tunnel up and monitored.",
    default: false,
  }),
  ec2Child: opt.boolean({
    description:
      "Create the EC2 child (seed 000): an ec2 route-table resource that points the route tables' routes for the remote subnets (the connection's rightsubnets) at the active VPN node's ENI.",
    default: false,
  }),
  routeTables: opt.list({
    description: 'EC2 child: only these route tables (default: every table of the VPC with a route for a remote subnet).',
    default: [],
    perServer: true,
    item: (v: string) => checkAwsId('rtb', v),
  }),
  vpcId: opt.string({ description: "EC2 child: the VPC (default: the VPC of the node's ENI).", perServer: true, check: (v: string) => checkAwsId('vpc', v) }),
});

export type Options = typeof options extends { parse(raw: never): infer O } ? O : never;
