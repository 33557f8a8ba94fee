# shellcheck shell=bash
# 10-image: the README's image recipe with cloud-init (NoCloud seed in the image), one image for the
# server and the client role. Each boot is a machine of its own to cloud-init: changing the seed's
# instance-id makes the next boot an instance's first boot (write_files, runcmd run again).
#
# boot 1  the build VM: values of its own (sysctl -w), then the README's bake commands (apt install of
#         the .deb): wstuned runs, no profile, state.json has no profile and no originals.
# boot 2  instance A, user-data = the README's write_files with "ws-client": wstuned applied ws-client
#         when it started (no reload, no restart); the baseline is this boot's (boot id) and holds the
#         values the kernel had before wstuned started (recorded by wstuned-vmtest-before.service), none
#         of the build VM's. Then this VM is a build VM again, baked with the old recipe (apply
#         ws-server at bake time, over values of its own).
# boot 3  instance B of that image, user-data = the README's runcmd (ws-client): ws-client is active,
#         the baseline is this boot's, the keys ws-server managed are back to this boot's values (not
#         the build VM's) and have no original left. Then the README's capture step (wstunectl revert): no profile, no originals.
# boot 4  instance C of the cleaned image, user-data = the README's write_files as it is (ws-server).

README_DIR=/usr/local/lib/wstuned-vmtest/readme
SEED=/var/lib/cloud/seed/nocloud
STATE_JSON=/var/lib/wstuned/state.json
BEFORE=/run/wstuned-vmtest/before
# values no kernel default has: the build VM's own, that no instance may inherit
BAKE_SOMAXCONN=1111
BAKE_FIN_TIMEOUT=33
BAKE_PORTS="20000 30000"
CLIENT_KEYS="/proc/sys/net/ipv4/ip_local_port_range /proc/sys/net/ipv4/tcp_tw_reuse /proc/sys/net/ipv4/tcp_fin_timeout"
# (not tcp_syncookies: ws-server sets it to 1, the default, so it is never written and has no original)
SERVER_KEYS="/proc/sys/net/core/somaxconn /proc/sys/net/ipv4/tcp_max_syn_backlog"

# state_summary: "profile=NAME baseline=N" of state.json (NAME none when null; no file: none, 0)
state_summary() {
        python3 - "$STATE_JSON" <<'PY'
import json, os, sys
if not os.path.exists(sys.argv[1]):
    print("profile=none baseline=0"); sys.exit()
s = json.load(open(sys.argv[1]))
b = s.get("baseline") or {}
n = len(b.get("sysctl") or {}) + len(b.get("files") or {})
print("profile=%s baseline=%d" % (s.get("active_profile") or "none", n))
PY
}
state_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2]) or "")' "$STATE_JSON" "$1"; }
# baseline_value PATH: the original of /proc/sys/PATH in state.json (which names it relative to /proc/sys),
# blanks squeezed; "-" when it has none
baseline_value() {
        python3 -c 'import json,sys
v = ((json.load(open(sys.argv[1])).get("baseline") or {}).get("sysctl") or {}).get(sys.argv[2][len("/proc/sys/"):])
print("-" if v is None else " ".join(v.split()))' "$STATE_JSON" "$1"
}
before_value() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$BEFORE"; }
now_value() { tr -s '\t ' '  ' <"$1"; }
instance_id() { cat /var/lib/cloud/data/instance-id 2>/dev/null; }

wait_cloud_init() {
        check_rc "cloud-init ran to its end" 0 timeout 240 cloud-init status --wait
        check_match "cloud-init: done" '^status: done' "$(cloud-init status 2>&1)"
}

# new_instance ID USER-DATA: the next boot is the first boot of instance ID with that user-data.
new_instance() {
        printf 'instance-id: %s\nlocal-hostname: %s\n' "$1" "$1" >"$SEED/meta-data"
        printf '%s\n' "$2" >"$SEED/user-data"
        sync
}

# check_instance_baseline KEYS: the baseline belongs to this boot and holds, for each key, the value
# the kernel had before wstuned started; nothing of the build VM.
check_instance_baseline() {
        local k boot_id
        boot_id=$(cat /proc/sys/kernel/random/boot_id)
        check_eq "recorded before wstuned started, this boot" "$boot_id" "$(before_value boot_id)"
        check_eq "state.json: the baseline belongs to this boot" "$boot_id" "$(state_field boot_id)"
        for k in $1; do
                check_eq "baseline: $k is this instance's value before wstuned" "$(before_value "$k")" \
                        "$(baseline_value "$k")"
        done
        check_eq "state.json: none of the build VM's values" "" \
                "$(grep -E "\"($BAKE_SOMAXCONN|$BAKE_FIN_TIMEOUT|${BAKE_PORTS// /[[:space:]]+})\"" "$STATE_JSON")"
}

boot1() {
        wait_cloud_init
        check_eq "the build VM's instance" wstuned-build-vm "$(instance_id)"
        check_rc "wstuned is not installed before the bake" 1 dpkg -s wstuned
        # The build VM has values of its own.
        sysctl -qw net.core.somaxconn=$BAKE_SOMAXCONN net.ipv4.tcp_max_syn_backlog=$BAKE_SOMAXCONN \
                net.ipv4.tcp_fin_timeout=$BAKE_FIN_TIMEOUT net.ipv4.ip_local_port_range="$BAKE_PORTS"
        check_eq "the build VM's own value" "$BAKE_SOMAXCONN" "$(sysctl_get net.core.somaxconn)"

        info "README bake: $(paste -sd ';' "$README_DIR/image-bake")"
        check_rc "README: the bake commands (in the directory with the .deb)" 0 env DEBIAN_FRONTEND=noninteractive \
                bash -ec "cd /var/tmp/bake && . $README_DIR/image-bake"
        check_eq "baked: wstuned.service active" active "$(systemctl is-active wstuned.service 2>&1)"
        check_eq "baked: no profile active" inactive "$(bus_prop State)"
        check_eq "baked: state.json has no profile and no originals" "profile=none baseline=0" "$(state_summary)"
        check_eq "baked: the build VM keeps its values" "$BAKE_SOMAXCONN" "$(sysctl_get net.core.somaxconn)"

        local ud
        ud=$(sed 's/"ws-server"/"ws-client"/' "$README_DIR/image-user-data")
        check_match "README user-data: write_files of wstuned.json, for the client role" '"ws-client"' "$ud"
        new_instance wstuned-instance-a "$ud"
}

