/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sockdiag.c - sock_diag parsers fed hand-built netlink datagrams (laid out as the kernel sends them:
 * struct inet_diag_msg, then attributes), the request and its port-range bytecode byte for byte and run
 * through the kernel's rules, the destination table with many endpoints, and the real socket in a network
 * namespace of its own when running as root. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "sockdiag.h"
#include "test-helpers.h"

#define SEQ 4242u
#define PORTID 31337u
#define ATTRS_MAX 4
#define MSGS_MAX 8
#define BUF_SIZE 8192

typedef enum TestMsgType {
        M_END,       /* end of the list */
        M_SOCK,      /* SOCK_DIAG_BY_FAMILY with a struct inet_diag_msg and INET_DIAG_SHUTDOWN */
        M_DONE,      /* NLMSG_DONE with .error */
        M_ERROR,     /* NLMSG_ERROR with .error (0: an ACK) */
        M_NOOP,      /* NLMSG_NOOP */
        M_SHORT,     /* SOCK_DIAG_BY_FAMILY whose payload is 8 bytes short of struct inet_diag_msg */
        M_OTHER,     /* a message of another type (RTM_NEWLINK) with an inet_diag_msg payload */
        M_ERROR_CUT, /* NLMSG_ERROR whose payload is shorter than struct nlmsgerr */
} TestMsgType;

typedef struct TestAttr {
        uint16_t type;    /* 0 ends the list */
        uint16_t size;    /* payload bytes */
        uint16_t nla_len; /* overrides the header's length when nonzero */
} TestAttr;

typedef struct TestMsg {
        TestMsgType type;
        int error;
        uint32_t seq_delta, portid_delta; /* added to SEQ / PORTID */
        uint8_t family, state;            /* state 0: the scan's own (LISTEN, or ESTABLISHED) */
        const char *src, *dst;            /* addresses in text; NULL: all zero */
        uint16_t sport, dport;
        uint32_t rqueue, wqueue;
        TestAttr attrs[ATTRS_MAX];
        uint32_t nlmsg_len; /* overrides the header's length when nonzero (the datagram keeps its size) */
} TestMsg;

static void put_address(int family, const char *text, uint32_t addr[4]) {
        memset(addr, 0, 16);
        if (text)
                ck_assert_msg(inet_pton(family == AF_INET ? AF_INET : AF_INET6, text, addr) == 1, "address %s",
                              text);
}

static void put_socket(struct nlmsghdr *nlh, const TestMsg *m, SockDiagScan scan, size_t cut) {
        struct inet_diag_msg *d = mnl_nlmsg_put_extra_header(nlh, sizeof(*d));

        d->idiag_family = m->family;
        d->idiag_state = m->state ?: scan == SOCKDIAG_SCAN_LISTEN ? TCP_LISTEN : TCP_ESTABLISHED;
        d->id.idiag_sport = htons(m->sport);
        d->id.idiag_dport = htons(m->dport);
        put_address(m->family, m->src, d->id.idiag_src);
        put_address(m->family, m->dst, d->id.idiag_dst);
        d->id.idiag_cookie[0] = d->id.idiag_cookie[1] = 0x5a5a5a5a;
        d->idiag_rqueue = m->rqueue;
        d->idiag_wqueue = m->wqueue;
        d->idiag_inode = 12345;
        if (cut > 0) {
                nlh->nlmsg_len -= (uint32_t) cut;
                return;
        }
        mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
        for (const TestAttr *a = m->attrs; a->type != 0; a++) {
                static const uint8_t data[32] = { 1, 2, 3, 4, 5, 6, 7, 8 };
                struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);

                ck_assert_uint_le(a->size, sizeof(data));
                mnl_attr_put(nlh, a->type, a->size, data);
                if (a->nla_len != 0)
                        attr->nla_len = a->nla_len;
        }
}

/* Build the datagram: the messages one after another, cut bytes removed from the end. */
static size_t build(const TestMsg *msgs, SockDiagScan scan, size_t cut, char *buf, size_t size) {
        size_t len = 0;

        memset(buf, 0, size);
        for (const TestMsg *m = msgs; m->type != M_END; m++) {
                struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);

                nlh->nlmsg_seq = SEQ + m->seq_delta;
                nlh->nlmsg_pid = PORTID + m->portid_delta;
                nlh->nlmsg_flags = NLM_F_MULTI;
                switch (m->type) {
                case M_SOCK:
                case M_SHORT:
                case M_OTHER:
                        nlh->nlmsg_type = m->type == M_OTHER ? 16 : SOCK_DIAG_BY_FAMILY;
                        put_socket(nlh, m, scan, m->type == M_SHORT ? 8 : 0);
                        break;
                case M_DONE: {
                        nlh->nlmsg_type = NLMSG_DONE;
                        int *error = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
                        *error = m->error;
                        break;
                }
                case M_ERROR:
                case M_ERROR_CUT: {
                        nlh->nlmsg_type = NLMSG_ERROR;
                        nlh->nlmsg_flags = 0;
                        struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
                        e->error = m->error;
                        if (m->type == M_ERROR_CUT)
                                nlh->nlmsg_len = NLMSG_HDRLEN + sizeof(int);
                        break;
                }
                case M_NOOP:
                        nlh->nlmsg_type = NLMSG_NOOP;
                        break;
                case M_END:
                        break;
                }
                len += NLMSG_ALIGN(nlh->nlmsg_len);
                if (m->nlmsg_len != 0)
                        nlh->nlmsg_len = m->nlmsg_len;
                ck_assert_uint_lt(len, size / 2);
        }
        ck_assert_uint_le(cut, len);
        return len - cut;
}

#define L4(addr, port, q, b) \
        { M_SOCK, .family = AF_INET, .state = TCP_LISTEN, .src = addr, .sport = port, .rqueue = q, .wqueue = b }
#define L6(addr, port, q, b) \
        { M_SOCK, .family = AF_INET6, .state = TCP_LISTEN, .src = addr, .sport = port, .rqueue = q, .wqueue = b }
#define C4(st, sp, daddr, dp) \
        { M_SOCK, .family = AF_INET, .state = st, .src = "10.0.0.2", .sport = sp, .dst = daddr, .dport = dp }
