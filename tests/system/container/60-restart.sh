# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 60-restart.sh - wstuned killed with SIGKILL is restarted by systemd (Restart=on-failure) and comes
# back with the same profile and values.
local pid restarts
pid=$(ct_unit_prop wstuned MainPID)
restarts=$(ct_unit_prop wstuned NRestarts)
check_rc "systemctl kill -s KILL wstuned" 0 ct systemctl kill -s KILL wstuned
restarted() { [ "$(ct systemctl is-active wstuned)" = active ] &&
        [ "$(ct_unit_prop wstuned MainPID)" != "$pid" ] && [ "$(ct_unit_prop wstuned MainPID)" != 0 ]; }
if wait_until 15 restarted; then pass "restarted by systemd"; else fail "restarted by systemd" "$(ct systemctl status wstuned 2>&1)"; fi
check_eq "NRestarts" $((restarts + 1)) "$(ct_unit_prop wstuned NRestarts)"
check_match "journal: killed, restart scheduled" 'Scheduled restart job' "$(ct_journal -u wstuned -n 20 2>&1)"
check_eq "profile kept" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"
check_rc "wstunectl verify" "$SERVER_RC" ct wstunectl verify
check_eq "net.core.somaxconn" 16384 "$(ct sysctl -n net.core.somaxconn)"
