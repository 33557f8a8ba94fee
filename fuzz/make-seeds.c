/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* make-seeds.c - writes the binary part of the seed corpora (fuzz/corpus/): netlink datagrams for
 * fuzz-conntrack and fuzz-sockdiag, programs for fuzz-bus. Text seeds (profiles, daemon.json, /proc files)
 * are kept as files. Not run by the tests; run it again after changing fuzz-bus.h:
 *
 *   build/fuzz/make-seeds fuzz/corpus            hand-built datagrams (laid out as the kernel sends them)
 *   build/fuzz/make-seeds --capture fuzz/corpus  also real replies, from the kernel in a fresh network
 *                                                namespace with a listener and a connection (root)
 *
 * Files are named after what they hold; writing the same seed again gives the same bytes. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "conntrack.h"
#include "fuzz-bus.h"
#include "netlink.h"
#include "sockdiag.h"
#include "util/util.h"

#define SEQ 4242u
#define PORTID 31337u

static const char *out_dir;

static void save(const char *target, const char *name, const void *data, size_t size) {
        _cleanup_free_ char *dir = NULL, *path = NULL;

        if (asprintf(&dir, "%s/%s", out_dir, target) < 0 || asprintf(&path, "%s/%s", dir, name) < 0 ||
            mkdir_parents(dir, 0755) < 0 || write_file_atomic(path, data, size, FILE_MODE(0644), 0) < 0) {
                fprintf(stderr, "make-seeds: cannot write %s/%s/%s\n", out_dir, target, name);
                exit(EXIT_FAILURE);
        }
}

/* A datagram being built: messages one after another. */
typedef struct Datagram {
        _Alignas(struct nlmsghdr) char buf[NETLINK_BUFFER_SIZE];
        size_t len;
} Datagram;

static struct nlmsghdr *put_message(Datagram *d, uint16_t type, uint16_t flags) {
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(d->buf + d->len);

        nlh->nlmsg_type = type;
        nlh->nlmsg_flags = flags;
        nlh->nlmsg_seq = SEQ;
        nlh->nlmsg_pid = PORTID;
        return nlh;
}

