#!/bin/bash
# test-pressure.sh - pressure monitoring against the real kernel in the daemon's network namespace, with
# conntrack switched on there by an nftables rule that uses ct state, and real TCP connections over
# loopback (tests/tcp-hold):
#   - conntrack: ConntrackEntries equals `conntrack -C`, ConntrackMax the namespace's nf_conntrack_max, and
#     the counters in the metrics file equal the per-CPU sums of `conntrack -S`; a low warn threshold is
#     crossed by the connections (journal entry, PressureChanged signal), and left with hysteresis;
#   - backlog: a listener that does not accept, backlog 8, 6 connections waiting: used 6 of 8 as `ss -ltn`
#     shows it (Recv-Q, Send-Q), warn; more connections overflow the queue: the ListenOverflows alert has
#     its delta, the level is critical and Verify fails;
#   - ports: a 100-port ip_local_port_range and 80 connections to one listener: the per-destination count
#     (inet_diag) equals `ss` in that port range, and names the destination;
#   - fds: the daemon's figure follows 4000 descriptors the test holds; the limit is fs.file-max;
#   - metrics: the textfile holds every family the alert rules and the Grafana dashboard in contrib/ use,
#     with HELP and TYPE, wstuned_keys counts the profile's key, and `promtool check metrics` accepts it when
#     promtool is there;
#   - `wstunectl status` shows the pressure table, one row per resource whose USED is what the Pressure
#     property says at the same moment (conntrack: ConntrackEntries, with connections held steady), and
#     `wstunectl --json status` has the same figures in its pressure array and conntrack object.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

command -v conntrack >/dev/null || skip_test "conntrack (package conntrack) not installed"
command -v nft >/dev/null || skip_test "nft (package nftables) not installed"
[ -e /proc/sys/net/netfilter/nf_conntrack_max ] || skip_test "nf_conntrack is not available in this kernel"
HOLD=$WSTUNED_BUILD/tests/tcp-hold
PROMTOOL=$(command -v promtool || echo /var/cache/wstuned-tools/bin/promtool)

journal_json() { sb_journal -o json MESSAGE_ID="$(id_of "$1")" 2>/dev/null; }
# pressure_field RESOURCE N: field N (2 level, 3 ratio, 4 used, 5 limit) of a resource in the Pressure property
pressure_field() {
        bus_prop Pressure | perl -ne 'my @f = /"(\w+)" "(\w+)" (\S+) (\d+) (\d+)/g;
                while (my @r = splice @f, 0, 5) { print $r['"$2"' - 1], "\n" if $r[0] eq "'"$1"'" }'
}
level_is() { [ "$(pressure_field "$1" 2)" = "$2" ]; }
# wait_until WHAT SECONDS COMMAND...: poll every 50 ms
wait_until() {
        local what=$1 limit=$(($2 * 20))
        shift 2
        for _ in $(seq "$limit"); do
                if "$@" >/dev/null 2>&1; then
                        pass "$what"
                        return 0
                fi
                sleep 0.05
        done
        fail "$what (not within $((limit / 20)) s)" "$(bus_prop Pressure)"
        return 1
}
# hold NAME ARGS...: tcp-hold in the namespace, in the background; waits for its "ready"
hold() {
        local name=$1
        shift
        # nsenter itself, not the in_ns function: it execs, so $! is tcp-hold and the kill reaches it
        nsenter -t "$SB_NS_PID" -n -- "$HOLD" "$@" >"$SB/$name.out" 2>&1 &
        SB_PIDS+=("$!")
        eval "HOLD_$name=$!"
        for _ in $(seq 600); do
                grep -q '^ready' "$SB/$name.out" && return 0
                kill -0 "$!" 2>/dev/null || break
                sleep 0.05
        done
        fail "tcp-hold $name did not get ready" "$(cat "$SB/$name.out")"
        return 1
}
unhold() { local v="HOLD_$1"; kill -TERM "${!v}" 2>/dev/null; wait "${!v}" 2>/dev/null; }
metric() { awk -v n="$1" '$1 == n { print $2 }' "$SB_ROOT/var/lib/prometheus/node-exporter/wstuned.prom"; }

# conntrack on in the namespace: a rule with ct state makes the kernel track its connections
in_ns nft -f - <<'NFT'
table inet wstuned_test {
        chain input {
                type filter hook input priority 0; policy accept;
                ct state established,related accept
        }
}
NFT
check_rc "nft ct rule in the namespace" 0 in_ns nft list table inet wstuned_test
MAX=$(in_ns cat /proc/sys/net/netfilter/nf_conntrack_max)
# warn at 100 entries, critical at 100000% (never): the table is the host's size and read-only here
WARN=$(perl -e "printf '%.4f', 100 / $MAX * 100")