#define C6(st, saddr, sp, daddr, dp) \
        { M_SOCK, .family = AF_INET6, .state = st, .src = saddr, .sport = sp, .dst = daddr, .dport = dp }
#define EST TCP_ESTABLISHED

/* An expected endpoint, in text. */
typedef struct TestEndpoint {
        int family;
        const char *addr;
        uint16_t port;
} TestEndpoint;

static Endpoint endpoint_of(const TestEndpoint *t) {
        Endpoint e = { .family = t->family, .port = t->port };

        if (t->family != 0)
                ck_assert_int_eq(inet_pton(t->family, t->addr, e.addr), 1);
        return e;
}

static void assert_endpoint_eq(const Endpoint *a, const Endpoint *b) {
        char x[ENDPOINT_STRING_MAX], y[ENDPOINT_STRING_MAX];

        ck_assert_msg(endpoint_compare(a, b) == 0, "endpoint %s, expected %s", endpoint_format(a, x),
                      endpoint_format(b, y));
}

typedef struct ListenCase {
        const char *name;
        TestMsg msgs[MSGS_MAX + 1];
        int ret;
        bool done;
        TestEndpoint local;
        uint32_t queued, backlog;
        unsigned listeners;
} ListenCase;

static const ListenCase listen_cases[] = {
        { "one listener", { L4("0.0.0.0", 80, 3, 128), { M_DONE } }, 1, true, { AF_INET, "0.0.0.0", 80 }, 3, 128, 1 },
        { "fullest of three",
          { L4("127.0.0.1", 8080, 1, 4), L6("::", 443, 100, 4096), L4("10.0.0.1", 22, 5, 8), { M_DONE } }, 3, true,
          { AF_INET, "10.0.0.1", 22 }, 5, 8, 3 },
        { "same ratio: the larger queue", { L4("10.0.0.1", 1, 2, 4), L4("10.0.0.2", 2, 4, 8), { M_DONE } }, 2, true,
          { AF_INET, "10.0.0.2", 2 }, 4, 8, 2 },
        { "same queue and backlog: the first", { L4("10.0.0.1", 1, 2, 4), L4("10.0.0.2", 2, 2, 4), { M_DONE } }, 2,
          true, { AF_INET, "10.0.0.1", 1 }, 2, 4, 2 },
        { "backlog 0 counts as 1", { L4("10.0.0.2", 2, 8, 9), L4("10.0.0.1", 1, 1, 0), { M_DONE } }, 2, true,
          { AF_INET, "10.0.0.1", 1 }, 1, 0, 2 },
        { "queued above backlog", { L4("10.0.0.1", 1, 1, 0), L4("10.0.0.2", 2, 9, 8), { M_DONE } }, 2, true,
          { AF_INET, "10.0.0.2", 2 }, 9, 8, 2 },
        { "idle listeners: the first", { L6("::", 22, 0, 128), L4("0.0.0.0", 80, 0, 4096), { M_DONE } }, 2, true,
          { AF_INET6, "::", 22 }, 0, 128, 2 },
        { "v4-mapped listener", { L6("::ffff:192.0.2.7", 8443, 7, 10), { M_DONE } }, 1, true,
          { AF_INET, "192.0.2.7", 8443 }, 7, 10, 1 },
        { "IPv6 listener", { L4("0.0.0.0", 80, 1, 100), L6("2001:db8::1", 443, 1, 2), { M_DONE } }, 2, true,
          { AF_INET6, "2001:db8::1", 443 }, 1, 2, 2 },
        { "dump goes on", { L4("0.0.0.0", 80, 3, 128) }, 1, false, { AF_INET, "0.0.0.0", 80 }, 3, 128, 1 },
        { "done only", { { M_DONE } }, 0, true },
        { "ack ends it", { L4("0.0.0.0", 80, 3, 128), { M_ERROR, 0 } }, 1, true, { AF_INET, "0.0.0.0", 80 }, 3, 128, 1 },
        { "noop", { { M_NOOP }, L4("0.0.0.0", 80, 3, 128), { M_DONE } }, 1, true, { AF_INET, "0.0.0.0", 80 }, 3, 128,
          1 },
        { "a socket that is no listener is skipped",
          { C4(EST, 40000, "192.0.2.1", 443), L4("0.0.0.0", 80, 0, 5), C4(TCP_CLOSE, 1, "192.0.2.1", 1), { M_DONE } },
          1, true, { AF_INET, "0.0.0.0", 80 }, 0, 5, 1 },
        { "unknown attributes are skipped",
          { { M_SOCK, .family = AF_INET, .sport = 80, .rqueue = 1, .wqueue = 2,
              .attrs = { { INET_DIAG_MAX + 7, 3 }, { INET_DIAG_INFO, 32 }, { INET_DIAG_PAD, 0 } } },
            { M_DONE } },
          1, true, { AF_INET, "0.0.0.0", 80 }, 1, 2, 1 },
        { "known attributes of their size",
          { { M_SOCK, .family = AF_INET6, .sport = 80, .rqueue = 1, .wqueue = 2,
              .attrs = { { INET_DIAG_SKV6ONLY, 1 }, { INET_DIAG_MARK, 4 }, { INET_DIAG_CGROUP_ID, 8 } } },
            { M_DONE } },
          1, true, { AF_INET6, "::", 80 }, 1, 2, 1 },
};

START_TEST(test_parse_listeners) {
        const ListenCase *c = &listen_cases[_i];
        _Alignas(8) char buf[BUF_SIZE];
        ListenFill f = {};
        bool done = !c->done;
        size_t len = build(c->msgs, SOCKDIAG_SCAN_LISTEN, 0, buf, sizeof(buf));
        int r;

        r = sockdiag_parse_listeners(buf, len, SEQ, PORTID, &f, &done);
        ck_assert_msg(r == c->ret, "%s: got %d, expected %d", c->name, r, c->ret);
        ck_assert_msg(done == c->done, "%s: done %d", c->name, done);
        Endpoint local = endpoint_of(&c->local);
        assert_endpoint_eq(&f.local, &local);
        ck_assert_uint_eq(f.queued, c->queued);
        ck_assert_uint_eq(f.backlog, c->backlog);
        ck_assert_uint_eq(f.listeners, c->listeners);
}
END_TEST

