/**
 * AWS SDK v3 (>= 3.9xx) calls `process.emitWarning("NodeVersionSupportWarning: The AWS SDK for JavaScript (v3) ...
 * will require node >=22")` once per process when a client is constructed on Node < 22 (@aws-sdk/core
 * `emitWarningIfUnsupportedVersion`). The SDK's own opt-out is the env var
 * AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true, read when the first client is created.
 *
 * Call this before constructing any SDK client to keep that single warning off stderr: it sets the env var and
 * filters just that warning from `process.emitWarning` (other warnings pass through).
 */
export function suppressAwsSdkNodeVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const marker = Symbol.for('recovery-kit.aws-sdk-node-warning-filter');
  const p = process as NodeJS.Process & { [k: symbol]: boolean };
  if (p[marker]) return;
  p[marker] = true;
  const original = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === 'string' ? warning : warning.message;
    if (text.startsWith('NodeVersionSupportWarning')) return;
    original(warning, ...rest);
  }) as typeof process.emitWarning;
}
