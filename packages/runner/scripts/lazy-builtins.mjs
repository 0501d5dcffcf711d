// An esbuild plugin shared by the CLI's bundle (scripts/bundle.mjs) and the kits' (the
// repository's scripts/build-kit.mjs): Node's built-in modules are taken with
// process.getBuiltinModule, not imported as ES modules.
//
// An `import ... from 'node:fs'` makes Node build the module's ES facade, which reads every export
// once: fs's lazy `ReadStream` getter then loads the whole streams stack (internal/fs/streams,
// stream, fs/promises, readline: about 8 ms of a quickCheck process that never opens a stream),
// util's lazy exports load parse_args, diff, worker_threads. Here each built-in the bundle
// imports is a small module of its own: `m = process.getBuiltinModule(id)` and one export per
// name, `export const readFileSync = m.readFileSync`, marked pure so that esbuild drops the names
// nothing imports: only the exports the code uses are ever read. Node 22.3+ has
// process.getBuiltinModule; older, the bundle's own require (the banner), made on first use: its
// createRequire(import.meta.url) would otherwise initialize import.meta in every module of the
// bundle and of each kit, for nothing on Node 22.3 and later. The names come from the
// Node that runs the build (scripts/node.sh: Node 24), so a name it lacks fails the build
// (`logOverride` below).
import { createRequire, isBuiltin } from 'node:module';

const req = createRequire(import.meta.url);
const IDENT = /^[A-Za-z_$][\w$]*$/;

export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (a) => (isBuiltin(a.path) ? { path: a.path.replace(/^node:/, ''), namespace: 'rk-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'rk-builtin' }, (a) => {
      const id = JSON.stringify(`node:${a.path}`);
      const names = Object.getOwnPropertyNames(req(`node:${a.path}`)).filter((n) => IDENT.test(n) && n !== 'default');
      const lines = [
        `const m = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(${id}) : __rkRequire(${id});`,
        'export default m;',
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`),
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};

/** The esbuild options a bundle using {@link lazyBuiltins} needs: the fallback require, and a missing export as an error. */
export const lazyBuiltinsOptions = {
  banner: { js: "import { createRequire as __rkCreateRequire } from 'node:module'; const __rkRequire = (id) => __rkCreateRequire(import.meta.url)(id);" },
  logOverride: { 'import-is-undefined': 'error' },
};
