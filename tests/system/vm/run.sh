#!/bin/bash
# run.sh - system test in a VM: the wstuned .deb installed offline into a Debian 12 image with Debian's
# own kernel (nf_conntrack is a module there, fs.* keys are really writable), booted under qemu in
# software emulation. A oneshot unit in the image runs tests/system/vm/scenarios/*.sh for each boot
# and reboots for the next phase; results come back over a 9p share (the serial log is the fallback).
#
# Usage: run.sh [DEB]       (without DEB: tools/build-deb.sh builds dist/wstuned_*_amd64.deb)
# Env:   WSTUNED_BUILD      build directory; the image cache and the last run live under it
#        WSTUNED_VM_TIMEOUT seconds qemu may run, all boots together (default 900)
#        WSTUNED_VM_KEEP=1  keep the run's root tree and disk image
#        WSTUNED_VM_SCENARIOS="00 30"  run only these scenarios (by number)
#        WSTUNED_VM_IMAGE=cloud  the cloud image: Debian's cloud-init in the image (NoCloud seed only),
#                           the scenarios of cloud-scenarios/ instead of scenarios/
# Exit:  0 all passed (expected failures allowed), 1 a FAIL or XPASS or an incomplete run,
#        77 skipped (not root, qemu or debootstrap missing).
set -uo pipefail

VM_SRC=$(cd "$(dirname "$0")" && pwd)
WSTUNED_SOURCE=${WSTUNED_SOURCE:-$(cd "$VM_SRC/../../.." && pwd)}
WSTUNED_BUILD=${WSTUNED_BUILD:-$WSTUNED_SOURCE/build}
export WSTUNED_BUILD
VM_TIMEOUT=${WSTUNED_VM_TIMEOUT:-}
# What goes into the cached image on top of the rootfs of tests/system/rootfs.sh. Changing this
# list or the recipe version makes a new cache entry. nftables and conntrack are in the rootfs too;
# they are named here because the scenarios need them (nft rules with ct state, conntrack -S, -C).
VM_PACKAGES="linux-image-amd64 udev kmod nftables conntrack"
VM_RECIPE=1
GUEST_LIB=/usr/local/lib/wstuned-vmtest
# The cloud image: the rootfs with cloud-init (as for the container test's 75-cloud-init), the same
# packages on top, its own scenarios (they boot "instances" of an image and need their own VM).
VM_IMAGE=${WSTUNED_VM_IMAGE:-plain}
VM_ROOTFS_EXTRA=
SCENARIO_DIR=$VM_SRC/scenarios
case $VM_IMAGE in
plain) ;;
cloud) VM_ROOTFS_EXTRA=cloud-init SCENARIO_DIR=$VM_SRC/cloud-scenarios ;;
*) echo "FAIL: WSTUNED_VM_IMAGE=$VM_IMAGE: plain or cloud"; exit 1 ;;
esac
# cloud-init's Python stages take a while under software emulation, in each of the cloud image's boots.
if [ -z "$VM_TIMEOUT" ]; then [ "$VM_IMAGE" = cloud ] && VM_TIMEOUT=1500 || VM_TIMEOUT=900; fi

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot, mkfs.ext4 -d)"
# The load generator the scenarios copy into the guest (Debian 12 there as here: it runs as built).
TCP_HOLD=$WSTUNED_BUILD/tests/tcp-hold
[ -x "$TCP_HOLD" ] || die "$TCP_HOLD is missing: build it first (ninja -C $WSTUNED_BUILD)"
for tool in qemu-system-x86_64:qemu-system-x86 debootstrap:debootstrap mkfs.ext4:e2fsprogs \
        unshare:util-linux timeout:coreutils; do
        command -v "${tool%%:*}" >/dev/null ||
                skip "${tool%%:*} is missing (apt-get install --no-install-recommends ${tool#*:})"
done

