/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conntrack.h - connection tracking statistics: ctnetlink's IPCTNL_MSG_CT_GET_STATS (table fill) and
 * IPCTNL_MSG_CT_GET_STATS_CPU (per-CPU event counters, summed), with /proc/sys/net/netfilter as fallback. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ConntrackStats {
        bool present;          /* nf_conntrack loaded (stats answered or /proc/sys files exist) */
        bool from_netlink;     /* false: fallback values from /proc/sys/net/netfilter */
        uint64_t entries, max; /* IPCTNL_MSG_CT_GET_STATS: CTA_STATS_GLOBAL_ENTRIES, CTA_STATS_GLOBAL_MAX_ENTRIES */
        uint64_t found, invalid, insert, insert_failed, drop, early_drop, error, search_restart, clash_resolve,
                chaintoolong; /* summed over CPUs from IPCTNL_MSG_CT_GET_STATS_CPU; unknown newer attributes ignored */
} ConntrackStats;

/* Parsers take buffers (one or more netlink messages as received, i.e. one datagram) and never touch
 * sockets. Every message must carry exactly seq and portid. Attributes newer than this build's headers are
 * ignored; known ones must be 32-bit.
 *
 * conntrack_parse_global() stores entries/max; conntrack_parse_cpu() adds the per-CPU counters to what
 * *stats already holds, so a dump spread over several datagrams is fed to it one datagram after another
 * (start from a zeroed struct). Both set present and from_netlink once a stats message was parsed. *stats
 * is only changed when the whole buffer parses.
 *
 * Return the number of stats messages in the buffer (0 for a buffer holding only an ACK or NLMSG_DONE), or:
 *   -EBADMSG  truncated message or attribute, empty buffer, a message of another type, a payload shorter
 *             than struct nfgenmsg, a malformed NLMSG_ERROR
 *   -EPROTO   a message with another sequence number (a stale reply)
 *   -ESRCH    a message for another port id
 *   -ERANGE   a known attribute whose length is not 4 bytes (mnl_attr_validate())
 *   -errno    the error of an NLMSG_ERROR (-EPERM without CAP_NET_ADMIN, -EOPNOTSUPP without ctnetlink)
 * *ret_done is set when the buffer ended the reply: NLMSG_DONE, or an ACK (NLMSG_ERROR with error 0). */
int conntrack_parse_global(const void *buf, size_t len, uint32_t seq, uint32_t portid, ConntrackStats *stats);
int conntrack_parse_cpu(const void *buf, size_t len, uint32_t seq, uint32_t portid, ConntrackStats *stats,
                        bool *ret_done);

/* A NETLINK_NETFILTER socket, opened once and kept for every later read. */
typedef struct Conntrack Conntrack;
int conntrack_open(Conntrack **ret);
Conntrack *conntrack_close(Conntrack *c);
static inline void conntrack_closep(Conntrack **c) {
        if (*c)
                conntrack_close(*c);
}

/* Both requests over c; when ctnetlink is missing (-ENOENT, -EOPNOTSUPP, -EPROTONOSUPPORT) or c is NULL
 * (conntrack_open() failed), proc_sys/net/netfilter/nf_conntrack_{count,max} instead, with
 * from_netlink=false and zero counters; present=false (and 0 returned) when neither exists.
 * Errors: -EPERM without CAP_NET_ADMIN (no fallback: the caller decides), -ETIMEDOUT when the kernel does
 * not answer, -EINVAL for a proc file that is not a number, and the parsers' errors. */
int conntrack_read_stats(Conntrack *c, const char *proc_sys, ConntrackStats *ret);
/* Without proc_sys/net/netfilter/nf_conntrack_max, nf_conntrack is not loaded: present=false and no netlink
 * request at all (one would make the kernel load the module). */
