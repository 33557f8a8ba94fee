# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 85-upgrade.sh - an upgrade with ws-server active and the daemon running, by the README's upgrade
# commands as written. The previous build is installed first (a downgrade with dpkg -i, which works
# as both read the same state format): by default this tree built as "<version>~prev", which dpkg
# sorts just below <version>; WSTUNED_UPGRADE_FROM=REV builds the package of git revision REV
# instead, with that revision's own tools/build-deb.sh. Then, while a sampler in the container reads
# the three ws-server keys the container can write every 10 ms, "apt install ./dist/wstuned_*.deb"
# installs the tested package. Checked: every sample holds the profile's values (the number of
# samples and each key's min/max are printed), samples were taken while no daemon ran (between
# systemd's "Stopping" and "Started"), the daemon was restarted once (new MainPID, clean exit,
# Version property now the package's version), it wrote nothing, the active profile and state.json
# (baseline included) are the same, wstunectl verify.
# Then an older wstuned meeting a newer state file: state.json rewritten as version 2 and wstuned
# restarted: it runs, applies nothing, reverts nothing, keeps the file byte for byte, refuses apply with
# the message, logs the STATE_NEWER entry with its catalog text; the version-1 file put back, all is as
# before. Leaves the tested package installed, wstuned active, ws-server applied.
local -a lines
local new_version prev_version prev_deb installed pid_before pid_after state_before state_after
local version_before version_after sampler_pid samples t_upgrade stopping started n bad in_window line
local stop=/var/tmp/upgrade-sampler.stop out=/var/tmp/upgrade-samples
local expected="16384 16384 1" # ws-server: somaxconn, tcp_max_syn_backlog (at-least, as 20 set them), tcp_syncookies

# shellcheck disable=SC2016 # expanded by the container's shell
ct_keys() { ct_sh 'echo $(cat /proc/sys/net/core/somaxconn /proc/sys/net/ipv4/tcp_max_syn_backlog /proc/sys/net/ipv4/tcp_syncookies)'; }

mapfile -t lines < <(readme_block upgrade)
check_eq "README upgrade block: build, install, status" \
        "tools/build-deb.sh|apt install ./dist/wstuned_*.deb|wstunectl status" "$(IFS='|'; echo "${lines[*]}")"

new_version=$(dpkg-deb -f "$DEB" Version)
check_eq "installed: the tested package" "$new_version" "$(ct dpkg-query -W -f='${Version}' wstuned 2>&1)"
check_eq "Version property: the package's version" "s \"$new_version\"" "$(ct_bus_prop Version 2>&1)"

# ---- the previous build, installed with the profile active
rm -rf "$WORK/prev" "$WORK/prev-src"
if [ -n "${WSTUNED_UPGRADE_FROM:-}" ]; then
        local rev
        if rev=$(git -C "$WSTUNED_SOURCE" rev-parse --verify -q "$WSTUNED_UPGRADE_FROM^{commit}") &&
                git clone -q --shared --no-checkout "$WSTUNED_SOURCE" "$WORK/prev-src" &&
                git -C "$WORK/prev-src" checkout -q --detach "$rev" &&
                (cd "$WORK/prev-src" && tools/build-deb.sh) >"$WORK/prev-build.log" 2>&1; then
                pass "previous package: $WSTUNED_UPGRADE_FROM ($rev) built"
        else
                fail "previous package: $WSTUNED_UPGRADE_FROM built" "$(tail -n 20 "$WORK/prev-build.log" 2>/dev/null)"
        fi
        prev_deb=$(ls "$WORK"/prev-src/dist/wstuned_*.deb 2>/dev/null | head -n 1)
else
        if (cd "$WSTUNED_SOURCE" && tools/build-deb.sh --version="$new_version~prev" --out="$WORK/prev") \
                >"$WORK/prev-build.log" 2>&1; then
                pass "previous package: this tree as $new_version~prev built"
        else
                fail "previous package: this tree as $new_version~prev built" "$(tail -n 20 "$WORK/prev-build.log")"
        fi
        prev_deb=$(ls "$WORK"/prev/wstuned_*.deb 2>/dev/null | head -n 1)
fi
[ -f "$prev_deb" ] || { fail "previous package: a .deb" "none"; return; }
prev_version=$(dpkg-deb -f "$prev_deb" Version)
check_rc "dpkg sorts $prev_version before $new_version" 0 dpkg --compare-versions "$prev_version" lt "$new_version"
mkdir -p "$ROOT/var/tmp/prev"
rm -f "$ROOT"/var/tmp/prev/*.deb
cp "$prev_deb" "$ROOT/var/tmp/prev/"
check_rc "dpkg -i the previous package (a downgrade)" 0 ct dpkg -i "/var/tmp/prev/${prev_deb##*/}"
check_eq "installed: the previous package" "$prev_version" "$(ct dpkg-query -W -f='${Version}' wstuned 2>&1)"
check_eq "previous: active" active "$(ct systemctl is-active wstuned 2>&1)"
check_eq "previous: Version property" "s \"$prev_version\"" "$(ct_bus_prop Version 2>&1)"
check_eq "previous: ws-server active" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"
check_rc "previous: wstunectl verify" "$SERVER_RC" ct wstunectl verify
check_eq "previous: somaxconn, tcp_max_syn_backlog, tcp_syncookies" "$expected" "$(ct_keys)"

