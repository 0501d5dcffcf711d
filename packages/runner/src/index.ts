/** Programmatic API of the runner (the CLI is built on it). */
export { Engine, ActionError, asKitError, toRaw, type StepReport } from './engine.ts';
export { Store, type StoreData, type ResourceRecord, type ServerEntry, type Switchback } from './store.ts';
export { createLogger, streamSink, memorySink, type LogRecord, type LogSink, type Level } from './logger.ts';
export { createExec } from './exec.ts';
export { createTunables, readTunablesFile, CORE_TUNABLES } from './tunables.ts';
export { discoverKits, loadKit, SUPPORTED_API_VERSIONS, type KitEntry, type Discovery } from './loader.ts';
export { resolveSettings, type Settings } from './settings.ts';
export { acquireLock } from './lock.ts';
export { runnerVersion } from './version.ts';
