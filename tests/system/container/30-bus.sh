# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 30-bus.sh - the D-Bus API on the container's real system bus (dbus-daemon with the packaged
# busconfig), through busctl and wstunectl.
local introspect method
introspect=$(ct busctl introspect io.wstune.wstuned1 /io/wstune/wstuned1 2>&1)
for method in Apply Get ListProfiles Reload Revert Verify; do
        check_match "introspect: method $method" "^\.$method +method" "$introspect"
done
check_match "introspect: property ActiveProfile" '^\.ActiveProfile +property +s +"ws-server"' "$introspect"
# the package's version, as tools/version.sh made it (0.1.0+155.g1b53f82): + and . are literal
check_match "introspect: property Version is the package's" \
        "^\\.Version +property +s +\"$(dpkg-deb -f "$DEB" Version | sed 's/[.+]/\\&/g')\" +const" "$introspect"

if [ "$SERVER_RC" = 0 ]; then
        check_match "busctl call Verify: holds, 13 items (4 keys, 5 limit files, 4 pressure resources)" '^ba\(ssss\) true 13 ' "$(ct_bus_call Verify 2>&1)"
        check_eq "State" 's "ok"' "$(ct_bus_prop State 2>&1)"
else
        check_match "busctl call Verify: nf_conntrack_max cannot hold here" '^ba\(ssss\) false 9 ' "$(ct_bus_call Verify 2>&1)"
fi
check_match "busctl call Verify: somaxconn ok" '"net.core.somaxconn" ">=16384" "16384" "ok"' "$(ct_bus_call Verify 2>&1)"
check_match "busctl call Get" '"net.core.somaxconn" "16384" "16384" "ok"' "$(ct_bus_call Get as 1 net.core.somaxconn 2>&1)"

check_rc "wstunectl status" 0 ct wstunectl status
check_match "status: active profile" '^ *Active profile: ws-server$' "$OUT"
check_match "status: somaxconn row" '^net\.core\.somaxconn +16384 +16384 +ok$' "$OUT"
check_rc "wstunectl verify" "$SERVER_RC" ct wstunectl verify
[ "$SERVER_RC" = 0 ] && check_match "verify: profile holds" '^OK: profile ws-server holds$' "$OUT"
check_rc "wstunectl profiles" 0 ct wstunectl profiles
check_match "profiles: ws-server listed, active" '^\* ws-server ' "$OUT"
check_match "profiles: ws-client listed" '^[* ] ws-client ' "$OUT"
