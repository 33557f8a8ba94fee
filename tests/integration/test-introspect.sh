#!/bin/bash
# test-introspect.sh - dbus/io.wstune.wstuned1.xml is the contract: the daemon's own introspection of
# the Manager interface must be exactly that file (comments and layout aside).
. "$(dirname "$0")/preamble.sh" "$0" "$@"

wstuned_start || exit 1
normalize() { # the Manager interface of an introspection document, one canonical line
        perl -0ne 's/<!--.*?-->//gs; m{(<interface name="io.wstune.wstuned1.Manager">.*?</interface>)}s or die "no interface\n";
                   $_ = $1; s/\s+/ /g; s/> </></g; s/ \/>/\/>/g; print "$_\n"'
}
live=$(busctl --system --xml-interface introspect io.wstune.wstuned1 /io/wstune/wstuned1 | normalize)
file=$(normalize <"$WSTUNED_SOURCE/dbus/io.wstune.wstuned1.xml")
check_eq "introspection matches dbus/io.wstune.wstuned1.xml" "$file" "$live"
for m in Get Apply Verify ListProfiles Plan Revert Reload; do
        check_match "file declares $m" "<method name=\"$m\">" "$file"
done
check_host_unchanged
test_finish
