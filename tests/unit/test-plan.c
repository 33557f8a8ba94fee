/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-plan.c - the capacity planner: a table of connection counts from 100 to 1,000,000 for both roles,
 * the seed's 15,000 case with every intermediate number, the machine's view (current values, reserved
 * ports, RAM, fs.nr_open), bad options with their messages, and every plan parsed back as a profile. */
#include <inttypes.h>
#include <math.h>

#include "plan.h"
#include "profile.h"
#include "test-helpers.h"

typedef struct Expect {
        const char *key, *value;
} Expect;

typedef struct PlanCase {
        PlanRole role;
        uint64_t connections;
        Expect values[8]; /* in plan order */
        size_t n_warnings;
} PlanCase;

#define SERVER(c, max, buckets, backlog, nofile)                                                                  \
        { PLAN_ROLE_SERVER, c,                                                                                    \
          { { "net.netfilter.nf_conntrack_max", max }, { "net.netfilter.nf_conntrack_buckets", buckets },         \
            { "net.core.somaxconn", backlog }, { "net.ipv4.tcp_max_syn_backlog", backlog },                        \
            { "net.ipv4.tcp_syncookies", "1" }, { "limits.nofile", nofile } } }
#define CLIENT(c, range, max, buckets, nofile, warnings)                                                          \
        { PLAN_ROLE_CLIENT, c,                                                                                    \
          { { "net.ipv4.ip_local_port_range", range }, { "net.ipv4.tcp_tw_reuse", "1" },                           \
            { "net.ipv4.tcp_fin_timeout", "15" }, { "net.netfilter.nf_conntrack_max", max },                       \
            { "net.netfilter.nf_conntrack_buckets", buckets }, { "limits.nofile", nofile } },                      \
          warnings }

/* Defaults: server 4 entries, client 2, utilisation 0.75, 100/s x 10 s, lifetime and TIME_WAIT 60 s,
 * 1600 descriptors of overhead; a machine with nothing known. */
static const PlanCase plan_cases[] = {
        /* 400 entries / 0.75 = 534 -> 1024; 1000 slots / 0.75 = 1334 -> 2048; 1700 / 0.75 = 2267 -> 3072 */
        SERVER(100, "1024", "256", "2048", "3072"),
        SERVER(1000, "8192", "2048", "2048", "4096"),            /* 5334 -> 8192; 2600 / .75 = 3467 */
        SERVER(15000, "131072", "32768", "2048", "22528"),       /* the seed: 80000 -> 131072, not 262144 */
        SERVER(16384, "131072", "32768", "2048", "24576"),       /* 87382 -> 131072; 17984 / .75 = 23979 */
        SERVER(24576, "131072", "32768", "2048", "35840"),       /* 131072 exactly: no rounding */
        SERVER(24577, "262144", "65536", "2048", "35840"),       /* one more: the next power */
        SERVER(100000, "1048576", "262144", "2048", "136192"),   /* 533334; 101600 / .75 = 135467 */
        SERVER(1000000, "8388608", "2097152", "2048", "1336320"),
        /* 100 + 100 TIME_WAIT = 200 / 0.75 = 267 ports: 65269..65535 */
        CLIENT(100, "65269 65535", "512", "128", "3072", 0),
        CLIENT(15000, "25536 65535", "65536", "16384", "22528", 0), /* 30000 / .75 = 40000 ports */
        CLIENT(24000, "1536 65535", "65536", "16384", "34816", 0),  /* 64000 ports: just fits */
        CLIENT(24193, "1024 65535", "65536", "16384", "34816", 1),  /* 64515 > 64512: needs 2 destinations */
        CLIENT(1000000, "1024 65535", "4194304", "1048576", "1336320", 1),
};

static const PlanItem *find_item(const Plan *p, const char *key) {
        for (size_t i = 0; i < p->n_items; i++)
                if (streq(p->items[i].key, key))
                        return &p->items[i];
        return NULL;
}

