#!/bin/bash
# test-limits.sh - file-descriptor limits on a temporary root: the PAM, systemd and Docker files written
# (daemon.json merged, its other keys kept), a real process started with a low limit (prlimit) reported
# "restart-needed", a deleted or edited drop-in repaired by the inotify watch, Revert restoring
# byte-identical originals, an unparsable daemon.json left alone, a profile that would lock users out
# refused with nothing written.
# The docker layer never lowers a limit: containerd.service shipping LimitNOFILE=infinity gets no drop-in
# (a row and a journal entry say so), a drop-in wstuned wrote before docker.service was upgraded to infinity
# is flagged by Verify and removed by the next Apply, and on a host without Docker nothing is written for it.
# "wstuned --restore-files" (the package's prerm) puts every limit file back without the daemon.
# Processes matched by name count only when they are root's, dockerd only in docker.service: a user's
# process named like a watched one or named dockerd (with --default-ulimit and a low limit) changes
# neither Verify nor daemon.json; root's fake dockerd does only once it is moved into a real cgroup
# named docker.service (cgroup v2, then v1 name=systemd), which the test creates under a slice of its
# own and removes at the end.
# Its own PID namespace: the daemon sees only this test's processes, not the fake dockerd or the
# sleepers of another run of this test on the same host.
export SB_PID_NS=1
. "$(dirname "$0")/preamble.sh" "$0" "$@"
command -v prlimit >/dev/null || skip_test "prlimit (util-linux) not installed"
command -v setpriv >/dev/null || skip_test "setpriv (util-linux) not installed"
id nobody >/dev/null 2>&1 && getent group nogroup >/dev/null || skip_test "no user nobody or group nogroup"

E=$SB_ROOT/etc
PAM=$E/security/limits.d/90-wstuned.conf
SYSD=$E/systemd/system.conf.d/90-wstuned.conf
DOCKER_UNIT=$E/systemd/system/docker.service.d/90-wstuned.conf
CONTAINERD_UNIT=$E/systemd/system/containerd.service.d/90-wstuned.conf
JSON=$E/docker/daemon.json
UNITS=$SB_ROOT/lib/systemd/system
file_is() { [ -f "$1" ] && grep -q "$2" "$1"; }

cat >"$E/wstuned/profiles/lim.json" <<'JSON'
{ "limits": { "nofile": 4096, "processes": ["wstest-sleeper"] } }
JSON
cat >"$E/wstuned/profiles/lockout.json" <<'JSON'
{ "limits": { "nofile": 2000000 } }
JSON
mkdir -p "$E/docker"
printf '{\n    "log-driver": "journald",\n    "default-ulimits": { "nproc": { "Name": "nproc", "Hard": 4096, "Soft": 4096 } }\n}\n' >"$JSON"
chmod 600 "$JSON"
cp -p "$JSON" "$SB/daemon.json.orig"
# Docker is installed: docker.service without a LimitNOFILE= of its own (docker 25), containerd.service with
# containerd 1.x's infinity
mkdir -p "$UNITS"
printf '[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd -H fd://\n' >"$UNITS/docker.service"
printf '[Unit]\nDescription=containerd\n[Service]\nExecStart=/usr/bin/containerd\nLimitNOFILE=infinity\n' \
        >"$UNITS/containerd.service"

# a process that will need a restart: started with a soft limit below the profile's
cp "$(command -v sleep)" "$SB/wstest-sleeper"
prlimit --nofile=1024:1024 "$SB/wstest-sleeper" 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
SB_PIDS+=("$sleeper")
# $! is prlimit (and setpriv) until it execs the program: go on once the process has its name
has_comm() { [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]; }
is_sleeper() { has_comm "$sleeper" wstest-sleeper; }
within 3 is_sleeper || echo "# the sleeper did not start" >&2