static void end_message(Datagram *d, const struct nlmsghdr *nlh) {
        d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void put_done(Datagram *d, int error) {
        struct nlmsghdr *nlh = put_message(d, NLMSG_DONE, NLM_F_MULTI);
        int *e = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

        *e = error;
        end_message(d, nlh);
}

static void put_error(Datagram *d, int error) {
        struct nlmsghdr *nlh = put_message(d, NLMSG_ERROR, 0);
        struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

        e->error = error;
        e->msg.nlmsg_len = NLMSG_HDRLEN + sizeof(struct nfgenmsg);
        e->msg.nlmsg_seq = SEQ;
        e->msg.nlmsg_pid = PORTID;
        end_message(d, nlh);
}

/* ctnetlink: IPCTNL_MSG_CT_GET_STATS or _CPU with big-endian u32 attributes 1..n of values base + i. */
static void put_ct_stats(Datagram *d, uint8_t msg, uint16_t res_id, uint16_t n_attrs, uint32_t base) {
        struct nlmsghdr *nlh = put_message(d, (uint16_t) (NFNL_SUBSYS_CTNETLINK << 8 | msg), NLM_F_MULTI);
        struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

        nfg->nfgen_family = AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = htons(res_id);
        for (uint16_t a = 1; a <= n_attrs; a++)
                mnl_attr_put_u32(nlh, a, htonl(base + a));
        end_message(d, nlh);
}

static void conntrack_seeds(void) {
        Datagram d;

        d = (Datagram) {};
        put_ct_stats(&d, IPCTNL_MSG_CT_GET_STATS, 0, CTA_STATS_GLOBAL_MAX, 262140);
        save("fuzz-conntrack", "global", d.buf, d.len);

        d = (Datagram) {};
        put_ct_stats(&d, IPCTNL_MSG_CT_GET_STATS, 0, CTA_STATS_GLOBAL_MAX + 2, 1000); /* newer attributes */
        save("fuzz-conntrack", "global-newer-attributes", d.buf, d.len);

        d = (Datagram) {};
        for (uint16_t cpu = 0; cpu < 4; cpu++)
                put_ct_stats(&d, IPCTNL_MSG_CT_GET_STATS_CPU, cpu, CTA_STATS_MAX, 100u * cpu);
        put_done(&d, 0);
        save("fuzz-conntrack", "cpu-4-done", d.buf, d.len);

        d = (Datagram) {};
        put_ct_stats(&d, IPCTNL_MSG_CT_GET_STATS_CPU, 0, CTA_STATS_MAX, 7);
        save("fuzz-conntrack", "cpu-1-more", d.buf, d.len);

        d = (Datagram) {};
        put_error(&d, -EPERM);
        save("fuzz-conntrack", "error-eperm", d.buf, d.len);

        d = (Datagram) {};
        put_error(&d, 0);
        save("fuzz-conntrack", "ack", d.buf, d.len);

        d = (Datagram) {};
        put_done(&d, -EINTR);
        save("fuzz-conntrack", "done-eintr", d.buf, d.len);

        d = (Datagram) {};
        end_message(&d, put_message(&d, NLMSG_NOOP, 0));
        put_ct_stats(&d, IPCTNL_MSG_CT_GET_STATS_CPU, 1, 3, 0);
        put_done(&d, 0);
        save("fuzz-conntrack", "noop-cpu-done", d.buf, d.len);
}

/* sock_diag: one socket, INET_DIAG_SHUTDOWN and a few attributes the kernel adds. */
static void put_diag_socket(Datagram *d, uint8_t family, uint8_t state, const char *src, uint16_t sport,
                            const char *dst, uint16_t dport, uint32_t rqueue, uint32_t wqueue) {
        struct nlmsghdr *nlh = put_message(d, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI);
        struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

        m->idiag_family = family;
        m->idiag_state = state;
        m->id.idiag_sport = htons(sport);
        m->id.idiag_dport = htons(dport);
        if (inet_pton(family, src, m->id.idiag_src) != 1 || inet_pton(family, dst, m->id.idiag_dst) != 1)
                abort();
        m->id.idiag_cookie[0] = 0x1234;
        m->idiag_rqueue = rqueue;
        m->idiag_wqueue = wqueue;
        m->idiag_inode = 4711;
        mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
        mnl_attr_put_u32(nlh, INET_DIAG_MARK, 0);
        mnl_attr_put_u64(nlh, INET_DIAG_CGROUP_ID, 1);
        if (family == AF_INET6)
                mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, 0);
        end_message(d, nlh);
}

static void sockdiag_seeds(void) {
        Datagram d;

        d = (Datagram) {};
        put_diag_socket(&d, AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 3, 4096);
        put_diag_socket(&d, AF_INET, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 129, 128);
        put_done(&d, 0);
        save("fuzz-sockdiag", "listen-v4-done", d.buf, d.len);

        d = (Datagram) {};
        put_diag_socket(&d, AF_INET6, TCP_LISTEN, "::", 443, "::", 0, 0, 511);
        put_diag_socket(&d, AF_INET6, TCP_LISTEN, "::ffff:192.0.2.7", 8443, "::", 0, 7, 10);
        put_done(&d, 0);
        save("fuzz-sockdiag", "listen-v6-mapped-done", d.buf, d.len);

        d = (Datagram) {};
        put_diag_socket(&d, AF_INET, TCP_ESTABLISHED, "10.0.0.2", 40000, "192.0.2.1", 443, 0, 0);
        put_diag_socket(&d, AF_INET, TCP_TIME_WAIT, "10.0.0.2", 40001, "192.0.2.1", 443, 0, 0);
        put_diag_socket(&d, AF_INET, TCP_SYN_SENT, "10.0.0.2", 40002, "192.0.2.2", 80, 0, 0);
        put_done(&d, 0);
        save("fuzz-sockdiag", "destinations-v4-done", d.buf, d.len);

        d = (Datagram) {};
        put_diag_socket(&d, AF_INET6, TCP_ESTABLISHED, "2001:db8::2", 50000, "2001:db8::1", 443, 0, 0);
        put_diag_socket(&d, AF_INET6, TCP_ESTABLISHED, "::ffff:10.0.0.2", 50001, "::ffff:192.0.2.1", 443, 0, 0);
        save("fuzz-sockdiag", "destinations-v6-more", d.buf, d.len);

        /* 200 destinations: more than the table's first 256 slots hold at half load, so it grows */
        d = (Datagram) {};
        for (unsigned i = 0; i < 200; i++) {
                char dst[32];
                snprintf(dst, sizeof dst, "198.51.%u.%u", 100 + i / 100, i % 100 + 1);
                put_diag_socket(&d, AF_INET, TCP_ESTABLISHED, "10.0.0.2", (uint16_t) (40000 + i), dst, 443, 0, 0);
        }
        save("fuzz-sockdiag", "destinations-200-grow", d.buf, d.len);

        d = (Datagram) {};
        put_error(&d, -ENOENT);
        save("fuzz-sockdiag", "error-enoent", d.buf, d.len);

        d = (Datagram) {};
        put_done(&d, -EINTR);
        save("fuzz-sockdiag", "done-eintr", d.buf, d.len);
}

