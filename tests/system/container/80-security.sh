# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 80-security.sh - systemd-analyze security on the installed unit: the overall exposure must stay at or
# below 2.0, and the remaining exposures (each explained in units/wstuned.service.in and wstuned(8)
# SECURITY) go to the log. The other scenarios prove every feature works inside this sandbox.
local overall score
check_rc "systemd-analyze security wstuned.service" 0 ct systemd-analyze security --no-pager wstuned.service
overall=$(printf '%s\n' "$OUT" | grep 'Overall exposure level for wstuned.service')
echo "     ${overall:-no overall exposure line}"
printf '%s\n' "$OUT" | grep '✗' | sed 's/^/     /'
score=$(printf '%s\n' "$overall" | sed -n 's/.*wstuned\.service: \([0-9.]*\).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
        pass "overall exposure $score is at most 2.0"
else
        fail "overall exposure ${score:-unknown} is above 2.0" "$overall"
fi
