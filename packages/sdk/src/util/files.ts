/** Files a kit relies on: a program under an install directory (ORACLE_HOME/bin/sqlplus). */
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';

export interface ExecutableUnderOptions {
  /** The option that gives `dir` (the error names it): e.g. `home`. */
  readonly field: string;
  /** What the operator should do, e.g. `correct home= (ORACLE_HOME), or mount its file system first`. */
  readonly fix: string;
  /** The machine, for the message (e.g. ctx.server). */
  readonly server?: string;
}

/**
 * The path of the program `name` under `dir` (`join(dir, ...subpath, name)`, e.g.
 * `executableUnder(home, 'bin/lsnrctl', ...)`), checked to be a file this process may execute
 * (symlinks followed). Otherwise a ConfigError (exit 6) naming `field` with `fix`: `NAME not
 * found: FILE does not exist on SERVER`, or `... is not an executable file`.
 */
export function executableUnder(dir: string, relative: string, options: ExecutableUnderOptions): string {
  const file = join(dir, relative);
  const name = relative.split('/').pop() ?? relative;
  const on = options.server ? ` on ${options.server}` : '';
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new ConfigError(`${name} not found: ${file} does not exist${on}`, { field: options.field, fix: options.fix });
  }
  let executable = isFile;
  if (isFile) {
    try {
      accessSync(file, constants.X_OK);
    } catch {
      executable = false;
    }
  }
  if (!executable) throw new ConfigError(`${name} is not an executable file: ${file}${on}`, { field: options.field, fix: options.fix });
  return file;
}
