# shellcheck shell=bash
# rootfs.sh - a Debian 12 root file system for the system tests, made with debootstrap once and
# cached as a tarball under the build directory (rebuilt when missing or when the package list
# below changes). Source it, then: system_rootfs DIR [EXTRA]  (unpacks a fresh copy into DIR).

SYSTEM_ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,polkitd,iproute2,procps,conntrack,nftables,libmnl0,libcjson1,kmod
# Installed on top for the container test: container/75-cloud-init boots with Debian's cloud-init.
# (debootstrap --include cannot configure it: python3-cryptography fails in its first pass.)
SYSTEM_ROOTFS_CONTAINER_EXTRA="cloud-init"

# The Debian mirror this machine's apt uses.
system_mirror() {
        local uri
        uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
        echo "${uri:-http://deb.debian.org/debian}"
}

# system_rootfs DIR [EXTRA]: DIR gets a fresh copy of the cached rootfs. EXTRA (packages, space-separated)
# are installed on top with apt-get in a chroot, and that rootfs is cached as a tarball of its own. Needs
# root and debootstrap.
system_rootfs() {
        local dir=$1 extra=${2:-} cache_dir=${SYSTEM_CACHE:-$WSTUNED_BUILD/system-cache}
        local key
        key=$(printf '%s' "$SYSTEM_ROOTFS_PACKAGES" | md5sum | cut -c1-12)
        local tarball=$cache_dir/rootfs-bookworm-$key.tar
        mkdir -p "$cache_dir"
        if [ ! -s "$tarball" ]; then
                local tmp
                tmp=$(mktemp -d "$cache_dir/debootstrap.XXXXXX")
                echo "# debootstrap bookworm into the cache (once, ~1 min)" >&2
                if ! debootstrap --variant=minbase --include="$SYSTEM_ROOTFS_PACKAGES" bookworm "$tmp" \
                        "$(system_mirror)" >"$cache_dir/debootstrap.log" 2>&1; then
                        tail -20 "$cache_dir/debootstrap.log" >&2
                        rm -rf "$tmp"
                        return 1
                fi
                chmod 755 "$tmp" # mktemp -d makes it 0700, and tar keeps that mode for the guest's /
                tar -C "$tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
                rm -rf "$tmp"
        fi
        if [ -n "$extra" ]; then
                local base=$tarball
                key=$(printf '%s|%s' "$SYSTEM_ROOTFS_PACKAGES" "$extra" | md5sum | cut -c1-12)
                tarball=$cache_dir/rootfs-bookworm-$key.tar
                [ -s "$tarball" ] || system_rootfs_extra "$base" "$tarball" "$extra" || return 1
        fi
        mkdir -p "$dir"
        tar -C "$dir" -xf "$tarball"
}

# system_rootfs_extra BASE TARBALL PACKAGES: BASE's rootfs with PACKAGES installed, as TARBALL (~1 min).
system_rootfs_extra() {
        local base=$1 tarball=$2 extra=$3 tmp log=${2%.tar}.log
        tmp=$(mktemp -d "${tarball%/*}/extra.XXXXXX")
        echo "# installing $extra into a copy of the cached rootfs (once, ~1 min)" >&2
        tar -C "$tmp" -xf "$base"
        # No service may start in the chroot; proc, sys and dev are mounted in a mount namespace of its own.
        printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
        chmod 755 "$tmp/usr/sbin/policy-rc.d"
        # shellcheck disable=SC2016 # expanded by the inner shell
        if ! unshare -m --propagation private bash -c '
                set -e
                mount -t proc proc "$1/proc"
                mount -t sysfs sys "$1/sys"
                mount --rbind /dev "$1/dev"
                chroot "$1" /bin/sh -c "export DEBIAN_FRONTEND=noninteractive
                        apt-get update -qq && apt-get install -y -qq --no-install-recommends $2 && apt-get clean"' \
                _ "$tmp" "$extra" >"$log" 2>&1; then
                tail -n 20 "$log" >&2
                rm -rf --one-file-system "$tmp"
                return 1
        fi
        rm -f "$tmp/usr/sbin/policy-rc.d"
        rm -rf "$tmp"/var/lib/apt/lists/*
        tar -C "$tmp" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
        rm -rf --one-file-system "$tmp"
}
