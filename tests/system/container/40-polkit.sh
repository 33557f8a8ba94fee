# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 40-polkit.sh - authorization by the container's real polkitd: an unprivileged user may read and
# Verify, is refused Apply (AccessDenied, polkit's default auth_admin with no agent to ask), and is
# allowed once a rules.d rule grants the action; removing the rule refuses again.
local rule=$ROOT/etc/polkit-1/rules.d/50-wstuned-system-test.rules before

# nobody applies ws-client; exit 4 means polkit said no. Re-applying the active profile changes nothing.
polkit_nobody_allowed() { as_nobody wstunectl apply ws-client >/dev/null 2>&1; [ $? != 4 ]; }

check_rc "nobody: wstunectl verify" "$SERVER_RC" as_nobody wstunectl verify
check_rc "nobody: busctl call Verify" 0 as_nobody busctl call io.wstune.wstuned1 /io/wstune/wstuned1 \
        io.wstune.wstuned1.Manager Verify
check_rc "nobody: wstunectl status" 0 as_nobody wstunectl status

before=$(ct sysctl -n net.ipv4.tcp_fin_timeout)
check_rc "nobody: wstunectl apply denied (exit 4)" 4 as_nobody wstunectl apply ws-client
check_match "nobody: one-line access denied message" "access denied" "$OUT"
check_rc "nobody: Apply via dbus-send fails" 1 as_nobody dbus-send --system --print-reply \
        --dest=io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager.Apply string:ws-client uint64:0
check_match "named error AccessDenied" \
        '^Error io\.wstune\.wstuned1\.Error\.AccessDenied: Access denied: Apply needs root or polkit authorization for io\.wstune\.wstuned1\.manage$' "$OUT"
# The daemon appends a reason when polkit could not be asked; a plain denial is polkit's verdict.
check_no_match "the verdict is polkit's (it was asked and answered)" "polkit is not available|polkit check failed" "$OUT"
check_eq "polkit.service is running" active "$(ct systemctl is-active polkit 2>&1)"
check_rc "nobody: wstunectl revert denied" 4 as_nobody wstunectl revert
check_eq "denied calls changed nothing" "$before" "$(ct sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "profile unchanged" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"

# A rule grants nobody the action; polkitd reloads rules.d on change (written whole, then renamed).
cat >"$rule.tmp" <<'RULES'
polkit.addRule(function(action, subject) {
        if (action.id == "io.wstune.wstuned1.manage" && subject.user == "nobody")
                return polkit.Result.YES;
});
RULES
chmod 0644 "$rule.tmp"
mv "$rule.tmp" "$rule"
wait_until 10 polkit_nobody_allowed
check_rc "nobody: apply allowed by a polkit rule" "$CLIENT_RC" as_nobody wstunectl apply ws-client
check_eq "the authorized apply changed the kernel" 15 "$(ct sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "profile switched" 's "ws-client"' "$(ct_bus_prop ActiveProfile 2>&1)"
check_match "journal names the caller" "WSTUNED_CALLER_UID=$(ct id -u nobody)" \
        "$(ct_journal -u wstuned -o verbose WSTUNED_PROFILE=ws-client 2>&1)"
check_rc "daemon user (not in the rule): denied" 4 ct setpriv --reuid=daemon --regid=daemon --clear-groups -- \
        wstunectl apply ws-server

rm -f "$rule"
wait_until 10 not polkit_nobody_allowed
check_rc "rule removed: nobody denied again (exit 4)" 4 as_nobody wstunectl apply ws-client
check_eq "profile still ws-client" 's "ws-client"' "$(ct_bus_prop ActiveProfile 2>&1)"
# back to what the next scenarios expect
check_rc "root: apply ws-server" "$SERVER_RC" ct wstunectl apply ws-server
check_eq "net.core.somaxconn" 16384 "$(ct sysctl -n net.core.somaxconn)"
