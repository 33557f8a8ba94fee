#!/bin/bash
# test-alert-rules.sh - the Prometheus alert rules in contrib/prometheus: every alert has a severity, a summary
# and a description with the fix; the pressure thresholds are the daemon's defaults (printed by
# watch-defaults from the code) and the descriptions say them; the promtool test file has, per alert, a case
# that fires and one that must not. Then `promtool check rules` and `promtool test rules` (SKIP, exit 77,
# without promtool: tools/deps.sh takes it out of Debian's prometheus .deb; PROMTOOL= overrides).
# Usage: test-alert-rules.sh WATCH_DEFAULTS
set -uo pipefail
defaults_bin=${1:?usage: test-alert-rules.sh WATCH_DEFAULTS}
: "${WSTUNED_SOURCE:?}"
dir=$WSTUNED_SOURCE/contrib/prometheus
rules=$dir/wstuned-alerts.yml
tests=$dir/wstuned-alerts.test.yml

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$defaults_bin" >"$tmp/defaults" || { echo "FAIL: $defaults_bin"; exit 1; }
sed 's/^/# default thresholds: /' "$tmp/defaults"
perl "$WSTUNED_SOURCE/tests/fleet-check.pl" rules "$rules" "$tests" "$tmp/defaults" || exit 1

promtool=${PROMTOOL:-}
if [ -z "$promtool" ]; then
        promtool=$(command -v promtool || true)
fi
if [ -z "$promtool" ] && [ -x /var/cache/wstuned-tools/bin/promtool ]; then
        promtool=/var/cache/wstuned-tools/bin/promtool
fi
if [ -z "$promtool" ]; then
        echo "SKIP: promtool not found (tools/deps.sh fetches it): rules not checked by promtool"
        exit 77
fi
echo "# $("$promtool" --version 2>&1 | head -n 1) ($promtool)"

fail=0
# A promtool that checks nothing would pass everything: it must reject a rule that does not parse, and a
# test whose expectation is wrong.
printf 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(\n' >"$tmp/bad.yml"
if "$promtool" check rules "$tmp/bad.yml" >/dev/null 2>&1; then
        echo "FAIL: $promtool accepts a rule that does not parse"
        exit 1
fi
cp "$rules" "$tmp/wstuned-alerts.yml"
sed 's/^\( *\)exp_alerts: \[\]$/\1exp_alerts:\n\1  - exp_labels:\n\1      severity: none/' "$tests" >"$tmp/wrong.test.yml"
if "$promtool" test rules "$tmp/wrong.test.yml" >/dev/null 2>&1; then
        echo "FAIL: $promtool passes a test file whose expectations are wrong"
        exit 1
fi

if out=$("$promtool" check rules "$rules" 2>&1); then
        echo "ok promtool check rules: $(printf '%s\n' "$out" | grep -o '[0-9]* rules found')"
else
        echo "FAIL promtool check rules:"
        printf '%s\n' "$out" | sed 's/^/    /'
        fail=1
fi
# promtool resolves rule_files relative to the test file
if out=$(cd "$dir" && "$promtool" test rules "$(basename "$tests")" 2>&1); then
        echo "ok promtool test rules: $(grep -c 'eval_time:' "$tests") evaluations"
else
        echo "FAIL promtool test rules:"
        printf '%s\n' "$out" | sed 's/^/    /'
        fail=1
fi
exit $fail
