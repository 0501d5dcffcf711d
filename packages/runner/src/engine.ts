/**
 * The engine: what every lifecycle command and walk needs, in one object: the settings, the
 * store, the logger, the tunables (read once per process), the installed kits, and the stop
 * signal. The jobs live in their own modules and take an Engine as their first argument:
 * - reservation.ts: one reservation per hierarchy, taken before the store is read;
 * - lifecycle.ts, create.ts: create, extend, unextend, delete, dependencies;
 * - walks.ts: restore, remove, recover, quickCheck and kits' own actions;
 * - state.ts: recording states in the store (the walks and the monitor);
 * - action-runner.ts: the one place a kit is called.
 */
import { ExitCode, KitError, type DependencyView, type Kit, type Logger } from '@recovery-kit/sdk';
import type { ActionRun } from './action-runner.ts';
import { openStore } from './file-store.ts';
import { childrenOf } from './hierarchy.ts';
import { openSecrets } from './secrets.ts';
import { discoverKits, loadKit, type Discovery } from './loader.ts';
import type { Settings } from './settings.ts';
import type { Store, StoreData } from './store.ts';
import { loadTunables, type TunableSet } from './tunables.ts';

export interface RunnerOptions {
  settings: Settings;
  logger: Logger;
  /** Aborted when the process is told to stop. */
  signal?: AbortSignal;
  /** Default: openStore's (the atomic file store in `settings.stateDir`; the CIB in cluster mode). */
  store?: Store;
}

export class Engine {
  readonly settings: Settings;
  readonly store: Store;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  #discovery: Discovery | undefined;
  #limited = new Map<string, Discovery>();
  #tunables: TunableSet | undefined;

  constructor(options: RunnerOptions) {
    this.settings = options.settings;
    this.store = options.store ?? openStore(options.settings.stateDir, options.settings);
    this.logger = options.logger;
    this.signal = options.signal ?? new AbortController().signal;
  }

  get node(): string {
    return this.settings.node;
  }

  /** The tunables file, read once per process (`reloadTunables` reads it again: the monitor, each pass). */
  get tunables(): TunableSet {
    return (this.#tunables ??= loadTunables(this.settings.tunablesPath));
  }

  reloadTunables(): TunableSet {
    return (this.#tunables = loadTunables(this.settings.tunablesPath, true));
  }

  discovery(): Discovery {
    return (this.#discovery ??= discoverKits(this.settings.kitsDirs));
  }

  /** A kit by type: from the full discovery once something needed it, else from one limited to that type (loader.ts). */
  kit(kitType: string): Promise<Kit> {
    if (this.#discovery) return loadKit(this.#discovery, kitType);
    let d = this.#limited.get(kitType);
    if (!d) {
      d = { ...discoverKits(this.settings.kitsDirs, undefined, kitType), full: () => this.discovery() };
      this.#limited.set(kitType, d);
    }
    return loadKit(d, kitType);
  }

  /** Stored option values with their secret references (secrets.ts) read back from their files. */
  openSecrets(values: Record<string, unknown>, tag: string): Record<string, unknown> {
    return openSecrets(this.settings.stateDir, values, tag);
  }

  /**
   * What the action runner needs for `tag` on `server`, from the snapshot the caller read under
   * its reservation: the stored options with that server's overrides, its info, its children.
   */
  actionRun(
    data: StoreData,
    tag: string,
    server: string,
    extra: { options?: Record<string, unknown>; overrides?: Record<string, unknown>; info?: Record<string, unknown>; optionsContext?: string } = {},
  ): ActionRun {
    const entry = data.resources[tag]?.servers[server];
    const children: DependencyView[] = childrenOf(data, tag).map((c) => {
      const r = data.resources[c];
      if (!r) throw storeDamage(this.store.location, `${tag} depends on ${c}, which has no resource record`);
      const e = r.servers[server];
      return {
        tag: c,
        kitType: r.kit,
        options: this.openSecrets({ ...r.options, ...(e?.overrides ?? {}) }, c),
        info: e?.info ?? {},
        state: e?.state ?? 'ILLSTATE',
      };
    });
    return {
      tag,
      server,
      node: this.node,
      options: this.openSecrets({ ...(extra.options ?? data.resources[tag]?.options ?? {}), ...(extra.overrides ?? entry?.overrides ?? {}) }, tag),
      ...(extra.optionsContext ? { optionsContext: extra.optionsContext } : {}),
      info: extra.info ?? entry?.info ?? {},
      children,
      tunables: this.tunables,
      logger: this.logger,
      stop: [this.signal],
    };
  }
}

/** The store holds something no command could have written (hand edits, a foreign tool): exit 6, naming the file. */
export function storeDamage(location: string, what: string): KitError {
  return new KitError(`the store ${location} is damaged: ${what}`, {
    code: 'STORE_DAMAGED',
    exitCode: ExitCode.INVALID_CONFIG,
    field: location,
    fix: `restore ${location} from a backup, or correct it by hand ("kit-runner status" shows what it holds)`,
  });
}
