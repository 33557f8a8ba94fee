#!/bin/bash
# test-unit-file.sh - systemd-analyze verify accepts the built unit (with the binaries it names in
# place under a temporary root); wstuned is not bus-activatable (nothing installed in system-services).
set -u
. "$(dirname "$0")/assert.sh"
: "${WSTUNED_BUILD:?}" "${WSTUNED_SOURCE:?}"
command -v systemd-analyze >/dev/null || skip_test "systemd-analyze not installed"

unit=$WSTUNED_BUILD/units/wstuned.service
# verify checks that ExecStart= names an executable: point it at the built binaries (the installed
# paths do not exist before `ninja install`). The Documentation= pages are checked by test-man.sh.
R=$(mktemp -d)
trap 'rm -rf "$R"' EXIT
sed "s|^ExecStart=.*|ExecStart=$WSTUNED_BUILD/daemon/wstuned|; s|^ExecReload=[^ ]*|ExecReload=$WSTUNED_BUILD/client/wstunectl|" \
        "$unit" >"$R/wstuned.service"
check_rc "systemd-analyze verify" 0 systemd-analyze verify --man=no "$R/wstuned.service"
check_eq "no warnings from systemd-analyze" "" "$OUT"
for page in $(sed -n 's/^Documentation=//p' "$unit"); do
        page=${page#man:}
        section=${page##*(}
        check_rc "Documentation= $page is shipped" 0 test -f "$WSTUNED_SOURCE/man/${page%(*}.${section%)}"
done
check_match "Type=notify" "^Type=notify$" "$(cat "$unit")"
check_match "BusName" "^BusName=io.wstune.wstuned1$" "$(cat "$unit")"
check_match "ordered before docker" "^Before=.*docker.service" "$(cat "$unit")"
check_match "ordered after systemd-sysctl" "^After=.*systemd-sysctl.service" "$(cat "$unit")"

# No bus activation: a call must never start a stopped wstuned.
installed=$(meson introspect "$WSTUNED_BUILD" --installed)
check_match "meson knows what it installs" 'wstuned\.service' "$installed"
check_no_match "no D-Bus activation file installed" 'system-services' "$installed"
test_finish
