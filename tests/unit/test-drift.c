/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-drift.c - fight detection (drift.c), the uevent parser (uevent.c), and the drift pass of the
 * manager (manager_poll) on a scratch tree: drift per policy, a key that appears, a fight. */
#include "drift.h"
#include "manager.h"
#include "test-helpers.h"
#include "uevent.h"

#define SEC 1000000ull

static const FightSettings fs = {
        .corrections = 3,
        .window_usec = 60 * SEC,
        .backoff_usec = 60 * SEC,
        .backoff_max_usec = 200 * SEC,
};

START_TEST(test_fight_rounds) {
        FightTracker f = {};
        uint64_t t = 1000 * SEC;

        /* three corrections in the window are fine, the fourth is a fight */
        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(fight_check(&f, &fs, t + i * SEC), FIGHT_CORRECT);
        ck_assert_int_eq(fight_check(&f, &fs, t + 3 * SEC), FIGHT_BACK_OFF);
        ck_assert_uint_eq(f.backoff_usec, 60 * SEC);
        ck_assert(fight_backing_off(&f, t + 62 * SEC));
        ck_assert_int_eq(fight_check(&f, &fs, t + 62 * SEC), FIGHT_WAIT);

        /* probation after the back-off: one correction, then the next one doubles the back-off */
        t += 3 * SEC + 60 * SEC;
        ck_assert(!fight_backing_off(&f, t));
        ck_assert_int_eq(fight_check(&f, &fs, t), FIGHT_CORRECT);
        ck_assert_int_eq(fight_check(&f, &fs, t + SEC), FIGHT_BACK_OFF);
        ck_assert_uint_eq(f.backoff_usec, 120 * SEC);
        ck_assert_uint_eq(f.rounds, 2);

        /* and again: capped at backoff_max */
        t += SEC + 120 * SEC;
        ck_assert_int_eq(fight_check(&f, &fs, t), FIGHT_CORRECT);
        ck_assert_int_eq(fight_check(&f, &fs, t + SEC), FIGHT_BACK_OFF);
        ck_assert_uint_eq(f.backoff_usec, 200 * SEC);

        /* held for longer than a window after the back-off: forgiven, full allowance again */
        t += SEC + 200 * SEC + 61 * SEC;
        for (int i = 0; i < 3; i++)
                ck_assert_int_eq(fight_check(&f, &fs, t + i * SEC), FIGHT_CORRECT);
        ck_assert_uint_eq(f.rounds, 0);
        ck_assert_int_eq(fight_check(&f, &fs, t + 3 * SEC), FIGHT_BACK_OFF);
        ck_assert_uint_eq(f.backoff_usec, 60 * SEC);
}
END_TEST

START_TEST(test_fight_window_slides) {
        FightTracker f = {};

        /* one correction every 30 s never has more than two in a 60 s window */
        for (int i = 0; i < 50; i++)
                ck_assert_int_eq(fight_check(&f, &fs, (100 + 30 * (uint64_t) i) * SEC), FIGHT_CORRECT);
}
END_TEST

typedef struct UeventCase {
        const char *data;
        size_t size;
        int ret;
        const char *action, *subsystem;
        bool relevant;
} UeventCase;

#define UE(s) s, sizeof(s) - 1
static const UeventCase uevent_cases[] = {
        { UE("add@/module/nf_conntrack\0ACTION=add\0DEVPATH=/module/nf_conntrack\0SUBSYSTEM=module\0SEQNUM=1\0"), 0,
          "add", "module", true },
        { UE("remove@/module/nf_conntrack\0ACTION=remove\0DEVPATH=/module/nf_conntrack\0SUBSYSTEM=module\0"), 0,
          "remove", "module", false },
        { UE("add@/devices/virtual/net/v0\0ACTION=add\0DEVPATH=/devices/virtual/net/v0\0SUBSYSTEM=net\0"), 0,
          "add", "net", true },
        { UE("move@/devices/virtual/net/v1\0ACTION=move\0SUBSYSTEM=net\0"), 0, "move", "net", true },
        { UE("add@/devices/virtual/block/loop0\0ACTION=add\0SUBSYSTEM=block\0"), 0, "add", "block", false },
        /* not uevents */
        { UE(""), -EINVAL },
        { UE("libudev\0\xfe\xed\xca\xfe"), -EINVAL },
        { UE("add@/module/x\0ACTION=add\0"), -EINVAL },                 /* no SUBSYSTEM */
        { UE("add@/module/x\0ACTION=add\0SUBSYSTEM=module"), -EINVAL }, /* truncated: no final NUL */
        { UE("no-at-sign\0ACTION=add\0SUBSYSTEM=module\0"), -EINVAL },
        { "add@/module/x", 13, -EINVAL }, /* header without NUL */
};