typedef struct DestinationCase {
        const char *name;
        TestMsg msgs[MSGS_MAX + 1];
        int ret;
        bool done;
        TestEndpoint remote;
        uint64_t sockets, total;
        size_t size;
} DestinationCase;

static const DestinationCase destination_cases[] = {
        { "several destinations",
          { C4(EST, 40001, "192.0.2.1", 443), C4(EST, 40002, "192.0.2.2", 443), C4(EST, 40003, "192.0.2.1", 443),
            C4(EST, 40004, "192.0.2.1", 80), C4(EST, 40005, "192.0.2.1", 443), { M_DONE } },
          5, true, { AF_INET, "192.0.2.1", 443 }, 3, 5, 3 },
        { "every state but LISTEN counts",
          { C4(TCP_TIME_WAIT, 1, "192.0.2.9", 80), C4(TCP_SYN_SENT, 2, "192.0.2.9", 80),
            C4(TCP_SYN_RECV, 3, "192.0.2.9", 80), C4(TCP_FIN_WAIT2, 4, "192.0.2.9", 80),
            C4(TCP_CLOSE_WAIT, 5, "192.0.2.9", 80), C4(TCP_LISTEN, 6, "192.0.2.9", 80),
            C4(TCP_LAST_ACK, 7, "192.0.2.8", 80), { M_DONE } },
          6, true, { AF_INET, "192.0.2.9", 80 }, 5, 6, 2 },
        { "v4-mapped counts as IPv4",
          { C6(EST, "::ffff:10.0.0.1", 40001, "::ffff:192.0.2.1", 443), C4(EST, 40002, "192.0.2.1", 443),
            C6(EST, "2001:db8::2", 40003, "2001:db8::1", 443), { M_DONE } },
          3, true, { AF_INET, "192.0.2.1", 443 }, 2, 3, 2 },
        /* the same four address bytes are another endpoint in another family; a tie goes to AF_INET */
        { "families kept apart",
          { C6(EST, "2001:db8::2", 40001, "c000:201::", 443), C4(EST, 40002, "192.0.2.1", 443), { M_DONE } }, 2,
          true, { AF_INET, "192.0.2.1", 443 }, 1, 2, 2 },
        { "IPv6 destination",
          { C6(EST, "2001:db8::2", 1, "2001:db8::1", 443), C6(EST, "2001:db8::2", 2, "2001:db8::1", 443),
            C6(TCP_TIME_WAIT, "2001:db8::2", 3, "2001:db8::1", 443), C6(EST, "2001:db8::2", 4, "2001:db8::1", 444),
            { M_DONE } },
          4, true, { AF_INET6, "2001:db8::1", 443 }, 3, 4, 2 },
        { "tie: the smaller endpoint",
          { C4(EST, 1, "192.0.2.2", 443), C4(EST, 2, "192.0.2.1", 444), C4(EST, 3, "192.0.2.1", 443), { M_DONE } },
          3, true, { AF_INET, "192.0.2.1", 443 }, 1, 3, 3 },
        { "dump goes on", { C4(EST, 40001, "192.0.2.1", 443) }, 1, false, { AF_INET, "192.0.2.1", 443 }, 1, 1, 1 },
        { "done only", { { M_DONE } }, 0, true },
        { "listener only", { L4("0.0.0.0", 80, 1, 2), { M_DONE } }, 0, true },
};

START_TEST(test_parse_destinations) {
        const DestinationCase *c = &destination_cases[_i];
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        _Alignas(8) char buf[BUF_SIZE];
        DestinationCount top;
        bool done = !c->done;
        size_t len = build(c->msgs, SOCKDIAG_SCAN_DESTINATIONS, 0, buf, sizeof(buf));
        int r;

        ck_assert_int_eq(destination_table_new(&t), 0);
        r = sockdiag_parse_destinations(buf, len, SEQ, PORTID, t, &done);
        ck_assert_msg(r == c->ret, "%s: got %d, expected %d", c->name, r, c->ret);
        ck_assert_msg(done == c->done, "%s: done %d", c->name, done);
        destination_table_top(t, &top);
        Endpoint remote = endpoint_of(&c->remote);
        assert_endpoint_eq(&top.remote, &remote);
        ck_assert_uint_eq(top.sockets, c->sockets);
        ck_assert_uint_eq(top.total, c->total);
        ck_assert_uint_eq(destination_table_size(t), c->size);
}
END_TEST

/* Malformed and refused replies: both parsers give the same error and change nothing. Socket messages take
 * the state each scan asks for, so that the parser would count them. */
typedef struct ErrorCase {
        const char *name;
        TestMsg msgs[MSGS_MAX + 1];
        size_t cut;
        int ret;
} ErrorCase;

#define S4(port)                                                                                            \
        { M_SOCK, .family = AF_INET, .src = "127.0.0.1", .sport = port, .dst = "127.0.0.2", .dport = 1, .rqueue = 1, \
          .wqueue = 1 }

