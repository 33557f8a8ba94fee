#!/bin/bash
# test.sh - install dependencies, build, and run the whole test suite in stages: the unit and
# integration suites on a plain build, the system suites on the same build (the .deb in a booted
# container, then in a qemu VM with Debian's kernel), the unit and integration suites again on an
# AddressSanitizer + UndefinedBehaviorSanitizer build (the system suites test the packaged binaries) and
# under valgrind memcheck; then an optimised build of everything (tests and benchmarks too), whose
# warnings are errors as well; last, the fuzz targets built with clang and libFuzzer (ASan + UBSan), each
# run a fixed number of times from its seed corpus (fuzz/README.md).
# Needs root (namespaces, private journald, nspawn); changes nothing on the host. Prints each
# stage's duration and one summary line at the end.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
[ "$(id -u)" = 0 ] || { echo "tools/test.sh: run as root (sudo tools/test.sh)" >&2; exit 2; }
tools/deps.sh || exit 2

total_ok=0 total_fail=0 total_skip=0 status=0
durations=()

build() { # BUILD_DIR MESON_SETUP_ARGS...
        local dir=$1
        shift
        echo "=== build $dir $*"
        if [ ! -f "$dir/build.ninja" ]; then
                mkdir -p "$dir"
                meson setup "$dir" "$@" >"$dir/setup.log" 2>&1 || { cat "$dir/setup.log"; return 1; }
        fi
        ninja -C "$dir" >/dev/null || { ninja -C "$dir"; return 1; }
}

run_tests() { # BUILD_DIR MESON_TEST_ARGS...
        local dir=$1
        shift
        echo "=== test $dir $*"
        local out
        out=$(meson test -C "$dir" --print-errorlogs "$@" 2>&1)
        local rc=$?
        printf '%s\n' "$out" | grep -Ev '^\s*$'
        [ $rc = 0 ] || status=1
        local ok fail skip
        ok=$(printf '%s\n' "$out" | sed -n 's/^Ok: *\([0-9]*\).*/\1/p')
        fail=$(printf '%s\n' "$out" | awk '/^(Fail|Unexpected Pass|Timeout): */ { n += $NF } END { print n + 0 }')
        skip=$(printf '%s\n' "$out" | sed -n 's/^Skipped: *\([0-9]*\).*/\1/p')
        total_ok=$((total_ok + ${ok:-0})) total_fail=$((total_fail + fail)) total_skip=$((total_skip + ${skip:-0}))
}

stage() { # NAME COMMAND...  (runs COMMAND, records how long it took)
        local name=$1 start=$SECONDS
        shift
        "$@"
        durations+=("$name $((SECONDS - start)) s")
        echo "=== $name took $((SECONDS - start)) s"
}

plain() { build build || { status=1; return 1; }; run_tests build --no-suite system --no-suite system-vm; }
# -v: the PASS/FAIL lines, systemd-analyze's exposure and the VM's timings go to the CI log.
system() { build build || { status=1; return 1; }; run_tests build --suite system -v; }
vm() { build build || { status=1; return 1; }; run_tests build --suite system-vm -v; }
asan() {
        build build-asan -Db_sanitize=address,undefined || { status=1; return 1; }
        run_tests build-asan --no-suite system --no-suite system-vm
}
# The unit tests and the integration tests' daemon under memcheck (tests/valgrind.sh): leaks and invalid
# accesses the sanitizers do not see (uninitialised reads), on the plain build.
memcheck() { build build || { status=1; return 1; }; run_tests build --setup valgrind --no-suite system --no-suite system-vm; }

# The package is built -O2 and benchmarks want -O3: the optimiser's warnings (errors here) must show too.
release() { build build-release --buildtype=release || { status=1; total_fail=$((total_fail + 1)); }; }

# clang + libFuzzer: the suite "fuzz" runs each target -runs=N from its seed corpus (a few seconds each).
# -Dtests=false: only the daemon, the client and the fuzzers (the replays ran in the stages above).
fuzz() {
        if ! command -v clang >/dev/null; then
                echo "=== fuzz: SKIP: clang is not installed (tools/deps.sh installs it)"
                total_skip=$((total_skip + 1))
                return 0
        fi
        CC=clang build build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false ||
                { status=1; total_fail=$((total_fail + 1)); return 1; }
        run_tests build-fuzz --suite fuzz
}

stage unit+integration plain
stage system-container system
stage system-vm vm
stage asan asan
stage valgrind memcheck
stage release-build release
stage fuzz fuzz

summary=$(printf '%s, ' "${durations[@]}")
echo "=== stages: ${summary%, }"
echo "wstuned: $total_ok passed, $total_fail failed, $total_skip skipped"
[ $status = 0 ] && [ $total_fail = 0 ] && [ $total_ok -gt 0 ]
