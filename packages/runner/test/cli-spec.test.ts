/**
 * The CLI's structure: every command module carries its own metadata, the static list in
 * main.ts agrees with it, no command reaches back into main.ts, and global options work before
 * the command as well as after it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../src/cli/main.ts';
import { leadingGlobals } from '../src/cli/spec.ts';
import { recSandbox } from './helpers.ts';

const CLI_DIR = fileURLToPath(new URL('../src/cli/', import.meta.url));

describe('command modules', () => {
  it('each listed command loads a module whose metadata matches the list', async () => {
    for (const entry of COMMANDS) {
      const { command } = await entry.load();
      expect(command.name).toBe(entry.name);
      expect(command.summary).toBe(entry.summary);
      expect(command.usage.startsWith(`kit-runner ${entry.name}`)).toBe(true);
      expect(typeof command.run).toBe('function');
      expect(command.help.length).toBeGreaterThan(20);
    }
  });

  it('no module of the CLI imports main.ts', () => {
    const files = readdirSync(CLI_DIR).filter((f) => f.endsWith('.ts') && f !== 'main.ts');
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) expect(readFileSync(`${CLI_DIR}${f}`, 'utf8'), f).not.toMatch(/from '\.\/main\.ts'|import\('\.\/main\.ts'\)/);
  });

  it('leadingGlobals takes the global options written before the command, with their values', () => {
    expect(leadingGlobals(['--state-dir', 'D', 'status', '--json'])).toEqual({ globals: ['--state-dir', 'D'], rest: ['status', '--json'] });
    expect(leadingGlobals(['-v', '--node=b', '--kits-dir', 'K', 'action', 'x', 'restore'])).toEqual({
      globals: ['-v', '--node=b', '--kits-dir', 'K'],
      rest: ['action', 'x', 'restore'],
    });
    expect(leadingGlobals(['--help'])).toEqual({ globals: [], rest: ['--help'] });
    expect(leadingGlobals(['--tag', 'x', 'status'])).toEqual({ globals: [], rest: ['--tag', 'x', 'status'] });
  });
});

describe('global options before the command', () => {
  it('kit-runner --state-dir D --node N status reads that store as that node', async () => {
    const sb = recSandbox();
    await sb.create('one');
    const r = await sb.run(['--state-dir', sb.stateDir, '--node', 'node-a', '--json', 'status'], { env: { KIT_RUNNER_STATE_DIR: '/nonexistent-elsewhere' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect((r.json as { node: string; resources: Array<{ tag: string }> }).resources.map((x) => x.tag)).toEqual(['one']);
    const elsewhere = await sb.run(['--state-dir', `${sb.root}/other`, 'status', '--json']);
    expect((elsewhere.json as { resources: unknown[] }).resources).toEqual([]);
    const after = await sb.run(['status', '--json', '--state-dir', `${sb.root}/other`]);
    expect((after.json as { resources: unknown[] }).resources).toEqual([]);
  });

  it('help for a command shows its usage from the command module', async () => {
    const sb = recSandbox();
    const r = await sb.run(['--node', 'node-a', 'unextend', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('Usage: kit-runner unextend TAG --server SERVER');
    const h = await sb.run(['help', 'dep']);
    expect(h.stdout).toContain('Usage: kit-runner dep add|remove PARENT CHILD');
  });
});

describe('error output', () => {
  it('names the kit and version an error came from; -v adds the cause chain', async () => {
    const sb = recSandbox();
    await sb.create('web', ['failOn=restore', 'failCause=the disk is on fire']);
    const r = await sb.run(['action', 'web', 'restore']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/kit-runner: error: restore of web failed on purpose/);
    expect(r.stderr).toContain('from: kit kit-runner-kit-rec@1.0.0, restore of web on node-a');
    expect(r.stderr).not.toContain('caused by');
    const v = await sb.run(['-v', 'action', 'web', 'restore']);
    expect(v.stderr).toContain('caused by: the disk is on fire');
    const json = await sb.run(['action', 'web', 'restore', '--json']);
    expect((json.json as { error: { origin: unknown } }).error.origin).toEqual({
      kit: 'kit-runner-kit-rec@1.0.0',
      tag: 'web',
      server: 'node-a',
      action: 'restore',
    });
  });
});
