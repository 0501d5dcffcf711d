/** The logger's progress convention: one updating line on a terminal, throttled lines on a pipe only when asked. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { closeProgressLine, createLogger, PROGRESS_PIPE_INTERVAL_MS, streamSink } from '../src/logger.ts';

function stream(tty: boolean) {
  const s = new PassThrough() as PassThrough & { isTTY?: boolean; columns?: number; text: () => string };
  let out = '';
  s.on('data', (d) => {
    out += String(d);
  });
  if (tty) {
    s.isTTY = true;
    s.columns = 60;
  }
  s.text = () => out;
  return s;
}

describe('progress records', () => {
  it('on a terminal: one line rewritten in place, cleared by the next ordinary line', async () => {
    const s = stream(true);
    const log = createLogger([streamSink(s, {})], 'info', 'route53');
    log.info('waiting for INSYNC (2 s)', { progress: true });
    log.info('waiting for INSYNC (4 s)', { progress: true });
    log.info('record is INSYNC');
    await new Promise((r) => setImmediate(r));
    const out = s.text();
    expect(out.startsWith('\r\x1b[Kroute53: waiting for INSYNC (2 s)\r\x1b[Kroute53: waiting for INSYNC (4 s)\r\x1b[K')).toBe(true);
    expect(out).toMatch(/INFO {2}route53: record is INSYNC\n$/);
    expect(out).not.toMatch(/progress=/);
  });

  it('closeProgressLine clears an open progress line once (before text written without the logger)', async () => {
    const s = stream(true);
    const log = createLogger([streamSink(s, {})], 'info');
    log.info('waiting for the reservation of vip (1 s of 60 s)', { progress: true });
    closeProgressLine();
    closeProgressLine();
    log.info('next');
    await new Promise((r) => setImmediate(r));
    const out = s.text();
    expect(out.startsWith('\r\x1b[Kwaiting for the reservation of vip (1 s of 60 s)\r\x1b[K')).toBe(true);
    expect(out.split('\r\x1b[K')).toHaveLength(3);
    expect(out).toMatch(/INFO {2}next\n$/);
  });

  it('on a pipe: nothing unless asked; when asked, at most one line every 5 s per tag', async () => {
    const quiet = stream(false);
    createLogger([streamSink(quiet, {})], 'info', 'k').info('waiting', { progress: true });
    let t = 1000;
    const s = stream(false);
    const log = createLogger([streamSink(s, {}, { progress: true, now: () => t })], 'info', 'k');
    log.info('waiting 0', { progress: true });
    t += 1000;
    log.info('waiting 1', { progress: true });
    t += PROGRESS_PIPE_INTERVAL_MS;
    log.info('waiting 6', { progress: true, polls: 3 });
    const env = stream(false);
    createLogger([streamSink(env, { KIT_RUNNER_PROGRESS: '1' })], 'info', 'k').info('from env', { progress: true });
    const q = stream(true);
    createLogger([streamSink(q, {})], 'error', 'k').info('quiet', { progress: true });
    await new Promise((r) => setImmediate(r));
    expect(quiet.text()).toBe('');
    const lines = s.text().trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/k: waiting 0$/);
    expect(lines[1]).toMatch(/k: waiting 6 polls=3$/);
    expect(env.text()).toMatch(/from env/);
    expect(q.text()).toBe('');
  });
});

describe('a sink given a function', () => {
  it('makes its stream at the first record it writes (a command that logs nothing never makes process.stderr), a terminal one still as a terminal', async () => {
    let made = 0;
    const s = stream(true);
    const log = createLogger(
      [
        streamSink(() => {
          made++;
          return s;
        }, {}),
      ],
      'info',
      'k',
    );
    log.debug('below the level: never reaches the sink');
    expect(made).toBe(0);
    log.info('waiting', { progress: true });
    log.info('done');
    await new Promise((r) => setImmediate(r));
    expect(made).toBe(1);
    expect(s.text().startsWith('\r\x1b[Kk: waiting\r\x1b[K')).toBe(true);
  });
});
