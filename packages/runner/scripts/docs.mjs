// Writes what is generated from the command specs (src/cli/spec.ts and cmd-*.ts): the manual
// page man/kit-runner.8 (`kit-runner help --man`) and the SYNOPSIS block of
// docs/reference/kit-runner.md (`kit-runner help --synopsis`). test/cli-docs.test.ts fails when
// either is out of date. Run after `pnpm run build`: pnpm -C packages/runner run docs
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const bin = new URL('../bin/kit-runner.js', import.meta.url).pathname;
const run = (...args) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

writeFileSync(new URL('../man/kit-runner.8', import.meta.url), run('help', '--man'));
const doc = new URL('../../../docs/reference/kit-runner.md', import.meta.url);
const text = readFileSync(doc, 'utf8');
const next = text.replace(/(## SYNOPSIS\n\n```\n)[\s\S]*?(```\n)/, `$1${run('help', '--synopsis')}$2`);
if (next === text && !text.includes(run('help', '--synopsis'))) throw new Error('no SYNOPSIS block found in docs/reference/kit-runner.md');
writeFileSync(doc, next);
console.log('wrote man/kit-runner.8 and the SYNOPSIS of docs/reference/kit-runner.md');
