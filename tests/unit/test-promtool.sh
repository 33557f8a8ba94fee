#!/bin/bash
# test-promtool.sh - lint the metrics file of every case of metrics-samples.h with `promtool check metrics`:
# any complaint (promtool prints lint problems and exits non-zero) fails. Debian ships promtool only in the
# prometheus package, which would start a server when installed; tools/deps.sh takes the binary out of the
# .deb into /var/cache/wstuned-tools/bin. PROMTOOL= overrides. Usage: test-promtool.sh METRICS_SAMPLE
set -uo pipefail
sample=${1:?usage: test-promtool.sh METRICS_SAMPLE}

promtool=${PROMTOOL:-}
if [ -z "$promtool" ]; then
        promtool=$(command -v promtool || true)
fi
if [ -z "$promtool" ] && [ -x /var/cache/wstuned-tools/bin/promtool ]; then
        promtool=/var/cache/wstuned-tools/bin/promtool
fi
if [ -z "$promtool" ]; then
        echo "SKIP: promtool not found (tools/deps.sh fetches it)"
        exit 77
fi
echo "# $("$promtool" --version 2>&1 | head -n 1) ($promtool)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

# lint FILE: promtool's verdict; stdout and stderr together, since it reports lint problems on stdout
lint() {
        "$promtool" check metrics <"$1" >"$tmp/out" 2>&1
}

# A promtool that lints nothing would pass everything: it must reject a counter without _total.
printf '# HELP bad_counter A counter without the suffix.\n# TYPE bad_counter counter\nbad_counter 1\n' >"$tmp/bad"
if lint "$tmp/bad"; then
        echo "FAIL: $promtool accepts a counter without _total"
        exit 1
fi

cases=$("$sample" --list) || { echo "FAIL: $sample --list"; exit 1; }
[ -n "$cases" ] || { echo "FAIL: no cases"; exit 1; }
for name in $cases; do
        if ! "$sample" "$name" >"$tmp/$name.prom"; then
                echo "FAIL $name: $sample failed"
                fail=1
                continue
        fi
        if lint "$tmp/$name.prom" && [ ! -s "$tmp/out" ]; then
                echo "ok $name ($(grep -c '^wstuned_' "$tmp/$name.prom") samples)"
        else
                echo "FAIL $name: promtool check metrics says:"
                sed 's/^/    /' "$tmp/out"
                fail=1
        fi
done
exit $fail
