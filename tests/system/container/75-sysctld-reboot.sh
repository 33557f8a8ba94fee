# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 75-sysctld-reboot.sh - a sysctl.d file that sets managed keys to other values, as GCE images ship one, on a
# real boot: `wstunectl status` names the file and line; `systemd-sysctl` run again (what `sysctl --system`
# does) is corrected and the drift entry names the file; after a reboot the container's systemd-sysctl applies
# the file before wstuned applies ws-server, and that Apply names the file.
#
# What Revert restores after a reboot depends on the boot id wstuned reads, and a container cannot show it:
# nspawn binds a new id over the container's /proc/sys/kernel/random/boot_id at every container boot, but
# wstuned.service has a procfs of its own (ProtectControlGroups= implies MountAPIVFS=: a new proc mount in the
# service's mount namespace, without nspawn's bind mounts), so the service reads the host kernel's boot id,
# which no container reboot changes: the baseline of the first boot stays. The checks that need a new boot id
# (state.json's boot_id, this boot's originals are the file's values, Revert restores those) say SKIP then;
# tests/system/vm/scenarios/60-sysctld-reboot.sh makes them on a real reboot. They run here only when the
# service's boot id did change.
#
# systemd-sysctl.service runs in the container (its condition is a writable /proc/sys/net/, which
# --private-network gives); its writes outside /proc/sys/net fail on the read-only /proc/sys and are ignored.
local orig_somaxconn orig_backlog ct_before ct_after svc_before svc_after line
local conf=/etc/sysctl.d/60-gce-network-security.conf
local uuid='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
state_value() { sed -n "s|.*\"$1\":[[:space:]]*\"\([^\"]*\)\".*|\1|p" "$ROOT/var/lib/wstuned/state.json"; }
somaxconn_is() { [ "$(ct sysctl -n net.core.somaxconn)" = "$1" ]; }
# the boot id as wstuned.service reads it: in its own mount namespace (see above), not PID 1's
service_boot_id() {
        ct nsenter -t "$(ct_unit_prop wstuned.service MainPID)" -m cat /proc/sys/kernel/random/boot_id
}

# the originals of the current boot (70-reboot booted again and applied ws-server at start)
orig_somaxconn=$(state_value net/core/somaxconn)
orig_backlog=$(state_value net/ipv4/tcp_max_syn_backlog)
check_match "baseline has somaxconn's original" '^[0-9]+$' "$orig_somaxconn"
check_match "baseline has tcp_max_syn_backlog's original" '^[0-9]+$' "$orig_backlog"
ct_before=$(ct cat /proc/sys/kernel/random/boot_id)
svc_before=$(service_boot_id)
echo "# boot id: the container's PID 1 reads $ct_before, wstuned.service $svc_before," \
        "the host kernel's is $(cat /proc/sys/kernel/random/boot_id)"
check_match "wstuned.service reads a boot id" "$uuid" "$svc_before"
check_match "state file keeps the boot id wstuned.service reads" "\"boot_id\":[[:space:]]*\"$svc_before\"" \
        "$(cat "$ROOT/var/lib/wstuned/state.json")"

mkdir -p "$ROOT/etc/sysctl.d"
cat >"$ROOT$conf" <<'CONF'
# as on a GCE image
net.core.somaxconn = 1024
net.ipv4.tcp_max_syn_backlog = 1024
net.ipv4.tcp_syncookies = 1
CONF
check_rc "wstunectl status" 0 ct wstunectl status
check_match "status names the file and line of somaxconn" \
        "net.core.somaxconn +16384 +16384 +ok \(also set to 1024 by $conf:2\)" "$OUT"
check_match "status names the file and line of tcp_max_syn_backlog" \
        "net.ipv4.tcp_max_syn_backlog +16384 +16384 +ok \(also set to 1024 by $conf:3\)" "$OUT"
check_match "a line that agrees is not named" "net.ipv4.tcp_syncookies +1 +1 +ok$" "$OUT"
check_rc "wstunectl verify: the notes are no failure" "$SERVER_RC" ct wstunectl verify

