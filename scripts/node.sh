#!/bin/sh
# Runs Node.js 24 (the project's runtime) with its directory first on PATH, so that every `node`,
# `pnpm exec` and `#!/usr/bin/env node` started below it runs on the same Node. The root
# package.json's scripts (`pnpm test`, `pnpm demo`, ...) start through this file: pnpm itself may
# run on an older system Node, the project's code never does.
#
# Which Node, first match wins:
#   1. $RECOVERY_KIT_NODE (a path to a node binary);
#   2. `node` on PATH when it is version 24 or newer;
#   3. the Node that scripts/setup.sh installed from the npm registry's `node` package
#      ($RECOVERY_KIT_NODE_PREFIX, default /opt/recovery-kit/node, or
#      ~/.local/share/recovery-kit/node when setup ran without root);
#   4. otherwise `node` on PATH, with a warning (run `bash scripts/setup.sh --minimal`).
# `scripts/node.sh --which` prints the chosen binary and exits.
set -eu
want=24
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
pick() {
  if [ -n "${RECOVERY_KIT_NODE:-}" ]; then echo "$RECOVERY_KIT_NODE"; return; fi
  sys=$(command -v node 2>/dev/null || true)
  if [ -n "$sys" ] && [ "$(major "$sys")" -ge "$want" ]; then echo "$sys"; return; fi
  for prefix in ${RECOVERY_KIT_NODE_PREFIX:-} /opt/recovery-kit/node "${HOME:-/nonexistent}/.local/share/recovery-kit/node"; do
    if [ -x "$prefix/node_modules/node/bin/node" ]; then echo "$prefix/node_modules/node/bin/node"; return; fi
  done
  echo "scripts/node.sh: no Node.js $want found (system node: $(${sys:-node} -v 2>/dev/null || echo none)); run: bash scripts/setup.sh --minimal" >&2
  echo "${sys:-node}"
}
bin=$(pick)
if [ "${1:-}" = "--which" ]; then echo "$bin"; exit 0; fi
PATH="$(dirname "$bin"):$PATH"
export PATH
exec "$bin" "$@"
