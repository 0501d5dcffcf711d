/** Dependency graph helpers. A parent depends on its children; children come up first. */
import type { StoreData } from './store.ts';

export function childrenOf(data: StoreData, tag: string): string[] {
  return data.dependencies
    .filter((d) => d.parent === tag)
    .map((d) => d.child)
    .sort();
}

export function parentsOf(data: StoreData, tag: string): string[] {
  return data.dependencies
    .filter((d) => d.child === tag)
    .map((d) => d.parent)
    .sort();
}

/** Every resource below `tag`, deepest first (post-order), without duplicates. */
export function descendantsPostOrder(data: StoreData, tag: string): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (t: string) => {
    for (const c of childrenOf(data, t)) {
      if (seen.has(c)) continue;
      seen.add(c);
      visit(c);
      out.push(c);
    }
  };
  visit(tag);
  return out;
}

/** Order to restore `tag`: its descendants bottom-up, then the tag. */
export function restoreOrder(data: StoreData, tag: string): string[] {
  return [...descendantsPostOrder(data, tag), tag];
}

/** Every resource above `tag` (the ones that depend on it, transitively). */
export function ancestors(data: StoreData, tag: string): Set<string> {
  const out = new Set<string>();
  const visit = (t: string) => {
    for (const p of parentsOf(data, t)) {
      if (out.has(p)) continue;
      out.add(p);
      visit(p);
    }
  };
  visit(tag);
  return out;
}

/**
 * Order to remove a set of resources: every resource after all of its parents in the set
 * (parents first), ties broken by tag for a stable order.
 */
export function removeOrder(data: StoreData, tags: Iterable<string>): string[] {
  const set = new Set(tags);
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (t: string) => {
    if (done.has(t)) return;
    done.add(t);
    for (const p of parentsOf(data, t)) if (set.has(p)) visit(p);
    out.push(t);
  };
  for (const t of [...set].sort()) visit(t);
  return out;
}

/** True when adding parent→child would close a cycle (child already reaches parent). */
export function wouldCycle(data: StoreData, parent: string, child: string): string[] | undefined {
  if (parent === child) return [parent, child];
  const path: string[] = [];
  const seen = new Set<string>();
  const dfs = (t: string): boolean => {
    if (t === parent) return true;
    if (seen.has(t)) return false;
    seen.add(t);
    for (const c of childrenOf(data, t)) {
      path.push(c);
      if (dfs(c)) return true;
      path.pop();
    }
    return false;
  };
  return dfs(child) ? [parent, child, ...path] : undefined;
}

/** All tags connected to `tag` (ignoring direction): one hierarchy. */
export function component(data: StoreData, tag: string): string[] {
  const seen = new Set<string>([tag]);
  const stack = [tag];
  while (stack.length) {
    const t = stack.pop()!;
    for (const d of data.dependencies) {
      const other = d.parent === t ? d.child : d.child === t ? d.parent : undefined;
      if (other !== undefined && !seen.has(other)) {
        seen.add(other);
        stack.push(other);
      }
    }
  }
  return [...seen].sort();
}

/** The key of the hierarchy holding `tag` (its first tag), which names its reservation lock. */
export function hierarchyKey(data: StoreData, tag: string): string {
  return data.resources[tag] ? component(data, tag)[0]! : tag;
}

export function roots(data: StoreData): string[] {
  const hasParent = new Set(data.dependencies.map((d) => d.child));
  return Object.keys(data.resources)
    .filter((t) => !hasParent.has(t))
    .sort();
}
