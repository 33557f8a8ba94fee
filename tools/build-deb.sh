#!/bin/bash
# build-deb.sh - build wstuned_<version>_<arch>.deb from this checkout into dist/.
# dpkg-buildpackage wants ./debian and writes to the parent directory, so the build runs on a copy
# of the tracked files in a temporary directory; the checkout itself is left as it was.
#
# The version is tools/version.sh's (0.1.0+155.g1b53f82: each commit sorts above the one before, so
# apt upgrades an installed build). The copy gets it twice: in .version, which the build reads for
# wstuned --version and the Version property, and as a new top entry of its debian/changelog, which
# gives the package its version. packaging/debian/changelog is not changed.
#
# Usage: build-deb.sh [--version=V] [--out=DIR]
#   --version=V  build as version V instead (a Debian version; tests build an older and a newer one)
#   --out=DIR    put the .debs in DIR (default dist/); older wstuned .debs there are removed, so
#                "apt install ./dist/wstuned_*.deb" names one package
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
version='' out=$top/dist
for arg; do
        case $arg in
        --version=*) version=${arg#--version=} ;;
        --out=*) out=$(realpath -m "${arg#--out=}") ;;
        *) echo "usage: build-deb.sh [--version=V] [--out=DIR]" >&2; exit 2 ;;
        esac
done

need=(dpkg-dev debhelper meson ninja-build pkg-config libsystemd-dev libcjson-dev libmnl-dev systemd)
missing=()
for p in "${need[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" = 0 ] || { echo "build-deb: missing packages: ${missing[*]}" >&2; exit 2; }
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -n "$version" ] || version=$(tools/version.sh)
dpkg --validate-version "$version" || { echo "build-deb: \"$version\" is not a Debian version" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git ls-files -z | xargs -0 cp --parents -t "$work/src"
cp -r packaging/debian "$work/src/debian"
printf '%s\n' "$version" >"$work/src/.version"

# The changelog entry: this version, by the maintainer of the last entry, dated like the commit (the
# build is then reproducible; dpkg takes SOURCE_DATE_EPOCH from it). A version equal to the last
# entry's (a release tarball) needs none.
changelog=packaging/debian/changelog
if [ "$version" != "$(dpkg-parsechangelog -l "$changelog" -S Version)" ]; then
        if when=$(git log -1 --format=%ct 2>/dev/null) && [ -n "$when" ]; then
                what="Built from git commit $(git rev-parse --short=7 HEAD)"
                [ -z "$(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no)" ] || what="$what, with uncommitted changes"
        else
                when=$(date +%s) what="Built from a source tree"
        fi
        {
                printf 'wstuned (%s) unstable; urgency=medium\n\n  * %s.\n\n' "$version" "$what"
                printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$changelog" -S Maintainer)" "$(LC_ALL=C date -R -u -d "@$when")"
                cat "$changelog"
        } >"$work/src/debian/changelog"
fi

(cd "$work/src" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || { cat "$work/build.log"; exit 1; }
mkdir -p "$out"
rm -f "$out"/wstuned_*.deb "$out"/wstuned-dbgsym_*.deb
cp "$work"/*.deb "$out/"
ls "$out"/*.deb
