/**
 * Cluster mode (KIT_RUNNER_STORE=cib) for the commands that change the hierarchy: they run the
 * generic engine over the CIB store (cib-store.ts), which must load its kit facts first, and a
 * command that records a server's values runs on that server itself.
 */
import { UsageError } from '@recovery-kit/sdk';
import type { Settings } from '../settings.ts';
import type { Store } from '../store.ts';
import { CibStore } from './cib-store.ts';

export const clusterMode = (): boolean => process.env.KIT_RUNNER_STORE === 'cib';

/** Loads what the CIB store needs to write (a no-op for the file store). */
export async function prepareStore(store: Store, kitTypes: readonly string[] = []): Promise<void> {
  if (store instanceof CibStore) await store.prepare(kitTypes);
}

/** extend and unextend record (or drop) SERVER's own values: in cluster mode only on SERVER itself (exit 2). */
export function onTargetNode(settings: Settings, server: string, verb: string, tag: string): void {
  if (!clusterMode() || server === settings.node) return;
  throw new UsageError(`--server ${server}: in cluster mode ${verb} runs on the target node itself (this node is ${settings.node})`, {
    field: '--server',
    fix: `run "KIT_RUNNER_STORE=cib kit-runner ${verb} ${tag} --server ${server} ..." on ${server}: the kit's checks run there and record that node's values`,
  });
}
