# shellcheck shell=bash
# sandbox.sh - a throwaway world for the real wstuned binary, shared by the integration tests, the
# demo and the benchmarks. Source it, then call sandbox_start.
#
# What it builds (nothing on the host changes):
#   - a private mount namespace (the calling script re-executes itself in one), with a tmpfs on /run;
#   - systemd-journald on that /run, storing into $SB/journal (read it with `journalctl -D`);
#   - a private dbus-daemon of type "system" that loads the project's own busconfig, at
#     $SB/system_bus_socket, exported as DBUS_SYSTEM_BUS_ADDRESS;
#   - a fresh network namespace held by a sleeping process ($SB_NS_PID), so per-namespace net.* keys
#     are real kernel sysctls there and survive daemon restarts;
#   - a file tree $SB/root for /etc, /var and the shipped profiles (wstuned --root).
#
# Needs root (namespaces, journald). Callers SKIP (exit 77) when sandbox_can_run says no.
#
# Variables the caller may set before sandbox_start:
#   WSTUNED_BUILD   build directory with daemon/wstuned and client/wstunectl (required)
#   WSTUNED_SOURCE  source tree (default: two levels above this file)
#   SB_JOURNAL=0    do not start journald (wstuned logs to stderr then)
#   SB_PID_NS=1     also a PID namespace with its own /proc (set before sandbox_reexec): the daemon then
#                   sees only the sandbox's processes, not, say, another test's fake dockerd running
#                   at the same time on this host

SB_SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WSTUNED_SOURCE:=$(cd "$SB_SELF_DIR/../.." && pwd)}"
: "${SB_JOURNAL:=1}"
: "${SB_PID_NS:=0}"

# Prints why the sandbox cannot run here, or nothing.
sandbox_cannot_run() {
        [ "$(id -u)" = 0 ] || { echo "needs root (namespaces, private journald)"; return; }
        command -v dbus-daemon >/dev/null || { echo "dbus-daemon not installed"; return; }
        command -v busctl >/dev/null || { echo "busctl not installed"; return; }
        unshare -n true 2>/dev/null || { echo "cannot create network namespaces here"; return; }
        unshare -m true 2>/dev/null || { echo "cannot create mount namespaces here"; return; }
        if [ "$SB_PID_NS" = 1 ] && ! unshare -m -p -f --mount-proc true 2>/dev/null; then
                echo "cannot create PID namespaces here"
                return
        fi
        if [ "$SB_JOURNAL" = 1 ] && [ ! -x /lib/systemd/systemd-journald ]; then
                echo "systemd-journald not installed"
                return
        fi
}

# Re-run the calling script in a private mount namespace (once). Usage: sandbox_reexec "$0" "$@"
sandbox_reexec() {
        if [ -z "${SB_IN_MOUNT_NS:-}" ]; then
                export SB_IN_MOUNT_NS=1
                if [ "$SB_PID_NS" = 1 ]; then
                        exec unshare -m --propagation private -p -f --mount-proc -- "$BASH" "$@"
                fi
                exec unshare -m --propagation private -- "$BASH" "$@"
        fi
}

sb_log() { printf '# %s\n' "$*" >&2; }

