#!/bin/bash
# test-journal.sh - structured journal entries: one NOTICE per changed key with the WSTUNED_* fields,
# a fixed MESSAGE_ID per kind, and a catalog entry for every id the daemon uses.
. "$(dirname "$0")/preamble.sh" "$0" "$@"
[ "$SB_JOURNAL" = 1 ] || skip_test "journald not started"

ids() { sed -n 's/^#define WSTUNED_MESSAGE_\([A-Z_]*\) "\([0-9a-f]\{32\}\)"/\1 \2/p' "$WSTUNED_SOURCE/daemon/journal.h"; }
id_of() { ids | awk -v k="$1" '$1 == k { print $2 }'; }

wstuned_start || exit 1
check_rc "apply ws-client" 0 bus_call Apply st ws-client 0
check_rc "apply a broken profile" 1 bus_call Apply st nosuch-but-valid 0
printf '{"sysctl": {"net.core.somaxconn": }}\n' >"$SB_ROOT/etc/wstuned/profiles/broken.json"
bus_call Apply st broken 0 >/dev/null 2>&1
check_rc "revert" 0 bus_call Revert
sleep 0.2

changed=$(sb_journal -o json MESSAGE_ID="$(id_of KEY_CHANGED)")
check_eq "one key-changed entry per changed key" 3 "$(printf '%s\n' "$changed" | grep -c .)"
line=$(printf '%s\n' "$changed" | grep '"WSTUNED_KEY":"net.ipv4.tcp_fin_timeout"')
check_match "key changed: PRIORITY=5 (notice)" '"PRIORITY":"5"' "$line"
check_match "key changed: profile" '"WSTUNED_PROFILE":"ws-client"' "$line"
check_match "key changed: expected" '"WSTUNED_EXPECTED":"15"' "$line"
check_match "key changed: actual (old value)" '"WSTUNED_ACTUAL":"[0-9]+"' "$line"
check_match "key changed: caller" '"WSTUNED_CALLER_UID":"0"' "$line"
check_match "key changed: message old -> new" '"MESSAGE":"net.ipv4.tcp_fin_timeout changed from [0-9]+ to 15 \(profile ws-client\)"' "$line"
check_match "profile applied entry" '"WSTUNED_PROFILE":"ws-client"' \
        "$(sb_journal -o json MESSAGE_ID="$(id_of PROFILE_APPLIED)")"
check_match "invalid profile entry names the file and position" 'broken.json:1:35: syntax error' \
        "$(sb_journal -o json MESSAGE_ID="$(id_of PROFILE_INVALID)")"
check_eq "restored entries on revert" 3 "$(sb_journal -o json MESSAGE_ID="$(id_of KEY_RESTORED)" | grep -c .)"
check_eq "reverted entry" 1 "$(sb_journal -o json MESSAGE_ID="$(id_of PROFILE_REVERTED)" | grep -c .)"
check_match "identifier" '"SYSLOG_IDENTIFIER":"wstuned"' "$line"

# Verify that fails logs once, not per call.
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=33
check_rc "apply ws-client again" 0 bus_call Apply st ws-client 0
in_ns sysctl -qw net.ipv4.tcp_fin_timeout=34
for _ in 1 2 3; do bus_call Verify >/dev/null; done
check_eq "one verify-failed entry for three failing checks" 1 \
        "$(sb_journal -o json MESSAGE_ID="$(id_of VERIFY_FAILED)" | grep -c .)"

# Every id has a catalog entry, and journalctl accepts the catalog.
CAT=$(mktemp -d)
mkdir -p "$CAT/usr/lib/systemd/catalog" "$CAT/var/lib/systemd/catalog"
cp "$WSTUNED_SOURCE/units/wstuned.catalog" "$CAT/usr/lib/systemd/catalog/"
check_rc "journalctl --update-catalog accepts the catalog" 0 journalctl --root="$CAT" --update-catalog
listed=$(journalctl --root="$CAT" --list-catalog 2>&1)
while read -r name id; do
        check_match "catalog has $name" "^$id wstuned: " "$listed"
done < <(ids)
check_eq "catalog has no other ids" "$(ids | wc -l)" "$(printf '%s\n' "$listed" | grep -c ' wstuned: ')"
rm -rf "$CAT"

check_rc "revert" 0 bus_call Revert
check_host_unchanged
test_finish