/* The plan parses back as a profile with the same values. */
static void assert_round_trip(const Plan *plan) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;

        ck_assert_msg(profile_parse("planned", "planned.json", plan->profile_json, strlen(plan->profile_json), &p,
                                    &error) == 0,
                      "%s", strempty(error));
        for (size_t i = 0; i < plan->n_items; i++) {
                const PlanItem *it = &plan->items[i];
                if (streq(it->key, "limits.nofile")) {
                        ck_assert(p->limits.present);
                        ck_assert_uint_eq(p->limits.nofile_hard, strtoull(it->value, NULL, 10));
                        ck_assert_uint_eq(p->limits.nofile_soft, p->limits.nofile_hard);
                        continue;
                }
                _cleanup_free_ char *path = NULL;
                ck_assert_int_eq(sysctl_key_to_path(it->key, &path, NULL), 0);
                const ProfileKey *k = profile_find_key(p, path);
                ck_assert_ptr_nonnull(k);
                ck_assert_str_eq(k->value, it->value);
        }
}

START_TEST(test_plan_table) {
        const PlanCase *c = &plan_cases[_i];
        _cleanup_free_ char *error = NULL;
        PlanMachine m = {};
        PlanOptions o;
        Plan plan;
        size_t n = 0;

        plan_options_init(&o, c->role);
        o.connections = c->connections;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, &error), 0);
        ck_assert_ptr_null(error);
        while (n < ELEMENTSOF(c->values) && c->values[n].key)
                n++;
        ck_assert_uint_eq(plan.n_items, n);
        for (size_t i = 0; i < n; i++) {
                ck_assert_str_eq(plan.items[i].key, c->values[i].key);
                ck_assert_msg(streq(plan.items[i].value, c->values[i].value), "%" PRIu64 " %s: %s is %s, expected %s",
                              c->connections, plan_role_to_string(c->role), c->values[i].key, plan.items[i].value,
                              c->values[i].value);
                ck_assert(plan.items[i].use < 0 || (plan.items[i].use > 0 && plan.items[i].use <= 1.0));
        }
        ck_assert_uint_eq(strv_length(plan.warnings), c->n_warnings);
        assert_round_trip(&plan);
        plan_done(&plan);
}
END_TEST

/* The seed's worked example, every intermediate number. */
START_TEST(test_seed_server) {
        PlanMachine m = {};
        PlanOptions o;
        Plan plan;

        plan_options_init(&o, PLAN_ROLE_SERVER);
        o.connections = 15000;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);

        const PlanItem *ct = find_item(&plan, "net.netfilter.nf_conntrack_max");
        ck_assert_str_eq(ct->formula, "15000 connections x 4 entries = 60000; / 0.75 utilisation = 80000; next power of two");
        ck_assert_str_eq(ct->value, "131072");
        ck_assert_double_eq_tol(ct->use, 60000.0 / 131072.0, 1e-12); /* 45.8% at the target */
        ck_assert_str_eq(ct->note, "a full table takes 40 MiB of kernel memory");

        const PlanItem *b = find_item(&plan, "net.core.somaxconn");
        ck_assert_str_eq(b->formula, "100 connections/s x 10 s burst = 1000 slots; / 0.75 utilisation = 1334; rounded "
                                     "up to a multiple of 1024");
        ck_assert_double_eq_tol(b->use, 1000.0 / 2048.0, 1e-12);

        const PlanItem *f = find_item(&plan, "limits.nofile");
        ck_assert_str_eq(f->formula, "15000 connections + 1600 overhead = 16600 descriptors; / 0.75 utilisation = "
                                     "22134; rounded up to a multiple of 1024");
        ck_assert_str_eq(f->value, "22528");
        ck_assert_double_eq_tol(f->use, 16600.0 / 22528.0, 1e-12);
        ck_assert_ptr_null(plan.warnings);
        plan_done(&plan);
}
END_TEST

START_TEST(test_seed_client) {
        PlanMachine m = {};
        PlanOptions o;
        Plan plan;

        plan_options_init(&o, PLAN_ROLE_CLIENT);
        o.connections = 15000;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);

        const PlanItem *p = find_item(&plan, "net.ipv4.ip_local_port_range");
        ck_assert_str_eq(p->formula, "15000 active + 15000 x 60 s TIME_WAIT / 60 s lifetime = 30000 ports; / 0.75 "
                                     "utilisation = 40000 ports, ending at 65535");
        ck_assert_str_eq(p->value, "25536 65535");
        ck_assert_double_eq_tol(p->use, 0.75, 1e-12);
        ck_assert_str_eq(p->note, "at most 40000 connections per destination address:port (the usable range); 1 "
                                  "destination(s) needed");

        const PlanItem *ct = find_item(&plan, "net.netfilter.nf_conntrack_max");
        ck_assert_str_eq(ct->formula, "15000 connections x 2 entries = 30000; / 0.75 utilisation = 40000; next power of two");
        ck_assert_str_eq(ct->value, "65536");
        plan_done(&plan);
}
END_TEST

