export { createTestContext, type TestContextOptions, type TestContext } from './context.ts';
export { KitTester, checkKitShape } from './kit-tester.ts';
export { createSandbox, runnerBin, type Sandbox, type RunResult } from './sandbox.ts';
export { fakeBin, type FakeBin } from './fake-bin.ts';
export { rejectionOf, kitErrorOf } from './rejection.ts';
