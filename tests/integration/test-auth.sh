#!/bin/bash
# test-auth.sh - everyone may read; Apply, Revert and Reload need root or polkit. Checked without
# polkit (non-root denied) and with a real polkitd on the private bus whose rules grant or deny.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

wstuned_start || exit 1
check_rc "root applies ws-server" 0 bus_call Apply st ws-server 0
before=$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)

# Reading is open to everyone.
check_rc "nobody: status" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" status
check_rc "nobody: busctl Verify" 0 as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 \
        io.wstune.wstuned1.Manager Verify
check_rc "nobody: Get" 0 as_nobody busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 \
        io.wstune.wstuned1.Manager Get as 1 net.core.somaxconn
check_rc "nobody: ListProfiles" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" profiles
check_rc "nobody: introspect" 0 as_nobody busctl --system introspect io.wstune.wstuned1 /io/wstune/wstuned1

# Changing is not, and nothing changes.
check_rc "nobody: wstunectl apply denied (exit 4)" 4 as_nobody "$WSTUNED_BUILD/client/wstunectl" apply ws-client
check_match "nobody: one-line access denied message" "access denied" "$OUT"
check_rc "nobody: Apply via dbus-send" 1 as_nobody dbus-send --system --print-reply --dest=io.wstune.wstuned1 \
        /io/wstune/wstuned1 io.wstune.wstuned1.Manager.Apply string:ws-client uint64:0
check_match "named error AccessDenied" "io.wstune.wstuned1.Error.AccessDenied" "$OUT"
check_rc "nobody: Revert denied" 4 as_nobody "$WSTUNED_BUILD/client/wstunectl" revert
check_rc "nobody: Reload denied" 4 as_nobody "$WSTUNED_BUILD/client/wstunectl" reload
check_eq "values unchanged by denied calls" "$before" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "profile unchanged by denied calls" 's "ws-server"' "$(bus_prop ActiveProfile)"
check_rc "daemon still serves" 0 bus_call Verify

# A real polkitd on the private bus, with our action and a rule that grants nobody.
POLKITD=/usr/lib/polkit-1/polkitd
if [ ! -x "$POLKITD" ] || [ ! -f "$SB/bus.d/org.freedesktop.PolicyKit1.conf" ] || [ ! -d /etc/polkit-1/rules.d ]; then
        echo "SKIP: polkit part: polkitd not installed"
else
        mkdir -p "$SB/polkit/actions" "$SB/polkit/rules"
        cp "$WSTUNED_SOURCE/policy/io.wstune.wstuned1.policy" "$SB/polkit/actions/"
        cat >"$SB/polkit/rules/50-test.rules" <<'RULES'
polkit.addRule(function(action, subject) {
        if (action.id == "io.wstune.wstuned1.manage" && subject.user == "nobody")
                return polkit.Result.YES;
});
RULES
        chmod -R a+rX "$SB/polkit"
        # polkitd sees only our action and rule: bind mounts in this test's own mount namespace.
        mount --bind "$SB/polkit/actions" /usr/share/polkit-1/actions
        mount --bind "$SB/polkit/rules" /etc/polkit-1/rules.d
        "$POLKITD" --no-debug >"$SB/polkitd.log" 2>&1 &
        SB_PIDS+=("$!")
        for _ in $(seq 200); do
                busctl --system status org.freedesktop.PolicyKit1 >/dev/null 2>&1 && break
                sleep 0.05
        done

        check_rc "nobody: apply allowed by a polkit rule" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" apply ws-client
        check_eq "the polkit-authorized apply changed the kernel" 15 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
        check_eq "profile switched" 's "ws-client"' "$(bus_prop ActiveProfile)"
        check_match "journal names the caller uid" "WSTUNED_CALLER_UID=$(id -u nobody)" \
                "$(sb_journal -o verbose WSTUNED_PROFILE=ws-client 2>/dev/null)"

        # daemon user (another unprivileged user) is not granted by the rule
        check_rc "daemon user: denied by polkit" 4 setpriv --reuid=daemon --regid=daemon --clear-groups -- \
                "$WSTUNED_BUILD/client/wstunectl" apply ws-server
        check_eq "denied apply changed nothing" 's "ws-client"' "$(bus_prop ActiveProfile)"
fi

check_rc "root reverts" 0 wstunectl revert
check_host_unchanged
test_finish