/* What the machine has: higher current values, a wider port range, reserved ports, little RAM, a low
 * fs.nr_open and fs.file-max. */
START_TEST(test_machine) {
        PlanMachine m = {
                .memory_bytes = 1024ull << 20,
                .nr_open = 16384,
                .file_max = 40000,
                .conntrack_max = 262144,
                .somaxconn = 4096,
                .syn_backlog = 1024,
                .port_lo = 10000,
                .port_hi = 65000,
                .reserved_ports = (char *) "",
        };
        PlanOptions o;
        Plan plan;

        plan_options_init(&o, PLAN_ROLE_SERVER);
        o.connections = 15000;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(find_item(&plan, "net.netfilter.nf_conntrack_max")->note, "current 262144 is higher: at-least keeps it");
        ck_assert_str_eq(find_item(&plan, "net.core.somaxconn")->note, "current 4096 is higher: at-least keeps it");
        ck_assert_ptr_null(find_item(&plan, "net.ipv4.tcp_max_syn_backlog")->note); /* 1024 < 2048: raised */
        ck_assert_str_eq(find_item(&plan, "limits.nofile")->note, "above fs.nr_open 16384: the profile raises fs.nr_open to it");
        ck_assert_ptr_nonnull(strstr(plan.profile_json, "\"raise_nr_open\":\ttrue"));
        ck_assert_uint_eq(strv_length(plan.warnings), 1);
        ck_assert_str_eq(plan.warnings[0], "nofile 22528 is more than half of fs.file-max 40000: wstuned refuses such a "
                                           "limit; raise fs.file-max first");
        assert_round_trip(&plan);
        plan_done(&plan);

        /* 1,000,000 connections: 8388608 entries take 2560 MiB, more than 10% of 1 GiB */
        o.connections = 1000000;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(plan.warnings[0], "nf_conntrack_max 8388608 can take 2560 MiB of kernel memory (320 bytes an "
                                           "entry), more than 10% of the 1024 MiB of RAM");
        plan_done(&plan);

        /* client: the wider current range is kept */
        plan_options_init(&o, PLAN_ROLE_CLIENT);
        o.connections = 15000;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(find_item(&plan, "net.ipv4.ip_local_port_range")->value, "10000 65000");
        ck_assert_str_eq(find_item(&plan, "net.ipv4.ip_local_port_range")->note,
                         "the current range already holds 55001 ports: kept; at most 55001 connections per destination "
                         "address:port, 1 destination(s) needed");
        plan_done(&plan);

        /* reserved ports inside the range are not usable: the range widens past them */
        m.port_lo = 32768;
        m.port_hi = 60999;
        m.reserved_ports = (char *) "30000-30999,40000\n";
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(find_item(&plan, "net.ipv4.ip_local_port_range")->value, "24535 65535");
        plan_done(&plan);
}
END_TEST

START_TEST(test_usable_ports) {
        uint32_t n;

        ck_assert_int_eq(plan_usable_ports(32768, 60999, "", &n), 0);
        ck_assert_uint_eq(n, 28232);
        ck_assert_int_eq(plan_usable_ports(32768, 60999, "8080, 32768-32770,60999,61000-62000", &n), 0);
        ck_assert_uint_eq(n, 28228);
        ck_assert_int_eq(plan_usable_ports(1024, 65535, NULL, &n), 0);
        ck_assert_uint_eq(n, 64512);
        ck_assert_int_eq(plan_usable_ports(1024, 65535, "5-3", &n), -EINVAL);
        ck_assert_int_eq(plan_usable_ports(1024, 65535, "70000", &n), -EINVAL);
        ck_assert_int_eq(plan_usable_ports(1024, 65535, "1x", &n), -EINVAL);
        ck_assert_uint_eq(plan_next_pow2(80000), 131072);
        ck_assert_uint_eq(plan_next_pow2(131072), 131072);
        ck_assert_uint_eq(plan_next_pow2(0), 1);
        ck_assert_uint_eq(plan_next_pow2(UINT64_MAX), 0);
        ck_assert_uint_eq(plan_round_up(1334, 1024), 2048);
        ck_assert_uint_eq(plan_round_up(2048, 1024), 2048);
}
END_TEST