sandbox_start() {
        [ -n "${SB_IN_MOUNT_NS:-}" ] || { echo "sandbox_start: call sandbox_reexec first" >&2; return 1; }
        [ -x "$WSTUNED_BUILD/daemon/wstuned" ] || { echo "no wstuned in WSTUNED_BUILD=$WSTUNED_BUILD" >&2; return 1; }

        SB=$(mktemp -d /tmp/wstuned-sandbox.XXXXXX)
        chmod 755 "$SB"
        SB_PIDS=()
        trap sandbox_stop EXIT

        mount -t tmpfs -o mode=755 tmpfs /run
        if [ "$SB_JOURNAL" = 1 ]; then
                sandbox_start_journald
        fi
        sandbox_start_bus

        # The network namespace, kept alive by a process of its own.
        unshare -n sleep infinity &
        SB_NS_PID=$!
        SB_PIDS+=("$SB_NS_PID")
        for _ in $(seq 50); do
                [ "$(readlink /proc/$SB_NS_PID/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
                sleep 0.02
        done
        in_ns ip link set lo up

        # The file tree: settings and shipped profiles.
        SB_ROOT=$SB/root
        mkdir -p "$SB_ROOT/etc/wstuned/profiles" "$SB_ROOT/usr/share/wstuned/profiles" "$SB_ROOT/var/lib"
        cp "$WSTUNED_SOURCE"/profiles/*.json "$SB_ROOT/usr/share/wstuned/profiles/"
        cp "$WSTUNED_SOURCE/units/wstuned.json" "$SB_ROOT/etc/wstuned/wstuned.json"
        export SB SB_ROOT SB_NS_PID
}

sandbox_start_journald() {
        mkdir -p /run/systemd/journal /run/systemd/journald.conf.d /run/log/journal "$SB/journal"
        mount --bind "$SB/journal" /run/log/journal
        # A drop-in on our private /run overrides the host's journald.conf without touching /etc.
        cat >/run/systemd/journald.conf.d/sandbox.conf <<'CONF'
[Journal]
Storage=volatile
ReadKMsg=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
CONF
        /lib/systemd/systemd-journald >"$SB/journald.log" 2>&1 &
        SB_PIDS+=("$!")
        for _ in $(seq 100); do
                [ -S /run/systemd/journal/socket ] && return 0
                sleep 0.02
        done
        echo "journald did not start:" >&2
        cat "$SB/journald.log" >&2
        return 1
}

sandbox_start_bus() {
        mkdir -p "$SB/bus.d"
        cp "$WSTUNED_SOURCE/policy/io.wstune.wstuned1.conf" "$SB/bus.d/"
        if [ -f /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf ]; then
                cp /usr/share/dbus-1/system.d/org.freedesktop.PolicyKit1.conf "$SB/bus.d/"
        fi
        cat >"$SB/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$SB/system_bus_socket</listen>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <policy user="root">
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <includedir>$SB/bus.d</includedir>
</busconfig>
CONF
        dbus-daemon --config-file="$SB/bus.conf" --nofork --nopidfile --print-address=1 \
                >"$SB/bus.address" 2>"$SB/dbus.log" &
        SB_BUS_PID=$!
        SB_PIDS+=("$SB_BUS_PID")
        export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$SB/system_bus_socket
        for _ in $(seq 100); do
                [ -S "$SB/system_bus_socket" ] && return 0
                sleep 0.02
        done
        echo "dbus-daemon did not start:" >&2
        cat "$SB/dbus.log" >&2
        return 1
}

# Run a command in the sandbox's network namespace.
in_ns() { nsenter -t "$SB_NS_PID" -n -- "$@"; }

# Start wstuned in the namespace with the sandbox's file tree; waits until it owns its bus name.
# Extra arguments go to wstuned.
wstuned_start() {
        local log_target=journal
        [ "$SB_JOURNAL" = 1 ] || log_target=stderr
        # WSTUNED_WRAPPER: a command the daemon runs under (memcheck, see tests/valgrind.sh); word-split on purpose
        # shellcheck disable=SC2086
        nsenter -t "$SB_NS_PID" -n -- ${WSTUNED_WRAPPER:-} "$WSTUNED_BUILD/daemon/wstuned" --root="$SB_ROOT" \
                --profiles-dir="$SB_ROOT/usr/share/wstuned/profiles" \
                --log-target="$log_target" "$@" >>"$SB/wstuned.log" 2>&1 &
        WSTUNED_PID=$!
        export WSTUNED_PID
        local tries=250 # 5 s; memcheck starts the daemon about 20 times slower
        [ -z "${WSTUNED_WRAPPER:-}" ] || tries=1500
        for _ in $(seq "$tries"); do
                if busctl --system status io.wstune.wstuned1 >/dev/null 2>&1; then
                        return 0
                fi
                if ! kill -0 "$WSTUNED_PID" 2>/dev/null; then
                        echo "wstuned exited during start:" >&2
                        cat "$SB/wstuned.log" >&2
                        return 1
                fi
                sleep 0.02
        done
        echo "wstuned did not take its bus name in $((tries / 50)) s" >&2
        return 1
}

# Stop wstuned with SIGTERM and return its exit status.
wstuned_stop() {
        [ -n "${WSTUNED_PID:-}" ] || return 0
        kill -TERM "$WSTUNED_PID" 2>/dev/null
        local rc=0
        wait "$WSTUNED_PID" || rc=$?
        WSTUNED_PID=
        return "$rc"
}

wstunectl() { "$WSTUNED_BUILD/client/wstunectl" "$@"; }

# Run a command as an unprivileged user, keeping DBUS_SYSTEM_BUS_ADDRESS.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# journalctl on the sandbox's journal.
sb_journal() { journalctl -D "$SB/journal" --no-pager "$@"; }

sandbox_stop() {
        local rc=$?
        wstuned_stop >/dev/null 2>&1 || true
        for pid in "${SB_PIDS[@]}"; do
                kill "$pid" 2>/dev/null || true
        done
        wait 2>/dev/null || true
        if [ -n "${SB_KEEP:-}" ]; then
                echo "# sandbox kept in $SB" >&2
        else
                rm -rf "$SB"
        fi
        return "$rc"
}
