#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian machine: the JavaScript dependencies and
# the real tools they run (promtool/prometheus, alertmanager/amtool, multipath-tools, chromium,
# qemu and a kernel for the lab). Idempotent; says exactly what to install when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages, keyed by a file each one installs. Profile `demo` (npm run demo) needs only
# Prometheus and Alertmanager; `test` (npm test, the default) needs everything the tests run.
PROFILE="${DEPS_PROFILE:-test}"
declare -A NEED=(
  [/usr/bin/prometheus]=prometheus
  [/usr/bin/promtool]=prometheus
  [/usr/bin/prometheus-alertmanager]=prometheus-alertmanager
  [/usr/bin/amtool]=prometheus-alertmanager
)
if [[ "$PROFILE" == test ]]; then
  NEED+=(
    [/sbin/multipath]=multipath-tools
    [/usr/bin/chromium]=chromium
    # TLS tests, the .deb, the unit, the clean Debian 12 root, the install guide
    [/usr/bin/openssl]=openssl
    [/usr/bin/python3]=python3
    [/usr/bin/htpasswd]=apache2-utils
    [/usr/bin/systemd-analyze]=systemd
    [/usr/sbin/debootstrap]=debootstrap
    # the qemu lab
    [/usr/bin/qemu-system-x86_64]=qemu-system-x86
    [/bin/busybox]=busybox-static
    [/lib/systemd/systemd-udevd]=udev
    [/usr/bin/cpio]=cpio
    [/usr/bin/unshare]=util-linux
    # the lab's Debian 12/13 node images (lab/debian/build-image.sh)
    [/usr/bin/dpkg-scanpackages]=dpkg-dev
    [/usr/sbin/mkfs.ext4]=e2fsprogs
    [/usr/bin/curl]=curl
  )
fi
missing=()
for file in "${!NEED[@]}"; do [[ -e "$file" ]] || missing+=("${NEED[$file]}"); done
if [[ "$PROFILE" == test ]] && ! compgen -G '/boot/vmlinuz-*' >/dev/null; then missing+=(linux-image-amd64); fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
# Debian starts the services it installs; our tests start their own on free ports.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter multipathd multipathd.socket; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
