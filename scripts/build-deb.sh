#!/usr/bin/env bash
# Builds the Debian package with dpkg-deb (no network, no debhelper): the bundled exporter
# (dist/multipath-exporter.mjs from `node scripts/build.mjs`, every JavaScript dependency inside),
# /usr/bin/multipath-exporter, the default config as a conffile, the systemd unit and its
# apply-mode drop-in, the man page and the maintainer scripts.
#
# Usage: scripts/build-deb.sh [--out DIR] [--version DEBVERSION] [--no-build] [--bundle FILE]
#   --out DIR          where the .deb goes (default dist/)
#   --version V        Debian version (default: package.json version + "-1")
#   --no-build         use the existing bundle instead of running scripts/build.mjs
#   --bundle FILE      package this bundle (implies --no-build)
# Prints the path of the .deb on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

out=dist
version=
build=1
bundle=dist/multipath-exporter.mjs
while (($#)); do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    --bundle) bundle=$2; build=0; shift 2 ;;
    *) echo "build-deb: unknown argument $1" >&2; exit 64 ;;
  esac
done
if [[ -z "$version" ]]; then
  # npm pre-release "0.2.0-rc.1" sorts before "0.2.0" only as Debian "0.2.0~rc.1".
  version="$(node -p 'require("./package.json").version' | sed 's/-/~/')-1"
fi
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$ ]]; then
  echo "build-deb: not a Debian version: $version" >&2
  exit 64
fi
if ((build)); then node scripts/build.mjs >&2; fi
[[ -s "$bundle" ]] || { echo "build-deb: no bundle at $bundle (run node scripts/build.mjs)" >&2; exit 1; }

# Reproducible: file dates from the last commit (or a fixed date outside git).
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 1700000000)}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
p=packaging
install -D -m 0644 "$bundle" "$root/usr/share/multipath-exporter/multipath-exporter.mjs"
install -D -m 0755 "$p/multipath-exporter" "$root/usr/bin/multipath-exporter"
install -D -m 0644 "$p/systemd/multipath-exporter.service" "$root/usr/lib/systemd/system/multipath-exporter.service"
install -D -m 0644 "$p/systemd/apply-mode.conf" "$root/usr/share/multipath-exporter/systemd/apply-mode.conf"
install -D -m 0644 "$p/config.yml" "$root/etc/multipath-exporter/config.yml"
install -D -m 0644 "$p/debian/default" "$root/etc/default/multipath-exporter"
install -d -m 0755 "$root/usr/share/man/man1" "$root/usr/share/doc/multipath-exporter"
gzip -9n < "$p/multipath-exporter.1" > "$root/usr/share/man/man1/multipath-exporter.1.gz"
install -m 0644 "$p/debian/copyright" "$root/usr/share/doc/multipath-exporter/copyright"
install -m 0644 "$p/web.yml.example" "$root/usr/share/doc/multipath-exporter/web.yml.example"
for doc in docs/*.md; do install -m 0644 "$doc" "$root/usr/share/doc/multipath-exporter/"; done
# Rules, Alertmanager example, Grafana dashboard and provisioning, example configs (install.md section 5).
for f in alerts/*.yml dashboards/*.json dashboards/provisioning/*.yml examples/*.yml; do
  if [[ -f "$f" ]]; then install -D -m 0644 "$f" "$root/usr/share/multipath-exporter/$f"; fi
done
printf 'multipath-exporter (%s) unstable; urgency=medium\n\n  * Package built by scripts/build-deb.sh.\n\n -- multipath-exporter maintainers <root@localhost>  %s\n' \
  "$version" "$(date -u -R -d "@$SOURCE_DATE_EPOCH")" | gzip -9n > "$root/usr/share/doc/multipath-exporter/changelog.Debian.gz"

install -d -m 0755 "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" "$p/debian/control.in" > "$root/DEBIAN/control"
install -m 0644 "$p/debian/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$p/debian/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

mkdir -p "$out"
deb="$out/multipath-exporter_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
