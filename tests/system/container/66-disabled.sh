# shellcheck shell=bash disable=SC2168 # sourced inside run.sh's run_scenario(), so "local" works
# 66-disabled.sh - disabled means off: after `systemctl disable --now wstuned` no call starts it again (it is
# not bus-activatable), neither an unprivileged user's wstunectl status nor root's, and the next boot
# leaves it off too: the kernel keeps its own values. `systemctl enable --now wstuned` brings it back with
# the profile applied.
local not_running="wstunectl: wstuned is not running (systemctl start wstuned)"
somaxconn_is() { [ "$(ct sysctl -n net.core.somaxconn)" = "$1" ]; }
off() {
        check_eq "$1: inactive" inactive "$(ct systemctl is-active wstuned 2>&1)"
        check_rc "$1: nobody's wstunectl status fails (exit 3)" 3 as_nobody wstunectl status
        check_eq "$1: wstunectl says it is not running" "$not_running" "$OUT"
        check_rc "$1: root's wstunectl status fails (exit 3)" 3 ct wstunectl status
        sleep 1 # an activation would have started it by now; give a late one time anyway
        check_eq "$1: still inactive after the calls" inactive "$(ct systemctl is-active wstuned 2>&1)"
        check_rc "$1: no wstuned process" 1 ct pgrep -x wstuned
}

check_rc "systemctl disable --now wstuned" 0 ct systemctl disable --now wstuned
check_eq "disabled" disabled "$(ct systemctl is-enabled wstuned 2>&1)"
ct sysctl -qw net.core.somaxconn=1024
off "disabled"
check_eq "disabled: the kernel value set meanwhile stays" 1024 "$(ct sysctl -n net.core.somaxconn)"

if ct_reboot; then pass "power off and boot again"; else fail "power off and boot again" "$(tail -n 20 "$WORK/nspawn.log")"; fi
check_eq "after the boot: still disabled" disabled "$(ct systemctl is-enabled wstuned 2>&1)"
off "after the boot"
# a new network namespace starts with the kernel's default, as the container's does at boot
check_eq "after the boot: the kernel's own somaxconn (nothing applied)" "$(unshare -n cat /proc/sys/net/core/somaxconn)" \
        "$(ct sysctl -n net.core.somaxconn)"

check_rc "systemctl enable --now wstuned" 0 ct systemctl enable --now wstuned
check_eq "enabled again" enabled "$(ct systemctl is-enabled wstuned 2>&1)"
check_rc "active again, the profile applied" 0 wait_until 5 somaxconn_is 16384
check_rc "wstunectl status works again" 0 as_nobody wstunectl status
