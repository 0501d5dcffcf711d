/** Just enough SigV4 parsing to learn who signed and for which region/service. Signatures are not verified. */

export interface SigV4Scope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

export function parseSigV4(authorization: string | undefined, query?: URLSearchParams): SigV4Scope | undefined {
  let credential: string | undefined;
  if (authorization) {
    const m = /Credential=([^,\s]+)/.exec(authorization);
    credential = m?.[1];
  } else if (query) {
    credential = query.get('X-Amz-Credential') ?? undefined;
  }
  if (!credential) return undefined;
  const parts = credential.split('/');
  if (parts.length < 5) return undefined;
  const [accessKeyId, date, region, service] = parts;
  if (!accessKeyId || !date || !region || !service) return undefined;
  return { accessKeyId, date, region, service };
}
