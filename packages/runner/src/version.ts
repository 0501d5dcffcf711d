import { readFileSync } from 'node:fs';

let cached: string | undefined;
/** The runner's own version, from its package.json. */
export function runnerVersion(): string {
  if (cached === undefined) {
    try {
      cached = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}
