/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-conntrack.c - ctnetlink stats parsers fed hand-built netlink datagrams (laid out as the kernel sends
 * them: nfgenmsg, big-endian u32 attributes), the /proc/sys fallback on a scratch tree, and the real socket
 * in a network namespace of its own when running as root. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <sched.h>

#include "conntrack.h"
#include "test-helpers.h"

#define SEQ 4242u
#define PORTID 31337u
#define ATTRS_MAX 12
#define MSGS_MAX 4

typedef enum TestMsgType {
        M_END,       /* end of the list */
        M_GLOBAL,    /* IPCTNL_MSG_CT_GET_STATS reply */
        M_CPU,       /* IPCTNL_MSG_CT_GET_STATS_CPU reply */
        M_DONE,      /* NLMSG_DONE with error 0 */
        M_ERROR,     /* NLMSG_ERROR with .error (0: an ACK) */
        M_NOOP,      /* NLMSG_NOOP */
        M_SHORT,     /* a stats message without the nfgenmsg */
} TestMsgType;

typedef struct TestAttr {
        uint16_t type; /* 0 ends the list */
        uint32_t value;
        uint16_t size;    /* payload bytes; 0 means a u32 */
        uint16_t nla_len; /* overrides the header's length when nonzero */
} TestAttr;

typedef struct TestMsg {
        TestMsgType type;
        int error;
        uint32_t seq_delta, portid_delta; /* added to SEQ / PORTID */
        TestAttr attrs[ATTRS_MAX];
        uint32_t nlmsg_len; /* overrides the header's length when nonzero (the datagram keeps its size) */
} TestMsg;

/* Build the datagram: the messages one after another, cut bytes removed from the end. */
static size_t build(const TestMsg *msgs, size_t cut, char *buf, size_t size) {
        size_t len = 0;

        memset(buf, 0, size);
        for (const TestMsg *m = msgs; m->type != M_END; m++) {
                struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + len);

                nlh->nlmsg_seq = SEQ + m->seq_delta;
                nlh->nlmsg_pid = PORTID + m->portid_delta;
                switch (m->type) {
                case M_GLOBAL:
                case M_CPU:
                case M_SHORT: {
                        uint8_t msg = m->type == M_CPU ? IPCTNL_MSG_CT_GET_STATS_CPU : IPCTNL_MSG_CT_GET_STATS;
                        nlh->nlmsg_type = (uint16_t) (NFNL_SUBSYS_CTNETLINK << 8 | msg);
                        nlh->nlmsg_flags = NLM_F_MULTI;
                        if (m->type == M_SHORT)
                                break;
                        struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
                        nfg->nfgen_family = AF_UNSPEC;
                        nfg->version = NFNETLINK_V0;
                        nfg->res_id = htons((uint16_t) (m - msgs));
                        for (const TestAttr *a = m->attrs; a->type != 0; a++) {
                                struct nlattr *attr = mnl_nlmsg_get_payload_tail(nlh);
                                if (a->size == 0)
                                        mnl_attr_put_u32(nlh, a->type, htonl(a->value));
                                else {
                                        uint8_t data[16] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
                                        ck_assert_uint_le(a->size, sizeof(data));
                                        mnl_attr_put(nlh, a->type, a->size, data);
                                }
                                if (a->nla_len != 0)
                                        attr->nla_len = a->nla_len;
                        }
                        break;
                }
                case M_DONE: {
                        nlh->nlmsg_type = NLMSG_DONE;
                        nlh->nlmsg_flags = NLM_F_MULTI;
                        int *error = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
                        *error = m->error;
                        break;
                }
                case M_ERROR: {
                        nlh->nlmsg_type = NLMSG_ERROR;
                        struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
                        e->error = m->error;
                        break;
                }
                case M_NOOP:
                        nlh->nlmsg_type = NLMSG_NOOP;
                        break;
                case M_END:
                        break;
                }
                len += nlh->nlmsg_len;
                if (m->nlmsg_len != 0)
                        nlh->nlmsg_len = m->nlmsg_len;
                ck_assert_uint_lt(len, size / 2);
        }
        ck_assert_uint_le(cut, len);
        return len - cut;
}

