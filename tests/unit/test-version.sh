#!/bin/bash
# test-version.sh - tools/version.sh on scratch trees: plain version without git, .version in a
# tarball (written by meson dist's script), BASE+N.gHASH in a git checkout, ".dirty" with uncommitted
# changes; every next commit, a dirty tree and a raised project version sort above the one before
# with dpkg --compare-versions (what apt uses to decide an upgrade), as does any build above a plain
# 0.1.0. The built wstuned and wstunectl print this tree's version.
set -u
. "$(dirname "$0")/../integration/assert.sh"
: "${WSTUNED_SOURCE:?}"
for tool in git dpkg; do
        command -v "$tool" >/dev/null || skip_test "$tool is not installed"
done

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export GIT_CONFIG_NOSYSTEM=1 HOME=$T GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com \
        GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com

# A tree with what version.sh reads: tools/version.sh and meson.build's project version.
mktree() { # DIR VERSION
        mkdir -p "$1/tools"
        cp "$WSTUNED_SOURCE/tools/version.sh" "$1/tools/"
        printf "project('wstuned', 'c',\n        version : '%s',\n        license : 'LGPL-2.1-or-later')\n" "$2" >"$1/meson.build"
}
commit() { git -C "$R" add -A && git -C "$R" commit -q -m "$1" && "$R/tools/version.sh"; }
# lt WHAT A B: dpkg sorts A before B (an installed A is upgraded by B).
lt() { check_rc "$1: $2 < $3" 0 dpkg --compare-versions "$2" lt "$3"; }

# ---- no git
mktree "$T/plain" 0.1.0
check_eq "no git, no .version: the project version" 0.1.0 "$("$T/plain/tools/version.sh")"
check_eq "an explicit base wins over meson.build" 0.3.0 "$("$T/plain/tools/version.sh" 0.3.0)"
printf '0.1.0+7.gabcdef0\n' >"$T/plain/.version"
check_eq "tarball: .version" 0.1.0+7.gabcdef0 "$("$T/plain/tools/version.sh")"

# ---- a git checkout
R=$T/repo
mktree "$R" 0.1.0
git init -q "$R"
printf '0.0.1\n' >"$R/.version" # a stray .version: git's answer wins in a checkout
echo /.version >"$R/.gitignore"
v1=$(commit first)
check_match "first commit: BASE+1.gHASH" '^0\.1\.0\+1\.g[0-9a-f]{7}$' "$v1"
check_eq "the hash is HEAD's" "${v1##*.g}" "$(git -C "$R" rev-parse --short=7 HEAD)"
check_rc "a valid Debian version" 0 dpkg --validate-version "$v1"
lt "a build before this scheme is upgraded" 0.1.0 "$v1"

echo change >>"$R/meson.build"
v1d=$("$R/tools/version.sh")
check_eq "uncommitted change: .dirty" "$v1.dirty" "$v1d"
lt "dirty sorts above its commit" "$v1" "$v1d"
echo untracked >"$R/notes"
git -C "$R" checkout -q meson.build
check_eq "untracked files are not a change" "$v1" "$("$R/tools/version.sh")"
rm "$R/notes"

prev=$v1d
for i in $(seq 2 11); do
        echo "$i" >"$R/f"
        v=$(commit "commit $i")
        check_match "commit $i: BASE+$i" "^0\.1\.0\+$i\.g[0-9a-f]{7}$" "$v"
        lt "commit $i upgrades the one before" "$prev" "$v"
        prev=$v
done
v9=$(git -C "$R" rev-parse --short=7 HEAD~2)
lt "numbers compare as numbers, not text" "0.1.0+9.g$v9" "$prev"

# A tag does not restart the count (git describe would, and sort later builds below earlier ones).
git -C "$R" tag v0.1.0
echo 12 >"$R/f"
v=$(commit "after a tag")
check_match "after a tag: still counted from the first commit" '^0\.1\.0\+12\.' "$v"
lt "after a tag" "$prev" "$v"
prev=$v

# A merge: the branch's commits count too, and the result sorts above both parents.
git -C "$R" checkout -q -b side HEAD~3
for i in 1 2 3 4 5 6; do echo "$i" >"$R/side-$i" && side=$(commit "side $i"); done
git -C "$R" checkout -q -
git -C "$R" merge -q --no-edit side
merged=$("$R/tools/version.sh")
lt "a merge sorts above the branch it merged" "$side" "$merged"
lt "a merge sorts above its first parent" "$prev" "$merged"
prev=$merged

sed -i "s/'0.1.0'/'0.2.0'/" "$R/meson.build"
v=$(commit "version 0.2.0")
check_match "a new project version" '^0\.2\.0\+[0-9]+\.g' "$v"
lt "a new project version" "$prev" "$v"

# What the container's upgrade test builds: the same tree as an older version.
lt "the upgrade test's older build" "$v~prev" "$v"

# ---- meson dist: the tarball carries the checkout's version
mkdir "$T/dist"
check_rc "version.sh --dist" 0 env MESON_DIST_ROOT="$T/dist" "$R/tools/version.sh" --dist
check_eq "dist: .version" "$v" "$(cat "$T/dist/.version")"
mktree "$T/dist" 0.2.0
check_eq "dist: the unpacked tarball" "$v" "$("$T/dist/tools/version.sh")"
# Unpacked inside another checkout: the tarball's own version, not the outer repository's.
mkdir "$R/vendor" && cp -a "$T/dist" "$R/vendor/wstuned"
check_eq "a tarball inside another checkout" "$v" "$("$R/vendor/wstuned/tools/version.sh")"

# ---- the programs built from this tree
if [ -n "${WSTUNED_BUILD:-}" ] && [ -x "$WSTUNED_BUILD/daemon/wstuned" ]; then
        want=$("$WSTUNED_SOURCE/tools/version.sh")
        check_eq "wstuned --version" "wstuned $want" "$("$WSTUNED_BUILD/daemon/wstuned" --version)"
        check_eq "wstunectl --version" "wstunectl $want" "$("$WSTUNED_BUILD/client/wstunectl" --version)"
fi
test_finish
