# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 35-limits.sh - ws-server's nofile 200000 in the container's real /etc: the PAM and systemd files the
# packaged daemon wrote, and Verify's rows for them. (Logins and services actually getting 200000 need a
# kernel without this machine's 20000 cap: the VM test checks that.)
# The docker layer on the container, which has no Docker: nothing written for it. Then a docker.service of
# the test's own, checked against the real systemd (`systemctl show -P LimitNOFILE`): with docker-ce 24's
# LimitNOFILE=infinity wstuned writes no drop-in and the unit keeps infinity; with 4096 the drop-in raises
# it to 200000; upgraded back to infinity, Verify flags the drop-in that now lowers it and the next Apply
# removes it. The unit and daemon.json are gone again at the end.
local unit=/lib/systemd/system/docker.service dropin=/etc/systemd/system/docker.service.d/90-wstuned.conf
check_eq "PAM drop-in" "* soft nofile 200000
* hard nofile 200000
root soft nofile 200000
root hard nofile 200000" "$(ct grep -v '^#' /etc/security/limits.d/90-wstuned.conf | tr -s ' ')"
check_match "systemd drop-in" "^DefaultLimitNOFILE=200000:200000$" "$(ct cat /etc/systemd/system.conf.d/90-wstuned.conf)"
check_rc "systemd accepts the drop-ins" 0 ct systemd-analyze verify --man=no /lib/systemd/system/wstuned.service
check_match "verify: limit files hold" "/etc/security/limits.d/90-wstuned.conf +nofile 200000:200000 +nofile 200000:200000 +ok" \
        "$(ct wstunectl verify)"
check_match "baseline: the files did not exist before" '"/etc/security/limits.d/90-wstuned.conf":[[:space:]]*null' \
        "$(ct cat /var/lib/wstuned/state.json)"

# no Docker here: no daemon.json, no drop-ins for units that are not there
check_rc "no docker drop-in without Docker" 1 ct test -e "$dropin"
check_rc "no daemon.json without Docker" 1 ct test -e /etc/docker/daemon.json
check_match "verify: daemon.json left out" "/etc/docker/daemon.json +skipped: Docker is not installed +\(none\) +ok" \
        "$(ct wstunectl verify)"

# docker-ce 24's unit, LimitNOFILE=infinity: no drop-in, the unit keeps infinity
ct_sh "printf '[Unit]\nDescription=wstuned test: docker-ce 24 unit\n[Service]\nExecStart=/bin/sleep infinity\nLimitNOFILE=infinity\n' >$unit"
ct systemctl daemon-reload
check_rc "apply ws-server with docker.service at infinity" "$SERVER_RC" ct wstunectl apply ws-server
check_match "the row says why" \
        "docker.service.d/90-wstuned.conf +\(none\) +\(none\) +skipped: docker.service already has LimitNOFILE=infinity" "$OUT"
check_rc "no docker drop-in" 1 ct test -e "$dropin"
check_eq "systemd: docker.service keeps infinity" infinity "$(ct_unit_prop docker.service LimitNOFILE)"
check_match "daemon.json written now that Docker is installed" '"nofile":\{"Name":"nofile","Hard":200000,"Soft":200000\}' \
        "$(ct cat /etc/docker/daemon.json | tr -d ' \n')"
check_match "journal: the drop-in left out" "docker.service.d/90-wstuned.conf not written .*already has LimitNOFILE=infinity" \
        "$(ct_journal -u wstuned -o cat MESSAGE_ID="$(journal_id FILE_SKIPPED)")"

# a unit with a lower limit of its own: the drop-in raises it
ct_sh "sed -i 's/^LimitNOFILE=.*/LimitNOFILE=4096/' $unit"
ct systemctl daemon-reload
check_rc "apply ws-server with docker.service at 4096" "$SERVER_RC" ct wstunectl apply ws-server
check_match "docker drop-in written" "^LimitNOFILE=200000:200000$" "$(ct cat "$dropin")"
ct systemctl daemon-reload
check_eq "systemd: docker.service gets 200000" 200000 "$(ct_unit_prop docker.service LimitNOFILE)"
check_eq "systemd: soft 200000 too" 200000 "$(ct_unit_prop docker.service LimitNOFILESoft)"

# upgraded to infinity again: the drop-in now lowers it; Verify says so, the next Apply removes it
ct_sh "sed -i 's/^LimitNOFILE=.*/LimitNOFILE=infinity/' $unit"
ct systemctl daemon-reload
check_eq "systemd: the drop-in lowers docker.service to 200000" 200000 "$(ct_unit_prop docker.service LimitNOFILE)"
check_rc "verify fails" 1 ct wstunectl verify
check_match "verify: lowers" "docker.service.d/90-wstuned.conf +.* +lowers: docker.service has LimitNOFILE=infinity" "$OUT"
check_rc "apply ws-server again" "$SERVER_RC" ct wstunectl apply ws-server
check_match "the drop-in removed" "docker.service.d/90-wstuned.conf +wstuned's +\(none\) +skipped: .*wstuned's file removed" "$OUT"
check_rc "no docker drop-in" 1 ct test -e "$dropin"
ct systemctl daemon-reload
check_eq "systemd: docker.service has infinity again" infinity "$(ct_unit_prop docker.service LimitNOFILE)"

# Docker gone again: daemon.json, which wstuned created, goes at the next Apply
ct rm -f "$unit"
ct systemctl daemon-reload
check_rc "apply ws-server without Docker" "$SERVER_RC" ct wstunectl apply ws-server
check_match "daemon.json removed" "/etc/docker/daemon.json +wstuned's +\(none\) +skipped: Docker is not installed; wstuned's file removed" "$OUT"
check_rc "no daemon.json" 1 ct test -e /etc/docker/daemon.json
