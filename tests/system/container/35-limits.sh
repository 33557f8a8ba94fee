# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 35-limits.sh - ws-server's nofile 200000 in the container's real /etc: the PAM, systemd and Docker
# files the packaged daemon wrote, and Verify's rows for them. (Logins and services actually getting
# 200000 need a kernel without this machine's 20000 cap: the VM test checks that.)
check_eq "PAM drop-in" "* soft nofile 200000
* hard nofile 200000
root soft nofile 200000
root hard nofile 200000" "$(ct grep -v '^#' /etc/security/limits.d/90-wstuned.conf | tr -s ' ')"
check_match "systemd drop-in" "^DefaultLimitNOFILE=200000:200000$" "$(ct cat /etc/systemd/system.conf.d/90-wstuned.conf)"
check_match "docker unit drop-in" "^LimitNOFILE=200000:200000$" \
        "$(ct cat /etc/systemd/system/docker.service.d/90-wstuned.conf)"
check_match "daemon.json" '"nofile":\{"Name":"nofile","Hard":200000,"Soft":200000\}' \
        "$(ct cat /etc/docker/daemon.json | tr -d ' \n')"
check_rc "systemd accepts the drop-ins" 0 ct systemd-analyze verify --man=no /lib/systemd/system/wstuned.service
check_match "verify: limit files hold" "/etc/security/limits.d/90-wstuned.conf +nofile 200000:200000 +nofile 200000:200000 +ok" \
        "$(ct wstunectl verify)"
check_match "baseline: the files did not exist before" '"/etc/security/limits.d/90-wstuned.conf":[[:space:]]*null' \
        "$(ct cat /var/lib/wstuned/state.json)"
