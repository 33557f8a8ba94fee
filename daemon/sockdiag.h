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
        uint32_t queued; /* connections waiting for accept(): idiag_rqueue of a listener; may be backlog + 1 */
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
 * none. Errors: -errno of the socket or of an NLMSG_ERROR, -ETIMEDOUT, and the parser's. A kernel without
 * IPv6 (-ENOENT for the AF_INET6 dump) has no IPv6 sockets: that dump is skipped. */
int sockdiag_listen_fill(SockDiag *d, ListenFill *ret);

/* The remote address:port that most TCP sockets with a local port in lo..hi (any state but LISTEN, TIME_WAIT
 * included) point to, and the total of such sockets. -EINVAL when lo > hi; errors as above, and -ENOMEM. */
int sockdiag_top_destination(SockDiag *d, uint16_t lo, uint16_t hi, DestinationCount *ret);

/* Order by family, then address bytes, then port: <0, 0, >0. */
int endpoint_compare(const Endpoint *a, const Endpoint *b);

/* Per-destination socket counts: an open-addressing hash table keyed by Endpoint (family, address, port),
 * with a random hash key per table. It grows to at most DESTINATION_TABLE_MAX distinct endpoints (a few
 * MiB); sockets towards endpoints first seen after that still count in the total, not per endpoint. The
 * kernel dumps sockets in hash order, so a destination holding many sockets shows up long before that. */
#define DESTINATION_TABLE_MAX (1u << 17)

typedef struct DestinationTable DestinationTable;
int destination_table_new(DestinationTable **ret);
DestinationTable *destination_table_free(DestinationTable *t);
static inline void destination_table_freep(DestinationTable **t) {
        if (*t)
                destination_table_free(*t);
}
/* Count one socket towards remote (AF_INET or AF_INET6, else -EINVAL). -ENOMEM when growing fails; the
 * socket is then not counted at all. */
int destination_table_add(DestinationTable *t, const Endpoint *remote);
size_t destination_table_size(const DestinationTable *t); /* distinct endpoints held */
/* The endpoint with most sockets (ties: the smaller by endpoint_compare()), and the total; zero when empty. */
void destination_table_top(const DestinationTable *t, DestinationCount *ret);

/* The netlink messages, exposed so tests can check and feed them.
 *
 * SOCK_DIAG_BY_FAMILY requests: one dump per address family, struct inet_diag_req_v2 for IPPROTO_TCP.
 *   SOCKDIAG_SCAN_LISTEN        idiag_states = 1 << TCP_LISTEN, no filter.
 *   SOCKDIAG_SCAN_DESTINATIONS  every state but TCP_LISTEN (TIME_WAIT, SYN_SENT, SYN_RECV included), and an
 *                               INET_DIAG_REQ_BYTECODE attribute passing only local ports in lo..hi. */
typedef enum SockDiagScan {
        SOCKDIAG_SCAN_LISTEN,
        SOCKDIAG_SCAN_DESTINATIONS,
        _SOCKDIAG_SCAN_MAX,
        _SOCKDIAG_SCAN_INVALID = -22,
} SockDiagScan;

/* The filter "lo <= local port <= hi": two inet_diag_bc_op pairs, S_GE lo then S_LE hi, in host byte order. */
#define SOCKDIAG_PORT_RANGE_BYTECODE_SIZE 16
void sockdiag_port_range_bytecode(uint16_t lo, uint16_t hi,
                                  uint8_t ret[static SOCKDIAG_PORT_RANGE_BYTECODE_SIZE]);

/* Build one request into buf (at least SOCKDIAG_REQUEST_MAX bytes); lo and hi are used by
 * SOCKDIAG_SCAN_DESTINATIONS only. Returns the message length (0 for an unknown scan). */
#define SOCKDIAG_REQUEST_MAX 128
size_t sockdiag_put_request(void *buf, uint32_t seq, int family, SockDiagScan scan, uint16_t lo, uint16_t hi);

/* Parsers take buffers (one datagram of a dump reply as received) and never touch sockets. Every message
 * must carry exactly seq and portid. A reply is a run of SOCK_DIAG_BY_FAMILY messages (struct inet_diag_msg
 * and attributes), then NLMSG_DONE. Sockets in a state the scan did not ask for (one that changed state
 * while the kernel dumped it) are skipped. Attributes are not used; the ones whose size we know
 * (INET_DIAG_SHUTDOWN, _SKV6ONLY, _MARK, _CGROUP_ID) must have it.
 *
 * sockdiag_parse_listeners() folds each listener into *fill (listeners + 1, and the fullest kept: the
 * largest queued / max(backlog, 1), ties to the larger queued, then to the first seen); start from a zeroed
 * struct and feed it the datagrams of both dumps in turn. *fill is only changed when the whole buffer
 * parses. sockdiag_parse_destinations() counts each socket's remote endpoint into t; the buffer is checked
 * whole before anything is counted, so only -ENOMEM leaves it partly counted.
 *
 * Return the number of sockets folded in or counted (0 for a buffer holding only NLMSG_DONE), or:
 *   -EBADMSG  truncated message or attribute, empty buffer, a message of another type, a payload shorter
 *             than struct inet_diag_msg, a family other than AF_INET/AF_INET6, a malformed NLMSG_ERROR
 *   -EPROTO   a message with another sequence number (a stale reply)
 *   -ESRCH    a message for another port id
 *   -ERANGE   a known attribute of the wrong size (mnl_attr_validate())
 *   -errno    the error of an NLMSG_ERROR or of NLMSG_DONE (the dump failed midway)
 *   -ENOMEM   (destinations) the table could not grow
 * *ret_done is set when the buffer ended the reply: NLMSG_DONE, or an ACK (NLMSG_ERROR with error 0). */
int sockdiag_parse_listeners(const void *buf, size_t len, uint32_t seq, uint32_t portid, ListenFill *fill,
                             bool *ret_done);
int sockdiag_parse_destinations(const void *buf, size_t len, uint32_t seq, uint32_t portid, DestinationTable *t,
                                bool *ret_done);