# A fake dockerd: a copy of dash named dockerd, with --default-ulimit among its arguments, waiting in a read
# (no child process). Started as start_dockerd [PROGRAM AND OPTIONS THAT EXEC IT...]; its PID in $fake.
cp "$(command -v dash || command -v sh)" "$SB/dockerd"
mkfifo -m 666 "$SB/hold"
start_dockerd() {
        "$@" env HOLD="$SB/hold" "$SB/dockerd" -c 'read x <"$HOLD"' --default-ulimit nofile=1024:2048 \
                </dev/null >/dev/null 2>&1 &
        fake=$!
        SB_PIDS+=("$fake")
        within 3 has_comm "$fake" dockerd || echo "# the fake dockerd did not start" >&2
}
soft_nofile() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }
stop_pid() {
        kill "$1" 2>/dev/null
        wait "$1" 2>/dev/null
}

# Any user can name a process anything: the user nobody's wstest-sleeper and dockerd, both with a low limit,
# the dockerd with --default-ulimit. Neither may change Verify or keep daemon.json from being written.
NOBODY_LOW=(prlimit --nofile=1024:1024 setpriv --reuid=nobody --regid=nogroup --clear-groups --)
"${NOBODY_LOW[@]}" "$SB/wstest-sleeper" 300 </dev/null >/dev/null 2>&1 &
user_sleeper=$!
SB_PIDS+=("$user_sleeper")
within 3 has_comm "$user_sleeper" wstest-sleeper || echo "# the user's sleeper did not start" >&2
start_dockerd "${NOBODY_LOW[@]}"
user_dockerd=$fake
check_eq "the user's dockerd runs as nobody, low limit, --default-ulimit" "65534 1024 yes" \
        "$(stat -c %u "/proc/$user_dockerd") $(soft_nofile "$user_dockerd") \
$(tr '\0' '\n' <"/proc/$user_dockerd/cmdline" | grep -qx -- --default-ulimit && echo yes)"

wstuned_start || exit 1

# a profile that would lock users out: refused, nothing written
check_rc "hard limit above fs.nr_open refused" 1 bus_send Apply string:lockout uint64:0
check_match "refusal names the values" "InvalidProfile.*hard limit 2000000 is above fs.nr_open \($(cat /proc/sys/fs/nr_open)\).*raise_nr_open" "$OUT"
check_eq "nothing written" "" "$(ls "$E/security" "$E/systemd" 2>/dev/null)"

check_rc "apply lim" 0 wstunectl apply lim
check_match "PAM row says what restarts" "90-wstuned.conf .*written: takes effect for new login sessions" "$OUT"
check_match "daemon.json row" "/etc/docker/daemon.json +present +nofile 4096:4096 +written" "$OUT"
check_match "containerd row: its own infinity is kept" \
        "containerd.service.d/90-wstuned.conf +\(none\) +\(none\) +skipped: containerd.service already has LimitNOFILE=infinity" "$OUT"
check_rc "no containerd drop-in" 1 test -e "$CONTAINERD_UNIT"

# the PAM drop-in, cross-checked with limits.conf(5): "<domain> <type> <item> <value>"
check_eq "PAM: four lines, soft and hard for * and root" "* soft nofile 4096
* hard nofile 4096
root soft nofile 4096
root hard nofile 4096" "$(grep -v '^#' "$PAM" | tr -s ' ')"
check_eq "PAM: every line is domain type item value" 0 \
        "$(grep -v '^#' "$PAM" | awk 'NF != 4 || $2 !~ /^(soft|hard|-)$/ || $3 != "nofile" || $4 !~ /^[0-9]+$/' | wc -l)"
