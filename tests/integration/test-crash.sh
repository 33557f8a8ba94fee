#!/bin/bash
# test-crash.sh - crash safety on a temporary root (issue #8):
#   1. SIGKILL at random moments of Apply A, Apply B or Revert, CRASH_ITERATIONS times (default 200):
#      after each kill every limit file is byte-identical to one of its known versions (original, A's,
#      B's), state.json parses strictly and its baseline holds the true originals of everything that
#      differs from them, stray files are only the daemon's own temporary files; a restarted daemon
#      removes those and converges to the profile state.json names (or, after a killed Revert, to the
#      originals) at once.
#   2. A full disk (tmpfs with a size limit) under /etc: the sysctls are set, each limit file fails with
#      a journal entry naming it and ENOSPC, nothing partial, the old files intact, the daemon serving;
#      with room again an Apply converges. A full state directory refuses the Apply before any write.
#   3. Read-only directories: the file there fails naming EROFS, the others are written; Revert leaves
#      the baseline of a file it could not restore, and finishes once the directory is writable.
# The kill comes after a random delay from the call (busctl's start): from half the time a call takes to
# come back to a little more than a whole Apply or Revert, both measured first, the end then adjusted as
# the kills land; the summary shows how they spread over before / amid / after the writes (told by
# which keys and files changed).
# Its own PID namespace: test-limits.sh, run at the same time on this host by someone else, starts a
# fake dockerd with --default-ulimit, and wstuned rightly refuses to write daemon.json while it runs.
export SB_PID_NS=1
. "$(dirname "$0")/preamble.sh" "$0" "$@"
[ "$SB_JOURNAL" = 1 ] || skip_test "journald not started"
STATE_DUMP=$WSTUNED_BUILD/tests/state-dump
[ -x "$STATE_DUMP" ] || skip_test "tests/state-dump not built"
: "${CRASH_ITERATIONS:=200}"
: "${CRASH_SEED:=$((10#$(date +%N) % 32768))}"
RANDOM=$CRASH_SEED
echo "# seed $CRASH_SEED (CRASH_SEED=$CRASH_SEED repeats the same kill delays), $CRASH_ITERATIONS iterations"
shopt -s nullglob dotglob

E=$SB_ROOT/etc
STATE=$SB_ROOT/var/lib/wstuned/state.json
KEYS=(net/core/somaxconn net/ipv4/tcp_max_syn_backlog net/ipv4/ip_local_port_range net/ipv4/tcp_fin_timeout)
FILES=(/etc/security/limits.d/90-wstuned.conf /etc/systemd/system.conf.d/90-wstuned.conf
        /etc/systemd/system/docker.service.d/90-wstuned.conf
        /etc/systemd/system/containerd.service.d/90-wstuned.conf /etc/docker/daemon.json)
