/**
 * The moving parts of the IP kit, shared by the actions and the bringup/bringdown commands.
 * Everything runs `ip`, `arping`, `ping` and `sysctl` through ctx.exec with argument arrays
 * (never a shell); `ip -j` (JSON) output is parsed, never screen-scraped. With a network
 * namespace, `ip -n NS ...` is used for iproute2 and `nsenter --net=/run/netns/NS prog ...` for the others.
 */
import { ActionFailedError, ConfigError, type Exec, type ExecOptions, type ExecResult, type Logger, type Tunables } from '@recovery-kit/sdk';
import { readlinkSync, statSync } from 'node:fs';
import { findProcesses, sleep, stopProcesses, waitFor, WaitTimeoutError } from '@recovery-kit/sdk/util';
import { broadcastOf, canonical, type Vip } from './addr.ts';

/** Where commands run: the host's network stack or a named network namespace. */
export interface Net {
  exec: Exec;
  logger: Logger;
  signal: AbortSignal;
  netns?: string | undefined;
}

export interface LinkInfo {
  ifname: string;
  flags: string[];
  operstate: string;
  address?: string;
}

export interface AddrInfo {
  dev: string;
  family: 4 | 6;
  local: string;
  prefixlen: number;
  label?: string | undefined;
  tentative: boolean;
  dadfailed: boolean;
}

const where = (net: Net) => (net.netns ? ` in network namespace ${net.netns}` : '');

/** The Net of an action or command context, in `netns` when given. */
export const netOf = (ctx: { exec: Exec; logger: Logger; signal: AbortSignal }, netns: string | undefined): Net => ({
  exec: ctx.exec,
  logger: ctx.logger,
  signal: ctx.signal,
  ...(netns ? { netns } : {}),
});

/** Runs `ip [-n NS] args`. */
export function ip(net: Net, args: string[], reject = true) {
  return net.exec('ip', net.netns ? ['-n', net.netns, ...args] : args, { reject });
}

/**
 * Runs another program (arping, ping, sysctl) in the namespace or directly. In a namespace through
 * `nsenter --net=/run/netns/NS` (util-linux), which enters only the network namespace `ip netns
 * add` made: these tools need nothing else of `ip netns exec` (its /sys remount and /etc/netns
 * files), and nsenter starts in about half the time of ip (no libbpf/libelf to load). In the C
 * locale: their output is parsed (iputils ships translations on some distributions), and the
 * C locale spares each program of the chain (timeout, stdbuf, arping) reading the locale files,
 * about 0.5 ms each.
 */
export function inNs(net: Net, file: string, args: string[], reject = false, options: Omit<ExecOptions, 'reject'> = {}) {
  const o = { ...options, env: { LC_ALL: 'C', ...options.env }, reject };
  return net.netns ? net.exec('nsenter', [`--net=/run/netns/${net.netns}`, file, ...args], o) : net.exec(file, args, o);
}

function json<T>(text: string): T {
  const t = text.trim();
  return (t === '' ? [] : JSON.parse(t)) as T;
}

/** Fails with a ConfigError when the namespace does not exist (exit 6 at create). */
export async function checkNetns(net: Net): Promise<void> {
  if (!net.netns) return;
  const r = await ip(net, ['-j', 'link', 'show'], false);
  if (r.exitCode !== 0) {
    throw new ConfigError(`network namespace ${JSON.stringify(net.netns)} does not exist or cannot be entered: ${r.stderr.trim()}`, {
      field: 'netns',
      fix: '"ip netns list" shows the namespaces; create it first (ip netns add NAME) or correct netns',
    });
  }
}

/** The link, or undefined when there is no such device. */
export async function link(net: Net, dev: string): Promise<LinkInfo | undefined> {
  const r = await ip(net, ['-j', 'link', 'show', 'dev', dev], false);
  if (r.exitCode !== 0) {
    if (/does not exist|Cannot find device/i.test(r.stderr)) return undefined;
    throw new ActionFailedError(`cannot read link ${dev}${where(net)}: ${r.stderr.trim()}`, {
      fix: 'check that kit-runner runs as root and that iproute2 is installed',
    });
  }
  const [l] = json<Array<{ ifname: string; flags?: string[]; operstate?: string; address?: string }>>(r.stdout);
  if (!l) return undefined;
  return { ifname: l.ifname, flags: l.flags ?? [], operstate: l.operstate ?? 'UNKNOWN', ...(l.address ? { address: l.address } : {}) };
}

