/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sockdiag.c - the fullest accept queue and the busiest remote endpoint over NETLINK_SOCK_DIAG, with libmnl.
 *
 * The netlink request: SOCK_DIAG_BY_FAMILY with NLM_F_DUMP and a struct inet_diag_req_v2 (sdiag_protocol
 * IPPROTO_TCP), once for AF_INET and once for AF_INET6: the kernel dumps one family per request, and a
 * dual-stack socket talking IPv4 shows up in the AF_INET6 dump with ::ffff:a.b.c.d addresses (stored here as
 * IPv4). idiag_states picks the hash tables the kernel walks: TCP_LISTEN alone walks only the listening
 * hash; any other state walks the established hash (TIME_WAIT and request sockets live there too).
 *
 * The reply is one SOCK_DIAG_BY_FAMILY message per socket (struct inet_diag_msg, then attributes such as
 * INET_DIAG_SHUTDOWN), over as many datagrams as needed, then NLMSG_DONE carrying the dump's result; a
 * request the kernel refuses gets an NLMSG_ERROR instead. For a listener, idiag_rqueue is the accept queue's
 * length (sk_ack_backlog) and idiag_wqueue its size (sk_max_ack_backlog: listen()'s backlog capped at
 * net.core.somaxconn); the queue counts as full only above that, so queued may exceed backlog by one.
 *
 * The destination scan filters in the kernel with INET_DIAG_REQ_BYTECODE: a list of struct inet_diag_bc_op,
 * each a test that jumps forward "yes" bytes when it holds and "no" bytes when not. A socket passes when the
 * jumps land exactly on the end of the bytecode; jumping 4 bytes past the end rejects it (the kernel's audit
 * allows "no" up to the remaining length + 4). A port test takes its port from the "no" field of the op
 * that follows it, in host byte order, and compares it with the socket's local port (inet_num).
 *
 * Replies carry our sequence number and port id; a datagram from a sender other than the kernel (port 0) is
 * dropped unread, and leftovers of an earlier, aborted dump are drained before each new request. No
 * privilege is needed to dump TCP sockets. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "netlink.h"
#include "sockdiag.h"
#include "util/util.h"

#define SOCKDIAG_TIMEOUT_SEC 2

/* The table starts small and doubles; it is never more than half full, so probes stay short. */
#define DESTINATION_TABLE_INITIAL 256u
#define DESTINATION_TABLE_CAPACITY_MAX (2u * DESTINATION_TABLE_MAX)

struct SockDiag {
        NetlinkSocket sock;
};

int endpoint_compare(const Endpoint *a, const Endpoint *b) {
        int r;

        if (a->family != b->family)
                return a->family < b->family ? -1 : 1;
        r = memcmp(a->addr, b->addr, sizeof(a->addr));
        if (r != 0)
                return r;
        if (a->port != b->port)
                return a->port < b->port ? -1 : 1;
        return 0;
}

char *endpoint_format(const Endpoint *e, char buf[static ENDPOINT_STRING_MAX]) {
        char addr[INET6_ADDRSTRLEN];

        if ((e->family != AF_INET && e->family != AF_INET6) ||
            !inet_ntop(e->family, e->addr, addr, sizeof(addr))) {
                strcpy(buf, "-");
                return buf;
        }
        /* the longest IPv6 text inet_ntop() gives for a stored (not v4-mapped) address is 39 characters */
        if (snprintf(buf, ENDPOINT_STRING_MAX, e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", addr,
                     (unsigned) e->port) >= ENDPOINT_STRING_MAX)
                strcpy(buf, "-");
        return buf;
}

/* An address as inet_diag_sockid holds it (network order, IPv4 in the first word), v4-mapped IPv6 as IPv4. */
static void endpoint_from_diag(Endpoint *e, uint8_t family, const uint32_t addr[4], uint16_t port_be) {
        static const uint8_t v4mapped[12] = { [10] = 0xff, [11] = 0xff };
        const uint8_t *a = (const uint8_t *) addr;

        *e = (Endpoint) { .family = family, .port = ntohs(port_be) };
        if (family == AF_INET6 && memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
                e->family = AF_INET;
                memcpy(e->addr, a + 12, 4);
        } else
                memcpy(e->addr, a, family == AF_INET ? 4 : 16);
}

