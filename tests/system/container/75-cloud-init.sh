# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 75-cloud-init.sh - a boot with cloud-init and a server that needs the values. Debian's cloud-init package
# (in the rootfs, kept off for the other scenarios by /etc/cloud/cloud-init.disabled, see run.sh) finds a
# NoCloud seed; the network is systemd-networkd's (a dummy link with an address, so that
# systemd-networkd-wait-online.service, which cloud-init's network stage waits for, is satisfied in the
# container's private network namespace); a server unit is ordered after wstuned with the README's drop-in.
# The boot's journal and console have no "ordering cycle" line (systemd breaks a cycle by deleting a job),
# cloud-init ran all its stages and says done, and the server started after wstuned was ready and saw the
# profile's values.
local server=wstuned-test-server order boot server_start wstuned_ready unit
local seed=$ROOT/var/lib/cloud/seed/nocloud

check_rc "cloud-init is installed" 0 ct test -x /usr/bin/cloud-init
mkdir -p "$seed"
printf 'instance-id: wstuned-test-%s\nlocal-hostname: wstuned-test\n' "$$" >"$seed/meta-data"
# runcmd runs in cloud-init's last stage, after multi-user.target: wstuned's values are in place by then
printf '#cloud-config\nruncmd:\n  - [ sh, -c, "sysctl -n net.core.somaxconn >/var/tmp/cloud-init-saw" ]\n' >"$seed/user-data"
# Only the seed (no probing for clouds), no network configuration from cloud-init, the container's
# hostname left alone, the locale one that needs no generating (minbase has none).
cat >"$ROOT/etc/cloud/cloud.cfg.d/90-wstuned-test.cfg" <<'CFG'
datasource_list: [ NoCloud ]
network: { config: disabled }
preserve_hostname: true
locale: C.UTF-8
CFG
rm -f "$ROOT/etc/cloud/cloud-init.disabled"

# systemd-networkd with a veth pair (this kernel has no dummy links), both ends configured so that they
# have a carrier: the networkd variant of cloud-init's order.
mkdir -p "$ROOT/etc/systemd/network"
printf '[NetDev]\nName=wstest0\nKind=veth\n\n[Peer]\nName=wstest1\n' >"$ROOT/etc/systemd/network/50-wstest.netdev"
printf '[Match]\nName=wstest0\n\n[Network]\nAddress=192.0.2.10/24\n' >"$ROOT/etc/systemd/network/50-wstest0.network"
printf '[Match]\nName=wstest1\n\n[Network]\nAddress=192.0.2.11/24\n' >"$ROOT/etc/systemd/network/50-wstest1.network"
check_rc "systemctl enable systemd-networkd (and its wait-online service)" 0 ct systemctl enable systemd-networkd

# The server: a unit of its own, ordered after wstuned with the README's drop-in, records what it sees.
cat >"$ROOT/etc/systemd/system/$server.service" <<UNIT
[Unit]
Description=wstuned system test: a server that needs the tuning

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'sysctl -n net.core.somaxconn net.ipv4.tcp_max_syn_backlog >/var/tmp/$server.saw'

[Install]
WantedBy=multi-user.target
UNIT
order=$(readme_block server-order)
check_match "README: the server's drop-in" '^After=wstuned\.service$' "$order"
mkdir -p "$ROOT/etc/systemd/system/$server.service.d"
printf '%s\n' "$order" >"$ROOT/etc/systemd/system/$server.service.d/wstuned.conf"
check_rc "systemctl enable $server" 0 ct systemctl enable "$server"
rm -f "$ROOT/var/tmp/$server.saw" "$ROOT/var/tmp/cloud-init-saw"

# cloud-init's four stages in Python take a while on a small machine: allow a longer boot
if CT_BOOT_WAIT=180 ct_reboot; then pass "boot with cloud-init"; else fail "boot with cloud-init" "$(tail -n 30 "$WORK/nspawn.log")"; fi

# systemd reports a cycle of the boot transaction before journald runs: on the console, in a container.
boot=$(ct_journal -b 0 -o short-monotonic 2>&1; ct_console)
check_match "the console of this boot is read" 'Welcome to .*Debian' "$(ct_console)"
check_eq "journal and console: no ordering cycle in the boot" "" "$(grep -i 'ordering cycle' <<<"$boot")"
check_eq "journal and console: no job deleted to break one" "" "$(grep 'deleted to break' <<<"$boot")"
check_rc "cloud-init status --wait" 0 ct cloud-init status --wait --long
check_match "cloud-init: done" '^status: done$' "$OUT"
check_match "cloud-init: from the NoCloud seed" 'NoCloud' "$OUT"
for unit in cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service \
        systemd-networkd.service systemd-networkd-wait-online.service; do
        check_eq "$unit ran in this boot" active "$(ct systemctl is-active "$unit" 2>&1)"
done
check_eq "cloud-init's network stage ran before sysinit.target" "yes" "$(ct_sh \
        'a=$(systemctl show -P InactiveExitTimestampMonotonic cloud-init.service); b=$(systemctl show -P ActiveEnterTimestampMonotonic sysinit.target); [ "$a" -gt 0 ] && [ "$a" -le "$b" ] && echo yes || echo "no: $a > $b"')"

check_eq "wstuned active" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "net.core.somaxconn applied at boot" 16384 "$(ct sysctl -n net.core.somaxconn)"
check_eq "the server is active" active "$(ct systemctl is-active "$server" 2>&1)"
check_match "systemd orders the server after wstuned" '(^| )wstuned\.service( |$)' "$(ct_unit_prop "$server" After)"
check_match "... and the server wants wstuned" '(^| )wstuned\.service( |$)' "$(ct_unit_prop "$server" Wants)"
server_start=$(ct_unit_prop "$server" ExecMainStartTimestampMonotonic)
wstuned_ready=$(ct_unit_prop wstuned ActiveEnterTimestampMonotonic) # READY=1, for Type=notify
if [ "${server_start:-0}" -gt 0 ] && [ "${wstuned_ready:-0}" -gt 0 ] && [ "$server_start" -ge "$wstuned_ready" ]; then
        pass "the server started after wstuned was ready ($(( (server_start - wstuned_ready) / 1000 )) ms later)"
else
        fail "the server started after wstuned was ready" "server started at $server_start µs, wstuned ready at $wstuned_ready µs"
fi
check_eq "the server saw the profile's values" "16384
16384" "$(ct cat "/var/tmp/$server.saw" 2>&1)"
check_eq "cloud-init's runcmd saw them too" 16384 "$(ct cat /var/tmp/cloud-init-saw 2>&1)"

# Back to the boot the next scenarios expect: no cloud-init, no test server, no networkd.
ct systemctl disable --now "$server" >/dev/null 2>&1
rm -rf "$ROOT/etc/systemd/system/$server.service" "$ROOT/etc/systemd/system/$server.service.d" \
        "$ROOT"/etc/systemd/network/50-wstest*
ct systemctl disable systemd-networkd >/dev/null 2>&1
touch "$ROOT/etc/cloud/cloud-init.disabled"
ct systemctl daemon-reload