/* The CTA_STATS_* of one CPU with values base+1 … base+10 in the order of ConntrackStats. */
#define CPU_ATTRS(base)                                                                                   \
        { CTA_STATS_FOUND, (base) + 1 }, { CTA_STATS_INVALID, (base) + 2 }, { CTA_STATS_INSERT, (base) + 3 }, \
                { CTA_STATS_INSERT_FAILED, (base) + 4 }, { CTA_STATS_DROP, (base) + 5 },                  \
                { CTA_STATS_EARLY_DROP, (base) + 6 }, { CTA_STATS_ERROR, (base) + 7 },                    \
                { CTA_STATS_SEARCH_RESTART, (base) + 8 }, { CTA_STATS_CLASH_RESOLVE, (base) + 9 },        \
                { CTA_STATS_CHAIN_TOOLONG, (base) + 10 }

#define GLOBAL_ATTRS(entries, max) { CTA_STATS_GLOBAL_ENTRIES, entries }, { CTA_STATS_GLOBAL_MAX_ENTRIES, max }

typedef struct ParseCase {
        const char *name;
        bool cpu; /* conntrack_parse_cpu(), else conntrack_parse_global() */
        TestMsg msgs[MSGS_MAX + 1];
        size_t cut;
        int ret;
        bool done;
        ConntrackStats expected; /* when ret >= 0 */
} ParseCase;

#define NETLINK_STATS(...) { .present = true, .from_netlink = true, __VA_ARGS__ }
/* sums over two CPUs of CPU_ATTRS(0) and CPU_ATTRS(1000) */
#define CPU_SUMS(extra) \
        .found = 1002 + (extra), .invalid = 1004 + (extra), .insert = 1006 + (extra), .insert_failed = 1008 + (extra), \
        .drop = 1010 + (extra), .early_drop = 1012 + (extra), .error = 1014 + (extra), .search_restart = 1016 + (extra), \
        .clash_resolve = 1018 + (extra), .chaintoolong = 1020 + (extra)

