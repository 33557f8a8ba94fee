# shellcheck shell=bash
# 10-apply-before-conntrack: an administrator applies vm-test (/etc/wstuned/profiles/vm-test.json)
# on a host where nothing loaded nf_conntrack yet. The global fs.* keys and net.core.somaxconn are
# written to the real kernel; net.netfilter.nf_conntrack_max is reported pending everywhere the
# daemon reports state; the choice is persisted for the next boot.
# fs.file-max is an exact value on purpose: systemd raises it to LONG_MAX at boot, so an at-least
# value would hold without any write and prove nothing.

CT=net.netfilter.nf_conntrack_max

boot1() {
        local out
        check_eq "precondition: nf_conntrack not loaded" "no" "$(module_loaded nf_conntrack && echo yes || echo no)"
        check_eq "precondition: fs.nr_open below the profile's 2097152 (kernel default)" "1048576" "$(sysctl_get fs.nr_open)"
        check_eq "precondition: fs.file-max at systemd's LONG_MAX, not 4194304" "9223372036854775807" \
                "$(sysctl_get fs.file-max)"
        check_eq "precondition: net.core.somaxconn at its default 4096" "4096" "$(sysctl_get net.core.somaxconn)"

        check_rc "wstunectl apply vm-test" 0 wstunectl --no-pager apply vm-test
        out=$OUT
        printf '%s\n' "$out" | sed 's/^/      | /'
        row() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $NF }'; }
        check_eq "apply: $CT pending" "pending" "$(row $CT)"
        check_eq "apply: fs.nr_open set" "set" "$(row fs.nr_open)"
        check_eq "apply: fs.file-max set" "set" "$(row fs.file-max)"
        check_eq "apply: net.core.somaxconn set" "set" "$(row net.core.somaxconn)"

        check_eq "kernel: fs.nr_open written" "2097152" "$(sysctl_get fs.nr_open)"
        check_eq "kernel: fs.file-max written" "4194304" "$(sysctl_get fs.file-max)"
        check_eq "kernel: net.core.somaxconn written" "16384" "$(sysctl_get net.core.somaxconn)"
        check_eq "kernel: $CT still absent" "absent" "$([ -e /proc/sys/net/netfilter/nf_conntrack_max ] && echo present || echo absent)"

        check_eq "ActiveProfile" "vm-test" "$(bus_prop ActiveProfile)"
        check_eq "State" "pending" "$(bus_prop State)"
        check_eq "PendingKeys" "$CT" "$(bus_prop PendingKeys)"
        check_eq "wstunectl get: $CT state" "pending" "$(key_state $CT)"
        check_rc "wstunectl verify fails while a key is pending" 1 wstunectl --no-pager verify
        check_eq "wstunectl verify: $CT verdict" "pending" \
                "$(printf '%s\n' "$OUT" | awk -v k=$CT '$1 == k { print $NF }')"
        check_match "journal: key-pending entry for $CT" "^$CT\$" "$(journal_keys "$MSG_KEY_PENDING")"
        check_match "state.json: vm-test persisted for the next boot" '"active_profile":[[:space:]]*"vm-test"' \
                "$(cat /var/lib/wstuned/state.json)"
}
