import { defineConfig } from 'vitest/config';

// One project for the whole workspace: sibling packages resolve to their TypeScript source
// through the "source" export condition, so tests need no build of the package under test.
// (The CLI tests spawn the built bin; `pnpm test` builds first.)
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['{packages,kits,examples}/*/{src,test}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
