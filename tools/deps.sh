#!/bin/bash
# deps.sh - install the Debian 12 packages wstuned needs to build, run its demo and its tests.
set -euo pipefail
PACKAGES=(
        build-essential meson ninja-build pkg-config         # build
        libsystemd-dev libcjson-dev libmnl-dev check        # libraries, Check unit tests
        systemd dbus-daemon dbus-bin polkitd                # journald, systemd-analyze, private bus, polkit
        iproute2 procps util-linux perl-base groff-base     # namespaces, sysctl, setpriv, test tools
        dpkg-dev debhelper debootstrap systemd-container    # .deb build, container system test
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
