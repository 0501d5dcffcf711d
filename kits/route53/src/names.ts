/** DNS names: the host option, zone names and the record's fully qualified name. */

const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/**
 * Checks the host option: one DNS label (LifeKeeper's "Host Name (Not FQDN)"), the zone gives
 * the rest. Returns a problem with a fix, or undefined when the value is fine.
 */
export function checkHost(value: string): undefined | { message: string; fix: string } {
  const v = value.trim();
  if (v.includes('.')) {
    const first = v.split('.')[0] || 'www';
    const rest = v.replace(/^[^.]*\./, '').replace(/\.$/, '');
    return {
      message: `${JSON.stringify(value)} looks like a fully qualified name; give only the host part`,
      fix: `use host=${first}${rest ? ` and zone=${rest}` : ''} (the zone option gives the domain)`,
    };
  }
  if (v === '*' || v === '@')
    return { message: `${JSON.stringify(value)} is not a host name (wildcard and apex records are not managed)`, fix: 'give a host name such as www' };
  if (!LABEL.test(v)) {
    return {
      message: `${JSON.stringify(value)} is not a valid host name`,
      fix: 'use 1-63 letters, digits and "-", not starting or ending with "-", e.g. www',
    };
  }
  return undefined;
}

/** Zone names as Route 53 writes them: lower case with the trailing dot. */
export function canonicalZone(name: string): string {
  const n = name.trim().toLowerCase().replace(/\.+$/, '');
  return `${n}.`;
}

/** Route 53 escapes some characters in names (e.g. `\052` for `*`); undo it for comparisons. */
export function unescapeDnsName(name: string): string {
  return name.replace(/\\(\d{3})/g, (_, d: string) => String.fromCharCode(parseInt(d, 8)));
}

export function sameName(a: string, b: string): boolean {
  return canonicalZone(unescapeDnsName(a)) === canonicalZone(unescapeDnsName(b));
}

/** `www` + `example.com.` -> `www.example.com.` */
export function fqdnOf(host: string, zoneName: string): string {
  return `${host.trim().toLowerCase()}.${canonicalZone(zoneName)}`;
}

const ZONE_NAME = /^(?=.{1,254}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$/;

export function checkZoneName(value: string): undefined | { message: string; fix: string } {
  if (looksLikeZoneId(value)) return undefined;
  if (!ZONE_NAME.test(value.trim())) {
    return {
      message: `${JSON.stringify(value)} is not a valid DNS zone name or hosted zone id`,
      fix: 'give the hosted zone name, e.g. example.com (kit-runner create lists the zones of the account when it cannot find it)',
    };
  }
  return undefined;
}

/**
 * A hosted zone id as the Route 53 API model defines it (`ResourceId`: a string of at most 32
 * characters, nothing more), with or without the `/hostedzone/` prefix the API puts in front of
 * it. It travels in a URL path segment, so it has no `/`, white space or control character.
 */
export function isZoneId(value: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  return /^[^\s/\x00-\x1f\x7f]{1,32}$/.test(bareZoneId(value));
}

/**
 * Whether the `zone` option (a zone name, or an id) names an id: the `/hostedzone/` prefix, or
 * the shape Route 53's ids usually have (Z and upper-case letters and digits). Any other id the
 * API returns is given as `zoneId` (or with the prefix).
 */
export function looksLikeZoneId(value: string): boolean {
  const v = value.trim();
  return /^\/?hostedzone\//.test(v) ? isZoneId(v) : /^Z[A-Z0-9]{4,31}$/.test(v);
}

export function bareZoneId(id: string): string {
  return id.trim().replace(/^\/?hostedzone\//, '');
}
