/**
 * The kit contract. A kit is a plain object made with {@link defineKit}; the runner calls its
 * actions with an explicit context and owns everything around them: validation, hierarchy order,
 * state, locks, timeouts, logging.
 *
 * Semantics every kit must honour (the runner's tests and KitTester check them):
 * - `restore` and `remove` are symmetric and idempotent: restore of something in service and
 *   remove of something out of service both succeed without change.
 * - `quickCheck` never changes anything. It returns `unknown` when it cannot tell (an API that
 *   did not answer): the runner logs that and keeps the resource in service.
 * - Throwing from an action is failure. Throw a KitError subclass with a `fix` where possible.
 */
import type { Exec } from './exec.ts';
import type { OptionsSchema } from './options.ts';

export type { Exec, ExecOptions, ExecResult } from './exec.ts';

/** Contract version. Bumped only for breaking changes; the runner lists the versions it accepts. */
export const KIT_API_VERSION = 1;
/** Name of the manifest field in a kit's package.json, read before any kit code is imported. */
export const MANIFEST_FIELD = 'recoveryKit';
const KIT_BRAND = 'recovery-kit:Kit';

/** The eight lifecycle and runtime actions. */
export const KIT_ACTIONS = ['create', 'extend', 'unextend', 'delete', 'restore', 'remove', 'quickCheck', 'recover'] as const;
export type ActionName = (typeof KIT_ACTIONS)[number];

/**
 * Resource states, per resource and server (LifeKeeper's model).
 * - ISP: in service, protected (monitored and recovered).
 * - OSU: out of service, unimpaired (removed, or never brought up here).
 * - OSF: out of service, failed (a restore or a recovery failed; `reason` says why).
 * - ILLSTATE: no state known yet.
 */
export const STATES = ['ISP', 'OSU', 'OSF', 'ILLSTATE'] as const;
export type ResourceState = (typeof STATES)[number];

/** The manifest a kit package declares in package.json under {@link MANIFEST_FIELD}. */
export interface KitManifest {
  /** Short type id used in commands and the store, e.g. "ip". Lowercase letters, digits, dashes. */
  kitType: string;
  /** The contract version the kit was written for. */
  apiVersion: number;
  /** Module to import, relative to the package root; defaults to the package's main export. */
  entry?: string;
  description?: string;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose lines carry an extra tag, e.g. `ip:web-vip`. */
  child(tag: string): Logger;
}

/** Tunables from the KEY=VALUE file, re-read at every action. Per-tag overrides `NAME_<tag>` win. */
export interface Tunables {
  /** The raw value, or undefined when unset (and no default is declared). */
  get(name: string): string | undefined;
  int(name: string, fallback?: number): number;
  number(name: string, fallback?: number): number;
  bool(name: string, fallback?: boolean): boolean;
  string(name: string, fallback?: string): string;
}

/** What an action knows about a resource it depends on (a child), as seen on this server. */
export interface DependencyView {
  readonly tag: string;
  readonly kitType: string;
  /** The child's options for this server (its per-server values applied). Secrets removed. */
  readonly options: Readonly<Record<string, unknown>>;
  /** What the child's kit recorded for this server at create/extend. */
  readonly info: Readonly<Record<string, unknown>>;
  readonly state: ResourceState;
}

export interface HostInfo {
  readonly runnerVersion: string;
  /** The contract version the runner speaks (not the kit's). */
  readonly apiVersion: number;
  readonly node: string;
}

/** The context every action receives. Nothing here is global; kits read no files of the runner. */
export interface KitContext<O> {
  /** The resource's tag (for `create`, the tag being created). */
  readonly tag: string;
  readonly action: string;
  /** The server this action runs for; for `extend`/`unextend`, the target server. */
  readonly server: string;
  /** Options, already validated, with this server's per-server values applied. */
  readonly options: Readonly<O>;
  /** Kit-specific facts recorded for this server by create/extend. */
  readonly info: Readonly<Record<string, unknown>>;
  /** The resources this one depends on (its children), as seen on this server. */
  readonly children: readonly DependencyView[];
  readonly tunables: Tunables;
  readonly logger: Logger;
  readonly exec: Exec;
  /** Aborted when the action's time runs out or the runner is told to stop. */
  readonly signal: AbortSignal;
  /** Milliseconds the action has in all. */
  readonly timeoutMs: number;
  /** When the action's time runs out, in `Date.now()` milliseconds. Time left: `deadline - Date.now()`. */
  readonly deadline: number;
  /** True when the action runs for this machine (`server` is this node), false when it is about a peer. */
  readonly local: boolean;
  readonly host: HostInfo;
  /**
   * How deep `quickCheck` looks ({@link CheckLevel}): OCF_CHECK_LEVEL under Pacemaker (0 when the
   * operation sets none), 20 (everything the kit checks) for kit-runner's own monitor and actions.
   * Kits compare with `>=` and say what each level does in {@link KitDefinition.checkLevels}.
   */
  readonly checkLevel: CheckLevel;
  /**
   * True when the caller runs this kit's roles itself (an OCF promotable clone: Pacemaker's start,
   * then promote/demote; only for a kit with both `promote` and `demote`): `restore` leaves the
   * resource unpromoted, `remove` takes it down from either role, quickCheck reports `role`.
   * False (or absent) for kit-runner's own actions and a plain OCF primitive: `restore` brings the
   * resource fully in service (promoted, for a kit with roles) and `remove` is its opposite.
   */
  readonly roles?: boolean;
}

