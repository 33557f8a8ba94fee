# shellcheck shell=bash
# 40-limits: nofile 200000 from the profile (applied by 10-apply-before-conntrack), above this
# project's host cap of 20000: a fresh login gets it from PAM (runuser -l), a service started after
# systemctl daemon-reexec gets it from DefaultLimitNOFILE=, a service running since before is
# "restart-needed" in wstunectl verify and fine after a restart; after the reboot all of it holds
# from boot on.

nofile_of_pid() { awk '/^Max open files/ { print $4 ":" $5 }' "/proc/$1/limits"; }
service_nofile() { nofile_of_pid "$(systemctl show -P MainPID "$1")"; }
login_nofile() { runuser -l "$1" -s /bin/bash -c 'echo "$(ulimit -Sn):$(ulimit -Hn)"'; }
verify_row() { wstunectl --no-pager verify | grep -E "$1"; }

boot1() {
        check_eq "PAM drop-in written" "root soft nofile 200000" \
                "$(grep -E '^root +soft' /etc/security/limits.d/90-wstuned.conf | tr -s ' ')"
        check_eq "login as root gets it (runuser -l)" "200000:200000" "$(login_nofile root)"
        check_eq "login as nobody gets it (*)" "200000:200000" "$(login_nofile nobody)"

        check_match "systemd drop-in written" "^DefaultLimitNOFILE=200000:200000$" \
                "$(cat /etc/systemd/system.conf.d/90-wstuned.conf)"
        check_rc "systemctl daemon-reexec" 0 systemctl daemon-reexec
        check_rc "start a new service" 0 systemd-run --unit=wstest-after.service sleep infinity
        check_eq "a service started after daemon-reexec gets it" "200000:200000" "$(service_nofile wstest-after.service)"

        local before
        before=$(service_nofile wstest-before.service)
        info "wstest-before.service still has $before"
        check_match "verify: the older service is restart-needed" \
                "process sleep\[[0-9]+\] wstest-before.service +>=200000 +.* +restart-needed: wstest-before.service" \
                "$(verify_row wstest-before)"
        systemctl stop wstest-before.service
        check_rc "start it again" 0 systemd-run --unit=wstest-before.service sleep infinity
        check_eq "restarted: it has the limit" "200000:200000" "$(service_nofile wstest-before.service)"
        check_match "verify: now ok" "wstest-before.service +>=200000 +200000:200000 +ok" "$(verify_row wstest-before)"
}

boot2() {
        check_eq "after the reboot: login gets it" "200000:200000" "$(login_nofile nobody)"
        check_eq "after the reboot: wstuned.service itself runs with DefaultLimitNOFILE" "200000:200000" \
                "$(service_nofile wstuned.service)"
        check_match "verify: PAM file holds" "/etc/security/limits.d/90-wstuned.conf .* ok$" "$(verify_row limits.d)"
        check_match "verify: systemd file holds" "/etc/systemd/system.conf.d/90-wstuned.conf .* ok$" \
                "$(verify_row system.conf.d)"
}
