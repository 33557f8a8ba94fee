#!/bin/bash
# test-signals.sh - the daemon as systemd sees it, through NOTIFY_SOCKET (tests/notify-listen stands in for
# systemd): STATUS= names the profile and its state from the start and follows every change, not only the
# one at READY=1; SIGHUP reloads settings and profile like the Reload call (RELOADING=1, then READY=1, the
# same process, journal entries naming the sender), a failed reload keeps the previous settings and profile
# and the daemon running; the Reload call is framed the same way; SIGTERM still ends it with status 0.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

value_is() { [ "$(in_ns sysctl -n "$1")" = "$2" ]; }
# wait_value WHAT SECONDS KEY VALUE
wait_value() {
        local what=$1 tries=$(($2 * 20))
        for _ in $(seq "$tries"); do
                value_is "$3" "$4" && { pass "$what"; return 0; }
                sleep 0.05
        done
        fail "$what" "$3 is $(in_ns sysctl -n "$3"), expected $4 within $2 s"
}
# wait_journal WHAT REGEX: the daemon's journal has a line matching REGEX within 5 s
wait_journal() {
        for _ in $(seq 50); do
                sb_journal -t wstuned 2>/dev/null | grep -Eq -- "$2" && { pass "$1"; return 0; }
                sleep 0.1
        done
        fail "$1" "no line matching $2 in: $(sb_journal -t wstuned 2>&1 | tail -n 20)"
}
notified() { grep -c -E -- "$1" "$SB/notify.log"; }
# The daemon's notifications. Other processes inherit NOTIFY_SOCKET too: systemd's tools send ERRNO= there when
# they fail, as busctl does while wstuned_start waits for the bus name of a slow (ASan, memcheck) daemon.
notifications() { grep -v '^ERRNO=' "$SB/notify.log"; }
settings() { printf '%s\n' "$1" >"$SB_ROOT/etc/wstuned/wstuned.json"; }

"$WSTUNED_BUILD/tests/notify-listen" "$SB/notify" >"$SB/notify.log" 2>&1 &
SB_PIDS+=("$!")
for _ in $(seq 100); do [ -S "$SB/notify" ] && break; sleep 0.02; done
export NOTIFY_SOCKET=$SB/notify

cat >"$SB_ROOT/etc/wstuned/profiles/hup.json" <<'JSON'
{ "sysctl": { "net.core.somaxconn": 8192, "net.ipv4.tcp_fin_timeout": 20 } }
JSON
cat >"$SB_ROOT/etc/wstuned/profiles/other.json" <<'JSON'
{ "sysctl": { "net.ipv4.tcp_fin_timeout": 30 } }
JSON
orig_somaxconn=$(in_ns sysctl -n net.core.somaxconn)
orig_fin=$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)

wstuned_start || exit 1
pid=$WSTUNED_PID
wait_line "READY=1 after the start" "$SB/notify.log" '^READY=1$'
check_eq "STATUS= before READY=1: no profile" "STATUS=No profile active
READY=1" "$(notifications)"

# SIGHUP re-reads the settings: they now name a profile (none was applied, so theirs is the one to use)
# and a one-hour poll.
settings '{ "profile": "hup", "poll_interval_ms": 3600000 }'
kill -HUP "$pid"
wait_line "SIGHUP: RELOADING=1 (with MONOTONIC_USEC=)" "$SB/notify.log" '^RELOADING=1 \| MONOTONIC_USEC=[0-9]+$'
wait_line "SIGHUP: READY=1 when done" "$SB/notify.log" '^READY=1$' 2
wait_value "SIGHUP: the profile the settings name is applied" 2 net.ipv4.tcp_fin_timeout 20
check_rc "SIGHUP: still running" 0 kill -0 "$pid"
check_eq "SIGHUP: ActiveProfile" 's "hup"' "$(bus_prop ActiveProfile)"
wait_line "STATUS= follows: the profile and its keys" "$SB/notify.log" '^STATUS=Profile hup: ok \(2 keys ok\)$'
check_eq "notifications in order" "STATUS=No profile active
READY=1
RELOADING=1
READY=1
STATUS=Profile hup: ok (2 keys ok)" "$(notifications | sed 's/ | MONOTONIC_USEC=[0-9]*$//')"
wait_journal "journal: the SIGHUP and its sender" "Reloading on SIGHUP from PID $BASHPID \(uid 0\)"
wait_journal "journal: the outcome" "Reloaded on SIGHUP: Profile hup: ok \(2 keys ok\)"
check_match "journal: the Apply names the sender's uid" '"WSTUNED_CALLER_UID":"0"' \
        "$(sb_journal -o json WSTUNED_PROFILE=hup)"

