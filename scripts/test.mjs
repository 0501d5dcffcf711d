#!/usr/bin/env node
// The test command: builds every package (the CLI tests run the built kit-runner), runs all
// vitest suites, and ends with one plain line "N passed, N failed, N skipped" for CI.
// Extra arguments go to vitest (e.g. `pnpm test kits/ip`), except `--checks` (what .ci/run passes):
// first run the guard rails, lint + format check (`pnpm lint:ci`) and the circular-import check
// (`pnpm check:cycles`), each counted as one passed or failed suite in the totals.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;

// `pnpm test` starts this file through scripts/node.sh, which puts its Node first on PATH: the
// build, vitest and every kit-runner the tests spawn run on this same Node.
console.error(`test: node ${process.version} (${process.execPath})`);

const argv = process.argv.slice(2);
const withChecks = argv.includes('--checks');
const vitestArgs = argv.filter((a) => a !== '--checks');
let checksPassed = 0;
let checksFailed = 0;
if (withChecks) {
  for (const [name, script] of [
    ['lint and format', 'lint:ci'],
    ['circular imports', 'check:cycles'],
  ]) {
    console.error(`test: ${name} (pnpm ${script})`);
    if (run('pnpm', ['run', '--silent', script]) === 0) checksPassed++;
    else {
      checksFailed++;
      console.error(`test: ${name} failed (pnpm ${script})`);
    }
  }
}

if (run('pnpm', ['-r', '--workspace-concurrency=1', 'run', 'build']) !== 0) {
  console.log(`${checksPassed} passed, ${checksFailed + 1} failed, 0 skipped`);
  console.error('build failed');
  process.exit(1);
}
mkdirSync('.test-results', { recursive: true });
const out = '.test-results/vitest.json';
rmSync(out, { force: true });
const status = run('pnpm', ['exec', 'vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...vitestArgs]);
let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests;
  // A suite that failed outside any test (an import error) counts as one failure.
  const brokenSuites = r.testResults.filter((s) => s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed')).length;
  failed = r.numFailedTests + brokenSuites;
  skipped = r.numPendingTests + (r.numTodoTests ?? 0);
} catch {
  failed = Math.max(1, failed);
}
if (status !== 0 && failed === 0) failed = 1;
console.log(`${passed + checksPassed} passed, ${failed + checksFailed} failed, ${skipped} skipped`);
process.exit(status === 0 && failed === 0 && checksFailed === 0 ? 0 : 1);
