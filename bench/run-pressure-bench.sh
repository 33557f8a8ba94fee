#!/bin/bash
# run-pressure-bench.sh - the pressure watch's benchmark (DESIGN.md §9: a conntrack and socket pressure
# sample costs the same at 0 and at 100k entries): what one sampler_read() costs at 0, 10k and 50k
# conntrack entries and established connections, in wall time (bench-pressure) and in user-space
# instructions (callgrind), with its parts and the per-destination count on their own, side by side with
# what a user would run instead: `conntrack -C`, `conntrack -L | wc -l`, `ss -tan | grep -c ESTAB`.
#
# Everything happens in a fresh network namespace made here (unshare -n, held by a sleeping process): lo
# up, an nftables table whose input rule uses ct state (so the kernel tracks the namespace's loopback
# connections), and the namespace's own ip_local_port_range (1024 65535), somaxconn and
# tcp_max_syn_backlog widened so 50k connections fit. The connections are real: tcp-hold processes of at
# most BENCH_HOLD_MAX connections each (each connection is two sockets, so two descriptors, in one process;
# RLIMIT_NOFILE caps that), every one listening on its own 127.0.0.x:80. The listeners are started at
# level 0 already (idle holders, replaced one by one), so every level sees the same listeners and only
# the connections change. Each connection is one conntrack entry. When memory is short for that many
# sockets, the entries above BENCH_CONNECTIONS_MAX are made with `conntrack -I` instead (real table
# entries without sockets), and the output says so. The namespace goes away with its processes; the
# host's sysctls are compared before and after.
# Figures only: exits 0 when the measurements ran, whatever the numbers; 77 (SKIP) with the reason when
# it cannot run here (not root, no network namespaces, no nft/conntrack/ss).
#
# Usage: run-pressure-bench.sh [BUILD_DIR]   (or WSTUNED_BUILD in the environment)
# BENCH_PRESSURE_LEVELS   connection levels, ascending (default "0 10000 50000")
# BENCH_PRESSURE_SAMPLES  timed calls per series (default 10000)
# BENCH_DEST_SAMPLES      timed per-destination counts per level (default 30)
# BENCH_COLD_SAMPLES      samples after a 100 ms pause each, per level (default 50)
# BENCH_CG_SAMPLES        samples under callgrind (default 200; the destination count: BENCH_CG_DEST, 5)
# BENCH_ANCHOR_RUNS       runs of each anchor command per level (default 7)
# BENCH_HOLD_MAX          connections per tcp-hold process (default 9000)
# BENCH_CONNECTIONS_MAX   real connections at most (default: what half the available memory holds)
set -u -o pipefail

WSTUNED_BUILD=${1:-${WSTUNED_BUILD:-}}
[ -n "$WSTUNED_BUILD" ] || { echo "usage: run-pressure-bench.sh BUILD_DIR" >&2; exit 2; }
WSTUNED_BUILD=$(cd "$WSTUNED_BUILD" && pwd) || exit 2
: "${BENCH_PRESSURE_LEVELS:=0 10000 50000}" "${BENCH_PRESSURE_SAMPLES:=10000}" "${BENCH_DEST_SAMPLES:=30}"
: "${BENCH_COLD_SAMPLES:=50}"
: "${BENCH_CG_SAMPLES:=200}" "${BENCH_CG_DEST:=5}" "${BENCH_ANCHOR_RUNS:=7}" "${BENCH_HOLD_MAX:=9000}"
# meson test may set it for tests; it makes every malloc and free write memory.
unset MALLOC_PERTURB_

BENCH=$WSTUNED_BUILD/bench/bench-pressure
HOLD=$WSTUNED_BUILD/tests/tcp-hold
# Upper bound of the kernel and tcp-hold memory per connection: two sockets with their files, one
# conntrack entry (about 10 KiB of slab measured on 6.18).
CONN_BYTES=16384
HOST_KEYS=(net.ipv4.ip_local_port_range net.core.somaxconn net.ipv4.tcp_max_syn_backlog)

skip() {
        echo "SKIP: $*"
        exit 77
}
fail() {
        echo "run-pressure-bench: $*" >&2
        exit 1
}

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, nftables, ctnetlink)"
for c in unshare nsenter nft conntrack ss ip sysctl; do
        command -v "$c" >/dev/null || skip "$c not installed"