boot2() {
        wait_cloud_init
        check_eq "instance A's first boot" wstuned-instance-a "$(instance_id)"
        check_eq "cloud-init wrote wstuned.json" ws-client \
                "$(python3 -c 'import json; print(json.load(open("/etc/wstuned/wstuned.json"))["profile"])' 2>&1)"
        check_eq "wstuned applied the instance's profile" ws-client "$(bus_prop ActiveProfile)"
        check_eq "... when it started (no restart)" 0 "$(systemctl show -P NRestarts wstuned.service)"
        check_eq "... once (one profile-applied entry this boot)" 1 \
                "$(journalctl -b --no-pager -o cat MESSAGE_ID="$MSG_PROFILE_APPLIED" | wc -l)"
        check_eq "kernel: ws-client's tcp_fin_timeout" 15 "$(sysctl_get net.ipv4.tcp_fin_timeout)"
        check_eq "kernel: ws-client's ip_local_port_range" "10000 65000" \
                "$(now_value /proc/sys/net/ipv4/ip_local_port_range)"
        check_instance_baseline "$CLIENT_KEYS"
        check_eq "baseline: no key ws-client does not manage" - "$(baseline_value /proc/sys/net/core/somaxconn)"

        # This VM becomes a build VM again, baked the old way: a profile applied at bake time, over
        # values of the build VM's own.
        check_rc "back to a fresh bake: wstunectl revert" 0 wstunectl revert
        printf '{ "profile": "" }\n' >/etc/wstuned/wstuned.json
        check_rc "wstunectl reload" 0 wstunectl reload
        sysctl -qw net.core.somaxconn=$BAKE_SOMAXCONN net.ipv4.tcp_max_syn_backlog=$BAKE_SOMAXCONN
        check_rc "old recipe: wstunectl apply ws-server at bake time" 0 wstunectl apply ws-server
        check_eq "old recipe: the image carries the profile and the build VM's values" \
                "profile=ws-server $BAKE_SOMAXCONN" \
                "$(state_summary | cut -d' ' -f1) $(baseline_value /proc/sys/net/core/somaxconn)"
        new_instance wstuned-instance-b "$(cat "$README_DIR/image-user-data-runcmd")"
}

boot3() {
        wait_cloud_init
        check_eq "instance B's first boot" wstuned-instance-b "$(instance_id)"
        info "profiles applied this boot: $(journalctl -b --no-pager -o cat --output-fields=WSTUNED_PROFILE \
                MESSAGE_ID="$MSG_PROFILE_APPLIED" | paste -sd ' ')"
        check_eq "README runcmd: the instance's profile is active" ws-client "$(bus_prop ActiveProfile)"
        check_instance_baseline "$CLIENT_KEYS"
        # ws-server (applied at start from the bake's state, with this boot's originals) put its keys
        # back when ws-client replaced it, and keeps no original of them.
        check_eq "baseline: no original left of ws-server's keys" "- -" \
                "$(baseline_value /proc/sys/net/core/somaxconn) $(baseline_value /proc/sys/net/ipv4/tcp_max_syn_backlog)"
        check_eq "kernel: somaxconn back to this instance's value, not the build VM's" \
                "$(before_value /proc/sys/net/core/somaxconn)" "$(sysctl_get net.core.somaxconn)"
        check_eq "kernel: tcp_max_syn_backlog back to this instance's value" \
                "$(before_value /proc/sys/net/ipv4/tcp_max_syn_backlog)" "$(sysctl_get net.ipv4.tcp_max_syn_backlog)"

        # The README's step before capturing an image on which a profile was applied.
        info "README capture: $(paste -sd ';' "$README_DIR/image-capture")"
        check_rc "README: the capture commands" 0 bash -ec ". $README_DIR/image-capture"
        check_eq "captured: no profile active" inactive "$(bus_prop State)"
        check_eq "captured: state.json has no profile and no originals" "profile=none baseline=0" "$(state_summary)"
        check_eq "captured: no limit files" "" \
                "$(ls /etc/security/limits.d/90-wstuned.conf /etc/systemd/system.conf.d/90-wstuned.conf 2>/dev/null)"
        new_instance wstuned-instance-c "$(cat "$README_DIR/image-user-data")"
}

boot4() {
        wait_cloud_init
        check_eq "instance C's first boot" wstuned-instance-c "$(instance_id)"
        check_eq "README user-data as it is: ws-server active" ws-server "$(bus_prop ActiveProfile)"
        check_eq "... applied when wstuned started" 1 \
                "$(journalctl -b --no-pager -o cat MESSAGE_ID="$MSG_PROFILE_APPLIED" | wc -l)"
        check_eq "kernel: ws-server's somaxconn" 16384 "$(sysctl_get net.core.somaxconn)"
        check_instance_baseline "$SERVER_KEYS"
}