/* fuzz-bus programs */
typedef struct Program {
        uint8_t buf[4096];
        size_t len;
} Program;

static void p_byte(Program *p, uint8_t b) {
        if (p->len >= sizeof(p->buf))
                abort();
        p->buf[p->len++] = b;
}

static void p_bytes(Program *p, const void *data, size_t n) {
        for (size_t i = 0; i < n; i++)
                p_byte(p, ((const uint8_t *) data)[i]);
}

/* A dictionary word when there is one, else the raw string. */
static void p_string(Program *p, const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(bus_words); i++)
                if (streq(s, bus_words[i])) {
                        p_byte(p, (uint8_t) (BUS_STRING_WORDS + i));
                        return;
                }
        size_t n = strlen(s);
        if (n >= BUS_STRING_WORDS)
                abort();
        p_byte(p, (uint8_t) n);
        p_bytes(p, s, n);
}

static void p_raw_string(Program *p, const char *s, size_t n) {
        if (n >= BUS_STRING_WORDS) {
                p_byte(p, 0xff);
                p_byte(p, (uint8_t) n);
                p_byte(p, (uint8_t) (n >> 8));
        } else
                p_byte(p, (uint8_t) n);
        p_bytes(p, s, n);
}

static void p_u32(Program *p, uint32_t v) {
        p_bytes(p, &v, sizeof v);
}

static void p_u64(Program *p, uint64_t v) {
        p_bytes(p, &v, sizeof v);
}

static void p_double(Program *p, double v) {
        p_bytes(p, &v, sizeof v);
}

static void p_op(Program *p, BusOp op) {
        p_byte(p, (uint8_t) op);
}

static void p_call(Program *p, BusCall c) {
        p_byte(p, (uint8_t) c);
}

static void p_end(Program *p) {
        p_op(p, BUS_OP_END);
}

