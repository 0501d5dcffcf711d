#!/usr/bin/env node
// Circular-import check over every workspace package (`pnpm check:cycles`). Exit 0 when the import
// graph has no cycle, 1 when it has one (each cycle is printed), 2 on a usage error.
//
// The graph: every .ts/.mts/.js/.mjs file under packages/*, kits/* and examples/* (src, bin, test;
// not dist or node_modules), parsed with the TypeScript compiler. An edge is any of:
//   - a static `import ... from`, `export ... from` or side-effect `import '...'`;
//   - a dynamic `import('...')` with a literal specifier. A lazy import still makes a cycle: a
//     command loaded on demand that imports its loader back is the coupling this check is for;
//   - `import type` / `export type` / `import { type X }`: followed by default. They vanish from
//     the JavaScript, but a type-only cycle still ties two modules together so that neither can be
//     read or moved without the other. Move the shared types into a leaf module. `--runtime` drops
//     type-only edges (those erased from the JavaScript) to show only the cycles the code runs.
// Specifiers that resolve: relative paths, and `@recovery-kit/*` packages through their exports
// map's "source" condition (the same resolution vitest and tsc use here), so cycles across packages
// are found too. Everything else (node:, npm packages) is outside the graph.
//
// Usage: node scripts/check-cycles.mjs [--runtime] [--json]
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--runtime' && a !== '--json');
if (unknown.length) {
  console.error(`check-cycles: unknown option ${unknown[0]} (fix: use --runtime and/or --json)`);
  process.exit(2);
}
const runtimeOnly = args.includes('--runtime');
const asJson = args.includes('--json');
const EXT = /\.(ts|mts|js|mjs)$/;
const rel = (f) => relative(root, f);

// Workspace packages and their exports' "source" entries.
const packages = new Map(); // name -> { dir, exports: Map(subpath -> file) }
const files = [];
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (EXT.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
};
for (const group of ['packages', 'kits', 'examples']) {
  if (!existsSync(join(root, group))) continue;
  for (const name of readdirSync(join(root, group))) {
    const dir = join(root, group, name);
    if (!existsSync(join(dir, 'package.json'))) continue;
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const exp = new Map();
    for (const [sub, target] of Object.entries(typeof pkg.exports === 'object' && pkg.exports ? pkg.exports : {})) {
      const src = typeof target === 'object' && target ? target.source : undefined;
      if (typeof src === 'string') exp.set(sub, resolve(dir, src));
    }
    packages.set(pkg.name, { dir, exports: exp });
    for (const sub of ['src', 'bin', 'test']) if (existsSync(join(dir, sub))) walk(join(dir, sub));
  }
}

const resolveFile = (base) => {
  for (const c of [base, base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(c) && statSync(c).isFile()) return c;
  }
  return undefined;
};
const resolveSpec = (from, spec) => {
  if (spec.startsWith('.')) return resolveFile(resolve(dirname(from), spec));
  const m = /^(@recovery-kit\/[^/]+)(\/.*)?$/.exec(spec);
  const pkg = m && packages.get(m[1]);
  return pkg ? pkg.exports.get(`.${m[2] ?? ''}`) : undefined;
};

// The edges of one file: [{ to, spec, typeOnly }].
const edgesOf = (file) => {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const add = (node, typeOnly) => {
    const spec = node.text;
    const to = resolveSpec(file, spec);
    if (to) out.push({ to, spec, typeOnly, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal, true); // `typeof import('./x.ts')` in a type position
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return runtimeOnly ? out.filter((e) => !e.typeOnly) : out;
};

const graph = new Map(files.map((f) => [f, edgesOf(f)]));
for (const edges of graph.values()) for (const e of edges) if (!graph.has(e.to)) graph.set(e.to, edgesOf(e.to));

// Tarjan's strongly connected components; each component of 2+ files (or a self-import) is a cycle.
let index = 0;
const idx = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const sccs = [];
const strong = (v) => {
  idx.set(v, index);
  low.set(v, index++);
  stack.push(v);
  onStack.add(v);
  for (const { to } of graph.get(v)) {
    if (!idx.has(to)) {
      strong(to);
      low.set(v, Math.min(low.get(v), low.get(to)));
    } else if (onStack.has(to)) low.set(v, Math.min(low.get(v), idx.get(to)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      comp.push(w);
    } while (w !== v);
    if (comp.length > 1 || graph.get(v).some((e) => e.to === v)) sccs.push(comp.sort());
  }
};
for (const v of [...graph.keys()].sort()) if (!idx.has(v)) strong(v);

// One shortest cycle through each component's first file, as an example to break.
const example = (comp) => {
  const inComp = new Set(comp);
  const start = comp[0];
  const prev = new Map([[start, null]]);
  const queue = [start];
  while (queue.length) {
    const v = queue.shift();
    for (const e of graph.get(v)) {
      if (e.to === start) {
        const path = [{ from: v, ...e }];
        for (let u = v; prev.get(u); u = prev.get(u).from) path.unshift(prev.get(u));
        return path;
      }
      if (inComp.has(e.to) && !prev.has(e.to)) {
        prev.set(e.to, { from: v, ...e });
        queue.push(e.to);
      }
    }
  }
  return [];
};
const cycles = sccs.map((comp) => ({
  files: comp.map(rel),
  example: example(comp).map((e) => ({ from: rel(e.from), line: e.line, import: e.spec, typeOnly: e.typeOnly })),
}));
const mode = runtimeOnly ? 'runtime imports only (type-only imports dropped)' : 'all imports, type-only ones included';
if (asJson) console.log(JSON.stringify({ files: graph.size, mode, cycles }, null, 2));
else {
  for (const [i, c] of cycles.entries()) {
    console.log(`cycle ${i + 1}: ${c.files.length} files: ${c.files.join(', ')}`);
    for (const e of c.example) console.log(`  ${e.from}:${e.line} imports ${e.import}${e.typeOnly ? ' (type only)' : ''}`);
  }
  console.log(`check-cycles: ${graph.size} files, ${mode}: ${cycles.length ? `${cycles.length} cycle(s)` : 'no cycle'}`);
}
process.exit(cycles.length ? 1 : 0);