pid_before=$(ct_unit_prop wstuned MainPID)
version_before=$(ct_bus_prop Version 2>&1)
state_before=$(ct cat /var/lib/wstuned/state.json)
check_match "state.json: version 1, ws-server, a baseline" \
        '"version": *1,.*"active_profile": *"ws-server",.*"net/core/somaxconn": *"[0-9]+"' "$(printf '%s' "$state_before" | tr -d '\n\t')"

# ---- the sampler: one line "EPOCHREALTIME somaxconn backlog syncookies" every 10 ms; it waits with a
# read timeout on a FIFO nobody writes to, so the loop forks nothing
ct rm -f "$stop" "$out" /var/tmp/upgrade-sampler.fifo
CT_TIMEOUT=600 ct bash -c '
        mkfifo /var/tmp/upgrade-sampler.fifo && exec 3<>/var/tmp/upgrade-sampler.fifo || exit 1
        while [ ! -e '"$stop"' ]; do
                read -r a </proc/sys/net/core/somaxconn
                read -r b </proc/sys/net/ipv4/tcp_max_syn_backlog
                read -r c </proc/sys/net/ipv4/tcp_syncookies
                printf "%s %s %s %s\n" "$EPOCHREALTIME" "$a" "$b" "$c"
                read -r -t 0.01 -u 3 _
        done >'"$out"'
' </dev/null >/dev/null 2>&1 &
sampler_pid=$!
sampler_lines() { [ "$(wc -l <"$ROOT$out" 2>/dev/null || echo 0)" -ge "$1" ]; }
wait_until 10 sampler_lines 20 || fail "sampler started" "$(cat "$ROOT$out" 2>/dev/null | head -n 3)"

# ---- the upgrade: the README's commands after the build, in /var/tmp where dist/ holds the package
t_upgrade=$(date +%s.%6N)
for line in "${lines[@]:1}"; do
        check_rc "README: $line" 0 ct_sh "cd /var/tmp && $line"
        [ "$line" = "wstunectl status" ] && check_match "wstunectl status shows the new version" \
                "^ +Version: ${new_version//+/\\+}\$" "$OUT"
done
sleep 0.5 # samples after the restart too
local start_lines
start_lines=$(wc -l <"$ROOT$out")
wait_until 10 sampler_lines $((start_lines + 20)) || true
touch "$ROOT$stop"
wait "$sampler_pid" 2>/dev/null
ct rm -f "$stop" /var/tmp/upgrade-sampler.fifo

# ---- the samples
samples=$(cat "$ROOT$out")
n=$(printf '%s\n' "$samples" | grep -c .)
bad=$(printf '%s\n' "$samples" | awk -v want="$expected" '$2 " " $3 " " $4 != want' | head -n 5)
check_eq "every sample holds ws-server's values ($n samples through the upgrade)" "" "$bad"
printf '%s\n' "$samples" | awk '
        NR == 1 { first = $1 }
        { for (k = 2; k <= 4; k++) { if (NR == 1 || $k < lo[k]) lo[k] = $k; if (NR == 1 || $k > hi[k]) hi[k] = $k }
          if (NR > 1 && $1 - prev > gap) gap = $1 - prev; prev = $1 }
        END { printf "# %d samples over %.2f s, largest gap %.0f ms; min/max: somaxconn %s/%s, tcp_max_syn_backlog %s/%s, tcp_syncookies %s/%s\n",
                NR, prev - first, gap * 1000, lo[2], hi[2], lo[3], hi[3], lo[4], hi[4] }'
# While no daemon runs: from systemd's "Stopping" (SIGTERM to the old one) to "Started" (READY=1 of the new one).
stopping=$(ct_journal -q -o short-unix --since "@$t_upgrade" UNIT=wstuned.service MESSAGE_ID=de5b426a63be47a7b6ac3eaac82e2f6f | awk 'NR == 1 { print $1 }')
started=$(ct_journal -q -o short-unix --since "@$t_upgrade" UNIT=wstuned.service MESSAGE_ID=39f53479d3a045ac8e11786248231fbf | awk 'NR == 1 { print $1 }')
if [[ $stopping =~ ^[0-9]+\.[0-9]+$ && $started =~ ^[0-9]+\.[0-9]+$ ]]; then
        in_window=$(printf '%s\n' "$samples" | awk -v a="$stopping" -v b="$started" '$1 >= a && $1 <= b' | grep -c .)
        echo "# restart window $(awk -v a="$stopping" -v b="$started" 'BEGIN { printf "%.0f", (b - a) * 1000 }') ms, $in_window samples in it"
        check_rc "samples taken while no daemon ran ($in_window)" 0 test "$in_window" -ge 1
else
        fail "systemd restarted wstuned during the upgrade (Stopping, Started)" "$(ct_journal -u wstuned -n 20 2>&1)"
