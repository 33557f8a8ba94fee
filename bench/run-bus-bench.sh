#!/bin/bash
# run-bus-bench.sh - bus load on wstuned (DESIGN.md §9: >= 10k bus calls/s on 2 cores with flat memory):
# 4 client processes x 25,000 calls each at the daemon with the ws-server profile, the mix 40 % Get of
# the profile's keys, 20 % Verify, 30 % property reads (Properties.Get, GetAll), 10 % Apply, which an
# unprivileged caller makes and the daemon refuses (AccessDenied: no polkit on the private bus). Once
# with pipelined clients (BENCH_BUS_WINDOW calls in flight each), once with synchronous ones (one call
# at a time, as wstunectl and busctl make them). Then the floors with the same clients: Peer.Ping on the
# daemon (through the broker, no work) and GetId on the broker alone; and what a user would otherwise
# run per check, `sysctl -n` of the profile's keys and `busctl call ... Verify`, as processes in
# parallel shell loops. The daemon's VmRSS is read after the apply, after a warm-up and after each
# measured run: the growth over the two measured runs must stay within 5 %.
#
# Everything happens in the integration tests' sandbox (private bus with the project's busconfig, the
# daemon in its own network namespace), so nothing on the host changes. Figures only: exits 0 when the
# measurements ran, whatever the numbers; 77 (SKIP) with the reason when the sandbox cannot run here.
#
# Usage: run-bus-bench.sh [BUILD_DIR]   (or WSTUNED_BUILD in the environment)
# BENCH_BUS_CLIENTS      client processes (default 4)
# BENCH_BUS_CALLS        timed calls per client and run (default 25000)
# BENCH_BUS_WINDOW       calls in flight per pipelined client (default 8)
# BENCH_BUS_WARMUP       calls per client in the warm-up run before the RSS baseline (default 2500)
# BENCH_BUS_ANCHOR_RUNS  processes per shell loop for the sysctl and busctl anchors (default 250)
set -u -o pipefail

BENCH_SOURCE=$(cd "$(dirname "$0")" && pwd)
WSTUNED_BUILD=${1:-${WSTUNED_BUILD:-}}
[ -n "$WSTUNED_BUILD" ] || { echo "usage: run-bus-bench.sh BUILD_DIR" >&2; exit 2; }
WSTUNED_BUILD=$(cd "$WSTUNED_BUILD" && pwd) || exit 2
export WSTUNED_BUILD
: "${BENCH_BUS_CLIENTS:=4}" "${BENCH_BUS_CALLS:=25000}" "${BENCH_BUS_WINDOW:=8}" "${BENCH_BUS_WARMUP:=2500}"
: "${BENCH_BUS_ANCHOR_RUNS:=250}"
# meson test may set it for tests; it makes every malloc and free in the daemon write memory.
unset MALLOC_PERTURB_

export SB_JOURNAL=1 # the daemon logs to a private journald, as under systemd
# shellcheck source=SCRIPTDIR/../tests/integration/sandbox.sh
. "$BENCH_SOURCE/../tests/integration/sandbox.sh"

fail() {
        echo "run-bus-bench: $*" >&2
        exit 1
}

for v in BENCH_BUS_CLIENTS BENCH_BUS_CALLS BENCH_BUS_WARMUP BENCH_BUS_ANCHOR_RUNS; do
        [[ ${!v} =~ ^[1-9][0-9]*$ ]] || fail "$v must be a positive integer, not '${!v}'"
done
[[ $BENCH_BUS_WINDOW =~ ^[1-9][0-9]*$ ]] || fail "BENCH_BUS_WINDOW must be a positive integer"

why=$(sandbox_cannot_run)
if [ -z "$why" ] && ! id nobody >/dev/null 2>&1; then
        why="no user nobody for the unprivileged clients"
fi
if [ -n "$why" ]; then
        echo "SKIP: $why"
        exit 77
fi
sandbox_reexec "$0" "$WSTUNED_BUILD"

BENCH=$WSTUNED_BUILD/bench/bench-bus
[ -x "$BENCH" ] || fail "no bench-bus in $WSTUNED_BUILD/bench"

PROFILE_KEYS=(net.netfilter.nf_conntrack_max net.core.somaxconn net.ipv4.tcp_max_syn_backlog
        net.ipv4.tcp_syncookies)
BUS_CALL=(busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager)

