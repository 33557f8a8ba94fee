#!/bin/bash
# test-top.sh - `wstunectl top` against the sandbox daemon:
#   - without a daemon at the start it exits 3, as the other commands do, and prints nothing;
#   - `top -n 3 --interval 0.2` prints three blocks, a blank line apart, each a header line with the time,
#     the status and the pressure table, about 0.2 s apart, and no escape codes (stdout is no terminal);
#     on a pseudo-terminal (script(1)) each refresh clears the screen and the levels are coloured;
#   - `--json top -n 2` prints two documents, one a line, that parse and carry the pressure array;
#   - a PressureChanged refreshes at once: with `--interval 30 -n 2`, the second refresh comes within a
#     few seconds of connections that put the ports resource above a low warn threshold, and shows it;
#   - wstuned going away and coming back: "wstuned is not running" (JSON: "running": false), then the new
#     daemon, without starting it and without errors; SIGINT and SIGTERM end top with 0.
# The ports resource makes the level change, not fds: fs.file-max is 2^63-1 on hosts booted with systemd,
# so no threshold is low enough for fds there.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

WSTUNECTL=$WSTUNED_BUILD/client/wstunectl
HOLD=$WSTUNED_BUILD/tests/tcp-hold
HEADER='^Every [0-9.]+s: wstunectl top  [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}$'
ROW='^(conntrack|backlog|ports|fds) +(absent|ok|warn|critical) '

