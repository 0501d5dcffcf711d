export * from './contract.ts';
export * from './errors.ts';
export * from './options.ts';
export * from './validators.ts';
export * from './processes.ts';
export * from './args.ts';
export * from './ocf.ts';
