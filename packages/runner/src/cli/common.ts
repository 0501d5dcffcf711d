import { readFileSync } from 'node:fs';
import { ConfigError, UsageError, type RawValue } from '@recovery-kit/sdk';
import { Engine } from '../engine.ts';
import { createLogger, streamSink } from '../logger.ts';
import type { Settings } from '../settings.ts';
import { isQuiet, printJson } from './output.ts';

/**
 * The logger's sink on stderr. Progress of long waits shows on a terminal; on a pipe only when
 * asked (--progress, KIT_RUNNER_PROGRESS=1, or -v); -q (level error) drops it.
 */
export function stderrSink(settings: Settings) {
  return streamSink(() => process.stderr, process.env, { progress: process.env.KIT_RUNNER_PROGRESS === '1' || settings.logLevel === 'debug' });
}

export function engineFor(settings: Settings, signal?: AbortSignal): Engine {
  const logger = createLogger([stderrSink(settings)], settings.logLevel);
  return new Engine({ settings, logger, ...(signal ? { signal } : {}) });
}

/** Names that would reach an object's prototype rather than be an option: refused wherever options are read. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkKey(key: string, where: string, field: string): void {
  if (FORBIDDEN_KEYS.has(key))
    throw new ConfigError(`${where}: ${JSON.stringify(key)} is not an option name`, {
      field,
      fix: `remove ${key}; option names are the kit's (kit-runner kits TYPE lists them)`,
    });
}

/** Reads --opt KEY=VALUE pairs and an optional --opts-file (KEY=VALUE lines or a JSON object). */
export function readOptions(values: Record<string, unknown>): Record<string, RawValue> {
  const out: Record<string, RawValue> = Object.create(null) as Record<string, RawValue>;
  const file = values['opts-file'];
  if (typeof file === 'string') {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read the options file ${file}: ${(err as Error).message}`, { field: '--opts-file', fix: 'check the path' });
    }
    if (text.trimStart().startsWith('{')) {
      let obj: unknown;
      try {
        obj = JSON.parse(text);
      } catch (err) {
        throw new ConfigError(`the options file ${file} is not valid JSON: ${(err as Error).message}`, {
          field: '--opts-file',
          fix: 'fix the JSON, or use KEY=VALUE lines',
        });
      }
      if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
        throw new ConfigError(`the options file ${file} is not a JSON object`, { field: '--opts-file', fix: 'write {"option": "value", ...}' });
      for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
        checkKey(k, `the options file ${file}`, '--opts-file');
        out[k] = Array.isArray(v) ? v.map(String) : (v as RawValue);
      }
    } else {
      text.split(/\r?\n/).forEach((line, i) => {
        const t = line.trim();
        if (!t || t.startsWith('#')) return;
        const eq = t.indexOf('=');
        if (eq <= 0) throw new ConfigError(`${file}:${i + 1}: not a KEY=VALUE line`, { field: '--opts-file', fix: 'write one KEY=VALUE per line' });
        const key = t.slice(0, eq).trim();
        checkKey(key, `${file}:${i + 1}`, '--opts-file');
        out[key] = t.slice(eq + 1).trim();
      });
    }
  }
  for (const pair of (values.opt as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--opt ${JSON.stringify(pair)} is not KEY=VALUE`, { field: '--opt', fix: 'write --opt key=value' });
    checkKey(pair.slice(0, eq), '--opt', '--opt');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { ...out };
}

export function intFlag(value: unknown, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback !== undefined) return fallback;
    throw new UsageError(`${flag} is required`, { field: flag, fix: `give ${flag} N` });
  }
  const s = String(value);
  if (!/^\d+$/.test(s)) throw new UsageError(`${flag} ${JSON.stringify(s)} is not a whole number`, { field: flag, fix: `give ${flag} a number from 1 to 999` });
  return Number(s);
}

export function switchbackFlag(value: unknown): 'intelligent' | 'automatic' | undefined {
  if (value === undefined) return undefined;
  if (value === 'intelligent' || value === 'automatic') return value;
  throw new UsageError(`--switchback ${JSON.stringify(value)} is not valid`, { field: '--switchback', fix: 'use intelligent or automatic' });
}

export function positional(inv: { positionals: string[] }, index: number, name: string, usage: string): string {
  const v = inv.positionals[index];
  if (v === undefined) throw new UsageError(`${name} is missing`, { field: name, fix: `usage: ${usage}` });
  return v;
}

export function noExtra(inv: { positionals: string[] }, count: number, usage: string): void {
  if (inv.positionals.length > count) {
    throw new UsageError(`unexpected argument ${JSON.stringify(inv.positionals[count])}`, { fix: `usage: ${usage}` });
  }
}

/** The command's one positional argument (after its name), and nothing after it. */
export function onlyPositional(inv: { positionals: string[] }, name: string, usage: string): string {
  const v = positional(inv, 1, name, usage);
  noExtra(inv, 2, usage);
  return v;
}

/** A string flag the command cannot do without (`--server`, `--tag`). */
export function requiredFlag(inv: { values: Record<string, unknown> }, name: string, usage: string): string {
  const v = inv.values[name];
  if (typeof v !== 'string') throw new UsageError(`--${name} is required`, { field: `--${name}`, fix: `usage: ${usage}` });
  return v;
}

/** A one-line result: the text (nothing under -q), or `{ ok: true, ...value }` with --json. */
export function say(settings: Settings, text: string, value: object): void {
  if (settings.json) printJson({ ok: true, ...value });
  else if (!isQuiet()) process.stdout.write(`${text}\n`);
}
