#!/usr/bin/env bash
# Installs what the tests and the demo need on a Debian machine: the JavaScript dependencies and
# the real tools they run (promtool/prometheus, alertmanager/amtool, victoria-metrics, multipath-tools, chromium,
# qemu and a kernel for the lab). Idempotent; says exactly what to install when it cannot.
#
# It never changes the state of a host service: no stop, restart or reload (the tests start their
# own Prometheus, Alertmanager and fake multipathd on free ports), and the packages Debian would
# start on install (prometheus, alertmanager, victoria-metrics) are installed with a policy-rc.d that denies every
# start, for the duration of the install only.
set -euo pipefail
cd "$(dirname "$0")/.."

# The root whose files are checked and whose policy-rc.d guards the install: / on a real machine,
# a scratch directory in test/scripts/install-deps.test.ts (with apt-get and npm stubbed on PATH).
ROOT="${DEPS_ROOT:-}"

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
    # the second engine of the multi-cluster e2e (single-node server and vmalert)
    [/usr/bin/victoria-metrics]=victoria-metrics
    [/usr/bin/vmalert]=victoria-metrics
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
# invoke-rc.d and deb-systemd-invoke ask policy-rc.d before starting a service; 101 means "no".
# An admin's own policy-rc.d is set aside and put back exactly (also after a run that was killed
# half-way: the saved copy wins); ours is removed.
POLICY="$ROOT/usr/sbin/policy-rc.d"
POLICY_SAVED="$POLICY.install-deps-saved"
deny_service_starts() {
  if [[ -e "$POLICY" && ! -e "$POLICY_SAVED" ]]; then mv "$POLICY" "$POLICY_SAVED"; fi
  trap allow_service_starts EXIT
  mkdir -p "$(dirname "$POLICY")"
  printf '#!/bin/sh\n# Written by scripts/install-deps.sh of multipath-exporter for one apt-get install.\nexit 101\n' > "$POLICY"
  chmod 755 "$POLICY"
}
allow_service_starts() {
  rm -f "$POLICY"
  if [[ -e "$POLICY_SAVED" ]]; then mv "$POLICY_SAVED" "$POLICY"; fi
  trap - EXIT
}

missing=()
for file in "${!NEED[@]}"; do [[ -e "$ROOT$file" ]] || missing+=("${NEED[$file]}"); done
if [[ "$PROFILE" == test ]] && ! compgen -G "$ROOT/boot/vmlinuz-*" >/dev/null; then missing+=(linux-image-amd64); fi
if ((${#missing[@]})); then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "install-deps: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    deny_service_starts
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    allow_service_starts
  else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