/** True for devices without ARP (loopback, NOARP such as tun or wireguard): no arping there. */
export function noArp(l: LinkInfo | undefined): boolean {
  return !l || l.flags.includes('LOOPBACK') || l.flags.includes('NOARP');
}

/** Why the link cannot carry traffic, or undefined when it is up with carrier. */
export function linkProblem(l: LinkInfo): string | undefined {
  if (!l.flags.includes('UP')) return `link ${l.ifname} is administratively down`;
  if (l.flags.includes('NO-CARRIER') || !l.flags.includes('LOWER_UP')) return `link ${l.ifname} has no carrier (NO-CARRIER)`;
  if (l.operstate === 'DOWN' || l.operstate === 'LOWERLAYERDOWN') return `link ${l.ifname} is ${l.operstate}`;
  return undefined;
}

type IpAddrJson = Array<{ ifname: string; flags?: string[]; operstate?: string; address?: string; addr_info?: Array<Record<string, unknown>> }>;

/** Parses `ip -j addr show` output: the addresses, and each device's link (the same JSON carries flags and operstate). */
export function parseAddrs(stdout: string): { addrs: AddrInfo[]; links: Map<string, LinkInfo> } {
  const addrs: AddrInfo[] = [];
  const links = new Map<string, LinkInfo>();
  for (const l of json<IpAddrJson>(stdout)) {
    links.set(l.ifname, { ifname: l.ifname, flags: l.flags ?? [], operstate: l.operstate ?? 'UNKNOWN', ...(l.address ? { address: l.address } : {}) });
    for (const a of l.addr_info ?? []) {
      if (a.family !== 'inet' && a.family !== 'inet6') continue;
      addrs.push({
        dev: l.ifname,
        family: a.family === 'inet' ? 4 : 6,
        local: canonical(String(a.local)),
        prefixlen: Number(a.prefixlen),
        label: typeof a.label === 'string' ? a.label : undefined,
        tentative: a.tentative === true,
        dadfailed: a.dadfailed === true,
      });
    }
  }
  return { addrs, links };
}

/** Every address in the namespace (or on one device), with the links they are on: one `ip -j addr show`. */
export async function snapshot(net: Net, dev?: string): Promise<{ addrs: AddrInfo[]; links: Map<string, LinkInfo> }> {
  const r = await ip(net, ['-j', 'addr', 'show', ...(dev ? ['dev', dev] : [])], false);
  if (r.exitCode !== 0) {
    if (dev && /does not exist/i.test(r.stderr)) return { addrs: [], links: new Map() };
    throw new ActionFailedError(`cannot list addresses${where(net)}: ${r.stderr.trim()}`, {
      fix: 'check that kit-runner runs as root and that iproute2 is installed',
    });
  }
  return parseAddrs(r.stdout);
}

/** Every address in the namespace (or on one device). */
export async function addresses(net: Net, dev?: string): Promise<AddrInfo[]> {
  return (await snapshot(net, dev)).addrs;
}

/**
 * Adds an address and reads the device back in one `ip -batch` (iproute2 runs both lines in one
 * process): `-force` reads the device even when the add failed. Returns the add's error text
 * (empty when it succeeded) and the device's addresses after it.
 */
export async function addAndRead(net: Net, addArgs: string[], dev: string): Promise<{ error: string; addrs: AddrInfo[] }> {
  // A batch line is split on blanks (and knows quotes and #): only plain words go through it.
  if (![...addArgs, dev].every((a) => /^[A-Za-z0-9_.:@+/-]+$/.test(a))) {
    const r = await ip(net, ['addr', 'add', ...addArgs], false);
    return { error: r.exitCode === 0 ? '' : r.stderr.trim(), addrs: await addresses(net, dev) };
  }
  const lines = `${['addr', 'add', ...addArgs].join(' ')}\naddr show dev ${dev}\n`;
  const r = await net.exec('ip', [...(net.netns ? ['-n', net.netns] : []), '-j', '-force', '-batch', '-'], { reject: false, input: lines });
  const error = r.exitCode === 0 ? '' : r.stderr.replace(/^Command failed -:\d+\s*$/gm, '').trim() || `ip exited with ${r.exitCode}`;
  let addrs: AddrInfo[] = [];
  try {
    addrs = parseAddrs(r.stdout).addrs;
  } catch {
    // no JSON (the show failed too): reported through `error` and the missing address
  }
  return { error, addrs };
}

