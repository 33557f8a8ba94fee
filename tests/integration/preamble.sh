# shellcheck shell=bash
# preamble.sh - common start of every integration test: SKIP when the sandbox cannot run here,
# otherwise enter a private mount namespace, start the sandbox and the daemon.
# Usage (first lines of a test):  . "$(dirname "$0")/preamble.sh" "$0" "$@"
set -u
TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WSTUNED_BUILD:?set WSTUNED_BUILD to the build directory (meson test does)}"
. "$TEST_DIR/sandbox.sh"
. "$TEST_DIR/assert.sh"

why=$(sandbox_cannot_run)
[ -z "$why" ] || skip_test "$why"
[ -x "$WSTUNED_BUILD/client/wstunectl" ] || skip_test "wstunectl not built"

if [ -z "${SB_IN_MOUNT_NS:-}" ]; then
        HOST_BEFORE=$(host_sysctl_snapshot)
        export HOST_BEFORE
fi
sandbox_reexec "$@"
sandbox_start || { echo "FAIL: sandbox did not start"; exit 1; }

# Call last: the host's own keys must be exactly as before, and the daemon's stderr must hold no
# sanitizer report (under ASan/UBSan builds the daemon runs in the background).
check_host_unchanged() {
        check_eq "host sysctls unchanged" "$HOST_BEFORE" "$(host_sysctl_snapshot)"
        check_no_match "no sanitizer report from wstuned" "Sanitizer|runtime error:" "$(cat "$SB/wstuned.log" 2>/dev/null)"
        if [ -n "${WSTUNED_WRAPPER:-}" ]; then
                # memcheck reports leaks when the daemon exits: stop it, then read what every run of it said
                local rc=0
                wstuned_stop || rc=$?
                [ "$rc" != 99 ] && pass "memcheck: the daemon exits without errors" || fail "memcheck: errors (exit 99)"
                check_no_match "memcheck: no report in wstuned.log" \
                        "definitely lost|indirectly lost|Invalid (read|write|free)|uninitialised|Mismatched free" \
                        "$(cat "$SB/wstuned.log" 2>/dev/null)"
        fi
}

# The MESSAGE_ID of a kind of journal entry (daemon/journal.h), e.g. id_of DRIFT_CORRECTED.
id_of() { sed -n "s/^#define WSTUNED_MESSAGE_$1 \"\([0-9a-f]*\)\"/\1/p" "$WSTUNED_SOURCE/daemon/journal.h"; }
# within SECONDS CMD...: run CMD every 50 ms until it succeeds; fails after SECONDS.
within() {
        local deadline=$((SECONDS + $1))
        shift
        until "$@"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}

bus_call() { busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "$@"; }
bus_prop() { busctl --system get-property io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "$@"; }
# dbus-send prints the D-Bus error name, which busctl does not.
bus_send() {
        local method=$1
        shift
        dbus-send --system --print-reply --dest=io.wstune.wstuned1 /io/wstune/wstuned1 \
                "io.wstune.wstuned1.Manager.$method" "$@"
}