# VmRSS and RssAnon of a process in kB, tab-separated.
mem_of() {
        awk -v OFS='\t' '/^(VmRSS|RssAnon):/ { v[$1] = $2 } END { print v["VmRSS:"], v["RssAnon:"] }' \
                "/proc/$1/status"
}

# load WHAT ARGS...: one bench-bus run by unprivileged clients, its lines prefixed with WHAT
load() {
        local what=$1
        shift
        as_nobody "$BENCH" -c "$BENCH_BUS_CLIENTS" --daemon-pid="$WSTUNED_PID" --broker-pid="$SB_BUS_PID" "$@" \
                "${PROFILE_KEYS[@]}" >"$SB/load.out" || fail "bench-bus $* failed"
        awk -F '\t' -v OFS='\t' -v what="$what" '/^#/ { next } { print what, $0 }' "$SB/load.out" >>"$RESULTS"
}

# loops WHAT COMMAND...: BENCH_BUS_CLIENTS shell loops of BENCH_BUS_ANCHOR_RUNS processes each, in parallel,
# in the daemon's network namespace: processes, wall seconds and failed runs go to the results
loops() {
        local what=$1
        shift
        # shellcheck disable=SC2016 # expanded by the inner shell
        in_ns bash -c 'clients=$1 runs=$2; shift 2
                t0=$EPOCHREALTIME
                failed=$(for ((c = 0; c < clients; c++)); do
                                ( f=0
                                  for ((i = 0; i < runs; i++)); do "$@" >/dev/null 2>&1 || f=$((f + 1)); done
                                  echo "$f" ) &
                        done | awk "{ f += \$1 } END { print f + 0 }")
                t1=$EPOCHREALTIME
                printf "%d\t%s\t%s\t%s\n" $((clients * runs)) "$t0" "$t1" "$failed"' \
                _ "$BENCH_BUS_CLIENTS" "$BENCH_BUS_ANCHOR_RUNS" "$@" >"$SB/loops.out" || fail "$what loops failed"
        awk -F '\t' -v OFS='\t' -v what="$what" '{ printf "loops\t%s\t%d\t%.3f\t%d\n", what, $1, $3 - $2, $4 }' \
                "$SB/loops.out" >>"$RESULTS"
}

sandbox_start || fail "sandbox did not start"
RESULTS=$SB/results.tsv
: >"$RESULTS"
printf 'load-start\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"

# shellcheck disable=SC2119 # no extra arguments for the daemon
wstuned_start || fail "wstuned did not start"
[ "$(cat "/proc/$WSTUNED_PID/comm")" = wstuned ] || fail "pid $WSTUNED_PID is not wstuned"
"${BUS_CALL[@]}" Apply st ws-server 0 >/dev/null || fail "Apply ws-server failed"
verify=$("${BUS_CALL[@]}" Verify | awk '{ print "ok=" $2 ", " $3 " findings" }') || fail "Verify failed"
printf 'verify\t%s\n' "$verify" >>"$RESULTS"
state_before=$(cat "$SB_ROOT/var/lib/wstuned/state.json")
keys_before=$(in_ns sysctl -n "${PROFILE_KEYS[@]}" | tr '\n' ' ')
printf 'mem\tapplied\t%s\n' "$(mem_of "$WSTUNED_PID")" >>"$RESULTS"

# The warm-up brings the daemon's allocations and the broker's buffers to their working size; the RSS
# after it is the baseline the growth is measured from.
load warmup -n "$BENCH_BUS_WARMUP" -W "$BENCH_BUS_WINDOW" --mix=mixed
printf 'mem\twarm\t%s\n' "$(mem_of "$WSTUNED_PID")" >>"$RESULTS"
load pipelined -n "$BENCH_BUS_CALLS" -W "$BENCH_BUS_WINDOW" --mix=mixed
printf 'mem\tpipelined\t%s\n' "$(mem_of "$WSTUNED_PID")" >>"$RESULTS"
load synchronous -n "$BENCH_BUS_CALLS" -W 0 --mix=mixed
printf 'mem\tsynchronous\t%s\n' "$(mem_of "$WSTUNED_PID")" >>"$RESULTS"

# The refused Applies changed nothing.
printf 'unchanged\t%s\t%s\t%s\n' \
        "$([ "$(cat "$SB_ROOT/var/lib/wstuned/state.json")" = "$state_before" ] && echo yes || echo NO)" \
        "$([ "$(in_ns sysctl -n "${PROFILE_KEYS[@]}" | tr '\n' ' ')" = "$keys_before" ] && echo yes || echo NO)" \
        "$(busctl --system get-property io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager \
                ActiveProfile)" >>"$RESULTS"