/** The instances of the virtual address in the namespace (normally zero or one). */
export async function findVip(net: Net, vip: Vip): Promise<AddrInfo[]> {
  return (await addresses(net)).filter((a) => a.family === vip.family && a.local === vip.address);
}

/**
 * Finds the device for an address the way IPaddr2's findif does: the routes that cover the
 * address (`ip -j -f FAMILY route list match ADDR/PREFIX`), keeping directly connected ones
 * (a `dev`, no gateway, not default/unreachable/prohibit/blackhole), most specific first, then
 * lowest metric.
 */
export async function findDevice(net: Net, vip: Vip): Promise<string | undefined> {
  const r = await ip(net, ['-j', '-f', vip.family === 4 ? 'inet' : 'inet6', 'route', 'list', 'match', `${vip.address}/${vip.prefix}`], false);
  if (r.exitCode !== 0) throw new ActionFailedError(`cannot read the routing table${where(net)}: ${r.stderr.trim()}`);
  const routes = json<Array<{ dst?: string; dev?: string; gateway?: string; via?: unknown; type?: string; metric?: number }>>(r.stdout)
    .filter((x) => x.dev && !x.gateway && !x.via && x.dst !== 'default' && (x.type === undefined || x.type === 'unicast') && x.dev !== 'lo')
    .map((x) => ({ dev: x.dev!, len: Number(/\/(\d+)$/.exec(x.dst ?? '')?.[1] ?? (vip.family === 4 ? 32 : 128)), metric: x.metric ?? 0 }))
    .sort((a, b) => b.len - a.len || a.metric - b.metric);
  return routes[0]?.dev;
}

/** The SDK's sleep, ending early (without an error) when the action is aborted: the caller's next check sees the abort. */
const pause = (ms: number, signal: AbortSignal) => sleep(ms, signal).catch(() => undefined);

/**
 * Makes sure the link is up (LifeKeeper's restore step 2). An administratively down link is set
 * up; a link without carrier is bounced once (down, IP_WAIT_LINKDOWN s, up). Then the link is
 * re-checked up to IP_MAX_LINKCHK times 1 s apart. Returns what it did.
 */
export async function ensureLink(net: Net, dev: string, tunables: Tunables, known?: LinkInfo): Promise<string[]> {
  const l = known ?? (await link(net, dev));
  if (!l) throw new ActionFailedError(`device ${dev} does not exist${where(net)}`, { fix: 'create the device, or correct the device option of the resource' });
  if (tunables.bool('IP_NOLINKCHECK')) return [];
  const problem = linkProblem(l);
  if (!problem) return [];
  const done: string[] = [];
  net.logger.warn(`${problem}: bringing it up`);
  if (l.flags.includes('UP')) {
    await ip(net, ['link', 'set', 'dev', dev, 'down']);
    const wait = tunables.int('IP_WAIT_LINKDOWN');
    if (wait > 0) await pause(wait * 1000, net.signal);
    done.push(`bounced link ${dev}`);
  } else done.push(`set link ${dev} up`);
  await ip(net, ['link', 'set', 'dev', dev, 'up']);
  const tries = Math.max(1, tunables.int('IP_MAX_LINKCHK'));
  let last = problem;
  for (let i = 0; i < tries; i++) {
    const now = await link(net, dev);
    const p = now ? linkProblem(now) : `device ${dev} disappeared`;
    if (!p) return done;
    last = p;
    if (i < tries - 1) await pause(1000, net.signal);
  }
  throw new ActionFailedError(`${last}${where(net)}, still after bringing it up and checking ${tries} time(s)`, {
    code: 'LINK_DOWN',
    fix: 'check the cable, switch port or virtual NIC; raise IP_MAX_LINKCHK if the link needs longer, or set IP_NOLINKCHECK=1 where the link state is meaningless',
  });
}

