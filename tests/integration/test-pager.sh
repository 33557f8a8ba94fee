#!/bin/bash
# test-pager.sh - which pager wstunectl starts, on a pseudo-terminal (script(1)), with a fake less, a fake
# more and a fake $PAGER that record their uid and environment (CVE-2023-26604 in systemctl: "!sh" in a
# pager started as root is a root shell):
#   - as root, under sudo (SUDO_UID) or with WSTUNECTL_PAGERSECURE=1 (or a value that is not a boolean):
#     $PAGER is not run, only less, with LESSSECURE=1 and without LESSSECURE_ALLOW; with no less, no pager
#     at all (never more), and the output still arrives;
#   - WSTUNECTL_PAGERSECURE=0 lets $PAGER run, as root still with LESSSECURE=1;
#   - as nobody: $PAGER, else less, else more, as before, LESSSECURE left alone;
#   - --no-pager, PAGER=cat and a stdout that is no terminal start nothing, for every verb that pages.
#   - the real less, when installed: "!touch FILE" typed into it runs for nobody (so the keys do arrive) and
#     not for root ("Command not available").
# Every run gets a clean environment (env -i), so a SUDO_UID or PAGER of whoever runs the tests does not count.
command -v script >/dev/null || { echo "SKIP: script (util-linux) not installed: no pseudo-terminal"; exit 77; }
command -v setpriv >/dev/null || { echo "SKIP: setpriv (util-linux) not installed"; exit 77; }
id nobody >/dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }
. "$(dirname "$0")/preamble.sh" "$0" "$@"

WSTUNECTL=$WSTUNED_BUILD/client/wstunectl
ENV=$(command -v env)
FAKE=$SB/fakebin   # less, more and the $PAGER program
NOLESS=$SB/noless  # more only
REC=$SB/records    # one file per fake program that ran, written by root or nobody
mkdir -p "$FAKE" "$NOLESS" "$REC"
chmod 1777 "$REC"

# make_fake FILE NAME: a program that records what it runs with into $REC/NAME, then passes its input on
make_fake() {
        cat >"$1" <<EOF
#!/bin/sh
{
        echo "uid=\$($(command -v id) -u)"
        echo "LESSSECURE=\${LESSSECURE-unset}"
        echo "LESSSECURE_ALLOW=\${LESSSECURE_ALLOW-unset}"
        echo "LESS=\${LESS-unset}"
} >"$REC/$2"
exec $(command -v cat)
EOF
        chmod 755 "$1"
}
make_fake "$FAKE/less" less
make_fake "$FAKE/more" more
make_fake "$FAKE/pager" pager
make_fake "$NOLESS/more" more
PAGER_PROG=$FAKE/pager

