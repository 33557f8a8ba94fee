#!/bin/bash
# test-unit-file.sh - systemd-analyze verify accepts the built unit (with the binaries it names in
# place under a temporary root); wstuned is not bus-activatable (nothing installed in system-services);
# the sandbox: writable only the directories of the files wstuned writes, each created by the tmpfiles.d
# file ("-" only where a directory may be missing), UMask, the state directory's mode, memory and task
# limits.
set -u
. "$(dirname "$0")/assert.sh"
: "${WSTUNED_BUILD:?}" "${WSTUNED_SOURCE:?}"
command -v systemd-analyze >/dev/null || skip_test "systemd-analyze not installed"

unit=$WSTUNED_BUILD/units/wstuned.service
# verify checks that ExecStart= names an executable: point it at the built binaries (the installed
# paths do not exist before `ninja install`). The Documentation= pages are checked by test-man.sh.
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
sed "s|^ExecStart=.*|ExecStart=$WSTUNED_BUILD/daemon/wstuned|; s|^ExecReload=[^ ]*|ExecReload=$WSTUNED_BUILD/client/wstunectl|" \
        "$unit" >"$R/wstuned.service"
check_rc "systemd-analyze verify" 0 systemd-analyze verify --man=no "$R/wstuned.service"
check_eq "no warnings from systemd-analyze" "" "$OUT"
for page in $(sed -n 's/^Documentation=//p' "$unit"); do
        page=${page#man:}
        section=${page##*(}
        check_rc "Documentation= $page is shipped" 0 test -f "$WSTUNED_SOURCE/man/${page%(*}.${section%)}"
done
check_match "Type=notify" "^Type=notify$" "$(cat "$unit")"
check_match "BusName" "^BusName=io.wstune.wstuned1$" "$(cat "$unit")"
check_match "ordered before docker" "^Before=.*docker.service" "$(cat "$unit")"
check_match "ordered after systemd-sysctl" "^After=.*systemd-sysctl.service" "$(cat "$unit")"

# No bus activation: a call must never start a stopped wstuned.
installed=$(meson introspect "$WSTUNED_BUILD" --installed)
check_match "meson knows what it installs" 'wstuned\.service' "$installed"
check_no_match "no D-Bus activation file installed" 'system-services' "$installed"

text=$(cat "$unit")
# The directories of the files the daemon writes (daemon/limit-files.c, the metrics default), and which of
# them may be missing when the service starts: Docker's (ExecStartPre= creates them again) and node_exporter's.
writable="/etc/security/limits.d /etc/systemd/system.conf.d -/etc/systemd/system/docker.service.d
-/etc/systemd/system/containerd.service.d -/etc/docker -/var/lib/prometheus/node-exporter"
check_eq "ReadWritePaths: exactly the directories wstuned writes in" "$(printf '%s\n' $writable)" \
        "$(sed -n 's/^ReadWritePaths=//p' "$unit" | tr ' ' '\n')"
check_match "ProtectSystem=strict" "^ProtectSystem=strict$" "$text"
check_match "the directories are created before each start" "^ExecStartPre=\+systemd-tmpfiles --create wstuned\.conf$" "$text"
check_no_match "no ConfigurationDirectory= (it would make /etc/wstuned writable)" "^ConfigurationDirectory=" "$text"
check_match "StateDirectory=wstuned" "^StateDirectory=wstuned$" "$text"
check_match "StateDirectoryMode=0700" "^StateDirectoryMode=0700$" "$text"
check_match "UMask=0077" "^UMask=0077$" "$text"
check_match "MemoryMax=" "^MemoryMax=[0-9]+M$" "$text"
check_match "TasksMax=" "^TasksMax=[0-9]+$" "$text"
for path in /etc/security/limits.d/90-wstuned.conf /etc/systemd/system.conf.d/90-wstuned.conf \
        /etc/systemd/system/docker.service.d/90-wstuned.conf /etc/systemd/system/containerd.service.d/90-wstuned.conf \
        /etc/docker/daemon.json; do
        check_match "the daemon writes $path" "\"$path\"" "$(cat "$WSTUNED_SOURCE/daemon/limit-files.c")"
done
check_match "the metrics default is in the node_exporter directory" \
        'METRICS_PATH_DEFAULT "/var/lib/prometheus/node-exporter/wstuned.prom"' "$(cat "$WSTUNED_SOURCE/daemon/metrics.h")"

# The tmpfiles.d file creates every /etc directory of ReadWritePaths= (the metrics one is node_exporter's)
# and the state directory, with the modes the unit and wstuned(8) give; never a file.
tmpfiles=$WSTUNED_SOURCE/units/wstuned.tmpfiles
check_no_match "tmpfiles.d: directories only" '^[^#d]' "$(cat "$tmpfiles")"
if [ "$(id -u)" = 0 ]; then
        check_rc "systemd-tmpfiles --create under a temporary root" 0 systemd-tmpfiles --root="$R" --create "$tmpfiles"
        modes=""
        for path in $writable /var/lib/wstuned; do
                path=${path#-}
                [ "$path" = /var/lib/prometheus/node-exporter ] && continue
                modes+="$path $(stat -c '%a %U' "$R$path" 2>&1)"$'\n'
        done
        check_eq "tmpfiles.d: the directories and their modes" "/etc/security/limits.d 755 root
/etc/systemd/system.conf.d 755 root
/etc/systemd/system/docker.service.d 755 root
/etc/systemd/system/containerd.service.d 755 root
/etc/docker 755 root
/var/lib/wstuned 700 root" "${modes%$'\n'}"
        check_rc "tmpfiles.d: no daemon.json" 1 test -e "$R/etc/docker/daemon.json"
        # Another package's directory keeps its mode (":"); the state directory is tightened.
        chmod 0700 "$R/etc/docker"
        chmod 0755 "$R/var/lib/wstuned"
        systemd-tmpfiles --root="$R" --create "$tmpfiles"
        check_eq "tmpfiles.d: an existing /etc/docker keeps its mode" 700 "$(stat -c %a "$R/etc/docker")"
        check_eq "tmpfiles.d: an existing /var/lib/wstuned gets 0700" 700 "$(stat -c %a "$R/var/lib/wstuned")"
else
        echo "# not root: systemd-tmpfiles --create left out (it creates root's directories)"
fi
test_finish
