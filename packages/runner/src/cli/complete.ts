/**
 * `kit-runner __complete CWORD WORD...` (hidden): the candidates for bash's COMP_WORDS[CWORD],
 * one per line, already filtered by what is typed; `__files__` or `__dirs__` alone asks the
 * shell to complete a path. Commands and options come from the command specs, positional
 * arguments and option values from the usage lines (usage.ts), kit types from the kits' package
 * manifests (no kit code runs), tags and servers from the store. A kit is loaded only to list
 * its own actions (`action TAG <TAB>`) or commands (`kit-runner ec2 <TAB>`).
 */
import { openStore } from '../file-store.ts';
import { discoverKits, loadKit } from '../loader.ts';
import { OCF_ACTIONS } from '../ocf/agent.ts';
import { resolveSettings, type GlobalFlags, type Settings } from '../settings.ts';
import { type Command, GLOBAL_OPTIONS, leadingGlobals, type Options } from './spec.ts';
import { isLiteral, optionValues, positionalPaths } from './usage.ts';

export interface CompletableCommand {
  name: string;
  load: () => Promise<{ command: Command }>;
}

const GLOBAL_VALUES: Record<string, string> = {
  'state-dir': 'DIR',
  tunables: 'FILE',
  'kits-dir': 'DIR',
  node: 'SERVER',
  'log-level': 'debug|info|warn|error',
};

const STANDARD_ACTIONS = ['restore', 'remove', 'quickCheck', 'recover'];

/** The flag's long name when `word` names one of `options` (`--server`, `-s`, `--server=x`). */
function flagName(word: string, options: Options): string | undefined {
  if (word.startsWith('--')) {
    const n = word.slice(2).split('=')[0]!;
    return options[n] ? n : undefined;
  }
  if (/^-[A-Za-z]$/.test(word)) return Object.entries(options).find(([, o]) => o.short === word[1])?.[0];
  return undefined;
}

/** The global flags typed so far, for where the store and the kits are. */
function settingsFrom(words: string[]): Settings | undefined {
  const flags: Record<string, string | string[]> = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const m = /^--(state-dir|tunables|kits-dir|node)(?:=(.*))?$/.exec(w);
    if (!m) continue;
    const value = m[2] ?? words[++i];
    if (value === undefined) continue;
    if (m[1] === 'kits-dir') flags['kits-dir'] = [...((flags['kits-dir'] as string[] | undefined) ?? []), value];
    else flags[m[1]!] = value;
  }
  try {
    return resolveSettings(flags as GlobalFlags);
  } catch {
    return undefined;
  }
}

function storeData(s: Settings | undefined) {
  if (!s) return undefined;
  try {
    return openStore(s.stateDir).read();
  } catch {
    return undefined;
  }
}

function kitTypes(s: Settings | undefined): string[] {
  if (!s) return [];
  try {
    return [...discoverKits(s.kitsDirs).kits.keys()].sort();
  } catch {
    return [];
  }
}

async function loadedKit(s: Settings | undefined, kitType: string) {
  if (!s) return undefined;
  try {
    return await loadKit(discoverKits(s.kitsDirs), kitType);
  } catch {
    return undefined;
  }
}

/** The values a placeholder of the usage stands for. */
async function valuesOf(slot: string, s: Settings | undefined, context: { tag?: string | undefined; command?: string | undefined }): Promise<string[]> {
  if (isLiteral(slot)) return slot.split('|');
  if (slot === 'DIR') return ['__dirs__'];
  if (slot === 'FILE') return ['__files__'];
  if (['TAG', 'PARENT', 'CHILD'].includes(slot)) return Object.keys(storeData(s)?.resources ?? {}).sort();
  if (slot === 'KIT_TYPE') return kitTypes(s);
  if (['SERVER', 'NODE', 'NAME'].includes(slot)) {
    const servers = new Set<string>(s ? [s.node] : []);
    for (const r of Object.values(storeData(s)?.resources ?? {})) for (const k of Object.keys(r.servers)) servers.add(k);
    return [...servers].sort();
  }
  if (slot === 'ACTION' && context.command === 'ocf') return [...OCF_ACTIONS];
  if (slot === 'ACTION') {
    const kitType = context.tag !== undefined ? storeData(s)?.resources[context.tag]?.kit : undefined;
    const kit = kitType ? await loadedKit(s, kitType) : undefined;
    // recover works on every kit (remove, then restore, for a kit without its own).
    return [...STANDARD_ACTIONS, ...Object.keys(kit?.commands ?? {}).sort()];
  }
  return [];
}

