#!/bin/bash
# build-deb.sh - build wstuned_<version>_<arch>.deb from this checkout into dist/.
# dpkg-buildpackage wants ./debian and writes to the parent directory, so the build runs on a copy
# of the tracked files in a temporary directory; the checkout itself is left as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
need=(dpkg-dev debhelper meson ninja-build pkg-config libsystemd-dev libcjson-dev libmnl-dev systemd)
missing=()
for p in "${need[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || { echo "build-deb: missing packages: ${missing[*]}" >&2; exit 2; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git ls-files -z | xargs -0 cp --parents -t "$work/src"
cp -r packaging/debian "$work/src/debian"
(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { cat "$work/build.log"; exit 1; }
mkdir -p "$top/dist"
cp "$work"/*.deb "$top/dist/"
ls "$top"/dist/*.deb
