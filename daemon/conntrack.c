/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* conntrack.c - conntrack table fill and per-CPU counters over ctnetlink (NETLINK_NETFILTER), with libmnl.
 *
 * The netlink request: two messages of subsystem NFNL_SUBSYS_CTNETLINK, each a struct nfgenmsg and no
 * attributes.
 *   IPCTNL_MSG_CT_GET_STATS      a plain request. The kernel answers with one message holding
 *                                CTA_STATS_GLOBAL_ENTRIES and _MAX_ENTRIES. That message carries NLM_F_MULTI
 *                                but no NLMSG_DONE follows, so the reply ends with the stats message itself
 *                                (or an NLMSG_ERROR).
 *   IPCTNL_MSG_CT_GET_STATS_CPU  a dump (NLM_F_DUMP): one message per possible CPU (res_id = CPU) with the
 *                                CTA_STATS_* counters, over as many datagrams as needed, then NLMSG_DONE.
 * Every attribute is a big-endian u32. Replies carry our sequence number and port id; a datagram from a
 * sender other than the kernel (port 0) is dropped unread, and leftovers of an earlier, aborted request are
 * drained before each new one. nfnetlink refuses every message without CAP_NET_ADMIN (-EPERM) and answers
 * -EOPNOTSUPP when nf_conntrack_netlink cannot be loaded. */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <limits.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdio.h>
#include <sys/socket.h>

#include "conntrack.h"
#include "netlink.h"
#include "util/util.h"

#define CONNTRACK_TIMEOUT_SEC 2
#define CONNTRACK_PROC_FILE_MAX 64

struct Conntrack {
        NetlinkSocket sock;
};

/* Where each attribute goes: an offset into ConntrackStats. 0 (the offset of "present", never a counter)
 * means "known, checked, not kept" — the CTA_STATS_* the kernel no longer fills. */
static const size_t global_fields[CTA_STATS_GLOBAL_MAX + 1] = {
        [CTA_STATS_GLOBAL_ENTRIES] = offsetof(ConntrackStats, entries),
        [CTA_STATS_GLOBAL_MAX_ENTRIES] = offsetof(ConntrackStats, max),
};

static const size_t cpu_fields[CTA_STATS_MAX + 1] = {
        [CTA_STATS_FOUND] = offsetof(ConntrackStats, found),
        [CTA_STATS_INVALID] = offsetof(ConntrackStats, invalid),
        [CTA_STATS_INSERT] = offsetof(ConntrackStats, insert),
        [CTA_STATS_INSERT_FAILED] = offsetof(ConntrackStats, insert_failed),
        [CTA_STATS_DROP] = offsetof(ConntrackStats, drop),
        [CTA_STATS_EARLY_DROP] = offsetof(ConntrackStats, early_drop),
        [CTA_STATS_ERROR] = offsetof(ConntrackStats, error),
        [CTA_STATS_SEARCH_RESTART] = offsetof(ConntrackStats, search_restart),
        [CTA_STATS_CLASH_RESOLVE] = offsetof(ConntrackStats, clash_resolve),
        [CTA_STATS_CHAIN_TOOLONG] = offsetof(ConntrackStats, chaintoolong),
};

typedef struct StatsKind {
        uint8_t msg;          /* IPCTNL_MSG_CT_* of request and reply */
        uint16_t attr_max;    /* attributes above are newer than our headers: ignored */
        const size_t *fields; /* attr_max + 1 entries */
        bool sum;             /* add (per-CPU) instead of store */
} StatsKind;

static const StatsKind kind_global = { IPCTNL_MSG_CT_GET_STATS, CTA_STATS_GLOBAL_MAX, global_fields, false };
static const StatsKind kind_cpu = { IPCTNL_MSG_CT_GET_STATS_CPU, CTA_STATS_MAX, cpu_fields, true };

static uint16_t stats_msg_type(const StatsKind *k) {
        return (uint16_t) (NFNL_SUBSYS_CTNETLINK << 8 | k->msg);
}

static int parse_attributes(const struct nlmsghdr *nlh, const StatsKind *k, ConntrackStats *stats) {
        const struct nlattr *attr;

        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
                return -EBADMSG;

        mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
                uint16_t type = mnl_attr_get_type(attr);

                if (type > k->attr_max)
                        continue;
                if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
                        return -errno;
                if (k->fields[type] == 0)
                        continue;

                uint64_t v = ntohl(mnl_attr_get_u32(attr));
                uint64_t *field = (uint64_t *) ((uint8_t *) stats + k->fields[type]);
                *field = k->sum ? *field + v : v;
        }
        /* mnl_attr_for_each() stops quietly at an attribute that does not fit: that is a truncated one */
        if ((const char *) attr != (const char *) mnl_nlmsg_get_payload_tail(nlh))
                return -EBADMSG;
        return 0;
}

