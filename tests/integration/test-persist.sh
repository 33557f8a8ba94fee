#!/bin/bash
# test-persist.sh - the chosen profile survives a restart and is applied before the bus name is taken;
# the baseline survives too, so Revert after a restart restores the pre-wstuned values; /etc profiles
# override shipped ones; the settings file names a default profile; Reload re-reads files.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

orig_range=$(in_ns sysctl -n net.ipv4.ip_local_port_range | tr -s ' \t' ' ')
orig_fin=$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)
orig_tw=$(in_ns sysctl -n net.ipv4.tcp_tw_reuse)

wstuned_start || exit 1
check_rc "apply ws-client" 0 bus_call Apply st ws-client 0
rc=0; wstuned_stop || rc=$?
check_eq "SIGTERM stops cleanly" 0 "$rc"
check_match "state names the profile" '"active_profile":[[:space:]]*"ws-client"' "$(cat "$SB_ROOT/var/lib/wstuned/state.json")"

# A reboot loses kernel values; the daemon must put them back before it answers on the bus.
in_ns sysctl -qw net.ipv4.ip_local_port_range="$orig_range" net.ipv4.tcp_fin_timeout="$orig_fin" \
        net.ipv4.tcp_tw_reuse="$orig_tw"
wstuned_start || exit 1
check_eq "range applied at start, before the bus name" "10000 65000" \
        "$(in_ns sysctl -n net.ipv4.ip_local_port_range | tr -s ' \t' ' ')"
check_eq "fin_timeout applied at start" 15 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "ActiveProfile after restart" 's "ws-client"' "$(bus_prop ActiveProfile)"

# Revert after the restart still knows the originals.
check_rc "revert after restart" 0 wstunectl revert
check_eq "range original" "$orig_range" "$(in_ns sysctl -n net.ipv4.ip_local_port_range | tr -s ' \t' ' ')"
check_eq "fin_timeout original" "$orig_fin" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "tw_reuse original" "$orig_tw" "$(in_ns sysctl -n net.ipv4.tcp_tw_reuse)"
wstuned_stop
wstuned_start || exit 1
check_eq "reverted stays inactive after restart" 's "inactive"' "$(bus_prop State)"
check_eq "nothing applied after restart" "$orig_fin" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
wstuned_stop

# /etc/wstuned/profiles overrides a shipped profile of the same name.
cat >"$SB_ROOT/etc/wstuned/profiles/ws-client.json" <<'JSON'
{ "description": "site override", "sysctl": { "net.ipv4.tcp_fin_timeout": 20 } }
JSON
# The settings file names the profile to use when none was chosen.
printf '{ "profile": "ws-client", "poll_interval_ms": 500 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
wstuned_start || exit 1
check_eq "settings profile applied at start" 's "ws-client"' "$(bus_prop ActiveProfile)"
check_eq "override's value" 20 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_match "ListProfiles shows the /etc file" "\"ws-client\" \"site override\" \"$SB_ROOT/etc/wstuned/profiles/ws-client.json\"" \
        "$(bus_call ListProfiles)"

# Reload re-reads the profile.
sed -i 's/20/25/' "$SB_ROOT/etc/wstuned/profiles/ws-client.json"
check_rc "reload" 0 wstunectl reload
check_eq "reloaded value" 25 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
# A broken settings file on reload: refused, last good state kept.
printf '{ "poll_interval_ms": 5 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
check_rc "reload with bad settings fails" 1 bus_send Reload
check_match "error names the field" "poll_interval_ms: must be an integer 100..3600000" "$OUT"
check_eq "value kept" 25 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "still serving" 0 bus_call Verify

# A broken settings file at start: logged, defaults used, the chosen profile still applied.
wstuned_stop
in_ns sysctl -qw net.ipv4.tcp_fin_timeout="$orig_fin"
printf '{ "profile": 42 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
wstuned_start || exit 1
check_eq "profile re-applied despite bad settings" 25 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "revert" 0 wstunectl revert
check_eq "fin_timeout original at the end" "$orig_fin" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"

# A state file written by a newer wstuned (the package was downgraded) holds the only baseline: it is kept
# byte for byte, not moved aside; nothing is applied at start, not even the settings' profile; Apply and
# Revert are refused with a named error that says why; the journal entry has its own MESSAGE_ID.
wstuned_stop
STATE=$SB_ROOT/var/lib/wstuned/state.json
printf '{ "profile": "ws-client" }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
printf '{ "version": 2, "active_profile": "ws-client", "history": [],\n  "baseline": { "sysctl": { "net/ipv4/tcp_fin_timeout": "%s" } } }\n' \
        "$orig_fin" >"$STATE"
cp -p "$STATE" "$SB/state.newer"
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=44 # what the newer wstuned had set
wstuned_start || exit 1
newer="$STATE: written by a newer wstuned (state version 2, this one reads 1): downgrade refused, nothing is applied or reverted until that wstuned is installed again or the file is moved away"
check_eq "newer state: no profile applied at start" 's "inactive"' "$(bus_prop State)"
check_eq "newer state: the kernel value stays" 44 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "newer state: wstunectl apply fails (exit 2)" 2 wstunectl apply ws-client
check_eq "newer state: wstunectl says why" "wstunectl: $newer" "$OUT"
check_rc "newer state: Apply fails" 1 bus_send Apply string:ws-client uint64:0
check_match "newer state: Apply's error is NewerState" "^Error io\.wstune\.wstuned1\.Error\.NewerState: " "$OUT"
check_rc "newer state: wstunectl revert fails (exit 2)" 2 wstunectl revert
check_eq "newer state: revert says why" "wstunectl: $newer" "$OUT"
check_eq "newer state: the kernel value still stays" 44 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "newer state: the file is kept byte for byte" 0 cmp "$SB/state.newer" "$STATE"
check_rc "newer state: and not moved aside" 1 test -e "$STATE.broken"
if [ "$SB_JOURNAL" = 1 ]; then
        entry=$(sb_journal -o json MESSAGE_ID=b97596b38eeb44039e80dbcba9c09243)
        check_match "newer state: journal entry (STATE_NEWER) with the message" \
                '"MESSAGE":"Not applying any profile, state file left as it is: [^"]*state version 2, this one reads 1' \
                "$entry"
        check_match "newer state: journal entry at PRIORITY=3 (err)" '"PRIORITY":"3"' "$entry"
fi
# The way out the message names: the file moved away, wstuned starts afresh with the settings' profile.
wstuned_stop
mv "$STATE" "$SB/state.moved"
wstuned_start || exit 1
check_eq "file moved away: the settings' profile is applied" 's "ws-client"' "$(bus_prop ActiveProfile)"
check_eq "file moved away: its value (the /etc override)" 25 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "file moved away: revert" 0 wstunectl revert
check_eq "file moved away: the original is lost (the baseline was in the newer file)" 44 \
        "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
in_ns sysctl -qw net.ipv4.tcp_fin_timeout="$orig_fin"

check_host_unchanged
test_finish
