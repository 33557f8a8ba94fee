#!/bin/sh
# record-before.sh - run by wstuned-vmtest-before.service (cloud image) before wstuned starts: this
# boot's id and the values of the keys ws-server and ws-client manage, as "PATH VALUE" lines (blanks
# squeezed), in /run/wstuned-vmtest/before.
mkdir -p /run/wstuned-vmtest
{
        echo "boot_id $(cat /proc/sys/kernel/random/boot_id)"
        for k in net/core/somaxconn net/ipv4/tcp_max_syn_backlog net/ipv4/tcp_syncookies \
                net/ipv4/ip_local_port_range net/ipv4/tcp_tw_reuse net/ipv4/tcp_fin_timeout; do
                echo "/proc/sys/$k $(tr -s '\t ' '  ' <"/proc/sys/$k")"
        done
} >/run/wstuned-vmtest/before.tmp && mv /run/wstuned-vmtest/before.tmp /run/wstuned-vmtest/before