fi

# ---- the daemon after the upgrade
installed=$(ct dpkg-query -W -f='${Version}' wstuned 2>&1)
check_eq "installed: the tested package again" "$new_version" "$installed"
check_eq "active" active "$(ct systemctl is-active wstuned 2>&1)"
pid_after=$(ct_unit_prop wstuned MainPID)
check_rc "restarted: new MainPID ($pid_before -> $pid_after)" 0 test "$pid_after" != "$pid_before" -a "$pid_after" != 0
version_after=$(ct_bus_prop Version 2>&1)
check_rc "Version property changed ($version_before -> $version_after)" 0 test "$version_before" != "$version_after"
check_eq "Version property: the new package's" "s \"$new_version\"" "$version_after"
check_match "the old daemon stopped cleanly on SIGTERM" 'wstuned\.service: Deactivated successfully' \
        "$(ct_journal -q -u wstuned --since "@$t_upgrade" 2>&1)"
check_match "journal: the new daemon ready with ws-server" "wstuned ${new_version//+/\\+} ready: profile ws-server" \
        "$(ct_journal -q -u wstuned --since "@$t_upgrade" 2>&1)"
check_eq "the new daemon changed no key (they were set already)" "" \
        "$(ct_journal -q -u wstuned -o cat --since "@$t_upgrade" MESSAGE_ID="$(journal_id KEY_CHANGED)" 2>&1)"
check_eq "ws-server still active" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"
state_after=$(ct cat /var/lib/wstuned/state.json)
check_eq "state.json (active profile, baseline) unchanged" "$state_before" "$state_after"
check_rc "wstunectl verify" "$SERVER_RC" ct wstunectl verify

# ---- an older wstuned and a newer state file
local newer_state status
newer_state=$(printf '%s\n' "$state_after" | sed 's/"version":[[:space:]]*1,/"version":\t2,/')
check_match "a state.json as a newer wstuned would write" '"version":.2,' "$newer_state"
printf '%s\n' "$newer_state" >"$ROOT/var/tmp/state.newer"
# stopped first: the running wstuned would put a changed value back
check_rc "newer state: systemctl stop wstuned" 0 ct systemctl stop wstuned
ct cp /var/tmp/state.newer /var/lib/wstuned/state.json
ct sysctl -qw net.ipv4.tcp_syncookies=2 # what the newer wstuned set
t_upgrade=$(date +%s.%6N)
check_rc "newer state: systemctl start wstuned" 0 ct systemctl start wstuned
check_eq "newer state: wstuned runs" active "$(ct systemctl is-active wstuned 2>&1)"
status=$(ct_unit_prop wstuned StatusText)
check_eq "newer state: systemctl status says why" \
        "Nothing applied: the state file was written by a newer wstuned (downgrade refused)" "$status"
check_eq "newer state: no profile applied" 's "inactive"' "$(ct_bus_prop State 2>&1)"
check_eq "newer state: the kernel values stay" "16384 16384 2" "$(ct_keys)"
check_rc "newer state: wstunectl apply ws-server fails (exit 2)" 2 ct wstunectl apply ws-server
check_eq "newer state: wstunectl says why" "wstunectl: /var/lib/wstuned/state.json: written by a newer wstuned (state version 2, this one reads 1): downgrade refused, nothing is applied or reverted until that wstuned is installed again or the file is moved away" "$OUT"
check_rc "newer state: wstunectl revert fails (exit 2)" 2 ct wstunectl revert
check_eq "newer state: the kernel values still stay" "16384 16384 2" "$(ct_keys)"
check_eq "newer state: the file kept byte for byte" "$newer_state" "$(ct cat /var/lib/wstuned/state.json)"
check_rc "newer state: not moved aside" 1 ct test -e /var/lib/wstuned/state.json.broken
check_match "newer state: journal entry STATE_NEWER" 'Not applying any profile, state file left as it is: /var/lib/wstuned/state\.json: written by a newer wstuned' \
        "$(ct_journal -q -u wstuned -o cat --since "@$t_upgrade" MESSAGE_ID="$(journal_id STATE_NEWER)" 2>&1)"
check_match "newer state: journalctl -x explains it" 'Subject: State file written by a newer wstuned: nothing applied' \
        "$(ct_journal -q -x -u wstuned --since "@$t_upgrade" 2>&1)"

# Back to the version-1 file: ws-server applied again, as before.
printf '%s\n' "$state_after" >"$ROOT/var/tmp/state.v1"
ct cp /var/tmp/state.v1 /var/lib/wstuned/state.json
ct rm -f /var/tmp/state.v1 /var/tmp/state.newer
check_rc "version-1 file back: systemctl restart wstuned" 0 ct systemctl restart wstuned
check_eq "version-1 file back: ws-server active" 's "ws-server"' "$(ct_bus_prop ActiveProfile 2>&1)"
check_eq "version-1 file back: the profile's values" "$expected" "$(ct_keys)"
check_rc "version-1 file back: wstunectl verify" "$SERVER_RC" ct wstunectl verify
