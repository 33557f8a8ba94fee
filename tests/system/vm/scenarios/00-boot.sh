# shellcheck shell=bash
# 00-boot: the VM is what the other scenarios assume: Debian's kernel with nf_conntrack as a module
# that nothing loaded at boot, and wstuned.service enabled by the package and running, within the memory
# and task limits of its unit.

boot_common() {
        check_match "Debian's own kernel" '-amd64$' "$(uname -r)"
        check_match "nf_conntrack is a loadable module" '/nf_conntrack\.ko' "$(modinfo -F filename nf_conntrack 2>&1)"
        check_eq "nf_conntrack not loaded at boot" "no" "$(module_loaded nf_conntrack && echo yes || echo no)"
        check_eq "net.netfilter.nf_conntrack_max absent at boot" "absent" \
                "$([ -e /proc/sys/net/netfilter/nf_conntrack_max ] && echo present || echo absent)"
        check_eq "wstuned.service enabled by the package" "enabled" "$(systemctl is-enabled wstuned.service 2>&1)"
        check_eq "wstuned.service active" "active" "$(systemctl is-active wstuned.service 2>&1)"
        check_rc "wstunectl reaches the daemon on the system bus" 0 wstunectl --no-pager status
        # The container test has no memory or pids controller; here systemd accounts and enforces them.
        local mem tasks
        mem=$(systemctl show -P MemoryCurrent wstuned.service)
        tasks=$(systemctl show -P TasksCurrent wstuned.service)
        check_eq "MemoryMax=128M" 134217728 "$(systemctl show -P MemoryMax wstuned.service)"
        check_eq "TasksMax=8" 8 "$(systemctl show -P TasksMax wstuned.service)"
        if [[ $mem =~ ^[0-9]+$ ]] && [ "$mem" -lt 134217728 ]; then
                pass "memory accounted, below MemoryMax ($mem bytes)"
        else
                fail "memory accounted, below MemoryMax" "MemoryCurrent: $mem"
        fi
        check_match "tasks accounted: the daemon's one thread" '^1$' "$tasks"
        info "wstuned's cgroup: memory.peak $(cat /sys/fs/cgroup/system.slice/wstuned.service/memory.peak 2>&1)"
        info "kernel values now: fs.file-max=$(sysctl_get fs.file-max) fs.nr_open=$(sysctl_get fs.nr_open)" \
                "net.core.somaxconn=$(sysctl_get net.core.somaxconn)"
}

boot1() {
        boot_common
        check_eq "no profile active after installation" "inactive" "$(bus_prop State)"
}

boot2() {
        boot_common
}
