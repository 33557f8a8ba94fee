/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* uevent.h - kernel uevents that can make sysctls appear: a module loaded, a network device added. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

typedef struct Uevent {
        const char *action;    /* "add", "remove", "change", "move", … (points into the buffer) */
        const char *subsystem; /* "module", "net", … */
        const char *devpath;
} Uevent;

/* Parse one kernel uevent datagram: "ACTION@DEVPATH\0KEY=VALUE\0…". Strings point into buf, which must
 * hold size bytes and stay alive. -EINVAL for anything else (udev's "libudev" messages included). */
int uevent_parse(const char *buf, size_t size, Uevent *ret);

/* Whether the event may have brought new /proc/sys entries: a module was loaded (nf_conntrack and its
 * net.netfilter.* keys) or a network device appeared in this namespace (net.ipv4.conf.<dev>.*). */
bool uevent_may_add_sysctls(const Uevent *u);

/* A non-blocking NETLINK_KOBJECT_UEVENT socket bound to the kernel's multicast group. */
int uevent_open(void);

/* Read and classify one pending datagram: 1 when it may have added sysctls, 0 when not (or not from
 * the kernel), -EAGAIN when none is pending, -ENOBUFS when events were lost (re-check everything). */
int uevent_receive(int fd);