/**
 * OCF_CHECK_LEVEL values (OCF 1.1, monitor):
 * - 0: local checks only (this host's interfaces, processes, files; what this node last saw). No
 *   network request leaves the host, no cloud API call, no IMDS.
 * - 10: also one batched read of the cloud API (one request per kit and check).
 * - 20: also through the data path (traffic through the address, a query to the database).
 */
export type CheckLevel = 0 | 10 | 20;
export const CHECK_LEVELS: readonly CheckLevel[] = [0, 10, 20];

/** What a kit's quickCheck does at each check level (printed in the OCF meta-data and the docs). */
export type CheckLevels = Readonly<Partial<Record<`${CheckLevel}`, string>>>;

export type QuickCheckResult =
  /** `role`: for kits with roles (promote/demote), the role found here (the OCF monitor reports 8 for promoted). */
  | { readonly status: 'ok'; readonly detail?: string; readonly role?: 'promoted' | 'unpromoted' }
  /** The resource is not healthy: the runner runs recover. */
  | { readonly status: 'failed'; readonly reason: string }
  /** Could not tell (e.g. the cloud API did not answer): logged, the resource stays in service. */
  | { readonly status: 'unknown'; readonly reason: string };

/** A child resource `create` asks the runner to create first (e.g. an EC2 resource under a tunnel). */
export interface ChildSpec {
  kitType: string;
  tag: string;
  options: Record<string, unknown>;
  /**
   * The child must already exist (an operator named it in an option): the runner only adds the
   * dependency, and fails with NOT_FOUND naming the tag when there is no such resource, instead
   * of trying to create one from `options`.
   */
  existing?: boolean;
}

export interface CreateResult {
  /** The resource id to store (unique); default `<kitType>-<random>`. */
  id?: string;
  /** Kit-specific facts for the creating server. */
  info?: Record<string, unknown>;
  /** Normalized options to store instead of the given ones (e.g. a device found from the routing table). */
  options?: Record<string, unknown>;
  /** Resources to create and make children of this one. */
  children?: ChildSpec[];
}

export interface ExtendResult {
  /** Kit-specific facts for the target server. */
  info?: Record<string, unknown>;
  /** Normalized per-server option values to store instead of the given ones (perServer fields only). */
  options?: Record<string, unknown>;
}

type Action<O, R = void> = (ctx: KitContext<O>) => Promise<R> | R;

export interface KitActions<O> {
  /**
   * Validates input beyond the schema (devices exist, a zone can be read...) before the resource
   * is stored. May normalize options and ask for children. Runs on the creating server.
   */
  create?: Action<O, CreateResult | void>;
  /**
   * Checks that `ctx.server` can host the resource, and returns that server's info.
   * `ctx.options` holds the target's per-server values.
   */
  extend?: Action<O, ExtendResult | void>;
  /** Removes what the kit keeps for one server. */
  unextend?: Action<O>;
  /** Cleanup when the resource is deleted everywhere (LifeKeeper's delete script). */
  delete?: Action<O>;
  /** Bring in service on this server. Idempotent. */
  restore: Action<O>;
  /** Take out of service on this server. Idempotent. Must be the opposite of restore. */
  remove: Action<O>;
  /** Read-only health probe. Returning nothing means ok; throwing means failed. */
  quickCheck?: Action<O, QuickCheckResult | void>;
  /** Local repair after a failed quickCheck. Throwing means the repair failed. Without it the runner runs remove, then restore. */
  recover?: Action<O>;
  /**
   * Roles (OCF promotable clones, e.g. a mirror's primary): a kit with both `promote` and `demote`
   * has roles. `restore` leaves it unpromoted (OCF 1.1); `promote` makes this node the one that
   * serves (writes), `demote` takes that back and leaves it running. Both idempotent; quickCheck
   * reports the role it finds (`{ status: 'ok', role }`).
   */
  promote?: Action<O>;
  demote?: Action<O>;
}

/** An extra named action: `kit-runner action <tag> <name> -- args...`. */
export interface KitCommand<O> {
  description: string;
  run(ctx: KitContext<O>, args: readonly string[]): Promise<unknown> | unknown;
}

export interface TunableSpec {
  kind: 'integer' | 'number' | 'boolean' | 'string';
  default?: string | number | boolean;
  description: string;
  min?: number;
  max?: number;
}