/**
 * IPv4 duplicate address detection: `arping -D` (RFC 5227 probes from 0.0.0.0), `probes` probes
 * one second apart, listening `waitMs` after the last one (arping itself waits whole seconds: the
 * exec's `listenMs` ends its time, shorter or not; arping -D quits at the first answer, so one
 * still listening then heard none). An ARP request from another host for the address (its gratuitous
 * ARP, or its own probe answered by nobody) counts as an answer, as it does for arping's exit
 * code. Returns the MAC address of the host that answered, or undefined when
 * nobody did.
 */
export async function arpDuplicate(net: Net, dev: string, address: string, probes: number, waitMs = 1000): Promise<string | undefined> {
  const n = Math.max(1, probes);
  const totalMs = (n - 1) * 1000 + Math.max(1, waitMs);
  // listenMs: at the end of its time the verdict is in, without waiting ~10 ms for arping to die
  // (the kernel's teardown of its packet socket); a runner without listenMs ends it by timeoutMs.
  const r = await inNs(net, 'arping', ['-D', '-c', String(n), '-w', String(Math.ceil(totalMs / 1000)), '-I', dev, address], false, {
    timeoutMs: totalMs,
    listenMs: totalMs,
  });
  // A reply, or a request (another host's own probe or gratuitous ARP claiming the address):
  // iputils prints "Unicast reply from A [MAC]" or "Broadcast request from A [MAC] for ..." and exits 1.
  const mac = /(?:reply|request) from \S+ \[([0-9A-Fa-f:]+)\]/.exec(r.stdout)?.[1];
  if (mac) return mac.toLowerCase();
  if (r.exitCode === 0 || (r.timedOut && !net.signal.aborted)) return undefined;
  throw new ActionFailedError(
    `duplicate address detection for ${address} on ${dev} could not run: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`,
    {
      code: 'DAD_FAILED',
      fix: 'install arping (Debian: iputils-arping) and run kit-runner as root, or set NOIPUNIQUE=1 to skip the check',
    },
  );
}

/** Waits for the kernel's IPv6 DAD: tentative -> ok, or dadfailed. */
export async function waitIpv6Dad(net: Net, dev: string, vip: Vip, seconds: number): Promise<'ok' | 'dadfailed' | 'timeout'> {
  try {
    const r = await waitFor(
      `duplicate address detection of ${vip.address}`,
      async () => {
        const a = (await addresses(net, dev)).find((x) => x.family === 6 && x.local === vip.address);
        if (!a || a.dadfailed) return 'dadfailed' as const;
        return a.tentative ? undefined : ('ok' as const);
      },
      { deadline: Date.now() + seconds * 1000, initialDelayMs: 100, factor: 1, signal: net.signal },
    );
    return r.value;
  } catch (err) {
    if (err instanceof WaitTimeoutError || net.signal.aborted) return 'timeout';
    throw err;
  }
}

/** Reads and (when asked) sets net.ipv6.conf.DEV.ndisc_notify, so the kernel announces the address after DAD. */
export async function enableNdiscNotify(net: Net, dev: string): Promise<boolean> {
  const key = `net/ipv6/conf/${dev}/ndisc_notify`;
  const r = await inNs(net, 'sysctl', ['-n', key]);
  if (r.exitCode === 0 && r.stdout.trim() === '1') return false;
  const w = await inNs(net, 'sysctl', ['-q', '-w', `${key}=1`]);
  if (w.exitCode !== 0)
    net.logger.warn(`cannot enable ndisc_notify on ${dev}: ${w.stderr.trim()}; neighbours learn the new location through unreachability detection`);
  return w.exitCode === 0;
}

/**
 * Gratuitous ARP (unsolicited ARP requests with the address as sender and target). arping sends
 * the first packet at once and then one a second, so it runs in the background
 * (`ctx.exec(..., { background: true })`: the runner reaps and logs it) and the restore does not
 * wait for the rest. It waits for the first, though: arping prints its header line right before
 * it sends its first packet (nothing but a few non-blocking system calls in between), and
 * `readyOnLine` resolves at that line (`stdbuf -oL`: arping's standard output is a pipe, which C
 * buffers fully otherwise); so when restore returns the first packet is on the wire. `outlive`
 * lets arping send all its packets when kit-runner exits before it ends (as IPaddr2's
 * background send_arp does), bounded by arping's own -w and the exec's timeout. Where the runner
 * runs it in the foreground instead (an older runner ignores `background`), the result is the
 * same, only slower. Returns 'background' when it was started, true/false for a finished run,
 * false when count is 0.
 */
