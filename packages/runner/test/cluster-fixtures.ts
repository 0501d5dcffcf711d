/** Store records for the cluster generator's tests (cluster-cib, cluster-ticket). */
import type { ServerEntry } from '../src/store.ts';

export const serverEntry = (priority: number, o: Partial<ServerEntry> = {}): ServerEntry => ({
  priority,
  switchback: 'intelligent',
  overrides: {},
  info: {},
  state: 'OSU',
  reason: '',
  since: '2026-12-01T00:00:00.000Z',
  ...o,
});

export const resourceRecord = (tag: string, kit: string, options: Record<string, unknown>, servers: Record<string, ServerEntry>) => ({
  tag,
  id: `${tag}-id`,
  kit,
  kitPackage: `@recovery-kit/kit-${kit}`,
  kitVersion: '0.1.0',
  options,
  createdAt: '2026-12-01T00:00:00.000Z',
  servers,
});
