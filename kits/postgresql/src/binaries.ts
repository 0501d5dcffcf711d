/**
 * Finds the PostgreSQL server binaries matching a data directory's PG_VERSION: the
 * version-specific directories distributions install (Debian/Ubuntu /usr/lib/postgresql/<v>/bin,
 * PGDG RPMs /usr/pgsql-<v>/bin, SUSE /usr/lib/postgresql<v>/bin), then unversioned ones
 * (/usr/bin on RHEL's own packages, /usr/local/pgsql/bin for source builds), whose version is
 * read from `pg_ctl --version`.
 */
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export function versionedCandidates(version: string): string[] {
  const compact = version.replace('.', '');
  return [
    `/usr/lib/postgresql/${version}/bin`,
    `/usr/pgsql-${version}/bin`,
    `/usr/lib/postgresql${compact}/bin`,
    `/opt/postgresql/${version}/bin`,
    `/usr/local/pgsql-${version}/bin`,
  ];
}

export const UNVERSIONED_CANDIDATES = ['/usr/bin', '/usr/local/pgsql/bin', '/usr/local/bin'];

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** "pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" -> "15"; "9.6.24" -> "9.6". */
export function majorFromVersionText(text: string): string | undefined {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return undefined;
  const major = Number(m[1]);
  return major >= 10 ? String(major) : `${m[1]}.${m[2] ?? '0'}`;
}

export interface BinDirSearch {
  binDir?: string;
  looked: string[];
}

/**
 * Returns the first directory holding pg_ctl and postgres for `version`. `versionOf` reads the
 * version of an unversioned directory's pg_ctl (by running it).
 */
export async function findBinDir(
  version: string,
  versionOf: (pgCtl: string) => Promise<string | undefined>,
  roots?: { versioned?: string[]; unversioned?: string[] },
): Promise<BinDirSearch> {
  const looked: string[] = [];
  for (const dir of roots?.versioned ?? versionedCandidates(version)) {
    looked.push(dir);
    if (isExecutable(join(dir, 'pg_ctl')) && isExecutable(join(dir, 'postgres'))) return { binDir: dir, looked };
  }
  for (const dir of roots?.unversioned ?? UNVERSIONED_CANDIDATES) {
    looked.push(dir);
    const pgCtl = join(dir, 'pg_ctl');
    if (!isExecutable(pgCtl) || !isExecutable(join(dir, 'postgres'))) continue;
    if ((await versionOf(pgCtl)) === version) return { binDir: dir, looked };
  }
  return { looked };
}
