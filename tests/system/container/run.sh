#!/bin/bash
# run.sh - the container system test: the Debian package, built from this checkout, installed into
# a booted Debian 12 container (systemd-nspawn with a private network) and checked from outside with
# nsenter, on the container's real systemd, D-Bus, polkit and journald.
#
# The scenarios are the NN-*.sh files next to this script, sourced in order on one container;
# tests/system/README.md says what each may assume and which helpers it has.
#
# Usage: run.sh [DEB]   (DEB: a wstuned_*.deb; without it the package is built with the README's
#                        build command, tools/build-deb.sh)
# Environment: WSTUNED_SOURCE, WSTUNED_BUILD (meson test sets both),
#   WSTUNED_SYSTEM_SCENARIOS="10 40"   run only the scenarios with these number prefixes,
#   WSTUNED_SYSTEM_KEEP=1              keep the work directory (rootfs, logs) for a post mortem,
#   WSTUNED_UPGRADE_FROM=REV           85-upgrade upgrades from the package of git revision REV (built
#                                      with its own tools/build-deb.sh) instead of this tree built as
#                                      an older version.
set -u
CT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WSTUNED_SOURCE:=$(cd "$CT_DIR/../../.." && pwd)}"
: "${WSTUNED_BUILD:=$WSTUNED_SOURCE/build}"
# shellcheck source=tests/integration/assert.sh
. "$WSTUNED_SOURCE/tests/integration/assert.sh" || exit 1
# shellcheck source=tests/system/rootfs.sh
. "$CT_DIR/../rootfs.sh" || exit 1

[ "$(id -u)" = 0 ] || skip_test "container system test: needs root (debootstrap, systemd-nspawn, nsenter)"
for tool in debootstrap systemd-nspawn nsenter; do
        command -v "$tool" >/dev/null || skip_test "container system test: $tool is not installed (tools/deps.sh installs it)"
done

now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# ---- helpers for the scenarios ------------------------------------------------------------------

CT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# ct CMD...: run CMD as root in the container (all its namespaces, its root), with a clean
# environment; at most CT_TIMEOUT seconds.
ct() {
        timeout -k 5 "${CT_TIMEOUT:-120}" nsenter -t "$LEADER" -a \
                env -i PATH="$CT_PATH" HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
# ct_sh 'SHELL LINE': one shell command line in the container.
ct_sh() { ct bash -c "$1" </dev/null; }
# as_nobody CMD...: CMD in the container as the unprivileged user nobody.
as_nobody() { ct setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
ct_bus_call() { ct busctl call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "$@"; }
ct_bus_prop() { ct busctl get-property io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "$@"; }
ct_journal() { ct journalctl --no-pager "$@"; }
ct_unit_prop() { ct systemctl show -P "$2" "$1"; }

# ct_console: what the container's console showed in the current boot, without colours and carriage
# returns. PID 1's messages from before journald runs (the boot transaction's) are there only: a container
# has no kernel log for journald to read them back from.
ct_console() { sed -n "/^--- boot $CT_BOOTS\$/,\$p" "$WORK/nspawn.log" | sed 's/\x1b\[[0-9;]*m//g; s/\r//g'; }

not() { ! "$@"; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s until it succeeds; fails after SECONDS.
wait_until() {
        local deadline=$((SECONDS + $1))
        shift
        until "$@" >/dev/null 2>&1; do
                [ "$SECONDS" -lt "$deadline" ] || return 1
                sleep 0.2
        done
}

# The MESSAGE_IDs from daemon/journal.h: journal_id KEY_CHANGED -> 32 hex digits.
journal_ids() { sed -n 's/^#define WSTUNED_MESSAGE_\([A-Z_]*\) "\([0-9a-f]\{32\}\)"/\1 \2/p' "$WSTUNED_SOURCE/daemon/journal.h"; }
journal_id() { journal_ids | awk -v k="$1" '$1 == k { print $2 }'; }

# readme_block NAME: the command lines of the fenced block that follows the line
# "<!-- system-test: NAME -->" in README.md (blank lines and comment lines left out).
readme_block() {
        awk -v mark="<!-- system-test: $1 -->" '
                $0 == mark { found = 1; next }
                found == 1 && /^```/ { found = 2; next }
                found == 2 && /^```/ { exit }
                found == 2 && !/^[ \t]*(#.*)?$/ { print }' "$WSTUNED_SOURCE/README.md"
}

nspawn_running() {
        [ -n "${NSPAWN:-}" ] || return 1
        local state
        state=$(awk '{ print $3 }' "/proc/$NSPAWN/stat" 2>/dev/null) || return 1
        [ -n "$state" ] && [ "$state" != Z ]
}

# ct_boot: boot the container, set LEADER (its PID 1 seen from here), wait until it is up (at most
# CT_BOOT_WAIT seconds, default 30).
ct_boot() {
        local state t0
        t0=$(now)
        CT_BOOTS=$((CT_BOOTS + 1))
        echo "--- boot $CT_BOOTS" >>"$WORK/nspawn.log"
        # --private-network is what makes /proc/sys/net the container's own: never leave it out.
        systemd-nspawn -b -D "$ROOT" -M "$CT_NAME" --register=no --keep-unit --private-network \
                --console=read-only </dev/null >>"$WORK/nspawn.log" 2>&1 &
        NSPAWN=$!
        LEADER=
        # nspawn's first child is a short-lived helper; the container's PID 1 is the child running systemd.
        for _ in $(seq 100); do
                LEADER=$(pgrep -P "$NSPAWN" -x systemd) && break
                LEADER=
                nspawn_running || break
                sleep 0.1
        done
        if [ -z "$LEADER" ]; then
                echo "# the container did not start:"
                tail -n 20 "$WORK/nspawn.log"
                return 1
        fi
        for _ in $(seq $((${CT_BOOT_WAIT:-30} * 5))); do
                state=$(ct systemctl is-system-running 2>/dev/null)
                case $state in running | degraded) break ;; esac
                sleep 0.2
        done
        case $state in
        running) ;;
        degraded) echo "# booted degraded:"; ct systemctl --failed --no-legend ;;
        *)
                echo "# boot did not finish (state: $state); jobs:"
                ct systemctl list-jobs --no-legend
                return 1
                ;;
        esac
        echo "# container booted ($(since "$t0") s, PID 1 is $LEADER here)"
}

