#!/usr/bin/env bash
# Builds a small bootable Debian node for the lab's second target (lab/debian-node.ts): debootstrap
# of the release with systemd as PID 1, udev, multipath-tools, the release's own kernel with a
# small initrd (virtio disk + ext4), then an ext4 disk image made with `mkfs.ext4 -d` (no loop
# mount). The package under test's dependencies (nodejs, procps) are NOT installed: their .debs
# from the release are kept in a flat file archive inside the image (/var/lib/lab-archive, the
# only apt source there), so that in the guest, offline, `apt-get install ./multipath-exporter_*.deb`
# resolves the package's real Depends against that release.
#
# Usage: lab/debian/build-image.sh bookworm|trixie
# Prints three lines: the kernel, the initrd and the disk image (raw ext4; boot it with
# snapshot=on so the cached image never changes).
#
# Cached under $LAB_IMAGE_CACHE (default /var/tmp/multipath-exporter-lab) keyed by the release's
# package index (the hash of main/binary-amd64/Packages in the mirror's InRelease: it changes
# exactly when a package version does) and by this script and lab/debian/guest/*. A warm rerun
# costs one small InRelease download; without network the newest image of the release is used.
# The mirror is the one this machine's apt uses (or $LAB_DEBIAN_MIRROR).
set -euo pipefail
REL=${1:?usage: build-image.sh bookworm|trixie}
case $REL in bookworm|trixie) ;; *) echo "build-image: unsupported release $REL" >&2; exit 64 ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${LAB_IMAGE_CACHE:-/var/tmp/multipath-exporter-lab}
mkdir -p "$CACHE"
log() { echo "build-image[$REL]: $*" >&2; }

mirror() {
  if [[ -n ${LAB_DEBIAN_MIRROR:-} ]]; then echo "$LAB_DEBIAN_MIRROR"; return; fi
  # deb822 `URIs:` and one-line `deb URI suite` entries: the first URI of the main archive.
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{for (i = 2; i <= NF; i++) print $i}'
    grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break }}'
  } | grep -E '/debian/?$' | head -1 || true
}
MIRROR=$(mirror)
[[ -n $MIRROR ]] || { echo "build-image: no Debian mirror in /etc/apt/sources.list* (set LAB_DEBIAN_MIRROR)" >&2; exit 1; }

index=$(curl -fsS --max-time 30 "$MIRROR/dists/$REL/InRelease" 2>/dev/null | grep -E ' main/binary-amd64/Packages(\.xz)?$' || true)
if [[ -z $index ]]; then
  newest=$(ls -1dt "$CACHE"/debian-"$REL"-*/ 2>/dev/null | head -1 || true)
  [[ -n $newest && -s $newest/root.img ]] || { echo "build-image: cannot read $REL's index from the mirror and no cached image" >&2; exit 1; }
  log "mirror unreachable, using the cached $newest"
  printf '%s\n' "${newest%/}/vmlinuz" "${newest%/}/initrd.img" "${newest%/}/root.img"
  exit 0
fi
key=$( { echo "$REL"; echo "$index"; cat "$HERE/build-image.sh"; find "$HERE/guest" -type f | LC_ALL=C sort | xargs cat; } | sha256sum | cut -c1-16)
OUT=$CACHE/debian-$REL-$key
print_out() { printf '%s\n' "$OUT/vmlinuz" "$OUT/initrd.img" "$OUT/root.img"; }
if [[ -s $OUT/root.img ]]; then print_out; exit 0; fi

# One build per image at a time (two test runs may ask at once).
exec 9>"$CACHE/.lock-$REL"
flock 9
if [[ -s $OUT/root.img ]]; then print_out; exit 0; fi