JSON=$E/docker/daemon.json
N_ITEMS=$((${#KEYS[@]} + ${#FILES[@]}))
# item numbers of the files (the keys come first)
I_PAM=${#KEYS[@]} I_SYSTEMD=$((${#KEYS[@]} + 1)) I_DOCKER=$((${#KEYS[@]} + 2)) I_CONTAINERD=$((${#KEYS[@]} + 3))
I_JSON=$((${#KEYS[@]} + 4))
ABSENT=$'\x01absent'
ORIG=- # the "profile" of the original values, as state-dump names no active profile

# A and B differ from each other and from the originals in every key and every file.
cat >"$E/wstuned/profiles/crash-a.json" <<'JSON'
{ "sysctl": { "net.core.somaxconn": 1111, "net.ipv4.tcp_max_syn_backlog": 2222,
              "net.ipv4.ip_local_port_range": "20000 40000", "net.ipv4.tcp_fin_timeout": 21 },
  "limits": { "nofile": 4096, "layers": ["pam", "systemd", "docker"] } }
JSON
cat >"$E/wstuned/profiles/crash-b.json" <<'JSON'
{ "sysctl": { "net.core.somaxconn": 3333, "net.ipv4.tcp_max_syn_backlog": 4444,
              "net.ipv4.ip_local_port_range": "30000 50000", "net.ipv4.tcp_fin_timeout": 33 },
  "limits": { "nofile": 8192, "layers": ["pam", "systemd", "docker"] } }
JSON
mkdir -p "$E/docker"
printf '{\n    "log-driver": "journald",\n    "default-ulimits": { "nproc": { "Name": "nproc", "Hard": 4096, "Soft": 4096 } }\n}\n' >"$JSON"
chmod 600 "$JSON"
# Docker is installed, its units without a LimitNOFILE= of their own: the docker layer writes all three files.
mkdir -p "$SB_ROOT/lib/systemd/system"
printf '[Service]\nExecStart=/usr/bin/dockerd\n' >"$SB_ROOT/lib/systemd/system/docker.service"
printf '[Service]\nExecStart=/usr/bin/containerd\n' >"$SB_ROOT/lib/systemd/system/containerd.service"

# --- reading the world: CUR[0..N_ITEMS-1] = the keys' values, then the files' contents
read_items() {
        local f v
        mapfile -t CUR < <(in_ns cat "${KEYS[@]/#//proc/sys/}")
        CUR=("${CUR[@]//$'\t'/ }") # ip_local_port_range: the baseline keeps "32768 60999"
        for f in "${FILES[@]}"; do
                if [ -e "$SB_ROOT$f" ]; then
                        v=
                        IFS= read -rd '' v <"$SB_ROOT$f" || true
                        CUR+=("$v")
                else
                        CUR+=("$ABSENT")
                fi
        done
}
item_name() { if [ "$1" -lt ${#KEYS[@]} ]; then echo "${KEYS[$1]}"; else echo "${FILES[$(($1 - ${#KEYS[@]}))]}"; fi; }
# VER[profile,i]: item i once profile is applied ($ORIG: before wstuned ever ran)
declare -A VER
remember_versions() { # PROFILE
        local i
        read_items
        for ((i = 0; i < N_ITEMS; i++)); do VER[$1,$i]=${CUR[$i]}; done
}
# Which known version item i has now: $ORIG, crash-a, crash-b or "?" (partial or unknown)
version_of() { # I
        local p
        for p in "$ORIG" crash-a crash-b; do
                [ "${CUR[$1]}" == "${VER[$p,$1]}" ] && { echo "$p"; return; }
        done
        echo "?"
}
# Whether every item equals PROFILE's version; sets MISMATCH to the first one that does not.
items_are() { # PROFILE
        local i
        MISMATCH=
        for ((i = 0; i < N_ITEMS; i++)); do
                [ "${CUR[$i]}" == "${VER[$1,$i]}" ] || { MISMATCH="$(item_name "$i") is $(version_of "$i")"; return 1; }
        done
}

# Stray entries next to the files wstuned writes: the daemon's own temporary files (".#NAME" and six
# characters of mkstemp) in TEMPS, anything else in STRAY.
scan_dirs() {
        local d p base f known
        TEMPS=() STRAY=()
        for d in "$E/security/limits.d" "$E/systemd/system.conf.d" "$E/systemd/system/docker.service.d" \
                "$E/systemd/system/containerd.service.d" "$E/docker" "$SB_ROOT/var/lib/wstuned"; do
                for p in "$d"/*; do
                        base=${p##*/}
                        known=0
                        for f in "${FILES[@]}" /var/lib/wstuned/state.json; do
                                [ "$SB_ROOT$f" = "$p" ] && known=1
                                [[ "$base" =~ ^\.#${f##*/}[A-Za-z0-9]{6}$ ]] && known=2
                        done
                        [ $known = 1 ] && continue
                        if [ $known = 2 ]; then TEMPS+=("${p#"$SB_ROOT"}"); else STRAY+=("${p#"$SB_ROOT"}"); fi
                done
        done
}

# GOLDEN: the lines of a complete baseline (state-dump format), taken after the first Apply.
declare -A GOLDEN
# Check state.json: parses strictly, names PROFILE-or-OTHER, every baseline entry is a true original,
# and everything that differs from its original has one (else Revert could not put it back). Sets
# STATE_ACTIVE and STATE_PROBLEM (empty when fine). Uses CUR.
check_state() { # ACTIVE_A ACTIVE_B
        local dump line i item
        STATE_PROBLEM='' STATE_ACTIVE=''
        if ! dump=$("$STATE_DUMP" "$STATE" 2>&1); then
                STATE_PROBLEM="state.json does not parse: $dump"
                return 1
        fi
        declare -A have=()
        while IFS= read -r line; do
                case $line in
                active\ *) STATE_ACTIVE=${line#active } ;;
                missing) STATE_ACTIVE=$ORIG ;;
                *)
                        if [ -z "${GOLDEN[$line]:-}" ]; then
                                STATE_PROBLEM="baseline entry is not the original: $line"
                                return 1
                        fi
                        item=${line#* }
                        have[${item%% *}]=1
                        ;;
                esac
        done <<<"$dump"
        if [ "$STATE_ACTIVE" != "$1" ] && [ "$STATE_ACTIVE" != "$2" ]; then
                STATE_PROBLEM="state.json names \"$STATE_ACTIVE\", expected \"$1\" or \"$2\""
                return 1
        fi
        for ((i = 0; i < N_ITEMS; i++)); do
                item=$(item_name "$i")
                if [ "${CUR[$i]}" != "${VER[$ORIG,$i]}" ] && [ -z "${have[$item]:-}" ]; then
                        STATE_PROBLEM="$item differs from its original but the baseline has no entry for it"
                        return 1
                fi
        done
}

# The daemon after a restart holds PROFILE: Verify ok (or State inactive), every item is PROFILE's,
# no temporary file left, nothing moved aside as unreadable. Sets CONVERGE_PROBLEM.
converged() { # PROFILE
        local out
        CONVERGE_PROBLEM=
        if [ "$1" = "$ORIG" ]; then
                out=$(bus_prop State 2>&1)
                [ "$out" = 's "inactive"' ] || { CONVERGE_PROBLEM="State is $out"; return 1; }
        else
                out=$(bus_call Verify 2>&1)
                if [[ "$out" != "ba(ssss) true "* ]]; then
                        # the why of a file not written (another test's fake dockerd on this host, …)
                        CONVERGE_PROBLEM="Verify: $out; last FILE_FAILED: $(sb_journal -o cat \
                                MESSAGE_ID="$(id_of FILE_FAILED)" | tail -n 1)"
                        return 1
                fi
        fi
        read_items
        items_are "$1" || { CONVERGE_PROBLEM="$MISMATCH"; return 1; }
        scan_dirs
        if [ ${#TEMPS[@]} != 0 ] || [ ${#STRAY[@]} != 0 ]; then
                CONVERGE_PROBLEM="left over: ${TEMPS[*]} ${STRAY[*]}"
                return 1
        fi
        [ ! -e "$STATE.broken" ] || { CONVERGE_PROBLEM="state.json was moved aside as unreadable"; return 1; }
        if [ "$1" = "$ORIG" ]; then
                out=$("$STATE_DUMP" "$STATE" 2>&1)
                [ "$out" = "active -" ] || { CONVERGE_PROBLEM="after the revert state.json still holds: $out"; return 1; }
        fi
}
wait_converged() { # PROFILE: within 3 s
        local deadline=$((SECONDS + 3))
        until converged "$1"; do
                [ $SECONDS -lt $deadline ] || return 1
                sleep 0.05
        done
}
call_for() { # TARGET: CALL becomes the bus call that leads there
        if [ "$1" = "$ORIG" ]; then CALL=(Revert); else CALL=(Apply st "$1" 0); fi
}
escape() { local s=${1//\\/\\\\}; s=${s//$'\n'/\\n}; printf '%s' "${s//$'\t'/\\t}"; }

# ---------------------------------------------------------------- the known versions
remember_versions "$ORIG"
check_eq "the drop-ins do not exist yet" "$ABSENT" "${VER[$ORIG,$I_PAM]}"
wstuned_start || exit 1
check_rc "apply crash-a" 0 wstunectl apply crash-a
remember_versions crash-a
while IFS= read -r line; do GOLDEN[$line]=1; done < <("$STATE_DUMP" "$STATE")
expected_golden=$(
        for ((i = 0; i < ${#KEYS[@]}; i++)); do printf 'sysctl %s %s\n' "${KEYS[$i]}" "${VER[$ORIG,$i]}"; done
        for ((i = 0; i < ${#FILES[@]} - 1; i++)); do printf 'file %s -\n' "${FILES[$i]}"; done
        printf 'file /etc/docker/daemon.json 600 %s\n' "$(escape "${VER[$ORIG,$I_JSON]}")"
)
check_eq "the first baseline holds exactly the originals" "$(sort <<<"$expected_golden")" \
        "$(printf '%s\n' "${!GOLDEN[@]}" | grep -v '^active ' | sort)"
for line in "${!GOLDEN[@]}"; do [[ "$line" == active\ * ]] && unset "GOLDEN[$line]"; done
check_rc "apply crash-b over crash-a" 0 wstunectl apply crash-b
remember_versions crash-b
check_match "daemon.json: the other keys kept" '"log-driver": "journald"' "${VER[crash-b,$I_JSON]}"
check_eq "daemon.json: mode kept" 600 "$(stat -c %a "$JSON")"
for ((i = 0; i < N_ITEMS; i++)); do
        name=$(item_name "$i")
        if [ "${VER[crash-a,$i]}" = "${VER[$ORIG,$i]}" ] || [ "${VER[crash-b,$i]}" = "${VER[$ORIG,$i]}" ] ||
                [ "${VER[crash-a,$i]}" = "${VER[crash-b,$i]}" ]; then
                fail "three distinct versions of $name"
        fi
done
check_rc "apply crash-a over crash-b" 0 wstunectl apply crash-a
read_items
check_rc "A over B gives the same files as A over the originals" 0 items_are crash-a
check_rc "revert" 0 wstunectl revert
read_items
check_rc "revert gives back the originals, byte for byte" 0 items_are "$ORIG"

# Calibration: how long a call takes to come back when the daemon does nothing (a property: busctl's
# start and the bus), and an Apply or Revert from the call to the reply. Kills come from halfway through
# the first to a little after the second, so few land before the daemon even has the call.
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
took=()
for _ in 1 2 3 4 5 6 7; do
        t0=${EPOCHREALTIME/./}
        bus_prop Version >/dev/null
        took+=($((${EPOCHREALTIME/./} - t0)))
done
CALL_USEC=$(median "${took[@]}")
took=()
for p in crash-b crash-a crash-b "$ORIG" crash-a crash-b "$ORIG"; do
        call_for "$p"
        t0=${EPOCHREALTIME/./}
        bus_call "${CALL[@]}" >/dev/null
        took+=($((${EPOCHREALTIME/./} - t0)))
done
APPLY_USEC=$(median "${took[@]}")
KILL_MIN_USEC=$((CALL_USEC / 2))
KILL_MAX_USEC=$((APPLY_USEC * 11 / 10))
[ $KILL_MAX_USEC -gt $KILL_MIN_USEC ] || KILL_MAX_USEC=$((KILL_MIN_USEC + 1000))
ms() { printf '%d.%d' $(($1 / 1000)) $(($1 / 100 % 10)); }
echo "# a call comes back in $(ms "$CALL_USEC") ms, an Apply or Revert in $(ms "$APPLY_USEC") ms (medians);" \
        "kills come $(ms "$KILL_MIN_USEC")-$(ms "$KILL_MAX_USEC") ms after the call"
check_rc "revert before the loop" 0 bus_call Revert

# ---------------------------------------------------------------- 1. SIGKILL at random moments
declare -A FAILURES=() FIRST=() CLASS=() DELAYS=()
failures=0
note_failure() { # CHECK DETAIL
        FAILURES[$1]=$((${FAILURES[$1]:-0} + 1))
        [ -n "${FIRST[$1]:-}" ] || FIRST[$1]="iteration $it ($current -> $target, kill after $delay µs): $2"
        failures=$((failures + 1))
}
exec {SLEEP_FD}<> <(:)
current=$ORIG
temps_seen=0
loop_start=$SECONDS
for ((it = 1; it <= CRASH_ITERATIONS && failures < 10; it++)); do
        # the next target differs from the current state; Revert about a third of the time
        case $current in
        "$ORIG") targets=(crash-a crash-b) ;;
        crash-a) targets=(crash-b "$ORIG") ;;
        *) targets=(crash-a "$ORIG") ;;
        esac
        target=${targets[$((RANDOM % 2))]}
        delay=$((KILL_MIN_USEC + RANDOM * (KILL_MAX_USEC - KILL_MIN_USEC) / 32768))

        call_for "$target"
        printf -v seconds '%d.%06d' $((delay / 1000000)) $((delay % 1000000))
        busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "${CALL[@]}" \
                >/dev/null 2>&1 &
        caller=$!
        read -r -t "$seconds" -u "$SLEEP_FD" _ || true
        kill -KILL "$WSTUNED_PID"
        wait "$WSTUNED_PID" 2>/dev/null
        wait "$caller" 2>/dev/null
        WSTUNED_PID=

        # what the kill left behind
        read_items
        changed=0 unknown=
        for ((i = 0; i < N_ITEMS; i++)); do
                v=$(version_of "$i")
                if [ "$v" = "?" ]; then unknown+=" $(item_name "$i")"
                elif [ "$v" = "$target" ]; then changed=$((changed + 1))
                elif [ "$v" != "$current" ]; then unknown+=" $(item_name "$i")(=$v)"
                fi
        done
        [ -z "$unknown" ] || note_failure "every item is the old or the new version" "not:$unknown"
        [ "${CUR[$I_JSON]}" = "$ABSENT" ] || [ "$(stat -c %a "$JSON")" = 600 ] ||
                note_failure "daemon.json keeps its mode" "$(stat -c %a "$JSON")"
        scan_dirs
        [ ${#STRAY[@]} = 0 ] || note_failure "no stray files" "${STRAY[*]}"
        [ ${#TEMPS[@]} = 0 ] || temps_seen=$((temps_seen + 1))
        check_state "$current" "$target" || note_failure "state.json parses and its baseline is intact" "$STATE_PROBLEM"
        if [ $changed = 0 ] && [ "$STATE_ACTIVE" = "$current" ]; then class=before
        elif [ $changed = 0 ]; then class=saved
        elif [ $changed = "$N_ITEMS" ]; then class=after
        else class=during
        fi
        CLASS[$class]=$((${CLASS[$class]:-0} + 1))
        DELAYS[$class]+=" $delay"
        # Keep the window on the writes as the machine's load changes: a kill after the last write
        # shortens it by 5 %, one before the daemon changed anything lengthens it by 5 %, so as many land
        # after the writes as before them.
        case $class in
        after) KILL_MAX_USEC=$((KILL_MAX_USEC * 95 / 100)) ;;
        before) KILL_MAX_USEC=$((KILL_MAX_USEC * 105 / 100)) ;;
        esac
        [ $KILL_MAX_USEC -gt $((KILL_MIN_USEC + 1000)) ] || KILL_MAX_USEC=$((KILL_MIN_USEC + 1000))

        # a restarted daemon converges to what state.json names
        expect=${STATE_ACTIVE:-$current}
        if ! wstuned_start >/dev/null 2>&1; then
                note_failure "the daemon starts again" "$(tail -n 3 "$SB/wstuned.log")"
                break
        fi
        wait_converged "$expect" || note_failure "a restarted daemon converges" "to $expect: $CONVERGE_PROBLEM"
        current=$expect
done
iterations=$((it - 1))
echo "# $iterations kills in $((SECONDS - loop_start)) s, the window at the end $(ms "$KILL_MIN_USEC")-$(ms "$KILL_MAX_USEC") ms;" \
        "$temps_seen left a temporary file (removed by the restart). Kills:"
for class in before saved during after; do
        case $class in
        before) what="before the daemon changed anything" ;;
        saved) what="state.json saved, nothing else written yet" ;;
        during) what="amid the writes (some keys or files changed)" ;;
        after) what="after the last write" ;;
        esac
        n=${CLASS[$class]:-0}
        when=
        # shellcheck disable=SC2086 # a list of numbers
        [ "$n" = 0 ] || when=" (median $(ms "$(median ${DELAYS[$class]})") ms after the call)"
        printf '#   %-46s %3d%s\n' "$what" "$n" "$when"
done
check_eq "all $CRASH_ITERATIONS iterations ran" "$CRASH_ITERATIONS" "$iterations"
for check in "every item is the old or the new version" "daemon.json keeps its mode" "no stray files" \
        "state.json parses and its baseline is intact" "the daemon starts again" "a restarted daemon converges"; do
        if [ -z "${FAILURES[$check]:-}" ]; then pass "$check ($iterations kills)"
        else fail "$check (failed ${FAILURES[$check]} times)" "${FIRST[$check]}"
        fi
done
check_rc "at least 5% of the kills amid the writes" 0 test "${CLASS[during]:-0}" -ge $((iterations / 20))
check_rc "back to the originals" 0 bus_call Revert
check_rc "originals after the loop" 0 wait_converged "$ORIG"

# ---------------------------------------------------------------- 2. a full disk
failed_entry() { # PATH ERRNO TEXT: the journal has a FILE_FAILED entry for PATH with ERRNO and TEXT
        sb_journal -o json MESSAGE_ID="$(id_of FILE_FAILED)" WSTUNED_KEY="$1" ERRNO="$2" | grep -q "$3"
}
fill() { # FILE: take every free page of its file system
        dd if=/dev/zero of="$1" bs=4k status=none 2>/dev/null || true
        [ "$(df --output=avail "$(dirname "$1")" | tail -n 1 | tr -d ' ')" = 0 ]
}
# /etc on a small tmpfs, filled to the last page; the state directory stays on the big disk
wstuned_stop
cp -a "$E" "$SB/etc.saved"
mount -t tmpfs -o size=256k,mode=755 tmpfs "$E"
cp -a "$SB/etc.saved/." "$E/"
check_rc "/etc filled up" 0 fill "$E/filler"
wstuned_start || exit 1
check_rc "apply with /etc full exits 1" 1 wstunectl apply crash-a
rows=$OUT
for f in "${FILES[@]}"; do
        check_match "row: $f not written, ENOSPC" "$f +.*error: No space left on device" "$rows"
        check_rc "journal: $f not written, ERRNO=28" 0 failed_entry "$f" 28 "\"MESSAGE\":\"$f not written: No space left on device\""
done
read_items
check_eq "the sysctls are set all the same" "${VER[crash-a,0]}|${VER[crash-a,1]}|${VER[crash-a,2]}|${VER[crash-a,3]}" \
        "${CUR[0]}|${CUR[1]}|${CUR[2]}|${CUR[3]}"
check_eq "the drop-ins were not created" "$ABSENT $ABSENT $ABSENT $ABSENT" \
        "${CUR[$I_PAM]} ${CUR[$I_SYSTEMD]} ${CUR[$I_DOCKER]} ${CUR[$I_CONTAINERD]}"
check_rc "daemon.json intact" 0 test "${CUR[$I_JSON]}" == "${VER[$ORIG,$I_JSON]}"
check_eq "daemon.json mode intact" 600 "$(stat -c %a "$JSON")"
scan_dirs
check_eq "no temporary or partial files" "" "${TEMPS[*]}${STRAY[*]}"
check_rc "state.json consistent" 0 check_state crash-a crash-a
check_rc "the daemon still serves: Verify answers, and fails" 1 wstunectl verify
check_match "Verify: the PAM drop-in is missing" "/etc/security/limits.d/90-wstuned.conf .*missing" "$OUT"
rm "$E/filler"
check_rc "room again: reload" 0 wstunectl reload
check_rc "converged to crash-a" 0 wait_converged crash-a
check_rc "revert" 0 wstunectl revert
wstuned_stop
umount "$E"
rm -rf "$SB/etc.saved"

# a full state directory: the Apply is refused before any write, as the baseline could not be saved
wstuned_start || exit 1
check_rc "apply crash-a" 0 wstunectl apply crash-a
D=$SB_ROOT/var/lib/wstuned
cp -a "$STATE" "$SB/state.saved"
mount -t tmpfs -o size=64k,mode=755 tmpfs "$D"
cp -a "$SB/state.saved" "$STATE"
check_rc "state directory filled up" 0 fill "$D/filler"
check_rc "apply crash-b with the state directory full fails" 1 bus_send Apply string:crash-b uint64:0
check_match "the error names state.json and ENOSPC" "cannot save .*/var/lib/wstuned/state.json: No space left on device" "$OUT"
read_items
check_rc "nothing written: every key and file still crash-a's" 0 items_are crash-a
check_rc "state.json intact" 0 cmp "$SB/state.saved" "$STATE"
names=("$D"/*)
check_eq "no temporary file in the state directory" "$D/filler $D/state.json" "${names[*]}"
check_eq "ActiveProfile still crash-a" 's "crash-a"' "$(bus_prop ActiveProfile)"
check_rc "Verify still ok" 0 wstunectl verify
rm "$D/filler"
check_rc "room again: apply crash-b" 0 wstunectl apply crash-b
check_rc "converged to crash-b" 0 wait_converged crash-b
wstuned_stop
cp -a "$STATE" "$SB/state.saved"
umount "$D"
cp -a "$SB/state.saved" "$STATE"
wstuned_start || exit 1
check_rc "after a restart still crash-b" 0 wait_converged crash-b
check_rc "revert" 0 wstunectl revert

# ---------------------------------------------------------------- 3. read-only directories
read_only() { mkdir -p "$1" && mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"; }
read_only "$E/systemd/system.conf.d"
check_rc "apply crash-a with system.conf.d read-only exits 1" 1 wstunectl apply crash-a
check_match "row: the systemd drop-in, EROFS" "/etc/systemd/system.conf.d/90-wstuned.conf +.*error: Read-only file system" "$OUT"
check_rc "journal: the systemd drop-in not written, ERRNO=30" 0 failed_entry /etc/systemd/system.conf.d/90-wstuned.conf 30 \
        '"MESSAGE":"/etc/systemd/system.conf.d/90-wstuned.conf not written: Read-only file system"'
read_items
check_eq "the other files written" \
        "${VER[crash-a,$I_PAM]}|${VER[crash-a,$I_DOCKER]}|${VER[crash-a,$I_CONTAINERD]}|${VER[crash-a,$I_JSON]}" \
        "${CUR[$I_PAM]}|${CUR[$I_DOCKER]}|${CUR[$I_CONTAINERD]}|${CUR[$I_JSON]}"
check_eq "the systemd drop-in not there" "$ABSENT" "${CUR[$I_SYSTEMD]}"
scan_dirs
check_eq "no temporary or partial files" "" "${TEMPS[*]}${STRAY[*]}"
check_rc "state.json consistent" 0 check_state crash-a crash-a
check_rc "Verify fails" 1 wstunectl verify
check_match "Verify: the systemd drop-in is missing" "/etc/systemd/system.conf.d/90-wstuned.conf .*missing" "$OUT"

read_only "$E/docker"
check_rc "apply crash-b with /etc/docker read-only too exits 1" 1 wstunectl apply crash-b
check_match "row: daemon.json, EROFS" "/etc/docker/daemon.json +.*error: Read-only file system" "$OUT"
read_items
check_rc "daemon.json keeps crash-a's version" 0 test "${CUR[$I_JSON]}" == "${VER[crash-a,$I_JSON]}"
check_eq "the drop-ins written" "${VER[crash-b,$I_PAM]}|${VER[crash-b,$I_DOCKER]}|${VER[crash-b,$I_CONTAINERD]}" \
        "${CUR[$I_PAM]}|${CUR[$I_DOCKER]}|${CUR[$I_CONTAINERD]}"
check_rc "state.json consistent" 0 check_state crash-b crash-b

check_rc "revert with /etc/docker read-only exits 1" 1 wstunectl revert
check_rc "journal: daemon.json not restored, ERRNO=30" 0 failed_entry /etc/docker/daemon.json 30 \
        '"MESSAGE":"/etc/docker/daemon.json not restored: Read-only file system"'
read_items
expected=
for ((i = 0; i < I_JSON; i++)); do expected+="${VER[$ORIG,$i]}|"; done
check_eq "the rest restored" "$expected" "$(printf '%s|' "${CUR[@]:0:$I_JSON}")"
check_eq "the baseline keeps the original of daemon.json, and only that" \
        "active -
file /etc/docker/daemon.json 600 $(escape "${VER[$ORIG,$I_JSON]}")" "$("$STATE_DUMP" "$STATE")"
umount "$E/docker" "$E/systemd/system.conf.d"
wstuned_stop
wstuned_start || exit 1
check_rc "a restart finishes the revert" 0 wait_converged "$ORIG"
check_match "and says so" "Finishing an interrupted revert: 1 of its keys and files" "$(sb_journal -o cat SYSLOG_IDENTIFIER=wstuned)"
check_rc "apply crash-a" 0 wstunectl apply crash-a
check_rc "converged to crash-a" 0 wait_converged crash-a
check_rc "revert" 0 wstunectl revert
check_rc "originals at the end" 0 wait_converged "$ORIG"

check_host_unchanged
test_finish