# count REGEX TEXT: how many lines of TEXT match
count() { printf '%s\n' "$2" | grep -Ec -- "$1"; }
# wait_until WHAT COMMAND...: poll every 10 ms for up to 5 s until COMMAND succeeds
wait_until() {
        local what=$1
        shift
        for _ in $(seq 500); do
                if "$@"; then
                        pass "$what"
                        return 0
                fi
                sleep 0.01
        done
        fail "$what (not within 5 s)"
        return 1
}
# wait_exit PID SECONDS: wait for PID to end; its exit status in RC ("hung" after a SIGKILL). Not in a
# $(...) subshell: only this shell can wait for its children.
wait_exit() {
        local pid=$1
        RC=0
        for _ in $(seq $(($2 * 100))); do
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
# json_flat: for each document on stdin, "RUNNING RESOURCES CONNTRACK-FIELDS", as "true conntrack,backlog,
# ports,fds drops,entries,max"; fails when a line does not parse
if command -v python3 >/dev/null; then
        json_flat() {
                python3 -c '
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    assert d["time"].endswith("Z"), line
    print("true" if d["running"] else "false", ",".join(r["resource"] for r in d.get("pressure", [])) or "-",
          ",".join(sorted(d.get("conntrack", {}))) or "-")'
        }
else
        json_flat() {
                perl -MJSON::PP -ne '
my $d = decode_json($_);
die "no time" unless $d->{time} =~ /Z$/;
my $resources = join(",", map { $_->{resource} } @{$d->{pressure} // []}) || "-";
my $conntrack = join(",", sort keys %{$d->{conntrack} // {}}) || "-";
print join(" ", $d->{running} ? "true" : "false", $resources, $conntrack), "\n"'
        }
fi

# --- no daemon at the start
check_rc "no daemon: top exits 3" 3 "$WSTUNECTL" top -n 2
check_eq "no daemon: says it is not running and how to start it" \
        "wstunectl: wstuned is not running (systemctl start wstuned)" "$OUT"
check_eq "no daemon: nothing on stdout" "" "$("$WSTUNECTL" --json top -n 2 2>/dev/null)"

# --- usage
check_rc "--interval goes with top only" 2 "$WSTUNECTL" status --interval 1
check_rc "-n goes with top only" 2 "$WSTUNECTL" monitor -n 1
check_rc "--interval below 0.1" 2 "$WSTUNECTL" top --interval 0.09
check_rc "--interval with a unit" 2 "$WSTUNECTL" top --interval 1s
check_rc "-n 0" 2 "$WSTUNECTL" top -n 0
check_rc "--iterations without a value" 2 "$WSTUNECTL" top --iterations
check_match "a missing value is named" 'option "--iterations" needs an argument' "$OUT"

echo '{ "poll_interval_ms": 200 }' >"$SB_ROOT/etc/wstuned/wstuned.json"
cat >"$SB_ROOT/etc/wstuned/profiles/top.json" <<'JSON'
{
  "sysctl": { "net.core.somaxconn": 4096 },
  "watch": { "ports": { "warn": 0.01, "critical": 1000 } }
}
JSON
wstuned_start || exit 1
check_rc "apply" 0 wstunectl apply top

# --- blocks, without a terminal; the calls it makes, seen by busctl monitor between two ListProfiles calls
busctl --system monitor --match "type='method_call',destination='io.wstune.wstuned1'" >"$SB/calls.txt" 2>&1 &
SB_PIDS+=("$!")
markers() { grep -c 'Member=ListProfiles' "$SB/calls.txt"; }
listening() { bus_call ListProfiles >/dev/null; [ "$(markers)" -ge 1 ]; }
wait_until "busctl monitor listens" listening
skip=$(wc -l <"$SB/calls.txt")
check_rc "top -n 3 --interval 0.2" 0 timeout 10 "$WSTUNECTL" top -n 3 --interval 0.2
TOP=$OUT
n=$(markers)
bus_call ListProfiles >/dev/null
ended() { [ "$(markers)" -gt "$n" ]; }
wait_until "busctl monitor saw the end marker" ended
# "FLAGS MEMBER" of each call; Flags=2 is NO_AUTO_START: only the first refresh may start wstuned
calls=$(tail -n +"$((skip + 1))" "$SB/calls.txt" | awk '
        /Type=method_call/ { sub(/.*Flags=/, ""); flags = $1 }
        /Member=/ { sub(/.*Member=/, ""); if ($1 == "ListProfiles") exit; printf "%s %s,", flags, $1 }')
check_eq "one GetAll and one Get per refresh, no bus activation after the first" \
        "0 GetAll,0 Get,2 GetAll,2 Get,2 GetAll,2 Get," "$calls"
check_eq "three headers" 3 "$(count "$HEADER" "$TOP")"
check_eq "the first line is a header" 1 "$(printf '%s\n' "$TOP" | head -n 1 | grep -Ec -- "$HEADER")"
blank_before() { awk '/^Every / && NR > 1 { n++; if (prev == "") b++ } { prev = $0 } END { print n, b }'; }
check_eq "a blank line before each later header" "2 2" "$(printf '%s\n' "$TOP" | blank_before)"
check_eq "three status blocks" 3 "$(count '^Active profile: top$' "$TOP")"
check_eq "three key tables" 3 "$(count '^net\.core\.somaxconn +4096 +4096 +ok$' "$TOP")"
check_eq "three pressure tables" 3 "$(count '^RESOURCE +LEVEL +USE +USED +LIMIT +NOTE$' "$TOP")"
check_eq "four resources in each" 12 "$(count "$ROW" "$TOP")"
check_no_match "no escape codes" $'\x1b' "$TOP"
# the headers' times: each refresh 0.2 s after the previous one (not before, nor much later)
gaps=$(printf '%s\n' "$TOP" | grep -E -- "$HEADER" | awk '{
        split($NF, t, "[:.]")
        ms = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]
        if (NR > 1) { d = ms - prev; if (d < 0) d += 86400000; print (d >= 190 && d < 1500) ? "ok" : d }
        prev = ms }' | tr '\n' ' ')
check_eq "refreshes 0.2 s apart" "ok ok " "$gaps"

check_rc "top -n 1: one refresh, at once" 0 timeout 2 "$WSTUNECTL" top -n 1 --interval 30
check_eq "top -n 1: one header" 1 "$(count "$HEADER" "$OUT")"

# --- a pseudo-terminal: redrawn in place, coloured
if command -v script >/dev/null; then
        tty_out=$(TERM=xterm timeout 10 script -qec "$WSTUNECTL top -n 2 --interval 0.2" /dev/null </dev/null)
        check_eq "terminal: the screen is cleared for each refresh" 2 \
                "$(printf '%s' "$tty_out" | grep -o $'\x1b\\[H\x1b\\[2J' | wc -l)"
        check_match "terminal: the first refresh starts with it" $'^\x1b\\[H\x1b\\[2JEvery 0\\.2s: ' "$tty_out"
        check_match "terminal: levels coloured" $'\x1b\\[0;1;32mok\x1b\\[0m' "$tty_out"
else
        echo "SKIP: script (util-linux) not installed: the terminal output is not checked"
fi

# --- JSON: one document a line
check_rc "--json top -n 2" 0 timeout 10 "$WSTUNECTL" --json top -n 2 --interval 0.2
check_eq "--json: two lines" 2 "$(printf '%s\n' "$OUT" | wc -l)"
check_rc "--json: each line parses" 0 json_flat <<<"$OUT"
check_eq "--json: running, the pressure array, the conntrack object" \
        "$(printf 'true conntrack,backlog,ports,fds drops,entries,max\n%.0s' 1 2)" "$OUT"

# --- PressureChanged refreshes at once, long before the interval
dbus-monitor --system "type='signal',interface='io.wstune.wstuned1.Manager',member='PressureChanged'" \
        >"$SB/signals.txt" 2>&1 &
SB_PIDS+=("$!")
"$WSTUNECTL" top -n 2 --interval 30 >"$SB/wake.txt" 2>"$SB/wake.err" &
WAKE_PID=$!
SB_PIDS+=("$WAKE_PID")
wait_line "wake: the first refresh" "$SB/wake.txt" "$HEADER"
wait_line "wake: ports ok before" "$SB/wake.txt" '^ports +ok '
sleep 0.5
check_eq "wake: no second refresh without a change" 1 "$(grep -Ec -- "$HEADER" "$SB/wake.txt")"
start=$EPOCHREALTIME
nsenter -t "$SB_NS_PID" -n -- "$HOLD" --port 8090 -n 10 >"$SB/hold.out" 2>&1 &
SB_PIDS+=("$!")
wait_exit "$WAKE_PID" 5
elapsed=$(perl -e "printf '%.1f', $EPOCHREALTIME - $start")
check_eq "wake: top -n 2 ended with 0 within 5 s of the connections (${elapsed} s)" 0 "$RC"
check_eq "wake: two refreshes" 2 "$(grep -Ec -- "$HEADER" "$SB/wake.txt")"
# last_block FILE: the last refresh in FILE
last_block() { sed -n '/^Every /h; /^Every /!H; ${x; p}' "$1"; }
check_match "wake: the second shows ports warn" '^ports +warn ' "$(last_block "$SB/wake.txt")"
check_eq "wake: no errors" "" "$(cat "$SB/wake.err")"
check_match "wake: the daemon sent PressureChanged ports warn" 'string "ports" string "warn" double' \
        "$(tr -s '\n ' ' ' <"$SB/signals.txt")"

# --- the daemon goes away and comes back; SIGINT and SIGTERM end top with 0
"$WSTUNECTL" top --interval 0.2 >"$SB/away.txt" 2>"$SB/away.err" &
AWAY_PID=$!
"$WSTUNECTL" --json top --interval 0.2 >"$SB/away.json" 2>"$SB/away-json.err" &
AWAY_JSON_PID=$!
SB_PIDS+=("$AWAY_PID" "$AWAY_JSON_PID")
wait_line "away: refreshing" "$SB/away.txt" "$HEADER" 2
rc=0
wstuned_stop || rc=$?
check_eq "wstuned stops with 0" 0 "$rc"
wait_line "away: wstuned is not running" "$SB/away.txt" '^wstuned is not running$'
wait_line "away: --json running false" "$SB/away.json" '^\{"time":"[-0-9T:.]+Z","running":false\}$'
wstuned_start || exit 1
# a status block after the last "not running": the new daemon is shown
text_back() {
        awk '/^wstuned is not running$/ { seen = 1 } seen && /^Active profile: top$/ { ok = 1 } END { exit !ok }' \
                "$SB/away.txt"
}
json_back() { grep -o '"running":[a-z]*' "$SB/away.json" | tr '\n' ' ' | grep -q 'false.*true'; }
wait_until "back: the new daemon is shown" text_back
wait_until "back: --json running true after false" json_back
check_rc "away and back: every --json line parses" 0 json_flat <"$SB/away.json"
kill -INT "$AWAY_PID"
wait_exit "$AWAY_PID" 3
check_eq "SIGINT: top exits 0" 0 "$RC"
kill -TERM "$AWAY_JSON_PID"
wait_exit "$AWAY_JSON_PID" 3
check_eq "SIGTERM: --json top exits 0" 0 "$RC"
check_eq "away and back: no errors" "" "$(cat "$SB/away.err" "$SB/away-json.err")"
echo "# the last refresh of the text output:"
last_block "$SB/away.txt" | sed 's/^/#   /'

check_host_unchanged
test_finish
