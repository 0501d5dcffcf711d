/** The start and shutdown waits report progress by the runner's convention: a `progress: true` record every second until stopped. */
import { describe, expect, it, vi } from 'vitest';
import type { Logger } from '@recovery-kit/sdk';
import { progressTicker } from '../src/util.ts';

describe('progressTicker', () => {
  it('logs a progress record every second with the seconds waited, and nothing after stop', () => {
    vi.useFakeTimers();
    try {
      const records: Array<[string, unknown]> = [];
      const logger = { info: (m: string, f?: unknown) => records.push([m, f]) } as unknown as Logger;
      const t = progressTicker(logger, (s) => `waiting for PostgreSQL to start on port 5432: ${s} s of 60 s`);
      vi.advanceTimersByTime(3500);
      t.stop();
      vi.advanceTimersByTime(5000);
      expect(records).toEqual([1, 2, 3].map((s) => [`waiting for PostgreSQL to start on port 5432: ${s} s of 60 s`, { progress: true }]));
    } finally {
      vi.useRealTimers();
    }
  });
});
