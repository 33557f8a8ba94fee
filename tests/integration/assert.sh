# shellcheck shell=bash
# assert.sh - checks for the integration tests. Each check prints PASS or FAIL with what it saw;
# test_finish exits 1 when any failed.

T_FAILED=0
T_PASSED=0

pass() { T_PASSED=$((T_PASSED + 1)); printf 'PASS: %s\n' "$1"; }
fail() { T_FAILED=$((T_FAILED + 1)); printf 'FAIL: %s\n' "$1"; shift; [ $# -gt 0 ] && printf '      %s\n' "$@"; }

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
        if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi
}

# check_match WHAT REGEX TEXT (grep -E on the text)
check_match() {
        if printf '%s\n' "$3" | grep -Eq -- "$2"; then pass "$1"; else fail "$1" "expected to match: $2" "text: $3"; fi
}

# check_no_match WHAT REGEX TEXT
check_no_match() {
        if printf '%s\n' "$3" | grep -Eq -- "$2"; then fail "$1" "must not match: $2" "text: $3"; else pass "$1"; fi
}

# check_rc WHAT EXPECTED_RC COMMAND... (output kept in $OUT)
check_rc() {
        local what=$1 want=$2 rc=0
        shift 2
        OUT=$("$@" 2>&1) || rc=$?
        if [ "$rc" = "$want" ]; then pass "$what"; else fail "$what" "command: $*" "exit $rc, expected $want" "output: $OUT"; fi
}

# wait_line WHAT FILE REGEX [COUNT]: poll every 10 ms for up to 5 s until COUNT (default 1) lines of FILE
# match REGEX
wait_line() {
        local what=$1 file=$2 regex=$3 n=${4:-1}
        for _ in $(seq 500); do
                if [ "$(grep -Ec -- "$regex" "$file" 2>/dev/null)" -ge "$n" ]; then
                        pass "$what"
                        return 0
                fi
                sleep 0.01
        done
        fail "$what (not $n lines matching $regex within 5 s)" "$(cat "$file" 2>/dev/null)"
        return 1
}

skip_test() { printf 'SKIP: %s\n' "$1"; exit 77; }

test_finish() {
        printf '%d passed, %d failed\n' "$T_PASSED" "$T_FAILED"
        [ "$T_FAILED" = 0 ]
}

# Values of the host's own (initial namespace) keys, to prove the tests never change them.
host_sysctl_snapshot() {
        local k
        for k in net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies \
                net.ipv4.ip_local_port_range net.ipv4.tcp_tw_reuse net.ipv4.tcp_fin_timeout fs.file-max fs.nr_open; do
                printf '%s=%s\n' "$k" "$(sysctl -n "$k" 2>/dev/null | tr -s ' \t' ' ')"
        done
}