static const ErrorCase error_cases[] = {
        { "empty buffer", { { M_END } }, 0, -EBADMSG },
        { "truncated message", { S4(1), S4(2), { M_DONE } }, 4, -EBADMSG },
        { "truncated header", { S4(1), { M_DONE } }, 10, -EBADMSG },
        { "truncated socket message", { S4(1), S4(2) }, 8, -EBADMSG },
        { "payload shorter than inet_diag_msg", { S4(1), { M_SHORT, .family = AF_INET }, { M_DONE } }, 0, -EBADMSG },
        { "attribute past the message",
          { { M_SOCK, .family = AF_INET, .attrs = { { INET_DIAG_INFO, 8, 200 } } }, { M_DONE } }, 0, -EBADMSG },
        { "attribute shorter than its header",
          { { M_SOCK, .family = AF_INET, .attrs = { { INET_DIAG_INFO, 8, 2 } } }, { M_DONE } }, 0, -EBADMSG },
        { "family AF_UNIX", { S4(1), { M_SOCK, .family = AF_UNIX }, { M_DONE } }, 0, -EBADMSG },
        { "another message type", { S4(1), { M_OTHER, .family = AF_INET }, { M_DONE } }, 0, -EBADMSG },
        { "wrong seq", { { M_SOCK, 0, 1, .family = AF_INET } }, 0, -EPROTO },
        { "wrong seq in the second", { S4(1), { M_SOCK, 0, (uint32_t) -1, .family = AF_INET }, { M_DONE } }, 0,
          -EPROTO },
        { "wrong portid", { { M_SOCK, 0, 0, 1, .family = AF_INET } }, 0, -ESRCH },
        { "wrong portid on done", { S4(1), S4(2), { M_DONE, 0, 0, 5 } }, 0, -ESRCH },
        { "wrong seq on error", { { M_ERROR, -EPERM, 3 } }, 0, -EPROTO },
        { "ENOENT", { { M_ERROR, -ENOENT } }, 0, -ENOENT },
        { "EINVAL", { { M_ERROR, -EINVAL } }, 0, -EINVAL },
        { "error after sockets", { S4(1), { M_ERROR, -ENOBUFS } }, 0, -ENOBUFS },
        { "positive error", { { M_ERROR, 1 } }, 0, -EBADMSG },
        { "error out of range", { { M_ERROR, -5000 } }, 0, -EBADMSG },
        { "error without nlmsgerr", { { M_ERROR_CUT, -EPERM } }, 0, -EBADMSG },
        { "dump failed", { S4(1), { M_DONE, -ENOBUFS } }, 0, -ENOBUFS },
        { "done with a positive result", { S4(1), { M_DONE, 5 } }, 0, -EBADMSG },
        { "short INET_DIAG_SHUTDOWN",
          { S4(1), { M_SOCK, .family = AF_INET, .attrs = { { INET_DIAG_SHUTDOWN, 0 } } }, { M_DONE } }, 0, -ERANGE },
        { "long INET_DIAG_SKV6ONLY", { { M_SOCK, .family = AF_INET6, .attrs = { { INET_DIAG_SKV6ONLY, 4 } } } }, 0,
          -ERANGE },
        { "short INET_DIAG_MARK", { { M_SOCK, .family = AF_INET, .attrs = { { INET_DIAG_MARK, 2 } } } }, 0, -ERANGE },
        { "short INET_DIAG_CGROUP_ID", { { M_SOCK, .family = AF_INET, .attrs = { { INET_DIAG_CGROUP_ID, 4 } } } }, 0,
          -ERANGE },
        /* libmnl's mnl_nlmsg_ok() took a length above INT_MAX for a negative one (found by fuzz-sockdiag) */
        { "length above INT_MAX", { S4(1), { M_DONE, .nlmsg_len = 0xfa000014 } }, 0, -EBADMSG },
        { "length above INT_MAX, first", { { M_SOCK, .family = AF_INET, .nlmsg_len = 0x80000060 }, S4(2) }, 0,
          -EBADMSG },
        /* a last message whose padding is not in the datagram (see test-conntrack.c) */
        { "padding past the datagram", { { M_SOCK, .family = AF_INET, .nlmsg_len = 93 } }, 3, -EBADMSG },
        { "done without its padding", { S4(1), { M_DONE, .nlmsg_len = 17 } }, 3, -EBADMSG },
};

START_TEST(test_parse_errors) {
        const ErrorCase *c = &error_cases[_i];
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        _cleanup_free_ char *datagram = NULL;
        _Alignas(8) char buf[BUF_SIZE];
        ListenFill f = { .queued = 7, .backlog = 9, .listeners = 3 };
        DestinationCount top;
        bool done = false;
        size_t len;
        int r;

        /* heap buffers of the datagram's exact size: the ASan build sees a read past its end */
        len = build(c->msgs, SOCKDIAG_SCAN_LISTEN, c->cut, buf, sizeof(buf));
        datagram = memdup(buf, len);
        ck_assert_ptr_nonnull(datagram);
        r = sockdiag_parse_listeners(datagram, len, SEQ, PORTID, &f, &done);
        ck_assert_msg(r == c->ret, "%s (listeners): got %d, expected %d", c->name, r, c->ret);
        ck_assert_uint_eq(f.queued, 7);
        ck_assert_uint_eq(f.backlog, 9);
        ck_assert_uint_eq(f.listeners, 3);
        ck_assert_int_eq(f.local.family, 0);

        ck_assert_int_eq(destination_table_new(&t), 0);
        len = build(c->msgs, SOCKDIAG_SCAN_DESTINATIONS, c->cut, buf, sizeof(buf));
        free(datagram);
        datagram = memdup(buf, len);
        ck_assert_ptr_nonnull(datagram);
        r = sockdiag_parse_destinations(datagram, len, SEQ, PORTID, t, &done);
        ck_assert_msg(r == c->ret, "%s (destinations): got %d, expected %d", c->name, r, c->ret);
        destination_table_top(t, &top);
        ck_assert_uint_eq(top.total, 0);
        ck_assert_uint_eq(destination_table_size(t), 0);
        ck_assert(!done);
}
END_TEST