check_match "systemd: DefaultLimitNOFILE" "^DefaultLimitNOFILE=4096:4096$" "$(cat "$SYSD")"
check_match "docker unit: LimitNOFILE" "^LimitNOFILE=4096:4096$" "$(cat "$DOCKER_UNIT")"
json=$(tr -d ' \n' <"$JSON")
check_match "daemon.json: log-driver kept" '"log-driver":"journald"' "$json"
check_match "daemon.json: nproc kept" '"nproc":\{"Name":"nproc","Hard":4096,"Soft":4096\}' "$json"
check_match "daemon.json: nofile added" '"nofile":\{"Name":"nofile","Hard":4096,"Soft":4096\}' "$json"
check_eq "daemon.json: mode kept" 600 "$(stat -c %a "$JSON")"
check_eq "journal: one entry per file written" 4 "$(sb_journal -o json MESSAGE_ID="$(id_of FILE_WRITTEN)" | grep -c .)"
skipped=$(sb_journal -o json MESSAGE_ID="$(id_of FILE_SKIPPED)" WSTUNED_KEY=/etc/systemd/system/containerd.service.d/90-wstuned.conf)
check_eq "journal: one entry for the drop-in left out" 1 "$(printf '%s\n' "$skipped" | grep -c .)"
check_match "journal: it names the unit's own limit" '"WSTUNED_ACTUAL":"infinity"' "$skipped"
check_match "journal: and the profile's" '"WSTUNED_EXPECTED":"4096:4096"' "$skipped"
check_match "journal: at INFO" '"PRIORITY":"6"' "$skipped"

# the running process keeps its old limit
check_rc "verify fails: a process needs a restart" 1 wstunectl verify
check_match "process row" "process wstest-sleeper\[$sleeper\].* +>=4096 +1024:1024 +restart-needed" "$OUT"
check_match "files hold" "/etc/security/limits.d/90-wstuned.conf +nofile 4096:4096 +nofile 4096:4096 +ok" "$OUT"
check_match "verify: the containerd drop-in left out holds" \
        "containerd.service.d/90-wstuned.conf +skipped: containerd.service already has LimitNOFILE=infinity +\(none\) +ok" "$OUT"
check_no_match "no row for the user's wstest-sleeper" "process wstest-sleeper\[$user_sleeper\]" "$OUT"
check_no_match "no row for the user's dockerd" "process dockerd" "$OUT"
kill "$sleeper"
wait "$sleeper" 2>/dev/null
old_sleeper=$sleeper
old_gone() { [ ! -e "/proc/$old_sleeper" ]; }
check_rc "the old process is gone" 0 within 3 old_gone
prlimit --nofile=8192:8192 "$SB/wstest-sleeper" 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
SB_PIDS+=("$sleeper")
check_rc "the restarted process runs" 0 within 3 is_sleeper
check_rc "verify holds after the restart (the user's processes do not count)" 0 wstunectl verify
check_match "restarted process ok" "process wstest-sleeper\[$sleeper\].* +>=4096 +8192:8192 +ok" "$OUT"
check_no_match "still no row for the user's processes" "process (wstest-sleeper\[$user_sleeper\]|dockerd)" "$OUT"
check_rc "the user's processes still run" 0 kill -0 "$user_sleeper" "$user_dockerd"

# someone deletes or edits a drop-in: written again (inotify), logged as a corrected drift
rm "$PAM"
check_rc "deleted PAM drop-in written again" 0 within 3 file_is "$PAM" "nofile 4096"
printf '[Manager]\nDefaultLimitNOFILE=1024\n' >"$SYSD"
check_rc "edited systemd drop-in written again" 0 within 3 file_is "$SYSD" "DefaultLimitNOFILE=4096:4096"
drift=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)")
check_match "drift entry for the deleted file" '"WSTUNED_KEY":"/etc/security/limits.d/90-wstuned.conf".*"WSTUNED_ACTUAL":"deleted"|"WSTUNED_ACTUAL":"deleted".*"WSTUNED_KEY":"/etc/security/limits.d/90-wstuned.conf"' "$drift"
check_match "drift entry for the edited file" '"WSTUNED_ACTUAL":"changed"' "$drift"
check_match "DriftCorrections counts them" "^t [2-9]" "$(bus_prop DriftCorrections)"

# revert: byte-identical originals, created drop-ins gone
check_rc "revert" 0 wstunectl revert
check_rc "daemon.json byte-identical to the original" 0 cmp "$SB/daemon.json.orig" "$JSON"
check_eq "daemon.json mode restored" 600 "$(stat -c %a "$JSON")"
check_eq "drop-ins removed" "" "$(find "$E/security" "$E/systemd" -type f 2>/dev/null)"

