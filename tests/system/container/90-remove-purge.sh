# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 90-remove-purge.sh - the README's remove commands, as written (apt's question is answered by the
# test's apt.conf.d file, see run.sh). remove stops the daemon, puts the limit files back as they were
# before wstuned (the prerm's wstuned --restore-files: the drop-ins it created removed, an admin's
# daemon.json it merged into byte-identical again, with its mode) and keeps its settings and baseline;
# purge deletes them. Neither touches the kernel values. Last: the package is gone afterwards.
local -a lines
local somaxconn
mapfile -t lines < <(readme_block remove)
check_eq "README remove block: remove, then purge" "apt remove wstuned|apt purge wstuned" "$(IFS='|'; echo "${lines[*]}")"
somaxconn=$(ct sysctl -n net.core.somaxconn)

# an admin's daemon.json (no Docker here: an existing one is still merged into)
ct_sh "mkdir -p /etc/docker && printf '{\n  \"log-driver\": \"journald\"\n}\n' >/etc/docker/daemon.json && chmod 600 /etc/docker/daemon.json && cp -p /etc/docker/daemon.json /var/tmp/daemon.json.orig"
check_rc "apply ws-server merges into the admin's daemon.json" "$SERVER_RC" ct wstunectl apply ws-server
check_match "daemon.json has the nofile entry" '"nofile":\{"Name":"nofile","Hard":200000,"Soft":200000\}' \
        "$(ct cat /etc/docker/daemon.json | tr -d ' \n')"

check_rc "README: ${lines[0]:-}" 0 ct_sh "${lines[0]:-false}"
check_match "remove: the prerm names the files it restored" "/etc/docker/daemon.json: restore" "$OUT"
check_eq "remove: wstuned stopped" inactive "$(ct systemctl is-active wstuned 2>&1)"
check_rc "remove: no wstuned process" 1 ct pgrep -x wstuned
check_rc "remove: the bus name is gone" 1 ct busctl status io.wstune.wstuned1
check_eq "remove: package state" "deinstall ok config-files" "$(ct dpkg-query -W -f='${Status}' wstuned 2>&1)"
check_rc "remove: baseline kept in /var/lib/wstuned" 0 ct test -f /var/lib/wstuned/state.json
check_rc "remove: settings kept in /etc/wstuned" 0 ct test -f /etc/wstuned/wstuned.json
check_match "remove: the active profile kept for a reinstall" '"active_profile":[[:space:]]*"ws-server"' \
        "$(ct cat /var/lib/wstuned/state.json)"
check_rc "remove: the admin's daemon.json byte-identical again" 0 ct cmp /var/tmp/daemon.json.orig /etc/docker/daemon.json
check_eq "remove: its mode kept" 600 "$(ct stat -c %a /etc/docker/daemon.json)"
check_rc "remove: the PAM drop-in wstuned created removed" 1 ct test -e /etc/security/limits.d/90-wstuned.conf
check_rc "remove: the systemd drop-in removed" 1 ct test -e /etc/systemd/system.conf.d/90-wstuned.conf
check_eq "remove: kernel values left as they are" "$somaxconn" "$(ct sysctl -n net.core.somaxconn)"

check_rc "README: ${lines[1]:-}" 0 ct_sh "${lines[1]:-false}"
check_rc "purge: /var/lib/wstuned removed" 1 ct test -e /var/lib/wstuned
check_rc "purge: /etc/wstuned removed" 1 ct test -e /etc/wstuned
check_rc "purge: the PAM drop-in wstuned generated removed" 1 ct test -e /etc/security/limits.d/90-wstuned.conf
check_rc "purge: the systemd drop-in removed" 1 ct test -e /etc/systemd/system.conf.d/90-wstuned.conf
check_rc "purge: the docker.service drop-in removed" 1 ct test -e /etc/systemd/system/docker.service.d/90-wstuned.conf
check_eq "purge: its empty drop-in directories removed" "" "$(ct_sh \
        'ls -d /etc/systemd/system/docker.service.d /etc/systemd/system/containerd.service.d /etc/systemd/system.conf.d 2>/dev/null')"
check_rc "purge: /etc/docker kept (daemon.json stays, as it was)" 0 ct test -d /etc/docker
check_rc "purge: /etc/security/limits.d kept (libpam-modules')" 0 ct test -d /etc/security/limits.d
check_rc "purge: enablement symlink removed" 1 ct test -L /etc/systemd/system/multi-user.target.wants/wstuned.service
check_rc "purge: package unknown to dpkg" 1 ct dpkg-query -W wstuned
check_eq "purge: kernel values left as they are" "$somaxconn" "$(ct sysctl -n net.core.somaxconn)"
check_rc "purge: the admin's daemon.json left as it is" 0 ct cmp /var/tmp/daemon.json.orig /etc/docker/daemon.json
ct rm -f /etc/docker/daemon.json /var/tmp/daemon.json.orig
