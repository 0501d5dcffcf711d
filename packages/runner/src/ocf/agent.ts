/**
 * The OCF resource agent of one kit (`ocf:recovery-kit:<kitType>`): Pacemaker runs
 * `/usr/lib/ocf/resource.d/recovery-kit/<kitType> ACTION` with the parameters in `OCF_RESKEY_*`.
 * Every kit call goes through the runner's one action runner (runAction), every result through
 * the SDK's OCF policy (ocfExitCode / ocfMonitorCode), so no kit can return an OCF code itself.
 *
 * - start = restore (after the kit's create validation, cached per instance), stop = remove,
 *   validate-all, reload-agent, recover: lifecycle.ts.
 * - monitor = quickCheck at OCF_CHECK_LEVEL (`ctx.checkLevel`; recover first when
 *   local_recovery=true), promote/demote for kits with roles: monitor.ts.
 * - meta-data: metadata.ts. What every action shares (parameters, the per-instance cache, the
 *   kit call with Pacemaker's deadline): instance.ts.
 */
import { hostname } from 'node:os';
import { KitError, OcfCode, ocfClassify, ocfCodeName, type Kit, type RawValue } from '@recovery-kit/sdk';
import { discoverKits, loadKit, type Discovery } from '../loader.ts';
import { createLogger, streamSink } from '../logger.ts';
import { resolveSettings } from '../settings.ts';
import { AgentInstance } from './instance.ts';
import { recover, reloadAgent, start, stop, validate } from './lifecycle.ts';
import { DEFAULT_PROFILE, metadataXml, OCF_PROFILES, type OcfProfile } from './metadata.ts';
import { monitor, role } from './monitor.ts';
import { removeState, stateDir, stateFile } from './state.ts';

export const OCF_ACTIONS = [
  'start',
  'stop',
  'monitor',
  'status',
  'validate-all',
  'meta-data',
  'reload-agent',
  'promote',
  'demote',
  'recover',
  'notify',
  'usage',
  'help',
] as const;

export interface AgentIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function profileOf(env: NodeJS.ProcessEnv): OcfProfile {
  const p = env.KIT_RUNNER_OCF_PROFILE;
  return p && (OCF_PROFILES as readonly string[]).includes(p) ? (p as OcfProfile) : DEFAULT_PROFILE;
}

function usage(kitType: string): string {
  return `usage: ${kitType} {start|stop|monitor|validate-all|meta-data|reload-agent|promote|demote|recover}\nocf:recovery-kit:${kitType}, an OCF resource agent run by kit-runner; parameters in OCF_RESKEY_*. See docs/operate/pacemaker.md.\n`;
}

/** Runs one OCF action; returns the OCF exit code. Never throws. */
export async function runAgent(
  kitType: string,
  action: string | undefined,
  io: AgentIo = { env: process.env, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env;
  if (action === undefined || action === 'usage' || action === 'help') {
    io.stdout.write(usage(kitType));
    return action === undefined ? OcfCode.ERR_ARGS : OcfCode.SUCCESS;
  }
  const level = env.HA_debug === '1' ? 'debug' : ((env.KIT_RUNNER_LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info');
  const logger = createLogger([streamSink(io.stderr, env)], level, `ocf:${kitType}`);
  const reason = (text: string) => io.stderr.write(`ocf-exit-reason:${text.split('\n').join(' ').slice(0, 500)}\n`);
  let discovery: Discovery;
  let kit: Kit;
  const settings = (() => {
    try {
      return resolveSettings({ node: env.OCF_RESKEY_CRM_meta_on_node || undefined }, env);
    } catch {
      return resolveSettings({ node: hostname().split('.')[0] || 'localhost' }, { ...env, KIT_RUNNER_NODE: undefined });
    }
  })();
  try {
    // Limited to this kit type (a monitor is a process start): other types come from the full search (loader.ts).
    discovery = discoverKits(settings.kitsDirs, undefined, kitType);
    kit = await loadKit(discovery, kitType);
  } catch (err) {
    const e = err as KitError;
    reason(e.message);
    logger.error(e.message, { fix: e.fix });
    // meta-data cannot describe a kit that does not load; a probe of it is "not running".
    if (action === 'monitor' && env.OCF_RESKEY_CRM_meta_interval === '0') return OcfCode.NOT_RUNNING;
    if (action === 'stop') return OcfCode.SUCCESS;
    return OcfCode.ERR_INSTALLED;
  }
  if (action === 'meta-data') {
    io.stdout.write(metadataXml(kit, profileOf(env)));
    return OcfCode.SUCCESS;
  }
  const agent = new AgentInstance(kit, action, env, logger, settings.node, settings.tunablesPath, discovery, reason);
  try {
    return await dispatch(agent);
  } catch (err) {
    const { rc, rule } = ocfClassify(err, { action, probe: agent.probe, stage: agent.stage });
    const msg = err instanceof Error ? err.message : String(err);
    reason(msg);
    logger.error(`${action} failed: ${msg}`, { rc: `${rc} ${ocfCodeName(rc)}`, rule, ...(err instanceof KitError && err.fix ? { fix: err.fix } : {}) });
    return rc;
  }
}

/** The action's implementation (lifecycle.ts, monitor.ts). */
function dispatch(a: AgentInstance): Promise<number> {
  switch (a.action) {
    case 'start':
      return start(a);
    case 'stop':
      return stop(a);
    case 'monitor':
    case 'status':
      return monitor(a);
    case 'validate-all':
      return validate(a);
    case 'reload-agent':
      return reloadAgent(a);
    case 'promote':
    case 'demote':
      return role(a, a.action);
    case 'recover':
      return recover(a);
    default:
      // notify, migrate_to, migrate_from, reload: not implemented (optional in OCF).
      a.logger.info(`action ${a.action} is not implemented by ocf:recovery-kit:${a.kit.meta.kitType}`);
      return Promise.resolve(OcfCode.ERR_UNIMPLEMENTED);
  }
}

/** For tests: forget an instance's cache. */
export function forgetInstance(kitType: string, instance: string, env: NodeJS.ProcessEnv = process.env): void {
  removeState(stateFile(stateDir(env), kitType, instance));
}

export type { RawValue };
