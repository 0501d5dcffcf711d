export { startCluster, cleanupStaleLabs, labUnavailableReason, summary, Cluster, LAB_PREFIX, QNETD_PORT } from './cluster.ts';
export type { StartClusterOptions, LabMember, Timings } from './cluster.ts';
export { parseCrmMon, parseLrmOps, parseTransientAttrs } from './crm.ts';
export type { CrmMon, MonNode, MonResource, MonFailure, MonHistory, MonFence, LrmOp } from './crm.ts';
export { corosyncConf, seedCib } from './config.ts';
export type { CorosyncConfOptions, CorosyncNode } from './config.ts';
export { parseXml, child, childrenNamed, descendants, xmlEscape } from './xml.ts';
export type { XmlElement } from './xml.ts';
export type { RunOptions } from './proc.ts';