START_TEST(test_uevent_parse) {
        const UeventCase *c = &uevent_cases[_i];
        Uevent u;

        ck_assert_int_eq(uevent_parse(c->data, c->size, &u), c->ret);
        if (c->ret < 0)
                return;
        ck_assert_str_eq(u.action, c->action);
        ck_assert_str_eq(u.subsystem, c->subsystem);
        ck_assert(uevent_may_add_sysctls(&u) == c->relevant);
}
END_TEST

/* ---- manager_poll on a scratch tree ---- */

static char *root;
static Manager *m;

static void setup(void) {
        _cleanup_free_ char *profiles = NULL;

        root = scratch_dir_new();
        tree_write(root, "proc/sys/net/core/somaxconn", "4096\n");
        tree_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "60\n");
        tree_write(root, "proc/sys/net/ipv4/tcp_max_syn_backlog", "2048\n");
        tree_write(root, "profiles/p.json",
                   "{ \"sysctl\": {"
                   " \"net.core.somaxconn\": 8192,"
                   " \"net.ipv4.tcp_fin_timeout\": { \"value\": 20, \"policy\": \"warn\" },"
                   " \"net.ipv4.tcp_max_syn_backlog\": { \"value\": 4096, \"policy\": \"raise-only\" },"
                   " \"net.netfilter.nf_conntrack_max\": 262144 } }");
        profiles = path_in(root, "profiles");
        ck_assert_int_eq(manager_new(&m), 0);
        ck_assert_int_eq(paths_init(&m->paths, root, root, profiles), 0);
        m->settings.fight_corrections = 3;
        ck_assert_int_eq(manager_apply(m, "p", false, 0, NULL, NULL), 0);
}

static void teardown(void) {
        m = manager_free(m);
        rm_rf(root);
        free(root);
}

static const char *key_state(const char *name) {
        for (size_t i = 0; i < m->n_keys; i++)
                if (streq(m->keys[i].spec->name, name))
                        return key_state_to_string(m->keys[i].state);
        return NULL;
}

static char *proc(const char *rel) {
        _cleanup_free_ char *p = path_in(root, "proc/sys");
        return tree_read(p, rel);
}

START_TEST(test_poll_policies) {
        _cleanup_free_ char *v = NULL;
        uint64_t t = 100 * SEC;

        ck_assert_str_eq(key_state("net.netfilter.nf_conntrack_max"), "pending");
        ck_assert_uint_eq(manager_poll(m, t, 0, false), 1);
        ck_assert_uint_eq(m->drift_corrections, 0);

        /* enforce: set back */
        tree_write(root, "proc/sys/net/core/somaxconn", "1024\n");
        manager_poll(m, t += SEC, 0, false);
        ck_assert_str_eq(v = proc("net/core/somaxconn"), "8192");
        ck_assert_str_eq(key_state("net.core.somaxconn"), "ok");
        ck_assert_uint_eq(m->drift_corrections, 1);

        /* warn: reported, left */
        tree_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "33\n");
        manager_poll(m, t += SEC, 0, false);
        free(v);
        ck_assert_str_eq(v = proc("net/ipv4/tcp_fin_timeout"), "33\n");
        ck_assert_str_eq(key_state("net.ipv4.tcp_fin_timeout"), "drifted");
        ck_assert_uint_eq(m->drift_corrections, 1);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);

        /* the poll's fast path (same bytes as last time) never hides a drift: 33 was read while
         * drifted, then Verify saw 20 again; 33 once more is a drift, not "the same as before" */
        tree_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "20\n");
        ck_assert(!manager_verify(m, AS_ROOT, NULL) || true);
        ck_assert_str_eq(key_state("net.ipv4.tcp_fin_timeout"), "ok");
        tree_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "33\n");
        manager_poll(m, t += SEC, 0, false);
        ck_assert_str_eq(key_state("net.ipv4.tcp_fin_timeout"), "drifted");
        tree_write(root, "proc/sys/net/ipv4/tcp_fin_timeout", "20\n");
        manager_poll(m, t += SEC, 0, false);
        manager_poll(m, t += SEC, 0, false); /* same bytes, held: fast path */
        ck_assert_str_eq(key_state("net.ipv4.tcp_fin_timeout"), "ok");

        /* raise-only: higher left, lower raised */
        tree_write(root, "proc/sys/net/ipv4/tcp_max_syn_backlog", "9000\n");
        manager_poll(m, t += SEC, 0, false);
        ck_assert_str_eq(key_state("net.ipv4.tcp_max_syn_backlog"), "ok");
        tree_write(root, "proc/sys/net/ipv4/tcp_max_syn_backlog", "100\n");
        manager_poll(m, t += SEC, 0, false);
        free(v);
        ck_assert_str_eq(v = proc("net/ipv4/tcp_max_syn_backlog"), "4096");
        ck_assert_uint_eq(m->drift_corrections, 2);
}
END_TEST

