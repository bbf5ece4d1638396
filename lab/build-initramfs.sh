#!/usr/bin/env bash
# Builds the lab's guest initramfs from this machine's own Debian packages (busybox-static,
# multipath-tools, udev, the kernel's modules): no disk image, no download. Prints the path of the
# kernel and of the initramfs on stdout, one a line (read by lab/cluster.ts).
#
# Cached under lab/.build/ keyed by the package versions, the kernel version and the hash of this
# script and of lab/guest/init, so a rerun costs a few milliseconds.
set -euo pipefail
cd "$(dirname "$0")"
LAB_DIR=$PWD
BUILD_DIR=$LAB_DIR/.build
mkdir -p "$BUILD_DIR"

KVER=${LAB_KERNEL_VERSION:-}
if [[ -z $KVER ]]; then
  # The newest installed kernel that has its modules.
  for k in $(ls -1 /boot/vmlinuz-* 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V -r); do
    if [[ -d /lib/modules/$k/kernel ]]; then KVER=$k; break; fi
  done
fi
[[ -n $KVER ]] || { echo "build-initramfs: no kernel with modules (apt-get install linux-image-amd64)" >&2; exit 1; }
MODDIR=/lib/modules/$KVER

# Module order matters (insmod has no dependency resolution): crc64* before t10-pi and sd_mod, else "unknown symbol".
MODULES=(scsi_common scsi_mod crct10dif_common crct10dif_generic crc-t10dif crc64 crc64_rocksoft_generic
  crc64-rocksoft t10-pi sd_mod scsi_dh_alua dm-mod dm-multipath dm-round-robin dm-service-time
  dm-queue-length virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs
  fscache 9pnet 9pnet_virtio 9p failover net_failover virtio_net)
BINARIES=(/usr/sbin/multipathd /usr/sbin/multipath /usr/sbin/dmsetup /usr/sbin/kpartx
  /lib/systemd/systemd-udevd /usr/bin/udevadm /lib/udev/scsi_id /lib/udev/kpartx_id)
# The host's Node (shared over 9p) needs these beyond libc; multipathd dlopens libgcc_s.
EXTRA_LIBS=(/lib/x86_64-linux-gnu/libdl.so.2 /lib/x86_64-linux-gnu/libstdc++.so.6
  /lib/x86_64-linux-gnu/libm.so.6 /lib/x86_64-linux-gnu/libgcc_s.so.1 /lib/x86_64-linux-gnu/libpthread.so.0)
UDEV_RULES=(50-udev-default.rules 55-dm.rules 56-dm-mpath.rules 60-multipath.rules 60-kpartx.rules
  60-persistent-storage.rules 60-persistent-storage-dm.rules 95-dm-notify.rules)

for f in /bin/busybox "${BINARIES[@]}" "${EXTRA_LIBS[@]}" "$MODDIR/kernel/drivers/scsi/scsi_debug.ko"; do
  [[ -e $f ]] || { echo "build-initramfs: missing $f (run scripts/install-deps.sh)" >&2; exit 1; }
done

versions=$(dpkg-query -W -f='${Package}=${Version}\n' busybox-static multipath-tools udev libc6 libdevmapper1.02.1 \
  "linux-image-$KVER" 2>/dev/null | sort)
key=$( { echo "$KVER"; echo "$versions"; sha256sum "$LAB_DIR/build-initramfs.sh" "$LAB_DIR/guest/init" "$LAB_DIR/guest/udhcpc.sh"; } \
  | sha256sum | cut -c1-16)
OUT=$BUILD_DIR/initramfs-$key.cpio.gz
if [[ -s $OUT ]]; then echo "/boot/vmlinuz-$KVER"; echo "$OUT"; exit 0; fi

STAGE=$(mktemp -d "$BUILD_DIR/stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
cd "$STAGE"
mkdir -p usr/bin usr/sbin usr/lib/x86_64-linux-gnu usr/lib64 usr/lib/modules usr/lib/udev/rules.d \
  etc/multipath/conf.d etc/udev proc sys dev run tmp mnt/node mnt/run var/lib root
ln -s usr/bin bin; ln -s usr/sbin sbin; ln -s usr/lib lib; ln -s usr/lib64 lib64

# busybox with applet links (never over a real binary we copy below).
cp /bin/busybox usr/bin/busybox
for applet in $(/bin/busybox --list); do
  [[ -e usr/bin/$applet ]] || ln -s busybox "usr/bin/$applet"
done

# Copy a file to its merged-/usr path, following symlinks (the file keeps the name it was asked by).
put() {
  local src=$1 dst
  dst=${src#/}
  case $dst in usr/*) ;; *) dst=usr/$dst ;; esac
  mkdir -p "$(dirname "$dst")"
  rm -f "$dst"
  cp -L "$src" "$dst"
}
libs_of() { ldd "$1" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'; }

declare -A seen=()
for b in "${BINARIES[@]}" /lib/multipath/*.so /lib/x86_64-linux-gnu/libdevmapper-event*.so* "${EXTRA_LIBS[@]}"; do
  [[ -e $b ]] || continue
  put "$b"
  for l in $(libs_of "$b"); do
    [[ -n ${seen[$l]:-} ]] && continue
    seen[$l]=1
    put "$l"
  done
done
put /lib64/ld-linux-x86-64.so.2
# Resolve library names the dynamic loader will look for (libmultipath lives in /lib).
for r in "${UDEV_RULES[@]}"; do
  [[ -e /lib/udev/rules.d/$r ]] && cp "/lib/udev/rules.d/$r" usr/lib/udev/rules.d/
done
# Tools the rules call by absolute path.
ln -sf ../sbin/multipath usr/bin/multipath

for m in "${MODULES[@]}" scsi_debug; do
  f=$(find "$MODDIR/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
  [[ -n $f ]] || { echo "build-initramfs: module $m not found under $MODDIR" >&2; exit 1; }
  case $f in
    *.xz) xz -dc "$f" > "usr/lib/modules/$m.ko" ;;
    *.zst) zstd -qdc "$f" > "usr/lib/modules/$m.ko" ;;
    *) cp "$f" "usr/lib/modules/$m.ko" ;;
  esac
done
printf '%s\n' "${MODULES[@]}" > usr/lib/modules/order

cp "$LAB_DIR/guest/init" init
cp "$LAB_DIR/guest/udhcpc.sh" etc/udhcpc.sh
chmod 0755 init etc/udhcpc.sh
echo "root:x:0:0:root:/root:/bin/sh" > etc/passwd
echo "root:x:0:" > etc/group
: > etc/udev/udev.conf
echo "$versions" > etc/lab-packages

tmp=$(mktemp "$BUILD_DIR/initramfs.XXXXXX")
find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 | gzip -1 > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$OUT"
# Keep only the newest build.
find "$BUILD_DIR" -maxdepth 1 -name 'initramfs-*.cpio.gz' ! -path "$OUT" -delete
echo "/boot/vmlinuz-$KVER"
echo "$OUT"
