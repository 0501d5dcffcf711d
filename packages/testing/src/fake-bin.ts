/**
 * Fake executables on PATH (the execa way of testing programs that run tools): each fake is a
 * small Node script that records its argv and answers from a table. Use them for unit tests of
 * tools that cannot run here; they are never the only test of a kit.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface FakeResponse {
  /** Match on the joined arguments (a RegExp source string or an exact string). */
  match?: string;
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Milliseconds to wait before answering. */
  delayMs?: number;
}

export interface FakeBin {
  dir: string;
  /** PATH with the fakes first. */
  path: string;
  env: Record<string, string>;
  /** Defines (or redefines) a fake program. Responses are tried in order; the first match answers. */
  define(name: string, responses: FakeResponse[]): void;
  /** Installs a fake that is a script of your own (full control, e.g. a stateful fake). */
  script(name: string, source: string): void;
  /** The argument lists each fake was called with. */
  calls(name: string): string[][];
  cleanup(): void;
}

export function fakeBin(): FakeBin {
  const dir = mkdtempSync(join(tmpdir(), 'rk-fakebin-'));
  const path = `${dir}${delimiter}${process.env.PATH ?? ''}`;
  const self: FakeBin = {
    dir,
    path,
    env: { PATH: path },
    define(name, responses) {
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(responses));
      self.script(
        name,
        `const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(dir, `${name}.calls`))}, JSON.stringify(args) + '\\n');
const table = JSON.parse(fs.readFileSync(${JSON.stringify(join(dir, `${name}.json`))}, 'utf8'));
const joined = args.join(' ');
const hit = table.find((r) => r.match === undefined || r.match === joined || new RegExp(r.match).test(joined));
const answer = () => {
  if (!hit) { process.stderr.write('fake ${name}: no response for: ' + joined + '\\n'); process.exit(127); }
  if (hit.stdout) process.stdout.write(hit.stdout);
  if (hit.stderr) process.stderr.write(hit.stderr);
  process.exit(hit.exitCode ?? 0);
};
if (hit && hit.delayMs) setTimeout(answer, hit.delayMs); else answer();
`,
      );
    },
    script(name, source) {
      const file = join(dir, name);
      writeFileSync(file, `#!${process.execPath}\n${source}`);
      chmodSync(file, 0o755);
    },
    calls(name) {
      const f = join(dir, `${name}.calls`);
      if (!existsSync(f)) return [];
      return readFileSync(f, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as string[]);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