load ping-pipelined -n "$BENCH_BUS_CALLS" -W "$BENCH_BUS_WINDOW" --mix=ping
load ping-synchronous -n "$BENCH_BUS_CALLS" -W 0 --mix=ping
load broker-pipelined -n "$BENCH_BUS_CALLS" -W "$BENCH_BUS_WINDOW" --mix=broker
load broker-synchronous -n "$BENCH_BUS_CALLS" -W 0 --mix=broker
loops sysctl sysctl -n "${PROFILE_KEYS[@]}"
loops busctl "${BUS_CALL[@]}" Verify
printf 'mem\tend\t%s\n' "$(mem_of "$WSTUNED_PID")" >>"$RESULTS"
printf 'load-end\t%s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS"
kill -0 "$WSTUNED_PID" 2>/dev/null || fail "the daemon died"

# The table. Byte-wise (LC_ALL=C), so that padding can count µ, ≥ and × as one column each.
LC_ALL=C awk -F '\t' -v clients="$BENCH_BUS_CLIENTS" -v calls="$BENCH_BUS_CALLS" -v window="$BENCH_BUS_WINDOW" \
        -v warmup="$BENCH_BUS_WARMUP" -v runs="$BENCH_BUS_ANCHOR_RUNS" -v buildtype="${WSTUNED_BUILDTYPE:-unknown}" \
        -v cpus="$(nproc)" -v kernel="$(uname -r)" '
