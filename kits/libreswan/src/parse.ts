/**
 * Parsers for what Libreswan prints, both generations: 4.x prefixes every whack line with a
 * three-digit code (`006 #3: "vpn1", ...`), 5.x does not (CHANGES v5.0: "drop NNN_ prefix from
 * all output"). Every parser takes the text as printed and strips the prefix itself. Samples:
 * test/fixtures (4.10 recorded in the lab, 5 transcribed from Libreswan's test suite).
 */

export type Generation = 4 | 5;

export interface IpsecVersion {
  /** As printed, e.g. "Libreswan 4.10". */
  text: string;
  major: number;
  minor: number;
  /**
   * Which command set to use: 5 (`ipsec up/down/add`, no `ipsec auto`), or 4 for Libreswan 3
   * and 4 and Openswan (`ipsec auto --up/--down/--add`).
   */
  generation: Generation;
  /** Openswan rather than Libreswan (seed 000's RHEL 6 era); driven with the 4.x commands. */
  openswan: boolean;
}

/** `ipsec --version`: "Libreswan 4.10", "Libreswan 5.4", "Linux Libreswan 3.32 (netkey) on ...", "Linux Openswan U2.6.32/K2.6.32". */
export function parseVersion(text: string): IpsecVersion | undefined {
  const line = text
    .split('\n')
    .find((l) => /(Libre|Open)swan/i.test(l))
    ?.trim();
  if (!line) return undefined;
  const m = /(Libreswan|Openswan)\s+U?(\d+)\.(\d+)/i.exec(line);
  if (!m) return undefined;
  const major = Number(m[2]);
  const openswan = /openswan/i.test(m[1]!);
  return { text: line, major, minor: Number(m[3]), generation: !openswan && major >= 5 ? 5 : 4, openswan };
}

/** Removes the 4.x numeric prefix ("000 ", "006 ") from one line. */
export const stripCode = (line: string): string => line.replace(/^\d{3} /, '');

export interface ChildSa {
  /** The state number (`#3`). */
  serial: number;
  /** The connection instance, e.g. "vpn1" or "vpn1/1x2" (leftsubnets=) or "vpn1[1]" (instance). */
  connection: string;
  type: string;
  inBytes: number;
  outBytes: number;
  /** Seconds since the epoch the SA was added (0 on some rekeyed SAs). */
  addTime: number;
  /** The peer's ID as printed. */
  id: string;
}

/**
 * `ipsec trafficstatus` / `ipsec whack --trafficstatus`: one line per established Child SA
 * (`#2: "conn", type=ESP, add_time=..., inBytes=N, outBytes=N, maxBytes=2^63B, id='@east'`).
 */