/* Both dumps of a listen scan fold into one ListenFill; a failing datagram in between changes nothing. */
START_TEST(test_parse_sequence) {
        static const TestMsg v4[] = { L4("0.0.0.0", 80, 2, 8), L4("127.0.0.1", 81, 1, 8), { M_DONE }, { M_END } },
                             bad[] = { L6("::", 9, 100, 1), { M_DONE, 0, 1 }, { M_END } },
                             v6[] = { L6("::", 443, 3, 8), { M_END } }, v6_done[] = { { M_DONE }, { M_END } };
        _Alignas(8) char buf[BUF_SIZE];
        ListenFill f = {};
        bool done = false;
        size_t len;

        len = build(v4, SOCKDIAG_SCAN_LISTEN, 0, buf, sizeof(buf));
        ck_assert_int_eq(sockdiag_parse_listeners(buf, len, SEQ, PORTID, &f, &done), 2);
        ck_assert(done);
        len = build(bad, SOCKDIAG_SCAN_LISTEN, 0, buf, sizeof(buf));
        ck_assert_int_eq(sockdiag_parse_listeners(buf, len, SEQ, PORTID, &f, &done), -EPROTO);
        ck_assert_uint_eq(f.listeners, 2);
        ck_assert_uint_eq(f.queued, 2);
        len = build(v6, SOCKDIAG_SCAN_LISTEN, 0, buf, sizeof(buf));
        ck_assert_int_eq(sockdiag_parse_listeners(buf, len, SEQ, PORTID, &f, &done), 1);
        ck_assert(!done);
        len = build(v6_done, SOCKDIAG_SCAN_LISTEN, 0, buf, sizeof(buf));
        ck_assert_int_eq(sockdiag_parse_listeners(buf, len, SEQ, PORTID, &f, &done), 0);
        ck_assert(done);

        Endpoint expected = { .family = AF_INET6, .port = 443 };
        assert_endpoint_eq(&f.local, &expected);
        ck_assert_uint_eq(f.queued, 3);
        ck_assert_uint_eq(f.backlog, 8);
        ck_assert_uint_eq(f.listeners, 3);
}
END_TEST

/* The bytes of the port filter, as the kernel reads them: struct inet_diag_bc_op { u8 code, u8 yes, u16 no }
 * in host byte order, the port in the "no" field of the op after each test. */
START_TEST(test_bytecode_bytes) {
        uint8_t bc[SOCKDIAG_PORT_RANGE_BYTECODE_SIZE];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        static const uint8_t expected[] = { INET_DIAG_BC_S_GE, 8, 20, 0, 0, 0, 0x00, 0x80,
                                            INET_DIAG_BC_S_LE, 8, 12, 0, 0, 0, 0x47, 0xee };
#else
        static const uint8_t expected[] = { INET_DIAG_BC_S_GE, 8, 0, 20, 0, 0, 0x80, 0x00,
                                            INET_DIAG_BC_S_LE, 8, 0, 12, 0, 0, 0xee, 0x47 };
#endif

        sockdiag_port_range_bytecode(32768, 60999, bc);
        ck_assert_mem_eq(bc, expected, sizeof(expected));
}
END_TEST

/* Run bytecode the way net/ipv4/inet_diag.c does for a socket with local port sport: first its audit (every
 * jump a multiple of 4, at least the op's length, at most 4 past the end), then the jumps; the socket passes
 * when they end exactly at the end. Only the two ops the filter uses are known here. */
static bool bytecode_passes(const uint8_t *bc, int len, uint16_t sport) {
        for (int at = 0; at < len;) {
                struct inet_diag_bc_op op;

                ck_assert_int_le(at + 8, len);
                memcpy(&op, bc + at, sizeof(op));
                ck_assert(op.code == INET_DIAG_BC_S_GE || op.code == INET_DIAG_BC_S_LE);
                ck_assert(op.yes >= 8 && op.yes % 4 == 0 && op.yes <= len - at + 4);
                ck_assert(op.no >= 8 && op.no % 4 == 0 && op.no <= len - at + 4);
                at += op.yes;
        }
        int len_left = len;
        while (len_left > 0) {
                struct inet_diag_bc_op op, arg;

                memcpy(&op, bc + (len - len_left), sizeof(op));
                memcpy(&arg, bc + (len - len_left) + 4, sizeof(arg));
                bool yes = op.code == INET_DIAG_BC_S_GE ? sport >= arg.no : sport <= arg.no;
                len_left -= yes ? op.yes : op.no;
        }
        return len_left == 0;
}

START_TEST(test_bytecode_semantics) {
        static const struct {
                uint16_t lo, hi;
        } ranges[] = { { 32768, 60999 }, { 1024, 65535 }, { 0, 0 }, { 0, 65535 }, { 40000, 40000 }, { 1, 2 } };

        for (size_t i = 0; i < ELEMENTSOF(ranges); i++) {
                uint16_t lo = ranges[i].lo, hi = ranges[i].hi;
                uint8_t bc[SOCKDIAG_PORT_RANGE_BYTECODE_SIZE];
                const unsigned probes[] = { 0, 1, lo - 1u, lo, lo + 1u, hi - 1u, hi, hi + 1u, 65534, 65535 };

                sockdiag_port_range_bytecode(lo, hi, bc);
                for (size_t j = 0; j < ELEMENTSOF(probes); j++) {
                        if (probes[j] > 65535)
                                continue;
                        uint16_t port = (uint16_t) probes[j];
                        ck_assert_msg(bytecode_passes(bc, sizeof(bc), port) == (port >= lo && port <= hi),
                                      "port %u, range %u-%u", port, lo, hi);
                }
        }
}
END_TEST

