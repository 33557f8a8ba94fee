#!/bin/bash
# test-plan.sh - the capacity planner end to end: `wstunectl plan` for the seed's 15,000 connections as
# server and as client prints a profile that the daemon applies in its network namespace and that then
# verifies; --explain shows the seed's intermediate numbers; --json carries the same profile; bad options
# get named errors (over the bus too) and exit 2; planning changes nothing and needs no privilege.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

profiles=$SB_ROOT/etc/wstuned/profiles
wstuned_start || exit 1
state_before=$(cat "$SB_ROOT/var/lib/wstuned/state.json" 2>/dev/null)

# --- server: the profile on stdout, the explanation on stderr
check_rc "plan 15000 server" 0 sh -c "'$WSTUNED_BUILD/client/wstunectl' plan --connections 15000 --role server \
        --explain >'$profiles/planned-server.json' 2>'$SB/explain.txt'"
explain=$(cat "$SB/explain.txt")
check_match "explain: conntrack formula with the seed's numbers" \
        '^net\.netfilter\.nf_conntrack_max = 131072: 15000 connections x 4 entries = 60000; / 0\.75 utilisation = 80000; next power of two \(45\.8% used at 15000 connections\)' \
        "$explain"
check_match "explain: backlog formula" \
        '^net\.core\.somaxconn = 2048: 100 connections/s x 10 s burst = 1000 slots; / 0\.75 utilisation = 1334' "$explain"
check_match "explain: nofile formula" \
        '^limits\.nofile = 22528: 15000 connections \+ 1600 overhead = 16600 descriptors; / 0\.75 utilisation = 22134' \
        "$explain"
check_match "explain: the machine's higher value is kept" \
        'nf_conntrack_max = 131072: .*current [0-9]+ is higher: at-least keeps it' "$explain"
check_eq "explain: one line per value" 6 "$(grep -c ' = ' "$SB/explain.txt")"
check_match "profile: conntrack at least 131072" '"net.netfilter.nf_conntrack_max":[[:space:]]*\{[[:space:]]*"value":[[:space:]]*131072' \
        "$(tr -d '\n' <"$profiles/planned-server.json")"
check_eq "planning changed nothing" "$state_before" "$(cat "$SB_ROOT/var/lib/wstuned/state.json" 2>/dev/null)"

backlog_before=$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)
check_rc "apply the planned server profile" 0 wstunectl apply planned-server
check_rc "it verifies" 0 wstunectl verify
if [ "$backlog_before" -lt 2048 ]; then
        check_eq "tcp_max_syn_backlog raised to the plan" 2048 "$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)"
else
        check_eq "tcp_max_syn_backlog kept (at-least)" "$backlog_before" "$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)"
fi
check_eq "tcp_syncookies" 1 "$(in_ns sysctl -n net.ipv4.tcp_syncookies)"
check_match "limits.d carries the planned nofile" '^\* +soft +nofile +22528$' \
        "$(cat "$SB_ROOT/etc/security/limits.d/90-wstuned.conf")"

# --- client
check_rc "plan 15000 client" 0 sh -c "'$WSTUNED_BUILD/client/wstunectl' plan --connections 15000 --role client \
        >'$profiles/planned-client.json' 2>'$SB/client.err'"
check_eq "client: no warnings" "" "$(cat "$SB/client.err")"
check_rc "apply the planned client profile" 0 wstunectl apply planned-client
check_rc "it verifies" 0 wstunectl verify
check_eq "port range: 40000 ports ending at 65535" "25536 65535" \
        "$(in_ns sysctl -n net.ipv4.ip_local_port_range | tr -s ' \t' ' ')"
check_eq "tcp_tw_reuse" 1 "$(in_ns sysctl -n net.ipv4.tcp_tw_reuse)"
check_eq "tcp_fin_timeout" 15 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"

# --- more connections than one port range holds: a warning naming the destinations needed
check_rc "plan 1000000 client" 0 sh -c "'$WSTUNED_BUILD/client/wstunectl' plan --connections 1000000 --role client \
        >/dev/null 2>'$SB/big.err'"
check_match "warning: spread over 42 destinations" \
        '^warning: 2666667 ports do not fit in one range \(1024\.\.65535 holds 64512 usable\): spread the connections over 42 destination addresses' \
        "$(cat "$SB/big.err")"

# --- --json: the same profile, the explanation and the warnings
json=$(wstunectl --json plan --connections 15000 --role server)
check_rc "--json parses, and its profile is the one printed" 0 perl -MJSON::PP -e '
        my ($doc, $file) = (decode_json($ARGV[0]), do { local $/; open my $f, "<", $ARGV[1] or die; <$f> });
        my $printed = decode_json($file);
        my $canon = JSON::PP->new->canonical;
        die "profile differs\n" unless $canon->encode($doc->{profile}) eq $canon->encode($printed);
        die "explanation\n" unless @{$doc->{explanation}} == 6 && $doc->{explanation}[0]{value} eq "131072";
        die "warnings\n" unless ref $doc->{warnings} eq "ARRAY";' "$json" "$profiles/planned-server.json"

# --- bad input: named errors, exit 2, nothing changed
check_rc "role proxy: exit 2" 2 wstunectl plan --connections 15000 --role proxy
check_eq "role proxy: the message names it" 'wstunectl: role "proxy" is not "server" or "client"' "$OUT"
check_rc "utilization 1.5: exit 2" 2 wstunectl plan --connections 15000 --utilization 1.5
check_eq "utilization: the message names it" "wstunectl: utilization 1.5 is outside (0, 1]" "$OUT"
check_rc "connections 0: exit 2" 2 wstunectl plan --connections 0
check_rc "no connections: exit 2" 2 wstunectl plan --role client
check_rc "overflow: exit 2" 2 wstunectl plan --connections 100000000 --nat-entries 16
check_match "overflow: the message says what" "more than the kernel's nf_conntrack_max can hold" "$OUT"
# (busctl, as dbus-send cannot build an a{sv}; busctl prints the error's message, not its name)
check_rc "bus: an option of the wrong type" 1 bus_call Plan 'usa{sv}' 100 server 1 ramp u 5
check_eq "bus: the error names the option" "Call failed: option ramp must be a double (d), not u" "$OUT"
check_rc "bus: an unknown option" 1 bus_call Plan 'usa{sv}' 100 server 1 colour d 5
check_eq "bus: the error names it" 'Call failed: unknown option "colour"' "$OUT"

# --- anyone may plan
check_rc "nobody may plan" 0 as_nobody "$WSTUNED_BUILD/client/wstunectl" plan --connections 100 --role client

check_host_unchanged
test_finish