# The one-hour poll is in force: a drift stays.
in_ns sysctl -qw net.core.somaxconn=1000
sleep 1.5
check_eq "SIGHUP: the settings' poll interval is in force (one hour: drift not yet seen)" 1000 \
        "$(in_ns sysctl -n net.core.somaxconn)"

# A changed profile and a 200 ms poll: SIGHUP applies both.
sed -i 's/: 20 }/: 25 }/' "$SB_ROOT/etc/wstuned/profiles/hup.json"
settings '{ "profile": "hup", "poll_interval_ms": 200 }'
kill -HUP "$pid"
wait_line "second SIGHUP: READY=1" "$SB/notify.log" '^READY=1$' 3
wait_value "second SIGHUP: the profile is read again" 2 net.ipv4.tcp_fin_timeout 25
check_eq "second SIGHUP: the Apply set the drifted key back" 8192 "$(in_ns sysctl -n net.core.somaxconn)"
in_ns sysctl -qw net.core.somaxconn=1000
wait_value "second SIGHUP: the 200 ms poll is in force (a drift is set back)" 1 net.core.somaxconn 8192

# Broken settings: the reload fails, the daemon keeps its settings and profile and says READY=1 again.
settings '{ "poll_interval_ms": 5 }'
kill -HUP "$pid"
wait_line "SIGHUP with broken settings: READY=1 all the same" "$SB/notify.log" '^READY=1$' 4
check_rc "broken settings: still running" 0 kill -0 "$pid"
wait_journal "journal: the failed reload, with the reason" \
        "Reload on SIGHUP failed: .*poll_interval_ms"
check_rc "broken settings: still serving" 0 bus_call Verify
check_eq "broken settings: values kept" 25 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
in_ns sysctl -qw net.core.somaxconn=1000
wait_value "broken settings: the previous poll interval still runs" 2 net.core.somaxconn 8192

# The Reload call (systemctl reload runs wstunectl reload) is framed the same way.
settings '{ "profile": "hup", "poll_interval_ms": 1000 }'
check_rc "wstunectl reload" 0 wstunectl reload
check_eq "Reload call: RELOADING=1 and READY=1 too" "4 5" \
        "$(notified '^RELOADING=1 ') $(notified '^READY=1$')"

# STATUS= follows changes no reload makes: an Apply of another profile, a Revert.
check_rc "apply other" 0 wstunectl apply other
wait_line "STATUS= after Apply" "$SB/notify.log" '^STATUS=Profile other: ok \(1 key ok\)$'
check_rc "revert" 0 wstunectl revert
wait_line "STATUS= after Revert" "$SB/notify.log" '^STATUS=No profile active$' 2
check_eq "STATUS= sent only on a change" 4 "$(notified '^STATUS=')"

rc=0
wstuned_stop || rc=$?
check_eq "SIGTERM still stops it with status 0" 0 "$rc"
check_eq "somaxconn original at the end" "$orig_somaxconn" "$(in_ns sysctl -n net.core.somaxconn)"
check_eq "fin_timeout original at the end" "$orig_fin" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_host_unchanged
test_finish
