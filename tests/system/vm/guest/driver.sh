#!/bin/bash
# driver.sh - the VM system test's driver, run by wstuned-vmtest.service in every boot of the VM.
# Boot N runs the function bootN of every scenario (scenarios/NN-*.sh, in name order) that defines
# one, each in its own bash, and sends every line to the 9p share (results.log) and the serial
# console. Then it reboots when some scenario defines boot(N+1), else it powers the VM off.
# The boot counter lives on the root file system: qemu's snapshot=on keeps it across the reboot.
set -u
LIB=/usr/local/lib/wstuned-vmtest
STATE=/var/lib/wstuned-vmtest
OUT=/run/wstuned-vmtest-out
MAX_BOOTS=5

mkdir -p "$STATE" "$OUT"
boot=$(($(cat "$STATE/boot" 2>/dev/null || echo 0) + 1))
echo "$boot" >"$STATE/boot"
sync

console() { printf '[vmtest] %s\n' "$1" >/dev/console; }
# Every result line goes to both channels.
emit() {
        printf '%s\n' "$1" >>"$OUT/results.log"
        console "$1"
}

echo "wstuned-vmtest: begin boot $boot (uptime $(cut -d' ' -f1 /proc/uptime) s)" >/dev/console
if ! mount -t 9p -o trans=virtio,version=9p2000.L out "$OUT" 2>"$STATE/9p.err"; then
        console "9p share not mounted ($(cat "$STATE/9p.err")): results on the serial console only"
fi
emit "## boot $boot: kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime) s at the driver's start"

next=0
for f in "$LIB"/scenarios/[0-9]*.sh; do
        name=$(basename "$f" .sh)
        grep -q "^boot$((boot + 1))()" "$f" && next=1
        grep -q "^boot$boot()" "$f" || continue
        emit "## boot $boot: $name"
        mkdir -p "$STATE/$name"
        start=$EPOCHREALTIME
        # A scenario gets: BOOT, SCENARIO, SCENARIO_STATE (a directory that survives the reboot)
        # and VMTEST_OUT (the share, for artifacts). A hung scenario is stopped after 5 minutes.
        # The last line, "@@finished", tells a scenario that ran to its end from one that died on the
        # way (set -u, exit, timeout): the latter gets a FAIL even when it printed none.
        rm -f "$STATE/$name/finished"
        BOOT=$boot SCENARIO=$name SCENARIO_STATE=$STATE/$name VMTEST_OUT=$OUT \
                timeout 300 bash -c '. "$1/lib.sh" && . "$2" && "boot$3"; test_finish; r=$?; echo @@finished; exit $r' \
                _ "$LIB" "$f" "$boot" </dev/null 2>&1 |
                while IFS= read -r line; do
                        if [ "$line" = @@finished ]; then touch "$STATE/$name/finished"; else emit "$line"; fi
                done
        rc=${PIPESTATUS[0]}
        emit "### $name boot $boot rc=$rc ($(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
        [ -e "$STATE/$name/finished" ] ||
                emit "FAIL: $name boot $boot did not run to its end (exit status $rc; 124 is the 300 s timeout)"
done

journalctl -b --no-pager -o short-monotonic >"$OUT/journal-boot$boot.txt" 2>&1
if [ "$next" = 1 ] && [ "$boot" -lt "$MAX_BOOTS" ]; then
        action=reboot
else
        action=poweroff
fi
echo "wstuned-vmtest: end boot $boot ($action)" >/dev/console
sync
umount "$OUT" 2>/dev/null
systemctl --no-block "$action"
