/**
 * Bash completion, in a real bash: the script `kit-runner completion bash` prints is loaded,
 * `complete -p` shows it registered, and the function is called with COMP_WORDS/COMP_CWORD as
 * bash sets them; it runs the built kit-runner (`__complete`) found on PATH, against a sandbox
 * store with tags and the fixture kits.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));

async function setup() {
  const sb = recSandbox();
  await sb.create('web');
  await sb.create('vip');
  await sb.create('db/main');
  await sb.ok(['extend', 'vip', '--server', 'node-b', '--priority', '2']);
  const script = (await sb.ok(['completion', 'bash'])).stdout;
  const binDir = join(sb.root, 'bin');
  mkdirSync(binDir);
  writeFileSync(join(binDir, 'kit-runner'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
  writeFileSync(join(sb.root, 'completion.bash'), script);
  /** COMPREPLY for the command line `line` (the cursor at its end; a trailing blank starts a new word). */
  const complete = (line: string, extraEnv: Record<string, string> = {}) => {
    const words = line.split(' ');
    const program = `source ${JSON.stringify(join(sb.root, 'completion.bash'))}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})
COMP_CWORD=${words.length - 1}
COMP_LINE=${JSON.stringify(line)}
_kit_runner
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], {
      encoding: 'utf8',
      env: { ...process.env, ...sb.env, ...extraEnv, PATH: `${binDir}:${process.env.PATH}` },
      cwd: sb.root,
    });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  };
  return { sb, complete, binDir };
}

describe('bash completion', () => {
  it('registers the function for kit-runner', async () => {
    const { sb, binDir } = await setup();
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source <(kit-runner completion bash) && complete -p kit-runner'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${binDir}:${process.env.PATH}` },
      cwd: sb.root,
    });
    expect(r.stdout.trim()).toBe('complete -F _kit_runner kit-runner');
  });

  it('completes commands, options and option values', async () => {
    const { complete } = await setup();
    expect(complete('kit-runner st')).toEqual(['status']);
    // Commands, then the installed kits (whose own commands run as "kit-runner KIT_TYPE ...").
    expect(complete('kit-runner ')).toEqual(expect.arrayContaining(['status', 'action', 'completion', 'help', 'rec']));
    expect(complete('kit-runner ')).not.toContain('__complete');
    expect(complete('kit-runner action web restore --f')).toEqual(['--force']);
    expect(complete('kit-runner status --js')).toEqual(['--json']);
    expect(complete('kit-runner extend web --switchback ')).toEqual(['intelligent', 'automatic']);
    expect(complete('kit-runner --log-level ')).toEqual(['debug', 'info', 'warn', 'error']);
    expect(complete('kit-runner dep ')).toEqual(['add', 'remove']);
    expect(complete('kit-runner cluster ')).toEqual(['status', 'move', 'apply', 'import', 'grant', 'revoke']);
    expect(complete('kit-runner help mon')).toEqual(['monitor']);
    expect(complete('kit-runner completion ')).toEqual(['bash']);
    expect(complete('kit-runner ocf agent rec mon')).toEqual(['monitor']);
  });

  it('completes kit types from the installed kits and tags and servers from the store', async () => {
    const { complete, sb } = await setup();
    // The fixture kits of --kits-dir, and the kits installed with the runner (searched after).
    const kits = complete('kit-runner create ');
    expect(kits).toEqual(expect.arrayContaining(['norec', 'rec', 'throws', 'ip']));
    expect(kits).toEqual([...kits].sort());
    expect(complete('kit-runner kits re')).toEqual(['rec']);
    expect(complete('kit-runner action ')).toEqual(['db/main', 'vip', 'web']);
    expect(complete('kit-runner status w')).toEqual(['web']);
    expect(complete('kit-runner dep add web ')).toEqual(['db/main', 'vip', 'web']);
    expect(complete('kit-runner unextend vip --server ')).toEqual(['node-a', 'node-b']);
    expect(complete('kit-runner create rec --tag ')).toEqual([]);
    // The standard actions and the kit's own (the rec kit's hello, loaded for this one position).
    expect(complete('kit-runner action web ')).toEqual(expect.arrayContaining(['restore', 'remove', 'quickCheck', 'recover', 'hello']));
    expect(complete('kit-runner action web q')).toEqual(['quickCheck']);
    // The store named on the line wins over the environment's.
    expect(complete(`kit-runner --state-dir ${join(sb.root, 'empty')} action `)).toEqual([]);
    expect(complete('kit-runner action ', { KIT_RUNNER_STATE_DIR: join(sb.root, 'nowhere') })).toEqual([]);
    expect(complete(`kit-runner --state-dir ${sb.stateDir} status v`, { KIT_RUNNER_STATE_DIR: join(sb.root, 'nowhere') })).toEqual(['vip']);
  });

  it('completes paths for DIR and FILE values, also after --flag= (bash splits it at =)', async () => {
    const { complete, sb } = await setup();
    mkdirSync(join(sb.root, 'kitsdir'));
    expect(complete('kit-runner --kits-dir kits')).toEqual(['kitsdir']);
    expect(complete('kit-runner --tunables compl')).toEqual(['completion.bash']);
    // "--state-dir=st" arrives as --state-dir, =, st.
    const words = complete('kit-runner --state-dir = st');
    expect(words).toEqual(['state']);
  });
});
