#!/usr/bin/env bash
# Installs what recovery-kit needs on a fresh Debian machine: system packages for the real-part
# tests (iproute2, arping, ping, PostgreSQL), pnpm, and the workspace's node modules (which also
# builds every package). `--minimal` skips the system packages (enough for the demo).
# Node.js 24 LTS: when the system's `node` is older, installs the npm registry's `node` package
# (node@24) into $RECOVERY_KIT_NODE_PREFIX (default /opt/recovery-kit/node as root,
# ~/.local/share/recovery-kit/node otherwise); the system's own Node is left as it is.
# scripts/node.sh finds it there, and the root package.json's scripts (`pnpm test`, `pnpm demo`)
# start through scripts/node.sh, so they run on Node 24 from any shell.
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
# The caller's PATH: pnpm goes where the caller's shell (and .ci/run) finds it. npm -g run on the
# Node 24 of the npm package would put it next to that node, on no one's PATH.
ORIG_PATH="$PATH"
NODE_MAJOR=24
# The real-part tests: namespaces and ARP (IP kit), PostgreSQL; the Pacemaker lab and the OCF
# tests (pacemaker, corosync, the qnetd witness, fence_aws, ocf-tester, xmllint, the lab's TLS CA);
# the VM lab (qemu under software emulation, debootstrap for its image); systemd for
# systemd-analyze (the unit in examples/systemd is verified; it runs without systemd as PID 1);
# python3 (also a dependency of fence-agents) for the IP kit test that counts gratuitous ARPs;
# awscli and bind9-dnsutils (dig) for the side-by-side peer benches (bench/peers.mjs, bench/ocf.mjs:
# the resource-agents peers call `aws` and `dig`).
APT_PACKAGES=(iproute2 iputils-ping iputils-arping postgresql procps util-linux coreutils systemd
  pacemaker pacemaker-cli-utils corosync corosync-qdevice corosync-qnetd fence-agents python3-boto3 resource-agents
  libxml2-utils libnss3-tools openssl man-db python3 awscli bind9-dnsutils
  qemu-system-x86 debootstrap e2fsprogs)

if [[ "${1:-}" != "--minimal" ]]; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
      echo "setup: need root to install: ${missing[*]} (or install them yourself)" >&2
      exit 1
    fi
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp)
    # The postgresql package starts a cluster of its own; the tests use their own, so stop it.
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
      cat "$log" >&2
      echo "setup: apt-get failed (output above)" >&2
      exit 1
    fi
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h 2>/dev/null | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop >/dev/null 2>&1 || true; done
    fi
  fi
fi

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if (($(node_major node) < NODE_MAJOR)); then
  if [[ $(id -u) -eq 0 ]]; then default_prefix=/opt/recovery-kit/node; else default_prefix="$HOME/.local/share/recovery-kit/node"; fi
  prefix="${RECOVERY_KIT_NODE_PREFIX:-$default_prefix}"
  node24="$prefix/node_modules/node/bin/node"
  if (($(node_major "$node24") != NODE_MAJOR)); then
    echo "setup: installing Node.js $NODE_MAJOR (npm package node@$NODE_MAJOR) into $prefix (system node: $(node -v 2>/dev/null || echo none))" >&2
    log=$(mktemp)
    if ! npm install --prefix "$prefix" --no-audit --no-fund --no-save --loglevel=error "node@$NODE_MAJOR" >"$log" 2>&1; then
      cat "$log" >&2
      echo "setup: npm install node@$NODE_MAJOR failed (output above)" >&2
      exit 1
    fi
  fi
  # The rest of setup (pnpm install, which builds every package) runs on it too.
  export PATH="$(dirname "$node24"):$PATH"
fi
echo "setup: node $(sh scripts/node.sh -v) ($(sh scripts/node.sh --which))" >&2

if [[ "$(PATH="$ORIG_PATH" pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION" >&2
  PATH="$ORIG_PATH" npm install -g --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null || { echo "setup: npm install -g pnpm@$PNPM_VERSION failed" >&2; exit 1; }
fi
log=$(mktemp)
if ! pnpm install --frozen-lockfile --reporter=append-only >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: pnpm install failed (output above)" >&2
  exit 1
fi
echo "setup: ready" >&2

# --- VM lab (packages/vmlab, docs/operate/vm-lab.md) ------------------------------------------
# qemu-system-x86, debootstrap and e2fsprogs (above) are what the lab needs. Its Debian image is
# built by the first lab test (about 5 minutes, cached in /var/cache/recovery-kit/vmlab, or
# $RK_VMLAB_CACHE); RK_VMLAB_PREBUILD=1 builds it here instead.
if [[ "${RK_VMLAB_PREBUILD:-}" == 1 && "${1:-}" != "--minimal" ]]; then
  sh scripts/node.sh packages/vmlab/dist/cli.js build >/dev/null || { echo "setup: the VM lab image build failed" >&2; exit 1; }
  echo "setup: VM lab image ready" >&2
fi
