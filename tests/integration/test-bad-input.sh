#!/bin/bash
# test-bad-input.sh - every method of the bus API called with bad input: wrong signatures, too many and
# too long arguments (up to a 32 MB message), unknown flag bits, empty, huge and malformed names, NaN and
# infinite doubles, unknown methods, interfaces, objects and properties, read-only properties written,
# and strings that are not UTF-8 or hold a NUL. Each call in the table gets exactly the error it names;
# after each one the daemon still answers Ping and Verify, and nothing changed: the state file, the files
# under /etc and the namespace's sysctls are what they were before the table. At the end the daemon's
# memory is back to its working size.
#
# The calls are made with tests/bus-call, which prints the error's name (busctl prints only the message;
# dbus-send cannot build a{sv} arguments or 1 MB strings). busctl can send NaN and infinities as well
# (`busctl call ... Plan usa{sv} 15000 server 1 ramp d nan`). A string that is not UTF-8 or holds a NUL
# cannot be sent by any sd-bus or libdbus client: bus-call writes such a message by hand on a raw
# connection, and the broker must drop that connection without passing the message on.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

BC=$WSTUNED_BUILD/tests/bus-call
[ -x "$BC" ] || skip_test "tests/bus-call not built"

INVALID=org.freedesktop.DBus.Error.InvalidArgs
NO_PROFILE=io.wstune.wstuned1.Error.NoSuchProfile
NO_KEY=io.wstune.wstuned1.Error.NoSuchKey
DENIED=io.wstune.wstuned1.Error.AccessDenied
BUS_DENIED=org.freedesktop.DBus.Error.AccessDenied
UNKNOWN_METHOD=org.freedesktop.DBus.Error.UnknownMethod
UNKNOWN_OBJECT=org.freedesktop.DBus.Error.UnknownObject
UNKNOWN_PROPERTY=org.freedesktop.DBus.Error.UnknownProperty
UNKNOWN_INTERFACE=org.freedesktop.DBus.Error.UnknownInterface
READ_ONLY=org.freedesktop.DBus.Error.PropertyReadOnly

MANAGER=io.wstune.wstuned1.Manager
PATH_=/io/wstune/wstuned1
# ws-server's and ws-client's keys: what an Apply that got through would change
KEYS=(net.netfilter.nf_conntrack_max net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies
        net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse net.ipv4.tcp_fin_timeout)

# What must not change: the state file, every file under the sandbox's /etc, the namespace's keys.
snapshot() {
        printf 'state: %s\n' "$(cat "$SB_ROOT/var/lib/wstuned/state.json" 2>/dev/null || echo none)"
        (cd "$SB_ROOT/etc" && find . -type f -print0 | sort -z | xargs -0 md5sum)
        in_ns sysctl "${KEYS[@]}"
        busctl --system get-property io.wstune.wstuned1 "$PATH_" "$MANAGER" ActiveProfile
}

ROWS=0
# row WHAT EXPECTED MESSAGE-REGEX TARGET [SIGNATURE ARGUMENT...]
#   EXPECTED: an error name, "reply SIGNATURE" (a limit itself, which must be served) or "disconnected";
#   MESSAGE-REGEX (may be empty): what the error's message must say.
#   TARGET: M (the Manager interface), P (Properties), I (Introspectable), X (Peer), PATH:INTERFACE, or
#   raw (bus-call --raw-get HEX); "nobody:" before it makes the call as nobody.
row() {
        local what=$1 want=$2 regex=$3 target=$4 out name message
        shift 4
        local -a as=() to
        if [[ $target == nobody:* ]]; then
                as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
                target=${target#nobody:}
        fi
        case $target in
        M) to=("$PATH_" "$MANAGER") ;;
        P) to=("$PATH_" org.freedesktop.DBus.Properties) ;;
        I) to=("$PATH_" org.freedesktop.DBus.Introspectable) ;;
        X) to=("$PATH_" org.freedesktop.DBus.Peer) ;;
        raw) to=() ;;
        *) to=("${target%%:*}" "${target#*:}") ;;
        esac
        ROWS=$((ROWS + 1))
        if [ "$target" = raw ]; then
                out=$("${as[@]}" "$BC" --raw-get "$@" 2>&1 | head -c 4096)
        else
                out=$("${as[@]}" "$BC" io.wstune.wstuned1 "${to[@]}" "$@" 2>&1 | head -c 4096)
        fi
        if [[ $out == "error "*": "* ]]; then
                name=${out#error }
                name=${name%%: *}
                message=${out#error *: }
        fi
        case $want in
        reply* | disconnected) check_eq "$what: $want" "$want" "$out" ;;
        *)
                if [ "${name:-}" = "$want" ] && [[ $message =~ $regex ]]; then
                        pass "$what: $want"
                else
                        fail "$what: $want" "expected: $want${regex:+ with a message matching /$regex/}" \
                                "got:      $out"
                fi
                ;;
        esac

        # still serving, and nothing changed
        local ping verify
        ping=$("$BC" io.wstune.wstuned1 "$PATH_" org.freedesktop.DBus.Peer Ping 2>&1)
        verify=$("$BC" io.wstune.wstuned1 "$PATH_" "$MANAGER" Verify 2>&1)
        [ "$ping / $verify" = "reply  / reply ba(ssss)" ] ||
                fail "$what: the daemon still answers Ping and Verify" "got: $ping / $verify"
        [ "$(snapshot)" = "$SNAPSHOT" ] || fail "$what: nothing changed" "$(diff <(echo "$SNAPSHOT") <(snapshot))"
}

