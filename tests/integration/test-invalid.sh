#!/bin/bash
# test-invalid.sh - bad profiles and bad arguments get named errors that name the bad value; nothing
# changes and the daemon keeps serving with its last good state.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

P=$SB_ROOT/etc/wstuned/profiles
printf '{"sysctl": {"net.core.somaxconn": 8192}}}\n' >"$P/trailing.json"
printf '{"sysctl": {"net..core.somaxconn": 8192}}\n' >"$P/badkey.json"
printf '{"sysctl": {"net.core.somaxconn": 8192, "net/core/somaxconn": 4}}\n' >"$P/dupkey.json"
printf '{"sysctl": {"net.core.somaxconn": true}}\n' >"$P/badtype.json"
printf '{"sysctl": {"net.core.somaxconn": 8192}, "colour": "red"}\n' >"$P/unknown.json"
printf '{\n  "sysctl": {\n    "net.core.somaxconn": 8192,\n  }\n}\n' >"$P/syntax.json"
printf '{"sysctl": {"net.core.somaxconn": 1e300}}\n' >"$P/range.json"
printf '{"limits": {"nofile": {"soft": 300000, "hard": 200000}}}\n' >"$P/limits.json"
head -c 70000 /dev/zero | tr '\0' ' ' >"$P/huge.json"
# valid JSON, but U+FFFF is a character sd-bus refuses to send
printf '{"description": "odd \\uffff text"}\n' >"$P/nonchar.json"
# the kernel refuses this value at write time (tcp_tw_reuse is 0..2)
printf '{"sysctl": {"net.ipv4.tcp_tw_reuse": 9, "net.ipv4.tcp_fin_timeout": 21}}\n' >"$P/kernel-says-no.json"

wstuned_start || exit 1
check_rc "apply ws-server" 0 bus_call Apply st ws-server 0
state_before=$(cat "$SB_ROOT/var/lib/wstuned/state.json")

expect_invalid() { # NAME MESSAGE-REGEX
        check_rc "$1: Apply fails" 1 bus_send Apply string:"$1" uint64:0
        check_match "$1: InvalidProfile" "io.wstune.wstuned1.Error.InvalidProfile" "$OUT"
        check_match "$1: message" "$2" "$OUT"
}
expect_invalid trailing "trailing.json:1:41: unexpected data after the JSON value"
expect_invalid badkey 'badkey.json: sysctl\["net..core.somaxconn"\]: empty segment in key name'
expect_invalid dupkey 'dupkey.json: sysctl\["net/core/somaxconn"\]: duplicate key \(same as "net.core.somaxconn"\)'
expect_invalid badtype 'badtype.json: sysctl\["net.core.somaxconn"\]: value must be a number or a string'
expect_invalid unknown "unknown.json: colour: unknown field"
expect_invalid syntax "syntax.json:4:3: syntax error"
expect_invalid range 'range.json: sysctl\["net.core.somaxconn"\]: number out of range'
expect_invalid limits "limits.json: limits.nofile: soft 300000 is above hard 200000"
expect_invalid huge "huge.json: larger than the 65536 byte limit"

check_rc "wstunectl apply of a broken profile exits 2" 2 wstunectl apply trailing
check_match "wstunectl prints the position" "trailing.json:1:41" "$OUT"
check_rc "unknown profile" 1 bus_send Apply string:nosuch uint64:0
check_match "NoSuchProfile" "io.wstune.wstuned1.Error.NoSuchProfile.*nosuch" "$OUT"
check_rc "profile name with a slash" 1 bus_send Apply string:../../etc/passwd uint64:0
check_match "InvalidArgs names the value" 'org.freedesktop.DBus.Error.InvalidArgs.*"\.\./\.\./etc/passwd"' "$OUT"
check_rc "unknown flag bits" 1 bus_send Apply string:ws-server uint64:6
check_match "InvalidArgs names the flags" "InvalidArgs.*0x6" "$OUT"
check_rc "wrong signature" 1 bus_send Apply int32:5
check_match "wrong signature is InvalidArgs" "org.freedesktop.DBus.Error.InvalidArgs" "$OUT"
check_rc "Get with a bad key" 1 bus_send Get array:string:"net..core"
check_match "Get: InvalidArgs names the key" 'InvalidArgs.*"net\.\.core".*empty segment' "$OUT"
check_rc "Get with an absolute path" 1 bus_send Get array:string:/proc/sys/net/core/somaxconn
check_match "Get: absolute path rejected" "InvalidArgs.*absolute path" "$OUT"
check_rc "Get of a key that does not exist" 1 bus_send Get array:string:net.core.no_such_key
check_match "NoSuchKey" "io.wstune.wstuned1.Error.NoSuchKey.*net.core.no_such_key" "$OUT"
long=$(printf 'net.%0200d' 0)
check_rc "Get with an over-long key" 1 bus_send Get array:string:"$long"
check_match "over-long key rejected" "InvalidArgs.*too long" "$OUT"

# Text sd-bus cannot send (a cut UTF-8 sequence, a noncharacter) never goes out: a quoted value is cut on a
# character boundary, other text has such bytes as \xNN; before, the reply could not be built and the caller
# waited for its timeout, or got a bare "Invalid argument" (found by fuzz-bus and test-bad-input).
euros=$(for _ in $(seq 30); do printf '\xe2\x82\xac'; done) # 90 bytes: the message quotes 80 of them
check_rc "a long non-ASCII profile name" 1 bus_send Apply string:"$euros" uint64:0
check_match "its error arrives, cut on a character boundary" "InvalidArgs.*invalid profile name \"($(printf '\xe2\x82\xac')){26}\.\.\.\"" "$OUT"
check_rc "ListProfiles with a noncharacter in a description" 0 bus_call ListProfiles
check_match "the description with the noncharacter as \\xNN" 'odd \\\\xef\\\\xbf\\\\xbf text' "$OUT"

# the last good state is intact
check_eq "still ws-server" 's "ws-server"' "$(bus_prop ActiveProfile)"
check_eq "somaxconn untouched" 16384 "$(in_ns sysctl -n net.core.somaxconn)"
check_eq "state file untouched" "$state_before" "$(cat "$SB_ROOT/var/lib/wstuned/state.json")"
check_rc "daemon still answers Verify" 0 bus_call Verify

# a value the kernel refuses: reported per key, the rest applied, verify fails
fin_before=$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)
check_rc "kernel refusal: wstunectl apply exits 1" 1 wstunectl apply kernel-says-no
check_match "kernel refusal named" "net.ipv4.tcp_tw_reuse .*error: Invalid argument" "$OUT"
check_eq "other key applied" 21 "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"
check_rc "verify fails" 1 wstunectl verify
check_match "verify names the key" "net.ipv4.tcp_tw_reuse .*error" "$OUT"
check_eq "State degraded" 's "degraded"' "$(bus_prop State)"
check_no_match "no baseline for the refused key" "tcp_tw_reuse" "$(cat "$SB_ROOT/var/lib/wstuned/state.json")"
check_rc "revert" 0 wstunectl revert
check_eq "fin_timeout back" "$fin_before" "$(in_ns sysctl -n net.ipv4.tcp_fin_timeout)"

check_host_unchanged
test_finish
