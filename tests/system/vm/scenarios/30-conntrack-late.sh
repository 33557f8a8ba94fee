# shellcheck shell=bash
# 30-conntrack-late: nf_conntrack is loaded while wstuned runs with net.netfilter.nf_conntrack_max
# pending: in boot 1 with modprobe, in boot 2 by an nft rule with a ct expression (the way Docker or
# a firewall loads it). The key must get the profile's value without restarting anything, set on the
# module's uevent (the journal entry says so), not by a later poll; how long it took is printed as a
# figure, not judged (software emulation on a busy machine). Afterwards an Apply (boot 1) or a restart
# (boot 2) finds nothing left to do.

CT=net.netfilter.nf_conntrack_max
CT_VALUE=262144
LATE_KEY_WATCH_MS=10000
APPLIED_LATE_ID=99dd800884584a318e00b28dc1fd9986 # daemon/journal.h: WSTUNED_MESSAGE_KEY_APPLIED_LATE

wstuned_instance() { systemctl show -P MainPID,NRestarts wstuned.service | paste -sd/; }

# late_key HOW COMMAND...: load nf_conntrack with COMMAND while CT is pending, then watch CT.
late_key() {
        local how=$1 before after first delay ok=1 seen
        shift
        check_eq "precondition: State/PendingKeys" "pending/$CT" "$(bus_prop State)/$(bus_prop PendingKeys)"
        before=$(wstuned_instance)
        check_rc "$how" 0 "$@"
        first=$(sysctl_get $CT)
        delay=$(wait_for_value $CT $CT_VALUE $LATE_KEY_WATCH_MS) && seen=1 || seen=0
        after=$(wstuned_instance)
        check_eq "nf_conntrack loaded by: $how" "yes" "$(module_loaded nf_conntrack && echo yes || echo no)"
        [ "$seen" = 1 ] && [ "$before" = "$after" ] && ok=0
        if [ "$seen" = 1 ]; then
                seen="reached $CT_VALUE ${delay} ms after the load returned"
        else
                seen="not $CT_VALUE within ${LATE_KEY_WATCH_MS} ms (now $(sysctl_get $CT))"
        fi
        check_eq "$CT set to $CT_VALUE after '$how', nothing restarted" 0 "$ok"
        info "first read after the load: ${first:-absent}; $seen; wstuned MainPID/NRestarts before: $before, after: $after"
        local entry
        entry=$(journalctl -b -o verbose MESSAGE_ID=$APPLIED_LATE_ID WSTUNED_KEY=$CT -n 1 --no-pager)
        check_match "journal: applied-late entry with its delay" "WSTUNED_DELAY_USEC=[0-9]+" "$entry"
        check_match "journal: set on the kernel's event, not by the poll" "MESSAGE=.* after the kernel event" "$entry"
        info "wstuned's own measure, kernel event to write: $(printf '%s\n' "$entry" | sed -n 's/^ *WSTUNED_DELAY_USEC=//p') µs"
        # The daemon's view now, without anyone re-applying: first the properties as they are, then
        # after a Get (which reads the key again). Whatever the mechanism, Get shows the kernel's value.
        info "after the load, before any Get: State $(bus_prop State), PendingKeys '$(bus_prop PendingKeys)'"
        check_eq "wstunectl get: current $CT is the kernel's" "$(sysctl_get $CT)" "$(key_current $CT)"
        info "after a Get: key state $(key_state $CT), State $(bus_prop State), PendingKeys '$(bus_prop PendingKeys)'"
}

# holds WHEN: the real kernel limit has the profile's value and the daemon agrees.
holds() {
        check_eq "kernel: $CT $1" "$CT_VALUE" "$(sysctl_get $CT)"
        check_eq "kernel: net.nf_conntrack_max (initial namespace's global limit) $1" "$CT_VALUE" \
                "$(sysctl_get net.nf_conntrack_max)"
        check_eq "State $1" "ok" "$(bus_prop State)"
        check_eq "PendingKeys $1" "" "$(bus_prop PendingKeys)"
        # only this key's row: a service that 40-limits started before the apply is restart-needed
        check_match "wstunectl verify: $CT holds $1" "^net\.netfilter\.nf_conntrack_max +>=$CT_VALUE +$CT_VALUE +ok$" \
                "$(wstunectl --no-pager verify)"
}

boot1() {
        late_key "modprobe nf_conntrack" modprobe nf_conntrack
        # Applying the active profile again finds the key holding already.
        local before
        before=$(sysctl_get $CT)
        check_rc "wstunectl apply (the active profile again)" 0 wstunectl --no-pager apply
        printf '%s\n' "$OUT" | sed 's/^/      | /'
        check_eq "apply: $CT $([ "$before" = $CT_VALUE ] && echo 'untouched (held already)' || echo set)" \
                "$([ "$before" = $CT_VALUE ] || echo set)" \
                "$(printf '%s\n' "$OUT" | awk -v k=$CT '$1 == k { print $NF }')"
        holds "after apply"
}

boot2() {
        cat >"$SCENARIO_STATE/ct.nft" <<'NFT'
table inet wstuned_vmtest {
        chain out {
                type filter hook output priority 0; policy accept;
                ct state new counter
        }
}
NFT
        late_key "nft rule with a ct expression" nft -f "$SCENARIO_STATE/ct.nft"
        # A restart applies the persisted profile: still holds.
        check_rc "systemctl restart wstuned" 0 systemctl restart wstuned.service
        holds "after the restart"
}
