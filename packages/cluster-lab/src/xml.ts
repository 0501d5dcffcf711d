/**
 * Pacemaker's XML interfaces (crm_mon --output-as=xml, cibadmin --query) parsed into a small
 * element tree. Never parse Pacemaker's text output: it changes between releases.
 */
import { XMLParser } from 'fast-xml-parser';

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (its text nodes joined), '' when none. */
  text: string;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
});

type Ordered = Record<string, unknown> & { ':@'?: Record<string, string> };

function convert(node: Ordered): XmlElement | undefined {
  const name = Object.keys(node).find((k) => k !== ':@');
  if (!name || name === '#text' || name.startsWith('?')) return undefined;
  const kids = (node[name] as Ordered[] | undefined) ?? [];
  const text = kids.map((k) => (typeof k['#text'] === 'string' ? k['#text'] : '')).join('');
  return { name, attrs: { ...(node[':@'] ?? {}) }, children: kids.map(convert).filter((e): e is XmlElement => !!e), text };
}

/** Parses one XML document; throws naming `what` when it has no root element. */
export function parseXml(text: string, what = 'XML'): XmlElement {
  const doc = parser.parse(text) as Ordered[];
  const root = doc.map(convert).find((e): e is XmlElement => !!e);
  if (!root) throw new Error(`${what}: no XML element in output: ${text.slice(0, 200)}`);
  return root;
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** Every descendant element called `name` (depth first, document order). */
export function descendants(el: XmlElement | undefined, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (c.name === name) out.push(c);
      walk(c);
    }
  };
  if (el) walk(el);
  return out;
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };
/** Escapes text for an XML attribute value or text node. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}
