# shellcheck shell=bash
# 00-boot: the VM is what the other scenarios assume: Debian's kernel with nf_conntrack as a module
# that nothing loaded at boot, and wstuned.service enabled by the package and running.

boot_common() {
        check_match "Debian's own kernel" '-amd64$' "$(uname -r)"
        check_match "nf_conntrack is a loadable module" '/nf_conntrack\.ko' "$(modinfo -F filename nf_conntrack 2>&1)"
        check_eq "nf_conntrack not loaded at boot" "no" "$(module_loaded nf_conntrack && echo yes || echo no)"
        check_eq "net.netfilter.nf_conntrack_max absent at boot" "absent" \
                "$([ -e /proc/sys/net/netfilter/nf_conntrack_max ] && echo present || echo absent)"
        check_eq "wstuned.service enabled by the package" "enabled" "$(systemctl is-enabled wstuned.service 2>&1)"
        check_eq "wstuned.service active" "active" "$(systemctl is-active wstuned.service 2>&1)"
        check_rc "wstunectl reaches the daemon on the system bus" 0 wstunectl --no-pager status
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