export async function announceArp(net: Net, dev: string, address: string, count: number): Promise<'background' | boolean> {
  if (count <= 0) return false;
  const wait = Math.max(1, count - 1);
  const args = ['-oL', 'arping', '-U', '-c', String(count), '-w', String(wait), '-I', dev, '-s', address, address];
  const warn = (r: ExecResult) => {
    if (r.exitCode !== 0 && r.signal === undefined)
      net.logger.warn(`gratuitous ARP for ${address} on ${dev} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]}`);
  };
  const r = await inNs(net, 'stdbuf', args, false, { background: true, readyOnLine: true, outlive: true, timeoutMs: (wait + 2) * 1000 });
  if (r.completion && r.exitCode === undefined && r.signal === undefined) {
    void r.completion.then(warn, () => undefined);
    return 'background';
  }
  warn(r);
  return r.exitCode === 0;
}

/** The inode of a network namespace (`/run/netns/NAME`, or this process's own), to tell namespaces apart in /proc. */
function netnsInode(netns: string | undefined): number | undefined {
  try {
    if (netns) return statSync(`/run/netns/${netns}`).ino;
    return Number(/\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/net'))?.[1]);
  } catch {
    return undefined;
  }
}

/**
 * Ends the gratuitous ARP an earlier restore may still be sending for `address` in this
 * namespace (arping outlives kit-runner, see {@link announceArp}): once the address is gone from
 * here, a late packet would point the neighbours back at this node while another one holds it.
 * IPaddr2's stop ends its send_arp in the same way. Returns how many it ended.
 */
export async function stopArpAnnouncements(net: Net, address: string): Promise<number> {
  const ns = netnsInode(net.netns);
  if (ns === undefined) return 0;
  const pids = findProcesses((p) => {
    const a = p.argv();
    if (!/(^|\/)arping$/.test(a[0] ?? '') || !a.includes('-U') || a.at(-1) !== address || a[a.indexOf('-s') + 1] !== address) return false;
    return readlinkSync(`/proc/${p.pid}/ns/net`) === `net:[${ns}]`;
  });
  if (!pids.length) return 0;
  const left = await stopProcesses(pids, { graceMs: 500 });
  if (left.length) net.logger.warn(`gratuitous ARP for ${address} still running (pid ${left.join(', ')}) after SIGKILL`);
  return pids.length - left.length;
}

/** Responders of a ping (addresses that sent an echo reply), without %scope. */
export function responders(stdout: string): string[] {
  const out = new Set<string>();
  for (const m of stdout.matchAll(/bytes from ([0-9A-Fa-f:.]+)(?:%[^:\s]+)?:/g)) out.add(canonical(m[1]!));
  return [...out];
}

/** One ping round to a single target, sourced from the virtual address. True when it answered. */
export async function pingTarget(net: Net, source: string, target: string, tries: number, seconds: number): Promise<boolean> {
  for (let i = 0; i < Math.max(1, tries); i++) {
    const r = await inNs(net, 'ping', ['-n', '-q', '-c', '1', '-W', String(Math.max(1, seconds)), '-I', source, target]);
    if (r.exitCode === 0) return true;
    if (net.signal.aborted) return false;
  }
  return false;
}

/**
 * LifeKeeper's broadcast ping: IPv4 to the subnet's broadcast address (`ping -b`), IPv6 to the
 * all-nodes group ff02::1 on the device. Replies from this node's own addresses do not count
 * (lkping -z). Returns the foreign responders, or undefined when the prefix has no broadcast
 * address (/31, /32), i.e. there is nothing to ask.
 */
export async function broadcastPing(net: Net, dev: string, vip: Vip, tries: number, seconds: number): Promise<string[] | undefined> {
  const target = vip.family === 4 ? broadcastOf(vip) : 'ff02::1';
  if (!target || (await link(net, dev))?.flags.includes('LOOPBACK')) return undefined;
  const args = [
    '-n',
    ...(vip.family === 4 ? ['-b'] : []),
    '-c',
    String(Math.max(1, tries)),
    '-i',
    '0.2',
    '-W',
    String(Math.max(1, seconds)),
    '-I',
    dev,
    target,
  ];
  const r = await inNs(net, 'ping', args);
  const own = new Set((await addresses(net)).map((a) => a.local));
  return responders(r.stdout).filter((a) => !own.has(a));
}