static const ParseCase parse_cases[] = {
        /* global */
        { "global", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(12, 262144) } } }, 0, 1, false,
          NETLINK_STATS(.entries = 12, .max = 262144) },
        { "global max u32", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(UINT32_MAX, 0x01020304) } } }, 0, 1, false,
          NETLINK_STATS(.entries = UINT32_MAX, .max = 0x01020304) },
        { "global unknown attribute", false,
          { { M_GLOBAL, .attrs = { { 77, 5, 12 }, GLOBAL_ATTRS(3, 4), { CTA_STATS_GLOBAL_MAX + 1, 9 } } } }, 0, 1, false,
          NETLINK_STATS(.entries = 3, .max = 4) },
        { "global then ack", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(1, 2) } }, { M_ERROR, 0 } }, 0, 1, false,
          NETLINK_STATS(.entries = 1, .max = 2) },
        { "global noop", false, { { M_NOOP } }, 0, 0, false, {} },
        { "global ack only", false, { { M_ERROR, 0 } }, 0, 0, false, {} },
        { "global empty buffer", false, { { M_END } }, 0, -EBADMSG },
        { "global truncated message", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(1, 2) } } }, 4, -EBADMSG },
        { "global truncated header", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(1, 2) } } }, 20, -EBADMSG },
        { "global attribute past the message", false,
          { { M_GLOBAL, .attrs = { { CTA_STATS_GLOBAL_ENTRIES, 1 }, { CTA_STATS_GLOBAL_MAX_ENTRIES, 2, 0, 200 } } } },
          0, -EBADMSG },
        { "global no nfgenmsg", false, { { M_SHORT } }, 0, -EBADMSG },
        { "global wrong seq", false, { { M_GLOBAL, 0, 1, .attrs = { GLOBAL_ATTRS(1, 2) } } }, 0, -EPROTO },
        { "global wrong portid", false, { { M_GLOBAL, 0, 0, 1, .attrs = { GLOBAL_ATTRS(1, 2) } } }, 0, -ESRCH },
        { "global short attribute", false, { { M_GLOBAL, .attrs = { { CTA_STATS_GLOBAL_ENTRIES, 0, 2 } } } }, 0, -ERANGE },
        { "global long attribute", false, { { M_GLOBAL, .attrs = { { CTA_STATS_GLOBAL_MAX_ENTRIES, 0, 8 } } } }, 0,
          -ERANGE },
        { "global EPERM", false, { { M_ERROR, -EPERM } }, 0, -EPERM },
        { "global EOPNOTSUPP", false, { { M_ERROR, -EOPNOTSUPP } }, 0, -EOPNOTSUPP },
        { "global positive error", false, { { M_ERROR, 1 } }, 0, -EBADMSG },
        { "global gets a per-CPU message", false, { { M_CPU, .attrs = { CPU_ATTRS(0) } } }, 0, -EBADMSG },
        /* libmnl's mnl_nlmsg_ok() took a length above INT_MAX for a negative one (found by fuzz-conntrack) */
        { "global length above INT_MAX", false, { { M_DONE, .nlmsg_len = 0x80000014 } }, 0, -EBADMSG },
        /* A last message whose padding is not in the datagram. The attribute walk goes up to the padded end:
         * libmnl read the last u32 past the datagram (valgrind --partial-loads-ok=no saw it; ASan does not
         * see into libmnl), and a short NLMSG_DONE was taken. */
        { "global padding past the datagram", false, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(1, 2) }, .nlmsg_len = 33 } },
          3, -EBADMSG },
        { "global done without its padding", false, { { M_DONE, .nlmsg_len = 17 } }, 3, -EBADMSG },

        /* per CPU */
        { "cpu two CPUs and done", true,
          { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_CPU, .attrs = { CPU_ATTRS(1000) } }, { M_DONE } }, 0, 2, true,
          NETLINK_STATS(CPU_SUMS(0)) },
        { "cpu two CPUs, dump goes on", true,
          { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_CPU, .attrs = { CPU_ATTRS(1000) } } }, 0, 2, false,
          NETLINK_STATS(CPU_SUMS(0)) },
        { "cpu done only", true, { { M_DONE } }, 0, 0, true, {} },
        { "cpu unknown and unused attributes", true,
          { { M_CPU, .attrs = { { CTA_STATS_SEARCHED, 50 }, CPU_ATTRS(0), { CTA_STATS_MAX + 1, 7, 16 } } },
            { M_CPU, .attrs = { CPU_ATTRS(1000), { CTA_STATS_NEW, 60 }, { 4000, 1 } } },
            { M_DONE } },
          0, 2, true, NETLINK_STATS(CPU_SUMS(0)) },
        { "cpu a CPU with no counters", true, { { M_CPU }, { M_DONE } }, 0, 1, true, NETLINK_STATS() },
        { "cpu truncated", true, { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_DONE } }, 8, -EBADMSG },
        { "cpu wrong seq in second", true,
          { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_CPU, 0, 7, .attrs = { CPU_ATTRS(1000) } } }, 0, -EPROTO },
        { "cpu wrong portid on done", true, { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_DONE, 0, 0, 3 } }, 0, -ESRCH },
        { "cpu short attribute", true,
          { { M_CPU, .attrs = { { CTA_STATS_FOUND, 1 }, { CTA_STATS_DROP, 0, 1 } } }, { M_DONE } }, 0, -ERANGE },
        { "cpu long unused attribute", true, { { M_CPU, .attrs = { { CTA_STATS_IGNORE, 0, 8 } } } }, 0, -ERANGE },
        { "cpu EPERM", true, { { M_ERROR, -EPERM } }, 0, -EPERM },
        { "cpu dump failed", true, { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_DONE, -ENOBUFS } }, 0, -ENOBUFS },
        { "cpu gets a global message", true, { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(1, 2) } } }, 0, -EBADMSG },
        { "cpu length above INT_MAX", true,
          { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_DONE, .nlmsg_len = 0xfa000014 } }, 0, -EBADMSG },
        { "cpu done without its padding", true, { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_DONE, .nlmsg_len = 18 } }, 2,
          -EBADMSG },
};