/* The whole request, byte for byte where it matters. */
START_TEST(test_request) {
        _Alignas(8) uint8_t buf[SOCKDIAG_REQUEST_MAX];
        const struct nlmsghdr *nlh = (const void *) buf;
        const struct inet_diag_req_v2 *req = (const void *) (buf + NLMSG_HDRLEN);
        const struct nlattr *attr = (const void *) (buf + NLMSG_HDRLEN + sizeof(*req));
        uint8_t bc[SOCKDIAG_PORT_RANGE_BYTECODE_SIZE];
        static const struct inet_diag_sockid zero_id = {};
        size_t len;

        memset(buf, 0xaa, sizeof(buf));
        len = sockdiag_put_request(buf, 77, AF_INET, SOCKDIAG_SCAN_LISTEN, 1, 2);
        ck_assert_uint_eq(len, NLMSG_HDRLEN + sizeof(*req));
        ck_assert_uint_eq(nlh->nlmsg_len, len);
        ck_assert_uint_eq(nlh->nlmsg_type, SOCK_DIAG_BY_FAMILY);
        ck_assert_uint_eq(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
        ck_assert_uint_eq(nlh->nlmsg_seq, 77);
        ck_assert_uint_eq(nlh->nlmsg_pid, 0);
        ck_assert_uint_eq(req->sdiag_family, AF_INET);
        ck_assert_uint_eq(req->sdiag_protocol, IPPROTO_TCP);
        ck_assert_uint_eq(req->idiag_ext, 0);
        ck_assert_uint_eq(req->pad, 0);
        ck_assert_uint_eq(req->idiag_states, 1u << TCP_LISTEN);
        ck_assert_mem_eq(&req->id, &zero_id, sizeof(zero_id));

        memset(buf, 0xaa, sizeof(buf));
        len = sockdiag_put_request(buf, 78, AF_INET6, SOCKDIAG_SCAN_DESTINATIONS, 32768, 60999);
        ck_assert_uint_eq(len, NLMSG_HDRLEN + sizeof(*req) + NLA_HDRLEN + sizeof(bc));
        ck_assert_uint_le(len, SOCKDIAG_REQUEST_MAX);
        ck_assert_uint_eq(nlh->nlmsg_len, len);
        ck_assert_uint_eq(nlh->nlmsg_seq, 78);
        ck_assert_uint_eq(req->sdiag_family, AF_INET6);
        ck_assert_uint_eq(req->sdiag_protocol, IPPROTO_TCP);
        /* ESTABLISHED (1) to CLOSING (11) without LISTEN (10) */
        ck_assert_uint_eq(req->idiag_states, 0xbfe);
        ck_assert_mem_eq(&req->id, &zero_id, sizeof(zero_id));
        ck_assert_uint_eq(attr->nla_type, INET_DIAG_REQ_BYTECODE);
        ck_assert_uint_eq(attr->nla_len, NLA_HDRLEN + sizeof(bc));
        sockdiag_port_range_bytecode(32768, 60999, bc);
        ck_assert_mem_eq(buf + NLMSG_HDRLEN + sizeof(*req) + NLA_HDRLEN, bc, sizeof(bc));

        ck_assert_uint_eq(sockdiag_put_request(buf, 1, AF_INET, _SOCKDIAG_SCAN_MAX, 0, 0), 0);
}
END_TEST

/* A distinct endpoint for i: IPv4 10.x.y.z for two of three, IPv6 2001:db8::/96 for the third. */
static Endpoint endpoint_nth(uint32_t i) {
        Endpoint e = { .family = i % 3 == 2 ? AF_INET6 : AF_INET, .port = (uint16_t) (1024 + i % 5) };
        uint32_t be = htonl(0x0a000000u | i);

        if (e.family == AF_INET)
                memcpy(e.addr, &be, 4);
        else {
                static const uint8_t prefix[4] = { 0x20, 0x01, 0x0d, 0xb8 };
                memcpy(e.addr, prefix, 4);
                memcpy(e.addr + 12, &be, 4);
        }
        return e;
}

/* 100000 distinct endpoints and one hot one among them, then all of them once more: the table grows many
 * times and still finds every endpoint (its size does not change the second time). */
START_TEST(test_table_many) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        const Endpoint hot = { .family = AF_INET, .addr = { 203, 0, 113, 9 }, .port = 443 };
        const uint32_t n = 100000;
        DestinationCount top;

        ck_assert_int_eq(destination_table_new(&t), 0);
        for (int round = 1; round <= 2; round++) {
                for (uint32_t i = 0; i < n; i++) {
                        Endpoint e = endpoint_nth(i);
                        ck_assert_int_eq(destination_table_add(t, &e), 0);
                        if (i % 200 == 0)
                                ck_assert_int_eq(destination_table_add(t, &hot), 0);
                }
                destination_table_top(t, &top);
                assert_endpoint_eq(&top.remote, &hot);
                ck_assert_uint_eq(top.sockets, 500u * round);
                ck_assert_uint_eq(top.total, (n + 500u) * round);
                ck_assert_uint_eq(destination_table_size(t), n + 1);
        }

        /* another endpoint overtakes the hot one: its count was kept apart all along */
        Endpoint e = endpoint_nth(77777);
        for (int i = 0; i < 999; i++)
                ck_assert_int_eq(destination_table_add(t, &e), 0);
        destination_table_top(t, &top);
        assert_endpoint_eq(&top.remote, &e);
        ck_assert_uint_eq(top.sockets, 1001);
}
END_TEST

/* At DESTINATION_TABLE_MAX endpoints the table stops taking new ones; they still count in the total. */
START_TEST(test_table_full) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        const uint32_t n = DESTINATION_TABLE_MAX + 100;
        DestinationCount top;

        ck_assert_int_eq(destination_table_new(&t), 0);
        for (uint32_t i = 0; i < n; i++) {
                Endpoint e = endpoint_nth(i);
                ck_assert_int_eq(destination_table_add(t, &e), 0);
        }
        ck_assert_uint_eq(destination_table_size(t), DESTINATION_TABLE_MAX);

        Endpoint kept = endpoint_nth(5), dropped = endpoint_nth(n - 1);
        ck_assert_int_eq(destination_table_add(t, &kept), 0);
        ck_assert_int_eq(destination_table_add(t, &dropped), 0);
        ck_assert_int_eq(destination_table_add(t, &dropped), 0);
        destination_table_top(t, &top);
        assert_endpoint_eq(&top.remote, &kept);
        ck_assert_uint_eq(top.sockets, 2);
        ck_assert_uint_eq(top.total, n + 3);
        ck_assert_uint_eq(destination_table_size(t), DESTINATION_TABLE_MAX);
}
END_TEST

START_TEST(test_table_empty_and_invalid) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        const Endpoint none = {}, unix_family = { .family = AF_UNIX };
        DestinationCount top = { .sockets = 9, .total = 9 };

        ck_assert_ptr_null(destination_table_free(NULL));
        ck_assert_int_eq(destination_table_new(&t), 0);
        destination_table_top(t, &top);
        ck_assert_int_eq(top.remote.family, 0);
        ck_assert_uint_eq(top.sockets, 0);
        ck_assert_uint_eq(top.total, 0);
        ck_assert_int_eq(destination_table_add(t, &none), -EINVAL);
        ck_assert_int_eq(destination_table_add(t, &unix_family), -EINVAL);
        ck_assert_uint_eq(destination_table_size(t), 0);
}
END_TEST

typedef struct FormatCase {
        TestEndpoint e;
        const char *expected;
} FormatCase;

