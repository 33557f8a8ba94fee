#!/bin/bash
# test-sysctld.sh - sysctl.d files that set managed keys, with the real daemon on real kernel sysctls: Get,
# Verify and `wstunectl status` name the file and line of another value, the drift entry after a
# `sysctl --system` names the file (WSTUNED_CONFLICT_FILE, WSTUNED_CONFLICT_LINE); then a reboot with that file
# (the kernel's values back to its defaults, systemd-sysctl applying the file, another boot id) and Revert puts
# back what this boot had before wstuned (the file's values), not what the first boot had.
#
# The boot id is /proc/sys/kernel/random/boot_id with a file of the test bind-mounted over it, in the sandbox's
# own mount namespace: the host's is untouched, and the daemon reads it where it always does.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

id_of() { sed -n "s/^#define WSTUNED_MESSAGE_$1 \"\([0-9a-f]*\)\"/\1/p" "$WSTUNED_SOURCE/daemon/journal.h"; }
value_is() { [ "$(in_ns sysctl -n "$1")" = "$2" ]; }
wait_value() {
        local what=$1 key=$2 want=$3
        for _ in $(seq 100); do
                value_is "$key" "$want" && { pass "$what"; return 0; }
                sleep 0.02
        done
        fail "$what" "$key is $(in_ns sysctl -n "$key"), expected $want"
}
state_file() { cat "$SB_ROOT/var/lib/wstuned/state.json"; }

BOOT_A=aaaaaaaa-1111-4111-8111-111111111111
BOOT_B=bbbbbbbb-2222-4222-8222-222222222222
echo "$BOOT_A" >"$SB/boot_id"
mount --bind "$SB/boot_id" /proc/sys/kernel/random/boot_id || skip_test "cannot bind-mount over /proc/sys/kernel/random/boot_id"
check_eq "the daemon will see the test's boot id" "$BOOT_A" "$(cat /proc/sys/kernel/random/boot_id)"

orig_somaxconn=$(in_ns sysctl -n net.core.somaxconn)
orig_fin=$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)
orig_backlog=$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)
if [ "$orig_somaxconn" = 1024 ] || [ "$orig_fin" = 30 ]; then
        skip_test "the kernel's defaults are the test's sysctl.d values"
fi

cat >"$SB_ROOT/etc/wstuned/profiles/sd.json" <<'JSON'
{
  "sysctl": {
    "net.core.somaxconn": { "value": 8192, "match": "at-least" },
    "net.ipv4.tcp_fin_timeout": 20,
    "net.ipv4.tcp_max_syn_backlog": 8192
  }
}
JSON
printf '{ "poll_interval_ms": 200 }\n' >"$SB_ROOT/etc/wstuned/wstuned.json"

# ---- boot A: no sysctl.d file sets these keys ----
wstuned_start || exit 1
check_rc "apply" 0 wstunectl apply sd
check_match "state file keeps the boot id" "\"boot_id\":[[:space:]]*\"$BOOT_A\"" "$(state_file)"
check_rc "status" 0 wstunectl status
check_no_match "no note while no file sets a key" "also set" "$OUT"

# The image's file, added while the daemon runs: read at the next call, no restart or reload.
mkdir -p "$SB_ROOT/etc/sysctl.d"
cat >"$SB_ROOT/etc/sysctl.d/60-gce-network-security.conf" <<'CONF'
# as on a GCE image
net.core.somaxconn = 1024
net.ipv4.tcp_fin_timeout = 30
net.ipv4.tcp_max_syn_backlog = 8192
CONF
check_rc "status" 0 wstunectl status
check_match "status: the file and line of somaxconn's other value" \
        "net.core.somaxconn +8192 +8192 +ok \(also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:2\)" "$OUT"
check_match "status: fin_timeout too" \
        "net.ipv4.tcp_fin_timeout +20 +20 +ok \(also set to 30 by /etc/sysctl.d/60-gce-network-security.conf:3\)" "$OUT"
check_match "status: a file that agrees is not named" "net.ipv4.tcp_max_syn_backlog +8192 +8192 +ok$" "$OUT"
check_match "Get over D-Bus" \
        '"net.core.somaxconn" "8192" "8192" "ok \(also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:2\)"' \
        "$(bus_call Get as 1 net.core.somaxconn)"