mkdir -p "$SB_ROOT/var/lib/prometheus/node-exporter"
printf '{ "poll_interval_ms": 200, "metrics_interval_ms": 1000 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"
cat >"$SB_ROOT/etc/wstuned/profiles/pressure.json" <<JSON
{
  "sysctl": { "net.core.somaxconn": 4096 },
  "watch": {
    "conntrack": { "warn": $WARN, "critical": 1000 },
    "hysteresis": $(perl -e "printf '%.4f', 20 / $MAX * 100"),
    "hold_seconds": 2
  }
}
JSON
wstuned_start || exit 1
dbus-monitor --system "type='signal',interface='io.wstune.wstuned1.Manager',member='PressureChanged'" \
        >"$SB/signals.txt" 2>&1 &
SB_PIDS+=("$!")
sleep 0.2
check_rc "apply" 0 wstunectl apply pressure

# --- conntrack
check_eq "ConntrackMax is the namespace's nf_conntrack_max" "t $MAX" "$(bus_prop ConntrackMax)"
wait_until "conntrack ok at start" 3 level_is conntrack ok
hold ct --port 8080 -n 150 || exit 1
wait_until "150 connections: conntrack warn" 3 level_is conntrack warn
# the level may have turned on a sample taken while the connections were still coming in: with them held
# steady, the next sample must equal conntrack -C
ct_counted() { [ "$(bus_prop ConntrackEntries)" = "t $(in_ns conntrack -C)" ]; }
wait_until "ConntrackEntries equals conntrack -C ($(in_ns conntrack -C))" 3 ct_counted
entries=$(bus_prop ConntrackEntries | cut -d' ' -f2)
[ "$entries" -ge 150 ] && pass "at least one entry per connection ($entries)" || fail "only $entries entries for 150 connections"
line=$(journal_json PRESSURE_CONNTRACK | tail -n 1)
check_match "journal: resource" '"WSTUNED_RESOURCE":"conntrack"' "$line"
check_match "journal: level" '"WSTUNED_LEVEL":"warn"' "$line"
check_match "journal: ratio" '"WSTUNED_RATIO":"0\.0' "$line"
check_match "journal: figures in the message" "of $MAX entries" "$line"
signals() { tr -s '\n ' ' ' <"$SB/signals.txt"; }
check_match "PressureChanged signal" 'string "conntrack" string "warn" double' "$(signals)"

# counters: what conntrack -S sums over CPUs, as the metrics file has them (written every second)
sleep 1.5
for c in found invalid insert insert_failed drop early_drop error search_restart; do
        sum=$(in_ns conntrack -S | perl -ne 'BEGIN { $s = 0 } $s += $1 if /\b'"$c"'=(\d+)/; END { print $s }')
        check_eq "wstuned_conntrack_${c}_total equals conntrack -S ($sum)" "$sum" "$(metric "wstuned_conntrack_${c}_total")"
done
check_eq "ConntrackDrops equals drop+early_drop+insert_failed" \
        "t $(in_ns conntrack -S | perl -ne 'BEGIN { $s = 0 } $s += $1 + $2 + $3 if /insert_failed=(\d+) drop=(\d+) early_drop=(\d+)/; END { print $s }')" \
        "$(bus_prop ConntrackDrops)"
check_eq "metrics: entries" "$(in_ns conntrack -C)" "$(metric wstuned_conntrack_entries)"

unhold ct
# closed connections linger in TIME_WAIT and CLOSE entries; flush them as an admin would
in_ns conntrack -F >/dev/null 2>&1
wait_until "conntrack back to ok" 3 level_is conntrack ok

# --- backlog
hold q --port 8081 --backlog 8 --no-accept -n 6 || exit 1
wait_until "6 waiting of 8: backlog warn" 3 level_is backlog warn
ss_line=$(in_ns ss -ltnH 'sport = :8081')
check_match "ss -ltn shows 6 waiting, backlog 8" '^LISTEN +6 +8 ' "$ss_line"
check_eq "Pressure backlog used (ss Recv-Q)" "6" "$(pressure_field backlog 4)"
check_eq "Pressure backlog limit (ss Send-Q)" "8" "$(pressure_field backlog 5)"
before=$(in_ns nstat -az TcpExtListenOverflows | awk '/ListenOverflows/ { print $2 }')
hold over --port 8081 --connect-only --no-wait -n 10 || exit 1
wait_until "the queue overflows: backlog critical" 5 level_is backlog critical
line=$(journal_json BACKLOG_DROPS | head -n 1)
check_match "overflow alert: counter" '"WSTUNED_COUNTER":"listen_(overflows|drops)"' "$line"
check_match "overflow alert: delta" '"WSTUNED_DELTA":"[1-9][0-9]*"' "$line"
after=$(in_ns nstat -az TcpExtListenOverflows | awk '/ListenOverflows/ { print $2 }')
[ "${after:-0}" -gt "${before:-0}" ] && pass "nstat agrees: ListenOverflows $before -> $after" ||
        fail "nstat shows no overflow ($before -> $after)"
