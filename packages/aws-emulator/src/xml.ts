/** Minimal XML writer for AWS responses. Values are escaped; element order is insertion order. */

export function escapeXml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A list rendered as `<name><member>..</member>...</name>`; EC2 uses `item` as the member name. */
export class XmlList {
  constructor(
    readonly member: string,
    readonly items: readonly XmlValue[],
  ) {}
}

export type XmlScalar = string | number | boolean | Date;
export type XmlValue = XmlScalar | XmlObject | XmlList | undefined | null;
export interface XmlObject {
  [key: string]: XmlValue;
}

/** EC2-style list (`<item>` members). */
export function items(values: readonly XmlValue[]): XmlList {
  return new XmlList('item', values);
}

/** List with a named member, as Route53 uses (`<HostedZones><HostedZone>`). */
export function members(member: string, values: readonly XmlValue[]): XmlList {
  return new XmlList(member, values);
}

function scalarText(value: XmlScalar): string {
  if (value instanceof Date) return value.toISOString();
  return String(value);
}

export function renderValue(name: string, value: XmlValue, out: string[]): void {
  if (value === undefined || value === null) return;
  if (value instanceof XmlList) {
    if (value.items.length === 0) {
      out.push(`<${name}/>`);
      return;
    }
    out.push(`<${name}>`);
    for (const item of value.items) renderValue(value.member, item, out);
    out.push(`</${name}>`);
    return;
  }
  if (typeof value === 'object' && !(value instanceof Date)) {
    out.push(`<${name}>`);
    for (const [k, v] of Object.entries(value)) renderValue(k, v, out);
    out.push(`</${name}>`);
    return;
  }
  out.push(`<${name}>${escapeXml(scalarText(value))}</${name}>`);
}

/** Render a whole document with a namespaced root element. */
export function renderDocument(root: string, namespace: string | undefined, body: XmlObject): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(namespace ? `<${root} xmlns="${escapeXml(namespace)}">` : `<${root}>`);
  for (const [k, v] of Object.entries(body)) renderValue(k, v, out);
  out.push(`</${root}>`);
  return out.join('');
}
