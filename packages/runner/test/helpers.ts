import { mkdtempSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { createSandbox, type Sandbox } from '@recovery-kit/testing';

export const FIXTURE_KITS = fileURLToPath(new URL('./fixtures/kits', import.meta.url));

export interface RecSandbox extends Sandbox {
  dir: string;
  log(): Array<{ t: number; pid: number; tag: string; server: string; action: string; children: string[]; level?: number }>;
  create(tag: string, opts?: string[], extra?: string[]): Promise<void>;
  ok(args: string[], node?: string): Promise<import('@recovery-kit/testing').RunResult>;
}

/** A sandbox whose kits dir holds the fixture kits, plus a directory for the rec kit. */
export function recSandbox(kitsDirs: string[] = [FIXTURE_KITS]): RecSandbox {
  const sb = createSandbox({ kitsDirs });
  const dir = mkdtempSync(join(tmpdir(), 'rk-rec-'));
  onTestFinished(() => {
    sb.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });
  const self = sb as RecSandbox;
  self.dir = dir;
  self.log = () => {
    const f = join(dir, 'actions.log');
    return existsSync(f)
      ? readFileSync(f, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];
  };
  self.ok = async (args, node) => {
    const r = await sb.run(args, node ? { node } : {});
    if (r.exitCode !== 0) throw new Error(`kit-runner ${args.join(' ')} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  self.create = async (tag, opts = [], extra = []) => {
    await self.ok(['create', 'rec', '--tag', tag, '--opt', `dir=${dir}`, ...opts.flatMap((o) => ['--opt', o]), ...extra]);
  };
  return self;
}