# The scenarios: all, or those whose number WSTUNED_VM_SCENARIOS lists ("00 30").
SCENARIOS=()
for f in "$SCENARIO_DIR"/[0-9]*.sh; do
        n=$(basename "$f")
        n=${n%%-*}
        if [ -z "${WSTUNED_VM_SCENARIOS:-}" ] || [[ " $WSTUNED_VM_SCENARIOS " == *" $n "* ]]; then SCENARIOS+=("$f"); fi
done
[ ${#SCENARIOS[@]} -gt 0 ] || die "no scenario matches WSTUNED_VM_SCENARIOS=${WSTUNED_VM_SCENARIOS:-}"

. "$WSTUNED_SOURCE/tests/system/rootfs.sh"
CACHE=${SYSTEM_CACHE:-$WSTUNED_BUILD/system-cache}
RUN=$WSTUNED_BUILD/system-vm
[ "$VM_IMAGE" = plain ] || RUN=$RUN-$VM_IMAGE
T_START=$EPOCHREALTIME
PHASES=()

# phase_done NAME START: remember how long NAME took since START ($EPOCHREALTIME).
phase_done() {
        PHASES+=("$(awk -v a="$2" -v b="$EPOCHREALTIME" -v n="$1" 'BEGIN { printf "%-34s %7.1f s", n, b - a }')")
}
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

QEMU_PID=
cleanup() {
        if [ -n "$QEMU_PID" ]; then
                kill "$QEMU_PID" 2>/dev/null && wait "$QEMU_PID" 2>/dev/null
        fi
        if [ "${WSTUNED_VM_KEEP:-0}" != 1 ]; then
                rm -rf "$RUN/root" "$RUN/disk.img"
        fi
        [ -n "${IMG_TMP:-}" ] && rm -rf "$IMG_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- 1. the package ----------------------------------------------------------------------------
t=$EPOCHREALTIME
DEB=${1:-}
if [ -z "$DEB" ]; then
        echo "# building the .deb (tools/build-deb.sh)"
        out=$("$WSTUNED_SOURCE/tools/build-deb.sh" 2>&1) || { printf '%s\n' "$out"; die "tools/build-deb.sh failed"; }
        DEB=$(printf '%s\n' "$out" | grep -E '/wstuned_[^/]*_amd64\.deb$' | tail -n 1)
fi
[ -f "$DEB" ] || die "no package: ${DEB:-tools/build-deb.sh printed no wstuned_*_amd64.deb}"
DEB=$(realpath "$DEB")
echo "# package: $DEB"
phase_done "package" "$t"

# ---- 2. the cached VM image: rootfs + kernel, initrd -------------------------------------------
# In a private mount namespace, so proc, sys and dev are mounted into the tree and nowhere else.
in_chroot() { # ROOT COMMAND (a shell command run in ROOT with proc, sys, dev mounted)
        unshare -m --propagation private bash -c '
                set -e
                root=$1
                mount -t proc proc "$root/proc"
                mount -t sysfs sys "$root/sys"
                mount --rbind /dev "$root/dev"
                chroot "$root" /bin/sh -c "$2"' _ "$1" "$2"
}

t=$EPOCHREALTIME
if [ -z "$VM_ROOTFS_EXTRA" ]; then
        key=$(printf '%s|%s|%s' "$SYSTEM_ROOTFS_PACKAGES" "$VM_PACKAGES" "$VM_RECIPE" | md5sum | cut -c1-12)
else
        key=$(printf '%s|%s|%s|%s' "$SYSTEM_ROOTFS_PACKAGES" "$VM_ROOTFS_EXTRA" "$VM_PACKAGES" "$VM_RECIPE" |
                md5sum | cut -c1-12)
fi
IMG=$CACHE/vm-$key
if [ -s "$IMG/rootfs.tar" ] && [ -s "$IMG/vmlinuz" ] && [ -s "$IMG/initrd.img" ] && [ -s "$IMG/kernel-version" ]; then
        echo "# VM image: cached in $IMG"
        phase_done "image (cached)" "$t"
else
        echo "# VM image: building into $IMG (once, ~2 min)"
        mkdir -p "$CACHE"
        IMG_TMP=$(mktemp -d "$CACHE/vm-build.XXXXXX")
        system_rootfs "$IMG_TMP/root" "$VM_ROOTFS_EXTRA" || die "debootstrap failed (see $CACHE/debootstrap.log)"
        phase_done "image: rootfs" "$t"
        t=$EPOCHREALTIME
        r=$IMG_TMP/root
        # No service may start inside the chroot.
        printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
        chmod 755 "$r/usr/sbin/policy-rc.d"
        if ! in_chroot "$r" "export DEBIAN_FRONTEND=noninteractive
                apt-get update -qq && apt-get install -y -qq --no-install-recommends $VM_PACKAGES && apt-get clean" \
                >"$IMG_TMP/apt.log" 2>&1; then
                tail -n 30 "$IMG_TMP/apt.log"
                die "apt-get install $VM_PACKAGES in the image failed"
        fi
        rm -f "$r/usr/sbin/policy-rc.d"
        rm -rf "$r"/var/lib/apt/lists/*
        kernel=$(ls "$r"/boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
        initrd=$(ls "$r"/boot/initrd.img-* 2>/dev/null | sort -V | tail -n 1)
        if [ -z "$kernel" ] || [ -z "$initrd" ]; then die "no kernel or initrd in the image's /boot"; fi
        echo '/dev/vda / ext4 defaults 0 1' >"$r/etc/fstab"
        echo wstuned-vm >"$r/etc/hostname"
        # Timers that would run apt at the first boot of a fresh image: noise, and no network anyway.
        for u in apt-daily.timer apt-daily-upgrade.timer; do ln -sf /dev/null "$r/etc/systemd/system/$u"; done
        basename "$kernel" >"$IMG_TMP/kernel-version"
        if ! { cp "$kernel" "$IMG_TMP/vmlinuz" && cp "$initrd" "$IMG_TMP/initrd.img" &&
                tar -C "$r" -cf "$IMG_TMP/rootfs.tar" .; }; then
                die "could not write the image into $IMG_TMP"
        fi
        # Into place last: an interrupted build leaves no half cache entry behind.
        rm -rf "$IMG" && mkdir -p "$IMG" &&
                mv "$IMG_TMP"/{vmlinuz,initrd.img,kernel-version,rootfs.tar} "$IMG/" || die "could not fill $IMG"
        rm -rf "$IMG_TMP"
        IMG_TMP=
        phase_done "image: $VM_PACKAGES" "$t"
fi

# ---- 3. this run's disk: image + package + test driver ------------------------------------------
# readme_block NAME: the code block after "<!-- system-test: NAME -->" in the README, as it is.
readme_block() {
        awk -v mark="<!-- system-test: $1 -->" '
                $0 == mark { found = 1; next }
                found == 1 && /^```/ { found = 2; next }
                found == 2 && /^```/ { exit }
                found == 2 { print }' "$WSTUNED_SOURCE/README.md"
}

# cloud_guest_setup ROOT: what the cloud image's scenarios need. cloud-init looks at the NoCloud seed
# only (no network here: -nic none), the first seed is the build VM's; the README's image recipe is in
# GUEST_LIB/readme/; a unit records this boot's values of the profiles' keys before wstuned starts.
cloud_guest_setup() {
        local r=$1 b
        mkdir -p "$r/var/lib/cloud/seed/nocloud" "$r/etc/cloud/cloud.cfg.d" "$r$GUEST_LIB/readme"
        printf 'instance-id: wstuned-build-vm\nlocal-hostname: wstuned-build-vm\n' >"$r/var/lib/cloud/seed/nocloud/meta-data"
        printf '#cloud-config\n' >"$r/var/lib/cloud/seed/nocloud/user-data"
        cat >"$r/etc/cloud/cloud.cfg.d/90-wstuned-vmtest.cfg" <<'CFG'
datasource_list: [ NoCloud ]
network: { config: disabled }
preserve_hostname: true
locale: C.UTF-8
CFG
        rm -f "$r/etc/cloud/cloud-init.disabled"
        for b in image-bake image-capture image-user-data image-user-data-runcmd; do
                readme_block "$b" >"$r$GUEST_LIB/readme/$b"
                [ -s "$r$GUEST_LIB/readme/$b" ] || die "README.md has no block <!-- system-test: $b -->"
        done
        cp "$VM_SRC/guest/wstuned-vmtest-before.service" "$r/etc/systemd/system/"
        mkdir -p "$r/etc/systemd/system/multi-user.target.wants"
        ln -sf /etc/systemd/system/wstuned-vmtest-before.service "$r/etc/systemd/system/multi-user.target.wants/"
}

t=$EPOCHREALTIME
rm -rf "$RUN"
mkdir -p "$RUN/root" "$RUN/out"
R=$RUN/root
tar -C "$R" -xf "$IMG/rootfs.tar" || die "could not unpack $IMG/rootfs.tar"
if [ "$VM_IMAGE" = plain ]; then
        cp "$DEB" "$R/var/tmp/wstuned.deb"
        if ! in_chroot "$R" "dpkg -i /var/tmp/wstuned.deb" >"$RUN/dpkg.log" 2>&1; then
                cat "$RUN/dpkg.log"
                die "dpkg -i $(basename "$DEB") in the image failed"
        fi
        rm -f "$R/var/tmp/wstuned.deb"
else
        # The cloud image: the package is installed by the README's bake commands in the first boot
        # (the build VM), from /var/tmp/bake.
        mkdir -p "$R/var/tmp/bake"
        cp "$DEB" "$R/var/tmp/bake/"
        cloud_guest_setup "$R"
fi
mkdir -p "$R$GUEST_LIB/scenarios" "$R/etc/wstuned/profiles"
cp "$WSTUNED_SOURCE/tests/integration/assert.sh" "$VM_SRC/guest/lib.sh" "$VM_SRC/guest/driver.sh" \
        "$VM_SRC/guest/record-before.sh" "$TCP_HOLD" \
        "$R$GUEST_LIB/"
for f in "${SCENARIOS[@]}"; do cp "$f" "$R$GUEST_LIB/scenarios/"; done
cp "$VM_SRC"/profiles/*.json "$R/etc/wstuned/profiles/"
chmod 755 "$R$GUEST_LIB/driver.sh"
cp "$VM_SRC/guest/wstuned-vmtest.service" "$R/etc/systemd/system/"
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/wstuned-vmtest.service "$R/etc/systemd/system/multi-user.target.wants/"
truncate -s 3G "$RUN/disk.img"
mkfs.ext4 -q -F -L wstuned-vm -d "$R" "$RUN/disk.img" || die "mkfs.ext4 -d failed"
[ "${WSTUNED_VM_KEEP:-0}" = 1 ] || rm -rf "$R"
phase_done "disk image (package, tests)" "$t"

# ---- 4. boot it --------------------------------------------------------------------------------
# Which (scenario, boot) pairs must report back: every bootN() a scenario defines.
declare -A WANT=()
for f in "${SCENARIOS[@]}"; do
        for b in $(sed -n 's/^boot\([0-9]\+\)() *{.*/\1/p' "$f"); do WANT["$(basename "$f" .sh) $b"]=1; done
done

# Software emulation only: the host's /dev/kvm hangs a stock Debian kernel (TESTBED.md). tb-size:
# with qemu 7.2's default 1 GiB translation cache, the second boot of the same qemu process ran about
# five times slower than the first (reboot 72-86 s instead of 17-20 s); 256 MiB keeps both fast.
t_qemu=$EPOCHREALTIME
echo "# qemu: $(cat "$IMG/kernel-version"), software emulation, timeout ${VM_TIMEOUT}s; serial log $RUN/serial.log"
TMPDIR=$RUN timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
        -accel tcg,thread=multi,tb-size=256 -cpu max -smp 2 -m 1536 -display none -no-user-config -nodefaults \
        -serial "file:$RUN/serial.log" -kernel "$IMG/vmlinuz" -initrd "$IMG/initrd.img" \
        -append "console=ttyS0 root=/dev/vda rw panic=-1" \
        -drive "file=$RUN/disk.img,format=raw,if=virtio,snapshot=on" \
        -virtfs "local,path=$RUN/out,mount_tag=out,security_model=none,id=out" \
        -nic none >"$RUN/qemu.log" 2>&1 &
QEMU_PID=$!

# The driver prints "wstuned-vmtest: begin boot N" and "... end boot N" on the serial console;
# note when each first shows up, for per-phase durations.
declare -A SEEN=()
marks=()
while kill -0 "$QEMU_PID" 2>/dev/null; do
        while read -r what n; do
                [ -n "${SEEN["$what $n"]:-}" ] && continue
                SEEN["$what $n"]=$EPOCHREALTIME
                marks+=("$what $n")
                echo "# $(secs "$t_qemu" "$EPOCHREALTIME") s: $what boot $n"
        done < <(grep -ao 'wstuned-vmtest: \(begin\|end\) boot [0-9]*' "$RUN/serial.log" 2>/dev/null |
                awk '{ print $2, $4 }')
        sleep 0.5
done
wait "$QEMU_PID"
qemu_rc=$?
QEMU_PID=
t_end=$EPOCHREALTIME
prev=$t_qemu prev_name="qemu start"
for m in "${marks[@]}"; do
        PHASES+=("$(printf '%-34s %7.1f s' "$prev_name -> $m" "$(secs "$prev" "${SEEN[$m]}")")")
        prev=${SEEN[$m]} prev_name=$m
done
PHASES+=("$(printf '%-34s %7.1f s' "$prev_name -> qemu exit" "$(secs "$prev" "$t_end")")")
PHASES+=("$(printf '%-34s %7.1f s' "qemu total" "$(secs "$t_qemu" "$t_end")")")

# ---- 5. results --------------------------------------------------------------------------------
if [ -s "$RUN/out/results.log" ]; then
        results=$(cat "$RUN/out/results.log")
        echo "# results from the 9p share ($RUN/out/results.log)"
else
        results=$(sed -n 's/^.*\[vmtest\] //p' "$RUN/serial.log" | tr -d '\r')
        echo "# no results on the 9p share; taken from the serial log"
fi
printf '%s\n' "$results"

count() { printf '%s\n' "$results" | grep -c "^$1: " || true; }
n_pass=$(count PASS) n_fail=$(count FAIL) n_xfail=$(count XFAIL) n_xpass=$(count XPASS) n_skip=$(count SKIP)
missing=()
while read -r name b; do
        # a here-string, not a pipe: grep -q may exit before printf is done (SIGPIPE under pipefail)
        grep -q "^### $name boot $b rc=" <<<"$results" || missing+=("$name (boot $b)")
done < <(printf '%s\n' "${!WANT[@]}" | sort -k2n -k1)
if [ ${#missing[@]} -gt 0 ]; then
        n_fail=$((n_fail + ${#missing[@]}))
        for m in "${missing[@]}"; do echo "FAIL: scenario $m did not run to its end"; done
        [ "$qemu_rc" = 124 ] && echo "      qemu was stopped after ${VM_TIMEOUT}s (WSTUNED_VM_TIMEOUT)"
        echo "      last lines of the serial log:"
        tail -n 25 "$RUN/serial.log" | sed 's/^/      | /'
fi

echo
echo "durations:"
printf '  %s\n' "${PHASES[@]}"
printf '  %-34s %7.1f s\n' "total" "$(secs "$T_START" "$EPOCHREALTIME")"
echo "vm: $n_pass passed, $n_fail failed, $n_xfail expected failures, $n_xpass unexpected passes, $n_skip skipped"
echo "   (logs: $RUN/serial.log, $RUN/out/)"
[ "$n_fail" = 0 ] && [ "$n_xpass" = 0 ] && [ "$n_pass" -gt 0 ]