static void bus_seeds(void) {
        static const char invalid_utf8[] = "net.core.\xff\xfe";
        Program p;

        /* each method with the arguments it wants */
        p = (Program) {};
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRINGS);
        p_byte(&p, 3);
        p_string(&p, "net.core.somaxconn");
        p_string(&p, "net.ipv4.conf.eth0/100.rp_filter");
        p_string(&p, "kernel.perf_event_paranoid");
        p_end(&p);
        save("fuzz-bus", "get-keys", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRINGS);
        p_byte(&p, 1);
        p_string(&p, "../../etc/passwd");
        p_end(&p);
        save("fuzz-bus", "get-traversal", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRINGS);
        p_byte(&p, 0xff);
        p_byte(&p, 0x01);
        p_byte(&p, 0x04); /* 1025 keys: one too many */
        p_end(&p);
        save("fuzz-bus", "get-too-many", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRINGS);
        p_byte(&p, 1);
        p_raw_string(&p, invalid_utf8, sizeof invalid_utf8 - 1);
        p_end(&p);
        save("fuzz-bus", "get-invalid-utf8", p.buf, p.len);

        static const char *const profiles[] = { "server", "client", "ws-server", "ws-client", "broken", "missing" };
        for (size_t i = 0; i < ELEMENTSOF(profiles); i++) {
                _cleanup_free_ char *name = NULL;

                p = (Program) {};
                p_call(&p, BUS_CALL_APPLY);
                p_op(&p, BUS_OP_STRING);
                p_string(&p, profiles[i]);
                p_op(&p, BUS_OP_U64);
                p_u64(&p, 0);
                p_end(&p);
                p_call(&p, BUS_CALL_GET);
                p_op(&p, BUS_OP_STRINGS);
                p_byte(&p, 0);
                p_end(&p);
                p_call(&p, BUS_CALL_VERIFY);
                p_end(&p);
                p_call(&p, BUS_CALL_PROPERTY_GET_ALL);
                p_op(&p, BUS_OP_STRING);
                p_string(&p, "io.wstune.wstuned1.Manager");
                p_end(&p);
                p_call(&p, BUS_CALL_REVERT);
                p_end(&p);
                if (asprintf(&name, "apply-%s-get-verify-revert", profiles[i]) < 0)
                        abort();
                save("fuzz-bus", name, p.buf, p.len);
        }

        p = (Program) {};
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "ws-client");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 1); /* dry run */
        p_end(&p);
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 2); /* unknown flag */
        p_end(&p);
        p_call(&p, BUS_CALL_RELOAD);
        p_end(&p);
        save("fuzz-bus", "apply-dry-run-flags-reload", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_PLAN);
        p_op(&p, BUS_OP_U32);
        p_u32(&p, 15000);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "server");
        p_op(&p, BUS_OP_DICT);
        p_byte(&p, 3);
        p_string(&p, "nat_entries");
        p_byte(&p, BUS_VARIANT_DOUBLE);
        p_double(&p, 4.0);
        p_string(&p, "fd_overhead");
        p_byte(&p, BUS_VARIANT_U32);
        p_u32(&p, 1000);
        p_string(&p, "utilization");
        p_byte(&p, BUS_VARIANT_DOUBLE);
        p_double(&p, 0.7);
        p_end(&p);
        save("fuzz-bus", "plan-server-options", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_PLAN);
        p_op(&p, BUS_OP_U32);
        p_u32(&p, UINT32_MAX);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "client");
        p_op(&p, BUS_OP_DICT);
        p_byte(&p, 2);
        p_string(&p, "ramp");
        p_byte(&p, BUS_VARIANT_STRING); /* wrong type */
        p_string(&p, "fast");
        p_string(&p, "time_wait");
        p_byte(&p, BUS_VARIANT_DOUBLE);
        p_double(&p, 1e308);
        p_end(&p);
        save("fuzz-bus", "plan-client-wrong-type", p.buf, p.len);

        /* found by fuzz-bus: a utilisation just above 0 made a table size out of range of uint64_t (undefined;
         * x86 gives 0), and for a client a division by zero (SIGFPE) */
        static const struct {
                const char *role, *name;
                double utilization;
        } tiny[] = {
                { "server", "found-plan-tiny-utilization-server", 1e-15 },
                { "client", "found-plan-tiny-utilization-client", 1e-300 },
        };
        for (size_t i = 0; i < ELEMENTSOF(tiny); i++) {
                p = (Program) {};
                p_call(&p, BUS_CALL_PLAN);
                p_op(&p, BUS_OP_U32);
                p_u32(&p, 15000);
                p_op(&p, BUS_OP_STRING);
                p_string(&p, tiny[i].role);
                p_op(&p, BUS_OP_DICT);
                p_byte(&p, 1);
                p_string(&p, "utilization");
                p_byte(&p, BUS_VARIANT_DOUBLE);
                p_double(&p, tiny[i].utilization);
                p_end(&p);
                save("fuzz-bus", tiny[i].name, p.buf, p.len);
        }

        p = (Program) {};
        p_call(&p, BUS_CALL_LIST_PROFILES);
        p_end(&p);
        p_call(&p, BUS_CALL_PROPERTY_GET);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "io.wstune.wstuned1.Manager");
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "Pressure");
        p_end(&p);
        p_call(&p, BUS_CALL_PROPERTY_SET);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "io.wstune.wstuned1.Manager");
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "ActiveProfile");
        p_op(&p, BUS_OP_VARIANT);
        p_byte(&p, BUS_VARIANT_STRING);
        p_string(&p, "server");
        p_end(&p);
        p_call(&p, BUS_CALL_INTROSPECT);
        p_end(&p);
        p_call(&p, BUS_CALL_PING);
        p_end(&p);
        save("fuzz-bus", "list-properties-introspect-ping", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_ANY);
        p_string(&p, "/io/wstune/wstuned1");
        p_string(&p, "");
        p_string(&p, "Verify");
        p_end(&p);
        p_call(&p, BUS_CALL_ANY);
        p_string(&p, "/");
        p_string(&p, "org.freedesktop.DBus.Introspectable");
        p_string(&p, "Introspect");
        p_end(&p);
        p_call(&p, BUS_CALL_ANY);
        p_string(&p, "/io/wstune/wstuned1");
        p_string(&p, "io.wstune.wstuned1.Manager");
        p_string(&p, "Frobnicate");
        p_op(&p, BUS_OP_TUPLES);
        p_byte(&p, 1);
        p_string(&p, "a");
        p_string(&p, "b");
        p_string(&p, "c");
        p_string(&p, "d");
        p_end(&p);
        save("fuzz-bus", "any-path-interface-member", p.buf, p.len);

        /* the world around the calls: an admin's profile and daemon.json, drift, a late key, an edited drop-in,
         * the poll, a restart */
        static const char admin_profile[] =
                "{ \"description\": \"admin\", \"sysctl\": {\n"
                "  \"net.core.somaxconn\": { \"value\": 8192, \"match\": \"at-least\" },\n"
                "  \"net.ipv4.tcp_fin_timeout\": { \"value\": 15, \"policy\": \"warn\" },\n"
                "  \"net.netfilter.nf_conntrack_max\": 262144 },\n"
                "  \"limits\": { \"nofile\": { \"soft\": 100000, \"hard\": 2000000 }, \"raise_nr_open\": true,\n"
                "    \"domains\": [\"*\", \"@docker\"], \"layers\": [\"pam\", \"systemd\", \"docker\"],\n"
                "    \"processes\": [\"dockerd\"], \"services\": [\"docker.service\"] },\n"
                "  \"watch\": { \"conntrack\": { \"warn\": 0.6 } } }\n";
        static const char daemon_json[] =
                "{\n  \"log-driver\": \"journald\",\n  \"default-ulimits\": { \"NOFILE\": \"100:200\", "
                "\"core\": { \"Name\": \"core\", \"Hard\": -1, \"Soft\": -1 } },\n  \"max-size\": 1e400\n}\n";
        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 7); /* etc/wstuned/profiles/fuzz.json */
        p_raw_string(&p, admin_profile, sizeof admin_profile - 1);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 9); /* etc/docker/daemon.json */
        p_raw_string(&p, daemon_json, sizeof daemon_json - 1);
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "fuzz");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 0);
        p_end(&p);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 0); /* somaxconn drifts */
        p_string(&p, "128\n");
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 3); /* nf_conntrack loaded */
        p_string(&p, "65536\n");
        p_call(&p, BUS_CALL_POLL);
        p_byte(&p, 2); /* one second later, every key */
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 10); /* the PAM drop-in edited */
        p_string(&p, "* hard nofile 1024\n");
        p_call(&p, BUS_CALL_POLL);
        p_byte(&p, 1);
        p_call(&p, BUS_CALL_RESTART);
        p_call(&p, BUS_CALL_VERIFY);
        p_end(&p);
        save("fuzz-bus", "world-admin-profile-drift-restart", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 11); /* a state file from an earlier run */
        p_string(&p, "{\"version\":1,\"active_profile\":\"server\",\"baseline\":{\"sysctl\":"
                     "{\"net/core/somaxconn\":\"128\"}}}");
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 8); /* settings */
        p_string(&p, "{\"poll_interval_ms\":100,\"fight_corrections\":1,\"profile\":\"client\"}");
        p_call(&p, BUS_CALL_RESTART);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 0);
        p_string(&p, "100");
        p_call(&p, BUS_CALL_POLL);
        p_byte(&p, 0);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 0);
        p_string(&p, "100");
        p_call(&p, BUS_CALL_POLL);
        p_byte(&p, 0);
        p_call(&p, BUS_CALL_RELOAD);
        p_end(&p);
        p_call(&p, BUS_CALL_REVERT);
        p_end(&p);
        save("fuzz-bus", "world-state-settings-fight-reload-revert", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 2); /* every port reserved */
        p_string(&p, "1024-65535\n");
        p_call(&p, BUS_CALL_PLAN);
        p_op(&p, BUS_OP_U32);
        p_u32(&p, 15000);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "client");
        p_op(&p, BUS_OP_DICT);
        p_byte(&p, 0);
        p_end(&p);
        save("fuzz-bus", "world-reserved-ports-plan", p.buf, p.len);

        /* found by fuzz-bus: text sd-bus refuses in an error or a reply (a byte that is not UTF-8 from a kernel
         * file, a noncharacter from a profile); the reply was never sent, or the call failed unnamed */
        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 2); /* ip_local_reserved_ports */
        p_string(&p, "1\xa6" "24-65535\n");
        p_call(&p, BUS_CALL_PLAN);
        p_op(&p, BUS_OP_U32);
        p_u32(&p, 15000);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "client");
        p_op(&p, BUS_OP_DICT);
        p_byte(&p, 0);
        p_end(&p);
        save("fuzz-bus", "found-error-not-utf8", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 7); /* etc/wstuned/profiles/fuzz.json */
        p_string(&p, "{\"description\":\"\\uffff\",\"sysctl\":{\"net.core.\\ufdd0\":1}}");
        p_call(&p, BUS_CALL_LIST_PROFILES);
        p_end(&p);
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "fuzz");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 0);
        p_end(&p);
        p_call(&p, BUS_CALL_PROPERTY_GET_ALL);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "io.wstune.wstuned1.Manager");
        p_end(&p);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 0); /* somaxconn: a value that is not UTF-8 */
        p_string(&p, "\xff\xfe");
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRINGS);
        p_byte(&p, 1);
        p_string(&p, "net.core.somaxconn");
        p_end(&p);
        save("fuzz-bus", "found-reply-noncharacter", p.buf, p.len);

        /* a running dockerd that Verify finds by name and by unit, root's in docker.service, with its limits and
         * a --default-ulimit flag (Apply then leaves daemon.json alone) */
        static const char proc_limits[] =
                "Limit                     Soft Limit           Hard Limit           Units     \n"
                "Max cpu time              unlimited            unlimited            seconds   \n"
                "Max open files            1024                 524288               files     \n"
                "Max processes             95433                95433                processes \n";
        static const char cmdline[] = "/usr/bin/dockerd\0--default-ulimit\0nofile=1024:2048\0";
        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 7); /* etc/wstuned/profiles/fuzz.json */
        p_raw_string(&p, admin_profile, sizeof admin_profile - 1);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 13); /* proc/4242/comm */
        p_string(&p, "dockerd\n");
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 14); /* proc/4242/stat */
        p_string(&p, "4242 (dockerd) S 1 4242 4242 0 -1 4194560 500 0 0 0 10 5 0 0 20 0 12 0 100 1000000 2000 "
                     "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 15); /* proc/4242/cgroup */
        p_string(&p, "0::/system.slice/docker.service\n");
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 16); /* proc/4242/limits */
        p_raw_string(&p, proc_limits, sizeof proc_limits - 1);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 17); /* proc/4242/cmdline */
        p_raw_string(&p, cmdline, sizeof cmdline - 1);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 18); /* proc/4242/status: root's */
        p_string(&p, "Name:\tdockerd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nNgid:\t0\nPid:\t4242\n"
                     "PPid:\t1\nTracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n");
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "fuzz");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 0);
        p_end(&p);
        p_call(&p, BUS_CALL_VERIFY);
        p_end(&p);
        save("fuzz-bus", "world-dockerd-running-verify", p.buf, p.len);

        /* a managed key's original that is not UTF-8: state.json (JSON) must not get it */
        p = (Program) {};
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 0); /* somaxconn */
        p_string(&p, "\xff\n");
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "server");
        p_op(&p, BUS_OP_U64);
        p_u64(&p, 0);
        p_end(&p);
        p_call(&p, BUS_CALL_KERNEL);
        p_byte(&p, 3); /* nf_conntrack_max appears, not UTF-8 either */
        p_string(&p, "\xfe");
        p_call(&p, BUS_CALL_POLL);
        p_byte(&p, 1);
        p_call(&p, BUS_CALL_RESTART);
        p_call(&p, BUS_CALL_REVERT);
        p_end(&p);
        save("fuzz-bus", "found-original-not-utf8", p.buf, p.len);

        p = (Program) {};
        p_call(&p, BUS_CALL_APPLY);
        p_op(&p, BUS_OP_U64); /* the arguments swapped */
        p_u64(&p, 0);
        p_op(&p, BUS_OP_STRING);
        p_string(&p, "server");
        p_end(&p);
        p_call(&p, BUS_CALL_GET);
        p_op(&p, BUS_OP_STRUCT);
        p_string(&p, "x");
        p_u32(&p, 1);
        p_op(&p, BUS_OP_BYTES);
        p_byte(&p, 2);
        p_byte(&p, 0);
        p_byte(&p, 1);
        p_op(&p, BUS_OP_OBJECT_PATH);
        p_string(&p, "/");
        p_op(&p, BUS_OP_SIGNATURE);
        p_string(&p, "a{sv}");
        p_end(&p);
        save("fuzz-bus", "wrong-types", p.buf, p.len);
}

