# shellcheck shell=bash
# 60-sysctld-reboot: the reboot half of the container's 75-sysctld-reboot, on a real reboot (a container
# cannot show it: wstuned.service reads the host kernel's boot id there, which a container reboot does not
# change). A sysctl.d file, as GCE images ship one, sets two of ws-server's keys to other values than the
# profile. ws-server is applied in one boot, whose originals are the kernel's values; the file is written,
# and at the next boot systemd-sysctl applies it before wstuned applies ws-server. That boot has a new kernel
# boot id, so its originals are the file's values, and Revert puts those back, not the earlier boot's.
#
# Boots 2 and 3, not 1 and 2: boot 2 must start with vm-test active (20-boot-values, 30-conntrack-late,
# 40-limits check it), and 50-conntrack-full reverts its profile at the end of boot 2, so this scenario
# applies ws-server after it and asks for a third boot.

CONF=/etc/sysctl.d/60-gce-network-security.conf
FILE_VALUE=1024
KEYS="net.core.somaxconn net.ipv4.tcp_max_syn_backlog"
UUID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

state_value() { sed -n "s|.*\"$1\":[[:space:]]*\"\([^\"]*\)\".*|\1|p" /var/lib/wstuned/state.json; }
state_boot_id() { state_value boot_id; }
kernel_boot_id() { cat /proc/sys/kernel/random/boot_id; }
# the boot id as wstuned.service reads it, in its own mount namespace
service_boot_id() { nsenter -t "$(systemctl show -P MainPID wstuned.service)" -m cat /proc/sys/kernel/random/boot_id; }

boot2() {
        local key orig
        check_rc "wstunectl apply ws-server" 0 wstunectl --no-pager apply ws-server
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        check_match "kernel boot id" "$UUID" "$(kernel_boot_id)"
        check_eq "wstuned.service reads the kernel's boot id" "$(kernel_boot_id)" "$(service_boot_id)"
        check_eq "state.json: the baseline is of this boot" "$(kernel_boot_id)" "$(state_boot_id)"
        kernel_boot_id >"$SCENARIO_STATE/boot_id"
        for key in $KEYS; do
                orig=$(state_value "${key//.//}")
                # the check after the reboot could not fail if this boot's original were the file's value
                if [[ $orig =~ ^[0-9]+$ ]] && [ "$orig" != $FILE_VALUE ]; then
                        pass "baseline of boot 2: $key's original $orig (not $FILE_VALUE)"
                else
                        fail "baseline of boot 2: $key's original, a number other than $FILE_VALUE" "$orig"
                fi
                check_eq "kernel: $key from ws-server" 16384 "$(sysctl_get "$key")"
                printf '%s\n' "$orig" >"$SCENARIO_STATE/orig-$key"
        done
        mkdir -p /etc/sysctl.d
        cat >"$CONF" <<CONF
# as on a GCE image
net.core.somaxconn = $FILE_VALUE
net.ipv4.tcp_max_syn_backlog = $FILE_VALUE
net.ipv4.tcp_syncookies = 1
CONF
        check_eq "state.json: ws-server kept for the next boot" "ws-server" "$(state_value active_profile)"
}

boot3() {
        local key orig boot_before line
        boot_before=$(cat "$SCENARIO_STATE/boot_id")
        if [[ $(kernel_boot_id) =~ $UUID ]] && [ "$(kernel_boot_id)" != "$boot_before" ]; then
                pass "a new kernel boot id ($boot_before -> $(kernel_boot_id))"
        else
                fail "a new kernel boot id" "boot 2: $boot_before" "boot 3: $(kernel_boot_id)"
        fi
        check_eq "wstuned.service reads the kernel's boot id" "$(kernel_boot_id)" "$(service_boot_id)"
        check_eq "systemd-sysctl ran at boot" active "$(systemctl is-active systemd-sysctl.service 2>&1)"
        check_eq "ActiveProfile at boot" ws-server "$(bus_prop ActiveProfile)"
        check_eq "state.json: boot_id is this boot's" "$(kernel_boot_id)" "$(state_boot_id)"
        for key in $KEYS; do
                check_eq "kernel: $key from ws-server at boot" 16384 "$(sysctl_get "$key")"
                check_eq "state.json: $key's original is the file's value, this boot's" $FILE_VALUE \
                        "$(state_value "${key//.//}")"
        done
        line=$(journalctl -b -u wstuned.service -o json --no-pager MESSAGE_ID="$MSG_KEY_CHANGED" \
                WSTUNED_KEY=net.core.somaxconn | head -n 1)
        check_match "journal: the Apply at boot names the file it overrides" \
                "changed from $FILE_VALUE to 16384 \(profile ws-server\); $CONF:2 sets it to $FILE_VALUE" "$line"

        check_rc "wstunectl revert" 0 wstunectl --no-pager revert
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        for key in $KEYS; do
                orig=$(cat "$SCENARIO_STATE/orig-$key")
                check_match "revert row: $key back to the file's $FILE_VALUE" \
                        "${key//./\\.} +16384 +$FILE_VALUE +restore" "$OUT"
                check_eq "kernel: $key is the file's value, not boot 2's original $orig" $FILE_VALUE \
                        "$(sysctl_get "$key")"
        done
        check_eq "State after revert" inactive "$(bus_prop State)"
        rm -f "$CONF"
}
