/**
 * Every kit's README documents what its schema declares: the option table names exactly the
 * schema's options (and agrees on "required" and "per server" where it has those columns), the
 * tunables table names exactly the kit's tunables with their defaults. A README that drifts from
 * the code fails here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isKit, type Kit } from '@recovery-kit/sdk';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const kitDirs = [...readdirSync(join(root, 'kits')).map((d) => join(root, 'kits', d)), join(root, 'examples', 'kit-app')].filter(
  (d) => existsSync(join(d, 'src', 'index.ts')) && existsSync(join(d, 'README.md')),
);

interface Table {
  header: string[];
  rows: string[][];
}

/** The markdown tables of a document, cells trimmed. */
function tables(md: string): Table[] {
  const out: Table[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length - 1; i++) {
    if (!lines[i]!.startsWith('|') || !/^\|\s*:?-{3,}/.test(lines[i + 1]!)) continue;
    const cells = (l: string) =>
      l
        .replace(/^\|/, '')
        .replace(/\|\s*$/, '')
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
    const t: Table = { header: cells(lines[i]!).map((h) => h.toLowerCase()), rows: [] };
    let j = i + 2;
    while (j < lines.length && lines[j]!.startsWith('|')) t.rows.push(cells(lines[j++]!));
    out.push(t);
    i = j - 1;
  }
  return out;
}

/** The names in a first-column cell: every `backticked` word (a row may document several). */
const namesIn = (cell: string): string[] => [...cell.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]!);
const yes = (cell: string | undefined) => (cell === undefined ? undefined : /^(yes|y|✓)\b/i.test(cell));

describe.each(kitDirs.map((d) => [d.slice(root.length + 1), d]))('%s README', (_name, dir) => {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  const all = tables(readme);
  const load = async (): Promise<Kit> => {
    const mod = (await import(pathToFileURL(join(dir, 'src', 'index.ts')).href)) as { default?: unknown };
    if (!isKit(mod.default)) throw new Error(`${dir}/src/index.ts has no default Kit export`);
    return mod.default;
  };

  it('the option table names exactly the schema options, with their required and per-server flags', async () => {
    const kit = await load();
    const table = all.find((t) => t.header[0] === 'option');
    expect(table, 'a table whose first column is "option"').toBeDefined();
    const fields = kit.options.fields;
    const documented = new Map<string, string[]>();
    for (const row of table!.rows) for (const n of namesIn(row[0] ?? '')) documented.set(n, row);
    expect([...documented.keys()].sort()).toEqual(Object.keys(fields).sort());
    const req = table!.header.indexOf('required');
    const per = table!.header.indexOf('per server');
    for (const [n, row] of documented) {
      const f = fields[n]!;
      if (req > 0) expect(yes(row[req]), `${n}: required column`).toBe(f.required);
      if (per > 0) expect(yes(row[per]), `${n}: per server column`).toBe(f.perServer);
    }
  });

  it('the tunables table names exactly the kit tunables, with their defaults', async () => {
    const kit = await load();
    const declared = kit.tunables ?? {};
    const table = all.find((t) => t.header[0] === 'tunable');
    if (Object.keys(declared).length === 0) {
      expect(table?.rows.length ?? 0).toBe(0);
      return;
    }
    expect(table, 'a table whose first column is "tunable"').toBeDefined();
    const documented = new Map<string, string[]>();
    for (const row of table!.rows) for (const n of namesIn(row[0] ?? '')) documented.set(n, row);
    expect([...documented.keys()].sort()).toEqual(Object.keys(declared).sort());
    const def = table!.header.indexOf('default');
    if (def > 0)
      for (const [n, row] of documented) {
        const d = declared[n]!.default;
        if (d === undefined) continue;
        const text = (row[def] ?? '').replace(/`/g, '');
        const want = typeof d === 'boolean' ? [String(d), d ? '1' : '0'] : [String(d)];
        expect(
          want.some((w) => text === w || text.startsWith(`${w} `) || text.startsWith(`${w}(`)),
          `${n}: README default "${text}", declared ${String(d)}`,
        ).toBe(true);
      }
  });
});
