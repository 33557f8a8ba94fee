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

check_host_unchanged
test_finish
