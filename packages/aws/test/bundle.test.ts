// The AWS kits' builds (packages/aws/scripts/bundle-kit.mjs): what an action that makes no AWS call
// loads. Follows the static imports of each kit's dist/index.js (what `kit-runner kits`, help,
// `tunables` and a route-table remove load) and checks that none of it is AWS SDK client code,
// that the SDK is reached only through import(), and that the Route53 kit has no EC2 client at all.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s*"(\.\/[^"]+)"|^\s*import\s*"(\.\/[^"]+)"/gm)) visit(join(dirname(file), m[1] ?? m[2]!));
  };
  visit(entry);
  return [...seen];
}

const SDK_CLIENT = /com\.amazonaws\.(ec2|route53)|class EC2Client|class Route53Client|@smithy\/core\/dist-es\/submodules\/protocols/;

describe.each([
  ['ec2', 'com.amazonaws.ec2', 'com.amazonaws.route53'],
  ['route53', 'com.amazonaws.route53', 'com.amazonaws.ec2'],
])('kits/%s bundle', (kit, own, foreign) => {
  const dist = join(root, 'kits', kit, 'dist');
  const entry = join(dist, 'index.js');
  it.skipIf(!existsSync(entry))('loads no AWS client until the first AWS call', () => {
    const loaded = staticClosure(entry);
    for (const f of loaded) {
      expect(readFileSync(f, 'utf8'), f).not.toMatch(SDK_CLIENT);
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/(from\s*|import\(\s*|require\(\s*)["']@aws-sdk\//);
    }
    const all = readdirSync(dist).filter((f) => f.endsWith('.js'));
    const withOwn = all.filter((f) => readFileSync(join(dist, f), 'utf8').includes(own));
    expect(withOwn.length, `one chunk holds the ${kit} client`).toBe(1);
    expect(loaded).not.toContain(join(dist, withOwn[0]!));
    expect(readFileSync(entry, 'utf8')).toMatch(/import\("\.\/(sdk-|chunk-)[^"]+"\)/);
    expect(all.filter((f) => readFileSync(join(dist, f), 'utf8').includes(foreign))).toEqual([]);
  });
});