START_TEST(test_poll_late_key) {
        _cleanup_free_ char *v = NULL, *state = NULL, *state_path = path_in(root, "var/lib/wstuned/state.json");

        /* the module loads: the key appears with its default and gets the profile's value */
        tree_write(root, "proc/sys/net/netfilter/nf_conntrack_max", "65536\n");
        ck_assert_uint_eq(manager_poll(m, 200 * SEC, 200 * SEC, true), 0);
        ck_assert_str_eq(v = proc("net/netfilter/nf_conntrack_max"), "262144");
        ck_assert_str_eq(key_state("net.netfilter.nf_conntrack_max"), "ok");
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);
        /* its default is in the baseline, so Revert restores it */
        ck_assert_int_eq(read_file_full(state_path, 1 << 20, &state, NULL), 0);
        ck_assert_ptr_nonnull(strstr(state, "\"net/netfilter/nf_conntrack_max\":\t\"65536\""));
        ck_assert_int_eq(manager_revert(m, 0, NULL, NULL), 0);
        free(v);
        ck_assert_str_eq(v = proc("net/netfilter/nf_conntrack_max"), "65536");
}
END_TEST

/* A key that goes away (module unloaded) is not tested here: a plain file read through the daemon's kept
 * descriptor stays readable after unlink(), unlike a sysctl whose table the kernel unregistered. */

START_TEST(test_poll_fight) {
        _cleanup_free_ char *v = NULL;
        uint64_t t = 1000 * SEC;

        /* another writer sets 1000 before every poll: 3 corrections, then the back-off */
        for (int i = 0; i < 3; i++) {
                tree_write(root, "proc/sys/net/core/somaxconn", "1000\n");
                manager_poll(m, t += SEC, 0, false);
                ck_assert_str_eq(key_state("net.core.somaxconn"), "ok");
        }
        tree_write(root, "proc/sys/net/core/somaxconn", "1000\n");
        manager_poll(m, t += SEC, 0, false);
        ck_assert_str_eq(key_state("net.core.somaxconn"), "fighting");
        ck_assert_str_eq(v = proc("net/core/somaxconn"), "1000\n"); /* left alone */
        ck_assert_uint_eq(m->drift_corrections, 3);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);

        /* polls during the back-off write nothing */
        for (int i = 0; i < 10; i++)
                manager_poll(m, t += SEC, 0, false);
        ck_assert_uint_eq(m->drift_corrections, 3);
        ck_assert_str_eq(key_state("net.core.somaxconn"), "fighting");

        /* Get and Verify keep saying fighting */
        ck_assert(!manager_verify(m, AS_ROOT, NULL));

        /* after the back-off (60 s by default) it is enforced again */
        manager_poll(m, t += 60 * SEC, 0, false);
        free(v);
        ck_assert_str_eq(v = proc("net/core/somaxconn"), "8192");
        ck_assert_str_eq(key_state("net.core.somaxconn"), "ok");
        ck_assert_uint_eq(m->drift_corrections, 4);

        /* Apply starts afresh */
        ck_assert_int_eq(manager_apply(m, "p", false, 0, NULL, NULL), 0);
        ck_assert_uint_eq(m->keys[0].fight.rounds, 0);
}
END_TEST

static Suite *drift_suite(void) {
        Suite *s = suite_create("drift");
        TCase *tc = tcase_create("fight");
        tcase_add_test(tc, test_fight_rounds);
        tcase_add_test(tc, test_fight_window_slides);
        suite_add_tcase(s, tc);

        tc = tcase_create("uevent");
        tcase_add_loop_test(tc, test_uevent_parse, 0, ELEMENTSOF(uevent_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("poll");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_poll_policies);
        tcase_add_test(tc, test_poll_late_key);
        tcase_add_test(tc, test_poll_fight);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(drift_suite());
}
