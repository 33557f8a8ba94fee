/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netlink.h - a kept netlink socket and one request/reply exchange on it, shared by the ctnetlink
 * (conntrack.c) and sock_diag (sockdiag.c) clients. What a reply means is the caller's parser's business. */
#pragma once

#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define NETLINK_BUFFER_SIZE (32u * 1024u) /* a dump datagram is at most 32 KiB (netlink_recvmsg() caps it) */

typedef struct NetlinkSocket {
        struct mnl_socket *nl;
        uint32_t portid;
        uint32_t seq; /* of the last request */
} NetlinkSocket;

/* Whether the message at nlh lies wholly, padding included, within the remaining bytes of a datagram: what
 * mnl_nlmsg_ok() should say. libmnl up to 1.0.5 compares (int) nlmsg_len, so a length above INT_MAX turns
 * negative and passes, and the walk runs off the buffer (fixed upstream after 1.0.5, libmnl commit 754c9de);
 * and it accepts a last message whose padding is not in the datagram, while mnl_attr_for_each() walks the
 * attributes up to the padded end. The kernel pads every message. */
static inline bool netlink_message_ok(const struct nlmsghdr *nlh, int remaining) {
        return remaining >= (int) sizeof(struct nlmsghdr) && nlh->nlmsg_len >= sizeof(struct nlmsghdr) &&
               nlh->nlmsg_len <= (uint32_t) remaining && MNL_ALIGN(nlh->nlmsg_len) <= (uint32_t) remaining;
}

/* Open and bind a socket of protocol (NETLINK_NETFILTER, NETLINK_SOCK_DIAG); a receive that waits longer
 * than timeout_sec fails, so a kernel that never answers cannot block the daemon's event loop for good. */
int netlink_open(NetlinkSocket *s, int protocol, unsigned timeout_sec);
void netlink_close(NetlinkSocket *s);

/* Folds one datagram of a reply in; sets *ret_done when it ended the reply. Returns < 0 to stop with that
 * error. seq and portid are what every message of the datagram must carry. */
typedef int (*NetlinkParse)(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *userdata,
                            bool *ret_done);

/* The sequence number the next request must carry. */
uint32_t netlink_next_seq(NetlinkSocket *s);

/* Send req (len bytes, with the seq of netlink_next_seq()) and hand the datagrams of the reply to parse
 * until it is done. What an aborted earlier exchange left queued is drained first (its stale seq would
 * fail the parser); datagrams not from the kernel are dropped unread. -ETIMEDOUT when the kernel does not
 * answer, -EMSGSIZE for a datagram larger than NETLINK_BUFFER_SIZE, -errno of the socket, parse's errors. */
int netlink_transact(NetlinkSocket *s, const void *req, size_t len, NetlinkParse parse, void *userdata);
