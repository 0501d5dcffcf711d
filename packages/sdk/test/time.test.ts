/** waitUntil: the boolean form of waitFor (true when the condition holds, false at the deadline or on abort). */
import { describe, expect, it } from 'vitest';
import { waitUntil } from '../src/util/index.ts';

describe('waitUntil', () => {
  it('is true as soon as the check holds, polling again meanwhile', async () => {
    let n = 0;
    expect(await waitUntil(() => ++n >= 3, { deadline: Date.now() + 2000, initialDelayMs: 10, factor: 1 })).toBe(true);
    expect(n).toBe(3);
  });
  it('is false when the deadline passes first, after about that long', async () => {
    const t = Date.now();
    expect(await waitUntil(() => false, { deadline: Date.now() + 150, initialDelayMs: 20, factor: 1 })).toBe(false);
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
  });
  it('is false when the signal aborts, at once', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stop')), 50);
    const t = Date.now();
    expect(await waitUntil(() => false, { deadline: Date.now() + 5000, initialDelayMs: 20, factor: 1, signal: ac.signal })).toBe(false);
    expect(Date.now() - t).toBeLessThan(1000);
  });
  it('passes an error thrown by the check through', async () => {
    await expect(
      waitUntil(
        () => {
          throw new Error('broken check');
        },
        { deadline: Date.now() + 1000 },
      ),
    ).rejects.toThrow('broken check');
  });
});