/** The candidates for `words[cword]` (words[0] is the program). */
export async function candidates(commands: readonly CompletableCommand[], words: string[], cword: number): Promise<string[]> {
  // bash splits --flag=value at "=" (COMP_WORDBREAKS): --flag, =, value.
  let cur = words[cword] ?? '';
  let before = words.slice(1, cword);
  let flagOfValue: string | undefined;
  if (cur === '=') {
    cur = '';
    flagOfValue = before.at(-1);
  } else if (before.at(-1) === '=') {
    flagOfValue = before.at(-2);
    before = before.slice(0, -1);
  } else {
    const m = /^(--[\w-]+)=(.*)$/.exec(cur);
    if (m) {
      flagOfValue = m[1];
      cur = m[2]!;
    }
  }
  const joined: string[] = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i + 1] === '=' && i + 2 < before.length) {
      joined.push(`${before[i]}=${before[i + 2]}`);
      i += 2;
    } else joined.push(before[i]!);
  }
  before = joined;
  const settings = settingsFrom(before);
  const { rest } = leadingGlobals(before);
  const name = rest[0];
  const entry = commands.find((c) => c.name === name);
  const command = entry ? (await entry.load()).command : undefined;
  const options: Options = { ...GLOBAL_OPTIONS, ...(command?.options ?? {}) };
  const values = new Map<string, string | undefined>(Object.entries(GLOBAL_VALUES));
  if (command) for (const [f, v] of optionValues(command.usage)) values.set(f.replace(/^-+/, ''), v);

  const pick = (list: string[]) => (list.length === 1 && list[0]!.startsWith('__') ? list : list.filter((c) => c.startsWith(cur)));

  // The value of an option: --flag=<TAB>, or --flag <TAB>.
  const prev = flagOfValue ?? before.at(-1);
  const prevFlag = prev !== undefined && (flagOfValue !== undefined || !prev.includes('=')) ? flagName(prev, options) : undefined;
  if (prevFlag !== undefined && options[prevFlag]?.type === 'string') {
    if (prevFlag === 'tag' && command?.name === 'create') return [];
    const slot = values.get(prevFlag);
    return slot ? pick(await valuesOf(slot, settings, {})) : [];
  }

  if (name === undefined || (rest.length === 0 && !cur.startsWith('-'))) {
    if (cur.startsWith('-')) return pick(optionList(GLOBAL_OPTIONS));
    return pick([...commands.map((c) => c.name), 'help', ...kitTypes(settings)]);
  }
  if (name === 'help') return rest.length === 1 ? pick(commands.map((c) => c.name)) : [];
  if (!command) return kitCommandCandidates(name, rest.slice(1), cur, settings);
  if (cur.startsWith('-')) return pick(optionList(options));

  // Positional arguments typed after the command, options and their values left out.
  const typed: string[] = [];
  for (let i = 1; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--') return [];
    const f = flagName(w, options);
    if (f !== undefined) {
      if (options[f]!.type === 'string' && !w.includes('=')) i++;
      continue;
    }
    if (w.startsWith('-')) continue;
    typed.push(w);
  }
  const slots = new Set<string>();
  let tag: string | undefined;
  for (const path of positionalPaths(command.usage)) {
    if (path.length <= typed.length) continue;
    const fits = typed.every((w, i) => !isLiteral(path[i]!) || path[i]!.split('|').includes(w));
    if (!fits) continue;
    slots.add(path[typed.length]!);
    const at = path.indexOf('TAG');
    if (at >= 0 && at < typed.length) tag = typed[at];
  }
  const out = new Set<string>();
  for (const slot of slots) for (const v of await valuesOf(slot, settings, { tag, command: command.name })) out.add(v);
  return pick([...out]);
}

function optionList(options: Options): string[] {
  return Object.keys(options)
    .map((k) => `--${k}`)
    .sort();
}

/** `kit-runner KIT_TYPE <TAB>`: the kit's own commands; then their flags. */
async function kitCommandCandidates(kitType: string, after: string[], cur: string, settings: Settings | undefined): Promise<string[]> {
  const kit = await loadedKit(settings, kitType);
  const cli = kit?.cli ?? {};
  const sub = after.find((w) => !w.startsWith('-'));
  if (sub === undefined) return Object.keys(cli).filter((c) => c.startsWith(cur));
  if (!cur.startsWith('-')) return [];
  const flags = Object.keys(cli[sub]?.flags ?? {}).map((f) => `--${f}`);
  return [...flags, ...optionList(GLOBAL_OPTIONS)].filter((c) => c.startsWith(cur)).sort();
}

/** The hidden command's entry: `__complete CWORD WORD...`. */
export async function runComplete(commands: readonly CompletableCommand[], args: string[]): Promise<number> {
  const cword = Number(args[0]);
  if (!Number.isInteger(cword) || cword < 1) return 2;
  const list = await candidates(commands, args.slice(1), cword);
  if (list.length) process.stdout.write(`${list.join('\n')}\n`);
  return 0;
}
