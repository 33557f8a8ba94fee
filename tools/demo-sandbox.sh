#!/bin/bash
# demo-sandbox.sh - the demo proper (tools/demo.sh builds first). See tests/integration/sandbox.sh.
set -uo pipefail
. "$WSTUNED_SOURCE/tests/integration/sandbox.sh"
why=$(sandbox_cannot_run)
[ -z "$why" ] || { echo "demo cannot run here: $why" >&2; exit 1; }
sandbox_reexec "$0" "$@"
sandbox_start >/dev/null || exit 1

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
keys="net.core.somaxconn net.ipv4.tcp_max_syn_backlog net.ipv4.tcp_syncookies net.netfilter.nf_conntrack_max"

echo "wstuned demo: a private system bus, a throwaway network namespace, a temporary /etc and /var."
say "sysctl $keys    # in the namespace, before"
in_ns sysctl $keys 2>&1
wstuned_start || exit 1
run wstunectl status
run wstunectl apply ws-server --dry-run
run wstunectl apply ws-server
say "cat \$SANDBOX/etc/security/limits.d/90-wstuned.conf    # the limit files went to the sandbox's temporary /etc"
cat "$SB_ROOT/etc/security/limits.d/90-wstuned.conf"
run wstunectl status
run wstunectl verify
say "sysctl $keys    # in the namespace, after: real kernel values"
in_ns sysctl $keys 2>&1
say "sysctl net.core.somaxconn    # the host's own value, untouched"
sysctl net.core.somaxconn
say "sysctl -w net.core.somaxconn=1024    # another writer changes a managed key in the namespace"
in_ns sysctl -w net.core.somaxconn=1024
sleep 1.5
say "sysctl net.core.somaxconn    # 1.5 s later: wstuned's drift poll has set it back"
in_ns sysctl net.core.somaxconn
run busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 io.wstune.wstuned1.Manager Verify
say "journalctl -t wstuned"
sb_journal -t wstuned -o short
say "journalctl -t wstuned -o verbose MESSAGE_ID=ba4bc392b2e64bfcb868d97b7f26fa8a -n 1    # one 'key changed' entry"
sb_journal -t wstuned -o verbose MESSAGE_ID=ba4bc392b2e64bfcb868d97b7f26fa8a -n 1 |
        grep -E '^\s+(PRIORITY|MESSAGE|MESSAGE_ID|WSTUNED_[A-Z_]+)=' 
run wstunectl revert
say "sysctl $keys    # in the namespace, after revert"
in_ns sysctl $keys 2>&1
cat <<'TXT'

Note: net.netfilter.nf_conntrack_max is global. Inside a network namespace it is read-only, so
wstuned can only verify it here (it holds when the host already has at least 262144, and is
reported as "error: Permission denied" otherwise). On a real host wstuned sets it.
TXT
