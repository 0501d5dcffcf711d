#!/usr/bin/env bash
# Builds the lab's Debian root file system into DEST (a new directory), with debootstrap.
# Usage: build-rootfs.sh DEST SUITE MIRROR PACKAGE[,PACKAGE...]
# Run as root. Called by @recovery-kit/vmlab (src/image.ts), which caches the result by a hash of
# these arguments and this script; run it by hand only to debug a build.
set -euo pipefail
dest=$1 suite=$2 mirror=$3 packages=$4
[[ $(id -u) -eq 0 ]] || { echo "build-rootfs: must run as root (debootstrap)" >&2; exit 1; }
[[ ! -e $dest ]] || { echo "build-rootfs: $dest exists" >&2; exit 1; }
mkdir -p "$dest"
debootstrap --variant=minbase --include="$packages" "$suite" "$dest" "$mirror"
# A lab guest has no udev, no systemd and no network at build time: keep it quiet and small.
rm -rf "$dest"/var/cache/apt/archives/*.deb "$dest"/var/lib/apt/lists/* "$dest"/usr/share/doc/* "$dest"/usr/share/man/*
echo lab > "$dest/etc/hostname"
# root mounts read-write at boot; /etc/fstab stays empty (the lab's init mounts what it needs).
: > "$dest/etc/fstab"
# Mount points for the 9p shares (project, host Node.js) and the per-VM channel.
mkdir -p "$dest/mnt/project" "$dest/mnt/node" "$dest/mnt/lab"
ls "$dest"/boot/vmlinuz-* "$dest"/boot/initrd.img-* >/dev/null