check_rc "Verify fails on critical pressure" 1 wstunectl verify
check_match "verify names the backlog" "pressure:backlog .*critical" "$OUT"
check_match "signal: backlog critical" 'string "backlog" string "critical" double' "$(signals)"
unhold over
unhold q
wait_until "backlog ok after the hold" 6 level_is backlog ok
check_rc "Verify passes again" 0 wstunectl verify

# --- fds: the host-wide count moves with everything else running here, so the check is that the daemon's
# figure follows 4000 descriptors this test opens (2000 connections held, both ends), give or take a quarter
read -r _ _ fmax </proc/sys/fs/file-nr
check_eq "fds limit is fs.file-max" "$fmax" "$(pressure_field fds 5)"
fds_before=$(pressure_field fds 4)
fds_grew() { [ "$(pressure_field fds 4)" -ge $((fds_before + 3000)) ]; }
hold fd --port 9191 -n 2000 || exit 1
wait_until "fds used grows by the 4000 descriptors held (from $fds_before)" 3 fds_grew
unhold fd

# --- ports: 80 connections from a 100-port range to one destination
in_ns sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
hold p --port 9090 -n 80 || exit 1
wait_until "80 of 100 ports towards one destination: ports warn" 3 level_is ports warn
in_range=$(in_ns ss -tanH '( sport >= :40000 and sport <= :40099 and dport = :9090 )' | grep -vc LISTEN)
check_eq "per-destination count equals ss in the range ($in_range)" "$in_range" "$(pressure_field ports 4)"
check_eq "ports limit is the range size" "100" "$(pressure_field ports 5)"
check_match "journal names the destination" '127\.0\.0\.1:9090' "$(journal_json PRESSURE_PORTS | tail -n 1)"
# now the metrics file has every family (the busiest destination only while ports are above warn): keep it
prom=$SB_ROOT/var/lib/prometheus/node-exporter/wstuned.prom
has_destination() { grep -q '^wstuned_local_ports_top_destination_sockets{destination="127\.0\.0\.1:9090"}' "$prom"; }
wait_until "metrics: the busiest destination" 3 has_destination && cp "$prom" "$SB/all-families.prom"
unhold p

# --- metrics file: every family the alert rules and the Grafana dashboard (contrib/) use is in the copy
# taken while every part was present, with its HELP and TYPE; node_textfile_* are node_exporter's own
sleep 1.2
used=$(perl "$WSTUNED_SOURCE/tests/fleet-check.pl" names "$WSTUNED_SOURCE/contrib/prometheus/wstuned-alerts.yml" \
        "$WSTUNED_SOURCE/contrib/grafana/wstuned-dashboard.json")
check_match "the rules and the dashboard use wstuned metrics" '^wstuned_keys$' "$used"
for family in $(printf '%s\n' wstuned_info wstuned_pressure_level wstuned_pressure_ratio wstuned_conntrack_entries \
        wstuned_conntrack_limit wstuned_tcp_listen_overflows_total wstuned_fds_allocated wstuned_drift_corrections_total \
        $used | grep '^wstuned_' | sort -u); do
        for line in "# HELP $family " "# TYPE $family " "$family[{ ]"; do
                check_match "metrics: $line" "^$line" "$(cat "$SB/all-families.prom" 2>&1)"
        done
done
check_match "metrics: profile info" 'wstuned_info\{.*profile="pressure"' "$(cat "$prom")"
# the profile has one key, somaxconn, and it holds
for state in ok drifted pending fighting unmanaged error; do
        check_eq "metrics: keys $state" "$([ $state = ok ] && echo 1 || echo 0)" "$(metric "wstuned_keys{state=\"$state\"}")"
done
if [ -x "$PROMTOOL" ]; then
        for file in "$SB/all-families.prom" "$prom"; do
                check_rc "promtool check metrics accepts $(basename "$file")" 0 sh -c "'$PROMTOOL' check metrics <'$file'"
        done
else
        echo "SKIP: promtool not installed (tools/deps.sh fetches it): metrics checked by the unit test's parser only"
fi

