#!/bin/bash
# coverage.sh - line and branch coverage of the daemon's sources by what the fuzz targets were fed: each
# replay binary, built with clang's source-based coverage in build-cov/, runs over a corpus, and llvm-cov
# reports the files that target is about.
#   fuzz/coverage.sh [CORPUS_ROOT]   CORPUS_ROOT/<target>/ holds the inputs (default: fuzz/corpus, the seeds)
# A long run's corpus (the first directory given to the fuzzer) can be passed the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
corpora=${1:-fuzz/corpus}
build=build-cov

declare -A files=(
        [fuzz-profile]="profile.c settings.c state.c json.c"
        [fuzz-docker-json]="limit-files.c"
        [fuzz-conntrack]="conntrack.c"
        [fuzz-sockdiag]="sockdiag.c"
        [fuzz-netstat]="netstat.c proc-limits.c"
        [fuzz-bus]="bus-manager.c manager.c plan.c limits-apply.c proc-limits.c"
)

if [ ! -f "$build/build.ninja" ]; then
        CC=clang meson setup "$build" -Dc_args='-fprofile-instr-generate -fcoverage-mapping' \
                -Dc_link_args=-fprofile-instr-generate >/dev/null
fi
ninja -C "$build" $(for t in "${!files[@]}"; do printf 'fuzz/%s-replay ' "$t"; done) >/dev/null

profiles=$(mktemp -d "${TMPDIR:-/tmp}/wstuned-cov-XXXXXX")
trap 'rm -rf "$profiles"' EXIT
for t in fuzz-profile fuzz-docker-json fuzz-conntrack fuzz-sockdiag fuzz-netstat fuzz-bus; do
        [ -d "$corpora/$t" ] || { echo "$t: no $corpora/$t, skipped"; continue; }
        LLVM_PROFILE_FILE="$profiles/$t.profraw" "$build/fuzz/$t-replay" "$corpora/$t" >/dev/null 2>&1 || true
        llvm-profdata merge -sparse "$profiles/$t.profraw" -o "$profiles/$t.profdata"
        echo "== $t ($(find "$corpora/$t" -type f | wc -l) inputs): lines, branches covered"
        # columns: file, regions (3), functions (3), lines (3), branches (3)
        llvm-cov report "$build/fuzz/$t-replay" -instr-profile="$profiles/$t.profdata" |
                awk -v want=" ${files[$t]} " '{ n = split($1, p, "/"); f = p[n] }
                        $1 ~ /daemon\// && index(want, " " f " ") {
                                printf "  %-16s %5d/%-5d %7s   %5d/%-5d %7s\n", f, $8 - $9, $8, $10, $11 - $12, $11, $13 }'
done