export function parseTrafficStatus(text: string): ChildSa[] {
  const out: ChildSa[] = [];
  for (const raw of text.split('\n')) {
    const line = stripCode(raw.trim());
    const m = /^#(\d+): "([^"]+)"[^,]*, (.*)$/.exec(line);
    if (!m) continue;
    const fields = new Map<string, string>();
    for (const part of m[3]!.matchAll(/(\w+)=('([^']*)'|[^,]*)/g)) fields.set(part[1]!, part[3] ?? part[2]!);
    if (!fields.has('inBytes') || !fields.has('outBytes')) continue;
    out.push({
      serial: Number(m[1]),
      connection: m[2]!,
      type: fields.get('type') ?? '',
      inBytes: Number(fields.get('inBytes')),
      outBytes: Number(fields.get('outBytes')),
      addTime: Number(fields.get('add_time') ?? 0),
      id: fields.get('id') ?? '',
    });
  }
  return out;
}

/** True when `instance` (as trafficstatus names it) belongs to connection `name`: "vpn1", "vpn1/2x1", "vpn1[3]". */
export function belongsTo(instance: string, name: string): boolean {
  if (instance === name) return true;
  if (!instance.startsWith(name)) return false;
  const rest = instance.slice(name.length);
  return /^\/\d+x\d+(\[\d+\])?$/.test(rest) || /^\[\d+\]$/.test(rest);
}

/** The Child SAs of one connection (its `leftsubnets=` aliases included). */
export function childSasOf(sas: readonly ChildSa[], name: string): ChildSa[] {
  return sas.filter((s) => belongsTo(s.connection, name));
}

/** One `conn` section as `ipsec readwriteconf` prints it (includes, also= and %default applied). */
export interface ConnSection {
  name: string;
  /** Key to value; a key given twice keeps its last non-empty value. */
  values: Record<string, string>;
}

/**
 * `ipsec readwriteconf --config FILE`: `config setup` and `conn NAME` sections, each key on
 * an indented `key=value` line. 4.10 prints some keys twice (`auto=` then `auto=start`).
 */
export function parseReadWriteConf(text: string): { setup: Record<string, string>; conns: ConnSection[] } {
  const setup: Record<string, string> = {};
  const conns: ConnSection[] = [];
  let current: Record<string, string> | undefined;
  for (const raw of text.split('\n')) {
    const line = stripCode(raw).replace(/\s+$/, '');
    if (!line.trim() || line.trim().startsWith('#')) continue;
    const head = /^(config\s+setup|conn\s+(\S+))\s*$/.exec(line.trim());
    if (head && !/^\s/.test(line)) {
      if (head[2]) {
        const c = { name: head[2], values: {} as Record<string, string> };
        conns.push(c);
        current = c.values;
      } else current = setup;
      continue;
    }
    const kv = /^\s+([A-Za-z0-9_-]+)=(.*)$/.exec(line);
    if (!kv || !current) continue;
    let value = kv[2]!.trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (value !== '' || !(kv[1]! in current)) current[kv[1]!] = value;
  }
  return { setup, conns: conns.filter((c) => c.name !== '%default') };
}

/** Why an `ipsec up` / `ipsec auto --up` did not establish the tunnel, read from its output. */
export interface UpOutcome {
  established: boolean;
  /** A short reason when not established, for errors and logs. */
  reason?: string;
  /** Retrying cannot help until someone changes the configuration (keys, IDs, proposals). */
  configProblem: boolean;
}

const UP_FAILURES: Array<[RegExp, string, boolean]> = [
  [
    /AUTHENTICATION_FAILED/,
    'the peer rejected our authentication (AUTHENTICATION_FAILED): the pre-shared keys (or certificates/IDs) of the two sides do not match',
    true,
  ],
  [
    /authentication failed|failed to authenticate|PSK.*mismatch|digital signature.*failed/i,
    'authentication of the peer failed: the pre-shared keys (or certificates/IDs) of the two sides do not match',
    true,
  ],
  [
    /NO_PROPOSAL_CHOSEN|no proposal chosen/i,
    'the peer accepted none of our proposals (NO_PROPOSAL_CHOSEN): the ike=/esp= settings of the two sides do not overlap',
    true,
  ],
  [/TS_UNACCEPTABLE/, 'the peer refused the traffic selectors (TS_UNACCEPTABLE): the subnets of the two sides do not mirror each other', true],
  [
    /INVALID_ID_INFORMATION|no suitable connection|IDr payload .* does not match/i,
    'the peer found no connection for our ID: leftid/rightid differ between the two sides',
    true,
  ],
  [/Pluto is not running|is Pluto running|connect\(.*pluto.*\) failed/i, 'pluto is not running', false],
  [/not known|no connection named|unknown connection/i, 'pluto does not know the connection (it is not loaded: ipsec auto --add / ipsec add)', true],
  [
    /retransmission; will wait|STATE_V2_PARENT_I1|IKE_SA_INIT_I|timeout|giving up/i,
    'no answer from the peer (IKE_SA_INIT retransmitted): it is unreachable or its pluto is down',
    false,
  ],
];

/** Reads the output of `ipsec up CONN` (5) or `ipsec auto --up CONN` (4). */
export function parseUpOutput(output: string, exitCode: number | undefined): UpOutcome {
  const lines = output.split('\n').map((l) => stripCode(l.trim()));
  const established = lines.some((l) => /established Child SA|IPsec SA established/.test(l));
  if (established && (exitCode === 0 || exitCode === undefined)) return { established: true, configProblem: false };
  for (const [re, reason, configProblem] of UP_FAILURES) if (re.test(output)) return { established: false, reason, configProblem };
  const last = lines.filter(Boolean).slice(-1)[0];
  return {
    established: false,
    reason: exitCode === undefined ? 'ipsec up did not finish in time' : `ipsec up exited ${exitCode}${last ? `: ${last.slice(0, 200)}` : ''}`,
    configProblem: false,
  };
}

/** True when whack says pluto is not there (exit 33 RC_WHACK_PROBLEM with the message). */
export function plutoDown(stderr: string, exitCode: number | undefined): boolean {
  return exitCode === 33 && /Pluto is not running|is Pluto running|pluto_?ctl|pluto\.ctl/i.test(stderr);
}

/** `ipsec briefstatus` / the tail of `ipsec status`: the SA totals. */
export function parseBriefStatus(text: string): { ikeSas?: number; ipsecSas?: number; loaded?: number; active?: number } {
  const t = text
    .split('\n')
    .map((l) => stripCode(l.trim()))
    .join('\n');
  const num = (re: RegExp) => {
    const m = re.exec(t);
    return m ? Number(m[1]) : undefined;
  };
  const out: { ikeSas?: number; ipsecSas?: number; loaded?: number; active?: number } = {};
  const ike = num(/IKE SAs: total\((\d+)\)/);
  const ipsec = num(/IPsec SAs: total\((\d+)\)/);
  const loaded = num(/Total IPsec connections: loaded (\d+)/);
  const active = num(/Total IPsec connections: loaded \d+,(?: routed \d+,)? active (\d+)/);
  if (ike !== undefined) out.ikeSas = ike;
  if (ipsec !== undefined) out.ipsecSas = ipsec;
  if (loaded !== undefined) out.loaded = loaded;
  if (active !== undefined) out.active = active;
  return out;
}

/** The connection names pluto has loaded, from `ipsec status` ("vpn1", and "vpn2/1x1" aliases reduced to "vpn2"). */
export function loadedConnections(statusText: string): string[] {
  const names = new Set<string>();
  for (const raw of statusText.split('\n')) {
    const m = /^"([^"]+)":\s/.exec(stripCode(raw.trim()));
    if (m) names.add(m[1]!.replace(/\/\d+x\d+$/, '').replace(/\[\d+\]$/, ''));
  }
  return [...names];
}
