/** executableUnder: a program under an install directory, or a ConfigError naming the option and the fix. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ExitCode } from '../src/index.ts';
import { executableUnder } from '../src/util/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rk-exe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'bin'));
writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\n');
chmodSync(join(dir, 'bin', 'tool'), 0o755);
symlinkSync(join(dir, 'bin', 'tool'), join(dir, 'bin', 'link'));
writeFileSync(join(dir, 'bin', 'plain'), 'data');
chmodSync(join(dir, 'bin', 'plain'), 0o644);
mkdirSync(join(dir, 'bin', 'adir'));
const how = { field: 'home', fix: 'correct home=', server: 'node-a' };

describe('executableUnder', () => {
  it('returns the path of an executable file (through a symlink too)', () => {
    expect(executableUnder(dir, 'bin/tool', how)).toBe(join(dir, 'bin', 'tool'));
    expect(executableUnder(dir, 'bin/link', how)).toBe(join(dir, 'bin', 'link'));
  });
  it('a missing file: ConfigError (exit 6) naming the program, the path, the server, the field and the fix', () => {
    const e = (() => {
      try {
        executableUnder(dir, 'bin/sqlplus', how);
      } catch (err) {
        return err;
      }
    })() as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(e.message).toBe(`sqlplus not found: ${join(dir, 'bin', 'sqlplus')} does not exist on node-a`);
    expect(e.field).toBe('home');
    expect(e.fix).toBe('correct home=');
  });
  it('a file without an execute bit, or a directory, is not an executable file', () => {
    // root may execute any file with one execute bit set, but none is set here.
    expect(() => executableUnder(dir, 'bin/plain', how)).toThrow(`plain is not an executable file: ${join(dir, 'bin', 'plain')} on node-a`);
    expect(() => executableUnder(dir, 'bin/adir', how)).toThrow(/adir is not an executable file/);
  });
});
