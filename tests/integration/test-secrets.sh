#!/bin/bash
# test-secrets.sh - a key only root may read (its /proc/sys file has no o+r) is read for root callers
# only. Anyone else gets the state "denied" and no value from Get, Verify rows without values, Drifted
# signals without values; the journal never holds its value. Keys: net.ipv4.tcp_fastopen_key (a secret,
# 0600, writable in the test's network namespace), kernel.cad_pid and vm.stat_refresh (0600 too; reading
# the latter makes the kernel queue work on every CPU).
. "$(dirname "$0")/preamble.sh" "$0" "$@"

value_is() { [ "$(in_ns cat /proc/sys/net/ipv4/tcp_fastopen_key)" = "$1" ]; }

WANT=0000000a-0000000b-0000000c-0000000d
OTHER=00000bad-00000bad-00000bad-00000bad
cat >"$SB_ROOT/etc/wstuned/profiles/secret.json" <<JSON
{ "sysctl": { "net.ipv4.tcp_fastopen_key": "$WANT", "net.core.somaxconn": 8192 } }
JSON
printf '{ "poll_interval_ms": 200 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
for f in /proc/sys/kernel/cad_pid /proc/sys/vm/stat_refresh; do
        [ "$(stat -c %a "$f")" = 600 ] || skip_test "$f is not mode 0600 on this kernel"
done

wstuned_start || exit 1
dbus-monitor --system "type='signal',interface='io.wstune.wstuned1.Manager',member='Drifted'" >"$SB/signals.txt" 2>&1 &
SB_PIDS+=("$!")
sleep 0.2

check_rc "root applies a profile with a secret key" 0 wstunectl apply secret
check_match "root's Apply rows show the new value" "$WANT" "$OUT"
check_eq "the kernel has it" "$WANT" "$(in_ns cat /proc/sys/net/ipv4/tcp_fastopen_key)"

# Get
check_rc "nobody: wstunectl get of the secret key" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" get \
        net.ipv4.tcp_fastopen_key
check_match "nobody: state denied" "net.ipv4.tcp_fastopen_key.*denied" "$OUT"
check_no_match "nobody: no value" "0000000a|00000000" "$OUT"
check_eq "nobody: Get over the bus: no value, state denied" \
        'a(ssss) 1 "net.ipv4.tcp_fastopen_key" "" "" "denied"' \
        "$(as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager \
                Get as 1 net.ipv4.tcp_fastopen_key)"
check_eq "nobody: unmanaged root-only keys are denied" \
        'a(ssss) 3 "kernel.cad_pid" "" "" "denied" "vm.stat_refresh" "" "" "denied" "vm.mmap_rnd_bits" "" "" "denied"' \
        "$(as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager \
                Get as 3 kernel.cad_pid vm.stat_refresh vm.mmap_rnd_bits)"
check_match "nobody: a key everyone may read keeps its value" '"net.core.somaxconn" "8192" "8192" "ok"' \
        "$(as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager \
                Get as 1 net.core.somaxconn)"
all=$(as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager Get as 0)
check_match "nobody: Get of every managed key: the secret one denied" '"net.ipv4.tcp_fastopen_key" "" "" "denied"' "$all"
check_match "root: Get shows the secret value" "\"net.ipv4.tcp_fastopen_key\" \"$WANT\" \"$WANT\" \"ok\"" \
        "$(bus_call Get as 1 net.ipv4.tcp_fastopen_key)"
check_match "root: Get of kernel.cad_pid has a value" '"kernel.cad_pid" "[0-9]+" "" "unmanaged"' \
        "$(bus_call Get as 1 kernel.cad_pid)"

# Verify
check_rc "nobody: verify holds" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" verify
check_no_match "nobody: verify shows no value" "0000000a" "$OUT"
check_match "nobody: Verify row without values" '"net.ipv4.tcp_fastopen_key" "" "" "ok"' \
        "$(as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager Verify)"
check_match "root: Verify row with values" "\"net.ipv4.tcp_fastopen_key\" \"$WANT\" \"$WANT\" \"ok\"" "$(bus_call Verify)"

# Drift: corrected, the signal and the journal entry without values
in_ns sh -c "echo $OTHER >/proc/sys/net/ipv4/tcp_fastopen_key"
for _ in $(seq 300); do value_is "$WANT" && break; sleep 0.02; done
check_eq "drift of the secret key corrected" "$WANT" "$(in_ns cat /proc/sys/net/ipv4/tcp_fastopen_key)"
sleep 0.3
signals=$(cat "$SB/signals.txt")
check_match "Drifted signal names the key" 'string "net.ipv4.tcp_fastopen_key"' "$signals"
check_no_match "Drifted signal carries no value" "$WANT|$OTHER" "$signals"
drift=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)" WSTUNED_KEY=net.ipv4.tcp_fastopen_key)
check_match "drift journal entry" '"WSTUNED_ACTION":"corrected"' "$drift"
check_no_match "drift journal entry: no WSTUNED_EXPECTED/ACTUAL" "WSTUNED_EXPECTED|WSTUNED_ACTUAL" "$drift"
check_match "drift journal message says hidden" '\(hidden\)' "$drift"
check_no_match "the journal never holds the secret" "$WANT|$OTHER|0000000a|00000bad" "$(sb_journal -o export)"

check_rc "root reverts" 0 wstunectl revert
check_eq "revert restored the original" "00000000-00000000-00000000-00000000" \
        "$(in_ns cat /proc/sys/net/ipv4/tcp_fastopen_key)"
check_host_unchanged
test_finish
