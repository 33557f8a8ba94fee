#!/bin/bash
# test-monitor.sh - `wstunectl monitor` and `wstunectl --json monitor` follow the daemon live: started
# before wstuned (so "not running" proves the subscriptions are in place), they print its start, the
# property changes of an apply with a late key (ActiveProfile, State, PendingKeys), a corrected and a
# reported drift (Drifted, DriftCorrections, State degraded and back), its stop and its restart, and keep
# following the new daemon. SIGINT or SIGTERM ends them with 0, so does the reader of the pipe going away;
# losing the bus ends them with 3. Every --json line must parse.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

TS='[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}'
# both WHAT TEXT_REGEX JSON_REGEX: the line shows up in the text and in the JSON output
both() {
        wait_line "text: $1" "$SB/monitor.txt" "^$TS $2\$"
        wait_line "json: $1" "$SB/monitor.json" "$3"
}
# wait_exit PID: wait up to 3 s for PID to end; its exit status in RC ("hung" after a SIGKILL). Not in a
# $(...) subshell: only this shell can wait for its children.
wait_exit() {
        local pid=$1
        RC=0
        for _ in $(seq 300); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.01
        done
        if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid"
                wait "$pid"
                RC=hung
                return
        fi
        wait "$pid" || RC=$?
}

cat >"$SB_ROOT/etc/wstuned/profiles/monitor.json" <<'JSON'
{
  "sysctl": {
    "net.core.somaxconn": 8192,
    "net.ipv4.tcp_fin_timeout": { "value": 20, "policy": "warn" },
    "net.ipv4.conf.wsv0.forwarding": 1
  }
}
JSON
echo '{ "poll_interval_ms": 200 }' >"$SB_ROOT/etc/wstuned/wstuned.json"

# Started before the daemon: the "not running" line comes after the matches are in place. The binary is
# run directly: through the wstunectl shell function, SIGINT would reach a subshell instead.
"$WSTUNED_BUILD/client/wstunectl" monitor >"$SB/monitor.txt" 2>"$SB/monitor.err" &
MON_PID=$!
"$WSTUNED_BUILD/client/wstunectl" --json monitor >"$SB/monitor.json" 2>"$SB/monitor-json.err" &
JSON_PID=$!
SB_PIDS+=("$MON_PID" "$JSON_PID")
both "not running at start" "wstuned not running" '"event":"not-running"'

wstuned_start || exit 1
both "started" "wstuned started" '"event":"started"'

check_rc "apply" 0 wstunectl apply monitor
both "ActiveProfile" "active-profile monitor" '"name":"ActiveProfile","value":"monitor"'
both "State pending" "state pending" '"name":"State","value":"pending"'
both "PendingKeys" "pending-keys net.ipv4.conf.wsv0.forwarding" \
        '"name":"PendingKeys","value":\["net.ipv4.conf.wsv0.forwarding"\]'

in_ns ip link add wsv0 type veth peer name wsv1
both "PendingKeys empty" "pending-keys -" '"name":"PendingKeys","value":\[\]'
both "State ok" "state ok" '"name":"State","value":"ok"'

# enforce: corrected within a poll interval
in_ns sysctl -qw net.core.somaxconn=1024
both "Drifted corrected" "drifted net.core.somaxconn 1024 -> 8192 \(corrected\)" \
        '"event":"drifted","key":"net.core.somaxconn","expected":"8192","actual":"1024","action":"corrected"'
both "DriftCorrections" "drift-corrections 1" '"name":"DriftCorrections","value":1[,}]'

# warn: reported, the key stays drifted and the state degraded until the value is back
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=33
both "Drifted reported" "drifted net.ipv4.tcp_fin_timeout 33 -> 20 \(reported\)" \
        '"key":"net.ipv4.tcp_fin_timeout","expected":"20","actual":"33","action":"reported"'
both "State degraded" "state degraded" '"name":"State","value":"degraded"'
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=20
wait_line "text: State ok again" "$SB/monitor.txt" "^$TS state ok\$" 2
wait_line "json: State ok again" "$SB/monitor.json" '"name":"State","value":"ok"' 2

# the daemon goes and comes back (as systemd restarts it): monitor keeps following the new owner
rc=0
wstuned_stop || rc=$?
check_eq "wstuned stops with 0" 0 "$rc"
both "stopped" "wstuned stopped" '"event":"stopped"'
wstuned_start || exit 1
in_ns sysctl -qw net.core.somaxconn=2048
both "Drifted after the restart" "drifted net.core.somaxconn 2048 -> 8192 \(corrected\)" \
        '"actual":"2048","action":"corrected"'
wait_line "text: started again" "$SB/monitor.txt" "^$TS wstuned started\$" 2

sleep 0.2
check_eq "text: every line starts with the time" "" "$(grep -Ev "^$TS [a-z]" "$SB/monitor.txt")"
check_eq "text: one line per event, as many as JSON objects" "$(wc -l <"$SB/monitor.json")" \
        "$(wc -l <"$SB/monitor.txt")"
if command -v python3 >/dev/null; then
        check_rc "json: every line parses, each has time and event" 0 python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    assert isinstance(o["time"], str) and o["time"].endswith("Z") and isinstance(o["event"], str), line
' <"$SB/monitor.json"
else
        echo "# SKIP json parse check: python3 not installed"
fi
echo "# sample of the text output:"
sed 's/^/#   /' "$SB/monitor.txt"

kill -INT "$MON_PID"
wait_exit "$MON_PID"
check_eq "SIGINT: monitor exits 0" 0 "$RC"
kill -TERM "$JSON_PID"
wait_exit "$JSON_PID"
check_eq "SIGTERM: --json monitor exits 0" 0 "$RC"
check_eq "no errors from monitor" "" "$(cat "$SB/monitor.err" "$SB/monitor-json.err")"

rc=0
wstuned_stop || rc=$?
check_eq "wstuned stops with 0" 0 "$rc"

# the reader of the pipe goes away after one line: monitor ends at once with 0, not at the next event
( "$WSTUNED_BUILD/client/wstunectl" monitor 2>"$SB/head.err" | head -n 1 >"$SB/head.txt"
  echo "${PIPESTATUS[0]}" >"$SB/head.rc" ) &
wait_exit "$!"
check_match "pipe: the first line" "^$TS wstuned not running\$" "$(cat "$SB/head.txt")"
check_eq "pipe: monitor exits 0 when the reader is gone" "0" "$(cat "$SB/head.rc" 2>/dev/null || echo "$RC")"
check_eq "pipe: no errors" "" "$(cat "$SB/head.err")"

# losing the bus itself ends monitor with exit status 3 and one line on stderr
"$WSTUNED_BUILD/client/wstunectl" monitor >"$SB/monitor-bus.txt" 2>"$SB/monitor-bus.err" &
BUS_MON_PID=$!
SB_PIDS+=("$BUS_MON_PID")
wait_line "third monitor subscribed" "$SB/monitor-bus.txt" "^$TS wstuned not running\$"
kill -TERM "$SB_BUS_PID"
wait_exit "$BUS_MON_PID"
check_eq "bus gone: exit status 3" 3 "$RC"
check_eq "bus gone: one line on stderr" "wstunectl: lost the connection to the system bus" \
        "$(cat "$SB/monitor-bus.err")"

check_host_unchanged
test_finish
