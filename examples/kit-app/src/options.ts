/** The app kit's option schema and its type. */
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';
import { splitArgs } from '@recovery-kit/sdk/util';

const command = (description: string) =>
  opt.string({
    description,
    required: true,
    example: '/usr/local/bin/myapp start',
    check: (v: string) => {
      let argv: string[];
      try {
        argv = splitArgs(v);
      } catch (err) {
        return (err as Error).message;
      }
      if (argv.length === 0) return 'is empty';
      return argv[0]!.startsWith('/')
        ? undefined
        : {
            message: `${JSON.stringify(v)} does not start with an absolute path`,
            fix: 'give the full path of the program, e.g. /usr/bin/systemctl start myapp',
          };
    },
  });

export const options = defineOptions({
  start: command('Command that starts the service; must return 0 once it runs (and 0 if it already runs).'),
  stop: command('Command that stops the service; must return 0 once it is stopped (and 0 if it is not running).'),
  status: command('Command that exits 0 when the service is healthy and non-zero otherwise.'),
  user: opt.string({ description: 'Run the commands as this OS user (needs kit-runner as root).', pattern: /^[a-z_][a-z0-9_-]*\$?$/ }),
  settleSeconds: opt.integer({ description: 'Seconds to wait after start for status to report healthy.', default: 10, min: 0, max: 3600 }),
});

export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;
