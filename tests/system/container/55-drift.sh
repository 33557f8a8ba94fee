# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 55-drift.sh - drift on a real booted system: `sysctl -w` of a managed key is set back by the
# running service, the Drifted signal reaches `busctl monitor` on the real system bus, the journal
# entry has its fields and `journalctl -x` its catalog text; a hung daemon is restarted by the
# systemd watchdog.
local id line pid nrestarts
id=$(journal_id DRIFT_CORRECTED)
somaxconn_is() { [ "$(ct sysctl -n net.core.somaxconn)" = "$1" ]; }
restarted_since() { [ "$(ct_unit_prop wstuned NRestarts)" -gt "$1" ]; }

ct timeout 6 busctl monitor --match "type='signal',interface='io.wstune.wstuned1.Manager',member='Drifted'" \
        >"$WORK/drift-monitor.txt" 2>&1 &
local monitor=$!
sleep 1
ct sysctl -qw net.core.somaxconn=1024
check_rc "somaxconn set back by the service within 3 s" 0 wait_until 3 somaxconn_is 16384
wait "$monitor" 2>/dev/null
check_match "busctl monitor saw Drifted" 'Member=Drifted' "$(cat "$WORK/drift-monitor.txt")"
check_match "Drifted carries key and action" 'STRING "net.core.somaxconn";.*' "$(tr '\n' ' ' <"$WORK/drift-monitor.txt")"
check_match "Drifted action corrected" 'STRING "corrected";' "$(cat "$WORK/drift-monitor.txt")"

line=$(ct_journal -u wstuned -o json MESSAGE_ID="$id" | tail -n 1)
check_match "drift entry: key" '"WSTUNED_KEY":"net.core.somaxconn"' "$line"
check_match "drift entry: actual 1024" '"WSTUNED_ACTUAL":"1024"' "$line"
check_match "drift entry: expected" '"WSTUNED_EXPECTED":"16384"' "$line"
check_match "drift entry: action" '"WSTUNED_ACTION":"corrected"' "$line"
check_match "journalctl -x shows the catalog text" "drifted and was corrected" \
        "$(ct_journal -u wstuned -x MESSAGE_ID="$id" -n 1)"
check_match "DriftCorrections counted" '^t [1-9]' "$(ct_bus_prop DriftCorrections)"

# The watchdog: a stopped event loop is killed and restarted (a drop-in shortens WatchdogSec).
ct mkdir -p /run/systemd/system/wstuned.service.d
printf '[Service]\nWatchdogSec=2s\n' | ct tee /run/systemd/system/wstuned.service.d/test-watchdog.conf >/dev/null
ct systemctl daemon-reload
ct systemctl restart wstuned
pid=$(ct_unit_prop wstuned MainPID)
nrestarts=$(ct_unit_prop wstuned NRestarts)
ct kill -STOP "$pid"
check_rc "hung daemon restarted by the watchdog" 0 wait_until 20 restarted_since "$nrestarts"
check_rc "active again" 0 wait_until 10 ct systemctl is-active -q wstuned
check_match "systemd logged the watchdog timeout" "Watchdog timeout" "$(ct_journal -u wstuned -n 50)"
check_eq "values still in place" 16384 "$(ct sysctl -n net.core.somaxconn)"
ct rm -f /run/systemd/system/wstuned.service.d/test-watchdog.conf
ct systemctl daemon-reload
ct systemctl restart wstuned