a64=$(printf 'a%.0s' $(seq 64))
keys() { # N KEY: N copies of KEY, for an "as" argument
        local i
        for ((i = 0; i < $1; i++)); do printf '%s\n' "$2"; done
}
mapfile -t K1024 < <(keys 1024 net.core.somaxconn)
mapfile -t K1025 < <(keys 1025 net.core.somaxconn)
mapfile -t K100000 < <(keys 100000 k)
# 79 bytes, then 2-byte characters: an 80-byte cut of the name falls inside one (the quoted name in the error
# message must still be UTF-8, or the bus refuses to send the error and the caller waits for nothing)
cut_utf8=$(printf 'a%.0s' $(seq 79))øøø

# sd-bus checks every element of a message before the daemon sees it: the largest messages here (4 million
# strings, a million options) take many seconds under memcheck on a busy machine, more than bus-call's 10 s.
# A daemon that hangs still fails the test: at the latest when meson's timeout ends it.
if [ -n "${WSTUNED_WRAPPER:-}" ]; then
        export BUS_CALL_TIMEOUT_SEC=300
else
        export BUS_CALL_TIMEOUT_SEC=60
fi
wstuned_start || exit 1

# No active profile yet: "" means the active one.
SNAPSHOT=$(snapshot)
row "Apply \"\" without an active profile" $NO_PROFILE "" M Apply st "" 0
row "Apply \"\" dry run without an active profile" $NO_PROFILE "" M Apply st "" 1
row "nobody: Apply \"\" without an active profile" $NO_PROFILE "" nobody:M Apply st "" 0

check_rc "apply ws-server" 0 busctl --system call io.wstune.wstuned1 "$PATH_" "$MANAGER" Apply st ws-server 0
SNAPSHOT=$(snapshot)
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$WSTUNED_PID/status"; }
RSS_BEFORE=$(rss_kb)

