#!/usr/bin/env node
// >>> compile cache (kit-runner ocf install copies this block into each OCF agent)
// Node 22.1+ can cache compiled code between runs: most of a short command's time is start-up.
// The cache is code this process will run (as root, under Pacemaker), so it is kept only in a
// directory no other user can write to or replace: Node's default is the shared temporary
// directory, where anyone could create node-compile-cache first and fill it. The directory:
// KIT_RUNNER_CACHE_DIR, else /var/cache/recovery-kit for root, else $XDG_CACHE_HOME/recovery-kit
// or ~/.cache/recovery-kit; NODE_COMPILE_CACHE, when set, is the operator's own choice
// (docs/operate/node-runtime.md). Where none is private, kit-runner runs without the cache.
{
  const env = process.env;
  const mod = process.getBuiltinModule?.('node:module');
  if (mod?.enableCompileCache && !env.NODE_DISABLE_COMPILE_CACHE) {
    if (env.NODE_COMPILE_CACHE) mod.enableCompileCache();
    else {
      const fs = process.getBuiltinModule('node:fs');
      const uid = process.getuid();
      const base =
        env.KIT_RUNNER_CACHE_DIR ||
        (uid === 0 ? '/var/cache/recovery-kit' : env.XDG_CACHE_HOME ? `${env.XDG_CACHE_HOME}/recovery-kit` : env.HOME ? `${env.HOME}/.cache/recovery-kit` : '');
      let dir = base.startsWith('/') ? `${base}/node-compile-cache` : '';
      try {
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        dir = fs.realpathSync.native(dir);
        const own = fs.statSync(dir);
        if (!own.isDirectory() || own.uid !== uid || own.mode & 0o022) dir = '';
        // Each directory above: this user's or root's, and writable by no one else unless sticky
        // (as /tmp is: there no one else can remove or rename what this user owns).
        for (let p = dir; p.length > 1; ) {
          p = p.slice(0, p.lastIndexOf('/')) || '/';
          const st = fs.statSync(p);
          if ((st.uid !== uid && st.uid !== 0) || (st.mode & 0o022 && !(st.mode & 0o1000))) dir = p = '';
        }
      } catch {
        dir = '';
      }
      if (dir) mod.enableCompileCache(dir);
    }
  }
}
// <<< compile cache
// Which of stdout and stderr the command used: only those are flushed at the end (creating
// process.stderr only to flush it costs a quickCheck about half a millisecond).
const used = [];
for (const name of ['stdout', 'stderr']) {
  const d = Object.getOwnPropertyDescriptor(process, name);
  if (d?.get && d.configurable) {
    Object.defineProperty(process, name, {
      ...d,
      get() {
        if (!used.includes(name)) used.push(name);
        return d.get.call(process);
      },
    });
  }
}
const { main } = await import('../dist/kit-runner.mjs');
const code = await main(process.argv.slice(2));
// The command is over: exit once what it wrote is flushed, whatever handles remain (a kit's
// keep-alive socket, the pipes a daemon it started still holds). Background commands still
// running get SIGTERM from the exec layer's exit hook.
process.exitCode = code;
let pending = used.length;
const done = () => {
  if (--pending <= 0) process.exit(code);
};
if (pending === 0) done();
for (const name of used) process[name].write('', done);