done
unshare -n true 2>/dev/null || skip "cannot create network namespaces here"
[ -x "$BENCH" ] || fail "no bench-pressure in $WSTUNED_BUILD/bench"
[ -x "$HOLD" ] || fail "no tcp-hold in $WSTUNED_BUILD/tests"
read -r -a LEVELS <<<"$BENCH_PRESSURE_LEVELS"
prev=-1
for v in "${LEVELS[@]}"; do
        if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -le "$prev" ]; then
                fail "BENCH_PRESSURE_LEVELS must be ascending numbers: '$BENCH_PRESSURE_LEVELS'"
        fi
        prev=$v
done
for v in BENCH_PRESSURE_SAMPLES BENCH_DEST_SAMPLES BENCH_COLD_SAMPLES BENCH_CG_SAMPLES BENCH_CG_DEST BENCH_ANCHOR_RUNS \
        BENCH_HOLD_MAX; do
        [[ ${!v} =~ ^[1-9][0-9]*$ ]] || fail "$v must be a positive integer, not '${!v}'"
done
[ "$BENCH_HOLD_MAX" -le 250000 ] || fail "BENCH_HOLD_MAX is too large"

host_keys() { sysctl -n "${HOST_KEYS[@]}" | tr '\t\n' ' '; }
HOST_BEFORE=$(host_keys)
WORK=$(mktemp -d /tmp/wstuned-pressure-bench.XXXXXX)
NS_PID=
declare -A SLOT_PID # the tcp-hold process of each slot
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
        local p
        for p in "${SLOT_PID[@]}" $NS_PID; do
                kill -TERM "$p" 2>/dev/null
        done
        for p in "${SLOT_PID[@]}" $NS_PID; do
                wait "$p" 2>/dev/null
        done
        rm -rf "$WORK"
        [ "$(host_keys)" = "$HOST_BEFORE" ] || echo "run-pressure-bench: the host's ${HOST_KEYS[*]} changed!" >&2
}
trap cleanup EXIT

# The namespace, held by a process of its own; nothing is written before it is certainly not ours.
unshare -n sleep infinity &
NS_PID=$!
for _ in $(seq 100); do
        ns=$(readlink "/proc/$NS_PID/ns/net" 2>/dev/null)
        [ -n "$ns" ] && [ "$ns" != "$(readlink /proc/self/ns/net)" ] && break
        ns=
        sleep 0.02
done
[ -n "$ns" ] || fail "the network namespace did not come up"
in_ns() { nsenter -t "$NS_PID" -n -- "$@"; }
in_ns ip link set lo up || fail "lo up"
in_ns nft -f - <<'NFT' || fail "nft table in the namespace"
table inet wstuned_bench {
        chain input {
                type filter hook input priority 0; policy accept;
                ct state established,related accept
        }
}
NFT
in_ns sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.core.somaxconn=65535 \
        net.ipv4.tcp_max_syn_backlog=65535 || fail "namespace sysctls"
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || skip "nf_conntrack is not loaded on the host"

# How many real connections fit: half of the available memory at CONN_BYTES each.
avail_kb() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
AVAIL0=$(avail_kb)
: "${BENCH_CONNECTIONS_MAX:=$((AVAIL0 * 1024 / 2 / CONN_BYTES))}"
[[ $BENCH_CONNECTIONS_MAX =~ ^[0-9]+$ ]] || fail "BENCH_CONNECTIONS_MAX must be a number"

# The holder slots the levels need; each has its listener on 127.0.0.(10 + slot):80 from the start.
PLAN=() # connections per slot, in the order they are filled
cur=0
for v in "${LEVELS[@]}"; do
        target=$((v < BENCH_CONNECTIONS_MAX ? v : BENCH_CONNECTIONS_MAX))
        while [ "$cur" -lt "$target" ]; do
                n=$((target - cur < BENCH_HOLD_MAX ? target - cur : BENCH_HOLD_MAX))
                PLAN+=("$n")
                cur=$((cur + n))
        done
done
[ "${#PLAN[@]}" -le 240 ] || fail "too many holders (${#PLAN[@]}): raise BENCH_HOLD_MAX"

