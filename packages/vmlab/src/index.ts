/**
 * @recovery-kit/vmlab: the VM lab. Builds (once per machine, cached by a hash of its inputs) a
 * Debian root image and runs scenarios across two to four qemu VMs linked on loopback, for kits
 * whose kernel parts this machine lacks (IPsec/ESP, md, nbd, drbd). See docs/operate/vm-lab.md.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export {
  ensureImage,
  imageKeys,
  cacheDir,
  missingTools,
  pruneCache,
  DEFAULT_PACKAGES,
  DEFAULT_SUITE,
  DEFAULT_CACHE,
  type Image,
  type ImageSpec,
  type ImageManifest,
} from './image.ts';
export { Vm, VmCommandError, type VmSpec, type RunOptions, type RunResult, type Share, type NicSpec } from './vm.ts';
export { startLab, type Lab, type LabSpec, type LabVmSpec } from './lab.ts';
export { vmExec, type VmExecBinding } from './exec.ts';
export {
  startPacemaker,
  parseCrmMonXml,
  vmCorosyncConf,
  vmSeedCib,
  type PacemakerNode,
  type PacemakerSpec,
  type PcmkState,
  type VmCluster,
} from './pacemaker.ts';

/**
 * Why lab tests cannot run here, or undefined when they can. Only a missing qemu is a reason to
 * skip: every other problem (no debootstrap, not root, a failed build) fails the test.
 */
export function labSkipReason(): string | undefined {
  if (process.env.RK_VMLAB_SKIP) return `RK_VMLAB_SKIP is set (${process.env.RK_VMLAB_SKIP})`;
  const path = (process.env.PATH ?? '').split(':').concat(['/usr/bin', '/usr/local/bin']);
  if (!path.some((d) => d && existsSync(join(d, 'qemu-system-x86_64'))))
    return 'qemu-system-x86_64 is not installed (apt-get install qemu-system-x86, or run scripts/setup.sh)';
  return undefined;
}
