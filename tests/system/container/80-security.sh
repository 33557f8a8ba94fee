# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 80-security.sh - the unit's sandbox as the running service has it: seen from inside its mount namespace
# only the directories of the files it writes are writable (the rest of /etc, /usr, /var read-only); UMask,
# MemoryMax, TasksMax and the state directory's mode as the unit sets them; the files readers need keep
# mode 0644; a removed /etc directory comes back at the next start. The docker layer writes only where Docker
# is installed: for those checks docker.service and containerd.service units of the test's own (LimitNOFILE=4096,
# below the profile's, as 35-limits does), removed again at the end. Then systemd-analyze security: the
# overall exposure must stay at or below 1.7, and the remaining exposures (each explained in
# units/wstuned.service.in and wstuned(8) SECURITY) go to the log. The other scenarios prove every feature
# works inside this sandbox. (The container has no memory or pids controller of its own: the limits are
# checked as set here, and enforced in the VM test.)
local overall score pid dir path unit metrics_dir=/var/lib/prometheus/node-exporter
local -a writable=(/etc/security/limits.d /etc/systemd/system.conf.d /etc/systemd/system/docker.service.d
        /etc/systemd/system/containerd.service.d /etc/docker /var/lib/wstuned)
# in_service CMD...: CMD in the mount namespace of the running wstuned (as root, without its other limits)
in_service() { ct nsenter -t "$pid" -m -- "$@"; }
metrics_written() { ct test -s "$metrics_dir/wstuned.prom"; }

pid=$(ct_unit_prop wstuned MainPID)
for dir in "${writable[@]}"; do
        check_rc "service may write in $dir" 0 in_service sh -c "touch '$dir/.wstuned-probe' && rm '$dir/.wstuned-probe'"
done
for path in /etc /etc/wstuned /etc/security /etc/systemd /etc/systemd/system /etc/polkit-1/rules.d /usr/lib \
        /var/lib /var/log /root; do
        check_rc "service may not write in $path" 1 in_service touch "$path/.wstuned-probe"
        check_match "$path: read-only or inaccessible" "Read-only file system|Permission denied|No such file" "$OUT"
        ct rm -f "$path/.wstuned-probe" # should the check have failed
done

check_eq "UMask" 0077 "$(ct_unit_prop wstuned UMask)"
check_eq "MemoryMax (128M)" 134217728 "$(ct_unit_prop wstuned MemoryMax)"
check_eq "TasksMax" 8 "$(ct_unit_prop wstuned TasksMax)"
check_eq "state directory mode" "700 root" "$(ct stat -c '%a %U' /var/lib/wstuned)"
check_eq "one thread" 1 "$(ct ls "/proc/$pid/task" | wc -l)"

# Docker "installed": units of its own for docker.service and containerd.service, so the layer writes its files
for unit in docker containerd; do
        ct_sh "printf '[Unit]\nDescription=wstuned test: $unit unit\n[Service]\nExecStart=/bin/sleep infinity\nLimitNOFILE=4096\n' \
                >/lib/systemd/system/$unit.service"
done
ct systemctl daemon-reload
check_rc "apply ws-server with docker.service and containerd.service installed" "$SERVER_RC" ct wstunectl apply ws-server
for path in /etc/security/limits.d/90-wstuned.conf /etc/systemd/system.conf.d/90-wstuned.conf \
        /etc/systemd/system/docker.service.d/90-wstuned.conf /etc/systemd/system/containerd.service.d/90-wstuned.conf \
        /etc/docker/daemon.json; do
        check_eq "$path: 0644 for its readers" "644 root" "$(ct stat -c '%a %U' "$path" 2>&1)"
done

# The metrics directory is node_exporter's: wstuned runs without it, and writes there once it exists.
check_rc "no metrics directory (no node_exporter here)" 1 ct test -e "$metrics_dir"
ct mkdir -p "$metrics_dir"
ct systemctl restart wstuned
pid=$(ct_unit_prop wstuned MainPID)
check_rc "metrics directory created: the service may write there" 0 \
        in_service sh -c "touch '$metrics_dir/.wstuned-probe' && rm '$metrics_dir/.wstuned-probe'"
check_rc "metrics written" 0 wait_until 20 metrics_written
check_eq "metrics file 0644 for node_exporter" "644 root" "$(ct stat -c '%a %U' "$metrics_dir/wstuned.prom" 2>&1)"

# Uninstalling Docker often deletes /etc/docker: the next start creates it again (ExecStartPre=), and the
# docker layer writes there.
ct rm -rf /etc/docker /etc/systemd/system/docker.service.d
check_rc "restart with /etc/docker and the docker.service drop-in directory gone" 0 ct systemctl restart wstuned
check_eq "active" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "/etc/docker created again" "755 root" "$(ct stat -c '%a %U' /etc/docker 2>&1)"
check_rc "daemon.json written again" 0 wait_until 5 ct test -s /etc/docker/daemon.json
check_rc "docker.service drop-in written again" 0 wait_until 5 ct test -s /etc/systemd/system/docker.service.d/90-wstuned.conf
pid=$(ct_unit_prop wstuned MainPID)
check_rc "the service may write in the new /etc/docker" 0 in_service sh -c "touch /etc/docker/.wstuned-probe && rm /etc/docker/.wstuned-probe"

# Docker gone again, as the other scenarios expect it: the next Apply removes what the layer wrote
ct rm -f /lib/systemd/system/docker.service /lib/systemd/system/containerd.service
ct systemctl daemon-reload
check_rc "apply ws-server without Docker again" "$SERVER_RC" ct wstunectl apply ws-server
check_eq "the docker layer's files removed" "" "$(ct_sh 'ls /etc/docker/daemon.json /etc/systemd/system/docker.service.d/90-wstuned.conf /etc/systemd/system/containerd.service.d/90-wstuned.conf 2>/dev/null')"

check_rc "systemd-analyze security wstuned.service" 0 ct systemd-analyze security --no-pager wstuned.service
overall=$(printf '%s\n' "$OUT" | grep 'Overall exposure level for wstuned.service')
echo "     ${overall:-no overall exposure line}"
printf '%s\n' "$OUT" | grep '✗' | sed 's/^/     /'
score=$(printf '%s\n' "$overall" | sed -n 's/.*wstuned\.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 1.7) }'; then
        pass "overall exposure $score is at most 1.7"
else
        fail "overall exposure ${score:-unknown} is above 1.7" "$overall"
fi