# policy warn: a deleted drop-in is reported once and left as it is
cat >"$E/wstuned/profiles/lim-warn.json" <<'JSON'
{ "limits": { "nofile": 4096, "layers": ["pam"], "policy": "warn" } }
JSON
check_rc "apply lim-warn" 0 wstunectl apply lim-warn
rm "$PAM"
sleep 0.6
check_rc "warn: the deleted drop-in is left deleted" 1 test -e "$PAM"
reported=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_REPORTED)" WSTUNED_KEY=/etc/security/limits.d/90-wstuned.conf)
check_eq "warn: reported once" 1 "$(printf '%s\n' "$reported" | grep -c .)"
check_match "warn: report says deleted" '"WSTUNED_ACTUAL":"deleted"' "$reported"
check_rc "warn: verify fails" 1 wstunectl verify
check_match "warn: verify says missing" "90-wstuned.conf .*missing" "$OUT"
check_rc "revert" 0 wstunectl revert

# an unparsable daemon.json is never written; the rest is
printf '{ "log-driver": }\n' >"$JSON"
cp "$JSON" "$SB/broken.orig"
check_rc "apply with a broken daemon.json exits 1" 1 wstunectl apply lim
check_match "the error gives the position" "/etc/docker/daemon.json .*error: /etc/docker/daemon.json:1:17: syntax error" "$OUT"
check_rc "broken daemon.json untouched" 0 cmp "$SB/broken.orig" "$JSON"
check_rc "PAM drop-in written anyway" 0 test -f "$PAM"
check_rc "verify fails on daemon.json" 1 wstunectl verify
check_match "daemon.json verdict" "/etc/docker/daemon.json .*drifted" "$OUT"
check_rc "revert" 0 wstunectl revert

# dockerd started with --default-ulimit would not start again with default-ulimits in daemon.json too: only
# root's dockerd in docker.service counts. Root's fake dockerd outside it (here: the root cgroup) does not.
stop_pid "$user_dockerd"
stop_pid "$user_sleeper"
rm -f "$JSON"
start_dockerd prlimit --nofile=1024:1024
check_eq "the fake dockerd runs as root, outside any unit" "0 1024" \
        "$(stat -c %u "/proc/$fake") $(soft_nofile "$fake")"
check_rc "apply with root's dockerd outside docker.service" 0 wstunectl apply lim
check_match "daemon.json written" "/etc/docker/daemon.json +\(none\) +nofile 4096:4096 +written" "$OUT"
check_rc "verify: root's dockerd outside docker.service is not dockerd's row" 0 wstunectl verify
check_no_match "no row for it" "process dockerd" "$OUT"
check_rc "revert" 0 wstunectl revert

