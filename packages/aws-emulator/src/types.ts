/**
 * The emulator's public types, in a module of their own so that the HTTP handlers (control.ts)
 * and the server (emulator.ts) both depend on them and never on each other.
 */
import type { CallLog } from './calls.ts';
import type { FaultController } from './faults.ts';
import type { ImdsSettings } from './imds.ts';
import type { InstanceStateEvent, InstanceStateListener } from './instances.ts';
import type { SeedDocument } from './seed.ts';
import type { EmulatorState, InstanceStateName } from './state.ts';

export interface EmulatorOptions {
  /** Listen address; loopback only by default. */
  host?: string;
  /** Port of the AWS endpoint (EC2 + Route53 + control API). 0 = ephemeral (default). */
  port?: number;
  /** Region used when a request carries no SigV4 scope. Default `us-east-1`. */
  defaultRegion?: string;
  accountId?: string;
  /** Initial state. */
  seed?: SeedDocument;
  /** Route53: delay before a change becomes INSYNC (default 500 ms). */
  route53ChangeDelayMs?: number;
  /** Route53: reject changes with PriorRequestNotComplete while a change on the zone is PENDING (default false). */
  route53RejectWhilePending?: boolean;
  imds?: Partial<ImdsSettings> & {
    /** Fixed IMDS ports per instance id (default: ephemeral ports). */
    ports?: Record<string, number>;
  };
  /** Reject requests signed with an access key the emulator does not know (AuthFailure / InvalidClientTokenId). */
  requireKnownAccessKey?: boolean;
  /** Access keys considered known (IMDS-issued role keys are always known). */
  knownAccessKeys?: string[];
  /** Latency added to every AWS call (ms). Default 0. */
  baseLatencyMs?: number;
  /** StopInstances: ms from `stopping` to `stopped` (default 500). */
  instanceStopDelayMs?: number;
  /** StartInstances: ms from `pending` to `running` (default 500). */
  instanceStartDelayMs?: number;
  /** Log one line per call (never secrets). */
  logger?: (line: string) => void;
}

/** Settings that can be changed while the emulator runs (also via `POST /_emulator/config`). */
export interface EmulatorConfig {
  defaultRegion: string;
  route53ChangeDelayMs: number;
  route53RejectWhilePending: boolean;
  imdsMaxTokenTtlSeconds: number;
  imdsV1Allowed: boolean;
  imdsCredentialTtlSeconds: number;
  requireKnownAccessKey: boolean;
  baseLatencyMs: number;
  instanceStopDelayMs: number;
  instanceStartDelayMs: number;
}

export interface EnvOptions {
  /** Point IMDS at this instance's listener (and leave credentials to the IMDS role). */
  instanceId?: string;
  /** AWS_REGION; default: the instance's region, else the default region. */
  region?: string;
  /** Static credentials (default AKIDEXAMPLE / emulator-secret when no instance is given). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | false;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>`: the EC2 and Route53 endpoint (and `/_emulator/` control API). */
  readonly endpoint: string;
  readonly port: number;
  readonly state: EmulatorState;
  readonly faults: FaultController;
  readonly calls: CallLog;
  readonly config: EmulatorConfig;
  /** Base URL of an instance's IMDS listener (for AWS_EC2_METADATA_SERVICE_ENDPOINT). Throws for unknown instances. */
  imdsUrlFor(instanceId: string): string;
  /** All IMDS listeners by instance id. */
  imdsUrls(): Record<string, string>;
  /** Merge a seed document into the state and start IMDS listeners for new instances. */
  seed(doc: SeedDocument): Promise<{ instanceIds: string[] }>;
  /** Env vars that point AWS SDK v3 (and the kits) at the emulator. */
  env(opts?: EnvOptions): Record<string, string>;
  /** JSON snapshot of the state. */
  dump(): unknown;
  imds: {
    /** Expire all IMDS tokens (optionally of one instance) now; returns how many were live. */
    expireTokens(instanceId?: string): number;
    /** Force new role credentials on the next read. */
    rotateCredentials(instanceId?: string): void;
  };
  route53: {
    /** Mark every change INSYNC now. */
    syncAll(): number;
  };
  ec2: {
    /**
     * Calls `listener` on every instance state change (StopInstances, StartInstances, the end of
     * a stopping/pending transition, the control API); returns the function that removes it. A lab
     * powers a node off when its instance reaches `stopped`.
     */
    onInstanceState(listener: InstanceStateListener): () => void;
    /** The state changes recorded so far (seq > `after`). */
    instanceEvents(after?: number): InstanceStateEvent[];
    /** Like instanceEvents, waiting up to `waitMs` for the first event after `after`. */
    waitInstanceEvents(after: number, waitMs: number): Promise<InstanceStateEvent[]>;
    /** Sets an instance's state now (an event with cause `control`). Throws for unknown instances. */
    setInstanceState(instanceId: string, state: InstanceStateName): void;
  };
  /** Clear state (and by default faults, calls and IMDS tokens). IMDS listeners and their ports are kept. */
  reset(opts?: { state?: boolean; faults?: boolean; calls?: boolean }): void;
  stop(): Promise<void>;
}