# Get(as keys)
row "Get without arguments" $INVALID "" M Get
row "Get(s) instead of as" $INVALID "" M Get s net.core.somaxconn
row "Get(as, s): one argument too many" $INVALID "" M Get ass 1 net.core.somaxconn x
row "Get(ai)" $INVALID "" M Get ai 1 5
row "Get of 1025 keys" $INVALID 'too many keys: at most 1024' M Get as 1025 "${K1025[@]}"
row "Get of 100000 keys" $INVALID 'too many keys: at most 1024' M Get as 100000 "${K100000[@]}"
row "Get of 4000000 empty keys (a 32 MB message)" $INVALID 'too many keys: at most 1024' M Get as @4000000 ""
row "Get of 1024 keys, the most" "reply a(ssss)" "" M Get as 1024 "${K1024[@]}"
row "Get of a 1 MB key" $INVALID '"k{80}\.\.\.": key name too long$' M Get as 1 "@1048576*k"
row "Get of an empty key" $INVALID 'empty key name' M Get as 1 ""
row "Get of net/../../etc/shadow" $INVALID "'\.' or '\.\.' segment" M Get as 1 net/../../etc/shadow
row "Get of ../../etc/shadow (dot form)" $INVALID 'empty segment' M Get as 1 ../../etc/shadow
row "Get of an absolute path" $INVALID 'absolute path' M Get as 1 /proc/sys/net/core/somaxconn
row "Get of net.core..somaxconn" $INVALID 'empty segment' M Get as 1 net.core..somaxconn
row "Get of a one-segment key" $INVALID 'at least two segments' M Get as 1 net
row "Get of a key with a space" $INVALID 'whitespace or control character' M Get as 1 "net.core.some key"
row "Get of a key with a newline" $INVALID 'whitespace or control character' M Get as 1 "$(printf 'net.core\n.x')"
row "Get of a key in UTF-8 (ö)" $NO_KEY 'no sysctl "net.core.sömaxconn"' M Get as 1 net.core.sömaxconn
row "Get of a key that does not exist" $NO_KEY "" M Get as 1 net.core.no_such_key
row "raw Get of a valid key (the raw client works)" "reply" "" raw "$(printf net.core.somaxconn | od -An -tx1 | tr -d ' \n')"
row "raw Get of a key that is not UTF-8: the broker drops the sender" disconnected "" raw 6e65742eff636f7265
row "raw Get of a key holding a NUL: the broker drops the sender" disconnected "" raw 6e65742e00636f7265
row "raw Get of an overlong UTF-8 '/'" disconnected "" raw 6e6574c0af636f7265

# Apply(s profile, t flags)
row "Apply without arguments" $INVALID "" M Apply
row "Apply(s)" $INVALID "" M Apply s ws-server
row "Apply(s, u)" $INVALID "" M Apply su ws-server 0
row "Apply(t, s)" $INVALID "" M Apply ts 0 ws-server
row "Apply(s, t, as): one argument too many" $INVALID "" M Apply stas ws-server 0 0
row "Apply flag 2" $INVALID 'unknown flags 0x2$' M Apply st ws-server 2
row "Apply flags 3 (dry run and an unknown bit)" $INVALID 'unknown flags 0x2$' M Apply st ws-server 3
row "Apply flag 1<<63" $INVALID 'unknown flags 0x8000000000000000' M Apply st ws-server 0x8000000000000000
row "Apply flags 0xffffffffffffffff" $INVALID 'unknown flags 0xfffffffffffffffe' M Apply st ws-server \
        0xffffffffffffffff
row "Apply of a 1 MB name" $INVALID 'invalid profile name "a{80}\.\.\."' M Apply st "@1048576*a" 0
row "Apply of a 64-byte name, the longest (no such profile)" $NO_PROFILE "no profile named \"$a64\"" M Apply st \
        "$a64" 0
row "Apply of a 65-byte name" $INVALID 'invalid profile name' M Apply st "${a64}a" 0
row "Apply of a name whose 80-byte cut is inside a character" $INVALID \
        "invalid profile name \"a{79}\.\.\.\": use 1-64" M Apply st "$cut_utf8" 0
row "Apply of a/b" $INVALID 'invalid profile name "a/b"' M Apply st a/b 0
row "Apply of ../../etc/passwd" $INVALID 'invalid profile name "\.\./\.\./etc/passwd"' M Apply st \
        ../../etc/passwd 0
row "Apply of .hidden" $INVALID 'invalid profile name "\.hidden"' M Apply st .hidden 0
row "Apply of ." $INVALID 'invalid profile name "\."' M Apply st . 0
row "Apply of .." $INVALID 'invalid profile name "\.\."' M Apply st .. 0
row "Apply of -x" $INVALID 'invalid profile name "-x"' M Apply st -x 0
row "Apply of a UTF-8 name (prøfil)" $INVALID 'invalid profile name "prøfil"' M Apply st prøfil 0
row "Apply of a name with a space" $INVALID 'invalid profile name' M Apply st "ws server" 0
row "Apply of a name with a newline" $INVALID 'invalid profile name' M Apply st "$(printf 'ws\nserver')" 0
row "Apply of a profile that does not exist" $NO_PROFILE 'no profile named "nosuch"' M Apply st nosuch 0
row "Apply \"\" dry run: the active profile, nothing to do" "reply a(ssss)" "" M Apply st "" 1
row "nobody: Apply flag 2 (arguments before authorization)" $INVALID "" nobody:M Apply st ws-server 2
row "nobody: Apply of a/b" $INVALID "" nobody:M Apply st a/b 0
row "nobody: Apply of a profile that does not exist" $DENIED "" nobody:M Apply st nosuch 0
row "nobody: Apply ws-client" $DENIED "" nobody:M Apply st ws-client 0

