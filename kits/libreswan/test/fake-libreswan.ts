/**
 * A fake Libreswan 4.10 for host tests (`ipsec`, `start-pluto`, `pidof`, `ping`, `ip`,
 * `attrd_updater`): node scripts that answer with output recorded in the VM lab
 * (test/fixtures/libreswan-4.10) and keep the node's state (pluto, tunnel, what `up` does) in a
 * JSON file the test reads and flips. `ipsec auto --up` establishes the tunnel (or times out when
 * `upWorks` is false), `ipsec auto --down` takes it down, `start-pluto` starts pluto; the ping
 * through the tunnel answers only while pluto runs and the tunnel is up. Used by
 * test/failover-runner.test.ts and packages/runner/test/ocf-libreswan.test.ts; the real Libreswan
 * is in the VM lab (test/lab.test.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeBin, type FakeBin } from '@recovery-kit/testing';

const FIX = fileURLToPath(new URL('./fixtures/libreswan-4.10/', import.meta.url));
export const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');

export interface NodeState {
  pluto: boolean;
  tunnel: boolean;
  /** What `ipsec auto --up` does: establish, or time out against a peer that does not answer. */
  upWorks: boolean;
}

export interface VpnNode {
  bin: FakeBin;
  set(s: Partial<NodeState>): void;
  state(): NodeState;
  /** Every call of a fake, in order: `NAME COMMAND ARGS...`. */
  log(): string[];
}

/** One VPN node (connection vpn1, this side 192.0.2.1 / 10.0.0.5): a fake Libreswan whose state lives in a JSON file. */
export function vpnNode(name: string, initial: Partial<NodeState> = {}): VpnNode {
  const bin = fakeBin();
  const stateFile = join(bin.dir, 'state.json');
  const logFile = join(bin.dir, 'log');
  const files = {
    version: fixture('version.txt'),
    conf: fixture('readwriteconf-vpn1.txt'),
    traffic: fixture('trafficstatus-established.txt'),
    status: fixture('status-established.txt'),
    upOk: fixture('up-ok.txt'),
    upTimeout: fixture('up-peer-unreachable-timeout.txt'),
    killed: fixture('pluto-killed.txt'),
  };
  writeFileSync(join(bin.dir, 'fixtures.json'), JSON.stringify(files));
  const head = `const fs = require('node:fs');
const S = ${JSON.stringify(stateFile)};
const st = JSON.parse(fs.readFileSync(S, 'utf8'));
const F = JSON.parse(fs.readFileSync(${JSON.stringify(join(bin.dir, 'fixtures.json'))}, 'utf8'));
const save = () => fs.writeFileSync(S, JSON.stringify(st));
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(logFile)}, ${JSON.stringify(name)} + ' ' + require('node:path').basename(process.argv[1]) + ' ' + args.join(' ') + '\\n');
`;
  bin.script(
    'ipsec',
    `${head}
const a = args.join(' ');
const out = (t, code = 0) => { process.stdout.write(t); process.exit(code); };
if (a === '--version') out(F.version);
if (a.startsWith('readwriteconf')) out(F.conf);
if (!st.pluto) { process.stderr.write(F.killed); process.exit(33); }
if (a === 'whack --trafficstatus') out(st.tunnel ? F.traffic : '');
if (a === 'status') out(F.status);
if (a === 'auto --add vpn1') out('');
if (a === 'auto --down vpn1') { st.tunnel = false; save(); out('002 "vpn1": terminating SAs using this connection\\n'); }
if (a === 'auto --up vpn1') {
  if (st.upWorks) { st.tunnel = true; save(); out(F.upOk); }
  out(F.upTimeout, 1);
}
process.stderr.write('fake ipsec: unexpected ' + a + '\\n'); process.exit(2);
`,
  );
  bin.script('start-pluto', `${head}st.pluto = true; save();`);
  bin.script('pidof', `${head}if (st.pluto) { process.stdout.write('4242\\n'); process.exit(0); } process.exit(1);`);
  bin.script('ping', `${head}process.exit(st.pluto && st.tunnel ? 0 : 1);`);
  bin.script(
    'ip',
    `${head}process.stdout.write('1: lo    inet 127.0.0.1/8 scope host lo\\n2: eth0    inet 192.0.2.1/24 scope global eth0\\n3: lan0    inet 10.0.0.5/32 scope global lan0\\n');`,
  );
  // attrd_updater: no Pacemaker here (file mode), as on a node without a cluster.
  bin.script('attrd_updater', `${head}process.stderr.write('attrd_updater: Could not connect to attrd: Connection refused\\n'); process.exit(102);`);
  const self: VpnNode = {
    bin,
    set(s: Partial<NodeState>) {
      const cur = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as NodeState) : { pluto: true, tunnel: true, upWorks: true };
      writeFileSync(stateFile, JSON.stringify({ ...cur, ...s }));
    },
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as NodeState,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter(Boolean) : []),
  };
  self.set(initial);
  return self;
}

/** How many times the node's `ipsec auto --up vpn1` ran. */
export const upsOf = (n: VpnNode) => n.log().filter((l) => / ipsec auto --up vpn1$/.test(l)).length;
