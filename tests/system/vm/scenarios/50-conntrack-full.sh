# shellcheck shell=bash
# 50-conntrack-full: a conntrack table that is really full, in the VM's initial network namespace (in a
# child namespace nf_conntrack_max is read-only, so neither the host nor the container test can do this).
# vm-ctfull holds net.netfilter.nf_conntrack_max at exactly 1024, growth off; 2000 loopback connections
# (tests/tcp-hold, tracked through an nft rule with ct state) fill the table and the kernel drops the SYNs
# of the others: the drop counters rise (conntrack -S, ConntrackDrops), wstuned logs the drops and the
# critical level, emits PressureChanged, and verify fails. Then vm-ctgrow turns growth on: the table
# doubles while it is 80% full (1024 -> 2048 -> 4096, the hash table to a quarter each time), the refused
# connections get through at their next SYN retransmission, the drops stop, and the level leaves critical
# once hold_seconds (3) passed. Revert puts nf_conntrack_max back to the module's default, the value
# from before wstuned first wrote it.
# Boot 2, after the scenarios that expect vm-test active: it replaces the active profile and reverts it,
# which no later check expects (60-sysctld-reboot applies ws-server after it).

CT=net.netfilter.nf_conntrack_max
BUCKETS=net.netfilter.nf_conntrack_buckets # the hash table: the module's hashsize
HOLD=/usr/local/lib/wstuned-vmtest/tcp-hold
CT_FULL=1024
# The hash table starts small so that growth has it to raise: the kernel rounds it up to a page of buckets
# (512), so it is 512 for the 1024 and 2048 tables and must become 1024 at 4096 (max / 4).
HASH_LOW=512
GROW_ABOVE=80  # vm-ctgrow.json: conntrack_growth.above
PORTS=(9000 9001)
PER_PORT=1000  # two listeners: neither accept queue (1000 of 4096) reaches the backlog's warn level (50%)
N_CONN=$((${#PORTS[@]} * PER_PORT))
# daemon/journal.h
MSG_PRESSURE_CONNTRACK=2754f60395594e1c8be376a09964d3b9
MSG_CONNTRACK_DROPS=90ac82adab1f4a4ba3b0a1a858dd3328
MSG_CONNTRACK_GROWN=def8b70b9a984ddcaa75131d7c88accd
MSG_KEY_RESTORED=211ac8d7c9d24384ad30a9d10b14f6d0

PIDS=()
HASH_ORIG=

# drop + early_drop + insert_failed, summed over the per-CPU lines of conntrack -S (what ConntrackDrops is).
ct_drops() {
        conntrack -S | awk '{ for (i = 1; i <= NF; i++)
                if (split($i, kv, "=") == 2 && kv[1] ~ /^(drop|early_drop|insert_failed)$/) s += kv[2] }
                END { print s + 0 }'
}
bus_u64() { bus_prop "$1" | awk '{ print $2 }'; } # "t 123" -> 123
# the conntrack level in the Pressure property ("a(ssdtt) 4 conntrack critical 1 1024 1024 backlog ...")
ct_level() { bus_prop Pressure | awk '{ for (i = 1; i < NF; i++) if ($i == "conntrack") { print $(i + 1); exit } }'; }
# client sockets of the held connections that completed their handshake
established() {
        local filter
        filter=$(printf ' or dport = :%s' "${PORTS[@]}")
        ss -Htn state established "( ${filter# or } )" | wc -l
}
# journal_new MESSAGE_ID [MATCH...]: wstuned's entries since this scenario started, as JSON lines. By time,
# not --after-cursor: journalctl 252 with matches skips the first matching entry after the cursor.
journal_new() { journalctl -b --no-pager -o json --since "@$START" "MESSAGE_ID=$1" "${@:2}" 2>/dev/null; }
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# grown KEY: the conntrack-grown entries of KEY as "old->new old->new" (old in WSTUNED_ACTUAL, new in
# WSTUNED_EXPECTED, as for every changed key)
grown() {
        journal_new $MSG_CONNTRACK_GROWN "WSTUNED_KEY=$1" | while IFS= read -r l; do
                printf '%s->%s\n' "$(printf '%s\n' "$l" | json_field WSTUNED_ACTUAL)" \
                        "$(printf '%s\n' "$l" | json_field WSTUNED_EXPECTED)"
        done | paste -sd ' '
}
signals() { tr -s '\n ' ' ' <"$SCENARIO_STATE/signals.txt"; }
row() { printf '%s\n' "$OUT" | awk -v k="$1" '$1 == k { print $NF }'; }
# state_baseline [PATH]: the original value wstuned keeps for Revert (default: nf_conntrack_max)
state_baseline() {
        local path=${1:-net/netfilter/nf_conntrack_max}
        tr -d '\n' </var/lib/wstuned/state.json 2>/dev/null |
                sed -n "s|.*\"${path}\":[[:space:]]*\"\([0-9]*\)\".*|\1|p"
}

drops_above() { [ "$(ct_drops)" -gt "$1" ]; }
bus_drops_above() { [ "$(bus_u64 ConntrackDrops)" -gt "$1" ]; }
level_is() { [ "$(ct_level)" = "$1" ]; }
level_below_critical() { case $(ct_level) in ok | warn) return 0 ;; esac; return 1; }
all_established() { [ "$(established)" -ge "$N_CONN" ]; }
max_is() { [ "$(sysctl_get $CT)" = "$1" ]; }

# wait_until WHAT SECONDS COMMAND...: poll every 0.2 s; PASS or FAIL. WAITED_MS: how long it took.
WAITED_MS=0
wait_until() {
        local what=$1 limit=$(($2 * 1000)) start
        shift 2
        start=$(now_ms)
        while :; do
                WAITED_MS=$(($(now_ms) - start))
                if "$@"; then
                        pass "$what ($WAITED_MS ms)"
                        return 0
                fi
                if [ "$WAITED_MS" -ge "$limit" ]; then
                        fail "$what (not within $((limit / 1000)) s)" "Pressure: $(bus_prop Pressure)" \
                                "$CT=$(sysctl_get $CT), $(conntrack -C) entries," \
                                "$(established) established, drops $(ct_drops)"
                        return 1
                fi
                sleep 0.2
        done
}

# hold NAME ARGS...: tcp-hold in the background, its output in SCENARIO_STATE/NAME.out; waits up to 30 s
# for its "ready" line.
hold() {
        local name=$1 pid
        shift
        "$HOLD" "$@" </dev/null >"$SCENARIO_STATE/$name.out" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        for _ in $(seq 300); do
                grep -q '^ready' "$SCENARIO_STATE/$name.out" && return 0
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
        done
        fail "tcp-hold $name did not get ready" "$(cat "$SCENARIO_STATE/$name.out")"
        return 1
}

cleanup() {
        local pid
        for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
        for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
        PIDS=()
        nft delete table inet wstuned_vmtest_full 2>/dev/null
        [ -n "$HASH_ORIG" ] && sysctl -qw "$BUCKETS=$HASH_ORIG" 2>/dev/null
        HASH_ORIG=
}

# The chain of doublings from CT_FULL that growth makes for N_CONN entries: "1024->2048 2048->4096".
expected_growth() {
        local max=$CT_FULL steps=()
        while [ $((N_CONN * 100)) -ge $((GROW_ABOVE * max)) ]; do
                steps+=("$max->$((max * 2))")
                max=$((max * 2))
        done
        echo "${steps[*]}"
}
# The hash table growth that goes with a chain of doublings: a quarter of each new size, only upwards.
expected_hash_growth() {
        local hash=$HASH_LOW step steps=()
        for step in $1; do
                if [ $((${step#*->} / 4)) -gt "$hash" ]; then
                        steps+=("$hash->$((${step#*->} / 4))")
                        hash=$((${step#*->} / 4))
                fi
        done
        echo "${steps[*]}"
}

# check_buckets MAX CHAIN: the hash table is a quarter of MAX, grown in the steps of CHAIN ("512->1024").
check_buckets() {
        check_eq "$BUCKETS is a quarter of $1" "$(($1 / 4))" "$(sysctl_get $BUCKETS)"
        check_eq "journal: conntrack-grown entries for $BUCKETS, old -> new" "$2" "$(grown $BUCKETS)"
}

boot2() {
        local loaded_before default_max drops0 bus0 entries est line chain final t0 t_apply ms d1 d2 drops_full port
        trap cleanup EXIT

        # ---- the table and the traffic it tracks
        loaded_before=$(module_loaded nf_conntrack && echo yes || echo no)
        check_rc "modprobe nf_conntrack" 0 modprobe nf_conntrack
        # What Revert must bring back: the module's default, from before wstuned first wrote the key. Loaded
        # here, it is in the key now; loaded earlier (30-conntrack-late), wstuned has long overwritten it, and
        # this kernel's default nf_conntrack_max is its bucket count (max_factor 1 without a hashsize= option).
        if [ "$loaded_before" = no ]; then
                default_max=$(sysctl_get $CT)
        else
                default_max=$(sysctl_get net.netfilter.nf_conntrack_buckets)
        fi
        info "nf_conntrack loaded before: $loaded_before; $CT $(sysctl_get $CT)," \
                "buckets $(sysctl_get $BUCKETS);" \
                "state.json baseline: $(state_baseline)"
        cat >"$SCENARIO_STATE/ct.nft" <<'NFT'
table inet wstuned_vmtest_full {
        chain input {
                type filter hook input priority 0; policy accept;
                ct state established,related accept
        }
}
NFT
        check_rc "nft: a ct state rule on the input hook (loopback connections are tracked)" 0 \
                nft -f "$SCENARIO_STATE/ct.nft"
        HASH_ORIG=$(sysctl_get $BUCKETS)

        dbus-monitor --system "type='signal',interface='io.wstune.wstuned1.Manager',member='PressureChanged'" \
                </dev/null >"$SCENARIO_STATE/signals.txt" 2>&1 &
        PIDS+=("$!")
        for _ in $(seq 50); do [ -s "$SCENARIO_STATE/signals.txt" ] && break; sleep 0.1; done
        START=$EPOCHREALTIME

        # ---- full: 1024 entries, growth off
        check_rc "wstunectl apply vm-ctfull" 0 wstunectl --no-pager apply vm-ctfull
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        check_eq "apply: $CT set (exact $CT_FULL)" "set" "$(row $CT)"
        check_eq "kernel: $CT" "$CT_FULL" "$(sysctl_get $CT)"
        check_eq "state.json: the baseline of $CT is the module's default" "$default_max" "$(state_baseline)"
        check_rc "$BUCKETS lowered to $HASH_LOW" 0 sysctl -qw $BUCKETS=$HASH_LOW
        check_eq "$BUCKETS is $HASH_LOW" "$HASH_LOW" "$(sysctl_get $BUCKETS)"
        drops0=$(ct_drops)
        bus0=$(bus_u64 ConntrackDrops)
        info "before the load: $(conntrack -C) entries, drops $drops0 (ConntrackDrops $bus0), conntrack $(ct_level)"

        t0=$(now_ms)
        for port in "${PORTS[@]}"; do
                hold "ct$port" --port "$port" --no-accept -n $PER_PORT || return 1
        done
        info "$N_CONN connects issued in $(($(now_ms) - t0)) ms"
        wait_until "conntrack -S: drop + early_drop + insert_failed rise" 20 drops_above "$drops0"
        wait_until "ConntrackDrops rises" 10 bus_drops_above "$bus0"
        wait_until "Pressure: conntrack critical" 10 level_is critical
        entries=$(conntrack -C)
        est=$(established)
        check_eq "the table is full: conntrack -C" "$CT_FULL" "$entries"
        if [ "$est" -lt "$N_CONN" ]; then
                pass "not every connection got through ($est of $N_CONN established)"
        else
                fail "all $N_CONN connections established in a $CT_FULL-entry table"
        fi
        info "drops $(ct_drops) (ConntrackDrops $(bus_u64 ConntrackDrops)), $(($(now_ms) - t0)) ms after the connects"

        line=$(journal_new $MSG_CONNTRACK_DROPS | head -n 1)
        check_match "journal: conntrack drop alert names its counter" \
                '"WSTUNED_COUNTER":"(drop|early_drop|insert_failed)"' "$line"
        check_match "journal: conntrack drop alert has its delta" '"WSTUNED_DELTA":"[1-9][0-9]*"' "$line"
        info "drop alert: $(printf '%s\n' "$line" | json_field MESSAGE)"
        line=$(journal_new $MSG_PRESSURE_CONNTRACK WSTUNED_LEVEL=critical | head -n 1)
        check_match "journal: conntrack pressure critical" '"WSTUNED_RESOURCE":"conntrack"' "$line"
        check_match "journal: critical entry has the ratio" '"WSTUNED_RATIO":"[0-9.]+"' "$line"
        info "critical entry: $(printf '%s\n' "$line" | json_field MESSAGE)"
        check_match "PressureChanged conntrack critical" 'string "conntrack" string "critical" double' "$(signals)"
        check_rc "wstunectl verify fails on the full table" 1 wstunectl --no-pager verify
        check_match "verify: pressure:conntrack critical" '^pressure:conntrack .* critical$' "$OUT"
        check_eq "growth off: $CT still $CT_FULL" "$CT_FULL" "$(sysctl_get $CT)"
        check_eq "growth off: no conntrack-grown entry" "" "$(journal_new $MSG_CONNTRACK_GROWN)"

        # ---- growth on
        drops_full=$(($(ct_drops) - drops0))
        t_apply=$(now_ms)
        check_rc "wstunectl apply vm-ctgrow" 0 wstunectl --no-pager apply vm-ctgrow
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        check_eq "apply: $CT untouched ($CT_FULL holds at-least $CT_FULL)" "" "$(row $CT)"
        if ms=$(wait_for_value $CT $((CT_FULL * 2)) 15000); then
                pass "$CT grown to $(sysctl_get $CT) ($ms ms after the apply returned)"
        else
                fail "$CT not grown within 15 s" "now $(sysctl_get $CT); Pressure: $(bus_prop Pressure)"
        fi
        # the refused connections retry their SYN at 1, 3, 7, 15, 31, 63 s: the last retry is 63 s after t0
        wait_until "all $N_CONN held connections established" 100 all_established
        info "all established $(($(now_ms) - t0)) ms after the connects, $(($(now_ms) - t_apply)) ms after the apply"
        chain=$(expected_growth)
        final=${chain##*->}
        wait_until "$CT doubled to $final ($N_CONN entries are below $GROW_ABOVE% of it)" 20 max_is "$final"
        info "$CT $final $(($(now_ms) - t_apply)) ms after the apply; $(conntrack -C) entries"
        check_eq "journal: conntrack-grown entries for $CT, old -> new" "$chain" "$(grown $CT)"
        check_buckets "$final" "$(expected_hash_growth "$chain")"
        check_eq "state.json: the baseline of $BUCKETS is what it was before growth" "$HASH_LOW" \
                "$(state_baseline net/netfilter/nf_conntrack_buckets)"
        check_eq "state.json: growth kept the baseline of $CT" "$default_max" "$(state_baseline)"
        hold new --connect-only --port "${PORTS[0]}" -n 100 &&
                pass "100 new connections established (tcp-hold waited for each)"

        d1=$(ct_drops)
        sleep 5
        d2=$(ct_drops)
        check_eq "drops stopped: conntrack -S 5 s apart" "$d1" "$d2"
        check_eq "ConntrackDrops agrees with conntrack -S" "$d2" "$(bus_u64 ConntrackDrops)"
        info "drops: $drops_full while full with growth off, $((d2 - drops0)) in all"
        wait_until "Pressure: conntrack leaves critical" 15 level_below_critical
        info "conntrack $(ct_level), $(($(now_ms) - t_apply)) ms after the apply"
        line=$(journal_new $MSG_PRESSURE_CONNTRACK | tail -n 1)
        check_match "journal: conntrack pressure back below critical" '"WSTUNED_LEVEL":"(ok|warn)"' "$line"
        check_match "PressureChanged conntrack back below critical" \
                'string "conntrack" string "critical" .*string "conntrack" string "(ok|warn)" double' "$(signals)"
        check_rc "wstunectl verify holds again" 0 wstunectl --no-pager verify
        check_match "verify: pressure:conntrack below critical" '^pressure:conntrack .* (ok|warn)$' "$OUT"

        # ---- revert
        check_rc "wstunectl revert" 0 wstunectl --no-pager revert
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        check_eq "revert: $CT back to the module's default" "$default_max" "$(sysctl_get $CT)"
        line=$(journal_new $MSG_KEY_RESTORED WSTUNED_KEY=$CT | tail -n 1)
        # a restore entry: the original value in WSTUNED_EXPECTED, the value it replaced in WSTUNED_ACTUAL
        check_eq "journal: $CT restored, from -> to" "$final->$default_max" \
                "$(printf '%s\n' "$line" | json_field WSTUNED_ACTUAL)->$(printf '%s\n' "$line" |
                        json_field WSTUNED_EXPECTED)"
        check_eq "revert: $BUCKETS back to $HASH_LOW" "$HASH_LOW" "$(sysctl_get $BUCKETS)"
        cleanup
        trap - EXIT
}