# pty root|nobody [VAR=VALUE...] -- ARGS...: wstunectl ARGS on a pseudo-terminal, as root or nobody, in a
# clean environment with PATH=$FAKE and the variables given (a later PATH= wins); the records of an
# earlier run are removed first. What the terminal showed (stdout and stderr) is in OUT.
pty() {
        local runner=() envs=()
        rm -f "$REC"/*
        case $1 in
        root) shift ;;
        nobody)
                runner=(as_nobody)
                shift
                ;;
        esac
        while [ "$1" != -- ]; do
                envs+=("$1")
                shift
        done
        shift
        local cmd
        cmd=$(printf '%q ' "$ENV" -i "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS" "PATH=$FAKE" \
                "${envs[@]}" "$WSTUNECTL" "$@")
        OUT=$("${runner[@]}" timeout 20 script -qec "$cmd" /dev/null </dev/null 2>&1)
}

ran() { [ -f "$REC/$1" ] && echo yes || echo no; }
# rec NAME FIELD: FIELD as the fake program NAME recorded it
rec() { sed -n "s/^$2=//p" "$REC/$1" 2>/dev/null; }

# check_ran WHAT "less pager more" EXPECTED: which of the fakes ran, as "less=yes pager=no more=no"
check_ran() {
        check_eq "$1" "$2" "less=$(ran less) pager=$(ran pager) more=$(ran more)"
}

wstuned_start || exit 1
check_rc "root applies ws-server (verify then holds)" 0 bus_call Apply st ws-server 0
STATUS_RE='Active profile: ws-server'

# --- root: secure mode
pty root "PAGER=$PAGER_PROG" -- status
check_ran "root: only less, not \$PAGER" "less=yes pager=no more=no"
check_eq "root: less runs with LESSSECURE=1" 1 "$(rec less LESSSECURE)"
check_eq "root: less runs as root" 0 "$(rec less uid)"
check_eq "root: LESS=FRXMK" FRXMK "$(rec less LESS)"
check_match "root: the status reaches the terminal" "$STATUS_RE" "$OUT"

pty root "PAGER=$PAGER_PROG" SUDO_UID=1000 SUDO_USER=alice -- status
check_ran "sudo (root, SUDO_UID): only less" "less=yes pager=no more=no"
check_eq "sudo: less with LESSSECURE=1" 1 "$(rec less LESSSECURE)"

pty root "PAGER=$PAGER_PROG" WSTUNECTL_PAGERSECURE=1 -- status
check_ran "root, WSTUNECTL_PAGERSECURE=1: only less" "less=yes pager=no more=no"
check_eq "root, WSTUNECTL_PAGERSECURE=1: LESSSECURE=1" 1 "$(rec less LESSSECURE)"

pty root "PAGER=$PAGER_PROG" WSTUNECTL_PAGERSECURE=maybe -- status
check_ran "root, WSTUNECTL_PAGERSECURE=maybe: secure, only less" "less=yes pager=no more=no"
check_eq "WSTUNECTL_PAGERSECURE=maybe: LESSSECURE=1" 1 "$(rec less LESSSECURE)"
check_match "WSTUNECTL_PAGERSECURE=maybe: says it is no boolean" \
        'WSTUNECTL_PAGERSECURE="maybe" is not a boolean; using the secure pager' "$OUT"

pty root LESSSECURE=0 LESSSECURE_ALLOW=shell,edit,pipe -- status
check_eq "root: LESSSECURE=0 of the caller overridden" 1 "$(rec less LESSSECURE)"
check_eq "root: LESSSECURE_ALLOW removed" unset "$(rec less LESSSECURE_ALLOW)"

pty root "PAGER=$PAGER_PROG" "PATH=$NOLESS" -- status
check_ran "root, no less: no pager at all (not more, not \$PAGER)" "less=no pager=no more=no"
check_match "root, no less: the status still reaches the terminal" "$STATUS_RE" "$OUT"

pty root LESS=SR -- status
check_eq "root: the caller's LESS is kept" SR "$(rec less LESS)"

# --- WSTUNECTL_PAGERSECURE=0: the caller trusts its $PAGER
pty root "PAGER=$PAGER_PROG" WSTUNECTL_PAGERSECURE=0 -- status
check_ran "root, WSTUNECTL_PAGERSECURE=0: \$PAGER" "less=no pager=yes more=no"
check_eq "root, WSTUNECTL_PAGERSECURE=0: \$PAGER still gets LESSSECURE=1" 1 "$(rec pager LESSSECURE)"
check_match "root, WSTUNECTL_PAGERSECURE=0: the status reaches the terminal" "$STATUS_RE" "$OUT"

pty root WSTUNECTL_PAGERSECURE=no "PATH=$NOLESS" -- status
check_ran "root, WSTUNECTL_PAGERSECURE=no, no less: more" "less=no pager=no more=yes"

# --- an unprivileged user: as before
pty nobody "PAGER=$PAGER_PROG" -- status
check_ran "nobody: \$PAGER" "less=no pager=yes more=no"
check_eq "nobody: \$PAGER runs as nobody" "$(id -u nobody)" "$(rec pager uid)"
check_eq "nobody: LESSSECURE not set" unset "$(rec pager LESSSECURE)"
check_match "nobody: the status reaches the terminal" "$STATUS_RE" "$OUT"

pty nobody -- status
check_ran "nobody, no \$PAGER: less" "less=yes pager=no more=no"
check_eq "nobody: less without LESSSECURE" unset "$(rec less LESSSECURE)"
check_eq "nobody: LESS=FRXMK" FRXMK "$(rec less LESS)"

pty nobody "PATH=$NOLESS" -- status
check_ran "nobody, no less: more" "less=no pager=no more=yes"

pty nobody "PAGER=$PAGER_PROG" SUDO_UID=0 SUDO_USER=root -- status
check_ran "nobody under sudo (SUDO_UID): only less" "less=yes pager=no more=no"
check_eq "nobody under sudo: LESSSECURE=1" 1 "$(rec less LESSSECURE)"

pty nobody "PAGER=$PAGER_PROG" WSTUNECTL_PAGERSECURE=true -- status
check_ran "nobody, WSTUNECTL_PAGERSECURE=true: only less" "less=yes pager=no more=no"

pty nobody "PAGER=$PAGER_PROG" "PATH=$NOLESS" SUDO_USER=root -- status
check_ran "nobody under sudo, no less: no pager at all" "less=no pager=no more=no"

# --- every verb that pages goes through the secure pager, and none of them with --no-pager
declare -A VERB_RE=(
        [status]="$STATUS_RE"
        [get]='KEY +CURRENT +DESIRED +STATE'
        [profiles]='NAME +DESCRIPTION +PATH'
        [verify]='OK: profile ws-server holds'
        [apply --dry-run ws-server]='nothing to change|ITEM +OLD +NEW +RESULT'
)
for verb in status get profiles verify "apply --dry-run ws-server"; do
        # shellcheck disable=SC2086 # the verb with its arguments
        pty root "PAGER=$PAGER_PROG" -- $verb
        check_ran "root: $verb pages into less only" "less=yes pager=no more=no"
        check_match "root: $verb output" "${VERB_RE[$verb]}" "$OUT"
        # shellcheck disable=SC2086
        pty root "PAGER=$PAGER_PROG" WSTUNECTL_PAGERSECURE=0 -- --no-pager $verb
        check_ran "root: $verb --no-pager starts nothing" "less=no pager=no more=no"
        check_match "root: $verb --no-pager output" "${VERB_RE[$verb]}" "$OUT"
done
pty nobody "PAGER=$PAGER_PROG" -- status --no-pager
check_ran "nobody: --no-pager after the verb starts nothing" "less=no pager=no more=no"
check_match "nobody: --no-pager output" "$STATUS_RE" "$OUT"

pty root PAGER=cat WSTUNECTL_PAGERSECURE=0 -- status
check_ran "PAGER=cat starts nothing" "less=no pager=no more=no"
pty root PAGER= -- status
check_ran "an empty PAGER starts nothing" "less=no pager=no more=no"

# --- the real less: "!touch FILE" typed into it runs a shell command for nobody (the keys do reach
# it), not for root. LESS=X: without F it stays open for the keys; "qqq" also leaves a help screen
# that letters of the refused command may have opened.
REAL_LESS=$(command -v less)
if [ -n "$REAL_LESS" ]; then
        # bang USER FILE: wstunectl status as USER with the real less; type "!touch FILE", Enter, q
        bang() {
                local runner=()
                [ "$1" = nobody ] && runner=(as_nobody)
                local cmd
                cmd=$(printf '%q ' "$ENV" -i "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS" \
                        "PATH=$(dirname "$REAL_LESS"):/usr/bin:/bin" TERM=xterm LESS=X "$WSTUNECTL" status)
                OUT=$({ sleep 0.5; printf '!touch %s\n' "$2"; sleep 0.5; printf '\nqqq'; sleep 0.3; printf 'qqq'; } |
                        "${runner[@]}" timeout 20 script -qec "$cmd" /dev/null 2>&1)
        }
        rm -f "$REC"/*
        bang nobody "$REC/shell-nobody"
        check_eq "real less, nobody: \"!touch\" runs (the keys reach less)" yes "$(ran shell-nobody)"
        bang root "$REC/shell-root"
        check_eq "real less, root: \"!touch\" does not run" no "$(ran shell-root)"
        check_match "real less, root: less refuses the command" "Command not available" "$OUT"
else
        echo "SKIP: less not installed: the real pager is not tried"
fi

# --- not a terminal: no pager, as before
rm -f "$REC"/*
OUT=$("$ENV" -i "DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS" "PATH=$FAKE" "PAGER=$PAGER_PROG" \
        WSTUNECTL_PAGERSECURE=0 "$WSTUNECTL" status | cat)
check_ran "stdout a pipe: no pager" "less=no pager=no more=no"
check_match "stdout a pipe: the status" "$STATUS_RE" "$OUT"

check_host_unchanged
test_finish
