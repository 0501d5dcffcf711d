/**
 * A throw-away ORACLE_HOME whose bin/ holds the fake sqlplus, lsnrctl, tnslsnr and oracle of
 * fixtures/bin (symlinks), with network/admin/listener.ora, state in <home>/.fake and failure
 * injection files in <home>/.fake/inject. cleanup() kills every process the fakes started.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

export const FIXTURE_BIN = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bin');

export interface FakeHome {
  home: string;
  sid: string;
  listener: string;
  inject(name: string, content?: string): void;
  clear(name: string): void;
  /** PIDs of processes started from this home (pmon, tnslsnr). */
  pids(kind: 'pmon' | 'tnslsnr'): number[];
  calls(): string;
  cleanup(): void;
}

export function fakeHome(): FakeHome {
  const home = mkdtempSync(join(tmpdir(), 'rk-orahome-'));
  chmodSync(home, 0o755);
  const tag = randomBytes(3).toString('hex').toUpperCase();
  const sid = `RK${tag}`;
  const listener = `LSNR_${tag}`;
  mkdirSync(join(home, 'bin'));
  for (const b of ['sqlplus', 'lsnrctl', 'tnslsnr', 'oracle']) symlinkSync(join(FIXTURE_BIN, b), join(home, 'bin', b));
  mkdirSync(join(home, 'network', 'admin'), { recursive: true });
  writeFileSync(
    join(home, 'network', 'admin', 'listener.ora'),
    `${listener} =\n  (DESCRIPTION_LIST =\n    (DESCRIPTION =\n      (ADDRESS = (PROTOCOL = TCP)(HOST = node-a)(PORT = 1521))\n    )\n  )\n`,
  );
  const injectDir = join(home, '.fake', 'inject');
  mkdirSync(injectDir, { recursive: true });
  const self: FakeHome = {
    home,
    sid,
    listener,
    inject(name, content = '') {
      writeFileSync(join(injectDir, name), content);
    },
    clear(name) {
      rmSync(join(injectDir, name), { force: true });
    },
    pids(kind) {
      const out: number[] = [];
      for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
        try {
          const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
          const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
          if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
          if (kind === 'pmon' && argv[0] === `ora_pmon_${sid}`) out.push(Number(e));
          if (kind === 'tnslsnr' && argv.some((a) => a.startsWith(home)) && argv.includes(listener)) out.push(Number(e));
        } catch {
          /* gone */
        }
      }
      return out;
    },
    calls() {
      const f = join(home, '.fake', 'calls.log');
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    cleanup() {
      for (const p of [...self.pids('pmon'), ...self.pids('tnslsnr')]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
  return self;
}
