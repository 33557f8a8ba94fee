#!/bin/bash
# test-dashboard.sh - the Grafana dashboard (contrib/grafana) and the alert rules (contrib/prometheus) against
# the metrics wstuned writes: the families come from the exporter code itself, as metrics-sample renders every
# case of metrics-samples.h (whose "full" case has every family), not from a list kept by hand. Every metric
# an expression uses must be one of them (or node_exporter's node_textfile_*), every label it matches on one
# that family has, every literal value one wstuned writes. Then the dashboard's shape: the datasource and
# instance variables, every selector filtered by $instance, the panels the fleet view needs.
# Usage: test-dashboard.sh METRICS_SAMPLE
set -uo pipefail
sample=${1:?usage: test-dashboard.sh METRICS_SAMPLE}
: "${WSTUNED_SOURCE:?}"
check=$WSTUNED_SOURCE/tests/fleet-check.pl
rules=$WSTUNED_SOURCE/contrib/prometheus/wstuned-alerts.yml
dashboard=$WSTUNED_SOURCE/contrib/grafana/wstuned-dashboard.json

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cases=$("$sample" --list) || { echo "FAIL: $sample --list"; exit 1; }
for name in $cases; do
        "$sample" "$name" >"$tmp/$name.prom" || { echo "FAIL: $sample $name"; exit 1; }
done
echo "# $(cat "$tmp"/*.prom | sed -n 's/^# TYPE \(wstuned_[a-z_]*\) .*/\1/p' | sort -u | wc -l) families in the renders of: $(echo $cases)"

# The check must be able to fail: a misspelt metric, a label the family does not have, a value never written.
for bad in 'wstuned_conntrack_drops_total' 'wstuned_keys{status="fighting"}' 'wstuned_keys{state="fighitng"}' \
        'wstuned_pressure_ratio{resource=~"conntrak|port"}' 'wstuned_keys{state=~"pending|fihgting"}' \
        'node_textfile_mtime{file="x"}'; do
        bad_rules=$tmp/bad-rules.yml
        printf 'groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: %s > 0\n' "$bad" >"$bad_rules"
        if perl "$check" metrics "$bad_rules" "$dashboard" -- "$tmp"/*.prom >"$tmp/out"; then
                echo "FAIL: the check accepts $bad"
                exit 1
        fi
        grep -q '^FAIL alert X' "$tmp/out" || { echo "FAIL: the check does not name $bad"; cat "$tmp/out"; exit 1; }
done

# and the dashboard check: a selector without the instance filter
sed 's/wstuned_fds_allocated{instance=~\\"\$instance\\"}/wstuned_fds_allocated/' "$dashboard" >"$tmp/unfiltered.json"
if cmp -s "$dashboard" "$tmp/unfiltered.json" || perl "$check" dashboard "$tmp/unfiltered.json" >"$tmp/out"; then
        echo "FAIL: the dashboard check accepts a selector without instance=~\"\$instance\""
        exit 1
fi

fail=0
perl "$check" metrics "$rules" "$dashboard" -- "$tmp"/*.prom || fail=1
perl "$check" dashboard "$dashboard" || fail=1
exit $fail
