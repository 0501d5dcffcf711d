/**
 * @recovery-kit/testing/harness: everything without a test framework. KitTester's `runCase`
 * and `runLifecycle` return results (`assertCase` throws a plain Error); `run` registers tests
 * with whatever `KitTester.describe` / `KitTester.it` you set.
 */
export { createTestContext, buildTestContext, runTestActions, type TestContextOptions, type TestContext } from './context.ts';
export {
  KitTester,
  checkKitShape,
  assertCase,
  type BehaviourCase,
  type LifecycleSpec,
  type CaseResult,
  type Expectation,
  type AllowedCommand,
} from './kit-tester.ts';
export { createSandbox, runnerBin, type Sandbox, type RunResult } from './sandbox.ts';
export { fakeBin, type FakeBin } from './fake-bin.ts';
export { rejectionOf, kitErrorOf } from './rejection.ts';
