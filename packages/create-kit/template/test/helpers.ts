/** What the tests build: a scratch directory for the protected file, removed after the run. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function scratch(): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), '{{kitType}}-kit-test-'));
  return { dir, path: join(dir, 'in-service'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