export interface KitMeta {
  /** npm package name. */
  readonly name: string;
  /** npm package version. */
  readonly version: string;
  /** Same as the manifest's kitType. */
  readonly kitType: string;
  readonly description?: string;
}

export interface KitDefinition<O> {
  readonly meta: KitMeta;
  readonly options: OptionsSchema<O>;
  readonly actions: KitActions<O>;
  readonly commands?: Readonly<Record<string, KitCommand<O>>>;
  /** Top-level commands: `kit-runner <kitType> <name> ...`. */
  readonly cli?: Readonly<Record<string, KitCliCommand>>;
  /** Tunables this kit reads, with defaults (LifeKeeper names where they exist). */
  readonly tunables?: Readonly<Record<string, TunableSpec>>;
  /** Per action, the tunable holding its timeout in seconds (declared in `tunables`). */
  readonly timeouts?: Readonly<Partial<Record<ActionName, string>>>;
  /** Tunable holding this kit's quickCheck interval in seconds; defaults to LKCHECKINTERVAL. */
  readonly checkIntervalTunable?: string;
  /**
   * What quickCheck does at each {@link CheckLevel} it distinguishes (`ctx.checkLevel`). A level
   * not listed checks what the next lower listed one does. The OCF meta-data prints these and
   * advertises a deeper monitor for each level above 0.
   */
  readonly checkLevels?: CheckLevels;
}

// biome-ignore lint/suspicious/noExplicitAny: a Kit of any options type is assignable to Kit (options are contravariant in actions)
export interface Kit<O = any> extends KitDefinition<O> {
  readonly $$type: typeof KIT_BRAND;
  readonly apiVersion: number;
}

/** Identity-plus-brand helper: full inference for authors, a checkable object for the runner. */
export function defineKit<O>(definition: KitDefinition<O>): Kit<O> {
  return Object.freeze({ ...definition, $$type: KIT_BRAND, apiVersion: KIT_API_VERSION });
}

export function isKit(value: unknown): value is Kit {
  return typeof value === 'object' && value !== null && (value as { $$type?: unknown }).$$type === KIT_BRAND;
}

/**
 * Tag rule (docs/reference/kit-runner.md, TAGS): 1-80 characters of letters, digits, `- _ . /`,
 * starting with a letter, digit or `_` (not `-`: commands would read it as an option; not `.`
 * or `/`). 80 keeps every file named after a tag within 255 bytes however it is encoded. The
 * tags in {@link RESERVED_TAGS} are refused too.
 */
export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,79}$/;
/** Names no resource may have (`store`: the store's own lock file in older kit-runners). */
export const RESERVED_TAGS: readonly string[] = Object.freeze(['store']);
/** Why `tag` is not a valid tag (undefined when it is). */
export function tagProblem(tag: string): string | undefined {
  if (tag.length === 0) return 'it is empty';
  if (tag.length > 80) return `it has ${tag.length} characters (at most 80)`;
  if (tag.startsWith('-')) return 'it starts with "-" (commands would read it as an option)';
  if (!TAG_PATTERN.test(tag)) return 'it holds characters other than letters, digits, "-", "_", "." and "/", or starts with "." or "/"';
  if (RESERVED_TAGS.includes(tag.toLowerCase())) return `"${tag}" is a reserved name`;
  return undefined;
}
/** Server names: host names. */
export const SERVER_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,252}[A-Za-z0-9])?$/;

/** Context of a kit's top-level CLI command (`kit-runner <kitType> <command> ...`). */
export interface KitCliContext {
  readonly logger: Logger;
  readonly exec: Exec;
  readonly tunables: Tunables;
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  /** When the command's time runs out, in `Date.now()` milliseconds. */
  readonly deadline: number;
  readonly host: HostInfo;
  /** True when the operator asked for --json (print nothing yourself; return the result). */
  readonly json: boolean;
}

export interface KitCliFlag {
  type: 'string' | 'boolean';
  multiple?: boolean;
  short?: string;
  description: string;
  required?: boolean;
}

/**
 * A one-shot command a kit adds to the CLI, for other cluster managers' scripts, e.g.
 * `kit-runner ec2 replace-route --vpc vpc-1 --cidr 10.0.0.10/32 --eni eni-1`.
 * The runner parses the flags, prints the result (`summary` for people, the whole object
 * with --json) and maps a thrown KitError to its exit code.
 */
export interface KitCliCommand {
  description: string;
  /** The synopsis after `kit-runner <kitType> <name>`. */
  usage: string;
  flags: Readonly<Record<string, KitCliFlag>>;
  /** The tunable holding its timeout in seconds; default ADMIN_TIMEOUT. */
  timeoutTunable?: string;
  run(
    ctx: KitCliContext,
    flags: Readonly<Record<string, string | boolean | string[] | undefined>>,
    args: readonly string[],
  ): Promise<{ summary?: string } & Record<string, unknown>>;
}
