/**
 * The agent's per-instance cache (there is no store in OCF mode): one 0600 JSON file per
 * `OCF_RESOURCE_INSTANCE` under the state directory (default /run/recovery-kit/ocf, a tmpfs that a
 * reboot clears; `KIT_RUNNER_OCF_STATE_DIR` overrides it). It holds what the kit's `create`
 * validation returned for these parameters (info, normalized options, children) and whether this
 * node started or stopped the resource.
 */
import { sha256 } from '../lazy-crypto.ts';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DependencyView, RawValue } from '@recovery-kit/sdk';

export const DEFAULT_OCF_STATE_DIR = '/run/recovery-kit/ocf';

export interface InstanceState {
  /** Hash of the parameters (kit options and children) the cache was computed for. */
  paramsHash: string;
  /** Normalized options from create (stored as JSON values). */
  options: Record<string, unknown>;
  info: Record<string, unknown>;
  children: DependencyView[];
  /** started: start succeeded here; stopped: stop succeeded here; validated: only validated. */
  phase: 'validated' | 'started' | 'stopped';
  role?: 'promoted' | 'unpromoted';
  updated: string;
}

export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KIT_RUNNER_OCF_STATE_DIR || DEFAULT_OCF_STATE_DIR;
}

const safe = (instance: string) => instance.replace(/[^A-Za-z0-9_.:-]/g, '_');

export function stateFile(dir: string, kitType: string, instance: string): string {
  return join(dir, `${kitType}.${safe(instance)}.json`);
}

export function paramsHash(raw: Readonly<Record<string, RawValue>>, children: unknown): string {
  const sorted = Object.fromEntries(Object.entries(raw).sort(([a], [b]) => a.localeCompare(b)));
  return sha256()
    .update(JSON.stringify([sorted, children]))
    .digest('hex')
    .slice(0, 32);
}

export function readState(file: string): InstanceState | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as InstanceState;
  } catch {
    return undefined;
  }
}

/** Atomic, 0600 (the options may name paths the operator considers private; never secrets). */
export function writeState(file: string, state: InstanceState): void {
  const dir = file.slice(0, file.lastIndexOf('/'));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