static int parse_messages(const void *buf, size_t len, uint32_t seq, uint32_t portid, const StatsKind *k,
                          ConntrackStats *stats, bool *ret_done) {
        ConntrackStats s = *stats;
        const struct nlmsghdr *nlh = buf;
        bool done = false;
        int remaining, n = 0, r;

        if (len == 0 || len > INT_MAX)
                return -EBADMSG;
        remaining = (int) len;

        for (; netlink_message_ok(nlh, remaining); nlh = mnl_nlmsg_next(nlh, &remaining)) {
                if (nlh->nlmsg_seq != seq)
                        return -EPROTO;
                if (nlh->nlmsg_pid != portid)
                        return -ESRCH;

                if (nlh->nlmsg_type == NLMSG_NOOP)
                        continue;
                if (nlh->nlmsg_type == NLMSG_ERROR) {
                        const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

                        if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e) || e->error > 0 || e->error < -4095)
                                return -EBADMSG;
                        if (e->error < 0)
                                return e->error;
                        done = true; /* an ACK */
                        break;
                }
                if (nlh->nlmsg_type == NLMSG_DONE) {
                        /* the kernel appends the dump's result; nonzero when the dump failed midway */
                        if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
                                int error;
                                memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof error);
                                if (error < 0 && error >= -4095)
                                        return error;
                                if (error != 0)
                                        return -EBADMSG;
                        }
                        done = true;
                        break;
                }
                if (nlh->nlmsg_type != stats_msg_type(k))
                        return -EBADMSG;

                r = parse_attributes(nlh, k, &s);
                if (r < 0)
                        return r;
                s.present = s.from_netlink = true;
                n++;
        }
        /* bytes left that do not make a whole message: a truncated datagram */
        if (!done && remaining != 0)
                return -EBADMSG;

        *stats = s;
        if (ret_done)
                *ret_done = done;
        return n;
}

int conntrack_parse_global(const void *buf, size_t len, uint32_t seq, uint32_t portid, ConntrackStats *stats) {
        return parse_messages(buf, len, seq, portid, &kind_global, stats, NULL);
}

int conntrack_parse_cpu(const void *buf, size_t len, uint32_t seq, uint32_t portid, ConntrackStats *stats,
                        bool *ret_done) {
        return parse_messages(buf, len, seq, portid, &kind_cpu, stats, ret_done);
}

Conntrack *conntrack_close(Conntrack *c) {
        if (!c)
                return NULL;
        netlink_close(&c->sock);
        return mfree(c);
}

int conntrack_open(Conntrack **ret) {
        _cleanup_(conntrack_closep) Conntrack *c = NULL;
        int r;

        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        r = netlink_open(&c->sock, NETLINK_NETFILTER, CONNTRACK_TIMEOUT_SEC);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

/* netlink_transact() parsers: the stats reply is the one stats message, the CPU dump ends with NLMSG_DONE */
static int reply_global(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *stats, bool *ret_done) {
        int r = conntrack_parse_global(buf, len, seq, portid, stats);
        *ret_done = r != 0;
        return r < 0 ? r : 0;
}

static int reply_cpu(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *stats, bool *ret_done) {
        int r = conntrack_parse_cpu(buf, len, seq, portid, stats, ret_done);
        return r < 0 ? r : 0;
}

static int conntrack_query(Conntrack *c, const StatsKind *k, ConntrackStats *stats) {
        _Alignas(struct nlmsghdr) char req[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
        struct nfgenmsg *nfg;

        nlh->nlmsg_type = stats_msg_type(k);
        nlh->nlmsg_flags = NLM_F_REQUEST | (k->sum ? NLM_F_DUMP : 0);
        nlh->nlmsg_seq = netlink_next_seq(&c->sock);
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = 0;
        return netlink_transact(&c->sock, nlh, nlh->nlmsg_len, k->sum ? reply_cpu : reply_global, stats);
}

/* A proc_sys/net/netfilter file holding one decimal number and a newline. */
static int read_proc_u64(const char *proc_sys, const char *name, uint64_t *ret) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        size_t size;
        char *end;
        int r;

        if (asprintf(&path, "%s/net/netfilter/%s", proc_sys, name) < 0)
                return -ENOMEM;
        r = read_file_full(path, CONNTRACK_PROC_FILE_MAX, &buf, &size);
        if (r == -EFBIG)
                return -EINVAL;
        if (r < 0)
                return r;
        if (size > 0 && buf[size - 1] == '\n')
                buf[--size] = '\0';
        if (size == 0 || buf[0] < '0' || buf[0] > '9' || strlen(buf) != size)
                return -EINVAL;

        errno = 0;
        unsigned long long v = strtoull(buf, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int read_proc_stats(const char *proc_sys, ConntrackStats *ret) {
        ConntrackStats s = {};
        int r;

        r = read_proc_u64(proc_sys, "nf_conntrack_count", &s.entries);
        if (r >= 0)
                s.present = true;
        else if (r != -ENOENT)
                return r;
        r = read_proc_u64(proc_sys, "nf_conntrack_max", &s.max);
        if (r >= 0)
                s.present = true;
        else if (r != -ENOENT)
                return r;

        *ret = s;
        return 0;
}

int conntrack_read_stats(Conntrack *c, const char *proc_sys, ConntrackStats *ret) {
        _cleanup_free_ char *max_path = NULL;
        ConntrackStats s = {};
        int r;

        /* A ctnetlink request for a subsystem not loaded makes nfnetlink load nf_conntrack_netlink, and with it
         * nf_conntrack: asking would load the module we only want to watch. Its sysctl says whether it is
         * there (per network namespace). */
        if (asprintf(&max_path, "%s/net/netfilter/nf_conntrack_max", proc_sys) < 0)
                return -ENOMEM;
        if (access(max_path, F_OK) < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = s;
                return 0;
        }

        if (c) {
                r = conntrack_query(c, &kind_global, &s);
                if (r >= 0)
                        r = conntrack_query(c, &kind_cpu, &s);
                if (r >= 0) {
                        *ret = s;
                        return 0;
                }
                if (r != -ENOENT && r != -EOPNOTSUPP && r != -EPROTONOSUPPORT)
                        return r;
        }
        return read_proc_stats(proc_sys, ret);
}
