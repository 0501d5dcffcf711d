#!/usr/bin/env node
/**
 * vmlab: build the lab image ahead of the tests (CI, once per machine), show what is cached,
 * boot VMs by hand, and prune old images.
 *   vmlab build            build (or find) the image; prints its manifest as JSON
 *   vmlab info             the cache directory, the current keys, and whether they are built
 *   vmlab run NAME -- CMD  boot one VM, run CMD in it (no shell), print its output, stop
 *   vmlab prune            remove cached images other than the current one
 */
import { cacheDir, ensureImage, imageKeys, pruneCache, startLab } from './index.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const [cmd, ...rest] = process.argv.slice(2);
const log = (l: string) => process.stderr.write(`${l}\n`);

async function main(): Promise<number> {
  switch (cmd) {
    case 'build': {
      const img = await ensureImage({ log });
      process.stdout.write(`${JSON.stringify({ dir: img.dir, built: img.built, buildMs: img.buildMs, ...img.manifest }, null, 2)}\n`);
      return 0;
    }
    case 'info': {
      const keys = imageKeys();
      const dir = join(cacheDir(), `image-${keys.key}`);
      process.stdout.write(`${JSON.stringify({ cache: cacheDir(), ...keys, built: existsSync(join(dir, 'manifest.json')), dir }, null, 2)}\n`);
      return 0;
    }
    case 'prune': {
      for (const f of pruneCache(imageKeys())) process.stdout.write(`removed ${f}\n`);
      return 0;
    }
    case 'run': {
      const name = rest[0];
      const argv = rest.slice(rest.indexOf('--') + 1);
      if (!name || rest.indexOf('--') < 0 || !argv.length) {
        log('usage: vmlab run NAME -- COMMAND [ARG...]');
        return 2;
      }
      const lab = await startLab({ vms: [{ name }], log });
      try {
        const r = await lab.vms[name]!.run(argv, { timeoutSec: 600 });
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        log(`vmlab: boot ${(lab.bootMs / 1000).toFixed(1)} s, command ${(r.durationMs / 1000).toFixed(1)} s, exit ${r.exitCode}`);
        return r.exitCode;
      } finally {
        await lab.stop();
      }
    }
    default:
      log('usage: vmlab build | info | prune | run NAME -- COMMAND [ARG...]');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    log(`vmlab: ${err.message}`);
    process.exit(1);
  },
);
