/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sockdiag.h - TCP socket facts from NETLINK_SOCK_DIAG (inet_diag, libmnl) that /proc does not sum up:
 * how full the fullest accept queue is, and how many local ports each remote address:port holds.
 *
 * Both are dumps, but bounded: the listen scan asks for TCP_LISTEN only (the kernel then walks only the
 * listening hash, so its cost follows the number of listeners, not of connections), and the destination
 * count is taken only when the ports are under pressure, with a kernel-side filter (INET_DIAG_REQ_BYTECODE)
 * that passes only sockets whose local port lies in the ephemeral range. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An IPv4 or IPv6 address and a port; IPv4-mapped IPv6 addresses are stored as IPv4. */
typedef struct Endpoint {
        int family; /* AF_INET, AF_INET6; 0 = none */
        uint8_t addr[16];
        uint16_t port; /* host order */
} Endpoint;

#define ENDPOINT_STRING_MAX 48 /* "[ffff:...:ffff]:65535" and the NUL */
/* "192.0.2.1:443", "[2001:db8::1]:443"; "-" for family 0. Returns buf. */
char *endpoint_format(const Endpoint *e, char buf[static ENDPOINT_STRING_MAX]);

typedef struct ListenFill {
        Endpoint local;  /* the listener */
        uint32_t queued; /* connections waiting for accept(): idiag_rqueue of a listener */
        uint32_t backlog; /* the accept queue's size: idiag_wqueue of a listener (min(backlog, somaxconn)) */
        unsigned listeners; /* how many listening sockets the scan saw (both families) */
} ListenFill;

typedef struct DestinationCount {
        Endpoint remote;
        uint64_t sockets; /* sockets of the range's local ports towards remote */
        uint64_t total;   /* sockets with a local port in the range, all destinations */
} DestinationCount;

typedef struct SockDiag SockDiag;
int sockdiag_open(SockDiag **ret);
SockDiag *sockdiag_close(SockDiag *d);
static inline void sockdiag_closep(SockDiag **d) {
        if (*d)
                sockdiag_close(*d);
}

/* The listener (TCP, IPv4 and IPv6) with the largest queued / backlog; all zero and listeners 0 when there is
 * none. Errors: -errno of the socket or of an NLMSG_ERROR, -ETIMEDOUT, and the parser's. */
int sockdiag_listen_fill(SockDiag *d, ListenFill *ret);

/* The remote address:port that most TCP sockets with a local port in lo..hi (any state but LISTEN, TIME_WAIT
 * included) point to, and the total of such sockets. */
int sockdiag_top_destination(SockDiag *d, uint16_t lo, uint16_t hi, DestinationCount *ret);
