#!/bin/bash
# deps.sh - install the Debian 12 packages wstuned needs to build, run its demo and its tests.
set -euo pipefail
PACKAGES=(
        build-essential meson ninja-build pkg-config         # build
        libsystemd-dev libcjson-dev libmnl-dev check        # libraries, Check unit tests
        systemd dbus-daemon dbus-bin polkitd                # journald, systemd-analyze, private bus, polkit
        iproute2 procps util-linux perl-base groff-base     # namespaces, sysctl, setpriv, test tools
        conntrack nftables                                  # pressure test: conntrack in the test's netns
        valgrind                                            # memcheck stage (meson test --setup valgrind)
        dpkg-dev debhelper debootstrap systemd-container    # .deb build, container system test
        qemu-system-x86 e2fsprogs                           # VM system test (software emulation)
        clang libclang-rt-dev                               # fuzz targets: clang and libFuzzer's runtime
)
missing=()
for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        echo "# installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# promtool, for the unit test that lints the metrics file (tests/unit/test-promtool.sh). Debian ships it only
# in the prometheus package, whose installation would start a Prometheus server: take the one binary out of
# the .deb instead. Not fatal: without it that test says SKIP.
TOOLS_CACHE=/var/cache/wstuned-tools
if [ ! -x "$TOOLS_CACHE/bin/promtool" ]; then
        echo "# fetching promtool from the prometheus .deb into $TOOLS_CACHE/bin"
        mkdir -p "$TOOLS_CACHE/bin"
        dl=$(mktemp -d "$TOOLS_CACHE/download.XXXXXX")
        chown _apt "$dl" 2>/dev/null || true # apt downloads as _apt when it can
        if (cd "$dl" && { apt-get download -qq prometheus 2>/dev/null ||
                          { apt-get update -qq && apt-get download -qq prometheus; }; }) &&
           dpkg-deb --fsys-tarfile "$dl"/prometheus_*.deb | tar -x -C "$dl" ./usr/bin/promtool &&
           "$dl/usr/bin/promtool" --version >/dev/null 2>&1; then
                mv "$dl/usr/bin/promtool" "$TOOLS_CACHE/bin/promtool"
        else
                echo "# promtool not fetched: the promtool test will SKIP" >&2
        fi
        rm -rf "$dl"
fi
