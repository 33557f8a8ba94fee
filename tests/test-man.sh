#!/bin/bash
# test-man.sh - the man pages render without groff warnings and document every verb and method.
set -u
. "$(dirname "$0")/integration/assert.sh"
: "${WSTUNED_SOURCE:?}"
command -v groff >/dev/null || skip_test "groff not installed"
for page in wstuned.8 wstunectl.1 wstuned.profile.5; do
        check_rc "$page renders without warnings" 0 groff -t -man -ww -z "$WSTUNED_SOURCE/man/$page"
        check_eq "$page: no groff output" "" "$OUT"
done
for m in Get Apply Verify ListProfiles Plan Revert Reload; do
        check_match "wstuned(8) documents $m" "^\.B $m\(" "$(cat "$WSTUNED_SOURCE/man/wstuned.8")"
done
# each verb heads a tagged paragraph of its own in COMMANDS: ".TP" then ".B top", ".BR get ..." or ".BI "plan ..."
headings=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$WSTUNED_SOURCE/man/wstunectl.1" | grep -A1 '^\.TP$')
for v in status get apply verify profiles revert reload monitor top plan; do
        check_match "wstunectl(1) documents $v" "^\.B[IR]? \"?$v( |\$)" "$headings"
done
test_finish
