/** Where things are: flags win over environment variables, which win over the defaults. */
import { hostname } from 'node:os';
import { isAbsolute } from 'node:path';
import { ConfigError, SERVER_PATTERN, UsageError } from '@recovery-kit/sdk';
import { parseLevel, type Level } from './logger.ts';

export const DEFAULT_STATE_DIR = '/var/lib/recovery-kit';
export const DEFAULT_TUNABLES = '/etc/default/recovery-kit';
export const DEFAULT_KITS_DIR = '/usr/lib/recovery-kit/kits';

export interface Settings {
  stateDir: string;
  tunablesPath: string;
  /** Operator-configured kit directories, searched before the runner's own install. */
  kitsDirs: string[];
  /** This server's name (the node kit-runner acts for). */
  node: string;
  logLevel: Level;
  json: boolean;
}

export interface GlobalFlags {
  'state-dir'?: string | undefined;
  tunables?: string | undefined;
  'kits-dir'?: string[] | undefined;
  node?: string | undefined;
  'log-level'?: string | undefined;
  verbose?: boolean | undefined;
  quiet?: boolean | undefined;
  json?: boolean | undefined;
}

export function resolveSettings(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Settings {
  const node = flags.node ?? env.KIT_RUNNER_NODE ?? hostname().split('.')[0] ?? 'localhost';
  if (!SERVER_PATTERN.test(node)) {
    throw new UsageError(`node name ${JSON.stringify(node)} is not a valid server name`, {
      field: '--node',
      fix: 'use a host name: letters, digits, "-", "_" and "."',
    });
  }
  const kitsDirs = flags['kits-dir']?.length
    ? flags['kits-dir']
    : env.KIT_RUNNER_KITS_DIR !== undefined
      ? env.KIT_RUNNER_KITS_DIR.split(':').filter(Boolean)
      : [DEFAULT_KITS_DIR];
  // A relative directory would depend on the directory kit-runner was started in (cron, a unit,
  // a shell in /tmp): the code it loads, and the store it acts on, must not. Refused, not resolved.
  for (const d of kitsDirs) {
    if (isAbsolute(d)) continue;
    const where = flags['kits-dir']?.length ? '--kits-dir' : 'KIT_RUNNER_KITS_DIR';
    const Err = where === '--kits-dir' ? UsageError : ConfigError;
    throw new Err(`kits directory ${JSON.stringify(d)} (${where}) is a relative path`, {
      field: where,
      fix: `give an absolute path, e.g. ${where === '--kits-dir' ? '--kits-dir ' : 'KIT_RUNNER_KITS_DIR='}${DEFAULT_KITS_DIR}`,
    });
  }
  const stateDir = flags['state-dir'] ?? env.KIT_RUNNER_STATE_DIR ?? DEFAULT_STATE_DIR;
  if (!isAbsolute(stateDir)) {
    const where = flags['state-dir'] !== undefined ? '--state-dir' : 'KIT_RUNNER_STATE_DIR';
    const Err = where === '--state-dir' ? UsageError : ConfigError;
    throw new Err(`state directory ${JSON.stringify(stateDir)} (${where}) is a relative path`, {
      field: where,
      fix: `give an absolute path, e.g. ${DEFAULT_STATE_DIR}`,
    });
  }
  const levelText = flags['log-level'] ?? env.KIT_RUNNER_LOG_LEVEL;
  if (levelText !== undefined && !['debug', 'info', 'warn', 'error'].includes(levelText)) {
    throw new UsageError(`unknown log level ${JSON.stringify(levelText)}`, { field: '--log-level', fix: 'use debug, info, warn or error' });
  }
  return {
    stateDir,
    tunablesPath: flags.tunables ?? env.KIT_RUNNER_TUNABLES ?? DEFAULT_TUNABLES,
    kitsDirs,
    node,
    logLevel: flags.verbose ? 'debug' : flags.quiet ? 'warn' : parseLevel(levelText),
    json: flags.json ?? false,
  };
}
