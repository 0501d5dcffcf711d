/** The PostgreSQL kit's option schema and its type. */
import { isAbsolute } from 'node:path';
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';
import { pgctlArgs, shellSafePathProblem } from './util.ts';

const absolute = (what: string) => (v: string) =>
  isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` };
/** An absolute path pg_ctl puts between double quotes in its shell command (the log file, the binaries). */
const shellPath = (what: string) => (v: string) => {
  const problem = absolute(what)(v) ?? shellSafePathProblem(v);
  return typeof problem === 'string' ? { message: problem, fix: `choose a ${what} path without " $ \` or \\` } : problem;
};
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;

export const options = defineOptions({
  dataDir: opt.string({
    description: 'Data directory of the cluster (holds PG_VERSION and postmaster.pid); usually on the replicated or shared file system.',
    required: true,
    unique: true,
    example: '/var/lib/postgresql/15/main',
    check: absolute('data directory'),
  }),
  configDir: opt.string({
    description: 'Directory holding postgresql.conf when it is not the data directory (Debian: /etc/postgresql/<version>/<cluster>); given to pg_ctl start -D.',
    example: '/etc/postgresql/15/main',
    check: absolute('configuration directory'),
  }),
  port: opt.integer({
    description: 'Port the server listens on (passed to the server with -p, so it wins over postgresql.conf).',
    default: 5432,
    min: 1,
    max: 65535,
  }),
  socketDir: opt.string({
    description: 'Unix socket directory. When given, the server is started with -k DIR; otherwise the directory the server reports in postmaster.pid is used.',
    example: '/var/run/postgresql',
    check: absolute('socket directory'),
  }),
  user: opt.string({
    description: 'OS user that owns the data directory and runs the server (kit-runner runs pg_ctl as this user through runuser).',
    default: 'postgres',
    pattern: /^[a-z_][a-z0-9_-]*\$?$/,
  }),
  binDir: opt.string({
    description:
      'Directory of pg_ctl and postgres. Default: found from the installed versions, matching PG_VERSION in the data directory (/usr/lib/postgresql/<v>/bin, /usr/pgsql-<v>/bin, /usr/bin...).',
    example: '/usr/lib/postgresql/15/bin',
    check: shellPath('binaries directory'),
  }),
  pgctlOptions: opt.string({
    description:
      'Extra arguments for pg_ctl start, split like a command line (quotes group words; no shell), e.g. -o "-c shared_buffers=1GB". The words after -o are quoted for the shell pg_ctl starts the server through; other arguments may not hold " $ ` or \\.',
    default: '',
    example: '-o "-c shared_buffers=1GB"',
    check: (v: string) => {
      try {
        pgctlArgs(v);
        return undefined;
      } catch (err) {
        return { message: (err as Error).message, fix: 'put server settings after -o (e.g. -o "-c shared_buffers=1GB"); give paths without " $ ` or \\' };
      }
    },
  }),
  logFile: opt.string({
    description: "File pg_ctl start appends the server's early output to (-l). Default: <dataDir>/pg_ctl.log. Its tail is quoted when a start fails.",
    example: '/var/log/postgresql/recovery-kit.log',
    check: shellPath('log file'),
  }),
  database: opt.string({ description: 'Database quickCheck connects to.', default: 'postgres', pattern: NAME }),
  dbUser: opt.string({
    description: 'Database role quickCheck connects as. Default: the OS user (the cluster owner role). See README "Authentication".',
    pattern: NAME,
  }),
  passwordFile: opt.string({
    description:
      'A pgpass-format file (host:port:database:user:password, mode 0600) holding the password of dbUser, when the socket needs one. Read by the kit; the password is never logged or put on a command line.',
    example: '/etc/recovery-kit/pg.pgpass',
    check: absolute('password file'),
  }),
  expectedRole: opt.enum(['primary', 'standby', 'any'] as const, {
    description:
      'Role the server must have on this node: primary (not in recovery), standby (in recovery) or any. A server in the wrong role fails restore and quickCheck.',
    default: 'primary',
    perServer: true,
  }),
});

export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;