/* Destination table: open addressing with linear probing over a power-of-two array. */
typedef struct DestinationSlot {
        uint8_t addr[16];
        uint16_t port;
        uint8_t family; /* 0: a free slot */
        uint32_t count;
} DestinationSlot;

struct DestinationTable {
        DestinationSlot *slots;
        size_t capacity; /* a power of two */
        size_t used;
        uint64_t total;
        uint64_t key[2]; /* of the hash: random, so remote peers cannot choose addresses that collide */
};

static uint64_t rotl64(uint64_t x, unsigned b) {
        return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4]) {
        v[0] += v[1];
        v[1] = rotl64(v[1], 13) ^ v[0];
        v[0] = rotl64(v[0], 32);
        v[2] += v[3];
        v[3] = rotl64(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = rotl64(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = rotl64(v[1], 17) ^ v[2];
        v[2] = rotl64(v[2], 32);
}

/* SipHash-1-3 of the 24-byte key (address, port, family) as three 64-bit words. */
static uint64_t destination_hash(const uint64_t key[2], const uint8_t addr[16], uint16_t port, uint8_t family) {
        uint64_t v[4] = { key[0] ^ 0x736f6d6570736575ull, key[1] ^ 0x646f72616e646f6dull,
                          key[0] ^ 0x6c7967656e657261ull, key[1] ^ 0x7465646279746573ull };
        uint64_t m[4] = { 0, 0, (uint64_t) port | (uint64_t) family << 16, (uint64_t) 24 << 56 };

        memcpy(&m[0], addr, 8);
        memcpy(&m[1], addr + 8, 8);
        for (size_t i = 0; i < ELEMENTSOF(m); i++) {
                v[3] ^= m[i];
                sip_round(v);
                v[0] ^= m[i];
        }
        v[2] ^= 0xff;
        for (int i = 0; i < 3; i++)
                sip_round(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The slot holding the endpoint, or the free slot where it belongs. There is always a free slot. */
static DestinationSlot *destination_slot(DestinationSlot *slots, size_t capacity, const uint64_t key[2],
                                         const uint8_t addr[16], uint16_t port, uint8_t family) {
        size_t mask = capacity - 1, i = (size_t) destination_hash(key, addr, port, family) & mask;

        for (;; i = (i + 1) & mask) {
                DestinationSlot *s = &slots[i];

                if (s->family == 0 ||
                    (s->family == family && s->port == port && memcmp(s->addr, addr, sizeof(s->addr)) == 0))
                        return s;
        }
}

static int destination_table_grow(DestinationTable *t) {
        size_t capacity = t->capacity * 2;
        DestinationSlot *slots = calloc(capacity, sizeof(*slots));

        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < t->capacity; i++) {
                const DestinationSlot *s = &t->slots[i];

                if (s->family != 0)
                        *destination_slot(slots, capacity, t->key, s->addr, s->port, s->family) = *s;
        }
        free(t->slots);
        t->slots = slots;
        t->capacity = capacity;
        return 0;
}

DestinationTable *destination_table_free(DestinationTable *t) {
        if (!t)
                return NULL;
        free(t->slots);
        return mfree(t);
}

int destination_table_new(DestinationTable **ret) {
        _cleanup_(destination_table_freep) DestinationTable *t = calloc(1, sizeof(*t));

        if (!t)
                return -ENOMEM;
        t->capacity = DESTINATION_TABLE_INITIAL;
        t->slots = calloc(t->capacity, sizeof(*t->slots));
        if (!t->slots)
                return -ENOMEM;
        /* Without entropy yet (early boot), a clock-based key still varies from run to run. */
        if (getrandom(t->key, sizeof(t->key), GRND_NONBLOCK) != (ssize_t) sizeof(t->key)) {
                t->key[0] = now_usec() ^ (uint64_t) (uintptr_t) t;
                t->key[1] = (uint64_t) time(NULL) * 0x9e3779b97f4a7c15ull;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

int destination_table_add(DestinationTable *t, const Endpoint *remote) {
        DestinationSlot *s;
        int r;

        if (remote->family != AF_INET && remote->family != AF_INET6)
                return -EINVAL;
        if (t->used >= t->capacity / 2 && t->capacity < DESTINATION_TABLE_CAPACITY_MAX) {
                r = destination_table_grow(t);
                if (r < 0)
                        return r;
        }

        s = destination_slot(t->slots, t->capacity, t->key, remote->addr, remote->port,
                             (uint8_t) remote->family);
        if (s->family == 0) {
                if (t->used >= DESTINATION_TABLE_MAX) { /* full: counted in the total only */
                        t->total++;
                        return 0;
                }
                memcpy(s->addr, remote->addr, sizeof(s->addr));
                s->port = remote->port;
                s->family = (uint8_t) remote->family;
                t->used++;
        }
        if (s->count < UINT32_MAX)
                s->count++;
        t->total++;
        return 0;
}

size_t destination_table_size(const DestinationTable *t) {
        return t->used;
}

void destination_table_top(const DestinationTable *t, DestinationCount *ret) {
        DestinationCount top = { .total = t->total };

        for (size_t i = 0; i < t->capacity; i++) {
                const DestinationSlot *s = &t->slots[i];
                Endpoint e = { .family = s->family, .port = s->port };

                if (s->family == 0 || s->count < top.sockets)
                        continue;
                memcpy(e.addr, s->addr, sizeof(e.addr));
                if (s->count == top.sockets && endpoint_compare(&e, &top.remote) > 0)
                        continue;
                top.remote = e;
                top.sockets = s->count;
        }
        *ret = top;
}

/* One socket of a dump reply, decoded. */
typedef struct DiagSocket {
        uint8_t state;
        Endpoint local, remote;
        uint32_t rqueue, wqueue;
} DiagSocket;

typedef struct ScanKind {
        uint32_t states;                                 /* idiag_states of the request */
        int (*add)(const DiagSocket *s, void *userdata); /* fold one socket in */
} ScanKind;

/* Whether s fills its accept queue more than the listener f holds: queued / backlog compared by cross
 * multiplication (64-bit, no overflow), a backlog of 0 taken as 1 (the queue then holds one connection). */
static bool listener_fuller(const DiagSocket *s, const ListenFill *f) {
        uint64_t a = (uint64_t) s->rqueue * (f->backlog ?: 1u), b = (uint64_t) f->queued * (s->wqueue ?: 1u);

        return a > b || (a == b && s->rqueue > f->queued);
}

static int listen_fill_add(const DiagSocket *s, void *userdata) {
        ListenFill *f = userdata;

        if (f->listeners == 0 || listener_fuller(s, f)) {
                f->local = s->local;
                f->queued = s->rqueue;
                f->backlog = s->wqueue;
        }
        f->listeners++;
        return 0;
}

static int destination_add(const DiagSocket *s, void *userdata) {
        return destination_table_add(userdata, &s->remote);
}

/* Every state but LISTEN: TCP_ESTABLISHED (1) to TCP_CLOSING (11). The kernel adds its request sockets
 * (TCP_NEW_SYN_RECV) for TCP_SYN_RECV. Bound-only sockets (TCP_BOUND_INACTIVE) are not asked for: they
 * hold a port but have no remote end. */
#define STATES_CONNECTIONS ((((1u << (TCP_CLOSING + 1)) - 1) & ~1u) & ~(1u << TCP_LISTEN))

static const ScanKind scan_kinds[_SOCKDIAG_SCAN_MAX] = {
        [SOCKDIAG_SCAN_LISTEN] = { 1u << TCP_LISTEN, listen_fill_add },
        [SOCKDIAG_SCAN_DESTINATIONS] = { STATES_CONNECTIONS, destination_add },
};

/* The attributes whose size we know; the others are skipped. None of them is used. */
static const enum mnl_attr_data_type attr_types[] = {
        [INET_DIAG_SHUTDOWN] = MNL_TYPE_U8,
        [INET_DIAG_SKV6ONLY] = MNL_TYPE_U8,
        [INET_DIAG_MARK] = MNL_TYPE_U32,
        [INET_DIAG_CGROUP_ID] = MNL_TYPE_U64,
};

static int parse_socket(const struct nlmsghdr *nlh, DiagSocket *ret) {
        const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
        const struct nlattr *attr;

        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
                return -EBADMSG;
        if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
                return -EBADMSG;

        mnl_attr_for_each(attr, nlh, sizeof(*m)) {
                uint16_t type = mnl_attr_get_type(attr);

                if (type < ELEMENTSOF(attr_types) && attr_types[type] != MNL_TYPE_UNSPEC &&
                    mnl_attr_validate(attr, attr_types[type]) < 0)
                        return -errno;
        }
        /* mnl_attr_for_each() stops quietly at an attribute that does not fit: that is a truncated one */
        if ((const char *) attr != (const char *) mnl_nlmsg_get_payload_tail(nlh))
                return -EBADMSG;

        *ret = (DiagSocket) { .state = m->idiag_state, .rqueue = m->idiag_rqueue, .wqueue = m->idiag_wqueue };
        endpoint_from_diag(&ret->local, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
        endpoint_from_diag(&ret->remote, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
        return 0;
}

/* The end of a reply: an NLMSG_ERROR (0 for an ACK) or NLMSG_DONE with the dump's result. */
static int parse_end(const struct nlmsghdr *nlh) {
        int error;

        if (nlh->nlmsg_type == NLMSG_ERROR) {
                const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

                if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || e->error > 0 || e->error < -4095)
                        return -EBADMSG;
                return e->error;
        }
        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int)) /* NLMSG_DONE without a result */
                return 0;
        memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
        if (error > 0 || error < -4095)
                return -EBADMSG;
        return error;
}

/* One pass over a datagram. Without userdata it only checks; with it, it also folds the sockets in. */
static int walk_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid, const ScanKind *k,
                         void *userdata, bool *ret_done) {
        const struct nlmsghdr *nlh = buf;
        bool done = false;
        int remaining, n = 0, r;

        if (len == 0 || len > INT_MAX)
                return -EBADMSG;
        remaining = (int) len;

        for (; netlink_message_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                DiagSocket s;

                if (nlh->nlmsg_seq != seq)
                        return -EPROTO;
                if (nlh->nlmsg_pid != portid)
                        return -ESRCH;

                if (nlh->nlmsg_type == NLMSG_NOOP)
                        continue;
                if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE) {
                        r = parse_end(nlh);
                        if (r < 0)
                                return r;
                        done = true;
                        break;
                }
                if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
                        return -EBADMSG;

                r = parse_socket(nlh, &s);
                if (r < 0)
                        return r;
                if (s.state >= 32 || !(k->states & (1u << s.state)))
                        continue;
                if (userdata) {
                        r = k->add(&s, userdata);
                        if (r < 0)
                                return r;
                }
                n++;
        }
        /* bytes left that do not make a whole message: a truncated datagram */
        if (!done && remaining != 0)
                return -EBADMSG;

        if (ret_done)
                *ret_done = done;
        return n;
}

static int parse_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid, SockDiagScan scan,
                          void *userdata, bool *ret_done) {
        int r;

        /* Check the whole datagram before anything is counted, so a bad one changes nothing. */
        r = walk_messages(buf, len, seq, portid, &scan_kinds[scan], NULL, NULL);
        if (r < 0)
                return r;
        return walk_messages(buf, len, seq, portid, &scan_kinds[scan], userdata, ret_done);
}

int sockdiag_parse_listeners(const void *buf, size_t len, uint32_t seq, uint32_t portid, ListenFill *fill,
                             bool *ret_done) {
        return parse_messages(buf, len, seq, portid, SOCKDIAG_SCAN_LISTEN, fill, ret_done);
}

int sockdiag_parse_destinations(const void *buf, size_t len, uint32_t seq, uint32_t portid, DestinationTable *t,
                                bool *ret_done) {
        return parse_messages(buf, len, seq, portid, SOCKDIAG_SCAN_DESTINATIONS, t, ret_done);
}

void sockdiag_port_range_bytecode(uint16_t lo, uint16_t hi,
                                  uint8_t ret[static SOCKDIAG_PORT_RANGE_BYTECODE_SIZE]) {
        /* Offsets count from each op: a failed test jumps to 4 bytes past the end (16 + 4 from the first op,
         * 8 + 4 from the third), a passed one to the next test, or from the last test exactly to the end. */
        const struct inet_diag_bc_op ops[] = {
                { .code = INET_DIAG_BC_S_GE, .yes = 8, .no = 16 + 4 },
                { .no = lo },
                { .code = INET_DIAG_BC_S_LE, .yes = 8, .no = 8 + 4 },
                { .no = hi },
        };

        _Static_assert(sizeof(ops) == SOCKDIAG_PORT_RANGE_BYTECODE_SIZE, "bytecode size");
        memcpy(ret, ops, sizeof(ops));
}

size_t sockdiag_put_request(void *buf, uint32_t seq, int family, SockDiagScan scan, uint16_t lo, uint16_t hi) {
        struct nlmsghdr *nlh;
        struct inet_diag_req_v2 *req;

        if (scan < 0 || scan >= _SOCKDIAG_SCAN_MAX)
                return 0;
        nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
        nlh->nlmsg_seq = seq;
        req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
        req->sdiag_family = (uint8_t) family;
        req->sdiag_protocol = IPPROTO_TCP;
        req->idiag_states = scan_kinds[scan].states;
        if (scan == SOCKDIAG_SCAN_DESTINATIONS) {
                uint8_t bytecode[SOCKDIAG_PORT_RANGE_BYTECODE_SIZE];

                sockdiag_port_range_bytecode(lo, hi, bytecode);
                mnl_attr_put(nlh, INET_DIAG_REQ_BYTECODE, sizeof(bytecode), bytecode);
        }
        return nlh->nlmsg_len;
}

SockDiag *sockdiag_close(SockDiag *d) {
        if (!d)
                return NULL;
        netlink_close(&d->sock);
        return mfree(d);
}

int sockdiag_open(SockDiag **ret) {
        _cleanup_(sockdiag_closep) SockDiag *d = NULL;
        int r;

        d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        r = netlink_open(&d->sock, NETLINK_SOCK_DIAG, SOCKDIAG_TIMEOUT_SEC);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(d);
        return 0;
}

typedef struct DumpReply {
        SockDiagScan scan;
        void *userdata; /* ListenFill or DestinationTable */
} DumpReply;

static int dump_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *userdata, bool *ret_done) {
        const DumpReply *d = userdata;
        int r = parse_messages(buf, len, seq, portid, d->scan, d->userdata, ret_done);
        return r < 0 ? r : 0;
}

