#!/usr/bin/env node
// Keep runtime notices meant for developers (such as the AWS SDK's Node.js support notice)
// out of operators' output; every other warning still shows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const emit = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  const text = typeof warning === 'string' ? warning : warning && warning.message;
  const type = typeof rest[0] === 'string' ? rest[0] : rest[0] && rest[0].type;
  if (type === 'NodeDeprecationWarning' || /NodeVersionSupportWarning|AWS SDK for JavaScript .*(Node\.js|node version)/i.test(String(text))) return;
  return emit.call(process, warning, ...rest);
};
// Node 22.1+ can cache compiled code between runs: most of a short command's time is start-up.
const { default: mod } = await import('node:module');
mod.enableCompileCache?.();
const { main } = await import('../dist/kit-runner.mjs');
const code = await main(process.argv.slice(2));
// The command is over: exit once stdout and stderr are flushed, whatever handles remain (a kit's
// keep-alive socket, the pipes a daemon it started still holds). Background commands still
// running get SIGTERM from the exec layer's exit hook.
process.exitCode = code;
let pending = 2;
const done = () => {
  if (--pending === 0) process.exit(code);
};
process.stdout.write('', done);
process.stderr.write('', done);
