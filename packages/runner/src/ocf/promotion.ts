/**
 * Promotion scores of a kit with roles (promote and demote), run by Pacemaker as a promotable
 * clone: after each monitor the agent publishes the kit's score with `crm_attribute --promotion`
 * (Pacemaker 2.1+, what the deprecated `crm_master` became), so that Pacemaker promotes the
 * instance with the best copy (docs/reference/ocf.md, "Promotion scores").
 *
 * - The score comes from the kit's `score` command (`kit-runner action TAG score` runs the same
 *   code): a number, or `{ score: number | null | 'keep' }`. `null` removes the attribute (this
 *   node must not be promoted), `'keep'` leaves it as it is (transitional states, as drbd.ocf
 *   does). A kit with roles but no `score` command gets no attribute from the agent.
 * - Only for a promotable clone (`OCF_RESKEY_CRM_meta_promotable=true`, or a `promoted_max` /
 *   `master_max` above 0): ocf-tester and a plain primitive never reach crm_attribute.
 * - Monitor says not running (7) or failed (1, 9): the score is removed (such an instance is no
 *   candidate; its next healthy monitor sets it again). Other results (configuration, install
 *   errors) leave it alone.
 * - `crm_attribute` failing or the kit's score failing never changes the monitor's result: it is
 *   logged, and the next monitor tries again.
 *
 * Written as `crm_attribute --promotion=<OCF_RESOURCE_INSTANCE> --lifetime=reboot --update=<n>`
 * (or `--delete`): `--promotion` takes its resource only in the `=` form (its argument is
 * optional), and the attribute lives until the node reboots, like drbd.ocf's `crm_master -l reboot`.
 */
import { OcfCode, type Kit, type KitContext, type Logger } from '@recovery-kit/sdk';
import { createExec } from '../exec.ts';

/** What a kit's score command may return. */
export type PromotionScore = number | null | 'keep';

/** Pacemaker's INFINITY: scores are clamped to it by Pacemaker; a kit has no reason to go beyond. */
const PCMK_INFINITY = 1_000_000;

/** True when Pacemaker runs this instance as a promotable clone. */
export function isPromotable(env: NodeJS.ProcessEnv): boolean {
  if (env.OCF_RESKEY_CRM_meta_promotable === 'true') return true;
  return [env.OCF_RESKEY_CRM_meta_promoted_max, env.OCF_RESKEY_CRM_meta_master_max].some((v) => v !== undefined && Number(v) > 0);
}

/** The score a kit's score command returned, or undefined (with the reason) when it is not one. */
export function scoreOf(value: unknown): { score: PromotionScore } | { invalid: string } {
  const v = value !== null && typeof value === 'object' && 'score' in value ? (value as { score: unknown }).score : value;
  if (v === null || v === 'keep') return { score: v };
  if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= PCMK_INFINITY) return { score: v };
  return { invalid: `${JSON.stringify(v)} is not a promotion score (a whole number within ±${PCMK_INFINITY}, null or "keep")` };
}

/** The crm_attribute arguments that publish `score` for `instance` (none for 'keep'). */
export function crmAttributeArgs(instance: string, score: PromotionScore): string[] | undefined {
  if (score === 'keep') return undefined;
  return [`--promotion=${instance}`, '--lifetime=reboot', score === null ? '--delete' : `--update=${score}`];
}

export interface PromotionHook {
  kit: Kit;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** The monitor's OCF result, returned unchanged. */
  rc: number;
  /** Runs the kit's score command with the instance's context (the agent's own call). */
  run: (fn: (ctx: KitContext<unknown>) => unknown) => Promise<unknown>;
}

/** After a monitor: publishes the kit's promotion score when it applies; returns `rc` unchanged. */
export async function publishPromotion(h: PromotionHook): Promise<number> {
  const score = h.kit.commands?.score;
  const roles = typeof (h.kit.actions as unknown as Record<string, unknown>).promote === 'function';
  if (!score || !roles || !isPromotable(h.env)) return h.rc;
  const instance = h.env.OCF_RESOURCE_INSTANCE || h.kit.meta.kitType;
  let value: PromotionScore;
  if (h.rc === OcfCode.NOT_RUNNING || h.rc === OcfCode.ERR_GENERIC || h.rc === OcfCode.FAILED_PROMOTED) value = null;
  else if (h.rc === OcfCode.SUCCESS || h.rc === OcfCode.RUNNING_PROMOTED || h.rc === OcfCode.DEGRADED || h.rc === OcfCode.DEGRADED_PROMOTED) {
    try {
      const got = scoreOf(await h.run((ctx) => score.run(ctx as never, [])));
      if ('invalid' in got) {
        h.logger.warn(`promotion score of ${instance}: the kit's score command returned ${got.invalid}; left as it was`);
        return h.rc;
      }
      value = got.score;
    } catch (err) {
      h.logger.warn(`promotion score of ${instance}: the kit's score command failed (${(err as Error).message}); left as it was`);
      return h.rc;
    }
  } else return h.rc;
  const args = crmAttributeArgs(instance, value);
  if (!args) return h.rc;
  const exec = createExec({ logger: h.logger, signal: new AbortController().signal, deadline: Date.now() + 15_000 });
  const r = await exec('crm_attribute', args, { reject: false }).catch((err: Error) => ({ exitCode: undefined, stderr: err.message, stdout: '' }));
  // Deleting an attribute that is not there is not a failure (crm_attribute exits 0 or 105 for it).
  if (r.exitCode === 0 || (value === null && r.exitCode === 105)) h.logger.debug(`promotion score of ${instance}: ${value === null ? 'removed' : value}`);
  else h.logger.warn(`promotion score of ${instance}: crm_attribute ${args.join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''}`);
  return h.rc;
}