static const FormatCase format_cases[] = {
        { { AF_INET, "192.0.2.1", 443 }, "192.0.2.1:443" },
        { { AF_INET, "0.0.0.0", 0 }, "0.0.0.0:0" },
        { { AF_INET, "255.255.255.255", 65535 }, "255.255.255.255:65535" },
        { { AF_INET6, "2001:db8::1", 443 }, "[2001:db8::1]:443" },
        { { AF_INET6, "::", 22 }, "[::]:22" },
        { { AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535 },
          "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" }, /* ENDPOINT_STRING_MAX - 1 characters */
        { { 0 }, "-" },
};

START_TEST(test_format) {
        const FormatCase *c = &format_cases[_i];
        char buf[ENDPOINT_STRING_MAX];
        Endpoint e = endpoint_of(&c->e);

        ck_assert_ptr_eq(endpoint_format(&e, buf), buf);
        ck_assert_str_eq(buf, c->expected);
}
END_TEST

START_TEST(test_format_unknown_family) {
        char buf[ENDPOINT_STRING_MAX];
        Endpoint e = { .family = AF_UNIX, .port = 1 };

        ck_assert_str_eq(endpoint_format(&e, buf), "-");
}
END_TEST

/* Kernel test helpers: plain sockets on loopback in the test's own network namespace. */

#define RANGE_LO 40000
#define RANGE_HI 40999

static socklen_t sockaddr_of(int family, const char *addr, uint16_t port, struct sockaddr_storage *ss) {
        memset(ss, 0, sizeof(*ss));
        if (family == AF_INET) {
                struct sockaddr_in *sin = (struct sockaddr_in *) ss;
                sin->sin_family = AF_INET;
                sin->sin_port = htons(port);
                ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
                return sizeof(*sin);
        }
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
        return sizeof(*sin6);
}

static int listen_on(const char *addr, uint16_t port, int backlog) {
        struct sockaddr_storage ss;
        socklen_t sl = sockaddr_of(AF_INET, addr, port, &ss);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_msg(bind(fd, (struct sockaddr *) &ss, sl) == 0, "bind %s:%u: %m", addr, port);
        ck_assert_int_eq(listen(fd, backlog), 0);
        return fd;
}

/* A client of family towards addr:port, bound to local_port first when nonzero; nonblocking: the connect
 * is only started. */
static int connect_to(int family, const char *addr, uint16_t port, uint16_t local_port, bool nonblocking) {
        struct sockaddr_storage ss;
        socklen_t sl;
        int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0), zero = 0;

        ck_assert_int_ge(fd, 0);
        if (family == AF_INET6)
                ck_assert_int_eq(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)), 0);
        if (local_port != 0) {
                sl = sockaddr_of(AF_INET, "127.0.0.1", local_port, &ss);
                ck_assert_msg(bind(fd, (struct sockaddr *) &ss, sl) == 0, "bind :%u: %m", local_port);
        }
        sl = sockaddr_of(family, addr, port, &ss);
        int r = connect(fd, (struct sockaddr *) &ss, sl);
        ck_assert_msg(r == 0 || (nonblocking && errno == EINPROGRESS), "connect %s:%u: %m", addr, port);
        return fd;
}

static void loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
        ifr.ifr_flags |= IFF_UP;
        ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
}

/* How many /proc/net/tcp{,6} lines are in state (hex, as the kernel prints it) with a local port in the
 * range: proof the test made the states it means to. */
static unsigned proc_net_tcp_count(unsigned state) {
        static const char *const files[] = { "proc/net/tcp", "proc/net/tcp6" };
        unsigned n = 0;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *text = tree_read("/", files[i]);
                char *line = text ? strchr(text, '\n') : NULL; /* skip the header */

                for (; line && *++line; line = strchr(line, '\n')) {
                        unsigned local_port, st;
                        if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &local_port, &st) == 2 &&
                            st == state && local_port >= RANGE_LO && local_port <= RANGE_HI)
                                n++;
                }
        }
        return n;
}

/* The kernel finishes a loopback handshake in softirq context, maybe just after connect() returned: poll. */
static ListenFill listen_fill_wait(SockDiag *d, uint16_t port, uint32_t queued) {
        ListenFill f = {};

        for (int i = 0; i < 200; i++) {
                ck_assert_int_eq(sockdiag_listen_fill(d, &f), 0);
                if (f.local.port == port && f.queued == queued)
                        break;
                poll(NULL, 0, 10);
        }
        return f;
}

static DestinationCount top_destination_wait(SockDiag *d, uint64_t sockets, uint64_t total) {
        DestinationCount c = {};

        for (int i = 0; i < 200; i++) {
                ck_assert_int_eq(sockdiag_top_destination(d, RANGE_LO, RANGE_HI, &c), 0);
                if (c.sockets == sockets && c.total == total)
                        break;
                poll(NULL, 0, 10);
        }
        return c;
}

static void assert_endpoint_text(const Endpoint *e, const char *expected) {
        char buf[ENDPOINT_STRING_MAX];
        ck_assert_str_eq(endpoint_format(e, buf), expected);
}

/* The real kernel, in a network namespace of our own (Check runs this in a forked child, so the host's
 * namespace is left alone): listeners with known backlogs, clients that are never accepted, and the
 * namespace's own ip_local_port_range so that the kernel-side port filter has something to leave out. */
