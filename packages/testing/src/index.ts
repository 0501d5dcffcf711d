/**
 * @recovery-kit/testing: the harness (./harness.ts) with KitTester.run registering its tests
 * with vitest. Without vitest, import @recovery-kit/testing/harness.
 */
import { describe, it } from 'vitest';
import { KitTester } from './kit-tester.ts';

KitTester.describe ??= describe;
KitTester.it ??= it;

export * from './harness.ts';