static void assert_stats_eq(const ConntrackStats *a, const ConntrackStats *b) {
        ck_assert_int_eq(a->present, b->present);
        ck_assert_int_eq(a->from_netlink, b->from_netlink);
        ck_assert_uint_eq(a->entries, b->entries);
        ck_assert_uint_eq(a->max, b->max);
        ck_assert_uint_eq(a->found, b->found);
        ck_assert_uint_eq(a->invalid, b->invalid);
        ck_assert_uint_eq(a->insert, b->insert);
        ck_assert_uint_eq(a->insert_failed, b->insert_failed);
        ck_assert_uint_eq(a->drop, b->drop);
        ck_assert_uint_eq(a->early_drop, b->early_drop);
        ck_assert_uint_eq(a->error, b->error);
        ck_assert_uint_eq(a->search_restart, b->search_restart);
        ck_assert_uint_eq(a->clash_resolve, b->clash_resolve);
        ck_assert_uint_eq(a->chaintoolong, b->chaintoolong);
}

START_TEST(test_parse) {
        const ParseCase *c = &parse_cases[_i];
        static const ConntrackStats zero = {};
        ConntrackStats s = {};
        bool done = !c->done;
        char buf[8192];
        size_t len = build(c->msgs, c->cut, buf, sizeof(buf));
        /* a heap buffer of the datagram's exact size: the ASan build sees a read past its end */
        _cleanup_free_ char *datagram = memdup(buf, len);
        int r;

        ck_assert_ptr_nonnull(datagram);
        if (c->cpu)
                r = conntrack_parse_cpu(datagram, len, SEQ, PORTID, &s, &done);
        else
                r = conntrack_parse_global(datagram, len, SEQ, PORTID, &s);
        ck_assert_msg(r == c->ret, "%s: got %d, expected %d", c->name, r, c->ret);
        if (r < 0) {
                assert_stats_eq(&s, &zero); /* untouched */
                return;
        }
        assert_stats_eq(&s, &c->expected);
        if (c->cpu)
                ck_assert_msg(done == c->done, "%s: done %d", c->name, done);
}
END_TEST

/* A dump over two datagrams adds up; the global reply's values survive it; a failing datagram changes
 * nothing. */
START_TEST(test_parse_sequence) {
        static const TestMsg global[] = { { M_GLOBAL, .attrs = { GLOBAL_ATTRS(7, 65536) } }, { M_END } },
                             first[] = { { M_CPU, .attrs = { CPU_ATTRS(0) } }, { M_END } },
                             bad[] = { { M_CPU, .attrs = { CPU_ATTRS(50) } }, { M_DONE, 0, 0, 1 }, { M_END } },
                             last[] = { { M_CPU, .attrs = { CPU_ATTRS(1000) } }, { M_DONE }, { M_END } };
        ConntrackStats s = {}, expected = NETLINK_STATS(.entries = 7, .max = 65536, CPU_SUMS(0));
        bool done = true;
        char buf[8192];
        size_t len;

        len = build(global, 0, buf, sizeof(buf));
        ck_assert_int_eq(conntrack_parse_global(buf, len, SEQ, PORTID, &s), 1);
        len = build(first, 0, buf, sizeof(buf));
        ck_assert_int_eq(conntrack_parse_cpu(buf, len, SEQ, PORTID, &s, &done), 1);
        ck_assert(!done);
        len = build(bad, 0, buf, sizeof(buf));
        ck_assert_int_eq(conntrack_parse_cpu(buf, len, SEQ, PORTID, &s, &done), -ESRCH);
        len = build(last, 0, buf, sizeof(buf));
        ck_assert_int_eq(conntrack_parse_cpu(buf, len, SEQ, PORTID, &s, &done), 1);
        ck_assert(done);
        assert_stats_eq(&s, &expected);
}
END_TEST

typedef struct ProcCase {
        const char *count, *max; /* file contents; NULL: no file */
        int ret;
        ConntrackStats expected;
} ProcCase;

