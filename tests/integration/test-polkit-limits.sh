#!/bin/bash
# test-polkit-limits.sh - polkit checks in flight are capped per caller uid, and cancelled when their caller
# leaves the bus. A stand-in for polkitd (tests/polkit-stub) holds every check of nobody, as a dialog nobody
# answers would, and allows those of daemon. nobody calls Apply from 70 connections at once (tests/bus-flood):
# 8 checks reach polkit, the other calls get LimitsExceeded at once, and daemon still gets its Apply through
# polkit. When nobody's callers leave the bus, polkit is asked to cancel each held check by its own
# cancellation id and nobody may ask again; stopping the daemon cancels the checks still in flight.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

STUB=$WSTUNED_BUILD/tests/polkit-stub
FLOOD=$WSTUNED_BUILD/tests/bus-flood
[ -x "$STUB" ] && [ -x "$FLOOD" ] || skip_test "tests/polkit-stub or tests/bus-flood not built"
id daemon >/dev/null 2>&1 || skip_test "no user daemon for the second caller"
A=$(id -u nobody)
B=$(id -u daemon)
FLOOD_N=70  # more than the daemon's cap of 64 checks in all
PER_UID=8   # AUTH_QUERIES_PER_UID_MAX
DEADLINE=30 # seconds for each thing awaited; the machine may be loaded

# wait_for SECONDS COMMAND...: poll every 50 ms until COMMAND succeeds; 1 when the time is up
wait_for() {
        local deadline=$((SECONDS + $1))
        shift
        until "$@"; do
                [ "$SECONDS" -lt "$deadline" ] || return 1
                sleep 0.05
        done
}
as_daemon() { setpriv --reuid=daemon --regid=daemon --clear-groups -- "$@"; }
# nobody's callers in the background, setpriv exec'ing bus-flood: $! is the process that holds the connections
# (a shell function in the background would be a subshell, and killing it would leave them open).
flood_start() {
        setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$FLOOD" "$1" "$2" >"$3" 2>&1 &
        FLOOD_PID=$!
}
flood_kill() {
        kill -KILL "$FLOOD_PID"
        wait "$FLOOD_PID" 2>/dev/null
}
# The cancellation ids of nobody's checks the stub holds, one a line.
held_ids() { sed -n "s/^check uid=$A id=\([^ ]*\) subject=[^ ]* held\$/\1/p" "$SB/stub.log"; }
# The bus name of the caller whose check has cancellation id $1.
subject_of() { sed -n "s/^check uid=[0-9]* id=$1 subject=\([^ ]*\) .*/\1/p" "$SB/stub.log"; }
held_count() { held_ids | wc -l; }
answers() { grep -c . "$1" 2>/dev/null || true; }
flood_accounted() { [ $(($(answers "$SB/flood-a.out") + $(held_count))) -ge "$FLOOD_N" ]; }
all_cancelled() {
        local id
        for id in "$@"; do
                grep -qxF "cancel id=$id held" "$SB/stub.log" || return 1
        done
}
held_more_than() { [ "$(held_count)" -gt "$1" ]; }
# The daemon watches the caller $1: the broker has its AddMatch for the name and the GetNameOwner behind it.
watched() {
        grep -qF "arg0='$1'" "$SB/monitor.txt" && grep -qxF "   string \"$1\"" "$SB/monitor.txt"
}
monitor_ready() {
        busctl --system call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s \
                org.freedesktop.DBus >/dev/null 2>&1
        grep -qxF '   string "org.freedesktop.DBus"' "$SB/monitor.txt"
}

# sd-bus gives up a method call after 25 s and the daemon then cancels the check itself: far out of reach
# here, so the cancellations seen are those of callers that left.
SYSTEMD_BUS_TIMEOUT=1h wstuned_start || exit 1
check_rc "root applies ws-server" 0 bus_call Apply st ws-server 0

# The stub takes polkit's name on the sandbox's bus: a policy that lets root own it, loaded at once.
cat >"$SB/bus.d/polkit-stub.conf" <<'CONF'
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
</busconfig>
CONF
check_rc "the bus reloads its policy" 0 busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
        org.freedesktop.DBus ReloadConfig
: >"$SB/stub.log"
"$STUB" --hold="$A" --allow="$B" --delay-ms=300 --log="$SB/stub.log" >"$SB/stub.err" 2>&1 &
SB_PIDS+=("$!")
wait_for "$DEADLINE" busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 ||
        { fail "the polkit stub takes its bus name" "$(cat "$SB/stub.err")"; test_finish; exit 1; }

# nobody floods: PER_UID checks held by polkit, LimitsExceeded for the rest, naming this caller's uid.
flood_start "$FLOOD_N" ws-client "$SB/flood-a.out"
wait_for "$DEADLINE" flood_accounted ||
        fail "all $FLOOD_N calls of nobody answered or at polkit within $DEADLINE s" "$(cat "$SB/flood-a.out")"
check_eq "nobody: $PER_UID checks in flight at polkit" "$PER_UID" "$(held_count)"
check_eq "nobody: each held check has a cancellation id of its own" "$PER_UID" "$(held_ids | grep . | sort -u | wc -l)"
limits_re="^[0-9]+ error org\.freedesktop\.DBus\.Error\.LimitsExceeded: .*this caller's user \(uid $A, at most $PER_UID\)"
check_eq "nobody: the other calls refused at once with LimitsExceeded" "$((FLOOD_N - PER_UID))" \
        "$(grep -cE "$limits_re" "$SB/flood-a.out")"
