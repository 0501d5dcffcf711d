/**
 * The runner's logger. Lines go to stderr (stdout is kept for command output and --json).
 * Under systemd (JOURNAL_STREAM set) each line starts with a syslog priority prefix `<N>` that
 * journald turns into the PRIORITY field; otherwise lines carry an ISO time stamp.
 *
 * Progress convention: a record whose fields hold `progress: true` (for kits,
 * `ctx.logger.info('waiting for INSYNC (12 s)', { progress: true })`) reports a long wait. On a
 * terminal it is one line rewritten in place (cleared by the next ordinary line); on a pipe or
 * under journald it is dropped unless progress was asked for (`--progress`, or
 * KIT_RUNNER_PROGRESS=1), and then printed at most once every 5 s per tag. `-q` drops it with
 * every other non-error line.
 */
import type { Logger } from '@recovery-kit/sdk';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const SYSLOG: Record<Level, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface LogRecord {
  time: string;
  level: Level;
  tag: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface LogSink {
  write(record: LogRecord): void;
}

const SECRET_KEY = /pass(word)?|secret|token|credential|key$/i;

function formatFields(fields: Record<string, unknown> | undefined): string {
  if (!fields) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const value = SECRET_KEY.test(k) ? '********' : typeof v === 'string' ? (/[\s"=]/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v);
    parts.push(`${k}=${value}`);
  }
  return parts.length ? ` ${parts.join(' ')}` : '';
}

export interface StreamSinkOptions {
  /** Print progress records on a pipe too (every 5 s per tag). Default: env KIT_RUNNER_PROGRESS=1. */
  progress?: boolean;
  /** The clock (tests). */
  now?: () => number;
}

/** How often a progress record is printed on a pipe (per tag). */
export const PROGRESS_PIPE_INTERVAL_MS = 5000;

/** True when the record is a progress report (see the progress convention above). */
export const isProgress = (r: LogRecord): boolean => r.fields?.progress === true;

/** The stream whose last line is an open progress line (on a terminal), if any. */
let openProgress: NodeJS.WritableStream | undefined;

/**
 * Clears a progress line left open on the terminal, so that text written to the stream without
 * the logger (the CLI's step lines) starts on a clean line.
 */
export function closeProgressLine(): void {
  if (!openProgress) return;
  openProgress.write('\r\x1b[K');
  openProgress = undefined;
}

/** Writes human lines (or JSON lines with KIT_RUNNER_LOG_FORMAT=json) to a stream. */
export function streamSink(
  to: NodeJS.WritableStream | (() => NodeJS.WritableStream) = () => process.stderr,
  env: NodeJS.ProcessEnv = process.env,
  options: StreamSinkOptions = {},
): LogSink {
  const journald = Boolean(env.JOURNAL_STREAM);
  const json = env.KIT_RUNNER_LOG_FORMAT === 'json';
  // A function: the stream is made at the first record (a command that logs nothing never makes process.stderr).
  let stream: NodeJS.WritableStream;
  let tty = false;
  const onPipe = options.progress ?? env.KIT_RUNNER_PROGRESS === '1';
  const now = options.now ?? Date.now;
  const lastPrinted = new Map<string, number>();
  let lineOpen = false;
  const isOpen = () => lineOpen && openProgress === stream;
  return {
    write(r) {
      if (!stream) {
        stream = typeof to === 'function' ? to() : to;
        tty = Boolean((stream as NodeJS.WriteStream).isTTY) && !journald && !json;
      }
      if (isProgress(r)) {
        const rest = Object.fromEntries(Object.entries(r.fields!).filter(([k]) => k !== 'progress'));
        if (tty) {
          const text = `${r.tag ? `${r.tag}: ` : ''}${r.message}${formatFields(rest)}`;
          const width = (stream as NodeJS.WriteStream).columns || 80;
          stream.write(`\r\x1b[K${text.length >= width ? `${text.slice(0, width - 2)}…` : text}`);
          lineOpen = true;
          openProgress = stream;
          return;
        }
        if (!onPipe) return;
        const t = now();
        const last = lastPrinted.get(r.tag);
        if (last !== undefined && t - last < PROGRESS_PIPE_INTERVAL_MS) return;
        lastPrinted.set(r.tag, t);
      } else if (lineOpen) {
        if (isOpen()) stream.write('\r\x1b[K');
        lineOpen = false;
        if (openProgress === stream) openProgress = undefined;
      }
      if (json) {
        stream.write(`${JSON.stringify(r)}\n`);
        return;
      }
      const shown = isProgress(r) ? { ...r, fields: Object.fromEntries(Object.entries(r.fields!).filter(([k]) => k !== 'progress')) } : r;
      const head = journald ? `<${SYSLOG[r.level]}>` : `${r.time} ${r.level.toUpperCase().padEnd(5)} `;
      stream.write(`${head}${r.tag ? `${r.tag}: ` : ''}${r.message}${formatFields(shown.fields)}\n`);
    },
  };
}

/** Keeps records in memory (tests, --json action reports). */
export function memorySink(): LogSink & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  return { records, write: (r) => void records.push(r) };
}

export function parseLevel(text: string | undefined, fallback: Level = 'info'): Level {
  return text && text in ORDER ? (text as Level) : fallback;
}

export function createLogger(sinks: LogSink[], level: Level = 'info', tag = ''): Logger {
  const emit = (l: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[l] < ORDER[level]) return;
    const record: LogRecord = { time: new Date().toISOString(), level: l, tag, message, ...(fields ? { fields } : {}) };
    for (const s of sinks) s.write(record);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (t) => createLogger(sinks, level, tag ? `${tag}:${t}` : t),
  };
}
