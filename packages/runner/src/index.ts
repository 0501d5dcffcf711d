/** Programmatic API of the runner (the CLI is built on it). */
export { Engine, type RunnerOptions } from './engine.ts';
export { runAction, createActionContext, runCliCommand, asKitError, toRaw, kitId, type ActionRun, type ActionContext } from './action-runner.ts';
export { restore, remove, recover, recoverReserved, quickCheck, command, ActionError, type StepReport } from './walks.ts';
export { create, type CreateInput } from './create.ts';
export { extend, unextend, deleteResource, depAdd, depRemove, type ExtendInput } from './lifecycle.ts';
export { reserve, tryReserve, type Reservation } from './reservation.ts';
export { markPending, markState } from './state.ts';
export type { Store, StoreData, ResourceRecord, ServerEntry, Switchback, LockRequest } from './store.ts';
export { openStore, FileStore } from './file-store.ts';
export { createLogger, streamSink, memorySink, type LogRecord, type LogSink, type Level } from './logger.ts';
export { createExec } from './exec.ts';
export { createTunables, readTunablesFile, loadTunables, tunableSetOf, TunableSet, CORE_TUNABLES } from './tunables.ts';
export { discoverKits, loadKit, SUPPORTED_API_VERSIONS, type KitEntry, type Discovery } from './loader.ts';
export { resolveSettings, type Settings } from './settings.ts';
export { acquireLock } from './lock.ts';
export { runnerVersion } from './version.ts';
