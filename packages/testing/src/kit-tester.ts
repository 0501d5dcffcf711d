/**
 * KitTester: what RuleTester is to ESLint rules, and not tied to a test framework.
 * - `checkKitShape` checks a kit object against its package.json and the contract.
 * - `runCase` runs one behaviour case under the context the runner builds (the action runner
 *   itself), with options, info and children frozen, and returns what went wrong (an empty
 *   `problems` list when nothing did): the expectation (ok / throws / a message RegExp /
 *   `{ code, exitCode }` / a quickCheck status), every failure being a KitError with a `fix`, and
 *   quickCheck being read-only: each command it runs is recorded, and one the case does not
 *   allow (`allowExec`) is refused and fails the case.
 * - `runLifecycle` runs restore twice, quickCheck (healthy), remove twice, quickCheck (not).
 * - `run` registers all of it with `KitTester.describe` / `KitTester.it`: set them to your
 *   framework's (node:test, mocha); the package's main entry sets vitest's.
 * Any option the schema rejects is the action's failure, as under the runner.
 */
import { readFileSync } from 'node:fs';
import { isKit, isKitError, KIT_API_VERSION, MANIFEST_FIELD, type Exec, type Kit, type KitContext, type QuickCheckResult } from '@recovery-kit/sdk';
import { buildTestContext, type TestContextOptions } from './context.ts';

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
  const unknown = kit.options.check({ __no_such_option__: 'x' });
  if (unknown.ok || !unknown.issues.some((i) => i.field === '__no_such_option__')) problems.push('the options schema does not reject unknown keys');
  for (const [action, tunable] of Object.entries(kit.timeouts ?? {})) {
    if (!kit.tunables?.[tunable as string]) problems.push(`timeout of ${action} names tunable ${tunable}, which the kit does not declare`);
  }
  if (kit.checkIntervalTunable && !kit.tunables?.[kit.checkIntervalTunable]) problems.push(`checkIntervalTunable ${kit.checkIntervalTunable} is not declared`);
  if (packageJsonPath) {
    const pkg = JSON.parse(readFileSync(packageJsonPath, 'utf8')) as {
      name?: unknown;
      version?: unknown;
      [MANIFEST_FIELD]?: { kitType?: unknown; apiVersion?: unknown };
    };
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

/** What a case expects: resolves; rejects (any, a message RegExp, or a code / exit code); or a quickCheck status. */
export type Expectation = 'ok' | 'throws' | RegExp | QuickCheckResult['status'] | { code?: string; exitCode?: number; message?: RegExp };

/** A command quickCheck may run: a program name (or path), or a RegExp on the whole command line. */
export type AllowedCommand = string | RegExp;

export interface BehaviourCase<O> {
  name: string;
  action: 'restore' | 'remove' | 'quickCheck' | 'recover' | 'create' | 'extend';
  context?: TestContextOptions;
  /** Runs before the action (prepare fakes or the real environment). */
  setup?: () => Promise<void> | void;
  expect: Expectation;
  /**
   * quickCheck only: the commands it may run. Any other is refused and fails the case. Without
   * it the tester's `quickCheckExec` applies; with neither, commands are recorded, not checked.
   */
  allowExec?: readonly AllowedCommand[];
  /** Extra assertions with the context after the action (throw to fail). */
  verify?: (ctx: KitContext<O>) => Promise<void> | void;
}

export interface LifecycleSpec {
  context: TestContextOptions;
  setup?: () => Promise<void> | void;
  teardown?: () => Promise<void> | void;
  /** Skip the quickCheck assertions (kits without quickCheck). */
  noQuickCheck?: boolean;
}

export interface CaseResult {
  name: string;
  /** Empty when the case passed. */
  problems: string[];
  /** What the action returned, or the error it failed with. */
  value?: unknown;
  error?: unknown;
  /** Commands the action ran through ctx.exec (program and arguments). */
  exec: string[][];
}

type TestFn = (name: string, fn: () => Promise<void> | void) => unknown;

const describeError = (e: unknown) =>
  isKitError(e) ? `${e.name} ${e.code} (exit ${e.exitCode}): ${e.message}` : e instanceof Error ? `${e.name}: ${e.message}` : String(e);

function allowed(list: readonly AllowedCommand[], argv: string[]): boolean {
  const line = argv.join(' ');
  const prog = argv[0] ?? '';
  return list.some((a) => (typeof a === 'string' ? a === prog || prog.endsWith(`/${a}`) : a.test(line)));
}

/** Throws a plain Error listing the problems of a result (for any test framework). */
export function assertCase(r: CaseResult): void {
  if (r.problems.length) {
    const err = new Error(`${r.name}:\n  - ${r.problems.join('\n  - ')}`);
    if (r.error !== undefined) (err as Error & { cause?: unknown }).cause = r.error;
    throw err;
  }
}

export class KitTester<O> {
  /** The test registration functions `run` uses; the main entry of @recovery-kit/testing sets vitest's. */
  static describe: ((name: string, fn: () => void) => unknown) | undefined;
  static it: TestFn | undefined;

  readonly kit: Kit<O>;
  readonly packageJsonPath: string | undefined;
  readonly quickCheckExec: readonly AllowedCommand[] | undefined;

  constructor(kit: Kit<O>, options: { packageJson?: string | URL; quickCheckExec?: readonly AllowedCommand[] } = {}) {
    this.kit = kit;
    this.packageJsonPath = options.packageJson instanceof URL ? options.packageJson.pathname : options.packageJson;
    this.quickCheckExec = options.quickCheckExec;
  }

  checkShape(): string[] {
    return checkKitShape(this.kit, this.packageJsonPath);
  }

  /** Runs one action under the runner's context; returns its value or error and the commands it ran. */
  async call(
    action: BehaviourCase<O>['action'],
    context: TestContextOptions = {},
    allow?: readonly AllowedCommand[],
  ): Promise<{ ok: boolean; value?: unknown; error?: unknown; exec: string[][]; refused: string[]; ctx?: KitContext<O> }> {
    const exec: string[][] = [];
    const refused: string[] = [];
    const wrapExec =
      (inner: Exec): Exec =>
      async (file, args = [], opts) => {
        const argv = [file, ...args];
        exec.push(argv);
        if (allow && !allowed(allow, argv)) {
          refused.push(argv.join(' '));
          throw new Error(`KitTester: quickCheck ran ${argv.join(' ')}, which the case does not allow (quickCheck must be read-only)`);
        }
        return inner(file, args, opts);
      };
    const fn = this.kit.actions[action] as ((x: KitContext<O>) => Promise<unknown>) | undefined;
    if (!fn) return { ok: false, error: new Error(`kit has no ${action}`), exec, refused };
    let built;
    try {
      built = buildTestContext(this.kit, { action, ...context }, { freeze: true, wrapExec });
    } catch (error) {
      // An option the schema rejects fails the action, as it does under the runner.
      return { ok: false, error, exec, refused };
    }
    try {
      const value = await built.call((ctx) => fn(ctx));
      return { ok: true, value, exec, refused, ctx: built.ctx };
    } catch (error) {
      return { ok: false, error, exec, refused, ctx: built.ctx };
    }
  }

  /** Runs one behaviour case; `problems` is empty when it passed. */
  async runCase(c: BehaviourCase<O>): Promise<CaseResult> {
    await c.setup?.();
    const allow = c.action === 'quickCheck' ? (c.allowExec ?? this.quickCheckExec) : undefined;
    const r = await this.call(c.action, c.context, allow);
    const problems: string[] = [];
    for (const cmd of r.refused) problems.push(`quickCheck ran "${cmd}", which is not in allowExec (quickCheck must change nothing)`);
    const e = c.expect;
    const failure = (): void => {
      if (r.ok) {
        problems.push(`expected a failure, but ${c.action} succeeded`);
        return;
      }
      // The action runner wraps what is not a KitError (ACTION_FAILED, the original as cause).
      const e0 = r.error;
      const thrown = isKitError(e0) && e0.code === 'ACTION_FAILED' && e0.cause !== undefined && !isKitError(e0.cause) ? e0.cause : e0;
      if (!isKitError(thrown)) problems.push(`failures must be KitErrors (with a code, an exit code and a fix); the kit threw ${describeError(thrown)}`);
      else if (!thrown.fix) problems.push(`the failure has no fix for the operator: ${describeError(thrown)}`);
    };
    if (e === 'throws') failure();
    else if (e instanceof RegExp) {
      failure();
      if (!r.ok && !e.test((r.error as Error)?.message ?? String(r.error))) problems.push(`the error message does not match ${e}: ${describeError(r.error)}`);
    } else if (typeof e === 'object') {
      failure();
      if (!r.ok && isKitError(r.error)) {
        if (e.code !== undefined && r.error.code !== e.code) problems.push(`expected code ${e.code}, got ${r.error.code}`);
        if (e.exitCode !== undefined && r.error.exitCode !== e.exitCode) problems.push(`expected exit code ${e.exitCode}, got ${r.error.exitCode}`);
        if (e.message && !e.message.test(r.error.message)) problems.push(`the error message does not match ${e.message}: ${r.error.message}`);
      }
    } else if (e === 'ok') {
      if (!r.ok) problems.push(`expected ${c.action} to succeed; it failed: ${describeError(r.error)}`);
    } else {
      // A quickCheck status. Throwing means failed (the contract), and must be a KitError with a fix.
      const status = r.ok ? ((r.value as QuickCheckResult | undefined)?.status ?? 'ok') : 'failed';
      if (!r.ok) failure();
      if (status !== e)
        problems.push(`expected quickCheck status ${e}, got ${status}${r.ok ? ` (${JSON.stringify(r.value)})` : `: ${describeError(r.error)}`}`);
    }
    if (!problems.length && c.verify) {
      try {
        if (r.ctx) await c.verify(r.ctx);
        else problems.push('verify: the context could not be built');
      } catch (err) {
        problems.push(`verify: ${describeError(err)}`);
      }
    }
    return { name: c.name, problems, exec: r.exec, ...(r.ok ? { value: r.value } : { error: r.error }) };
  }

  /** restore twice, quickCheck healthy, remove twice, quickCheck not healthy. */
  async runLifecycle(l: LifecycleSpec): Promise<CaseResult> {
    const problems: string[] = [];
    const exec: string[][] = [];
    const checks = !l.noQuickCheck && Boolean(this.kit.actions.quickCheck);
    await l.setup?.();
    try {
      const step = async (action: 'restore' | 'remove' | 'quickCheck') => {
        const r = await this.call(action, l.context, action === 'quickCheck' ? this.quickCheckExec : undefined);
        exec.push(...r.exec);
        for (const cmd of r.refused) problems.push(`quickCheck ran "${cmd}", which is not in quickCheckExec`);
        return r;
      };
      // Each action twice (idempotence), then the state quickCheck must see.
      const twice = async (action: 'restore' | 'remove') => {
        for (const n of [1, 2]) {
          const r = await step(action);
          if (!r.ok) problems.push(`${action} #${n} failed: ${describeError(r.error)}`);
        }
      };
      const checkStatus = async () => {
        const r = await step('quickCheck');
        return { r, status: r.ok ? ((r.value as QuickCheckResult | undefined)?.status ?? 'ok') : 'failed' };
      };
      await twice('restore');
      if (checks) {
        const { r, status } = await checkStatus();
        if (status !== 'ok') problems.push(`quickCheck after restore is ${status}, not ok${r.ok ? '' : `: ${describeError(r.error)}`}`);
      }
      await twice('remove');
      if (checks) {
        const { status } = await checkStatus();
        if (status !== 'failed') problems.push(`quickCheck after remove is ${status}, not failed`);
      }
    } finally {
      await l.teardown?.();
    }
    return { name: `kit ${this.kit.meta.kitType}: restore twice, remove twice, quickCheck follows`, problems, exec };
  }

  /** Registers the tests with KitTester.describe / KitTester.it. Call at the top level of a test file. */
  run(spec: { cases?: BehaviourCase<O>[]; lifecycle?: LifecycleSpec } = {}): void {
    const describe = KitTester.describe;
    const it = KitTester.it;
    if (!describe || !it)
      throw new Error("KitTester.run needs KitTester.describe and KitTester.it (import @recovery-kit/testing under vitest, or set them to your framework's)");
    const kit = this.kit;
    describe(`kit ${kit.meta.kitType}: contract`, () => {
      it('is well formed', () => {
        const problems = this.checkShape();
        if (problems.length) throw new Error(`kit ${kit.meta.kitType} is not well formed:\n  - ${problems.join('\n  - ')}`);
      });
    });
    if (spec.cases?.length) {
      describe(`kit ${kit.meta.kitType}: behaviour`, () => {
        for (const c of spec.cases!) it(c.name, async () => assertCase(await this.runCase(c)));
      });
    }
    if (spec.lifecycle) {
      const l = spec.lifecycle;
      it(`kit ${kit.meta.kitType}: restore twice, remove twice, quickCheck follows`, async () => assertCase(await this.runLifecycle(l)));
    }
  }
}
