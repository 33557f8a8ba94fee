# shellcheck shell=bash
# 05-service-before: a service that is running before the profile's nofile limit is written (by
# 10-apply-before-conntrack), so 40-limits can show it reported "restart-needed".

boot1() {
        check_rc "start wstest-before.service (transient)" 0 systemd-run --unit=wstest-before.service sleep infinity
        info "wstest-before.service: $(grep 'Max open files' "/proc/$(systemctl show -P MainPID wstest-before.service)/limits")"
}
