#!/bin/bash
# test.sh - install dependencies, build, and run the whole test suite twice: a plain build and an
# AddressSanitizer + UndefinedBehaviorSanitizer build. Needs root (namespaces, private journald);
# changes nothing on the host. Prints one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tools/test.sh: run as root (sudo tools/test.sh)" >&2; exit 2; }
tools/deps.sh || exit 2

total_ok=0 total_fail=0 total_skip=0 status=0
run_suite() { # BUILD_DIR MESON_SETUP_ARGS...
        local dir=$1 start=$SECONDS
        shift
        echo "=== build $dir $*"
        if [ ! -f "$dir/build.ninja" ]; then
                meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; status=1; return; }
        fi
        ninja -C "$dir" >/dev/null || { ninja -C "$dir"; status=1; return; }
        echo "=== test $dir"
        local out
        out=$(meson test -C "$dir" --print-errorlogs 2>&1)
        local rc=$?
        printf '%s\n' "$out" | grep -Ev '^\s*$'
        [ $rc = 0 ] || status=1
        local ok fail skip
        ok=$(printf '%s\n' "$out" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p')
        fail=$(printf '%s\n' "$out" | awk '/^(Fail|Unexpected Pass|Timeout): */ { n += $NF } END { print n + 0 }')
        skip=$(printf '%s\n' "$out" | sed -n 's/^Skipped: *\([0-9]*\).*/\1/p')
        total_ok=$((total_ok + ${ok:-0})) total_fail=$((total_fail + fail)) total_skip=$((total_skip + ${skip:-0}))
        echo "=== $dir took $((SECONDS - start)) s"
}

run_suite build
run_suite build-asan -Db_sanitize=address,undefined

echo "wstuned: $total_ok passed, $total_fail failed, $total_skip skipped"
[ $status = 0 ] && [ $total_fail = 0 ] && [ $total_ok -gt 0 ]