# `sysctl --system` by another name: systemd-sysctl writes the file's values again
check_rc "systemd-sysctl applies the file" 0 ct systemctl restart systemd-sysctl
check_rc "somaxconn set back within 3 s" 0 wait_until 3 somaxconn_is 16384
line=$(ct_journal -u wstuned -o json MESSAGE_ID="$(journal_id DRIFT_CORRECTED)" WSTUNED_KEY=net.core.somaxconn | tail -n 1)
check_match "drift entry: the file" "\"WSTUNED_CONFLICT_FILE\":\"$conf\"" "$line"
check_match "drift entry: the line" '"WSTUNED_CONFLICT_LINE":"2"' "$line"
check_match "drift entry: the message" "drifted from 16384 to 1024 and was set back; $conf:2 sets it to 1024" "$line"

# the reboot: systemd-sysctl sets 1024 from the file, then wstuned applies ws-server
if ct_reboot; then pass "power off and boot again"; else fail "power off and boot again" "$(tail -n 20 "$WORK/nspawn.log")"; fi
ct_after=$(ct cat /proc/sys/kernel/random/boot_id)
svc_after=$(service_boot_id)
echo "# boot id after the reboot: the container's PID 1 reads $ct_after, wstuned.service $svc_after"
if [[ $ct_after =~ $uuid ]] && [ "$ct_after" != "$ct_before" ]; then
        pass "the container's PID 1 reads a new boot id (nspawn's, one per container boot)"
else
        fail "the container's PID 1 reads a new boot id (nspawn's, one per container boot)" \
                "before: $ct_before" "after:  $ct_after"
fi
check_eq "systemd-sysctl ran at boot" active "$(ct systemctl is-active systemd-sysctl 2>&1)"
check_eq "ws-server applied at boot" 16384 "$(ct sysctl -n net.core.somaxconn)"
line=$(ct_journal -b 0 -u wstuned -o json MESSAGE_ID="$(journal_id KEY_CHANGED)" WSTUNED_KEY=net.core.somaxconn | head -n 1)
check_match "the Apply at boot names the file it overrides" \
        "changed from 1024 to 16384 \(profile ws-server\); $conf:2 sets it to 1024" "$line"
check_match "... with its fields" "\"WSTUNED_CONFLICT_FILE\":\"$conf\"" "$line"
check_match "state file: the boot id wstuned.service reads now" "\"boot_id\":[[:space:]]*\"$svc_after\"" \
        "$(cat "$ROOT/var/lib/wstuned/state.json")"

if [ "$svc_after" = "$svc_before" ]; then
        echo "SKIP: the baseline of the new boot (the file's values as this boot's originals, revert to them):" \
                "wstuned.service reads the same boot id $svc_after before and after the container's reboot (the" \
                "host kernel's is $(cat /proc/sys/kernel/random/boot_id)): its own /proc (ProtectControlGroups=" \
                "implies MountAPIVFS=) lacks nspawn's per-boot id; tests/system/vm/scenarios/60-sysctld-reboot.sh" \
                "checks it on a real reboot"
        rm -f "$ROOT$conf"
        # no revert: the baseline is still the first boot's, so it would put back the first boot's values
        check_eq "somaxconn's original as before" "$orig_somaxconn" "$(state_value net/core/somaxconn)"
        return 0
fi

check_eq "original of this boot: the file's somaxconn" 1024 "$(state_value net/core/somaxconn)"
check_rc "wstunectl revert" 0 ct wstunectl revert
check_match "revert row: this boot's original" "net.core.somaxconn +16384 +1024 +restore" "$OUT"
check_eq "somaxconn back to the file's value, not $orig_somaxconn" 1024 "$(ct sysctl -n net.core.somaxconn)"
check_eq "tcp_max_syn_backlog back to the file's value, not $orig_backlog" 1024 \
        "$(ct sysctl -n net.ipv4.tcp_max_syn_backlog)"
check_eq "inactive after revert" 's "inactive"' "$(ct_bus_prop State 2>&1)"

# leave it as found: no file, the kernel's values of before, ws-server applied (its originals those values)
rm -f "$ROOT$conf"
ct sysctl -qw net.core.somaxconn="$orig_somaxconn" net.ipv4.tcp_max_syn_backlog="$orig_backlog"
check_rc "apply ws-server again" "$SERVER_RC" ct wstunectl apply ws-server
check_eq "somaxconn's original as before" "$orig_somaxconn" "$(state_value net/core/somaxconn)"
