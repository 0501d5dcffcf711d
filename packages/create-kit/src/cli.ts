#!/usr/bin/env node
/**
 * create-kit: `npm init @recovery-kit/kit NAME` (npm runs this package's bin).
 * Exit codes: 0 done, 2 bad usage or input (nothing written), 1 anything else.
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { ScaffoldError, scaffold } from './scaffold.ts';

const USAGE = `Usage: npm init @recovery-kit/kit NAME [-- OPTIONS]
       create-kit NAME [OPTIONS]

Scaffolds a recovery kit in a new directory: package.json with the recoveryKit manifest,
src/ (index.ts, options.ts, tunables.ts, actions.ts, cli.ts), test/ on @recovery-kit/testing,
README.md with the option, action and tunable tables. Then: cd DIR && npm install && npm test

NAME is the npm package name (@acme/kit-foo or kit-foo); the kit type defaults to it without
the scope and a leading "kit-" (foo).

Options:
  --dir DIR          directory to create (default: NAME without its scope); must be new or empty
  --kit-type TYPE    the kit type operators type (kit-runner create TYPE ...)
  --description TEXT one line for package.json and the README
  --license ID       SPDX licence identifier (default Apache-2.0)
  --packages DIR     take @recovery-kit/sdk, testing and runner from the tarballs in DIR
                     (made by "node scripts/bundle.mjs --tarballs DIR" in recovery-kit)
  -h, --help         this help

Examples:
  npm init @recovery-kit/kit @acme/kit-foo
  npx @recovery-kit/create-kit kit-redis --description "Redis server"
  create-kit @acme/kit-foo --packages ~/recovery-kit-tarballs`;

function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        'kit-type': { type: 'string' },
        description: { type: 'string' },
        license: { type: 'string' },
        packages: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    process.stderr.write(`create-kit: ${(err as Error).message}\n(fix: see create-kit --help)\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(`create-kit: ${positionals.length ? 'one NAME only' : 'NAME is missing'}\n(fix: npm init @recovery-kit/kit @acme/kit-foo)\n`);
    return 2;
  }
  try {
    const r = scaffold({
      name: positionals[0]!,
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(values['kit-type'] !== undefined ? { kitType: values['kit-type'] } : {}),
      ...(values.description !== undefined ? { description: values.description } : {}),
      ...(values.license !== undefined ? { license: values.license } : {}),
      ...(values.packages !== undefined ? { packages: values.packages } : {}),
    });
    const rel = relative(process.cwd(), r.dir) || '.';
    process.stdout.write(
      `created kit ${positionals[0]} (kit type ${r.kitType}) in ${rel}: ${r.files.length} files\n\nNext:\n  cd ${rel}\n  npm install\n  npm test\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof ScaffoldError) {
      process.stderr.write(`create-kit: ${err.message}\n(fix: ${err.fix})\n`);
      return 2;
    }
    process.stderr.write(`create-kit: ${(err as Error).stack ?? err}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