/* One dump: request, then datagrams until NLMSG_DONE, each folded into userdata. */
static int sockdiag_dump(SockDiag *d, int family, SockDiagScan scan, uint16_t lo, uint16_t hi, void *userdata) {
        _Alignas(struct nlmsghdr) char req[SOCKDIAG_REQUEST_MAX];
        size_t len = sockdiag_put_request(req, netlink_next_seq(&d->sock), family, scan, lo, hi);

        return netlink_transact(&d->sock, req, len, dump_reply, &(DumpReply) { scan, userdata });
}

/* The dump for both families; a kernel without IPv6 answers -ENOENT for AF_INET6. */
static int sockdiag_dump_all(SockDiag *d, SockDiagScan scan, uint16_t lo, uint16_t hi, void *userdata) {
        static const int families[] = { AF_INET, AF_INET6 };
        int r;

        for (size_t i = 0; i < ELEMENTSOF(families); i++) {
                r = sockdiag_dump(d, families[i], scan, lo, hi, userdata);
                if (r == -ENOENT && families[i] == AF_INET6)
                        continue;
                if (r < 0)
                        return r;
        }
        return 0;
}

int sockdiag_listen_fill(SockDiag *d, ListenFill *ret) {
        ListenFill f = {};
        int r;

        r = sockdiag_dump_all(d, SOCKDIAG_SCAN_LISTEN, 0, 0, &f);
        if (r < 0)
                return r;
        *ret = f;
        return 0;
}

int sockdiag_top_destination(SockDiag *d, uint16_t lo, uint16_t hi, DestinationCount *ret) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        int r;

        if (lo > hi)
                return -EINVAL;
        r = destination_table_new(&t);
        if (r < 0)
                return r;
        r = sockdiag_dump_all(d, SOCKDIAG_SCAN_DESTINATIONS, lo, hi, t);
        if (r < 0)
                return r;
        destination_table_top(t, ret);
        return 0;
}
