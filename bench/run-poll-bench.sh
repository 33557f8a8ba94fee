#!/bin/bash
# run-poll-bench.sh - the drift watch's benchmark (DESIGN.md §9): what one poll cycle over 20 keys costs
# next to its floor of 20 plain open/read/close of the same /proc/sys files, in wall time (bench-poll)
# and in instructions (callgrind); then the CPU the real daemon uses over a minute idle and over a minute
# of a fight with another writer, with the journal entries that fight produced. Everything happens in
# the integration tests' sandbox (private bus and journald, the daemon and bench-poll in one throwaway
# network namespace, whose per-namespace keys are the bench keys), so nothing on the host changes.
# Figures only: exits 0 when the measurements ran, whatever the numbers; 77 (SKIP) with the reason when
# the sandbox cannot run here.
#
# Usage: run-poll-bench.sh [BUILD_DIR]   (or WSTUNED_BUILD in the environment)
# BENCH_POLL_CYCLES  timed cycles per series (default 20000)
# BENCH_CG_CYCLES    cycles under callgrind (default 1000)
# BENCH_IDLE_SECONDS, BENCH_FIGHT_SECONDS  length of the two daemon measurements (default 60 each)
set -u -o pipefail

BENCH_SOURCE=$(cd "$(dirname "$0")" && pwd)
WSTUNED_BUILD=${1:-${WSTUNED_BUILD:-}}
[ -n "$WSTUNED_BUILD" ] || { echo "usage: run-poll-bench.sh BUILD_DIR" >&2; exit 2; }
WSTUNED_BUILD=$(cd "$WSTUNED_BUILD" && pwd) || exit 2
export WSTUNED_BUILD
: "${BENCH_POLL_CYCLES:=20000}" "${BENCH_CG_CYCLES:=1000}" "${BENCH_IDLE_SECONDS:=60}" "${BENCH_FIGHT_SECONDS:=60}"
# meson test may set it for tests; it makes every malloc and free write memory.
unset MALLOC_PERTURB_

export SB_JOURNAL=1 # the daemon logs to a private journald, as under systemd
# shellcheck source=SCRIPTDIR/../tests/integration/sandbox.sh
. "$BENCH_SOURCE/../tests/integration/sandbox.sh"

why=$(sandbox_cannot_run)
if [ -n "$why" ]; then
        echo "SKIP: $why"
        exit 77
fi
sandbox_reexec "$0" "$WSTUNED_BUILD"

BENCH=$WSTUNED_BUILD/bench/bench-poll
[ -x "$BENCH" ] || { echo "no bench-poll in $WSTUNED_BUILD/bench" >&2; exit 1; }
FIGHT_KEY=net.core.somaxconn
FIGHT_RATE=100

fail() {
        echo "run-poll-bench: $*" >&2
        exit 1
}

for v in BENCH_POLL_CYCLES BENCH_CG_CYCLES BENCH_IDLE_SECONDS BENCH_FIGHT_SECONDS; do
        if ! [[ ${!v} =~ ^[1-9][0-9]*$ ]]; then
                fail "$v must be a positive integer, not '${!v}'"
        fi
done