t0=$SECONDS
STAGE=$(mktemp -d "$CACHE/stage-$REL.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
ROOT=$STAGE/root
# Run a command chrooted in the stage, in a private mount namespace (no mount outlives it).
in_root() {
  unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"' "$ROOT" "$@"
}

log "debootstrap from $MIRROR"
# ca-certificates as on any real node (and nodejs recommends it: installing it during the test
# would spend over a minute of emulated CPU in update-ca-certificates).
debootstrap --variant=minbase --include=systemd,systemd-sysv,udev,dbus,kmod,iproute2,ca-certificates,multipath-tools \
  "$REL" "$ROOT" "$MIRROR" >"$STAGE/debootstrap.log" 2>&1 || { tail -30 "$STAGE/debootstrap.log" >&2; exit 1; }
log "debootstrap done after $((SECONDS - t0)) s"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"

# The release's own kernel with a small initrd: only what finds and mounts the root disk.
mkdir -p "$ROOT/etc/initramfs-tools/conf.d"
echo 'MODULES=list' > "$ROOT/etc/initramfs-tools/conf.d/lab.conf"
printf '%s\n' virtio_pci virtio_blk ext4 crc32c_generic >> "$ROOT/etc/initramfs-tools/modules"
in_root apt-get install -y -qq --no-install-recommends linux-image-amd64 >"$STAGE/kernel.log" 2>&1 || { tail -30 "$STAGE/kernel.log" >&2; exit 1; }
log "kernel installed after $((SECONDS - t0)) s"

# The package under test's dependencies, from the release, as a flat file archive (see top);
# debootstrap's own downloads go first.
in_root apt-get clean
in_root apt-get install -y -qq --download-only nodejs procps >"$STAGE/seed.log" 2>&1 || { tail -30 "$STAGE/seed.log" >&2; exit 1; }
mkdir -p "$ROOT/var/lib/lab-archive"
mv "$ROOT"/var/cache/apt/archives/*.deb "$ROOT/var/lib/lab-archive/"
(cd "$ROOT/var/lib/lab-archive" && dpkg-scanpackages -m . 2>/dev/null > Packages)
echo 'deb [trusted=yes] file:/var/lib/lab-archive ./' > "$ROOT/etc/apt/sources.list"
rm -f "$ROOT"/etc/apt/sources.list.d/*
in_root apt-get update -qq >"$STAGE/update.log" 2>&1 || { tail -30 "$STAGE/update.log" >&2; exit 1; }
in_root apt-get clean
rm -f "$ROOT/etc/resolv.conf"

# The node's own configuration (lab/debian/guest/): network, 9p shares, the agent unit, scsi_debug,
# multipath.conf and the WWID the admin allow-listed before the exporter came.
cp -a "$HERE/guest/rootfs/." "$ROOT/"
mkdir -p "$ROOT/mnt/node" "$ROOT/mnt/run"
echo "lab-$REL" > "$ROOT/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 lab-%s\n' "$REL" > "$ROOT/etc/hosts"
echo "$key$key" > "$ROOT/etc/machine-id"
# Nothing periodic or interactive during a test run.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
  dpkg-db-backup.timer systemd-tmpfiles-clean.timer man-db.timer getty@tty1.service serial-getty@ttyS0.service \
  systemd-firstboot.service; do
  ln -sf /dev/null "$ROOT/etc/systemd/system/$unit"
done
in_root systemctl enable lab-net.service lab-agent.service >/dev/null 2>&1

mkdir -p "$STAGE/out"
cp -L "$ROOT/vmlinuz" "$STAGE/out/vmlinuz"
cp -L "$ROOT/initrd.img" "$STAGE/out/initrd.img"
in_root dpkg-query -W -f='${Package}=${Version}\n' > "$STAGE/out/packages.txt"
# The image's own packages: after a purge the agent removes whatever apt added beside them.
mkdir -p "$ROOT/etc/lab"
in_root dpkg-query -W -f='${Package}\n' > "$ROOT/etc/lab/packages"
(cd "$ROOT/var/lib/lab-archive" && ls -1 *.deb) > "$STAGE/out/archive.txt"
size_mb=$(( $(du -sm "$ROOT" | cut -f1) + 768 ))
truncate -s "${size_mb}M" "$STAGE/out/root.img"
mkfs.ext4 -q -F -L lab-root -d "$ROOT" "$STAGE/out/root.img"
rm -rf "$OUT"
mv "$STAGE/out" "$OUT"
# Keep only the newest image of this release.
find "$CACHE" -maxdepth 1 -name "debian-$REL-*" ! -path "$OUT" -exec rm -rf {} +
log "image ready after $((SECONDS - t0)) s (${size_mb} MB)"
print_out
