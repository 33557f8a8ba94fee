#!/bin/bash
# test-limits.sh - file-descriptor limits on a temporary root: the PAM, systemd and Docker files written
# (daemon.json merged, its other keys kept), a real process started with a low limit (prlimit) reported
# "restart-needed", a deleted or edited drop-in repaired by the inotify watch, Revert restoring
# byte-identical originals, an unparsable daemon.json left alone, a profile that would lock users out
# refused with nothing written.
. "$(dirname "$0")/preamble.sh" "$0" "$@"
command -v prlimit >/dev/null || skip_test "prlimit (util-linux) not installed"

E=$SB_ROOT/etc
PAM=$E/security/limits.d/90-wstuned.conf
SYSD=$E/systemd/system.conf.d/90-wstuned.conf
DOCKER_UNIT=$E/systemd/system/docker.service.d/90-wstuned.conf
JSON=$E/docker/daemon.json
id_of() { sed -n "s/^#define WSTUNED_MESSAGE_$1 \"\([0-9a-f]*\)\"/\1/p" "$WSTUNED_SOURCE/daemon/journal.h"; }
file_is() { [ -f "$1" ] && grep -q "$2" "$1"; }
wait_until() { # SECONDS CMD...
        local deadline=$((SECONDS + $1))
        shift
        until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}

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

# a process that will need a restart: started with a soft limit below the profile's
cp "$(command -v sleep)" "$SB/wstest-sleeper"
prlimit --nofile=1024:1024 "$SB/wstest-sleeper" 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
SB_PIDS+=("$sleeper")
# $! is prlimit until it execs the sleeper: go on once the process has its name
is_sleeper() { [ "$(cat "/proc/$sleeper/comm" 2>/dev/null)" = wstest-sleeper ]; }
wait_until 3 is_sleeper || echo "# the sleeper did not start" >&2

wstuned_start || exit 1

# a profile that would lock users out: refused, nothing written
check_rc "hard limit above fs.nr_open refused" 1 bus_send Apply string:lockout uint64:0
check_match "refusal names the values" "InvalidProfile.*hard limit 2000000 is above fs.nr_open \($(cat /proc/sys/fs/nr_open)\).*raise_nr_open" "$OUT"
check_eq "nothing written" "" "$(ls "$E/security" "$E/systemd" 2>/dev/null)"

check_rc "apply lim" 0 wstunectl apply lim
check_match "PAM row says what restarts" "90-wstuned.conf .*written: takes effect for new login sessions" "$OUT"
check_match "daemon.json row" "/etc/docker/daemon.json +present +nofile 4096:4096 +written" "$OUT"

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
check_eq "journal: one entry per file written" 5 "$(sb_journal -o json MESSAGE_ID="$(id_of FILE_WRITTEN)" | grep -c .)"

# the running process keeps its old limit
check_rc "verify fails: a process needs a restart" 1 wstunectl verify
check_match "process row" "process wstest-sleeper\[$sleeper\].* +>=4096 +1024:1024 +restart-needed" "$OUT"
check_match "files hold" "/etc/security/limits.d/90-wstuned.conf +nofile 4096:4096 +nofile 4096:4096 +ok" "$OUT"
kill "$sleeper"
wait "$sleeper" 2>/dev/null
old_sleeper=$sleeper
old_gone() { [ ! -e "/proc/$old_sleeper" ]; }
check_rc "the old process is gone" 0 wait_until 3 old_gone
prlimit --nofile=8192:8192 "$SB/wstest-sleeper" 300 </dev/null >/dev/null 2>&1 &
sleeper=$!
SB_PIDS+=("$sleeper")
check_rc "the restarted process runs" 0 wait_until 3 is_sleeper
check_rc "verify holds after the restart" 0 wstunectl verify
check_match "restarted process ok" "process wstest-sleeper\[$sleeper\].* +>=4096 +8192:8192 +ok" "$OUT"

# someone deletes or edits a drop-in: written again (inotify), logged as a corrected drift
rm "$PAM"
check_rc "deleted PAM drop-in written again" 0 wait_until 3 file_is "$PAM" "nofile 4096"
printf '[Manager]\nDefaultLimitNOFILE=1024\n' >"$SYSD"
check_rc "edited systemd drop-in written again" 0 wait_until 3 file_is "$SYSD" "DefaultLimitNOFILE=4096:4096"
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

# dockerd started with --default-ulimit would not start again with default-ulimits in daemon.json too
rm -f "$JSON"
cp "$(command -v dash || command -v sh)" "$SB/dockerd"
"$SB/dockerd" -c 'sleep 300; :' --default-ulimit nofile=1024:2048 </dev/null >/dev/null 2>&1 &
fake_dockerd=$!
sleep 0.2
check_rc "apply with dockerd --default-ulimit running exits 1" 1 wstunectl apply lim
check_match "daemon.json refused, naming the flag" "/etc/docker/daemon.json .*error: dockerd \(pid [0-9]+\) runs with --default-ulimit" "$OUT"
check_rc "daemon.json not created" 1 test -e "$JSON"
pkill -P "$fake_dockerd" sleep
wait "$fake_dockerd" 2>/dev/null
check_rc "revert" 0 wstunectl revert

check_host_unchanged
test_finish
