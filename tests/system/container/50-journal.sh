# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 50-journal.sh - the structured entries in the container's journald, read with journalctl -u
# wstuned: fixed MESSAGE_IDs with their WSTUNED_* fields (from the applies of 20 and 40), and the
# catalog, indexed by the dpkg trigger of Debian's systemd package, shown by journalctl -x.
local changed line listed name id explained

changed=$(ct_journal -u wstuned -o json MESSAGE_ID="$(journal_id KEY_CHANGED)" WSTUNED_PROFILE=ws-server)
line=$(printf '%s\n' "$changed" | grep '"WSTUNED_KEY":"net.core.somaxconn"' | head -n 1)
check_match "key changed: entry for net.core.somaxconn" '"MESSAGE":"net\.core\.somaxconn changed from [0-9]+ to 16384 \(profile ws-server\)"' "$line"
check_match "key changed: WSTUNED_EXPECTED" '"WSTUNED_EXPECTED":"16384"' "$line"
check_match "key changed: WSTUNED_ACTUAL (old value)" '"WSTUNED_ACTUAL":"[0-9]+"' "$line"
check_match "key changed: WSTUNED_PROFILE" '"WSTUNED_PROFILE":"ws-server"' "$line"
check_match "key changed: WSTUNED_CALLER_UID (root)" '"WSTUNED_CALLER_UID":"0"' "$line"
check_match "key changed: PRIORITY=5 (notice)" '"PRIORITY":"5"' "$line"
check_match "key changed: from the unit" '"_SYSTEMD_UNIT":"wstuned.service"' "$line"
check_match "key changed: SYSLOG_IDENTIFIER" '"SYSLOG_IDENTIFIER":"wstuned"' "$line"
check_match "profile applied: entry with WSTUNED_PROFILE" '"WSTUNED_PROFILE":"ws-client"' \
        "$(ct_journal -u wstuned -o json MESSAGE_ID="$(journal_id PROFILE_APPLIED)")"
check_match "key restored: ws-client put somaxconn back" '"WSTUNED_KEY":"net.core.somaxconn"' \
        "$(ct_journal -u wstuned -o json MESSAGE_ID="$(journal_id KEY_RESTORED)")"

listed=$(ct_journal --list-catalog 2>&1)
while read -r name id; do
        check_match "catalog indexed: $name" "^$id wstuned: " "$listed"
done < <(journal_ids)

explained=$(ct_journal -x -u wstuned 2>&1)
check_match "journalctl -x: profile applied explained" 'Subject: Tuning profile ws-server applied' "$explained"
check_match "journalctl -x: key change explained" 'Subject: Kernel setting net\.core\.somaxconn changed' "$explained"
check_match "journalctl -x: catalog body" '`wstunectl revert` restores it' "$explained"
