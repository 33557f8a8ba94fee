#!/bin/bash
# test-boot-order.sh - wstuned.service in the order of a whole boot, as systemd-analyze verify computes the
# start of multi-user.target: the built unit enabled next to cloud-init's units (tests/integration/boot-order/,
# as cloud-init renders them for Debian and Ubuntu; enabled as its generator and package do), the network
# brought up by ifupdown or by systemd-networkd, and a server ordered after wstuned with the README's
# drop-in. No ordering cycle, no job deleted to break one; the server's unit is ordered after wstuned.
# The same boot with the ordering wstuned 0.1.0 had (Before=/Wants=network-pre.target) must show the cycle,
# so the fixture is known to put cloud-init's network stage into the transaction.
set -u
. "$(dirname "$0")/assert.sh"
: "${WSTUNED_BUILD:?}" "${WSTUNED_SOURCE:?}"
command -v systemd-analyze >/dev/null || skip_test "systemd-analyze not installed"

# systemd's own units (sysinit.target, network-pre.target, systemd-networkd.service, ...): the vendor
# directory of the systemd that runs the test. Nothing from /etc or /run: the host's own enablement stays out.
vendor=
for dir in $(systemd-analyze unit-paths); do
        case $dir in */lib/systemd/system) [ -f "$dir/multi-user.target" ] && { vendor=$dir; break; } ;; esac
done
[ -n "$vendor" ] || skip_test "systemd's units not found (no multi-user.target in a */lib/systemd/system)"
for u in systemd-networkd.service systemd-networkd-wait-online.service systemd-networkd.socket; do
        [ -f "$vendor/$u" ] || skip_test "systemd-networkd's units not installed ($vendor/$u)"
done

FIXTURES=$WSTUNED_SOURCE/tests/integration/boot-order
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT

# The README's drop-in for a server that needs the values (marked <!-- system-test: server-order -->).
server_order=$(awk '$0 == "<!-- system-test: server-order -->" { found = 1; next }
        found == 1 && /^```/ { found = 2; next }
        found == 2 && /^```/ { exit }
        found == 2 && !/^[ \t]*(#.*)?$/ { print }' "$WSTUNED_SOURCE/README.md")
check_match "README: a server's drop-in orders it after wstuned" '^After=wstuned\.service$' "$server_order"
check_match "README: ... and wants it" '^Wants=wstuned\.service$' "$server_order"

unit_text=$(grep -v '^#' "$WSTUNED_BUILD/units/wstuned.service")
check_no_match "the unit is not ordered against network-pre.target" 'network-pre\.target' "$unit_text"
check_no_match "default dependencies (after sysinit.target and basic.target)" '^DefaultDependencies=no$' "$unit_text"

# boot DIR UNIT VARIANT NETWORK: a unit directory for one boot. UNIT is the wstuned.service to use,
# VARIANT debian or ubuntu (cloud-init's network stage waits for systemd-networkd-wait-online.service on
# Debian, not on Ubuntu), NETWORK ifupdown or networkd.
boot() {
        local dir=$1 unit=$2 variant=$3 network=$4 u
        mkdir -p "$dir"/{multi-user,cloud-init,network-online,sockets}.target.wants "$dir/my-server.service.d"
        cp "$FIXTURES"/cloud-init/* "$dir/"
        [ "$variant" = ubuntu ] && sed -i '/^After=systemd-networkd-wait-online\.service$/d' "$dir/cloud-init-network.service"
        # verify checks that ExecStart= names an executable: the built binaries
        sed "s|^ExecStart=.*|ExecStart=$WSTUNED_BUILD/daemon/wstuned|; s|^ExecReload=[^ ]*|ExecReload=$WSTUNED_BUILD/client/wstunectl|" \
                "$unit" >"$dir/wstuned.service"
        printf '[Unit]\nDescription=A server that needs the tuning\n\n[Service]\nExecStart=/bin/true\n' >"$dir/my-server.service"
        printf '%s\n' "$server_order" >"$dir/my-server.service.d/wstuned.conf"
        # enabled: wstuned and the server by systemctl enable, cloud-init.target by cloud-init's generator,
        # its stages by its package
        ln -s ../wstuned.service ../my-server.service ../cloud-init.target "$dir/multi-user.target.wants/"
        for u in cloud-init-main cloud-init-local cloud-init-network cloud-config cloud-final; do
                ln -s "../$u.service" "$dir/cloud-init.target.wants/"
        done
        case $network in
        ifupdown)
                cp "$FIXTURES"/ifupdown/* "$dir/"
                ln -s ../networking.service "$dir/multi-user.target.wants/"
                ln -s ../networking.service "$dir/network-online.target.wants/"
                ;;
        networkd)
                ln -s "$vendor/systemd-networkd.service" "$dir/multi-user.target.wants/"
                ln -s "$vendor/systemd-networkd.socket" "$dir/sockets.target.wants/"
                ln -s "$vendor/systemd-networkd-wait-online.service" "$dir/network-online.target.wants/"
                ;;
        esac
}

# verify DIR [LEVEL]: the start of multi-user.target (the boot) and of the server, with DIR before systemd's
# units; LEVEL debug adds the jobs of the transaction and the server's dependencies.
verify() {
        SYSTEMD_UNIT_PATH="$1:$vendor" SYSTEMD_LOG_LEVEL=${2:-info} \
                systemd-analyze verify --man=no "$vendor/multi-user.target" "$1/my-server.service" 2>&1
}

# The unit with 0.1.0's ordering: before network-pre.target, which it also pulled in.
sed 's/^\(After=systemd-modules-load.*\)$/\1\nBefore=network-pre.target\nWants=network-pre.target/' \
        "$WSTUNED_BUILD/units/wstuned.service" >"$R/wstuned-0.1.0.service"
check_match "the 0.1.0 ordering for the control" '^Before=network-pre\.target$' "$(cat "$R/wstuned-0.1.0.service")"

for variant in debian ubuntu; do
        for network in ifupdown networkd; do
                # Ubuntu's network stage does not wait for systemd-networkd: no cycle to find that way
                [ "$variant/$network" = ubuntu/networkd ] && continue
                name="cloud-init ($variant) + $network"
                boot "$R/$variant-$network" "$WSTUNED_BUILD/units/wstuned.service" "$variant" "$network"
                out=$(verify "$R/$variant-$network")
                rc=$?
                check_eq "$name: systemd-analyze verify exits 0" 0 "$rc"
                check_no_match "$name: no ordering cycle" '[Oo]rdering cycle' "$out"
                check_no_match "$name: no job deleted" 'deleted to break' "$out"
                check_no_match "$name: nothing to say about the units under test" \
                        '(wstuned|my-server|cloud|networking|networkd)[^ ]*\.(service|target)' "$out"
                out=$(verify "$R/$variant-$network" debug)
                check_match "$name: cloud-init's network stage is in the boot" \
                        'Installed new job cloud-init-network\.service/start' "$(grep 'Installed new job' <<<"$out")"
                check_match "$name: the server is ordered after wstuned" '^[[:space:]]*After: wstuned\.service' \
                        "$(grep -E '^[[:space:]]*After: ' <<<"$out")"

                boot "$R/old-$variant-$network" "$R/wstuned-0.1.0.service" "$variant" "$network"
                out=$(verify "$R/old-$variant-$network")
                check_match "$name, control: 0.1.0's ordering makes a cycle" 'Found ordering cycle on' "$out"
                check_match "$name, control: ... and systemd deletes a job to break it" \
                        'Job .* deleted to break ordering cycle' "$out"
        done
done
test_finish