# --- wstunectl status: back to the namespace's defaults, 20 connections held (after a flush: one entry each)
in_ns sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
in_ns conntrack -F >/dev/null 2>&1
hold st --port 8082 -n 20 || exit 1
counted() { [ "$(bus_prop ConntrackEntries)" = "t $(in_ns conntrack -C)" ] && [ "$(in_ns conntrack -C)" -ge 20 ]; }
wait_until "wstuned has sampled the 20 connections" 3 counted
wait_until "20 connections: conntrack ok" 3 level_is conntrack ok
wait_until "the default port range: ports ok" 3 level_is ports ok
# status_row RESOURCE: its row of the pressure table in $OUT; status_used RESOURCE: its USED column
status_row() { printf '%s\n' "$OUT" | awk -v r="$1" '$1 == r'; }
status_used() { status_row "$1" | awk '{ print $4 }'; }
check_rc "status" 0 wstunectl status
check_match "status: pressure table header" "^RESOURCE +LEVEL +USE +USED +LIMIT +NOTE\$" "$OUT"
# USE: one decimal, or "<0.1%" for some use below that
USE='(<0\.1|[0-9]+\.[0-9])%'
check_match "status: conntrack row" "^conntrack +ok +$USE +[0-9]+ +$MAX +drops [0-9]+\$" "$OUT"
check_match "status: backlog row" "^backlog +ok +$USE +[0-9]+ +[0-9]+ +-\$" "$OUT"
check_match "status: ports row" "^ports +ok +$USE +[0-9]+ +28232 +-\$" "$OUT"
check_match "status: fds row" "^fds +ok +$USE +[0-9]+ +$fmax +-\$" "$OUT"
check_eq "status: conntrack USED is ConntrackEntries" "t $(status_used conntrack)" "$(bus_prop ConntrackEntries)"
check_eq "status: conntrack USED is the Pressure property's" "$(status_used conntrack)" "$(pressure_field conntrack 4)"
check_eq "status: conntrack USED is conntrack -C" "$(in_ns conntrack -C)" "$(status_used conntrack)"
check_eq "status: conntrack drops are ConntrackDrops" "t $(status_row conntrack | awk '{ print $7 }')" \
        "$(bus_prop ConntrackDrops)"
# ports and fds change with every process on the host: the table shows the sample read just before it or
# the next one (wstuned samples every 200 ms); a third sample in between is retried
used_matches() {
        local res=$1 before after
        for _ in 1 2 3 4 5; do
                before=$(pressure_field "$res" 4)
                OUT=$(wstunectl status)
                after=$(pressure_field "$res" 4)
                if [ "$(status_used "$res")" = "$before" ] || [ "$(status_used "$res")" = "$after" ]; then
                        pass "status: $res USED $(status_used "$res") is the Pressure property's ($before, $after)"
                        return
                fi
        done
        fail "status: $res USED $(status_used "$res") is neither $before nor $after (Pressure before and after)"
}
used_matches ports
used_matches fds

if command -v python3 >/dev/null; then
        json_flat() {
                python3 -c '
import json, sys
d = json.load(sys.stdin)
for r in d["pressure"]:
    print(r["resource"], r["level"], "%.6f" % r["ratio"], r["used"], r["limit"])
c = d["conntrack"]
print("totals", c["entries"], c["max"], c["drops"])'
        }
else
        json_flat() {
                perl -MJSON::PP -e '
my $d = JSON::PP->new->allow_bignum->decode(join "", <STDIN>);
printf "%s %s %.6f %s %s\n", @$_{qw(resource level ratio used limit)} for @{$d->{pressure}};
print join(" ", "totals", @{$d->{conntrack}}{qw(entries max drops)}), "\n"'
        }
fi
check_rc "--json status" 0 wstunectl --json status
JSON=$OUT
check_rc "--json status parses" 0 json_flat <<<"$JSON"
check_eq "--json: four resources in the pressure array" "conntrack backlog ports fds" \
        "$(printf '%s\n' "$OUT" | awk '$1 != "totals" { printf "%s%s", s, $1; s = " " }')"
check_match "--json: conntrack figures" "^conntrack ok [0-9.]+ $(in_ns conntrack -C) $MAX\$" "$OUT"
check_match "--json: fds limit is fs.file-max" "^fds ok [0-9.]+ [0-9]+ $fmax\$" "$OUT"
check_eq "--json: conntrack object" "totals $(in_ns conntrack -C) $MAX $(bus_prop ConntrackDrops | cut -d' ' -f2)" \
        "$(printf '%s\n' "$OUT" | grep '^totals')"
unhold st

check_host_unchanged
test_finish