id_of() { sed -n "s/^#define WSTUNED_MESSAGE_$1 \"\([0-9a-f]*\)\"/\1/p" "$WSTUNED_SOURCE/daemon/journal.h"; }
# Journal entries of one kind (DRIFT_CORRECTED, KEY_FIGHTING, ...), or of the daemon's process with "pid".
entries() {
        if [ "$1" = pid ]; then
                sb_journal -o json _PID="$WSTUNED_PID" 2>/dev/null | grep -c .
        else
                sb_journal -o json MESSAGE_ID="$(id_of "$1")" 2>/dev/null | grep -c .
        fi
}
# CPU time (ns) and times scheduled in, summed over the daemon's threads: "ns runs".
cpu_of() { cat /proc/"$1"/task/*/schedstat | awk '{ ns += $1; runs += $3 } END { printf "%.0f %.0f\n", ns, runs }'; }
now_ns() { date +%s%N; }
# pct CPU_NS WALL_NS: share of one CPU in percent
pct() { awk -v c="$1" -v w="$2" 'BEGIN { printf "%.4f", (w > 0 ? 100 * c / w : 0) }'; }
# div A B [FORMAT]: A / B, 0 when B is 0 (parenthesised: in awk, "print x > y" writes to a file named y)
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { printf f, (b != 0 ? a / b : 0) }'; }

sandbox_start || fail "sandbox did not start"

printf 'wstuned drift-poll benchmark: %s CPUs, kernel %s, build type %s\n\n' "$(nproc)" "$(uname -r)" \
        "${WSTUNED_BUILDTYPE:-unknown}"

# 1. Wall time, in process, before the daemon runs (it would poll the same keys once a second).
in_ns "$BENCH" -n "$BENCH_POLL_CYCLES" 2>"$SB/bench-poll.log" || {
        cat "$SB/bench-poll.log" >&2
        fail "bench-poll failed"
}
echo

# 2. Instructions, user space only: a cycle's cost is the difference between K cycles and none, so the
# start-up (loading the profile, applying it) drops out.
cg_total() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1"; }
cg_run() { # MODE K → instructions of the whole run
        local out=$SB/callgrind.$1.$2
        in_ns valgrind --tool=callgrind --callgrind-out-file="$out" "$BENCH" --"$1"="$2" \
                >/dev/null 2>"$out.log" || { cat "$out.log" >&2; return 1; }
        cg_total "$out"
}
if command -v valgrind >/dev/null; then
        declare -A per_cycle
        for mode in cycles floor-cycles pread-cycles; do
                base=$(cg_run "$mode" 0) || fail "callgrind of bench-poll --$mode=0 failed"
                total=$(cg_run "$mode" "$BENCH_CG_CYCLES") || fail "callgrind of bench-poll --$mode failed"
                per_cycle[$mode]=$(( (total - base) / BENCH_CG_CYCLES ))
        done
        poll=${per_cycle[cycles]} floor=${per_cycle[floor-cycles]} pr=${per_cycle[pread-cycles]}
        echo "instructions per cycle (callgrind, user space only: the kernel's side of each syscall is not counted;"
        echo "(run of $BENCH_CG_CYCLES cycles − run of 0) ÷ $BENCH_CG_CYCLES):"
        # labels in ASCII: printf pads by bytes or by characters depending on the locale
        printf '  %-34s %8d Ir %8s per key %6s× floor %6s× pread\n' \
                "manager_poll(), 20 keys" "$poll" "$(div "$poll" 20 %.1f)" "$(div "$poll" "$floor")" "$(div "$poll" "$pr")" \
                "floor: 20 open/read/close" "$floor" "$(div "$floor" 20 %.1f)" "$(div "$floor" "$floor")" "$(div "$floor" "$pr")" \
                "ref: 20 pread on kept fds" "$pr" "$(div "$pr" 20 %.1f)" "$(div "$pr" "$floor")" "$(div "$pr" "$pr")"
        printf '  target manager_poll() ≤ 2× the floor, in instructions: %s\n' \
                "$( [ "$poll" -le $((2 * floor)) ] && echo met || echo "NOT met (the floor's user space is only syscall wrappers)")"
        # Where a poll's instructions go: only what runs inside manager_poll() is collected.
        out=$SB/callgrind.inside-poll
        if in_ns valgrind --tool=callgrind --toggle-collect=manager_poll --callgrind-out-file="$out" "$BENCH" \
                --cycles="$BENCH_CG_CYCLES" >/dev/null 2>"$out.log" && command -v callgrind_annotate >/dev/null; then
                echo "  inside manager_poll(), per cycle, by function (self):"
                callgrind_annotate "$out" 2>/dev/null |
                        awk -v k="$BENCH_CG_CYCLES" 'match($0, /^ *[0-9,]+ \( *[0-9.]+%\) +[^ ]+:[^ ]+/) && shown < 8 {
                                     ir = $1; gsub(/,/, "", ir)
                                     share = $0; sub(/^[^(]*\( */, "", share); sub(/\).*/, "", share)
                                     fn = $0; sub(/^[^)]*\) +/, "", fn); sub(/ .*/, "", fn); sub(/.*:/, "", fn)
                                     printf "    %-28s %7.0f Ir  %6s\n", fn, ir / k, share; shown++ }'
        fi
else
        echo "instructions per cycle: SKIP (valgrind not installed; apt-get install valgrind)"
fi
echo

