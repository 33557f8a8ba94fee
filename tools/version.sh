#!/bin/sh
# version.sh - the version of this source tree, as wstuned --version, the Version property and the
# Debian package show it. Prints one line.
#
# Usage: version.sh [BASE]   (BASE: meson's project version; read from meson.build when not given)
#        version.sh --dist   (meson dist script: writes .version into the tarball, see below)
#
#   a git checkout    BASE+N.gHASH  N: the number of commits HEAD contains, HASH: its abbreviated id;
#                                   ".dirty" at the end when tracked files have uncommitted changes.
#                                   0.1.0+155.g1b53f82
#   a release tarball the content of .version (meson dist and tools/build-deb.sh write it)
#   anything else     BASE
#
# Versions must sort in the order of the commits, or apt would not upgrade. A commit contains every
# commit before it, so N grows along the history, merges included; BASE only grows. N is not counted
# from the last tag (git describe): a tag made later would restart it, and the builds after the tag
# would sort below the ones before. dpkg sorts BASE before BASE+N, so a package built before this
# scheme (plain 0.1.0) is upgraded too. tests/unit/test-version.sh checks the order with dpkg.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd -P)

if [ "${1:-}" = --dist ]; then
        # meson dist runs this with the tarball's tree in MESON_DIST_ROOT (a git archive: no .git).
        "$src/tools/version.sh" >"${MESON_DIST_ROOT:?}/.version"
        exit 0
fi

base=${1:-$(sed -n "s/^[[:space:]]*version[[:space:]]*:[[:space:]]*'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)}
[ -n "$base" ] || { echo "version.sh: no version in $src/meson.build" >&2; exit 1; }

# Only the repository whose top is this tree: a tarball unpacked inside another checkout is a tarball.
top=$(git -C "$src" rev-parse --show-toplevel 2>/dev/null || true)
if [ -n "$top" ] && [ "$(cd "$top" && pwd -P)" = "$src" ] && git -C "$src" rev-parse -q --verify HEAD >/dev/null; then
        count=$(git -C "$src" rev-list --count HEAD)
        hash=$(git -C "$src" rev-parse --short=7 HEAD)
        dirty=
        # GIT_OPTIONAL_LOCKS=0: the index is not refreshed, so a build never holds git's lock.
        [ -z "$(GIT_OPTIONAL_LOCKS=0 git -C "$src" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=.dirty
        echo "$base+$count.g$hash$dirty"
elif [ -s "$src/.version" ]; then
        head -n 1 "$src/.version"
else
        echo "$base"
fi
