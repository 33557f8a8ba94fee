#!/bin/bash
# test-drift.sh - the drift watch on real kernel sysctls in the daemon's network namespace: enforce sets
# a value back within two poll intervals, warn reports once and leaves it, raise-only corrects only a
# lowered value; a key that appears with a network device is applied on the kernel's uevent (poll
# interval one hour, so nothing else could have done it); another writer flipping a key ends in
# "fighting" with a bounded number of journal entries. Drifted signals are read by dbus-monitor.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

entries() { sb_journal -o json MESSAGE_ID="$(id_of "$1")" 2>/dev/null | grep -c . ; }
settings() { printf '{ "poll_interval_ms": %s, "fight_corrections": 3, "fight_window_ms": 5000, "fight_backoff_ms": 2000, "fight_backoff_max_ms": 8000 }\n' "$1" >"$SB_ROOT/etc/wstuned/wstuned.json"; }
# wait_for WHAT TIMEOUT_MS COMMAND...: poll every 10 ms until COMMAND succeeds; prints the ms it took
wait_for() {
        local what=$1 limit=$2 start now
        shift 2
        start=$(date +%s%N)
        while :; do
                if "$@" >/dev/null 2>&1; then
                        now=$(date +%s%N)
                        pass "$what ($(( (now - start) / 1000000 )) ms)"
                        return 0
                fi
                now=$(date +%s%N)
                if [ $(( (now - start) / 1000000 )) -ge "$limit" ]; then
                        fail "$what (not within $limit ms)"
                        return 1
                fi
                sleep 0.01
        done
}
value_is() { [ "$(in_ns sysctl -n "$1")" = "$2" ]; }

cat >"$SB_ROOT/etc/wstuned/profiles/drift.json" <<'JSON'
{
  "sysctl": {
    "net.core.somaxconn": 8192,
    "net.ipv4.tcp_fin_timeout": { "value": 20, "policy": "warn" },
    "net.ipv4.tcp_max_syn_backlog": { "value": 4096, "policy": "raise-only" },
    "net.ipv4.conf.wsv0.forwarding": 1
  }
}
JSON
settings 200
wstuned_start || exit 1
dbus-monitor --system "type='signal',interface='io.wstune.wstuned1.Manager',member='Drifted'" >"$SB/signals.txt" 2>&1 &
SB_PIDS+=("$!")
sleep 0.2

check_rc "apply" 0 wstunectl apply drift
check_match "the device key is pending" "net.ipv4.conf.wsv0.forwarding .*pending" "$OUT"
check_match "PendingKeys" 'as 1 "net.ipv4.conf.wsv0.forwarding"' "$(bus_prop PendingKeys)"

# enforce
in_ns sysctl -qw net.core.somaxconn=1024
wait_for "enforce: somaxconn set back within two intervals" 400 value_is net.core.somaxconn 8192
line=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)" | head -n 1)
check_match "drift entry: key" '"WSTUNED_KEY":"net.core.somaxconn"' "$line"
check_match "drift entry: expected" '"WSTUNED_EXPECTED":"8192"' "$line"
check_match "drift entry: actual" '"WSTUNED_ACTUAL":"1024"' "$line"
check_match "drift entry: action" '"WSTUNED_ACTION":"corrected"' "$line"
check_match "drift entry: warning priority" '"PRIORITY":"4"' "$line"
check_eq "DriftCorrections" "t 1" "$(bus_prop DriftCorrections)"

# warn: reported once, left alone
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=33
sleep 0.7
check_eq "warn: value left" 33 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_match "warn: Get says drifted" '"33" "20" "drifted"' "$(bus_call Get as 1 net.ipv4.tcp_fin_timeout)"
check_eq "warn: one report for three polls" 1 "$(entries DRIFT_REPORTED)"
check_match "warn: report priority err" '"PRIORITY":"3"' "$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_REPORTED)")"
check_rc "verify fails while drifted" 1 wstunectl verify
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=20

# raise-only
in_ns sysctl -qw net.ipv4.tcp_max_syn_backlog=9000
sleep 0.5
check_eq "raise-only: a higher value is left" 9000 "$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)"
in_ns sysctl -qw net.ipv4.tcp_max_syn_backlog=1000
wait_for "raise-only: a lowered value is raised" 400 value_is net.ipv4.tcp_max_syn_backlog 4096

# late key on a uevent: with a one-hour poll only the kernel's event can trigger the re-check
settings 3600000
check_rc "reload with a one-hour poll" 0 wstunectl reload
in_ns ip link add wsv0 type veth peer name wsv1
wait_for "device key applied on the uevent" 1000 value_is net.ipv4.conf.wsv0.forwarding 1
late=$(sb_journal -o json MESSAGE_ID="$(id_of KEY_APPLIED_LATE)")
check_match "applied-late entry names the key" '"WSTUNED_KEY":"net.ipv4.conf.wsv0.forwarding"' "$late"
delay=$(printf '%s\n' "$late" | sed -n 's/.*"WSTUNED_DELAY_USEC":"\([0-9]*\)".*/\1/p')
check_match "applied-late entry has the delay" '^[0-9]+$' "$delay"
echo "# late key applied ${delay} µs after the uevent"
check_eq "PendingKeys empty" "as 0" "$(bus_prop PendingKeys)"
check_rc "verify holds" 0 wstunectl verify

# a fight: another writer sets somaxconn 100 times a second for 1.5 s. With a 200 ms poll, three
# corrections fit in the 5 s window, the fourth needed one is a fight: one back-off round of 2 s.
settings 200
check_rc "reload with a 200 ms poll" 0 wstunectl reload
cpu_before=$(cut -d' ' -f1 "/proc/$WSTUNED_PID/schedstat")
in_ns sh -c 'i=0; while [ $i -lt 150 ]; do echo 1000 >/proc/sys/net/core/somaxconn; sleep 0.01; i=$((i + 1)); done'
cpu_after=$(cut -d' ' -f1 "/proc/$WSTUNED_PID/schedstat")
echo "# daemon CPU during 1.5 s of a writer at 100 Hz: $(( (cpu_after - cpu_before) / 1000 )) µs"
check_match "state fighting" '"1000" "8192" "fighting"' "$(bus_call Get as 1 net.core.somaxconn)"
check_eq "one critical entry" 1 "$(entries KEY_FIGHTING)"
fight=$(sb_journal -o json MESSAGE_ID="$(id_of KEY_FIGHTING)")
check_match "fight entry names the competing value" '"WSTUNED_ACTUAL":"1000"' "$fight"
check_match "fight entry is critical" '"PRIORITY":"2"' "$fight"
corrections=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)" WSTUNED_KEY=net.core.somaxconn | grep -c .)
check_eq "bounded corrections (the first drift + 3 before the back-off)" 4 "$corrections"
check_rc "verify fails while fighting" 1 wstunectl verify
check_match "verify says fighting" "net.core.somaxconn .*fighting" "$OUT"
# the writer stopped: after the back-off (2 s) the value is enforced again
wait_for "enforced again after the back-off" 3500 value_is net.core.somaxconn 8192
check_rc "verify holds again" 0 wstunectl verify

sleep 0.2
signals=$(cat "$SB/signals.txt")
check_match "Drifted signal: corrected" 'string "net.core.somaxconn"' "$signals"
check_match "Drifted signal carries the action" 'string "corrected"' "$signals"
check_match "Drifted signal: reported" 'string "reported"' "$signals"
check_match "Drifted signal: backed-off" 'string "backed-off"' "$signals"

check_rc "revert" 0 wstunectl revert
check_host_unchanged
test_finish
