/**
 * A small XML element tree for Pacemaker's XML interfaces (cibadmin, crm_mon --output-as=xml):
 * elements and attributes, text kept but not interpreted. Enough for the CIB, which has no mixed
 * content; no DTDs, no namespaces. Serialization is canonical (attributes in the order given,
 * children in order) so two trees compare by their text.
 */

export interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text?: string;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
export const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ESC[c]!);
const UNESC: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const unesc = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) =>
    e.startsWith('#x') ? String.fromCodePoint(Number.parseInt(e.slice(2), 16)) : e.startsWith('#') ? String.fromCodePoint(Number(e.slice(1))) : (UNESC[e] ?? m),
  );

export function el(name: string, attrs: Record<string, string | undefined> = {}, children: El[] = []): El {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = v;
  return { name, attrs: a, children };
}

/** Parses one XML document into its root element. Throws an Error naming `what` on malformed input. */
export function parseXml(text: string, what = 'XML'): El {
  const stack: El[] = [];
  let root: El | undefined;
  const re =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<!DOCTYPE[^>]*>|<\/([A-Za-z_][\w.:-]*)\s*>|<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>|([^<]+)/g;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(text))) {
    if (m.index !== pos) throw new Error(`${what}: malformed XML near offset ${pos}: ${text.slice(pos, pos + 60)}`);
    pos = re.lastIndex;
    if (m[2]) {
      const top = stack.pop();
      if (!top || top.name !== m[2]) throw new Error(`${what}: unexpected </${m[2]}>`);
      if (!stack.length) root ??= top;
    } else if (m[3]) {
      const attrs: Record<string, string> = {};
      for (const a of (m[4] ?? '').matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = unesc(a[2] ?? a[3] ?? '');
      const e: El = { name: m[3], attrs, children: [] };
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(e);
      if (m[5] === '/') {
        if (!parent) root ??= e;
      } else stack.push(e);
    } else if (m[6] !== undefined || m[1] !== undefined) {
      const t = m[1] ?? unesc(m[6]!);
      const parent = stack[stack.length - 1];
      if (parent && t.trim()) parent.text = (parent.text ?? '') + t.trim();
    }
  }
  if (pos !== text.length || stack.length) throw new Error(`${what}: malformed or truncated XML`);
  if (!root) throw new Error(`${what}: no XML element in: ${text.slice(0, 200)}`);
  return root;
}

/** Canonical text of an element (indented when `indent` is given). */
export function serialize(e: El, indent?: string, depth = 0): string {
  const pad = indent === undefined ? '' : indent.repeat(depth);
  const nl = indent === undefined ? '' : '\n';
  const attrs = Object.entries(e.attrs)
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
  if (!e.children.length && !e.text) return `${pad}<${e.name}${attrs}/>`;
  if (!e.children.length) return `${pad}<${e.name}${attrs}>${esc(e.text!)}</${e.name}>`;
  return `${pad}<${e.name}${attrs}>${nl}${e.children.map((c) => serialize(c, indent, depth + 1)).join(nl)}${nl}${pad}</${e.name}>`;
}

export const kids = (e: El | undefined, name: string): El[] => (e ? e.children.filter((c) => c.name === name) : []);
export const kid = (e: El | undefined, name: string): El | undefined => e?.children.find((c) => c.name === name);

/** Every descendant called `name`, document order. */
export function all(e: El | undefined, name: string): El[] {
  const out: El[] = [];
  const walk = (x: El) => {
    for (const c of x.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  if (e) walk(e);
  return out;
}

/** A string made safe for an XML id of ours (`rk-<root>-…`): anything else becomes `_`. */
export const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