#define CAPTURE_PORT 24680

/* The datagrams of one reply, saved as they come, then handed to the real parser to know when it ends. */
typedef struct Capture {
        const char *target, *name;
        unsigned n;
        bool cpu; /* ctnetlink: the CPU dump, else the global stats */
        SockDiagScan scan;
} Capture;

static void capture_save(Capture *c, const void *buf, size_t len) {
        _cleanup_free_ char *name = NULL;

        if (asprintf(&name, "%s-%u", c->name, c->n++) < 0)
                abort();
        save(c->target, name, buf, len);
}

static int capture_sockdiag(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *userdata,
                            bool *ret_done) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        Capture *c = userdata;
        ListenFill fill = {};
        int r;

        capture_save(c, buf, len);
        if (c->scan == SOCKDIAG_SCAN_LISTEN)
                r = sockdiag_parse_listeners(buf, len, seq, portid, &fill, ret_done);
        else {
                r = destination_table_new(&t);
                if (r >= 0)
                        r = sockdiag_parse_destinations(buf, len, seq, portid, t, ret_done);
        }
        return r < 0 ? r : 0;
}

static int capture_conntrack(const void *buf, size_t len, uint32_t seq, uint32_t portid, void *userdata,
                             bool *ret_done) {
        Capture *c = userdata;
        ConntrackStats stats = {};
        int r;

        capture_save(c, buf, len);
        if (c->cpu)
                r = conntrack_parse_cpu(buf, len, seq, portid, &stats, ret_done);
        else {
                /* the stats reply is the one message */
                r = conntrack_parse_global(buf, len, seq, portid, &stats);
                *ret_done = r != 0;
        }
        return r < 0 ? r : 0;
}