# hold SLOT N: tcp-hold with N connections (0: only the listener) in the slot, waiting for its "ready"
hold() {
        local slot=$1 n=$2 out=$WORK/hold.$1.$2
        if [ -n "${SLOT_PID[$slot]:-}" ]; then
                kill -TERM "${SLOT_PID[$slot]}" && wait "${SLOT_PID[$slot]}" 2>/dev/null
        fi
        # nsenter itself, not in_ns: it execs, so $! is tcp-hold and the kill reaches it
        nsenter -t "$NS_PID" -n -- "$HOLD" --addr "127.0.0.$((10 + slot))" --port 80 --backlog 65535 -n "$n" \
                >"$out" 2>&1 &
        SLOT_PID[$slot]=$!
        for _ in $(seq 1200); do
                grep -q '^ready' "$out" && return 0
                kill -0 "$!" 2>/dev/null || break
                sleep 0.05
        done
        fail "tcp-hold in slot $slot ($n connections) did not get ready: $(cat "$out")"
}
for slot in "${!PLAN[@]}"; do
        hold "$slot" 0
done

# add_entries FROM COUNT: conntrack entries without sockets, 10.0.x.y:10000 -> 10.1.0.1:80, one per source
add_entries() {
        # shellcheck disable=SC2016 # expanded by the inner shell
        in_ns bash -c 'for ((i = $1; i < $1 + $2; i++)); do
                        conntrack -I -p tcp -s "10.$((i >> 16 & 255)).$((i >> 8 & 255)).$((i & 255))" \
                                -d 10.255.0.1 --sport 10000 --dport 80 --state ESTABLISHED -t 1200 -u ASSURED \
                                >/dev/null 2>&1 || exit 1
                done' _ "$1" "$2" || fail "conntrack -I failed"
}

# time_ms RUNS COMMAND: median wall ms of a shell command in the namespace, as a user would type it
time_ms() {
        # shellcheck disable=SC2016 # expanded by the inner shell
        in_ns bash -c 'for ((i = 0; i < $1; i++)); do
                        t0=${EPOCHREALTIME/./}; eval "$2" >/dev/null 2>&1; t1=${EPOCHREALTIME/./}
                        echo $((t1 - t0))
                done' _ "$1" "$2" |
                sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000 }'
}