static const ProcCase proc_cases[] = {
        { "5\n", "65536\n", 0, { .present = true, .entries = 5, .max = 65536 } },
        { "0\n", "262144\n", 0, { .present = true, .max = 262144 } },
        { "18446744073709551615", "1\n", 0, { .present = true, .entries = UINT64_MAX, .max = 1 } },
        { "5\n", NULL, 0, { .present = false } }, /* no nf_conntrack_max: not loaded */
        { NULL, "1\n", 0, { .present = true, .max = 1 } },
        { NULL, NULL, 0, { .present = false } },
        { "", "1\n", -EINVAL },
        { "\n", "1\n", -EINVAL },
        { "-1\n", "1\n", -EINVAL },
        { "5 \n", "1\n", -EINVAL },
        { "18446744073709551616\n", "1\n", -EINVAL },
        { "5\n", "1x\n", -EINVAL },
        { "5\n", "0000000000000000000000000000000000000000000000000000000000000000000001\n", -EINVAL }, /* too big */
};

/* No socket (conntrack_open() failed): the fallback alone. */
START_TEST(test_proc_fallback) {
        const ProcCase *c = &proc_cases[_i];
        _cleanup_free_ char *root = scratch_dir_new();
        ConntrackStats s = { .entries = 99 }, unchanged = s;

        if (c->count)
                tree_write(root, "net/netfilter/nf_conntrack_count", c->count);
        if (c->max)
                tree_write(root, "net/netfilter/nf_conntrack_max", c->max);

        ck_assert_int_eq(conntrack_read_stats(NULL, root, &s), c->ret);
        assert_stats_eq(&s, c->ret < 0 ? &unchanged : &c->expected);
}
END_TEST

static uint64_t read_u64_file(const char *path) {
        _cleanup_free_ char *v = tree_read("/", path);
        ck_assert_ptr_nonnull(v);
        return strtoull(v, NULL, 10);
}

/* The real kernel, in a network namespace of our own (Check runs this in a forked child, so the host's
 * namespace is left alone): a fresh namespace tracks no connections yet. */
START_TEST(test_netns) {
        _cleanup_(conntrack_closep) Conntrack *c = NULL;
        ConntrackStats s;
        int r;

        if (!enter_new_netns("test_netns"))
                return;
        if (access("/proc/sys/net/netfilter/nf_conntrack_count", F_OK) < 0) {
                printf("SKIP: test_netns: nf_conntrack is not loaded\n");
                return;
        }

        r = conntrack_open(&c);
        if (r < 0) {
                printf("SKIP: test_netns: no NETLINK_NETFILTER socket: %s\n", strerror(-r));
                return;
        }
        ck_assert_int_eq(conntrack_read_stats(c, "/proc/sys", &s), 0);
        ck_assert(s.present);
        ck_assert_uint_eq(s.entries, read_u64_file("proc/sys/net/netfilter/nf_conntrack_count"));
        ck_assert_uint_eq(s.max, read_u64_file("proc/sys/net/netfilter/nf_conntrack_max"));
        if (!s.from_netlink)
                printf("NOTE: test_netns: ctnetlink missing, /proc/sys fallback used\n");

        /* nf_conntrack "not loaded" (a proc/sys without its files): absent, and the kernel is not asked */
        _cleanup_free_ char *empty = scratch_dir_new();
        s = (ConntrackStats) { .present = true, .entries = 7 };
        ck_assert_int_eq(conntrack_read_stats(c, empty, &s), 0);
        ck_assert(!s.present);
        ck_assert_uint_eq(s.entries, 0);

        /* the socket is kept: a second read works the same */
        ck_assert_int_eq(conntrack_read_stats(c, "/proc/sys", &s), 0);
        ck_assert(s.present);
        ck_assert_uint_eq(s.entries, read_u64_file("proc/sys/net/netfilter/nf_conntrack_count"));
}
END_TEST

static Suite *conntrack_suite(void) {
        Suite *s = suite_create("conntrack");
        TCase *tc;

        tc = tcase_create("parsers");
        tcase_add_loop_test(tc, test_parse, 0, ELEMENTSOF(parse_cases));
        tcase_add_test(tc, test_parse_sequence);
        suite_add_tcase(s, tc);

        tc = tcase_create("proc");
        tcase_add_loop_test(tc, test_proc_fallback, 0, ELEMENTSOF(proc_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("kernel");
        tcase_add_test(tc, test_netns);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(conntrack_suite());
}
