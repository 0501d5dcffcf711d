/**
 * The agent's start, stop, validate-all, reload-agent and recover (monitor, promote and demote
 * are in monitor.ts). Each takes the instance (instance.ts) and returns an OCF code; errors are
 * mapped by the SDK's policy in agent.ts.
 *
 * Stop never needs the network or valid parameters: it uses what start cached, and returns 0 when
 * the kit's remove succeeded or, after a second (forced) attempt failed, when quickCheck shows the
 * resource is not held here (docs/reference/ocf.md, "The stop contract").
 */
import { OcfCode } from '@recovery-kit/sdk';
import type { AgentInstance, Prepared } from './instance.ts';
import { extrasOf, hasRoles } from './metadata.ts';

/** start = restore (after the kit's create validation, cached per instance). */
export async function start(a: AgentInstance): Promise<number> {
  const p = a.params();
  a.checkSecrets(p);
  a.stage = 'action';
  const prepared = await a.prepare(p, a.cached());
  await a.call('restore', prepared, (ctx) => a.kit.actions.restore(ctx));
  // A start leaves a resource with roles unpromoted (OCF 1.1).
  a.save(prepared, 'started', hasRoles(a.kit) ? 'unpromoted' : undefined);
  return OcfCode.SUCCESS;
}

/** validate-all: level 0 the parameters only (OCF 1.1), 10 and 20 also the kit's create validation on this host. */
export async function validate(a: AgentInstance): Promise<number> {
  const p = a.params();
  a.checkSecrets(p);
  a.stage = 'action';
  if (a.checkLevel === 0) return OcfCode.SUCCESS;
  const cached = a.cached();
  const prepared = await a.prepare(p, cached);
  // A resource started with other parameters keeps its cache: stop must use what start used.
  if (cached?.phase === 'started' && cached.paramsHash !== prepared.hash) return OcfCode.SUCCESS;
  a.save(prepared, cached?.phase ?? 'validated', cached?.role);
  return OcfCode.SUCCESS;
}

export async function reloadAgent(a: AgentInstance): Promise<number> {
  const p = a.params();
  a.checkSecrets(p);
  a.stage = 'action';
  const cached = a.cached();
  if (cached) {
    // Only reloadable parameters change (Pacemaker restarts the resource for any other); they
    // take effect at the next action, as the kit reads its options at every call.
    const options = { ...cached.options };
    for (const [name, field] of Object.entries(a.kit.options.fields)) {
      if (extrasOf(field).reloadable) options[name] = p.options[name];
    }
    a.save({ options, info: cached.info, children: cached.children, hash: a.hashOf(p) }, cached.phase, cached.role);
  }
  return OcfCode.SUCCESS;
}

/**
 * Stop: the parameters and the network are not needed. Options come from what start cached
 * (else from the parameters; when those are invalid nothing can have been started with them).
 */
export async function stop(a: AgentInstance): Promise<number> {
  const cached = a.cached();
  let prepared: Prepared;
  if (cached) prepared = { options: cached.options, info: cached.info, children: cached.children, hash: cached.paramsHash };
  else {
    let p;
    try {
      p = a.params();
    } catch (err) {
      a.logger.warn(
        `stop: the parameters are not valid and this node has no record of starting ${a.instance}: nothing to stop (${(err as Error).message.split('\n').join(' ')})`,
      );
      return OcfCode.SUCCESS;
    }
    // Not validated (no create ran): an empty hash, so a later start validates again instead of
    // reusing this record's empty info and children.
    prepared = { options: p.options, info: {}, children: [], hash: '' };
  }
  a.stage = 'action';
  let last: unknown;
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      await a.call('remove', prepared, (ctx) => a.kit.actions.remove(ctx));
      a.save(prepared, 'stopped');
      if (attempt > 1) a.logger.info(`stop: the second attempt succeeded`);
      return OcfCode.SUCCESS;
    } catch (err) {
      last = err;
      a.logger.warn(`stop: remove attempt ${attempt} failed: ${(err as Error).message}`);
      const left = a.timeoutMs();
      if (left !== undefined && left <= 1000) break;
    }
  }
  // Both attempts failed: is the resource still held here? Level 10 (local state and one cloud
  // read): a data-path check (20) failing would not prove the resource released.
  const check = await a.quickCheck(prepared, 10).catch((err: unknown) => ({ status: 'unknown' as const, reason: (err as Error).message }));
  if (check.status === 'failed') {
    a.logger.info(`stop: ${a.instance} is not held here (${check.reason}): stopped`);
    a.save(prepared, 'stopped');
    return OcfCode.SUCCESS;
  }
  if (check.status === 'unknown') {
    a.logger.error(
      `stop: remove failed and the kit cannot tell whether ${a.instance} is still held here (${check.reason}); reporting stopped, since it is not proven held`,
    );
    a.save(prepared, 'stopped');
    return OcfCode.SUCCESS;
  }
  a.logger.error(`stop: ${a.instance} is still held here after two attempts (${check.detail ?? 'quickCheck ok'})`);
  throw last;
}

export async function recover(a: AgentInstance): Promise<number> {
  const p = a.params();
  a.stage = 'action';
  const cached = a.cached();
  const prepared = await a.prepare(p, cached);
  await a.recoverHere(prepared);
  a.save(prepared, 'started', cached?.role);
  return OcfCode.SUCCESS;
}
