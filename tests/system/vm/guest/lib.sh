# shellcheck shell=bash
# lib.sh - what every VM scenario gets: the checks of tests/integration/assert.sh (PASS/FAIL), known
# failures (XFAIL/XPASS), and small readers for sysctls and the daemon. Runs inside the VM.
. /usr/local/lib/wstuned-vmtest/assert.sh
set -u

T_XFAIL=0
T_XPASS=0

# known_failure WHAT REASON OK [DETAIL...]: a check that is expected to fail until REASON is done.
# OK is 0 when the check held. Failing prints XFAIL and counts as nothing; holding prints XPASS and
# counts as a failure, so that it gets turned into a normal check.
known_failure() {
        local what=$1 reason=$2 ok=$3
        shift 3
        if [ "$ok" = 0 ]; then
                T_XPASS=$((T_XPASS + 1))
                printf 'XPASS: %s (expected to fail until %s: make it a normal check)\n' "$what" "$reason"
        else
                T_XFAIL=$((T_XFAIL + 1))
                printf 'XFAIL: %s (until %s)\n' "$what" "$reason"
        fi
        [ $# -gt 0 ] && printf '      %s\n' "$@"
        return 0
}

info() { printf 'INFO: %s\n' "$*"; }

test_finish() {
        printf '%d passed, %d failed, %d expected failures, %d unexpected passes\n' \
                "$T_PASSED" "$T_FAILED" "$T_XFAIL" "$T_XPASS"
        [ "$T_FAILED" = 0 ] && [ "$T_XPASS" = 0 ]
}

now_ms() {
        local t=$EPOCHREALTIME
        echo $((${t%.*} * 1000 + 10#${t#*.} / 1000))
}

# sysctl_get KEY: the kernel's value (dot form, no dots inside segments), empty when absent.
sysctl_get() { cat "/proc/sys/${1//.//}" 2>/dev/null; }

module_loaded() { [ -d "/sys/module/$1" ]; }

# Properties and Get of the daemon, as plain text.
bus_prop() { # NAME: the value; strings without quotes, arrays as space-separated words
        busctl --system get-property io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager "$1" |
                sed -E 's/^s //; s/^as [0-9]+ ?//; s/"//g'
}
# key_state KEY / key_current KEY: columns of "wstunectl get KEY".
key_state() { wstunectl --no-pager get "$1" | awk -v k="$1" '$1 == k { print $NF }'; }
key_current() { wstunectl --no-pager get "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# journal_keys MESSAGE_ID: the WSTUNED_KEY of every wstuned entry of this boot with that id.
journal_keys() {
        journalctl -b --no-pager -o cat --output-fields=WSTUNED_KEY "MESSAGE_ID=$1" 2>/dev/null | sort -u
}
# Journal message ids (the catalog in wstuned.8).
# shellcheck disable=SC2034
MSG_KEY_CHANGED=ba4bc392b2e64bfcb868d97b7f26fa8a
# shellcheck disable=SC2034
MSG_KEY_PENDING=5adcae1b9cad4eb49bb39a74aa2f8ded
# shellcheck disable=SC2034
MSG_PROFILE_APPLIED=55841ee5573641d1a7ad00a4ae2c8247

# wait_for_value KEY MIN TIMEOUT_MS: poll every 10 ms until KEY reads at least MIN. Prints the ms it
# took; returns 1 (printing the timeout) when it did not happen.
wait_for_value() {
        local key=$1 min=$2 limit=$3 start v
        start=$(now_ms)
        while :; do
                v=$(sysctl_get "$key")
                if [ -n "$v" ] && [ "$v" -ge "$min" ] 2>/dev/null; then
                        echo $(($(now_ms) - start))
                        return 0
                fi
                [ $(($(now_ms) - start)) -ge "$limit" ] && { echo "$limit"; return 1; }
                sleep 0.01
        done
}