# ct_poweroff: power the container off and wait for nspawn. If that hangs, SIGKILL the container's
# PID 1, which ends its whole PID namespace (killing only nspawn would leave orphans). Returns 1
# when the clean power-off did not work.
ct_poweroff() {
        local rc=0 deadline=$((SECONDS + 30))
        nspawn_running || { NSPAWN='' LEADER=''; return 0; }
        CT_TIMEOUT=15 ct systemctl poweroff >/dev/null 2>&1
        while nspawn_running && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
        if nspawn_running; then
                rc=1
                echo "# power-off hangs: killing the container's PID 1 ($LEADER)"
                [ -n "${LEADER:-}" ] && kill -KILL "$LEADER" 2>/dev/null
                for _ in $(seq 50); do nspawn_running || break; sleep 0.2; done
                nspawn_running && kill -KILL "$NSPAWN" 2>/dev/null
        fi
        wait "$NSPAWN" 2>/dev/null
        NSPAWN='' LEADER=''
        return $rc
}

# ct_reboot: power off, then boot again (a new LEADER); returns 1 when either step failed.
ct_reboot() {
        local rc=0
        ct_poweroff || rc=1
        ct_boot || return 1
        return $rc
}

# ---- setup --------------------------------------------------------------------------------------

T0=$(now)
CT_BOOTS=0 NSPAWN='' LEADER=''
CT_NAME=wstuned-test-$$
mkdir -p "$WSTUNED_BUILD"
avail=$(df -Pk "$WSTUNED_BUILD" | awk 'NR == 2 { print $4 }')
if [ "${avail:-0}" -lt $((1024 * 1024)) ]; then
        echo "FAIL: less than 1 GiB free under $WSTUNED_BUILD for the rootfs"
        exit 1
fi
WORK=$(mktemp -d "$WSTUNED_BUILD/system-ct.XXXXXX")
ROOT=$WORK/root

