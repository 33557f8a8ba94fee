#!/bin/bash
# demo.sh - install dependencies, build, and show wstuned tuning a sandbox: the real daemon on a
# private system bus, inside a throwaway network namespace, applying ws-server. Needs root; the
# host's own sysctls and /etc are not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "tools/demo.sh: run as root (sudo tools/demo.sh)" >&2; exit 2; }
tools/deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
export WSTUNED_BUILD=$PWD/build WSTUNED_SOURCE=$PWD
exec bash tools/demo-sandbox.sh
