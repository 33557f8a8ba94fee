#!/bin/bash
# test-unit-file.sh - systemd-analyze verify accepts the built unit (with the binaries it names in
# place under a temporary root); the D-Bus activation file names the unit and the bus name.
set -u
. "$(dirname "$0")/assert.sh"
: "${WSTUNED_BUILD:?}" "${WSTUNED_SOURCE:?}"
command -v systemd-analyze >/dev/null || skip_test "systemd-analyze not installed"

unit=$WSTUNED_BUILD/units/wstuned.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
reload=$(sed -n 's/^ExecReload=\([^ ]*\).*/\1/p' "$unit")
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
mkdir -p "$R$(dirname "$exec_start")" "$R$(dirname "$reload")" "$R/etc/systemd/system"
cp "$WSTUNED_BUILD/daemon/wstuned" "$R$exec_start"
cp "$WSTUNED_BUILD/client/wstunectl" "$R$reload"
cp "$unit" "$R/etc/systemd/system/wstuned.service"
check_rc "systemd-analyze verify" 0 systemd-analyze verify --root="$R" /etc/systemd/system/wstuned.service
check_no_match "no warnings from systemd-analyze" "wstuned.service:" "$OUT"

check_match "Type=notify" "^Type=notify$" "$(cat "$unit")"
check_match "BusName" "^BusName=io.wstune.wstuned1$" "$(cat "$unit")"
check_match "ordered before docker" "^Before=.*docker.service" "$(cat "$unit")"
check_match "ordered after systemd-sysctl" "^After=.*systemd-sysctl.service" "$(cat "$unit")"
act=$WSTUNED_BUILD/dbus/io.wstune.wstuned1.service
check_match "activation: bus name" "^Name=io.wstune.wstuned1$" "$(cat "$act")"
check_match "activation: unit" "^SystemdService=wstuned.service$" "$(cat "$act")"
test_finish
