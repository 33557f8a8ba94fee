# shellcheck shell=bash
# rootfs.sh - a Debian 12 root file system for the system tests, made with debootstrap once and
# cached as a tarball under the build directory (rebuilt when missing or when the package list
# below changes). Source it, then: system_rootfs DIR  (unpacks a fresh copy into DIR).

SYSTEM_ROOTFS_PACKAGES=systemd,systemd-sysv,dbus,libpam-systemd,polkitd,iproute2,procps,conntrack,nftables,libmnl0,libcjson1,kmod

# The Debian mirror this machine's apt uses.
system_mirror() {
        local uri
        uri=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null)
        echo "${uri:-http://deb.debian.org/debian}"
}

# system_rootfs DIR: DIR gets a fresh copy of the cached rootfs. Needs root and debootstrap.
system_rootfs() {
        local dir=$1 cache_dir=${SYSTEM_CACHE:-$WSTUNED_BUILD/system-cache}
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
        mkdir -p "$dir"
        tar -C "$dir" -xf "$tarball"
}