check_match "Verify over D-Bus" \
        '"net.core.somaxconn" ">=8192" "8192" "ok \(also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:2\)"' \
        "$(bus_call Verify)"
check_rc "verify: a note is no failure" 0 wstunectl verify
check_rc "verify --json" 0 wstunectl verify --json
check_match "verify --json: the verdict alone, the note apart" \
        '"item":"net.core.somaxconn","expected":">=8192","actual":"8192","verdict":"ok","note":"also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:2"' \
        "$OUT"
check_rc "get --json" 0 wstunectl get --json net.ipv4.tcp_max_syn_backlog
check_match "get --json: no note" '"state":"ok","note":null' "$OUT"

# `sysctl --system` (or systemd-sysctl) runs again: the file's value comes back and is corrected; the entry
# says which file set it.
in_ns sysctl -qw net.core.somaxconn=1024
wait_value "somaxconn set back" net.core.somaxconn 8192
line=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)" WSTUNED_KEY=net.core.somaxconn | tail -n 1)
check_match "drift entry: the file" '"WSTUNED_CONFLICT_FILE":"/etc/sysctl.d/60-gce-network-security.conf"' "$line"
check_match "drift entry: the line" '"WSTUNED_CONFLICT_LINE":"2"' "$line"
check_match "drift entry: the message names it" \
        '"MESSAGE":"net.core.somaxconn drifted from 8192 to 1024 and was set back; /etc/sysctl.d/60-gce-network-security.conf:2 sets it to 1024"' \
        "$line"
# a value no file sets: no file named
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=44
wait_value "fin_timeout set back" net.ipv4.tcp_fin_timeout 20
line=$(sb_journal -o json MESSAGE_ID="$(id_of DRIFT_CORRECTED)" WSTUNED_KEY=net.ipv4.tcp_fin_timeout | tail -n 1)
check_match "drift entry without a file" '"WSTUNED_ACTUAL":"44"' "$line"
check_no_match "drift entry without a file: no conflict field" "WSTUNED_CONFLICT" "$line"

# ---- reboot into boot B: kernel defaults, then systemd-sysctl applies the file, then wstuned starts ----
rc=0; wstuned_stop || rc=$?
check_eq "stopped" 0 "$rc"
in_ns sysctl -qw net.core.somaxconn=1024 net.ipv4.tcp_fin_timeout=30 net.ipv4.tcp_max_syn_backlog=8192
echo "$BOOT_B" >"$SB/boot_id"
check_eq "new boot id" "$BOOT_B" "$(cat /proc/sys/kernel/random/boot_id)"
wstuned_start || exit 1
check_eq "profile applied at start" 8192 "$(in_ns sysctl -n net.core.somaxconn)"
check_eq "fin_timeout applied at start" 20 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_match "state file: boot B" "\"boot_id\":[[:space:]]*\"$BOOT_B\"" "$(state_file)"
changed=$(sb_journal -o json MESSAGE_ID="$(id_of KEY_CHANGED)" WSTUNED_KEY=net.core.somaxconn | tail -n 1)
check_match "the Apply at boot names the file whose value it replaced" \
        '"MESSAGE":"net.core.somaxconn changed from 1024 to 8192 \(profile sd\); /etc/sysctl.d/60-gce-network-security.conf:2 sets it to 1024"' \
        "$changed"
check_match "... in its fields" '"WSTUNED_CONFLICT_FILE":"/etc/sysctl.d/60-gce-network-security.conf"' "$changed"

check_rc "revert" 0 wstunectl revert
check_match "revert row: this boot's original" "net.core.somaxconn +8192 +1024 +restore" "$OUT"
check_eq "somaxconn: the file's value, not boot A's $orig_somaxconn" 1024 "$(in_ns sysctl -n net.core.somaxconn)"
check_eq "fin_timeout: the file's value, not boot A's $orig_fin" 30 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_eq "syn_backlog: as the file left it" 8192 "$(in_ns sysctl -n net.ipv4.tcp_max_syn_backlog)"
check_no_match "no baseline left" '"net/' "$(state_file)"

# back to the namespace's own values, for tidiness (the namespace goes away with the sandbox)
in_ns sysctl -qw net.core.somaxconn="$orig_somaxconn" net.ipv4.tcp_fin_timeout="$orig_fin" \
        net.ipv4.tcp_max_syn_backlog="$orig_backlog"
check_host_unchanged
test_finish