typedef struct BadCase {
        PlanRole role;
        uint64_t connections;
        double utilization, nat_entries;
        const char *error;
} BadCase;

static const BadCase bad_cases[] = {
        { PLAN_ROLE_SERVER, 0, 0.75, 4, "connections 0 is outside 1..100000000" },
        { PLAN_ROLE_SERVER, 100000001, 0.75, 4, "connections 100000001 is outside 1..100000000" },
        { _PLAN_ROLE_INVALID, 100, 0.75, 4, "role must be \"server\" or \"client\"" },
        { PLAN_ROLE_SERVER, 100, 0, 4, "utilization 0 is outside (0, 1]" },
        { PLAN_ROLE_SERVER, 100, 1.5, 4, "utilization 1.5 is outside (0, 1]" },
        { PLAN_ROLE_SERVER, 100, -0.5, 4, "utilization -0.5 is outside (0, 1]" },
        { PLAN_ROLE_CLIENT, 100, NAN, 2, "utilization nan is outside (0, 1]" },
        { PLAN_ROLE_SERVER, 100, 0.75, 0.5, "nat_entries 0.5 is outside 1..16" },
        /* overflow: 10^8 x 16 = 1.6e9 entries, / 0.75 -> 2^31 > INT_MAX */
        { PLAN_ROLE_SERVER, 100000000, 0.75, 16,
          "1600000000 conntrack entries at 0.75 utilisation need a table of 2133333334, more than the kernel's "
          "nf_conntrack_max can hold (2147483647)" },
        /* a utilisation just above 0: the table size is past 2^64 (or infinite), not a wrapped small number
         * (found by fuzz-bus: UBSan, a double out of range converted to an integer) */
        { PLAN_ROLE_SERVER, 15000, 1e-15, 4,
          "60000 conntrack entries at 1e-15 utilisation need a table of 18446744073709551615, more than the kernel's "
          "nf_conntrack_max can hold (2147483647)" },
        { PLAN_ROLE_CLIENT, 15000, 1e-300, 2,
          "30000 conntrack entries at 1e-300 utilisation need a table of 18446744073709551615, more than the "
          "kernel's nf_conntrack_max can hold (2147483647)" },
};

START_TEST(test_bad) {
        const BadCase *c = &bad_cases[_i];
        _cleanup_free_ char *error = NULL;
        PlanMachine m = {};
        PlanOptions o;
        Plan plan = {};

        plan_options_init(&o, c->role == _PLAN_ROLE_INVALID ? PLAN_ROLE_SERVER : c->role);
        o.role = c->role;
        o.connections = c->connections;
        o.utilization = c->utilization;
        o.nat_entries = c->nat_entries;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, &error), -EINVAL);
        ck_assert_pstr_eq(error, c->error);
        ck_assert_ptr_null(plan.profile_json);
        ck_assert_uint_eq(plan.n_items, 0);
}
END_TEST

/* Options at the edges of their ranges and a machine that reserves every port: figures that saturate instead
 * of wrapping, and an error instead of a division by zero. */
