#!/usr/bin/env bash
# Builds what is missing of one lab image in the cache: the root file system (debootstrap, the
# slow part) and the ext4 image with the lab's init. Run under `flock` by src/image.ts:
#   build-image.sh CACHE ROOTFS_KEY IMAGE_KEY SUITE MIRROR PACKAGES FREE_MIB
set -euo pipefail
root=$1 rootfs_key=$2 key=$3 suite=$4 mirror=$5 packages=$6 free_mib=$7
here=$(cd "$(dirname "$0")" && pwd)
dir=$root/image-$key
[[ -f $dir/manifest.json ]] && exit 0 # built by another process while we waited for the lock
ms() { date +%s%3N; }
rootfs=$root/rootfs-$rootfs_key
if [[ ! -f $rootfs/.rk-rootfs-done ]]; then
  t=$(ms)
  rm -rf "$rootfs.tmp" "$rootfs"
  echo "vmlab: debootstrap $suite into $rootfs (about 5 minutes)" >&2
  bash "$here/build-rootfs.sh" "$rootfs.tmp" "$suite" "$mirror" "$packages"
  mv "$rootfs.tmp" "$rootfs"
  echo "$(( $(ms) - t ))" > "$rootfs/.rk-rootfs-done"
fi
rootfs_ms=$(cat "$rootfs/.rk-rootfs-done")
t=$(ms)
rm -rf "$dir.tmp"
mkdir -p "$dir.tmp"
install -m 0755 "$here/init.sh" "$rootfs/sbin/rk-init"
kernel=$(ls "$rootfs"/boot/vmlinuz-* | sort -V | tail -1)
cp "$kernel" "$dir.tmp/vmlinuz"
cp "$(ls "$rootfs"/boot/initrd.img-* | sort -V | tail -1)" "$dir.tmp/initrd.img"
used_kib=$(du -sk "$rootfs" | cut -f1)
size_mib=$(( used_kib * 100 / 85 / 1024 + free_mib ))
echo "vmlab: mkfs.ext4 -d ($(( used_kib / 1024 )) MiB of files, image ${size_mib} MiB)" >&2
mkfs.ext4 -q -F -L rkroot -E root_owner=0:0 -d "$rootfs" "$dir.tmp/root.ext4" "${size_mib}M"
image_ms=$(( $(ms) - t ))
release=${kernel##*/vmlinuz-}
bytes=$(stat -c %s "$dir.tmp/root.ext4")
pkgs_json=$(printf '"%s",' ${packages//,/ }); pkgs_json="[${pkgs_json%,}]"
cat > "$dir.tmp/manifest.json" <<JSON
{
  "key": "$key",
  "rootfsKey": "$rootfs_key",
  "suite": "$suite",
  "packages": $pkgs_json,
  "kernelRelease": "$release",
  "rootfsBuildMs": $rootfs_ms,
  "imageBuildMs": $image_ms,
  "createdAt": "$(date -u +%FT%TZ)",
  "diskBytes": $bytes
}
JSON
rm -rf "$dir"
mv "$dir.tmp" "$dir"