# Verify, ListProfiles, Revert, Reload: no arguments
row "Verify(s)" $INVALID "" M Verify s x
row "Verify(as)" $INVALID "" M Verify as 0
row "ListProfiles(s)" $INVALID "" M ListProfiles s x
row "Revert(s)" $INVALID "" M Revert s x
row "Revert(b)" $INVALID "" M Revert b true
row "Reload(u)" $INVALID "" M Reload u 1
row "Reload(a{sv})" $INVALID "" M Reload 'a{sv}' 1 profile s ws-client
row "nobody: Revert(s)" $INVALID "" nobody:M Revert s x
row "nobody: Reload" $DENIED "" nobody:M Reload

# Plan(u connections, s role, a{sv} options)
row "Plan(s, s, a{sv})" $INVALID "" M Plan 'ssa{sv}' 15000 server 0
row "Plan(i, s, a{sv})" $INVALID "" M Plan 'isa{sv}' 15000 server 0
row "Plan(u, s)" $INVALID "" M Plan us 15000 server
row "Plan(u, s, a{sv}, s)" $INVALID "" M Plan 'usa{sv}s' 15000 server 0 x
row "Plan(u, s, a{ss})" $INVALID "" M Plan 'usa{ss}' 15000 server 1 ramp 5
row "Plan of 0 connections" $INVALID 'connections 0 is outside 1\.\.100000000' M Plan 'usa{sv}' 0 server 0
row "Plan of 4294967295 connections" $INVALID 'connections 4294967295 is outside' M Plan 'usa{sv}' 4294967295 server 0
row "Plan of 100000001 connections" $INVALID 'connections 100000001 is outside' M Plan 'usa{sv}' 100000001 server 0
row "Plan of 100000000 connections, the most" "reply sa(sssds)as" "" M Plan 'usa{sv}' 100000000 server 0
row "Plan role \"\"" $INVALID 'role "" is not' M Plan 'usa{sv}' 15000 "" 0
row "Plan role SERVER" $INVALID 'role "SERVER" is not' M Plan 'usa{sv}' 15000 SERVER 0
row "Plan role of 1 MB" $INVALID 'role "r{80}\.\.\." is not' M Plan 'usa{sv}' 15000 "@1048576*r" 0
row "Plan role whose 80-byte cut is inside a character" $INVALID 'role "a{79}\.\.\." is not' M Plan 'usa{sv}' 15000 \
        "$cut_utf8" 0
row "Plan with 65 options" $INVALID 'too many options: at most 64' M Plan 'usa{sv}' 15000 server @65 ramp d 5
row "Plan with 1000000 options" $INVALID 'too many options: at most 64' M Plan 'usa{sv}' 15000 server @1000000 \
        ramp d 5
row "Plan with 64 options, the most" "reply sa(sssds)as" "" M Plan 'usa{sv}' 15000 server @64 ramp d 5
row "Plan option colour" $INVALID 'unknown option "colour"' M Plan 'usa{sv}' 15000 server 1 colour s red
row "Plan option \"\"" $INVALID 'unknown option ""' M Plan 'usa{sv}' 15000 server 1 "" s red
row "Plan option of a 1 MB name" $INVALID 'unknown option "o{80}\.\.\."' M Plan 'usa{sv}' 15000 server 1 \
        "@1048576*o" s red
row "Plan ramp as a string" $INVALID 'ramp must be a double \(d\), not s' M Plan 'usa{sv}' 15000 server 1 ramp s 5
row "Plan ramp as u" $INVALID 'not u' M Plan 'usa{sv}' 15000 server 1 ramp u 5
row "Plan ramp as a variant in a variant" $INVALID 'not v' M Plan 'usa{sv}' 15000 server 1 ramp v d 5
row "Plan fd_overhead as a double" $INVALID 'fd_overhead must be an unsigned integer \(u\), not d' M Plan \
        'usa{sv}' 15000 server 1 fd_overhead d 5
