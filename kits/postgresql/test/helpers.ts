/**
 * A throw-away PostgreSQL cluster for the real tests: initdb into a temporary directory as the
 * `postgres` OS user, on a free port, listening on 127.0.0.1 and a private unix socket directory,
 * with peer authentication mapped so root (kit-runner) may connect as role postgres, exactly the
 * setup the README documents. Needs root, the postgres user and the server binaries.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  appendFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tcpPortHolders } from '../src/proc.ts';

export interface RealEnv {
  ok: boolean;
  why: string;
  binDir?: string;
  uid?: number;
  gid?: number;
}

/** Can the real tests run here? (root, a postgres user, initdb). */
export function realEnv(): RealEnv {
  if (process.getuid?.() !== 0) return { ok: false, why: 'needs root (to run the server as the postgres user)' };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) return { ok: false, why: 'needs the postgres OS user (apt-get install -y postgresql)' };
  const dirs: string[] = [];
  for (const base of ['/usr/lib/postgresql']) {
    if (existsSync(base)) for (const v of readdirSync(base).sort((a, b) => Number(b) - Number(a))) dirs.push(join(base, v, 'bin'));
  }
  if (existsSync('/usr'))
    for (const d of readdirSync('/usr')
      .filter((d) => d.startsWith('pgsql-'))
      .sort()
      .reverse())
      dirs.push(join('/usr', d, 'bin'));
  dirs.push('/usr/bin');
  const binDir = dirs.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (!binDir) return { ok: false, why: 'needs the PostgreSQL server binaries (apt-get install -y postgresql)' };
  return { ok: true, why: '', binDir, uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** A port nobody listens on (TCP on any address, and no socket lock in the given directory). */
export function freePort(avoid: number[] = []): number {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 40000);
    if (avoid.includes(port)) continue;
    if (!tcpPortHolders(port).listening) return port;
  }
}

export interface Cluster {
  base: string;
  dataDir: string;
  socketDir: string;
  port: number;
  binDir: string;
  /** Options for the kit. */
  options: Record<string, string>;
  init(): void;
  /** Stops the server if it runs (immediate) and kills leftovers. */
  stop(): void;
  cleanup(): void;
  pid(): number | undefined;
}

export function planCluster(env: RealEnv, name = 'pg'): Cluster {
  const base = mkdtempSync(join(tmpdir(), `rk-${name}-`));
  chmodSync(base, 0o755);
  const dataDir = join(base, 'data');
  const socketDir = join(base, 'sock');
  const port = freePort();
  const binDir = env.binDir!;
  const asPostgres = (file: string, args: string[]) => spawnSync('runuser', ['-u', 'postgres', '--', file, ...args], { encoding: 'utf8', timeout: 120_000 });
  const self: Cluster = {
    base,
    dataDir,
    socketDir,
    port,
    binDir,
    options: { dataDir, socketDir, port: String(port), user: 'postgres' },
    init() {
      if (existsSync(join(dataDir, 'PG_VERSION'))) return;
      for (const d of [dataDir, socketDir]) {
        mkdirSync(d, { recursive: true });
        chownSync(d, env.uid!, env.gid!);
      }
      chmodSync(dataDir, 0o700);
      const r = asPostgres(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=peer', '--auth-host=scram-sha-256', '--no-sync']);
      if (r.status !== 0) throw new Error(`initdb failed: ${r.stderr}`);
      appendFileSync(join(dataDir, 'postgresql.conf'), `\nlisten_addresses = '127.0.0.1'\nfsync = off\nshared_buffers = 16MB\n`);
      // Peer authentication over the socket, with a map letting root (kit-runner) be role postgres.
      const hba = readFileSync(join(dataDir, 'pg_hba.conf'), 'utf8').replace(/^local\s+all\s+all\s+peer\s*$/m, 'local   all   all   peer map=recoverykit');
      writeFileSync(join(dataDir, 'pg_hba.conf'), hba);
      appendFileSync(join(dataDir, 'pg_ident.conf'), '\nrecoverykit  root      postgres\nrecoverykit  postgres  postgres\n');
    },
    pid() {
      try {
        return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return undefined;
      }
    },
    stop() {
      if (existsSync(join(dataDir, 'postmaster.pid'))) asPostgres(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '30']);
      // Leftover processes whose cwd is the data directory (a killed postmaster's backends).
      for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        try {
          if (readlinkSync(`/proc/${e}/cwd`) === dataDir) process.kill(Number(e), 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
    cleanup() {
      self.stop();
      rmSync(base, { recursive: true, force: true });
    },
  };
  return self;
}
