/**
 * A file-backed CIB for the CIB tests: Pacemaker's own tools (cibadmin, crm_mon, crm_verify) work
 * on the file named by CIB_file, so the tests use the real tools without a cluster.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { configurationXml, type Generated } from '../src/cluster/cib.ts';

/** An empty CIB (stonith off) with `nodes` (ids 1, 2, ...). */
export const emptyCib = (nodes: readonly string[] = ['node-a', 'node-b']): string =>
  `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes>${nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes><resources/><constraints/></configuration><status/></cib>`;

/**
 * A directory holding `cib.xml` (an empty CIB with `nodes`), set as CIB_file for this test; both
 * undone when the test finishes.
 */
export function useCibFile(prefix: string, nodes?: readonly string[]): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'cib.xml');
  writeFileSync(file, emptyCib(nodes));
  const saved = process.env.CIB_file;
  process.env.CIB_file = file;
  onTestFinished(() => {
    if (saved === undefined) delete process.env.CIB_file;
    else process.env.CIB_file = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, file };
}

/** Pacemaker's crm_verify on a generated configuration in an empty CIB. */
export function verifyGenerated(g: Generated): SpawnSyncReturns<string> {
  const inner = configurationXml(g)
    .replace(/^\s*<configuration>/, '')
    .replace(/<\/configuration>\s*$/, '');
  return spawnSync('crm_verify', ['--xml-text', emptyCib().replace('<resources/><constraints/></configuration>', `${inner}</configuration>`), '-V'], {
    encoding: 'utf8',
  });
}
