# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 62-signals.sh - systemctl means for wstuned what it means for any service. `systemctl kill -s HUP wstuned`
# reloads (settings and profiles read again, the profile applied) in the same process, which stays active
# and is not restarted; `systemctl reload wstuned` does the same and waits for it. `systemctl status wstuned`
# shows the current profile and state (STATUS=), also after an Apply of another profile.
local pid restarts state fin override=/etc/wstuned/profiles/ws-server.json
status_line() { ct systemctl status --no-pager wstuned 2>&1 | sed -n 's/^ *Status: "\(.*\)"$/\1/p'; }
bus_state() { ct_bus_prop State 2>&1 | sed -n 's/^s "\(.*\)"$/\1/p'; }
fin_is() { [ "$(ct sysctl -n net.ipv4.tcp_fin_timeout)" = "$1" ]; }
journal_has() { ct_journal -u wstuned --since "@$1" -o cat 2>&1 | grep -Eq -- "$2"; }

state=$(bus_state)
check_match "systemctl status: Status: names the profile and its state" "^Profile ws-server: $state( \(|$)" "$(status_line)"

# SIGHUP: a local copy of ws-server that also sets tcp_fin_timeout is picked up.
pid=$(ct_unit_prop wstuned MainPID)
restarts=$(ct_unit_prop wstuned NRestarts)
fin=$(ct sysctl -n net.ipv4.tcp_fin_timeout)
ct sed 's/"net.ipv4.tcp_syncookies": 1$/"net.ipv4.tcp_syncookies": 1, "net.ipv4.tcp_fin_timeout": 21/' \
        /usr/share/wstuned/profiles/ws-server.json | ct tee "$override" >/dev/null
check_match "a local ws-server that sets tcp_fin_timeout 21" '"net.ipv4.tcp_fin_timeout": 21' "$(ct cat "$override")"
local t0
t0=$(ct date +%s)
sleep 1 # the journal's --since has a resolution of seconds
# On this test bed every container's systemd uses the same cgroup (/payload/...) in the host's cgroup v1
# name=systemd hierarchy, so another test's container running at the same time may have its wstuned in
# "our" wstuned.service cgroup, where it shows as PID 0: systemctl then signals the main process and
# fails on the rest with EIO. The main process getting the signal is what counts (checked below).
local kill_rc=0
ct systemctl kill -s HUP wstuned >"$WORK/kill-hup.out" 2>&1 || kill_rc=$?
if [ "$kill_rc" = 0 ]; then
        pass "systemctl kill -s HUP wstuned"
elif grep -q 'to auxiliary processes: Input/output error' "$WORK/kill-hup.out"; then
        pass "systemctl kill -s HUP wstuned (main process signalled; another container shares the cgroup)"
else
        fail "systemctl kill -s HUP wstuned" "exit $kill_rc: $(cat "$WORK/kill-hup.out")"
fi
check_rc "SIGHUP: the profile is applied again, from the local copy" 0 wait_until 5 fin_is 21
check_eq "SIGHUP: still active" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "SIGHUP: the same process" "$pid" "$(ct_unit_prop wstuned MainPID)"
check_eq "SIGHUP: not restarted" "$restarts" "$(ct_unit_prop wstuned NRestarts)"
check_rc "SIGHUP: journal says who sent it" 0 wait_until 5 journal_has "$t0" "Reloading on SIGHUP from PID 1 \(uid 0\)"
check_rc "SIGHUP: journal has the outcome" 0 wait_until 5 journal_has "$t0" "Reloaded on SIGHUP: Profile ws-server: "
check_match "SIGHUP: the profile applied again (PROFILE_APPLIED)" '"WSTUNED_PROFILE":"ws-server"' \
        "$(ct_journal -u wstuned --since "@$t0" -o json MESSAGE_ID="$(journal_id PROFILE_APPLIED)")"

# systemctl reload (ExecReload=wstunectl reload): the same, and systemctl waits for the result.
ct rm -f "$override"
check_rc "systemctl reload wstuned" "$SERVER_RC" ct systemctl reload wstuned
check_eq "reload: the shipped ws-server again (tcp_fin_timeout back to its original)" "$fin" \
        "$(ct sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "reload: still the same process" "$pid" "$(ct_unit_prop wstuned MainPID)"
check_eq "reload: active" active "$(ct systemctl is-active wstuned 2>&1)"

# systemctl status follows the profile: another one applied (a local one, sysctl keys only), then
# ws-server again.
printf '{ "sysctl": { "net.ipv4.tcp_fin_timeout": 21 } }\n' | ct tee /etc/wstuned/profiles/status-test.json >/dev/null
check_rc "wstunectl apply status-test" 0 ct wstunectl apply status-test
check_match "systemctl status after Apply: Status: names status-test and its state" \
        "^Profile status-test: ok \(1 key ok\)$" "$(status_line)"
check_rc "wstunectl apply ws-server" "$SERVER_RC" ct wstunectl apply ws-server
check_match "systemctl status after Apply: ws-server again" "^Profile ws-server: $(bus_state) \(" "$(status_line)"
ct rm -f /etc/wstuned/profiles/status-test.json
check_eq "values as the next scenarios expect" 16384 "$(ct sysctl -n net.core.somaxconn)"