static int capture_conntrack_reply(NetlinkSocket *s, bool cpu, const char *name) {
        _Alignas(struct nlmsghdr) char req[MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg))];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
        struct nfgenmsg *nfg;
        Capture c = { .target = "fuzz-conntrack", .name = name, .cpu = cpu };

        nlh->nlmsg_type = (uint16_t) (NFNL_SUBSYS_CTNETLINK << 8 |
                                      (cpu ? IPCTNL_MSG_CT_GET_STATS_CPU : IPCTNL_MSG_CT_GET_STATS));
        nlh->nlmsg_flags = NLM_F_REQUEST | (cpu ? NLM_F_DUMP : 0);
        nlh->nlmsg_seq = netlink_next_seq(s);
        nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = AF_UNSPEC;
        nfg->version = NFNETLINK_V0;
        return netlink_transact(s, nlh, nlh->nlmsg_len, capture_conntrack, &c);
}

static int capture_sockdiag_reply(NetlinkSocket *s, int family, SockDiagScan scan, const char *name) {
        _Alignas(struct nlmsghdr) char req[SOCKDIAG_REQUEST_MAX];
        Capture c = { .target = "fuzz-sockdiag", .name = name, .scan = scan };
        size_t len = sockdiag_put_request(req, netlink_next_seq(s), family, scan, 1024, 65535);

        return netlink_transact(s, req, len, capture_sockdiag, &c);
}

