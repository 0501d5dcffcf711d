/**
 * The node's Libreswan, through ctx.exec only (argument arrays, no shell): detects the version
 * and picks the command set (5: `ipsec up/down/add/trafficstatus`; 4 and older: `ipsec auto
 * --up/--down/--add`, `ipsec whack --trafficstatus`).
 */
import { ActionFailedError, ConfigError, type Exec, type ExecResult, type Logger } from '@recovery-kit/sdk';
import { splitArgs } from '@recovery-kit/sdk/util';
import {
  parseReadWriteConf,
  parseTrafficStatus,
  parseUpOutput,
  parseVersion,
  plutoDown,
  type ChildSa,
  type ConnSection,
  type IpsecVersion,
  type UpOutcome,
} from './parse.ts';

/** pluto's lock file (Libreswan's rundir /run/pluto on Linux distributions). */
export const PLUTO_PID_FILE = '/run/pluto/pluto.pid';

export interface IpsecDeps {
  exec: Exec;
  logger: Logger;
  ipsec: string;
  configFile: string;
}

export class Ipsec {
  private cachedVersion: IpsecVersion | undefined;
  constructor(private readonly d: IpsecDeps) {}

  private run(args: string[], timeoutMs?: number): Promise<ExecResult> {
    return this.d.exec(this.d.ipsec, args, { reject: false, ...(timeoutMs ? { timeoutMs } : {}) });
  }

  async version(): Promise<IpsecVersion> {
    if (this.cachedVersion) return this.cachedVersion;
    const r = await this.run(['--version'], 15_000);
    const v = parseVersion(`${r.stdout}\n${r.stderr}`);
    if (r.exitCode === 127 || !v) {
      throw new ConfigError(
        r.exitCode === 127
          ? `${this.d.ipsec} is not installed`
          : `${this.d.ipsec} --version printed no Libreswan/Openswan version: ${(r.stdout || r.stderr).trim().slice(0, 200)}`,
        {
          field: 'ipsec',
          fix: 'install libreswan (apt-get install libreswan / dnf install libreswan), or give the path of the ipsec command',
        },
      );
    }
    this.cachedVersion = v;
    return v;
  }

  /** The connections of the configuration, includes and also= resolved by Libreswan itself. */
  async connections(): Promise<ConnSection[]> {
    const r = await this.run(['readwriteconf', '--config', this.d.configFile], 20_000);
    if (r.exitCode !== 0) {
      throw new ConfigError(
        `ipsec readwriteconf --config ${this.d.configFile} failed (${r.exitCode}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
        {
          field: 'configFile',
          fix: 'fix the configuration (ipsec addconn --checkconfig shows the error), or give the right configFile',
        },
      );
    }
    return parseReadWriteConf(r.stdout).conns;
  }

  /** Is pluto there? The process, and its control socket answering. */
  async plutoRunning(): Promise<{ running: boolean; detail: string }> {
    const p = await this.d.exec('pidof', ['pluto'], { reject: false, timeoutMs: 10_000 });
    if (p.exitCode !== 0) return { running: false, detail: 'no pluto process' };
    const r = await this.trafficRaw();
    if (plutoDown(r.stderr, r.exitCode))
      return { running: false, detail: `pluto (pid ${p.stdout.trim()}) does not answer on its control socket: ${r.stderr.trim()}` };
    return { running: true, detail: `pluto pid ${p.stdout.trim()}` };
  }

  private async trafficRaw(): Promise<ExecResult> {
    const v = await this.version();
    return this.run(v.generation === 5 ? ['trafficstatus'] : ['whack', '--trafficstatus'], 20_000);
  }

  /** The established Child SAs, or undefined when pluto did not answer. */
  async childSas(): Promise<ChildSa[] | undefined> {
    const r = await this.trafficRaw();
    if (r.exitCode !== 0) return undefined;
    return parseTrafficStatus(r.stdout);
  }

  /** `ipsec status` text (diagnostics; undefined when pluto does not answer). */
  async status(): Promise<string | undefined> {
    const r = await this.run(['status'], 20_000);
    return r.exitCode === 0 ? r.stdout : undefined;
  }

  async add(conn: string): Promise<void> {
    const v = await this.version();
    const r = await this.run(v.generation === 5 ? ['add', conn] : ['auto', '--add', conn], 30_000);
    if (r.exitCode !== 0)
      throw new ActionFailedError(
        `ipsec ${v.generation === 5 ? 'add' : 'auto --add'} ${conn} failed (${r.exitCode}): ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' | ')}`,
        { fix: 'check the connection with ipsec addconn --checkconfig' },
      );
  }

  async up(conn: string, timeoutMs: number): Promise<UpOutcome & { output: string; timedOut: boolean }> {
    const v = await this.version();
    const r = await this.run(v.generation === 5 ? ['up', conn] : ['auto', '--up', conn], timeoutMs);
    const output = `${r.stdout}\n${r.stderr}`;
    this.d.logger.debug(`ipsec up ${conn}: exit ${r.exitCode ?? (r.timedOut ? 'timeout' : r.signal)}`, {
      output: output.trim().split('\n').slice(-6).join('\n'),
    });
    const outcome = parseUpOutput(output, r.timedOut ? undefined : r.exitCode);
    // Exit 0 without an "established" line: pluto was already negotiating it (not a failure yet).
    if (!outcome.established && r.exitCode === 0 && !r.timedOut && !outcome.configProblem) delete outcome.reason;
    return { ...outcome, output, timedOut: r.timedOut };
  }

  async down(conn: string, timeoutMs: number): Promise<ExecResult> {
    const v = await this.version();
    return this.run(v.generation === 5 ? ['down', conn] : ['auto', '--down', conn], timeoutMs);
  }

  /**
   * Starts pluto with the configured command. Call it only when no pluto process runs: a pluto
   * that was killed leaves its lock file behind, and pluto refuses to start while it exists
   * (systemd removes it, being told PIDFile=; other start commands do not), so it goes first.
   */
  async startDaemon(command: string, timeoutMs: number): Promise<void> {
    const stale = await this.d.exec('cat', [PLUTO_PID_FILE], { reject: false, timeoutMs: 10_000 });
    if (stale.exitCode === 0) {
      this.d.logger.warn(`removing the stale ${PLUTO_PID_FILE} (pid ${stale.stdout.trim()}) a killed pluto left behind`);
      await this.d.exec('rm', ['-f', PLUTO_PID_FILE], { reject: false, timeoutMs: 10_000 });
    }
    const [file, ...args] = splitArgs(command);
    const r = await this.d.exec(file!, args, { reject: false, timeoutMs });
    if (r.exitCode !== 0)
      throw new ActionFailedError(
        `starting pluto (${command}) failed (${r.exitCode ?? 'timeout'}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
        { fix: 'run the daemonStart command by hand to see why; journalctl -u ipsec on systemd' },
      );
  }
}
