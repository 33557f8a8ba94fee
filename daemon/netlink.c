/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netlink.c - a kept netlink socket and one request/reply exchange on it (libmnl). */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"
#include "util/util.h"

int netlink_open(NetlinkSocket *s, int protocol, unsigned timeout_sec) {
        struct timeval tv = { .tv_sec = timeout_sec };
        int r;

        *s = (NetlinkSocket) {};
        s->nl = mnl_socket_open2(protocol, SOCK_CLOEXEC);
        if (!s->nl)
                return -errno;
        if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
            setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
                r = -errno;
                netlink_close(s);
                return r;
        }
        s->portid = mnl_socket_get_portid(s->nl);
        s->seq = (uint32_t) time(NULL);
        return 0;
}

void netlink_close(NetlinkSocket *s) {
        if (s->nl)
                mnl_socket_close(s->nl);
        *s = (NetlinkSocket) {};
}

uint32_t netlink_next_seq(NetlinkSocket *s) {
        return s->seq + 1;
}

/* Receive one datagram from the kernel; datagrams from other senders are skipped. */
static ssize_t netlink_receive(NetlinkSocket *s, void *buf, size_t size, int flags) {
        for (;;) {
                struct sockaddr_nl sender = {};
                struct iovec iov = { .iov_base = buf, .iov_len = size };
                struct msghdr msg = {
                        .msg_name = &sender, .msg_namelen = sizeof(sender), .msg_iov = &iov, .msg_iovlen = 1
                };

                ssize_t n = recvmsg(mnl_socket_get_fd(s->nl), &msg, flags);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -errno;
                }
                if (msg.msg_flags & MSG_TRUNC)
                        return -EMSGSIZE;
                if (sender.nl_pid != 0)
                        continue;
                return n;
        }
}

int netlink_transact(NetlinkSocket *s, const void *req, size_t len, NetlinkParse parse, void *userdata) {
        _cleanup_free_ char *buf = malloc(NETLINK_BUFFER_SIZE);
        int r;

        if (!buf)
                return -ENOMEM;
        /* Each read of a stale dump makes the kernel queue its next datagram, so this drains it whole. */
        while (netlink_receive(s, buf, NETLINK_BUFFER_SIZE, MSG_DONTWAIT) >= 0)
                ;

        s->seq = netlink_next_seq(s);
        if (mnl_socket_sendto(s->nl, req, len) < 0)
                return -errno;
        for (;;) {
                bool done = false;
                ssize_t n = netlink_receive(s, buf, NETLINK_BUFFER_SIZE, 0);

                if (n == -EAGAIN)
                        return -ETIMEDOUT;
                if (n < 0)
                        return (int) n;
                r = parse(buf, (size_t) n, s->seq, s->portid, userdata, &done);
                if (r < 0)
                        return r;
                if (done)
                        return 0;
        }
}