# Instructions, user space only: a call's cost is (run of K calls − run of none) ÷ K, so the set-up
# (sockets, the first sample) drops out. The kernel's side of each syscall is not counted.
HAVE_CG=0
command -v valgrind >/dev/null && HAVE_CG=1
cg_total() { sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1"; }
cg_run() { # WHAT K → instructions of the whole run
        local out=$WORK/callgrind.$1.$2
        in_ns valgrind --tool=callgrind --callgrind-out-file="$out" "$BENCH" --what="$1" --cycles="$2" \
                >/dev/null 2>"$out.log" || { cat "$out.log" >&2; return 1; }
        cg_total "$out"
}

printf 'wstuned pressure-sample benchmark: %s CPUs, kernel %s, build type %s\n' "$(nproc)" "$(uname -r)" \
        "${WSTUNED_BUILDTYPE:-unknown}"
printf 'memory: %s MB available; real connections at most %s; load average at start: %s\n' \
        "$((AVAIL0 / 1024))" "$BENCH_CONNECTIONS_MAX" "$(cut -d' ' -f1-3 /proc/loadavg)"

RESULTS=$WORK/results.tsv
: >"$RESULTS"
slot=0 real=0 inserted=0
for level in "${LEVELS[@]}"; do
        # grow to the level: real connections first, then table entries
        while [ "$real" -lt "$level" ] && [ "$slot" -lt "${#PLAN[@]}" ]; do
                hold "$slot" "${PLAN[$slot]}"
                real=$((real + PLAN[slot]))
                slot=$((slot + 1))
        done
        if [ $((real + inserted)) -lt "$level" ]; then
                add_entries "$inserted" $((level - real - inserted))
                inserted=$((level - real))
        fi
        sleep 1 # let the last handshakes, delayed ACKs and conntrack's own work settle

        ct_count=$(in_ns conntrack -C) || fail "conntrack -C"
        ct_listed=$(in_ns conntrack -L 2>/dev/null | wc -l)
        estab=$(in_ns ss -tanH state established | wc -l)
        listeners=$(in_ns ss -tlnH | wc -l)
        # the anchors first, the sample after: they are what leaves the caches cold
        a_count=$(time_ms "$BENCH_ANCHOR_RUNS" 'conntrack -C')
        a_list=$(time_ms "$BENCH_ANCHOR_RUNS" 'conntrack -L | wc -l')
        a_ss=$(time_ms "$BENCH_ANCHOR_RUNS" 'ss -tan | grep -c ESTAB')

        in_ns "$BENCH" --tsv -n "$BENCH_PRESSURE_SAMPLES" --destinations="$BENCH_DEST_SAMPLES" \
                --cold="$BENCH_COLD_SAMPLES" \
                >"$WORK/bench.$level" 2>"$WORK/bench.$level.log" || {
                cat "$WORK/bench.$level.log" >&2
                fail "bench-pressure failed at $level"
        }
        cg=()
        if [ "$HAVE_CG" = 1 ]; then
                base=$(cg_run sample 0) || fail "callgrind of bench-pressure failed"
                for what in sample conntrack listen proc destinations; do
                        k=$BENCH_CG_SAMPLES
                        [ "$what" = destinations ] && k=$BENCH_CG_DEST
                        total=$(cg_run "$what" "$k") || fail "callgrind of bench-pressure --what=$what failed"
                        cg+=("$what=$(((total - base) / k))")
                done
        fi
        {
                printf 'level\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$level" "$ct_count" \
                        "$ct_listed" "$estab" "$real" "$inserted" "$listeners" "$slot" "$a_count" "$a_list" \
                        "$a_ss" "$(cut -d' ' -f1 /proc/loadavg)" "${cg[*]:-}"
                sed "s/^/$level\t/" "$WORK/bench.$level"
        } >>"$RESULTS"
done

# The tables. Byte-wise (LC_ALL=C), so that padding can count µ, → and × as one column each.
LC_ALL=C awk -F '\t' -v samples="$BENCH_PRESSURE_SAMPLES" -v dests="$BENCH_DEST_SAMPLES" \
        -v cgk="$BENCH_CG_SAMPLES" -v cgd="$BENCH_CG_DEST" -v anchors="$BENCH_ANCHOR_RUNS" \
        -v have_cg="$HAVE_CG" -v hold_max="$BENCH_HOLD_MAX" '
function width(s) { gsub(/[\200-\277]/, "", s); return length(s) }
function pad(s, n) { while (width(s) < n) s = s " "; return s }
function lpad(s, n) { while (width(s) < n) s = " " s; return s }
function ir(level, what,    v) { v = cg[level, what]; return v == "" ? "-" : v }
function pct(a, b) { return b > 0 ? sprintf("%.1f%%", 100 * a / b) : "?" }
function kv(level, key,    i, n, parts, p) {
        n = split(facts[level], parts, "\t")
        for (i = 1; i <= n; i++) {
                split(parts[i], p, "=")
                if (p[1] == key)
                        return p[2]
        }
        return ""
}
$1 == "level" {
        lv = $2; levels[++nl] = lv
        count[lv] = $3; listed[lv] = $4; estab[lv] = $5; real[lv] = $6; inserted[lv] = $7
        listeners[lv] = $8; holders[lv] = $9; a_count[lv] = $10; a_list[lv] = $11; a_ss[lv] = $12; load[lv] = $13
        n = split($14, parts, " ")
        for (i = 1; i <= n; i++) {
                split(parts[i], p, "=")
                cg[lv, p[1]] = p[2]
        }
        next
}
$2 == "facts" { f = $0; sub(/^[^\t]*\tfacts\t/, "", f); facts[$1] = f; next }
{ med[$1, $2] = $4; p90[$1, $2] = $5; p99[$1, $2] = $6; user[$1, $2] = $8; sys[$1, $2] = $9
  if ($2 == "destinations") { dtotal[$1] = $10; sub(/^total=/, "", dtotal[$1]) } }
END {
        printf "%d timed samples per series (interleaved in 10 rounds after a warm-up), callgrind over %d; " \
               "anchors: median of %d runs\n", samples, cgk, anchors
        range = kv(levels[nl], "port_lo") "-" kv(levels[nl], "port_hi")
        printf "sample: sampler_read() with the default watch settings, the ports warn level raised to " \
               "%s %% so the\nper-destination count stays off (ports reach %s %% of %s at the " \
               "last level); it is measured below on its own\n\n", kv(levels[nl], "ports_warn"), \
               kv(levels[nl], "ports_percent"), range
        print pad("level", 7) lpad("conntrack -C", 13) lpad("ESTAB sockets", 14) lpad("sample median / p99", 22) \
              lpad("sample Ir", 10) lpad("conntrack -C", 13) lpad("conntrack -L|wc", 16) lpad("ss -tan|grep", 13)
        for (i = 1; i <= nl; i++) {
                lv = levels[i]
                print pad(lv, 7) lpad(count[lv], 13) lpad(estab[lv], 14) \
                      lpad(sprintf("%.1f / %.1f µs", med[lv, "sample"], p99[lv, "sample"]), 22) \
                      lpad(ir(lv, "sample"), 10) lpad(a_count[lv] " ms", 13) lpad(a_list[lv] " ms", 16) \
                      lpad(a_ss[lv] " ms", 13)
        }
        print ""
        print "the sample in parts (median µs; user / sys µs per call from getrusage, an estimate; Ir per call):"
        print pad("level", 7) lpad("conntrack stats", 24) lpad("listen dump", 24) lpad("4 /proc files", 24) \
              lpad("cold sample", 12) lpad("p90", 8)
        for (i = 1; i <= nl; i++) {
                lv = levels[i]
                line = pad(lv, 7)
                split("conntrack listen proc", parts, " ")
                for (j = 1; j <= 3; j++)
                        line = line lpad(sprintf("%.1f (%.0f/%.0f) %s", med[lv, parts[j]], user[lv, parts[j]], \
                                                 sys[lv, parts[j]], ir(lv, parts[j])), 24)
                print line lpad(sprintf("%.1f", med[lv, "cold-sample"]), 12) lpad(sprintf("%.1f", p90[lv, "sample"]), 8)
        }
        print ""
        printf "the per-destination count (sockdiag_top_destination(), the dump over %s; runs only " \
               "while the\nports are at warn or above, at most every 10 s), %d calls per level:\n", range, dests
        print pad("level", 7) lpad("sockets in range", 17) lpad("median", 11) lpad("p99", 11) lpad("sys≈", 11) \
              lpad("Ir", 12) lpad("Ir per socket", 14) lpad("walk only", 11)
        for (i = 1; i <= nl; i++) {
                lv = levels[i]
                d = ir(lv, "destinations")
                print pad(lv, 7) lpad(dtotal[lv], 17) lpad(sprintf("%.0f µs", med[lv, "destinations"]), 11) \
                      lpad(sprintf("%.0f µs", p99[lv, "destinations"]), 11) \
                      lpad(sprintf("%.0f µs", sys[lv, "destinations"]), 11) lpad(d, 12) \
                      lpad(d != "-" && dtotal[lv] > 0 ? sprintf("%.0f", (d - cg[levels[1], "destinations"]) / dtotal[lv]) : "-", 14) \
                      lpad(sprintf("%.0f µs", med[lv, "walk"]), 11)
        }
        print "walk only: the same dump over local port 1, which no socket has: the kernel walks every socket of"
        print "the host'"'"'s established hash (shared by all namespaces) and sends none: a server whose sockets are"
        print "all inbound, on its listening ports, pays this once its TCP sockets reach the ports warn level"
        print ""
        print "check of the load (conntrack -L lines, connections: real and by conntrack -I, listeners):"
        for (i = 1; i <= nl; i++) {
                lv = levels[i]
                printf "  %-6s conntrack -C %s, -L %s lines; %s real connections (%d tcp-hold of <= %d) + %s " \
                       "conntrack -I entries;\n         %s listeners; load average %s\n", lv, count[lv], listed[lv], \
                       real[lv], holders[lv], hold_max, inserted[lv], listeners[lv], load[lv]
                if (count[lv] < lv || count[lv] > lv * 1.01 + 10)
                        printf "         note: conntrack -C is not the level (%s for %s)\n", count[lv], lv
        }
        first = levels[1]; last = levels[nl]
        print ""
        if (nl > 1 && med[first, "sample"] > 0) {
                x = 100 * med[last, "sample"] / med[first, "sample"]
                printf "flat: sample at %s is %.1f%% of the sample at %s (target within 10%%): %s\n", \
                       last, x, first, (x >= 90 && x <= 110) ? "met" : "NOT met"
                if (cg[first, "sample"] > 0)
                        printf "      in instructions (user space): %s of the sample at %s\n", \
                               pct(cg[last, "sample"], cg[first, "sample"]), first
                printf "      after a pause (cold caches, as the daemon'"'"'s timer meets it): %s of the cold sample " \
                       "at %s\n", pct(med[last, "cold-sample"], med[first, "cold-sample"]), first
        }
}' "$RESULTS"
[ "$HAVE_CG" = 1 ] || echo "instructions: SKIP (valgrind not installed)"
exit 0
