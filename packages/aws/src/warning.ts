/**
 * AWS SDK v3 prints one "NodeVersionSupportWarning" per process on Node < 22 when the first client
 * is built. The SDK's own opt-out is AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, read at
 * that moment; we also filter just that warning from process.emitWarning in case a client was built
 * before the variable was set. Operators never see it; every other warning passes through.
 */
export function suppressSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const marker = Symbol.for('recovery-kit.aws-sdk-node-warning-filter');
  const p = process as NodeJS.Process & { [k: symbol]: boolean };
  if (p[marker]) return;
  p[marker] = true;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : (warning?.message ?? '');
    if (text.startsWith('NodeVersionSupportWarning')) return;
    original(warning, ...rest);
  }) as typeof process.emitWarning;
}
