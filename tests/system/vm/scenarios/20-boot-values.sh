# shellcheck shell=bash
# 20-boot-values: after a reboot, nobody calls Apply: wstuned.service applies the profile persisted
# by 10-apply-before-conntrack during boot, before units ordered after it (this test's driver) start.
# Every value is back, written this boot by wstuned (its journal says so); nf_conntrack is not loaded
# at boot, so its key is pending again.

CT=net.netfilter.nf_conntrack_max

boot2() {
        local changed
        check_eq "precondition: nf_conntrack not loaded" "no" "$(module_loaded nf_conntrack && echo yes || echo no)"
        check_eq "ActiveProfile from state.json" "vm-test" "$(bus_prop ActiveProfile)"
        check_eq "kernel: fs.nr_open at boot" "2097152" "$(sysctl_get fs.nr_open)"
        check_eq "kernel: fs.file-max at boot" "4194304" "$(sysctl_get fs.file-max)"
        check_eq "kernel: net.core.somaxconn at boot" "16384" "$(sysctl_get net.core.somaxconn)"

        # The kernel starts from its defaults at every boot: the values above were written in this
        # boot, and by wstuned.
        changed=$(journal_keys "$MSG_KEY_CHANGED" | paste -sd ' ')
        check_eq "journal: wstuned changed the keys this boot" "fs.file-max fs.nr_open net.core.somaxconn" "$changed"
        check_eq "journal: one profile-applied entry this boot (wstuned's start; no Apply call)" "1" \
                "$(journalctl -b --no-pager -o cat MESSAGE_ID="$MSG_PROFILE_APPLIED" | wc -l)"

        check_eq "State at boot" "pending" "$(bus_prop State)"
        check_eq "PendingKeys at boot" "$CT" "$(bus_prop PendingKeys)"
        check_eq "wstunectl get: $CT state at boot" "pending" "$(key_state $CT)"
        check_match "journal: key-pending entry for $CT this boot" "^$CT\$" "$(journal_keys "$MSG_KEY_PENDING")"
}