START_TEST(test_netns) {
        _cleanup_(sockdiag_closep) SockDiag *d = NULL;
        int fds[64], nfds = 0, r;
        bool ipv6 = true;
        ListenFill f;
        DestinationCount c;

        if (!enter_new_netns("test_netns"))
                return;
        loopback_up();
        /* per network namespace: this is the new namespace's value, not the host's */
        tree_write("/", "proc/sys/net/ipv4/ip_local_port_range", "40000 40999");
        assert_proc_sys("/", "net/ipv4/ip_local_port_range", "40000\t40999");

        r = sockdiag_open(&d);
        if (r < 0) {
                printf("SKIP: test_netns: no NETLINK_SOCK_DIAG socket: %s\n", strerror(-r));
                return;
        }

        /* a fresh namespace: no listener, no socket */
        ck_assert_int_eq(sockdiag_listen_fill(d, &f), 0);
        ck_assert_uint_eq(f.listeners, 0);
        ck_assert_int_eq(f.local.family, 0);
        ck_assert_int_eq(sockdiag_top_destination(d, RANGE_LO, RANGE_HI, &c), 0);
        ck_assert_uint_eq(c.total, 0);

        /* A: backlog 8, five clients never accepted */
        fds[nfds++] = listen_on("127.0.0.1", 5000, 8);
        for (int i = 0; i < 5; i++)
                fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5000, 0, false);
        f = listen_fill_wait(d, 5000, 5);
        assert_endpoint_text(&f.local, "127.0.0.1:5000");
        ck_assert_uint_eq(f.queued, 5);
        ck_assert_uint_eq(f.backlog, 8);
        ck_assert_uint_eq(f.listeners, 1);

        /* B: one client in TIME_WAIT, 20 IPv4 clients from the range, 3 dual-stack IPv6 clients (v4-mapped: they
         * count with the IPv4 ones), 4 clients bound to ports outside the range (left out by the kernel) */
        int b = fds[nfds++] = listen_on("127.0.0.1", 5001, 128);
        /* first, while the queue is empty, so accept() gets this one: the client closes first, then the
         * server; the client's end waits in TIME_WAIT */
        int client = connect_to(AF_INET, "127.0.0.1", 5001, 0, false);
        int server = accept(b, NULL, NULL);
        ck_assert_int_ge(server, 0);
        ck_assert_int_eq(close(client), 0);
        poll(NULL, 0, 20);
        ck_assert_int_eq(close(server), 0);
        for (int i = 0; i < 20; i++)
                fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5001, 0, false);
        int fd6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd6 < 0) {
                printf("NOTE: test_netns: no IPv6 (%m): no v4-mapped clients\n");
                ipv6 = false;
        } else
                close(fd6);
        for (int i = 0; ipv6 && i < 3; i++)
                fds[nfds++] = connect_to(AF_INET6, "::ffff:127.0.0.1", 5001, 0, false);
        for (uint16_t port = RANGE_LO - 2; port < RANGE_LO; port++)
                fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5001, port, false);
        for (uint16_t port = RANGE_HI + 1; port <= RANGE_HI + 2; port++)
                fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5001, port, false);


        uint64_t to_b = 20 + (ipv6 ? 3 : 0) + 1;
        c = top_destination_wait(d, to_b, 5 + to_b);
        assert_endpoint_text(&c.remote, "127.0.0.1:5001");
        ck_assert_uint_eq(c.sockets, to_b);
        ck_assert_uint_eq(c.total, 5 + to_b);
        ck_assert_uint_ge(proc_net_tcp_count(0x06), 1); /* TCP_TIME_WAIT */

        /* A is still the fullest: 5/8 against 23/128 */
        f = listen_fill_wait(d, 5000, 5);
        assert_endpoint_text(&f.local, "127.0.0.1:5000");
        ck_assert_uint_eq(f.listeners, 2);

        /* C: backlog 0 takes one connection (the queue is full only above its size); the next SYN is dropped,
         * so that client stays in SYN_SENT, and still holds its port */
        fds[nfds++] = listen_on("127.0.0.1", 5002, 0);
        fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5002, 0, false);
        f = listen_fill_wait(d, 5002, 1);
        assert_endpoint_text(&f.local, "127.0.0.1:5002");
        ck_assert_uint_eq(f.queued, 1);
        ck_assert_uint_eq(f.backlog, 0);
        ck_assert_uint_eq(f.listeners, 3);
        fds[nfds++] = connect_to(AF_INET, "127.0.0.1", 5002, 0, true);
        c = top_destination_wait(d, to_b, 5 + to_b + 2);
        ck_assert_uint_eq(c.total, 5 + to_b + 2);
        assert_endpoint_text(&c.remote, "127.0.0.1:5001");
        ck_assert_uint_ge(proc_net_tcp_count(0x02), 1); /* TCP_SYN_SENT */

        /* a range nothing is in, and a bad range */
        ck_assert_int_eq(sockdiag_top_destination(d, 1, 100, &c), 0);
        ck_assert_uint_eq(c.total, 0);
        ck_assert_uint_eq(c.sockets, 0);
        ck_assert_int_eq(c.remote.family, 0);
        ck_assert_int_eq(sockdiag_top_destination(d, 2, 1, &c), -EINVAL);

        /* the server side of the accepted-nowhere connections has local ports 5000-5002: a range around them
         * counts those, towards the clients' own addresses */
        ck_assert_int_eq(sockdiag_top_destination(d, 5000, 5002, &c), 0);
        ck_assert_uint_ge(c.total, 5 + 20);
        ck_assert_int_eq(c.remote.family, AF_INET);

        ck_assert_int_lt(nfds, (int) ELEMENTSOF(fds));
        for (int i = 0; i < nfds; i++)
                close(fds[i]);
}
END_TEST

static Suite *sockdiag_suite(void) {
        Suite *s = suite_create("sockdiag");
        TCase *tc;

        tc = tcase_create("parsers");
        tcase_add_loop_test(tc, test_parse_listeners, 0, ELEMENTSOF(listen_cases));
        tcase_add_loop_test(tc, test_parse_destinations, 0, ELEMENTSOF(destination_cases));
        tcase_add_loop_test(tc, test_parse_errors, 0, ELEMENTSOF(error_cases));
        tcase_add_test(tc, test_parse_sequence);
        suite_add_tcase(s, tc);

        tc = tcase_create("request");
        tcase_add_test(tc, test_bytecode_bytes);
        tcase_add_test(tc, test_bytecode_semantics);
        tcase_add_test(tc, test_request);
        suite_add_tcase(s, tc);

        tc = tcase_create("table");
        tcase_add_test(tc, test_table_many);
        tcase_add_test(tc, test_table_full);
        tcase_add_test(tc, test_table_empty_and_invalid);
        tcase_add_loop_test(tc, test_format, 0, ELEMENTSOF(format_cases));
        tcase_add_test(tc, test_format_unknown_family);
        suite_add_tcase(s, tc);

        tc = tcase_create("kernel");
        tcase_add_test(tc, test_netns);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(sockdiag_suite());
}
