/**
 * KitTester: what RuleTester is to ESLint rules. `checkKitShape` checks a kit object against its
 * package.json and the contract; `KitTester.run` registers vitest tests for the shape, for
 * behaviour tables, and for the lifecycle every kit owes (restore twice, healthy, remove twice,
 * unhealthy) against whatever real or fake environment the test sets up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isKit, KIT_API_VERSION, MANIFEST_FIELD, type Kit, type KitContext, type QuickCheckResult } from '@recovery-kit/sdk';
import { createTestContext, type TestContextOptions } from './context.ts';

/** Returns the problems found (empty when the kit is well formed). */
export function checkKitShape(kit: unknown, packageJsonPath?: string): string[] {
  const problems: string[] = [];
  if (!isKit(kit)) return ['the value is not a kit made with defineKit()'];
  if (kit.apiVersion !== KIT_API_VERSION) problems.push(`apiVersion ${kit.apiVersion} is not the current contract version ${KIT_API_VERSION}`);
  if (typeof kit.actions.restore !== 'function') problems.push('actions.restore is missing');
  if (typeof kit.actions.remove !== 'function') problems.push('actions.remove is missing');
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(kit.meta.kitType)) problems.push(`meta.kitType ${JSON.stringify(kit.meta.kitType)} is not valid`);
  for (const [name, f] of Object.entries(kit.options.fields)) {
    if (!f.description) problems.push(`option ${name} has no description`);
  }
  const unknown = kit.options.check({ '__no_such_option__': 'x' });
  if (unknown.ok || !unknown.issues.some((i) => i.field === '__no_such_option__')) problems.push('the options schema does not reject unknown keys');
  for (const [action, tunable] of Object.entries(kit.timeouts ?? {})) {
    if (!kit.tunables?.[tunable as string]) problems.push(`timeout of ${action} names tunable ${tunable}, which the kit does not declare`);
  }
  if (kit.checkIntervalTunable && !kit.tunables?.[kit.checkIntervalTunable]) problems.push(`checkIntervalTunable ${kit.checkIntervalTunable} is not declared`);
  if (packageJsonPath) {
    const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as Record<string, any>;
    if (pkg.name !== kit.meta.name) problems.push(`meta.name ${kit.meta.name} differs from package.json name ${pkg.name}`);
    if (pkg.version !== kit.meta.version) problems.push(`meta.version ${kit.meta.version} differs from package.json version ${pkg.version}`);
    const m = pkg[MANIFEST_FIELD];
    if (!m) problems.push(`package.json has no "${MANIFEST_FIELD}" manifest`);
    else {
      if (m.kitType !== kit.meta.kitType) problems.push(`manifest kitType ${m.kitType} differs from meta.kitType ${kit.meta.kitType}`);
      if (m.apiVersion !== kit.apiVersion) problems.push(`manifest apiVersion ${m.apiVersion} differs from the kit's ${kit.apiVersion}`);
    }
  }
  return problems;
}

export interface BehaviourCase<O> {
  name: string;
  action: 'restore' | 'remove' | 'quickCheck' | 'recover' | 'create' | 'extend';
  context?: TestContextOptions;
  /** Runs before the action (prepare fakes or the real environment). */
  setup?: () => Promise<void> | void;
  /** 'ok' = resolves; 'throws' (or a RegExp on the message) = rejects; or the quickCheck result status. */
  expect: 'ok' | 'throws' | RegExp | QuickCheckResult['status'];
  /** Extra assertions with the context after the action. */
  verify?: (ctx: KitContext<O>) => Promise<void> | void;
}

export interface LifecycleSpec {
  context: TestContextOptions;
  setup?: () => Promise<void> | void;
  teardown?: () => Promise<void> | void;
  /** Skip the quickCheck assertions (kits without quickCheck). */
  noQuickCheck?: boolean;
}

export class KitTester<O> {
  readonly kit: Kit<O>;
  readonly packageJsonPath: string | undefined;
  constructor(kit: Kit<O>, options: { packageJson?: string | URL } = {}) {
    this.kit = kit;
    this.packageJsonPath = options.packageJson instanceof URL ? options.packageJson.pathname : options.packageJson;
  }

  /** Registers the tests. Call at the top level of a test file. */
  run(spec: { cases?: BehaviourCase<O>[]; lifecycle?: LifecycleSpec } = {}): void {
    const kit = this.kit;
    describe(`kit ${kit.meta.kitType}: contract`, () => {
      it('is well formed', () => {
        expect(checkKitShape(kit, this.packageJsonPath)).toEqual([]);
      });
    });
    if (spec.cases?.length) {
      describe(`kit ${kit.meta.kitType}: behaviour`, () => {
        for (const c of spec.cases!) {
          it(c.name, async () => {
            await c.setup?.();
            const ctx = createTestContext(kit, { action: c.action, ...c.context });
            try {
              const fn = kit.actions[c.action] as ((x: KitContext<O>) => Promise<unknown>) | undefined;
              if (!fn) throw new Error(`kit has no ${c.action}`);
              const run = Promise.resolve().then(() => fn(ctx));
              if (c.expect === 'throws') await expect(run).rejects.toThrow();
              else if (c.expect instanceof RegExp) await expect(run).rejects.toThrow(c.expect);
              else if (c.expect === 'ok') await run;
              else {
                const r = ((await run) as QuickCheckResult | undefined) ?? { status: 'ok' };
                expect(r.status, JSON.stringify(r)).toBe(c.expect);
              }
              await c.verify?.(ctx);
            } finally {
              ctx.dispose();
            }
          });
        }
      });
    }
    if (spec.lifecycle) {
      const l = spec.lifecycle;
      it(`kit ${kit.meta.kitType}: restore twice, remove twice, quickCheck follows`, async () => {
        await l.setup?.();
        const call = async (action: 'restore' | 'remove' | 'quickCheck') => {
          const ctx = createTestContext(kit, { ...l.context, action });
          try {
            return (await (kit.actions[action] as (x: KitContext<O>) => Promise<unknown>)(ctx)) as QuickCheckResult | undefined;
          } finally {
            ctx.dispose();
          }
        };
        try {
          await call('restore');
          await call('restore');
          if (!l.noQuickCheck && kit.actions.quickCheck) expect((await call('quickCheck'))?.status ?? 'ok').toBe('ok');
          await call('remove');
          await call('remove');
          if (!l.noQuickCheck && kit.actions.quickCheck) {
            let status: string;
            try {
              status = (await call('quickCheck'))?.status ?? 'ok';
            } catch {
              status = 'failed';
            }
            expect(status).toBe('failed');
          }
        } finally {
          await l.teardown?.();
        }
      });
    }
  }
}
