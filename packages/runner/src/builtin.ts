/**
 * A built-in module on first use, for modules most kit-runner processes never need at all
 * (lazy-crypto.ts, the CIB store's child_process). An ES import would load it when the importing
 * module loads, wherever that sits in the graph. process.getBuiltinModule is Node 22.3+; before
 * it, a require (as the bundle's banner does).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function builtin<T>(id: `node:${string}`): T {
  return (typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(id) : require(id)) as T;
}
