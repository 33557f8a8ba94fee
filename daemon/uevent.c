/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uevent.c - kernel uevents over NETLINK_KOBJECT_UEVENT, opened with libmnl.
 *
 * The kernel multicasts each uevent to group 1 as a plain datagram ("add@/module/nf_conntrack\0
 * ACTION=add\0SUBSYSTEM=module\0…"), not as netlink messages. Only datagrams whose sender port is 0
 * (the kernel) count: anyone may send to the socket. Module uevents reach every network namespace
 * owned by the initial user namespace; network device uevents only the device's own namespace. */
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include "uevent.h"
#include "util/util.h"

#define UEVENT_GROUP_KERNEL 1u
#define UEVENT_BUFFER_SIZE 8192u

int uevent_parse(const char *buf, size_t size, Uevent *ret) {
        Uevent u = {};
        const char *end = buf + size;

        /* the header "ACTION@DEVPATH" must be a NUL-terminated string with an '@' */
        const char *nul = memchr(buf, '\0', size);
        if (size == 0 || !nul || !memchr(buf, '@', (size_t) (nul - buf)))
                return -EINVAL;

        for (const char *p = nul + 1; p < end;) {
                const char *e = memchr(p, '\0', (size_t) (end - p));
                if (!e)
                        return -EINVAL; /* truncated */
                if (strncmp(p, "ACTION=", 7) == 0)
                        u.action = p + 7;
                else if (strncmp(p, "SUBSYSTEM=", 10) == 0)
                        u.subsystem = p + 10;
                else if (strncmp(p, "DEVPATH=", 8) == 0)
                        u.devpath = p + 8;
                p = e + 1;
        }
        if (!u.action || !u.subsystem)
                return -EINVAL;
        *ret = u;
        return 0;
}

bool uevent_may_add_sysctls(const Uevent *u) {
        if (streq(u->subsystem, "module"))
                return streq(u->action, "add");
        if (streq(u->subsystem, "net"))
                return streq(u->action, "add") || streq(u->action, "move");
        return false;
}

int uevent_open(void) {
        struct mnl_socket *nl;
        int fd, size = 256 * 1024;

        nl = mnl_socket_open2(NETLINK_KOBJECT_UEVENT, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (!nl)
                return -errno;
        if (mnl_socket_bind(nl, UEVENT_GROUP_KERNEL, MNL_SOCKET_AUTOPID) < 0) {
                int r = -errno;
                mnl_socket_close(nl);
                return r;
        }
        /* Bursts (Docker creating dozens of veths) must not overflow it; losses are handled anyway. */
        (void) setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);

        /* Keep the descriptor, free the wrapper: the event loop owns the fd from here on. */
        fd = dup(mnl_socket_get_fd(nl));
        mnl_socket_close(nl);
        if (fd < 0)
                return -errno;
        return fd;
}

int uevent_receive(int fd) {
        char buf[UEVENT_BUFFER_SIZE];
        struct sockaddr_nl sender = {};
        struct iovec iov = { .iov_base = buf, .iov_len = sizeof buf };
        struct msghdr msg = { .msg_name = &sender, .msg_namelen = sizeof sender, .msg_iov = &iov, .msg_iovlen = 1 };
        Uevent u;

        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
        if (n < 0)
                return errno == EINTR ? -EAGAIN : -errno;
        if (msg.msg_flags & MSG_TRUNC)
                return 1; /* too big to parse: re-checking is cheap */
        if (sender.nl_pid != 0)
                return 0;
        if (uevent_parse(buf, (size_t) n, &u) < 0)
                return 0;
        return uevent_may_add_sysctls(&u);
}
