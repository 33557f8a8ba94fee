# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 70-reboot.sh - power off, boot again: a fresh network namespace has the kernel's defaults, and
# wstuned, enabled by the package, applies the persisted profile before it reports READY.
local boot_journal applied started
if ct_reboot; then pass "power off and boot again"; else fail "power off and boot again" "$(tail -n 20 "$WORK/nspawn.log")"; fi
check_eq "is-enabled" enabled "$(ct systemctl is-enabled wstuned 2>&1)"
check_eq "is-active" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "net.core.somaxconn applied at boot" 16384 "$(ct sysctl -n net.core.somaxconn)"
check_eq "net.ipv4.tcp_max_syn_backlog applied at boot" 16384 "$(ct sysctl -n net.ipv4.tcp_max_syn_backlog)"
check_eq "profile kept" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"
check_rc "wstunectl verify" "$SERVER_RC" ct wstunectl verify

# In this boot's journal the profile-applied entry (no caller: the boot apply) comes before
# systemd's "Started" entry, which a Type=notify unit only gets after READY=1.
boot_journal=$(ct_journal -b 0 -u wstuned -o json 2>&1)
applied=$(printf '%s\n' "$boot_journal" | grep -n "\"MESSAGE_ID\":\"$(journal_id PROFILE_APPLIED)\"" | head -n 1)
started=$(printf '%s\n' "$boot_journal" | grep -n '"MESSAGE_ID":"39f53479d3a045ac8e11786248231fbf"' | head -n 1)
check_match "boot: profile ws-server applied" '"WSTUNED_PROFILE":"ws-server"' "$applied"
check_no_match "boot: applied by the daemon itself, not a caller" 'WSTUNED_CALLER_UID' "$applied"
check_match "boot: systemd logged the start" '.' "$started"
if [ -n "$applied" ] && [ -n "$started" ] && [ "${applied%%:*}" -lt "${started%%:*}" ]; then
        pass "boot: applied before READY"
else
        fail "boot: applied before READY" "applied at entry ${applied%%:*}, started at entry ${started%%:*}"
fi
