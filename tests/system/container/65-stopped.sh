# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 65-stopped.sh - a stopped wstuned stays stopped: it is not bus-activatable, so after `systemctl stop
# wstuned` no call starts it again, neither an unprivileged user's wstunectl or busctl nor root's, and the
# kernel keeps the value set meanwhile. wstunectl says that wstuned is not running and how to start it.
# Then `systemctl start wstuned` brings it back with the profile applied.
local not_running="wstunectl: wstuned is not running (systemctl start wstuned)"
somaxconn_is() { [ "$(ct sysctl -n net.core.somaxconn)" = "$1" ]; }

check_eq "no D-Bus activation file for io.wstune.wstuned1" "" "$(ct_sh \
        'grep -lx "Name=io.wstune.wstuned1" /usr/share/dbus-1/system-services/* /etc/dbus-1/system-services/* 2>/dev/null')"
check_rc "systemctl stop wstuned" 0 ct systemctl stop wstuned
check_eq "stopped" inactive "$(ct systemctl is-active wstuned 2>&1)"
ct sysctl -qw net.core.somaxconn=1024

check_rc "nobody: wstunectl status fails (exit 3)" 3 as_nobody wstunectl status
check_eq "nobody: wstunectl says wstuned is not running and how to start it" "$not_running" "$OUT"
check_rc "nobody: wstunectl verify fails (exit 3)" 3 as_nobody wstunectl verify
check_eq "nobody: verify says the same" "$not_running" "$OUT"
check_rc "nobody: busctl call Verify fails" 1 as_nobody busctl call io.wstune.wstuned1 /io/wstune/wstuned1 \
        io.wstune.wstuned1.Manager Verify
check_match "nobody: the bus knows no service for the name" "not provided by any \.service files" "$OUT"
check_rc "root: wstunectl status fails (exit 3)" 3 ct wstunectl status
check_eq "root: the same message" "$not_running" "$OUT"
# An activation would have started it by now (the calls above wait for it); give a late one time anyway.
sleep 1
check_eq "still stopped after the calls" inactive "$(ct systemctl is-active wstuned 2>&1)"
check_rc "no wstuned process" 1 ct pgrep -x wstuned
check_rc "nobody owns the bus name" 1 ct busctl status io.wstune.wstuned1
check_eq "the kernel value set while stopped stays" 1024 "$(ct sysctl -n net.core.somaxconn)"

check_rc "systemctl start wstuned" 0 ct systemctl start wstuned
check_eq "active again" active "$(ct systemctl is-active wstuned 2>&1)"
check_rc "started: the profile is applied again" 0 wait_until 5 somaxconn_is 16384
check_rc "wstunectl status works again" 0 as_nobody wstunectl status