check_eq "nobody: no other answer" "$((FLOOD_N - PER_UID))" "$(answers "$SB/flood-a.out")"

# daemon, another user, is not locked out: its check goes to polkit, which allows it, and the profile applies.
check_rc "daemon: Apply authorized by polkit while nobody's checks are held" 0 as_daemon \
        dbus-send --system --print-reply --reply-timeout=120000 --dest=io.wstune.wstuned1 /io/wstune/wstuned1 \
        io.wstune.wstuned1.Manager.Apply string:ws-client uint64:0
check_match "daemon: the check went through polkit" "^check uid=$B id=[^ ]+ subject=[^ ]+ allowed$" "$(cat "$SB/stub.log")"
check_eq "daemon: profile switched" 's "ws-client"' "$(bus_prop ActiveProfile)"
check_eq "daemon: the kernel value changed" 15 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "nobody's held calls are still waiting" "$((FLOOD_N - PER_UID))" "$(answers "$SB/flood-a.out")"

# nobody's callers leave the bus: polkit is told to cancel each held check, and nobody may ask again.
mapfile -t ids < <(held_ids)
if [ "${#ids[@]}" != "$PER_UID" ] || [ "$(held_ids | grep . | sort -u | wc -l)" != "$PER_UID" ]; then
        fail "what follows finds checks by their cancellation ids: it needs $PER_UID held checks, an id each; stopping"
        flood_kill
        check_host_unchanged
        test_finish
        exit 1
fi
flood_kill
if wait_for "$DEADLINE" all_cancelled "${ids[@]}"; then
        pass "nobody left the bus: polkit got CancelCheckAuthorization for each of the ${#ids[@]} held checks"
else
        fail "nobody left the bus: CancelCheckAuthorization for each held check within $DEADLINE s" \
                "held: ${ids[*]}" "$(grep '^cancel' "$SB/stub.log")"
fi
check_no_match "no cancellation of a check polkit does not hold" "^cancel .* unknown$" "$(cat "$SB/stub.log")"

# The daemon watches a caller once polkit held its check a second; the flood above may have left before
# that (then the GetNameOwner sent behind the AddMatch found it gone). Now one caller leaves once it is
# watched for certain, as a bus monitor shows: its check is cancelled on the NameOwnerChanged signal.
monitor=0
if command -v dbus-monitor >/dev/null && command -v stdbuf >/dev/null; then
        stdbuf -oL dbus-monitor --system --monitor "type='method_call',member='AddMatch'" \
                "type='method_call',member='GetNameOwner'" >"$SB/monitor.txt" 2>&1 &
        SB_PIDS+=("$!")
        wait_for "$DEADLINE" monitor_ready && monitor=1 || fail "dbus-monitor runs" "$(cat "$SB/monitor.txt")"
fi
n=$(held_count)
flood_start 1 ws-server "$SB/flood-a2.out"
if wait_for "$DEADLINE" held_more_than "$n"; then
        pass "nobody: a new check reaches polkit once its callers left"
else
        fail "nobody: a new check reaches polkit once its callers left" "$(cat "$SB/flood-a2.out")"
fi
check_eq "nobody: the new call is not refused" "" "$(cat "$SB/flood-a2.out")"
id=$(held_ids | tail -n 1)
subject=$(subject_of "$id")
if [ "$monitor" = 1 ]; then
        if wait_for "$DEADLINE" watched "$subject"; then
                pass "the daemon watches nobody's caller $subject once polkit holds its check"
        else
                fail "the daemon watches nobody's caller $subject within $DEADLINE s" "$(cat "$SB/monitor.txt")"
        fi
else
        echo "SKIP: no bus monitor (dbus-monitor, stdbuf): the caller may leave before the daemon watches it"
fi
flood_kill
if wait_for "$DEADLINE" all_cancelled "$id"; then
        pass "a watched caller left: its check ($id) is cancelled"
else
        fail "a watched caller left: its check ($id) is cancelled within $DEADLINE s" "$(grep '^cancel' "$SB/stub.log")"
fi
check_no_match "still no cancellation of a check polkit does not hold" "^cancel .* unknown$" "$(cat "$SB/stub.log")"

# Stopping the daemon cancels the check still in flight and tells its caller.
n=$(held_count)
flood_start 1 ws-server "$SB/flood-a3.out"
wait_for "$DEADLINE" held_more_than "$n" || fail "nobody: a third check reaches polkit" "$(cat "$SB/flood-a3.out")"
last=$(held_ids | tail -n 1)
rc=0
wstuned_stop || rc=$?
check_eq "the daemon stops cleanly with a check in flight (exit status)" 0 "$rc"
if wait_for "$DEADLINE" all_cancelled "$last"; then
        pass "the daemon's exit cancelled the check in flight"
else
        fail "the daemon's exit cancelled the check in flight ($last)" "$(grep '^cancel' "$SB/stub.log")"
fi
check_match "the waiting caller is told the daemon stopped" "^0 error [^ ]+: wstuned is stopping" \
        "$(cat "$SB/flood-a3.out")"
flood_kill

check_host_unchanged
test_finish
