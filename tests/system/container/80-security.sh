# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 80-security.sh - systemd-analyze security on the installed unit: print the overall exposure and
# fail if the sandboxing has regressed to EXPOSED or UNSAFE.
local overall
check_rc "systemd-analyze security wstuned.service" 0 ct systemd-analyze security --no-pager wstuned.service
overall=$(printf '%s\n' "$OUT" | grep 'Overall exposure level for wstuned.service')
echo "     ${overall:-no overall exposure line}"
check_match "overall exposure at most MEDIUM" 'Overall exposure level for wstuned\.service: [0-9.]+ (SAFE|OK|MEDIUM)' "$overall"
