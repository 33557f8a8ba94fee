# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 20-service.sh - wstuned.service as systemd runs it: enabled, active after READY (Type=notify), no
# profile after install; then root applies ws-server and the values are in the container's network
# namespace. Later scenarios start from here: package installed, service active, ws-server applied.
check_eq "systemctl is-enabled wstuned" enabled "$(ct systemctl is-enabled wstuned 2>&1)"
check_eq "systemctl is-active wstuned" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "Type=notify" notify "$(ct_unit_prop wstuned Type)"
check_eq "running (READY=1 reached)" running "$(ct_unit_prop wstuned SubState)"
check_eq "the bus name belongs to the unit" "wstuned.service" \
        "$(ct busctl status io.wstune.wstuned1 2>&1 | sed -n 's/^Unit=//p')"
# systemd logs "Started" (MESSAGE_ID unit started) for a Type=notify unit only after READY=1.
check_match "journal: systemd saw the start finish" '"MESSAGE_ID":"39f53479d3a045ac8e11786248231fbf"' \
        "$(ct_journal -u wstuned -o json)"
check_eq "no profile after install" 's "inactive"' "$(ct_bus_prop State 2>&1)"

local orig_somaxconn
orig_somaxconn=$(ct sysctl -n net.core.somaxconn)
check_rc "wstunectl apply ws-server" "$SERVER_RC" ct wstunectl apply ws-server
check_match "apply reports somaxconn set" "net.core.somaxconn +$orig_somaxconn +16384 +set" "$OUT"
check_eq "container: net.core.somaxconn" 16384 "$(ct sysctl -n net.core.somaxconn)"
check_eq "container: net.ipv4.tcp_max_syn_backlog" 16384 "$(ct sysctl -n net.ipv4.tcp_max_syn_backlog)"
check_eq "container: net.ipv4.tcp_syncookies" 1 "$(ct sysctl -n net.ipv4.tcp_syncookies)"
check_eq "container: net.netfilter.nf_conntrack_max (the host's, read-only)" "$HOST_CT_MAX" \
        "$(ct cat /proc/sys/net/netfilter/nf_conntrack_max 2>&1)"
check_eq "host: net.core.somaxconn untouched" "$(printf '%s\n' "$HOST_BEFORE" | sed -n 's/^net.core.somaxconn=//p')" \
        "$(sysctl -n net.core.somaxconn)"