static void loopback_up(void) {
        struct ifreq ifr = { .ifr_name = "lo" };
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return;
        ifr.ifr_flags |= IFF_UP;
        (void) ioctl(fd, SIOCSIFFLAGS, &ifr);
}

/* Real replies: in a network namespace of our own, a listener on 127.0.0.1 and ::1 with a connection to
 * each, so both dumps have something to say. Nothing outside the namespace is touched. */
static int capture(void) {
        struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(CAPTURE_PORT),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(CAPTURE_PORT),
                                   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
        NetlinkSocket s;
        int r, fds[4];

        if (unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "make-seeds: unshare(CLONE_NEWNET): %m (run as root)\n");
                return -errno;
        }
        loopback_up();
        fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        fds[1] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        fds[2] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        fds[3] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (bind(fds[0], (struct sockaddr *) &a4, sizeof a4) < 0 || listen(fds[0], 16) < 0 ||
            setsockopt(fds[1], IPPROTO_IPV6, IPV6_V6ONLY, &(int) { 1 }, sizeof(int)) < 0 ||
            bind(fds[1], (struct sockaddr *) &a6, sizeof a6) < 0 || listen(fds[1], 16) < 0 ||
            connect(fds[2], (struct sockaddr *) &a4, sizeof a4) < 0 ||
            connect(fds[3], (struct sockaddr *) &a6, sizeof a6) < 0) {
                fprintf(stderr, "make-seeds: loopback sockets: %m\n");
                return -errno;
        }

        r = netlink_open(&s, NETLINK_SOCK_DIAG, 2);
        if (r < 0)
                return r;
        if ((r = capture_sockdiag_reply(&s, AF_INET, SOCKDIAG_SCAN_LISTEN, "kernel-listen-v4")) < 0 ||
            (r = capture_sockdiag_reply(&s, AF_INET6, SOCKDIAG_SCAN_LISTEN, "kernel-listen-v6")) < 0 ||
            (r = capture_sockdiag_reply(&s, AF_INET, SOCKDIAG_SCAN_DESTINATIONS, "kernel-destinations-v4")) < 0 ||
            (r = capture_sockdiag_reply(&s, AF_INET6, SOCKDIAG_SCAN_DESTINATIONS, "kernel-destinations-v6")) < 0)
                fprintf(stderr, "make-seeds: sock_diag: %s\n", strerror(-r));
        netlink_close(&s);

        /* Only when nf_conntrack is there already: a ctnetlink request would load it. */
        if (access("/proc/sys/net/netfilter/nf_conntrack_max", F_OK) < 0) {
                fprintf(stderr, "make-seeds: nf_conntrack not loaded, no ctnetlink capture\n");
                return 0;
        }
        r = netlink_open(&s, NETLINK_NETFILTER, 2);
        if (r < 0)
                return r;
        if ((r = capture_conntrack_reply(&s, false, "kernel-global")) < 0 ||
            (r = capture_conntrack_reply(&s, true, "kernel-cpu")) < 0)
                fprintf(stderr, "make-seeds: ctnetlink: %s\n", strerror(-r));
        netlink_close(&s);
        return 0;
}

int main(int argc, char *argv[]) {
        bool do_capture = argc == 3 && streq(argv[1], "--capture");

        if (argc != 2 && !do_capture) {
                fprintf(stderr, "Usage: %s [--capture] CORPUS_DIR\n", argv[0]);
                return EXIT_FAILURE;
        }
        out_dir = argv[argc - 1];
        conntrack_seeds();
        sockdiag_seeds();
        bus_seeds();
        if (do_capture && capture() < 0)
                return EXIT_FAILURE;
        return EXIT_SUCCESS;
}