# 3. The real daemon: the 20 keys at their values, the default poll (1000 ms) and fight parameters.
in_ns "$BENCH" --write-profile="$SB_ROOT/etc/wstuned/profiles/bench.json" || fail "cannot write the profile"
printf '{ "profile": "bench" }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
# shellcheck disable=SC2119 # no extra arguments for the daemon
wstuned_start || fail "wstuned did not start"
[ "$(cat "/proc/$WSTUNED_PID/comm")" = wstuned ] || fail "pid $WSTUNED_PID is not wstuned"
BUS_PROP=(busctl --system get-property io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager)
[ "$("${BUS_PROP[@]}" ActiveProfile)" = 's "bench"' ] || fail "profile bench is not active"
sleep 2 # past start-up and the first polls
[ "$("${BUS_PROP[@]}" State)" = 's "ok"' ] || fail "state is not ok: $("${BUS_PROP[@]}" State)"

read -r c0 r0 < <(cpu_of "$WSTUNED_PID")
t0=$(now_ns)
sleep "$BENCH_IDLE_SECONDS"
read -r c1 r1 < <(cpu_of "$WSTUNED_PID")
t1=$(now_ns)
idle_ns=$((c1 - c0)) idle_runs=$((r1 - r0)) idle_wall=$((t1 - t0))
idle_state=$("${BUS_PROP[@]}" State)

# The fight: another writer sets one managed key FIGHT_RATE times a second; the daemon corrects it at each
# poll until more than fight_corrections (5) corrections in fight_window_ms (60 s), then backs off
# fight_backoff_ms (60 s): within one minute, about 5 corrections and one "fighting" entry.
want=$(in_ns sysctl -n "$FIGHT_KEY")
other=$((want == 1000 ? 2000 : 1000))
corrected0=$(entries DRIFT_CORRECTED) fighting0=$(entries KEY_FIGHTING) all0=$(entries pid)
read -r c0 r0 < <(cpu_of "$WSTUNED_PID")
t0=$(now_ns)
writer=$(in_ns "$BENCH" --writer="$FIGHT_KEY" --value="$other" --rate="$FIGHT_RATE" \
        --seconds="$BENCH_FIGHT_SECONDS") || fail "the writer failed"
read -r c1 r1 < <(cpu_of "$WSTUNED_PID")
t1=$(now_ns)
fight_ns=$((c1 - c0)) fight_runs=$((r1 - r0)) fight_wall=$((t1 - t0))
sleep 0.5 # let journald store the last entries
corrected=$(( $(entries DRIFT_CORRECTED) - corrected0 ))
fighting=$(( $(entries KEY_FIGHTING) - fighting0 ))
all=$(( $(entries pid) - all0 ))
key_state=$(busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager Get as 1 \
        "$FIGHT_KEY" | awk '{ print $NF }')

echo "daemon CPU (schedstat of wstuned, poll 1000 ms, profile of the 20 keys):"
printf '  idle %5s s: %8.3f ms CPU = %s %% of one CPU, %d times scheduled, %.1f µs each; state %s\n' \
        "$(div "$idle_wall" 1000000000 %.1f)" "$(div "$idle_ns" 1000000 %.3f)" \
        "$(pct "$idle_ns" "$idle_wall")" "$idle_runs" \
        "$(div "$idle_ns" $((idle_runs * 1000)) %.1f)" "${idle_state#s }"
printf '    target < 0.1 %% (design ≤ 0.01 %%): %s\n' \
        "$(awk -v p="$(pct "$idle_ns" "$idle_wall")" 'BEGIN { print (p < 0.01 ? "met, and the design stretch" : p < 0.1 ? "met (not the ≤ 0.01 % stretch)" : "NOT met") }')"
printf '  fight %4s s: %8.3f ms CPU = %s %% of one CPU, %d times scheduled; key %s ends %s\n' \
        "$(div "$fight_wall" 1000000000 %.1f)" "$(div "$fight_ns" 1000000 %.3f)" \
        "$(pct "$fight_ns" "$fight_wall")" "$fight_runs" "$FIGHT_KEY" "$key_state"
printf '    %s\n' "${writer#\# }"
printf '    journal entries during the fight: %d drift-corrected, %d fighting, %d in all from wstuned\n' \
        "$corrected" "$fighting" "$all"
echo "    (default fight parameters: > 5 corrections in 60 s is a fight, then a 60 s back-off, doubling)"
exit 0