# Now in a real cgroup named docker.service, under a slice of the test's own: on cgroup v2 (the whole
# hierarchy, or "unified" on a hybrid host), then on v1 name=systemd alone (a legacy host, where the v2
# line reads "0::/"). Both are removed at the end, whatever happens.
CG_DIRS=()
cg_cleanup() {
        local rc=$? i d pid
        for ((i = ${#CG_DIRS[@]} - 1; i >= 0; i--)); do
                d=${CG_DIRS[i]}
                [ -d "$d" ] || continue
                for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
                        echo "$pid" >"${d%%/wstuned-test-*}/cgroup.procs" 2>/dev/null # back to the hierarchy's root
                done
                rmdir "$d" 2>/dev/null || echo "# could not remove $d" >&2
        done
        return "$rc"
}
trap 'cg_cleanup; sandbox_stop' EXIT
cg_tag=wstuned-test-${SB##*.}
# cg_make HIERARCHY: create HIERARCHY/$cg_tag.slice/system.slice/docker.service, its path in $cg
cg_make() {
        local seg
        cg=$1
        for seg in "$cg_tag.slice" system.slice docker.service; do
                cg=$cg/$seg
                mkdir "$cg" 2>/dev/null || return 1
                CG_DIRS+=("$cg")
        done
}
cg_v2= cg_v1=
for h in /sys/fs/cgroup /sys/fs/cgroup/unified; do
        [ "$(stat -fc %T "$h" 2>/dev/null)" = cgroup2fs ] && cg_v2=$h && break
done
[ "$(stat -fc %T /sys/fs/cgroup/systemd 2>/dev/null)" = cgroupfs ] && cg_v1=/sys/fs/cgroup/systemd

# cg_check WHAT CGROUP-FILE-LINE: the fake dockerd in docker.service keeps daemon.json from being written
cg_check() {
        check_match "$1: /proc/PID/cgroup says so" "$2" "$(cat "/proc/$fake/cgroup")"
        check_rc "$1: apply exits 1" 1 wstunectl apply lim
        check_match "$1: daemon.json refused, naming the flag" \
                "/etc/docker/daemon.json .*error: dockerd \(pid $fake\) runs with --default-ulimit" "$OUT"
        check_rc "$1: daemon.json not created" 1 test -e "$JSON"
        check_rc "$1: verify fails" 1 wstunectl verify
        check_match "$1: its row says restart docker.service" \
                "process dockerd\[$fake\] docker.service +>=4096 +1024:1024 +restart-needed: docker.service" "$OUT"
        check_rc "$1: revert" 0 wstunectl revert
}
if [ -z "$cg_v2" ]; then
        echo "SKIP: dockerd in docker.service (cgroup v2): no cgroup2 file system at /sys/fs/cgroup(/unified)"
elif ! cg_make "$cg_v2"; then
        echo "SKIP: dockerd in docker.service (cgroup v2): cannot create a cgroup under $cg_v2"
else
        echo "$fake" >"$cg/cgroup.procs"
        cg_check "cgroup v2" "^0::/$cg_tag.slice/system.slice/docker.service$"
        echo "$fake" >"$cg_v2/cgroup.procs"
fi
if [ -z "$cg_v1" ]; then
        echo "SKIP: dockerd in docker.service (cgroup v1 name=systemd): no name=systemd hierarchy at /sys/fs/cgroup/systemd"
elif ! cg_make "$cg_v1"; then
        echo "SKIP: dockerd in docker.service (cgroup v1 name=systemd): cannot create a cgroup under $cg_v1"
elif [ -n "$cg_v2" ] && ! grep -qx '0::/' "/proc/$fake/cgroup"; then
        echo "SKIP: dockerd in docker.service (cgroup v1 name=systemd): the v2 line is not 0::/ here"
else
        echo "$fake" >"$cg/cgroup.procs"
        cg_check "cgroup v1" "^[0-9]+:name=systemd:/$cg_tag.slice/system.slice/docker.service$"
        echo "$fake" >"$cg_v1/cgroup.procs"
fi
stop_pid "$fake"
cg_cleanup
check_eq "the test's cgroups are removed" "" "$(ls -d /sys/fs/cgroup/*/"$cg_tag".slice /sys/fs/cgroup/"$cg_tag".slice 2>/dev/null)"

# docker.service is upgraded to a unit with LimitNOFILE=infinity after wstuned wrote its drop-in: Verify
# flags the drop-in that lowers it, the next Apply removes it
check_rc "apply lim (docker.service without a limit of its own)" 0 wstunectl apply lim
check_match "docker drop-in written" "^LimitNOFILE=4096:4096$" "$(cat "$DOCKER_UNIT")"
printf '[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd -H fd://\nLimitNOFILE=infinity\n' \
        >"$UNITS/docker.service"
check_rc "verify fails: the drop-in lowers docker.service's limit" 1 wstunectl verify
check_match "its row says so" \
        "docker.service.d/90-wstuned.conf +skipped: docker.service already has LimitNOFILE=infinity +nofile 4096:4096 +lowers: docker.service has LimitNOFILE=infinity" "$OUT"
check_rc "apply again" 0 wstunectl apply lim
check_match "the drop-in is removed, and the row says why" \
        "docker.service.d/90-wstuned.conf +wstuned's +\(none\) +skipped: docker.service already has LimitNOFILE=infinity; wstuned's file removed" "$OUT"
check_rc "no docker drop-in" 1 test -e "$DOCKER_UNIT"
removed=$(sb_journal -o json MESSAGE_ID="$(id_of FILE_SKIPPED)" WSTUNED_KEY=/etc/systemd/system/docker.service.d/90-wstuned.conf)
check_match "journal: the removal at NOTICE" '"PRIORITY":"5"' "$removed"
check_match "journal: the removal says so" "wstuned's file removed" "$removed"
check_rc "verify holds (the restarted sleeper has 8192)" 0 wstunectl verify
check_rc "revert" 0 wstunectl revert

# A host without Docker: no daemon.json, no drop-ins for units that are not there
rm -f "$UNITS/docker.service" "$UNITS/containerd.service" "$JSON"
check_rc "apply lim without Docker" 0 wstunectl apply lim
check_match "daemon.json row" "/etc/docker/daemon.json +\(none\) +\(none\) +skipped: Docker is not installed" "$OUT"
check_match "docker drop-in row" "docker.service.d/90-wstuned.conf +\(none\) +\(none\) +skipped: docker.service is not installed" "$OUT"
check_rc "no daemon.json created" 1 test -e "$JSON"
check_eq "no drop-in created for Docker" "" "$(find "$E/systemd/system" -type f 2>/dev/null)"
check_rc "verify holds" 0 wstunectl verify
check_match "verify row" "/etc/docker/daemon.json +skipped: Docker is not installed +\(none\) +ok" "$OUT"
check_rc "revert" 0 wstunectl revert

# Package removal: the prerm runs "wstuned --restore-files" once the daemon is stopped. The limit files go
# back as they were before wstuned (the drop-ins it created removed, the admin's daemon.json byte-identical,
# with its mode), each with a journal entry; the active profile stays for a reinstall; a second run has
# nothing to do and writes nothing.
printf '[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd -H fd://\n' >"$UNITS/docker.service"
cp -p "$SB/daemon.json.orig" "$JSON"
check_rc "apply lim with Docker and the admin's daemon.json" 0 wstunectl apply lim
check_rc "daemon.json merged" 0 file_is "$JSON" '"nofile"'
rc=0
wstuned_stop || rc=$?
check_eq "the daemon stops" 0 "$rc"
restored_before=$(sb_journal -o json MESSAGE_ID="$(id_of FILE_RESTORED)" | grep -c .)
restore_files() { "$WSTUNED_BUILD/daemon/wstuned" --root="$SB_ROOT" --restore-files; }
check_rc "wstuned --restore-files" 0 restore_files
check_eq "one line per file" "/etc/security/limits.d/90-wstuned.conf: restore
/etc/systemd/system.conf.d/90-wstuned.conf: restore
/etc/systemd/system/docker.service.d/90-wstuned.conf: restore
/etc/docker/daemon.json: restore" "$OUT"
check_rc "daemon.json byte-identical to the admin's" 0 cmp "$SB/daemon.json.orig" "$JSON"
check_eq "daemon.json mode kept" 600 "$(stat -c %a "$JSON")"
check_eq "the drop-ins wstuned created are gone" "" "$(find "$E/security" "$E/systemd" -type f 2>/dev/null)"
check_eq "journal: one restored entry per file" 4 \
        "$(($(sb_journal -o json MESSAGE_ID="$(id_of FILE_RESTORED)" | grep -c .) - restored_before))"
state=$(cat "$SB_ROOT/var/lib/wstuned/state.json")
check_match "state: the active profile stays" '"active_profile":[[:space:]]*"lim"' "$state"
check_no_match "state: no file baseline left" "90-wstuned.conf|daemon.json" "$state"
check_rc "a second run has nothing to do" 0 restore_files
check_eq "and says nothing" "" "$OUT"
check_eq "and writes nothing" "$state" "$(cat "$SB_ROOT/var/lib/wstuned/state.json")"
if wstuned_start; then pass "the daemon starts again"; else fail "the daemon starts again"; fi
check_rc "and applies lim again" 0 wstunectl verify

check_host_unchanged
test_finish
