#!/bin/bash
# run-fuzzer.sh - the meson suite "fuzz" in a -Dfuzz=true build: run one libFuzzer target for a fixed
# number of executions, starting from its seed corpus. New inputs go to a temporary directory (the seed
# corpus in the source tree is only read), crash-*, leak-* and timeout-* files to $ARTIFACT_DIR.
#   run-fuzzer.sh FUZZER SEED_DIR RUNS ARTIFACT_DIR [LIBFUZZER_OPTION...]
set -euo pipefail
fuzzer=$1 seeds=$2 runs=$3 artifacts=$4
shift 4
mkdir -p "$artifacts"
work=$(mktemp -d "${TMPDIR:-/tmp}/wstuned-fuzz-XXXXXX")
trap 'rm -rf "$work"' EXIT
# -close_fd_mask=1: the targets print nothing worth keeping on stdout; libFuzzer's stats and sanitizer
# reports are on stderr. -timeout: one input taking this long is a finding (timeout-*).
"$fuzzer" -runs="$runs" -timeout=10 -close_fd_mask=1 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$@" "$work" "$seeds"