cleanup() {
        local rc=$?
        trap - EXIT INT TERM
        ct_poweroff >/dev/null 2>&1
        if [ -n "${WSTUNED_SYSTEM_KEEP:-}" ]; then
                echo "# kept $WORK"
        else
                rm -rf --one-file-system "$WORK"
        fi
        exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

HOST_BEFORE=$(host_sysctl_snapshot)
# nf_conntrack_max is global: the container reads the host's value and cannot write it, so what
# the profiles' at-least rules give depends on the host (as in tests/integration/test-apply.sh).
HOST_CT_MAX=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo 0)
if [ "$HOST_CT_MAX" -ge 262144 ]; then SERVER_RC=0; else SERVER_RC=1; fi # ws-server: >= 262144
if [ "$HOST_CT_MAX" -ge 200000 ]; then CLIENT_RC=0; else CLIENT_RC=1; fi # ws-client: >= 200000
echo "# host nf_conntrack_max $HOST_CT_MAX: apply/verify ws-server exit $SERVER_RC, ws-client exit $CLIENT_RC"

# The package: given, or built on this host with the first line of the README's install block.
t=$(now)
if [ $# -gt 0 ]; then
        DEB=$(realpath "$1")
else
        build_cmd=$(readme_block install | head -n 1)
        echo "# building the package: $build_cmd"
        if ! (cd "$WSTUNED_SOURCE" && bash -c "$build_cmd") >"$WORK/build-deb.log" 2>&1; then
                fail "package build: $build_cmd" "$(tail -n 30 "$WORK/build-deb.log")"
                exit 1
        fi
        DEB=$(ls -t "$WSTUNED_SOURCE"/dist/wstuned_*.deb 2>/dev/null | head -n 1)
fi
[ -f "${DEB:-}" ] || { fail "package to test" "no .deb found (${DEB:-none})"; exit 1; }
case ${DEB##*/} in wstuned_*.deb) ;; *) fail "package to test" "$DEB: the README's commands need wstuned_*.deb"; exit 1 ;; esac
echo "# package: $DEB ($(since "$t") s)"

t=$(now)
if ! system_rootfs "$ROOT" "$SYSTEM_ROOTFS_CONTAINER_EXTRA"; then
        fail "rootfs (debootstrap, see $WSTUNED_BUILD/system-cache/debootstrap.log)"
        exit 1
fi
# The tarball's top directory comes from a mktemp -d (mode 0700): "/" must be 0755 or no service
# running as its own user (dbus-daemon, polkitd) can reach any file.
chmod 0755 "$ROOT"
# cloud-init is in the rootfs for 75-cloud-init, which turns it on for its boot; the other boots go
# without it (looking for a cloud, it could wait for a metadata server that is not there).
touch "$ROOT/etc/cloud/cloud-init.disabled"
# The README's commands are for a person at a terminal; here nobody answers apt's questions.
cat >"$ROOT/etc/apt/apt.conf.d/90wstuned-system-test" <<'APT'
APT::Get::Assume-Yes "true";
Dpkg::Use-Pty "false";
APT
# The .deb goes where the README's "./dist/wstuned_*.deb" finds it when run in /var/tmp
# (nspawn mounts a tmpfs on the container's /tmp).
mkdir -p "$ROOT/var/tmp/dist"
cp "$DEB" "$ROOT/var/tmp/dist/"
echo "# rootfs ready in $ROOT ($(since "$t") s)"

ct_boot || { fail "container boots"; exit 1; }

# ---- scenarios ----------------------------------------------------------------------------------

# Sourced inside a function, so a scenario may use "local".
# shellcheck disable=SC1090
run_scenario() { . "$1"; }

declare -a timings
for scenario in "$CT_DIR"/[0-9][0-9]-*.sh; do
        name=$(basename "$scenario" .sh)
        if [ -n "${WSTUNED_SYSTEM_SCENARIOS:-}" ] && ! [[ " $WSTUNED_SYSTEM_SCENARIOS " == *" ${name%%-*} "* ]]; then
                continue
        fi
        echo "=== $name"
        t=$(now)
        failed_before=$T_FAILED
        run_scenario "$scenario"
        timings+=("$name $(since "$t") s")
        echo "=== $name: $(since "$t") s, $((T_FAILED - failed_before)) failed"
        if ! nspawn_running; then
                fail "container running after $name"
                ct_boot || break
        fi
done

if [ "$T_FAILED" -gt 0 ] && nspawn_running; then
        echo "# wstuned's journal of this boot:"
        ct_journal -b -u wstuned -n 40
fi
ct_poweroff || fail "the container powers off cleanly at the end"
check_eq "host sysctls unchanged" "$HOST_BEFORE" "$(host_sysctl_snapshot)"

echo "# timings: ${timings[*]/%/;} total $(since "$T0") s"
test_finish
