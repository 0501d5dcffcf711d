/**
 * The help screens, the manual page and the reference are made from one source, the command
 * specs: every help has examples and fits the terminal, the committed man page and the
 * reference's SYNOPSIS are what the specs generate now (regenerate with
 * `pnpm -C packages/runner run docs`), groff renders the page without a warning, and the exit
 * codes the help and the page list are the ones docs/reference/exit-codes.md documents.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '@recovery-kit/sdk';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.ts';
import { commandHelp, wrapUsage } from '../src/cli/format.ts';
import { manPage, synopsisText } from '../src/cli/man.ts';
import { EXIT_CODES, GLOBAL_HEADING } from '../src/cli/spec.ts';
import { runnerVersion } from '../src/version.ts';
import { positionalPaths } from '../src/cli/usage.ts';
import { recSandbox } from './helpers.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MAN = fileURLToPath(new URL('../man/kit-runner.8', import.meta.url));
const REGENERATE = 'out of date: run "pnpm -C packages/runner run build && pnpm -C packages/runner run docs"';

const commands = () => Promise.all(COMMANDS.map(async (c) => (await c.load()).command));

describe('help screens', () => {
  it('every command shows usage, examples and the global options once, wrapped to 80 columns on a pipe', async () => {
    const sb = recSandbox();
    for (const c of COMMANDS) {
      const r = await sb.run([c.name, '--help']);
      expect(r.exitCode, c.name).toBe(0);
      expect(r.stdout, c.name).toMatch(new RegExp(`^Usage: kit-runner ${c.name}`, 'm'));
      expect(r.stdout, c.name).toMatch(/^Examples:\n {2}# .+\n {2}\S/m);
      expect(r.stdout.split(GLOBAL_HEADING).length - 1, c.name).toBe(1);
      for (const line of r.stdout.split('\n')) expect(line.length, `${c.name}: ${line}`).toBeLessThanOrEqual(80);
    }
    const top = await sb.run(['--help']);
    expect(top.stdout.split(GLOBAL_HEADING).length - 1).toBe(1);
    expect(top.stdout.match(/-V, --version/g)).toHaveLength(1);
    for (const line of top.stdout.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    const kitCmd = await sb.run(['create', 'rec', '--help']);
    expect(kitCmd.stdout.split(GLOBAL_HEADING).length - 1).toBe(1);
  });

  it('on a terminal, wraps to its width (a pseudo-terminal of 60 columns)', () => {
    const bin = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
    const r = spawnSync('script', ['-q', '-e', '-c', `stty cols 60 rows 40; "${process.execPath}" "${bin}" action --help`, '/dev/null'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.replace(/\r/g, '').split('\n');
    expect(lines.some((l) => l.startsWith('Usage: kit-runner action'))).toBe(true);
    expect(Math.max(...lines.map((l) => l.length))).toBeLessThanOrEqual(60);
    expect(Math.max(...lines.map((l) => l.length))).toBeGreaterThan(50);
  });

  it('wraps to the width it is given (a terminal of 60 columns), definitions keeping their column', async () => {
    for (const c of await commands()) {
      const text = commandHelp(c, 60);
      for (const line of text.split('\n')) expect(line.length, `${c.name}: ${line}`).toBeLessThanOrEqual(60);
    }
    const action = commandHelp((await commands()).find((c) => c.name === 'action')!, 60);
    expect(action).toMatch(/^restore {5}brings TAG .*\n {12}\S/m);
    expect(wrapUsage('kit-runner extend TAG --server SERVER --priority N [--switchback intelligent|automatic]', 60)).toBe(
      'kit-runner extend TAG --server SERVER --priority N\n                  [--switchback intelligent|automatic]',
    );
  });
});

describe('the manual page kit-runner(8)', () => {
  it('is what the specs generate (kit-runner help --man), and is shipped in the package', async () => {
    const sb = recSandbox();
    const r = await sb.run(['help', '--man']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(manPage(await commands(), runnerVersion()));
    expect(readFileSync(MAN, 'utf8'), `man/kit-runner.8 ${REGENERATE}`).toBe(r.stdout);
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { files: string[]; man: string[] };
    expect(pkg.files).toContain('man');
    expect(pkg.man).toEqual(['./man/kit-runner.8']);
  });

  it('has every command, its usage and examples, and every exit code', async () => {
    const page = readFileSync(MAN, 'utf8');
    for (const c of await commands()) {
      expect(page).toContain(`.SS ${c.name}`);
      for (const e of c.examples) expect(page).toContain(e.cmd.replace(/-/g, '\\-'));
    }
    for (const x of EXIT_CODES) expect(page).toContain(`\\fB${x.code} ${x.name.replace(/-/g, '\\-')}\\fR`);
  });

  it('renders without a warning (groff -ww, and man -l)', () => {
    const g = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN], { encoding: 'utf8' });
    expect(g.error).toBeUndefined();
    expect(g.stderr).toBe('');
    expect(g.status).toBe(0);
    const m = spawnSync('man', ['--warnings', '-l', MAN], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(m.error).toBeUndefined();
    expect(m.stderr).toBe('');
    expect(m.stdout).toMatch(/^SYNOPSIS$/m);
    expect(m.stdout).toMatch(/^ {7}kit-runner action TAG ACTION \[--force\] \[-- ARGS\.\.\.\]$/m);
  });
});

describe('docs/reference/kit-runner.md', () => {
  const doc = () => readFileSync(`${REPO}docs/reference/kit-runner.md`, 'utf8');

  it("SYNOPSIS is the commands' usages (kit-runner help --synopsis)", async () => {
    const block = /## SYNOPSIS\n\n```\n([\s\S]*?)```\n/.exec(doc())?.[1];
    expect(block, 'no SYNOPSIS block').toBeDefined();
    expect(block, `the SYNOPSIS of docs/reference/kit-runner.md is ${REGENERATE}`).toBe(synopsisText(await commands()));
    // Each line there parses to the same positional arguments as the usage it shows.
    for (const c of await commands()) expect(positionalPaths(c.usage).length, c.name).toBeGreaterThan(0);
  });

  it('has a COMMANDS entry for every command', async () => {
    for (const c of await commands()) expect(doc(), c.name).toMatch(new RegExp(`^\\*\\*${c.name}\\b`, 'm'));
  });
});

describe('exit codes', () => {
  it('docs/reference/exit-codes.md, the specs and the SDK list the same codes with the same names', () => {
    const text = readFileSync(`${REPO}docs/reference/exit-codes.md`, 'utf8');
    const rows = [...text.matchAll(/^\| +(\d+) \| ([A-Z_]+) \|/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(EXIT_CODES.map((x) => [x.code, x.name]));
    const sdk = Object.entries(ExitCode)
      .map(([name, code]) => [code, name])
      .sort((a, b) => Number(a[0]) - Number(b[0]));
    expect([...rows].sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(sdk);
  });
});
