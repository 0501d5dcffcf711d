#!/usr/bin/env bash
# Installs what recovery-kit needs on a fresh Debian machine: system packages for the real-part
# tests (iproute2, arping, ping, PostgreSQL), pnpm, and the workspace's node modules (which also
# builds every package). `--minimal` skips the system packages (enough for the demo).
set -euo pipefail
cd "$(dirname "$0")/.."
PNPM_VERSION=10.34.8
APT_PACKAGES=(iproute2 iputils-ping iputils-arping postgresql procps util-linux qemu-system-x86 debootstrap e2fsprogs)

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

if [[ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]]; then
  echo "setup: installing pnpm $PNPM_VERSION" >&2
  npm install -g --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >/dev/null || { echo "setup: npm install -g pnpm@$PNPM_VERSION failed" >&2; exit 1; }
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
  node packages/vmlab/dist/cli.js build >/dev/null || { echo "setup: the VM lab image build failed" >&2; exit 1; }
  echo "setup: VM lab image ready" >&2
fi