START_TEST(test_extremes) {
        _cleanup_free_ char *error = NULL;
        PlanMachine m = { .reserved_ports = (char *) "" };
        PlanOptions o;
        Plan plan;

        /* connections that live 1e-300 s leave endless TIME_WAIT: every port, and a warning */
        plan_options_init(&o, PLAN_ROLE_CLIENT);
        o.connections = 15000;
        o.connection_lifetime = 1e-300;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(find_item(&plan, "net.ipv4.ip_local_port_range")->value, "1024 65535");
        ck_assert_uint_eq(strv_length(plan.warnings), 1);
        ck_assert_str_eq(plan.warnings[0], "18446744073709551615 ports do not fit in one range (1024..65535 holds "
                                           "64512 usable): spread the connections over 285942833483842 destination "
                                           "addresses (or source addresses)");
        plan_done(&plan);

        /* the most of everything the options allow */
        plan_options_init(&o, PLAN_ROLE_SERVER);
        o.connections = 1000;
        o.ramp = 1e7;
        o.burst = 3600;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, &error), -EINVAL);
        ck_assert_str_eq(error, "a backlog of 48000000000 is more than the kernel can hold (2147483647)");

        plan_options_init(&o, PLAN_ROLE_CLIENT);
        o.connections = 15000;
        /* reserved ports below the default range: each step down finds only reserved ports, until the next
         * step would pass 1024; it wrapped around below 0 and looped (found by fuzz-bus: a timeout) */
        m.reserved_ports = (char *) "1024-32767";
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), 0);
        ck_assert_str_eq(find_item(&plan, "net.ipv4.ip_local_port_range")->value, "1024 65535");
        ck_assert_str_eq(plan.warnings[0], "40000 ports do not fit in one range (1024..65535 holds 32768 usable): "
                                           "spread the connections over 2 destination addresses (or source "
                                           "addresses)");
        plan_done(&plan);

        /* no usable port at all */
        m.reserved_ports = (char *) "1024-65535";
        free(error);
        error = NULL;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, &error), -EINVAL);
        ck_assert_str_eq(error, "net.ipv4.ip_local_reserved_ports \"1024-65535\" leaves no port of 1024..65535");
        m.port_lo = 1024; /* a current range made of reserved ports is no better */
        m.port_hi = 65535;
        ck_assert_int_eq(plan_compute(&o, &m, &plan, NULL), -EINVAL);

        ck_assert_uint_eq(plan_round_up(UINT64_MAX - 5, 1024), UINT64_MAX);
        ck_assert_uint_eq(plan_round_up(UINT64_MAX - 1023, 1024), UINT64_MAX - 1023);
}
END_TEST

START_TEST(test_roles) {
        ck_assert_int_eq(plan_role_from_string("server"), PLAN_ROLE_SERVER);
        ck_assert_int_eq(plan_role_from_string("client"), PLAN_ROLE_CLIENT);
        ck_assert_int_eq(plan_role_from_string("proxy"), _PLAN_ROLE_INVALID);
        ck_assert_str_eq(plan_role_to_string(PLAN_ROLE_CLIENT), "client");
}
END_TEST

/* The machine's facts from a scratch /proc. */
START_TEST(test_machine_read) {
        _cleanup_free_ char *root = scratch_dir_new();
        PlanMachine m;

        tree_write(root, "proc/meminfo", "MemTotal:       24684092 kB\nMemFree: 1 kB\n");
        tree_write(root, "proc/sys/fs/nr_open", "1048576\n");
        tree_write(root, "proc/sys/net/netfilter/nf_conntrack_max", "262144\n");
        tree_write(root, "proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n");
        tree_write(root, "proc/sys/net/ipv4/ip_local_reserved_ports", "8080\n");
        plan_machine_read(root, &m);
        ck_assert_uint_eq(m.memory_bytes, 24684092ull * 1024);
        ck_assert_uint_eq(m.nr_open, 1048576);
        ck_assert_uint_eq(m.conntrack_max, 262144);
        ck_assert_uint_eq(m.somaxconn, 0); /* missing: unknown */
        ck_assert_uint_eq(m.port_lo, 32768);
        ck_assert_uint_eq(m.port_hi, 60999);
        ck_assert_str_eq(m.reserved_ports, "8080");
        ck_assert_uint_gt(m.cpus, 0);
        plan_machine_done(&m);
}
END_TEST

int main(void) {
        Suite *s = suite_create("plan");
        TCase *tc = tcase_create("plan");

        tcase_add_loop_test(tc, test_plan_table, 0, ELEMENTSOF(plan_cases));
        tcase_add_test(tc, test_seed_server);
        tcase_add_test(tc, test_seed_client);
        tcase_add_test(tc, test_machine);
        tcase_add_test(tc, test_usable_ports);
        tcase_add_loop_test(tc, test_bad, 0, ELEMENTSOF(bad_cases));
        tcase_add_test(tc, test_extremes);
        tcase_add_test(tc, test_roles);
        tcase_add_test(tc, test_machine_read);
        suite_add_tcase(s, tc);
        return test_main(s);
}
