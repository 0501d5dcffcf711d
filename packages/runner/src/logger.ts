/**
 * The runner's logger. Lines go to stderr (stdout is kept for command output and --json).
 * Under systemd (JOURNAL_STREAM set) each line starts with a syslog priority prefix `<N>` that
 * journald turns into the PRIORITY field; otherwise lines carry an ISO time stamp.
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

/** Writes human lines (or JSON lines with KIT_RUNNER_LOG_FORMAT=json) to a stream. */
export function streamSink(stream: NodeJS.WritableStream = process.stderr, env: NodeJS.ProcessEnv = process.env): LogSink {
  const journald = Boolean(env.JOURNAL_STREAM);
  const json = env.KIT_RUNNER_LOG_FORMAT === 'json';
  return {
    write(r) {
      if (json) {
        stream.write(`${JSON.stringify(r)}\n`);
        return;
      }
      const head = journald ? `<${SYSLOG[r.level]}>` : `${r.time} ${r.level.toUpperCase().padEnd(5)} `;
      stream.write(`${head}${r.tag ? `${r.tag}: ` : ''}${r.message}${formatFields(r.fields)}\n`);
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
