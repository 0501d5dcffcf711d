/**
 * Top-level commands: `kit-runner {{kitType}} COMMAND --flags` (for scripts of other cluster
 * managers, or an operator checking a node by hand). Delete this file, and `cli` in index.ts,
 * when the kit has none.
 */
import { ConfigError, type KitCliCommand } from '@recovery-kit/sdk';
import { present } from './actions.ts';

export const cli: Record<string, KitCliCommand> = {
  probe: {
    description: 'Tells whether a file is present on this node (what quickCheck looks at).',
    usage: '--path FILE',
    flags: { path: { type: 'string', required: true, description: 'The file to look for.' } },
    async run(ctx, flags) {
      const path = flags.path as string;
      if (!path.startsWith('/')) throw new ConfigError(`--path: ${JSON.stringify(path)} is not an absolute path`, { field: 'path', fix: 'give the full path' });
      const there = await present(path);
      return { summary: `${path}: ${there ? 'present' : 'absent'} on ${ctx.host.node}`, path, present: there };
    },
  },
};