row "Plan fd_overhead 4294967295" $INVALID 'fd_overhead 4294967295 is above' M Plan 'usa{sv}' 15000 server 1 \
        fd_overhead u 4294967295
for option in nat_entries utilization ramp burst connection_lifetime time_wait; do
        for v in nan inf -inf -1; do
                row "Plan $option $v" $INVALID "$option $v is outside" M Plan 'usa{sv}' 15000 server 1 "$option" d "$v"
        done
done
row "Plan utilization 0" $INVALID 'utilization 0 is outside \(0, 1\]' M Plan 'usa{sv}' 15000 server 1 utilization d 0
row "Plan utilization 1.5" $INVALID 'utilization 1.5 is outside' M Plan 'usa{sv}' 15000 server 1 utilization d 1.5
row "Plan ramp 1e308" $INVALID 'ramp 1e\+308 is outside' M Plan 'usa{sv}' 15000 server 1 ramp d 1e308

# Properties
row "Properties.Get of an unknown property" $UNKNOWN_PROPERTY "" P Get ss $MANAGER Nope
row "Properties.Get on an unknown interface" $UNKNOWN_PROPERTY "" P Get ss io.wstune.wstuned1.Nope Version
row "Properties.Get on interface \"\"" $UNKNOWN_PROPERTY "" P Get ss "" Version
row "Properties.Get of a 1 MB name" $UNKNOWN_PROPERTY "" P Get ss $MANAGER "@1048576*x"
row "Properties.Get(s)" $INVALID "" P Get s $MANAGER
row "Properties.Get(s, s, s)" $INVALID "" P Get sss $MANAGER Version x
row "Properties.GetAll of an unknown interface" $UNKNOWN_INTERFACE "" P GetAll s io.wstune.wstuned1.Nope
row "Properties.GetAll(s, s)" $INVALID "" P GetAll ss $MANAGER x
row "Properties.GetAll()" $INVALID "" P GetAll
row "Properties.Set of Version (read-only)" $READ_ONLY "" P Set ssv $MANAGER Version s 9
row "Properties.Set of ActiveProfile (read-only)" $READ_ONLY "" P Set ssv $MANAGER ActiveProfile s ws-client
row "Properties.Set of DriftCorrections (read-only)" $READ_ONLY "" P Set ssv $MANAGER DriftCorrections t 0
row "nobody: Properties.Set of ActiveProfile" $READ_ONLY "" nobody:P Set ssv $MANAGER ActiveProfile s ws-client
row "Properties.Set of an unknown property" $UNKNOWN_PROPERTY "" P Set ssv $MANAGER Nope s x
row "Properties.Set(s, s) without the value" $INVALID "" P Set ss $MANAGER Version
row "Properties.Set(s, s, v, s)" $INVALID "" P Set ssvs $MANAGER Version s 1 x
row "Properties.Nope" $UNKNOWN_METHOD "" P Nope

# Introspection, Peer, unknown members, interfaces and objects
row "Introspect(s)" $INVALID "" I Introspect s x
row "Introspect(u) on /" $INVALID "" /:org.freedesktop.DBus.Introspectable Introspect u 1
row "Peer.Ping(s)" $INVALID "" X Ping s x
row "Peer.GetMachineId(u)" $INVALID "" X GetMachineId u 1
row "Peer.Nope" $UNKNOWN_METHOD "" X Nope
row "an unknown method" $UNKNOWN_METHOD "" M Nope
row "an unknown method with arguments" $UNKNOWN_METHOD "" M Nope as 1 x
row "an unknown interface" $UNKNOWN_METHOD "" "$PATH_:io.wstune.wstuned1.Nope" Foo
row "a known method on an unknown interface" $UNKNOWN_METHOD "" "$PATH_:io.wstune.wstuned1.Nope" Verify
row "ObjectManager.GetManagedObjects (not offered)" $UNKNOWN_METHOD "" \
        "$PATH_:org.freedesktop.DBus.ObjectManager" GetManagedObjects
row "nobody: an unknown interface (the busconfig refuses it)" $BUS_DENIED "" \
        "nobody:$PATH_:io.wstune.wstuned1.Nope" Foo