function width(s) { gsub(/[\200-\277]/, "", s); return length(s) }
function pad(s, n) { while (width(s) < n) s = s " "; return s }
function lpad(s, n) { while (width(s) < n) s = " " s; return s }
function us(v) { return v >= 10000 ? sprintf("%.1f ms", v / 1000) : v >= 1000 ? sprintf("%.2f ms", v / 1000) : sprintf("%.0f µs", v) }
function extra(run, key,    v) { v = x[run, key]; return v == "" ? "-" : sprintf("%.1f µs", v) }
function throughput_row(what, run) {
        if (!(run in total))
                return
        print pad(what, 46) lpad(total[run], 8) lpad(sprintf("%.2f s", wall[run]), 9) lpad(sprintf("%.0f", rate[run]), 9) \
              lpad(us(p50[run, "all"]), 9) lpad(us(p99[run, "all"]), 9) lpad(extra(run, "daemon_cpu_us"), 10) \
              lpad(extra(run, "broker_cpu_us"), 10)
}
function loops_row(what, name) {
        if (!(name in lp_n))
                return
        print pad(what, 46) lpad(lp_n[name], 8) lpad(sprintf("%.2f s", lp_wall[name]), 9) \
              lpad(sprintf("%.0f", lp_n[name] / lp_wall[name]), 9) lpad(us(1e6 * lp_wall[name] / lp_n[name] * clients), 9) \
              lpad("-", 9) "  failed runs: " lp_failed[name]
}
function kind_cell(run, k) {
        if (!((run, k) in p50))
                return lpad("-", 28)
        return lpad(sprintf("%s / %s / %s", us(p50[run, k]), us(p90[run, k]), us(p99[run, k])), 28)
}
function errors(run,    e, s, sep) {
        s = ""; sep = ""
        for (e in err)
                if (index(e, run SUBSEP) == 1) {
                        s = s sep substr(e, length(run) + 2) " " err[e]
                        sep = ", "
                }
        return s == "" ? "none" : s
}
function only_denied(run,    e, denied, ok) {
        denied = run SUBSEP "io.wstune.wstuned1.Error.AccessDenied"
        ok = 0
        if (denied in err)
                ok = (err[denied] == n[run, "apply"])
        for (e in err)
                if (index(e, run SUBSEP) == 1 && e != denied)
                        ok = 0
        return ok ? "yes" : "NO"
}
function verdict_rate(run, label) {
        printf "throughput %.0f calls/s (target >= 10000): %s (%s)\n", rate[run], (rate[run] >= 10000 ? "met" : "NOT met"), label
}
$1 == "load-start" { load_start = $2; next }
$1 == "load-end" { load_end = $2; next }
$1 == "verify" { verify = $2; next }
$1 == "mem" { rss[$2] = $3; anon[$2] = $4; next }
$1 == "unchanged" { same_state = $2; same_keys = $3; active = $4; next }
$1 == "loops" { lp_n[$2] = $3; lp_wall[$2] = $4; lp_failed[$2] = $5; next }
$2 == "total" {
        total[$1] = $3; wall[$1] = $4; rate[$1] = $5
        for (i = 6; i <= NF; i++) { split($i, kv, "="); x[$1, kv[1]] = kv[2] }
        next
}
$2 == "kind" { n[$1, $3] = $4; p50[$1, $3] = $5; p90[$1, $3] = $6; p99[$1, $3] = $7; next }
$2 == "error" { err[$1, $3] = $4; next }
END {
        printf "wstuned bus load, profile ws-server: %d clients x %d calls per run (after %d warm-up calls each)\n", \
               clients, calls, warmup
        print "mix: 40% Get of the profile'"'"'s 4 keys, 20% Verify, 20% Properties.Get, 10% GetAll, 10% Apply by nobody"
        printf "%s CPUs, kernel %s, build type %s; load average at start %s, at end %s\n", cpus, kernel, buildtype, \
               load_start, load_end
        printf "Verify before the load: %s\n\n", verify
        print pad("run", 46) lpad("calls", 8) lpad("wall", 9) lpad("calls/s", 9) lpad("p50", 9) lpad("p99", 9) \
              lpad("daemon", 10) lpad("broker", 10)
        throughput_row(sprintf("mixed, pipelined (%d in flight per client)", window), "pipelined")
        throughput_row("mixed, synchronous (one call at a time)", "synchronous")
        throughput_row("floor: Peer.Ping on the daemon, pipelined", "ping-pipelined")
        throughput_row("floor: Peer.Ping on the daemon, synchronous", "ping-synchronous")
        throughput_row("floor: GetId on the broker alone, pipelined", "broker-pipelined")
        throughput_row("floor: GetId on the broker alone, synchronous", "broker-synchronous")
        loops_row("anchor: sysctl -n, 4 keys (a process each)", "sysctl")
        loops_row("anchor: busctl call Verify (a process each)", "busctl")
        print "daemon, broker: their CPU time per call (schedstat over the run); anchors: p50 column = wall per"
        printf "process in one loop (%d loops of %d processes in parallel)\n\n", clients, runs

        print "latency by call kind, p50 / p90 / p99:"
        print pad("kind", 10) lpad("share", 7) lpad("pipelined", 28) lpad("synchronous", 28)
        split("get verify property getall apply all", kinds, " ")
        for (i = 1; i <= 6; i++) {
                k = kinds[i]
                print pad(k, 10) lpad(sprintf("%.0f%%", 100 * n["pipelined", k] / total["pipelined"]), 7) \
                      kind_cell("pipelined", k) kind_cell("synchronous", k)
        }
        print ""
        printf "errors by name: pipelined: %s; synchronous: %s\n", errors("pipelined"), errors("synchronous")
        printf "  only AccessDenied, one per Apply: %s, %s; floors: %s, %s, %s, %s\n", only_denied("pipelined"), \
               only_denied("synchronous"), errors("ping-pipelined"), errors("ping-synchronous"), \
               errors("broker-pipelined"), errors("broker-synchronous")
        printf "after the refused Applies: state file unchanged %s, the keys unchanged %s, ActiveProfile %s\n\n", \
               same_state, same_keys, active
        printf "daemon VmRSS (RssAnon): after apply %d kB (%d), after warm-up %d kB (%d), after pipelined %d kB (%d),\n", \
               rss["applied"], anon["applied"], rss["warm"], anon["warm"], rss["pipelined"], anon["pipelined"]
        printf "  after synchronous %d kB (%d), after the floors and anchors %d kB (%d)\n\n", rss["synchronous"], \
               anon["synchronous"], rss["end"], anon["end"]

        verdict_rate("synchronous", "synchronous clients")
        verdict_rate("pipelined", sprintf("pipelined clients, %d in flight each", window))
        growth = rss["warm"] > 0 ? 100 * (rss["synchronous"] - rss["warm"]) / rss["warm"] : 0
        printf "RSS growth %.1f%% (target within 5%%): %s (VmRSS after warm-up -> after %d measured calls)\n", growth, \
               (growth <= 5 && growth >= -5) ? "met" : "NOT met", 2 * clients * calls
}' "$RESULTS"
exit 0