row "an unknown object" $UNKNOWN_OBJECT "" /io/wstune/nope:$MANAGER Verify
row "the Manager on /" $UNKNOWN_OBJECT "" /:$MANAGER Verify

echo "# $ROWS calls in the table"
check_eq "nothing changed over the whole table" "$SNAPSHOT" "$(snapshot)"
# The 32 MB message and the 1 MB strings passed through the daemon: its memory is back to its working size
# (not under memcheck, whose own memory this would be, nor ASan, which keeps freed memory in quarantine).
if [ -z "${WSTUNED_WRAPPER:-}" ] && ! grep -q libasan "/proc/$WSTUNED_PID/maps"; then
        rss=$(rss_kb)
        if [ "$rss" -le $((RSS_BEFORE + 1024)) ]; then
                pass "daemon VmRSS $rss kB, within 1 MB of $RSS_BEFORE kB before the table"
        else
                fail "daemon VmRSS within 1 MB of before the table" "before: $RSS_BEFORE kB, after: $rss kB"
        fi
fi
check_rc "the daemon is the same process" 0 kill -0 "$WSTUNED_PID"
check_rc "wstunectl verify holds" 0 wstunectl verify

# A value that is not UTF-8 cannot come from the bus, but it can from the kernel: kernel.hostname (like
# kernel.core_pattern) takes any bytes. The daemon runs in a UTS namespace of its own for this, so the host's
# name is never touched. Get, Verify, Revert and the Drifted signal show the bad byte as \xNN; before, the
# bus refused the whole reply and the caller got InvalidArgs "Invalid argument".
host_name=$(hostname)
rc=0
wstuned_stop || rc=$?
check_eq "the daemon stops with status 0" 0 "$rc"
WSTUNED_WRAPPER="unshare -u ${WSTUNED_WRAPPER:-}" wstuned_start || exit 1
# never the host's own name: only into a UTS namespace that is not ours
[ "$(readlink "/proc/$WSTUNED_PID/ns/uts")" != "$(readlink /proc/self/ns/uts)" ] ||
        { fail "the daemon has a UTS namespace of its own"; test_finish; exit; }
in_uts() { nsenter -t "$WSTUNED_PID" -u -- "$@"; }
in_uts sh -c 'printf "a\377b" >/proc/sys/kernel/hostname'
check_rc "Get of kernel.hostname holding byte 0xff" 0 busctl --system call io.wstune.wstuned1 "$PATH_" "$MANAGER" \
        Get as 1 kernel.hostname
check_eq "the byte shown as \\xff" 'a(ssss) 1 "kernel.hostname" "a\\xffb" "" "unmanaged"' "$OUT"
in_uts sh -c 'printf "wstest-uts" >/proc/sys/kernel/hostname'
printf '{"sysctl": {"kernel.hostname": {"value": "wstest-set", "policy": "warn"}}}\n' \
        >"$SB_ROOT/etc/wstuned/profiles/hostname.json"
check_rc "apply a profile that sets kernel.hostname" 0 wstunectl apply hostname
busctl --system monitor --match "type='signal',member='Drifted'" >"$SB/drifted.out" 2>&1 &
monitor=$!
sleep 0.5
in_uts sh -c 'printf "a\377b" >/proc/sys/kernel/hostname'
for _ in $(seq 100); do
        grep -q 'STRING "reported"' "$SB/drifted.out" && break
        sleep 0.1
done
kill "$monitor"
wait "$monitor" 2>/dev/null
check_match "Drifted signal with the byte as \\xff" 'STRING "a\\xffb";' "$(cat "$SB/drifted.out")"
check_rc "Verify fails: drifted" 1 wstunectl verify
check_match "Verify shows the value" 'kernel.hostname +wstest-set +a\\xffb +drifted' "$OUT"
check_rc "revert" 0 wstunectl revert
check_match "Revert shows the value it replaced" 'kernel.hostname +a\\xffb +wstest-uts +restore' "$OUT"
check_eq "the daemon's namespace has its name back" wstest-uts "$(in_uts cat /proc/sys/kernel/hostname)"
check_eq "the host's name untouched" "$host_name" "$(hostname)"

check_host_unchanged
test_finish
