/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-manager.c - the sysctl engine on a scratch tree: apply, dry run, baseline, switching profiles,
 * match and policy rules, pending and failing keys, restart, revert, get and verify; sysctl.d files that
 * set managed keys (<root>/etc/sysctl.d, ...), and the baseline across reboots (the boot id in
 * <root>/proc/sys/kernel/random/boot_id).
 *
 * Each test gets its own root with <root>/proc/sys made of regular files (root prefix and kernel root
 * are the same directory), the vendor profiles in <root>/profiles and the state file in
 * <root>/var/lib/wstuned/state.json. Nothing outside that root is read or written, except /dev/null
 * in one test. */
#include <sys/inotify.h>
#include <sys/stat.h>

#include "manager.h"
#include "pressure-watch.h"
#include "test-helpers.h"

static char *root, *profiles;
static Manager *m;

/* What the "kernel" starts with. nf_conntrack is not loaded: its key is missing. The values are as
 * long as the ones the profiles write (see test_revert_shorter_original for why that matters). */
static const char *const initial_tree[][2] = {
        { "net/core/somaxconn", "4096\n" },
        { "net/ipv4/tcp_max_syn_backlog", "2048\n" },
        { "net/ipv4/ip_local_port_range", "32768\t60999\n" },
        { "net/ipv4/tcp_fin_timeout", "60\n" },
        { "net/ipv4/tcp_tw_reuse", "2\n" },
        { "net/ipv4/tcp_syncookies", "1\n" },
        { "net/ipv4/conf/eth0.100/rp_filter", "2\n" },
};

static const char server_profile[] =
        "{\n"
        "  \"description\": \"test server\",\n"
        "  \"sysctl\": {\n"
        "    \"net.core.somaxconn\": { \"value\": 8192, \"match\": \"at-least\" },\n"
        "    \"net.ipv4.tcp_max_syn_backlog\": { \"value\": 4096, \"policy\": \"raise-only\" },\n"
        "    \"net.ipv4.ip_local_port_range\": \"10000\\t65000\",\n"
        "    \"net/ipv4/tcp_fin_timeout\": 15,\n"
        "    \"net.ipv4.tcp_syncookies\": 1,\n"
        "    \"net.ipv4.conf.eth0/100.rp_filter\": 1,\n"
        "    \"net.netfilter.nf_conntrack_max\": { \"value\": 262144, \"match\": \"at-least\" }\n"
        "  }\n"
        "}\n";

static const char client_profile[] =
        "{\n"
        "  \"sysctl\": {\n"
        "    \"net.core.somaxconn\": { \"value\": 8192, \"match\": \"at-least\" },\n"
        "    \"net.ipv4.tcp_tw_reuse\": 1,\n"
        "    \"net.ipv4.tcp_fin_timeout\": { \"value\": 30, \"policy\": \"ignore\" }\n"
        "  }\n"
        "}\n";

/* The originals of what "server" changes, in the order it changes them. */
static const char *const server_baseline[][2] = {
        { "net/core/somaxconn", "4096" },
        { "net/ipv4/tcp_max_syn_backlog", "2048" },
        { "net/ipv4/ip_local_port_range", "32768 60999" },
        { "net/ipv4/tcp_fin_timeout", "60" },
        { "net/ipv4/conf/eth0.100/rp_filter", "2" },
};

static void write_proc(const char *path, const char *content) {
        _cleanup_free_ char *rel = NULL;
        ck_assert_int_ge(asprintf(&rel, "proc/sys/%s", path), 0);
        tree_write(root, rel, content);
}

/* Put every key back to its initial value, as a reboot does. */
static void tree_reset(void) {
        for (size_t i = 0; i < ELEMENTSOF(initial_tree); i++)
                write_proc(initial_tree[i][0], initial_tree[i][1]);
}

static void write_profile(const char *name, const char *text) {
        _cleanup_free_ char *rel = NULL;
        ck_assert_int_ge(asprintf(&rel, "profiles/%s.json", name), 0);
        tree_write(root, rel, text);
}

static Manager *manager_on_tree(void) {
        Manager *n = NULL;

        ck_assert_int_eq(manager_new(&n), 0);
        ck_assert_int_eq(paths_init(&n->paths, root, root, profiles), 0);
        return n;
}

static void setup(void) {
        root = scratch_dir_new();
        profiles = path_in(root, "profiles");
        tree_reset();
        write_profile("server", server_profile);
        write_profile("client", client_profile);
        m = manager_on_tree();
}

static void teardown(void) {
        m = manager_free(m);
        rm_rf(root);
        free(TAKE_PTR(profiles));
        free(TAKE_PTR(root));
}

static char *proc_file(const char *path) {
        char *p;
        ck_assert_int_ge(asprintf(&p, "%s/proc/sys/%s", root, path), 0);
        return p;
}

#define proc_value(path) proc_sys_value(root, path)
#define assert_proc(path, expected) assert_proc_sys(root, path, expected)

/* Every key holds exactly what the initial tree has, byte for byte: nothing was written. */
static void assert_tree_untouched(void) {
        for (size_t i = 0; i < ELEMENTSOF(initial_tree); i++) {
                _cleanup_free_ char *rel = NULL, *content = NULL;
                ck_assert_int_ge(asprintf(&rel, "proc/sys/%s", initial_tree[i][0]), 0);
                content = tree_read(root, rel);
                ck_assert_pstr_eq(content, initial_tree[i][1]);
        }
        ck_assert(!tree_exists(root, "proc/sys/net/netfilter"));
}

/* The keys "server" manages hold its values. */
static void assert_server_values(void) {
        assert_proc("net/core/somaxconn", "8192");
        assert_proc("net/ipv4/tcp_max_syn_backlog", "4096");
        assert_proc("net/ipv4/ip_local_port_range", "10000 65000");
        assert_proc("net/ipv4/tcp_fin_timeout", "15");
        assert_proc("net/ipv4/tcp_syncookies", "1");
        assert_proc("net/ipv4/conf/eth0.100/rp_filter", "1");
        assert_proc("net/ipv4/tcp_tw_reuse", "2");
}

/* Back to the originals; the port range comes back in the normalised form the baseline keeps. */
static void assert_original_values(void) {
        assert_proc("net/core/somaxconn", "4096");
        assert_proc("net/ipv4/tcp_max_syn_backlog", "2048");
        assert_proc("net/ipv4/ip_local_port_range", "32768 60999");
        assert_proc("net/ipv4/tcp_fin_timeout", "60");
        assert_proc("net/ipv4/tcp_syncookies", "1");
        assert_proc("net/ipv4/conf/eth0.100/rp_filter", "2");
        assert_proc("net/ipv4/tcp_tw_reuse", "2");
}

static void assert_rows_n(const Report *r, const char *const (*rows)[4], size_t n, const char *what) {
        for (size_t i = 0; i < r->n && i < n; i++)
                for (size_t j = 0; j < 4; j++)
                        ck_assert_msg(streq(r->rows[i].col[j], rows[i][j]),
                                      "%s row %zu column %zu: got \"%s\", expected \"%s\"", what, i, j,
                                      r->rows[i].col[j], rows[i][j]);
        ck_assert_msg(r->n == n, "%s: %zu rows, expected %zu", what, r->n, n);
}
#define assert_rows(r, rows) assert_rows_n(r, rows, ELEMENTSOF(rows), #r)

/* The baseline in memory and in the state file on disk. */
static void assert_baseline_n(const char *active, const char *const (*entries)[2], size_t n) {
        _cleanup_free_ char *path = path_in(root, "var/lib/wstuned/state.json"), *error = NULL;
        _cleanup_(state_done) State disk = {};
        const State *states[] = { &m->state, &disk };

        ck_assert_int_eq(state_load(path, &disk, &error), 0);
        for (size_t s = 0; s < ELEMENTSOF(states); s++) {
                const char *where = s == 0 ? "memory" : "state.json";
                ck_assert_msg(streq_ptr(states[s]->active_profile, active), "%s: active profile %s, expected %s",
                              where, strempty(states[s]->active_profile), strempty(active));
                for (size_t i = 0; i < states[s]->n_baseline && i < n; i++) {
                        ck_assert_msg(streq(states[s]->baseline[i].path, entries[i][0]) &&
                                              streq(states[s]->baseline[i].value, entries[i][1]),
                                      "%s: baseline %zu is %s=\"%s\", expected %s=\"%s\"", where, i,
                                      states[s]->baseline[i].path, states[s]->baseline[i].value, entries[i][0],
                                      entries[i][1]);
                }
                ck_assert_msg(states[s]->n_baseline == n, "%s: %zu baseline entries, expected %zu", where,
                              states[s]->n_baseline, n);
        }
}
#define assert_baseline(active, entries) assert_baseline_n(active, entries, ELEMENTSOF(entries))
#define assert_baseline_empty(active) assert_baseline_n(active, NULL, 0)

/* manager_summary(): the line systemctl status shows. */
static void assert_summary(const char *expected) {
        _cleanup_free_ char *summary = NULL;
        ck_assert_int_eq(manager_summary(m, &summary), 0);
        ck_assert_str_eq(summary, expected);
}

static void apply_ok(const char *name) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(manager_apply(m, name, false, 0, &changes, &error), 0);
        ck_assert_ptr_null(error);
}

START_TEST(test_apply) {
        _cleanup_(report_done) Report changes = {}, entries = {};
        _cleanup_strv_free_ char **pending = NULL;
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "4096", "8192", "set" },
                { "net.ipv4.tcp_max_syn_backlog", "2048", "4096", "set" },
                { "net.ipv4.ip_local_port_range", "32768 60999", "10000 65000", "set" },
                { "net.ipv4.tcp_fin_timeout", "60", "15", "set" },
                /* tcp_syncookies already holds 1: not written, not reported */
                { "net.ipv4.conf.eth0/100.rp_filter", "2", "1", "set" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };
        static const char *const get_rows[][4] = {
                { "net.core.somaxconn", "8192", "8192", "ok" },
                { "net.ipv4.tcp_max_syn_backlog", "4096", "4096", "ok" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "10000 65000", "ok" },
                { "net.ipv4.tcp_fin_timeout", "15", "15", "ok" },
                { "net.ipv4.tcp_syncookies", "1", "1", "ok" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "1", "ok" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };

        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        ck_assert_ptr_null(error);
        assert_rows(&changes, rows);
        assert_server_values();
        /* a missing key is never created */
        ck_assert(!tree_exists(root, "proc/sys/net/netfilter/nf_conntrack_max"));

        /* originals of the changed keys only; not syncookies (unchanged), not conntrack (absent) */
        assert_baseline("server", server_baseline);

        ck_assert_ptr_nonnull(m->profile);
        ck_assert_str_eq(m->profile->name, "server");
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_PENDING);
        ck_assert_int_eq(manager_pending_keys(m, &pending), 0);
        ck_assert_uint_eq(strv_length(pending), 1);
        ck_assert_str_eq(pending[0], "net.netfilter.nf_conntrack_max");
        assert_summary("Profile server: pending (6 keys ok, 1 pending)");

        ck_assert_int_eq(manager_get(m, NULL, AS_ROOT, &entries, &error), 0);
        assert_rows(&entries, get_rows);
}
END_TEST

START_TEST(test_dry_run) {
        _cleanup_(report_done) Report changes = {}, switching = {};
        _cleanup_free_ char *error = NULL, *state_before = NULL, *state_after = NULL;
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "4096", "8192", "would-set" },
                { "net.ipv4.tcp_max_syn_backlog", "2048", "4096", "would-set" },
                { "net.ipv4.ip_local_port_range", "32768 60999", "10000 65000", "would-set" },
                { "net.ipv4.tcp_fin_timeout", "60", "15", "would-set" },
                { "net.ipv4.conf.eth0/100.rp_filter", "2", "1", "would-set" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };
        static const char *const switch_rows[][4] = {
                { "net.ipv4.tcp_tw_reuse", "2", "1", "would-set" },
                { "net.ipv4.tcp_max_syn_backlog", "4096", "2048", "would-restore" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "32768 60999", "would-restore" },
                { "net.ipv4.tcp_fin_timeout", "15", "60", "would-restore" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "2", "would-restore" },
        };

        ck_assert_int_eq(manager_apply(m, "server", true, 0, &changes, &error), 0);
        ck_assert_ptr_null(error);
        assert_rows(&changes, rows);
        assert_tree_untouched();
        ck_assert(!tree_exists(root, "var/lib/wstuned/state.json"));
        ck_assert_ptr_null(m->profile);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_INACTIVE);
        ck_assert_uint_eq(m->state.n_baseline, 0);
        ck_assert_ptr_null(m->state.active_profile);

        /* a dry run of a switch lists the restores and changes nothing either */
        apply_ok("server");
        state_before = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_int_eq(manager_apply(m, "client", true, 0, &switching, &error), 0);
        assert_rows(&switching, switch_rows);
        assert_server_values();
        state_after = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_pstr_eq(state_after, state_before);
        ck_assert_str_eq(m->profile->name, "server");
        assert_baseline("server", server_baseline);
}
END_TEST

/* Applying what already holds writes nothing: no sysctl, not the state file. */
START_TEST(test_reapply_writes_nothing) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *state = path_in(root, "var/lib/wstuned/state.json");
        static const char *const rows[][4] = {
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };
        const struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
        struct stat st;

        apply_ok("server");
        for (size_t i = 0; i < ELEMENTSOF(initial_tree); i++) {
                _cleanup_free_ char *p = proc_file(initial_tree[i][0]);
                ck_assert_int_eq(utimensat(AT_FDCWD, p, old, 0), 0);
        }
        ck_assert_int_eq(stat(state, &st), 0);
        ino_t state_ino = st.st_ino;

        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        for (size_t i = 0; i < ELEMENTSOF(initial_tree); i++) {
                _cleanup_free_ char *p = proc_file(initial_tree[i][0]);
                ck_assert_int_eq(stat(p, &st), 0);
                ck_assert_msg(st.st_mtim.tv_sec == 1000000000, "%s was written", initial_tree[i][0]);
        }
        ck_assert_int_eq(stat(state, &st), 0);
        ck_assert_uint_eq(st.st_ino, state_ino);
        assert_baseline("server", server_baseline);
}
END_TEST

/* The baseline keeps the value from before wstuned's first change, not the one before a later one. */
START_TEST(test_baseline_first_change_only) {
        _cleanup_(report_done) Report changes = {}, reverted = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.ipv4.tcp_fin_timeout", "30", "15", "set" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };

        apply_ok("server");
        write_proc("net/ipv4/tcp_fin_timeout", "30\n"); /* someone else changes it */
        ck_assert_int_eq(manager_apply(m, NULL, false, 0, &changes, &error), 0); /* NULL: the active one */
        assert_rows(&changes, rows);
        assert_proc("net/ipv4/tcp_fin_timeout", "15");
        assert_baseline("server", server_baseline);

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_proc("net/ipv4/tcp_fin_timeout", "60");
}
END_TEST

START_TEST(test_switch_profile) {
        _cleanup_(report_done) Report changes = {}, reverted = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.ipv4.tcp_tw_reuse", "2", "1", "set" },
                /* keys "client" drops, or ignores, go back to their originals */
                { "net.ipv4.tcp_max_syn_backlog", "4096", "2048", "restore" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "32768 60999", "restore" },
                { "net.ipv4.tcp_fin_timeout", "15", "60", "restore" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "2", "restore" },
        };
        static const char *const baseline[][2] = {
                { "net/core/somaxconn", "4096" }, /* still managed: keeps its original */
                { "net/ipv4/tcp_tw_reuse", "2" },
        };
        static const char *const revert_rows[][4] = {
                { "net.core.somaxconn", "8192", "4096", "restore" },
                { "net.ipv4.tcp_tw_reuse", "1", "2", "restore" },
        };

        apply_ok("server");
        ck_assert_int_eq(manager_apply(m, "client", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_proc("net/core/somaxconn", "8192");
        assert_proc("net/ipv4/tcp_tw_reuse", "1");
        assert_proc("net/ipv4/tcp_max_syn_backlog", "2048");
        assert_proc("net/ipv4/ip_local_port_range", "32768 60999");
        assert_proc("net/ipv4/tcp_fin_timeout", "60");
        assert_proc("net/ipv4/conf/eth0.100/rp_filter", "2");
        assert_baseline("client", baseline);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);
        assert_summary("Profile client: ok (2 keys ok, 1 unmanaged)");

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_rows(&reverted, revert_rows);
        assert_original_values();
        assert_baseline_empty(NULL);
        ck_assert_ptr_null(m->profile);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_INACTIVE);
        assert_summary("No profile active");
}
END_TEST

/* at-least and raise-only never lower a larger value; exact does. */
START_TEST(test_at_least_never_lowers) {
        _cleanup_(report_done) Report changes = {}, findings = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.ipv4.ip_local_port_range", "32768 60999", "10000 65000", "set" },
                { "net.ipv4.tcp_fin_timeout", "60", "15", "set" }, /* exact: lowered */
                { "net.ipv4.conf.eth0/100.rp_filter", "2", "1", "set" },
        };
        static const char *const baseline[][2] = {
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
        };
        static const char *const verify_rows[][4] = {
                { "net.core.somaxconn", ">=8192", "65535", "ok" },
                { "net.ipv4.tcp_max_syn_backlog", ">=4096", "8192", "ok" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "10000 65000", "ok" },
                { "net.ipv4.tcp_fin_timeout", "15", "15", "ok" },
                { "net.ipv4.tcp_syncookies", "1", "1", "ok" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "1", "ok" },
                { "net.netfilter.nf_conntrack_max", ">=262144", "262144", "ok" },
        };

        write_proc("net/core/somaxconn", "65535\n");
        write_proc("net/ipv4/tcp_max_syn_backlog", "8192\n");
        write_proc("net/netfilter/nf_conntrack_max", "262144\n"); /* equal is enough */
        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_proc("net/core/somaxconn", "65535");
        assert_proc("net/ipv4/tcp_max_syn_backlog", "8192");
        assert_proc("net/netfilter/nf_conntrack_max", "262144");
        assert_baseline("server", baseline);

        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_rows(&findings, verify_rows);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);
}
END_TEST

START_TEST(test_raise_only) {
        _cleanup_(report_done) Report first = {}, second = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.ipv4.tcp_max_syn_backlog", "1000", "4096", "set" },
        };
        static const char *const baseline[][2] = {
                { "net/ipv4/tcp_max_syn_backlog", "1000" },
        };

        write_profile("raise",
                      "{\"sysctl\":{\"net.ipv4.tcp_max_syn_backlog\":{\"value\":4096,\"policy\":\"raise-only\"}}}");
        write_proc("net/ipv4/tcp_max_syn_backlog", "9999\n");
        ck_assert_int_eq(manager_apply(m, "raise", false, 0, &first, &error), 0);
        ck_assert_uint_eq(first.n, 0);
        assert_proc("net/ipv4/tcp_max_syn_backlog", "9999");
        assert_baseline_empty("raise");

        write_proc("net/ipv4/tcp_max_syn_backlog", "1000\n");
        ck_assert_int_eq(manager_apply(m, "raise", false, 0, &second, &error), 0);
        assert_rows(&second, rows);
        assert_proc("net/ipv4/tcp_max_syn_backlog", "4096");
        assert_baseline("raise", baseline);
}
END_TEST

START_TEST(test_warn) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.ipv4.tcp_tw_reuse", "2", "1", "set" },
        };

        write_profile("warn", "{\"sysctl\":{\"net.ipv4.tcp_tw_reuse\":{\"value\":1,\"policy\":\"warn\"}}}");
        ck_assert_int_eq(manager_apply(m, "warn", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_proc("net/ipv4/tcp_tw_reuse", "1");
}
END_TEST

/* An ignored key is never read, written or verified. */
START_TEST(test_ignore) {
        _cleanup_(report_done) Report changes = {}, entries = {}, named = {}, findings = {};
        _cleanup_free_ char *error = NULL, *fin = proc_file("net/ipv4/tcp_fin_timeout");
        static const char *const rows[][4] = {
                { "net.ipv4.tcp_tw_reuse", "2", "1", "set" },
        };
        static const char *const baseline[][2] = {
                { "net/ipv4/tcp_tw_reuse", "2" },
        };
        static const char *const get_rows[][4] = {
                { "net.core.somaxconn", "4096", "4096", "ok" },
                { "net.ipv4.tcp_tw_reuse", "1", "1", "ok" },
                { "net.ipv4.tcp_fin_timeout", "", "15", "unmanaged" },
        };
        static const char *const verify_rows[][4] = {
                { "net.core.somaxconn", "4096", "4096", "ok" },
                { "net.ipv4.tcp_tw_reuse", "1", "1", "ok" },
        };

        write_profile("quiet", "{\"sysctl\":{\"net.core.somaxconn\":4096,\"net.ipv4.tcp_tw_reuse\":1,"
                               "\"net.ipv4.tcp_fin_timeout\":{\"value\":15,\"policy\":\"ignore\"}}}");
        /* reading it would fail: a directory */
        ck_assert_int_eq(unlink(fin), 0);
        ck_assert_int_eq(mkdir(fin, 0755), 0);

        ck_assert_int_eq(manager_apply(m, "quiet", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_baseline("quiet", baseline);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);
        ck_assert_int_eq(manager_get(m, NULL, AS_ROOT, &entries, &error), 0);
        assert_rows(&entries, get_rows);
        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_rows(&findings, verify_rows);

        /* asked for by name, it is read like any key wstuned does not manage */
        ck_assert_int_eq(rmdir(fin), 0);
        write_proc("net/ipv4/tcp_fin_timeout", "60\n");
        char *keys[] = { (char *) "net.ipv4.tcp_fin_timeout", NULL };
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &named, &error), 0);
        static const char *const named_rows[][4] = {
                { "net.ipv4.tcp_fin_timeout", "60", "15", "unmanaged" },
        };
        assert_rows(&named, named_rows);
}
END_TEST

/* A key the new profile ignores goes back to its original like a dropped one. */
START_TEST(test_ignore_restores) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        write_profile("quiet", "{\"sysctl\":{\"net.core.somaxconn\":{\"value\":8192,\"match\":\"at-least\"},"
                               "\"net.ipv4.tcp_fin_timeout\":{\"value\":15,\"policy\":\"ignore\"}}}");
        apply_ok("server");
        ck_assert_int_eq(manager_apply(m, "quiet", false, 0, &changes, &error), 0);
        assert_proc("net/ipv4/tcp_fin_timeout", "60");
        ck_assert_ptr_null(state_baseline_get(&m->state, "net/ipv4/tcp_fin_timeout"));
        ck_assert_str_eq(state_baseline_get(&m->state, "net/core/somaxconn"), "4096");
}
END_TEST

/* A missing key is pending; the others are applied; once it appears, applying again sets it. */
START_TEST(test_pending) {
        _cleanup_(report_done) Report entries = {}, changes = {}, findings = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_strv_free_ char **pending = NULL;
        static const char *const rows[][4] = {
                { "net.netfilter.nf_conntrack_max", "65536", "262144", "set" },
        };

        apply_ok("server");
        assert_server_values();
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_PENDING);
        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        ck_assert_str_eq(findings.rows[6].col[0], "net.netfilter.nf_conntrack_max");
        ck_assert_str_eq(findings.rows[6].col[3], "pending");

        /* the module is loaded: Get shows the kernel's value, and the key stays "pending" (not applied
         * yet) until the poll or an Apply sets it */
        write_proc("net/netfilter/nf_conntrack_max", "65536\n");
        ck_assert_int_eq(manager_get(m, NULL, AS_ROOT, &entries, &error), 0);
        ck_assert_str_eq(entries.rows[6].col[0], "net.netfilter.nf_conntrack_max");
        ck_assert_str_eq(entries.rows[6].col[1], "65536");
        ck_assert_str_eq(entries.rows[6].col[3], "pending");
        ck_assert_int_eq(manager_pending_keys(m, &pending), 0);
        ck_assert_uint_eq(strv_length(pending), 1);

        ck_assert_int_eq(manager_apply(m, NULL, false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_proc("net/netfilter/nf_conntrack_max", "262144");
        ck_assert_str_eq(state_baseline_get(&m->state, "net/netfilter/nf_conntrack_max"), "65536");
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);
        assert_summary("Profile server: ok (7 keys ok)");
}
END_TEST

/* A key that cannot be read or written is an error of that key only. */
START_TEST(test_failing_key) {
        _cleanup_(report_done) Report changes = {}, entries = {}, findings = {};
        _cleanup_free_ char *error = NULL, *rp = proc_file("net/ipv4/conf/eth0.100/rp_filter");
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "4096", "8192", "set" },
                { "net.ipv4.tcp_max_syn_backlog", "2048", "4096", "set" },
                { "net.ipv4.ip_local_port_range", "32768 60999", "10000 65000", "set" },
                { "net.ipv4.tcp_fin_timeout", "60", "15", "set" },
                { "net.ipv4.conf.eth0/100.rp_filter", "", "1", "error: Is a directory" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };
        static const char *const baseline[][2] = {
                { "net/core/somaxconn", "4096" },
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
        };

        ck_assert_int_eq(unlink(rp), 0);
        ck_assert_int_eq(mkdir(rp, 0755), 0);

        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        ck_assert_ptr_null(error);
        assert_rows(&changes, rows);
        assert_proc("net/core/somaxconn", "8192");
        assert_proc("net/ipv4/tcp_fin_timeout", "15");
        assert_baseline("server", baseline);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);
        assert_summary("Profile server: degraded (5 keys ok, 1 pending, 1 error)");

        ck_assert_int_eq(manager_get(m, NULL, AS_ROOT, &entries, &error), 0);
        ck_assert_str_eq(entries.rows[5].col[0], "net.ipv4.conf.eth0/100.rp_filter");
        ck_assert_str_eq(entries.rows[5].col[3], "error: Is a directory"); /* same as Verify */

        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        ck_assert_str_eq(findings.rows[5].col[0], "net.ipv4.conf.eth0/100.rp_filter");
        ck_assert_str_eq(findings.rows[5].col[1], "1");
        ck_assert_str_eq(findings.rows[5].col[2], "");
        ck_assert_str_eq(findings.rows[5].col[3], "error: Is a directory");
}
END_TEST

/* A key whose original value is not UTF-8 is left alone: state.json could not keep the original, and a
 * state.json holding it did not load again, so every baseline was lost at the next start (found by fuzz-bus,
 * which restarts the daemon on the files it wrote). The same for a pending key that appears with one. */
START_TEST(test_original_not_utf8) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                /* the report shows the value that is not UTF-8 with its bad byte as \xNN */
                { "net.core.somaxconn", "\\xff", "8192", "error: Invalid or incomplete multibyte or wide character" },
                { "net.ipv4.tcp_max_syn_backlog", "2048", "4096", "set" },
                { "net.ipv4.ip_local_port_range", "32768 60999", "10000 65000", "set" },
                { "net.ipv4.tcp_fin_timeout", "60", "15", "set" },
                { "net.ipv4.conf.eth0/100.rp_filter", "2", "1", "set" },
                { "net.netfilter.nf_conntrack_max", "", "262144", "pending" },
        };
        static const char *const baseline[][2] = {
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
        };

        write_proc("net/core/somaxconn", "\xff\n");
        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_proc("net/core/somaxconn", "\xff");
        assert_baseline("server", baseline); /* state.json loads */

        write_proc("net/netfilter/nf_conntrack_max", "\xfe\n");
        ck_assert_uint_eq(manager_poll(m, now_usec(), 0, true), 0);
        assert_proc("net/netfilter/nf_conntrack_max", "\xfe");
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);
        assert_baseline("server", baseline);

        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_ptr_nonnull(m->profile);
        assert_baseline("server", baseline);
        ck_assert_int_eq(state_baseline_set(&m->state, "net/core/somaxconn", "\xff"), -EILSEQ);
}
END_TEST

/* A write the kernel takes but that does not stick (read back differs) is an error, and the baseline
 * entry recorded for it before the write is dropped again: there is nothing to restore. /dev/null
 * reads back empty whatever is written to it. */
START_TEST(test_write_does_not_stick) {
        _cleanup_(report_done) Report changes = {}, findings = {};
        _cleanup_free_ char *error = NULL, *somaxconn = proc_file("net/core/somaxconn");
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "", "8192", "error: Numerical result out of range" },
                { "net.ipv4.tcp_tw_reuse", "2", "1", "set" },
        };
        static const char *const baseline[][2] = {
                { "net/ipv4/tcp_tw_reuse", "2" },
        };
        static const char *const verify_rows[][4] = {
                { "net.core.somaxconn", "8192", "", "error: Numerical result out of range" },
                { "net.ipv4.tcp_tw_reuse", "1", "1", "ok" },
        };

        write_profile("null", "{\"sysctl\":{\"net.core.somaxconn\":8192,\"net.ipv4.tcp_tw_reuse\":1}}");
        ck_assert_int_eq(unlink(somaxconn), 0);
        ck_assert_int_eq(symlink("/dev/null", somaxconn), 0);

        ck_assert_int_eq(manager_apply(m, "null", false, 0, &changes, &error), 0);
        assert_rows(&changes, rows);
        assert_baseline("null", baseline);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);
        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        assert_rows(&findings, verify_rows);
}
END_TEST

/* After a restart (and a reboot that reset the kernel) the persisted profile is applied again, the
 * baseline still holds the originals, and Revert restores them. */
START_TEST(test_restart_after_reboot) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL, *before = NULL, *after = NULL;
        static const char *const revert_rows[][4] = {
                { "net.core.somaxconn", "8192", "4096", "restore" },
                { "net.ipv4.tcp_max_syn_backlog", "4096", "2048", "restore" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "32768 60999", "restore" },
                { "net.ipv4.tcp_fin_timeout", "15", "60", "restore" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "2", "restore" },
        };

        apply_ok("server");
        before = tree_read(root, "var/lib/wstuned/state.json");
        m = manager_free(m);

        tree_reset();
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_ptr_nonnull(m->profile);
        ck_assert_str_eq(m->profile->name, "server");
        assert_server_values();
        after = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_pstr_eq(after, before);
        assert_baseline("server", server_baseline);

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_rows(&reverted, revert_rows);
        assert_original_values();
        assert_baseline_empty(NULL);
}
END_TEST

/* A restart without a reboot changes nothing and must not take the current values as originals. */
START_TEST(test_restart_keeps_baseline) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL;

        apply_ok("server");
        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_str_eq(m->profile->name, "server");
        assert_server_values();
        assert_baseline("server", server_baseline);

        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        ck_assert_uint_eq(reverted.n, ELEMENTSOF(server_baseline));
        assert_original_values();
        assert_baseline_empty(NULL);

        /* and after Revert, a restart applies nothing */
        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_ptr_null(m->profile);
        assert_original_values();
}
END_TEST

/* A Revert saves "no profile" before its first write and drops each original once restored. Killed
 * halfway (one key restored, the rest not), it leaves that state: the next start finishes it. */
START_TEST(test_startup_finishes_revert) {
        apply_ok("server");
        ck_assert_int_eq(state_set_active(&m->state, NULL), 0);
        ck_assert_int_ge(manager_save_state(m), 0);
        write_proc("net/core/somaxconn", "4096\n");
        m = manager_free(m);

        m = manager_on_tree();
        manager_startup(m);
        ck_assert_ptr_null(m->profile);
        assert_original_values();
        assert_baseline_empty(NULL);

        /* and the start after that has nothing left to do */
        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_ptr_null(m->profile);
        assert_baseline_empty(NULL);
}
END_TEST

/* Temporary files of a write killed before its rename() are removed at start; nothing else is. */
START_TEST(test_startup_removes_temp_files) {
        static const char *const leftovers[] = {
                "var/lib/wstuned/.#state.jsonAb12Cd",
                "etc/security/limits.d/.#90-wstuned.confXy34Zw",
                "etc/systemd/system/containerd.service.d/.#90-wstuned.conf000000",
                "etc/docker/.#daemon.json0a1B2c",
                "var/lib/prometheus/node-exporter/.#wstuned.promQwErTy",
        };
        static const char *const others[] = {
                "var/lib/wstuned/state.json.Ab12Cd",
                "etc/docker/daemon.json.backup",
                "etc/docker/.#other.jsonAb12Cd",
                "etc/security/limits.d/.#90-wstuned.confXy34Z",
        };

        for (size_t i = 0; i < ELEMENTSOF(leftovers); i++)
                tree_write(root, leftovers[i], "partial");
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                tree_write(root, others[i], "an admin's");
        manager_startup(m);
        for (size_t i = 0; i < ELEMENTSOF(leftovers); i++)
                ck_assert_msg(!tree_exists(root, leftovers[i]), "%s left", leftovers[i]);
        for (size_t i = 0; i < ELEMENTSOF(others); i++)
                ck_assert_msg(tree_exists(root, others[i]), "%s removed", others[i]);
}
END_TEST

START_TEST(test_startup_from_settings) {
        tree_write(root, "etc/wstuned/wstuned.json", "{\"profile\":\"client\",\"poll_interval_ms\":500}\n");
        manager_startup(m);
        ck_assert_str_eq(m->settings.profile, "client");
        ck_assert_uint_eq(m->settings.poll_interval_ms, 500);
        ck_assert_ptr_nonnull(m->profile);
        ck_assert_str_eq(m->profile->name, "client");
        assert_proc("net/core/somaxconn", "8192");
        assert_proc("net/ipv4/tcp_tw_reuse", "1");
        ck_assert_str_eq(m->state.active_profile, "client");
}
END_TEST

/* An unreadable state file is kept aside for a human and the daemon starts from scratch. */
START_TEST(test_startup_broken_state) {
        _cleanup_free_ char *aside = NULL;

        tree_write(root, "var/lib/wstuned/state.json", "{broken");
        tree_write(root, "etc/wstuned/wstuned.json", "{\"profile\":\"client\"}");
        manager_startup(m);
        aside = tree_read(root, "var/lib/wstuned/state.json.broken");
        ck_assert_pstr_eq(aside, "{broken");
        ck_assert_str_eq(m->profile->name, "client");
        ck_assert_str_eq(m->state.active_profile, "client");
        ck_assert(tree_exists(root, "var/lib/wstuned/state.json"));
}
END_TEST

/* A state file from a newer wstuned (the package was downgraded) is the only record of the baseline: it stays
 * byte for byte, nothing is applied at start (not the settings' profile either, whose Apply would record
 * a new baseline over it), and Apply, Revert and any save are refused with the parser's message. */
START_TEST(test_startup_newer_state) {
        static const char newer[] = "{\n  \"version\": 2,\n  \"active_profile\": \"server\",\n"
                                    "  \"baseline\": { \"sysctl\": { \"net/core/somaxconn\": \"1024\" } },\n"
                                    "  \"history\": []\n}\n";
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *state = path_in(root, "var/lib/wstuned/state.json"), *error = NULL, *expected = NULL;
        _cleanup_free_ char *content = NULL;
        struct stat st;

        tree_write(root, "var/lib/wstuned/state.json", newer);
        ck_assert_int_eq(chmod(state, 0644), 0); /* not made 0600 either: that would be a rewrite */
        tree_write(root, "etc/wstuned/wstuned.json", "{\"profile\":\"client\"}");
        manager_startup(m);

        ck_assert(m->state_newer);
        ck_assert_ptr_null(m->profile);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_INACTIVE);
        ck_assert_uint_eq(m->state.n_baseline, 0);
        assert_tree_untouched();
        ck_assert(!tree_exists(root, "var/lib/wstuned/state.json.broken"));

        ck_assert_int_ge(asprintf(&expected,
                                  "%s: written by a newer wstuned (state version 2, this one reads 1): downgrade "
                                  "refused, nothing is applied or reverted until that wstuned is installed again or "
                                  "the file is moved away",
                                  state),
                         0);
        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), -EPROTONOSUPPORT);
        ck_assert_pstr_eq(error, expected);
        ck_assert_int_eq(manager_apply(m, "client", true, 0, &changes, &error), -EPROTONOSUPPORT);
        ck_assert_pstr_eq(error, expected);
        ck_assert_int_eq(manager_revert(m, 0, &changes, &error), -EPROTONOSUPPORT);
        ck_assert_pstr_eq(error, expected);
        ck_assert_uint_eq(changes.n, 0);
        ck_assert_int_eq(manager_save_state(m), -EPROTONOSUPPORT);

        content = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_pstr_eq(content, newer);
        ck_assert_int_eq(stat(state, &st), 0);
        ck_assert_int_eq(st.st_mode & 07777, 0644);
        assert_tree_untouched();
        ck_assert_ptr_null(m->profile);
}
END_TEST

START_TEST(test_unknown_profile) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(manager_apply(m, "nope", false, 0, &changes, &error), -ENOENT);
        ck_assert_str_eq(error, "no profile named \"nope\"");
        ck_assert_int_eq(manager_apply(m, NULL, false, 0, &changes, &error), -ENOENT);
        ck_assert_str_eq(error, "no active profile; name one");
        ck_assert_int_eq(manager_apply(m, "", false, 0, &changes, &error), -ENOENT);
        ck_assert_str_eq(error, "no active profile; name one");
        ck_assert_int_eq(manager_apply(m, "../profiles/server", false, 0, &changes, &error), -EINVAL);
        ck_assert_str_eq(error, "invalid profile name \"../profiles/server\"");
        ck_assert_uint_eq(changes.n, 0);
        assert_tree_untouched();
        ck_assert(!tree_exists(root, "var/lib/wstuned/state.json"));
        ck_assert_ptr_null(m->profile);
}
END_TEST

/* An invalid profile changes nothing, not even the keys before the bad one. */
START_TEST(test_invalid_profile) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *expected = NULL, *before = NULL, *after = NULL;

        write_profile("broken", "{\"sysctl\":{\"net.core.somaxconn\":8192,\"net.ipv4.tcp_tw_reuse\":true}}");
        ck_assert_int_ge(asprintf(&expected,
                                  "%s/broken.json: sysctl[\"net.ipv4.tcp_tw_reuse\"]: value must be a number or a string",
                                  profiles),
                         0);

        ck_assert_int_eq(manager_apply(m, "broken", false, 0, &changes, &error), -EINVAL);
        ck_assert_str_eq(error, expected);
        ck_assert_uint_eq(changes.n, 0);
        assert_tree_untouched();
        ck_assert(!tree_exists(root, "var/lib/wstuned/state.json"));
        ck_assert_ptr_null(m->profile);

        /* with a profile active, it stays active and applied */
        apply_ok("server");
        before = tree_read(root, "var/lib/wstuned/state.json");
        free(TAKE_PTR(error));
        ck_assert_int_eq(manager_apply(m, "broken", false, 0, &changes, &error), -EINVAL);
        ck_assert_str_eq(error, expected);
        ck_assert_uint_eq(changes.n, 0);
        ck_assert_str_eq(m->profile->name, "server");
        assert_server_values();
        after = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_pstr_eq(after, before);
}
END_TEST

/* The baseline is saved before the first write; when it cannot be, nothing is written. */
START_TEST(test_state_not_saveable) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *expected = NULL;

        tree_write(root, "var/lib", "not a directory");
        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), -ENOTDIR);
        ck_assert_int_ge(asprintf(&expected, "cannot save %s/var/lib/wstuned/state.json: Not a directory", root),
                         0);
        ck_assert_str_eq(error, expected);
        ck_assert_uint_eq(changes.n, 0);
        assert_tree_untouched();
        ck_assert_ptr_null(m->profile);
        ck_assert_ptr_null(m->state.active_profile);
        ck_assert_uint_eq(m->state.n_baseline, 0);
}
END_TEST

START_TEST(test_get) {
        _cleanup_(report_done) Report entries = {};
        _cleanup_free_ char *error = NULL;
        char *keys[] = { (char *) "net.core.somaxconn", (char *) "net/ipv4/tcp_syncookies",
                         (char *) "net.ipv4.conf.eth0/100.rp_filter", (char *) "kernel.big", NULL };
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "8192", "8192", "ok" },
                { "net.ipv4.tcp_syncookies", "1", "", "unmanaged" },
                { "net.ipv4.conf.eth0/100.rp_filter", "2", "", "unmanaged" },
                { "kernel.big", "", "", "error: File too large" },
        };
        static const struct {
                const char *key;
                int ret;
                const char *error;
        } bad[] = {
                { "net.core.nope", -ENOENT, "no sysctl \"net.core.nope\"" },
                { "net.core", -ENOENT, "no sysctl \"net.core\"" },                      /* a directory */
                { "net.core.somaxconn.x", -ENOENT, "no sysctl \"net.core.somaxconn.x\"" }, /* below a file */
                { "net..core", -EINVAL, "invalid key name \"net..core\": empty segment in key name" },
                { "net/../../../etc/passwd", -EINVAL,
                  "invalid key name \"net/../../../etc/passwd\": '.' or '..' segment in key name" },
                { "/proc/sys/net/core/somaxconn", -EINVAL,
                  "invalid key name \"/proc/sys/net/core/somaxconn\": absolute path; give the name relative to "
                  "/proc/sys" },
                { "net.core.\xff", -EINVAL, "invalid key name (not UTF-8)" },
        };

        _cleanup_free_ char *big = malloc(70001);
        memset(big, '1', 70000);
        big[70000] = '\0';
        write_proc("kernel/big", big);

        apply_ok("client");
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &entries, &error), 0);
        assert_rows(&entries, rows);

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_(report_done) Report r = {};
                char *one[] = { (char *) bad[i].key, NULL };
                ck_assert_int_eq(manager_get(m, one, AS_ROOT, &r, &error), bad[i].ret);
                ck_assert_str_eq(error, bad[i].error);
        }

        /* the number of names is capped */
        _cleanup_(report_done) Report r = {};
        char **many = calloc(MANAGER_GET_KEYS_MAX + 2, sizeof(char *));
        for (size_t i = 0; i <= MANAGER_GET_KEYS_MAX; i++)
                many[i] = (char *) "net.core.somaxconn";
        ck_assert_int_eq(manager_get(m, many, AS_ROOT, &r, &error), -E2BIG);
        ck_assert_str_eq(error, "too many keys (1025), at most 1024");
        ck_assert_uint_eq(r.n, 0);
        free(many);
}
END_TEST

/* A key only root may read (mode 0600, as net.ipv4.tcp_fastopen_key or vm.stat_refresh) is read for root only:
 * anyone else gets "denied" and no value, and the file is not even read for them (inotify sees every read). Who
 * the caller is gets asked only when such a key comes up. */
static unsigned lookups;
static int lookup_nobody(void *userdata, uid_t *ret_uid) {
        lookups++;
        *ret_uid = 65534;
        return 0;
}

static unsigned reads_of(int inotify_fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        unsigned n = 0;
        ssize_t k;
        while ((k = read(inotify_fd, buf, sizeof buf)) > 0)
                for (char *p = buf; p < buf + k; p += sizeof(struct inotify_event) + ((struct inotify_event *) p)->len)
                        n += !!(((struct inotify_event *) p)->mask & IN_ACCESS);
        return n;
}

START_TEST(test_secret_keys) {
        _cleanup_free_ char *error = NULL, *fastopen = proc_file("net/ipv4/tcp_fastopen_key"),
                                *refresh = proc_file("vm/stat_refresh");
        _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        char *public_key[] = { (char *) "net.core.somaxconn", NULL };
        char *secret_keys[] = { (char *) "vm.stat_refresh", (char *) "net.ipv4.tcp_fastopen_key", NULL };

        write_proc("net/ipv4/tcp_fastopen_key", "00000001-00000002-00000003-00000004\n");
        write_proc("vm/stat_refresh", "0\n");
        ck_assert_int_eq(chmod(fastopen, 0600), 0);
        ck_assert_int_eq(chmod(refresh, 0600), 0);
        write_profile("secret", "{ \"sysctl\": { \"net.ipv4.tcp_fastopen_key\": "
                                "\"00000009-00000009-00000009-00000009\", \"net.core.somaxconn\": 8192 } }");
        ck_assert_int_ge(ino, 0);
        ck_assert_int_ge(inotify_add_watch(ino, fastopen, IN_ACCESS), 0);
        ck_assert_int_ge(inotify_add_watch(ino, refresh, IN_ACCESS), 0);

        /* a key everyone may read: no lookup of the caller */
        Caller nobody = { .root = -1, .lookup = lookup_nobody };
        _cleanup_(report_done) Report pub = {};
        lookups = 0;
        ck_assert_int_eq(manager_get(m, public_key, &nobody, &pub, &error), 0);
        ck_assert_uint_eq(lookups, 0);
        ck_assert_str_eq(pub.rows[0].col[1], "4096");
        ck_assert(!pub.rows[0].secret);

        /* unmanaged secret keys: denied, unread, the caller looked up once */
        _cleanup_(report_done) Report denied = {};
        const char *const denied_rows[][4] = {
                { "vm.stat_refresh", "", "", "denied" },
                { "net.ipv4.tcp_fastopen_key", "", "", "denied" },
        };
        ck_assert_int_eq(manager_get(m, secret_keys, &nobody, &denied, &error), 0);
        assert_rows(&denied, denied_rows);
        ck_assert(denied.rows[0].secret && denied.rows[1].secret);
        ck_assert_uint_eq(lookups, 1);
        ck_assert_uint_eq(reads_of(ino), 0);

        /* root reads them */
        _cleanup_(report_done) Report seen = {};
        const char *const seen_rows[][4] = {
                { "vm.stat_refresh", "0", "", "unmanaged" },
                { "net.ipv4.tcp_fastopen_key", "00000001-00000002-00000003-00000004", "", "unmanaged" },
        };
        ck_assert_int_eq(manager_get(m, secret_keys, AS_ROOT, &seen, &error), 0);
        assert_rows(&seen, seen_rows);
        ck_assert(seen.rows[0].secret && seen.rows[1].secret);
        ck_assert_uint_ge(reads_of(ino), 2);

        /* managed: the Apply rows are secret (the bus shows their values to root only) */
        _cleanup_(report_done) Report changes = {};
        ck_assert_int_eq(manager_apply(m, "secret", false, 0, &changes, &error), 0);
        ck_assert_str_eq(changes.rows[0].col[0], "net.ipv4.tcp_fastopen_key");
        ck_assert(changes.rows[0].secret);
        ck_assert(!changes.rows[1].secret);
        (void) reads_of(ino);

        /* Get and Verify for someone else: rows secret, the key not read again */
        _cleanup_(report_done) Report all = {}, findings = {};
        Caller nobody2 = { .root = -1, .lookup = lookup_nobody };
        ck_assert_int_eq(manager_get(m, NULL, &nobody2, &all, &error), 0);
        ck_assert(all.rows[0].secret);
        ck_assert_str_eq(all.rows[0].col[3], "ok");
        ck_assert(manager_verify(m, &nobody2, &findings));
        ck_assert(findings.rows[0].secret);
        ck_assert(!findings.rows[1].secret);
        ck_assert_uint_eq(reads_of(ino), 0);

        /* root's Verify reads it */
        _cleanup_(report_done) Report rooted = {};
        ck_assert(manager_verify(m, AS_ROOT, &rooted));
        ck_assert_str_eq(rooted.rows[0].col[2], "00000009-00000009-00000009-00000009");
        ck_assert_uint_ge(reads_of(ino), 1);
}
END_TEST

START_TEST(test_verify) {
        _cleanup_(report_done) Report ok = {}, drifted = {}, inactive = {}, reverted = {};
        _cleanup_free_ char *error = NULL;
        static const char *const ok_rows[][4] = {
                { "net.core.somaxconn", ">=8192", "8192", "ok" },
                { "net.ipv4.tcp_tw_reuse", "1", "1", "ok" },
        };
        static const char *const drift_rows[][4] = {
                { "net.core.somaxconn", ">=8192", "65535", "ok" },
                { "net.ipv4.tcp_tw_reuse", "1", "0", "drifted" },
        };
        static const char *const inactive_rows[][4] = {
                { "profile", "", "", "inactive" },
        };

        apply_ok("client");
        ck_assert(manager_verify(m, AS_ROOT, &ok));
        assert_rows(&ok, ok_rows);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK);

        write_proc("net/core/somaxconn", "65535\n"); /* raised by someone: still fine */
        write_proc("net/ipv4/tcp_tw_reuse", "0\n");
        ck_assert(!manager_verify(m, AS_ROOT, &drifted));
        assert_rows(&drifted, drift_rows);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_DEGRADED);

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        ck_assert(!manager_verify(m, AS_ROOT, &inactive));
        assert_rows(&inactive, inactive_rows);
}
END_TEST

/* Verify with the pressure watch started on the scratch tree: file-nr near fs.file-max is critical and fails
 * Verify; the figures go to the metrics file under the root; below the threshold Verify passes again. */
START_TEST(test_verify_pressure) {
        _cleanup_(report_done) Report critical = {}, fine = {};
        _cleanup_free_ char *metrics = NULL;
        const char *const *row = NULL;

        apply_ok("client");
        tree_write(root, "proc/sys/fs/file-nr", "96000\t0\t100000\n");
        tree_write(root, "var/lib/prometheus/node-exporter/.keep", "");
        ck_assert_int_eq(pressure_watch_start(m), 0);

        ck_assert(!manager_verify(m, AS_ROOT, &critical));
        for (size_t i = 0; i < critical.n; i++)
                if (streq(critical.rows[i].col[0], "pressure:fds"))
                        row = (const char *const *) critical.rows[i].col;
        ck_assert_ptr_nonnull(row);
        ck_assert_str_eq(row[1], "< 95%");
        ck_assert_str_eq(row[2], "96.0% (96000 of 100000 file descriptors)");
        ck_assert_str_eq(row[3], "critical");
        ck_assert_str_eq(critical.rows[critical.n - 4].col[0], "pressure:conntrack");
        ck_assert_str_eq(critical.rows[critical.n - 4].col[3], "absent"); /* no nf_conntrack in the tree */

        metrics = tree_read(root, "var/lib/prometheus/node-exporter/wstuned.prom");
        ck_assert_ptr_nonnull(metrics);
        ck_assert_ptr_nonnull(strstr(metrics, "\nwstuned_fds_allocated 96000\n"));
        ck_assert_ptr_nonnull(strstr(metrics, "\nwstuned_pressure_level{resource=\"fds\"} 2\n"));
        ck_assert_ptr_nonnull(strstr(metrics, "profile=\"client\""));

        tree_write(root, "proc/sys/fs/file-nr", "1000\t0\t100000\n");
        pressure_watch_sample(m, now_usec());
        ck_assert(manager_verify(m, AS_ROOT, &fine));
        ck_assert_str_eq(fine.rows[fine.n - 1].col[0], "pressure:fds");
        ck_assert_str_eq(fine.rows[fine.n - 1].col[3], "ok");
}
END_TEST

/* wstuned_keys in the metrics file counts the profile's keys per state, every state written. */
static void assert_metrics_keys(const char *ok, const char *pending, const char *unmanaged, const char *error) {
        _cleanup_free_ char *metrics = NULL, *expected = NULL;

        pressure_watch_write_metrics(m, now_usec());
        metrics = tree_read(root, "var/lib/prometheus/node-exporter/wstuned.prom");
        ck_assert_ptr_nonnull(metrics);
        ck_assert_int_ge(asprintf(&expected,
                                  "\nwstuned_keys{state=\"ok\"} %s\nwstuned_keys{state=\"drifted\"} 0\n"
                                  "wstuned_keys{state=\"pending\"} %s\nwstuned_keys{state=\"fighting\"} 0\n"
                                  "wstuned_keys{state=\"unmanaged\"} %s\nwstuned_keys{state=\"error\"} %s\n",
                                  ok, pending, unmanaged, error),
                         0);
        ck_assert_msg(strstr(metrics, expected), "expected%s\nin\n%s", expected, metrics);
}

START_TEST(test_metrics_key_states) {
        _cleanup_(report_done) Report changes = {}, reverted = {};
        _cleanup_free_ char *error = NULL, *rp = proc_file("net/ipv4/conf/eth0.100/rp_filter");

        tree_write(root, "var/lib/prometheus/node-exporter/.keep", "");
        assert_metrics_keys("0", "0", "0", "0");

        /* rp_filter cannot be written (a directory), nf_conntrack_max is not there */
        ck_assert_int_eq(unlink(rp), 0);
        ck_assert_int_eq(mkdir(rp, 0755), 0);
        ck_assert_int_eq(manager_apply(m, "server", false, 0, &changes, &error), 0);
        assert_metrics_keys("5", "1", "0", "1");

        apply_ok("client"); /* tcp_fin_timeout has policy ignore */
        assert_metrics_keys("2", "0", "1", "0");

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_metrics_keys("0", "0", "0", "0");
}
END_TEST

START_TEST(test_revert_without_profile) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        ck_assert_ptr_null(error);
        ck_assert_uint_eq(reverted.n, 0);
        assert_tree_untouched();
        ck_assert_ptr_null(m->profile);
}
END_TEST

START_TEST(test_reload) {
        _cleanup_(report_done) Report changes = {}, again = {};
        _cleanup_free_ char *error = NULL, *expected = NULL, *edited = NULL;

        /* nothing active: the settings' profile */
        tree_write(root, "etc/wstuned/wstuned.json", "{\"profile\":\"client\"}");
        ck_assert_int_eq(manager_reload(m, 0, &changes, &error), 0);
        ck_assert_str_eq(m->profile->name, "client");
        assert_proc("net/ipv4/tcp_tw_reuse", "1");

        /* the active profile is read again from its file */
        apply_ok("server");
        edited = strdup(server_profile);
        char *p = strstr(edited, "\"net/ipv4/tcp_fin_timeout\": 15");
        ck_assert_ptr_nonnull(p);
        memcpy(p + strlen("\"net/ipv4/tcp_fin_timeout\": "), "20", 2);
        write_profile("server", edited);
        ck_assert_int_eq(manager_reload(m, 0, &again, &error), 0);
        assert_proc("net/ipv4/tcp_fin_timeout", "20");
        ck_assert_str_eq(m->profile->name, "server");

        /* broken settings: an error naming the file, the old settings stay */
        tree_write(root, "etc/wstuned/wstuned.json", "{\"profile\":\"client\",\"x\":1}");
        ck_assert_int_eq(manager_reload(m, 0, NULL, &error), -EINVAL);
        ck_assert_int_ge(asprintf(&expected, "%s/etc/wstuned/wstuned.json: x: unknown field", root), 0);
        ck_assert_str_eq(error, expected);
        ck_assert_str_eq(m->settings.profile, "client");
}
END_TEST

/* Regression (fixed): Revert of a key whose original value is shorter than the one the profile wrote fails on the
 * scratch tree: sysctl_write() does not truncate, "128" written over "16384" leaves "12884", the
 * read-back differs and the restore is reported as "error: Numerical result out of range" (see
 * test_write_shorter_value in test-sysctl.c). */
START_TEST(test_revert_shorter_original) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL;
        static const char *const rows[][4] = {
                { "net.core.somaxconn", "16384", "128", "restore" },
        };

        write_proc("net/core/somaxconn", "128\n");
        write_profile("big", "{\"sysctl\":{\"net.core.somaxconn\":16384}}");
        apply_ok("big");
        assert_proc("net/core/somaxconn", "16384");

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_rows(&reverted, rows);
        assert_proc("net/core/somaxconn", "128");
        assert_baseline_empty(NULL);
}
END_TEST


/* ---- sysctl.d: who else sets a key ---- */

/* Capture what the daemon logs (to stderr in the unit tests: "<priority> message [MESSAGE_ID]") while fn runs. */
static char *logged_during(void (*fn)(void)) {
        _cleanup_free_ char *path = path_in(root, "log.txt");
        int saved, fd;

        fflush(stderr);
        saved = dup(STDERR_FILENO);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ck_assert_int_ge(saved, 0);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_ge(dup2(fd, STDERR_FILENO), 0);
        close(fd);
        fn();
        fflush(stderr);
        ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
        close(saved);
        return tree_read(root, "log.txt");
}

static void poll_once(void) {
        manager_poll(m, now_usec(), 0, false);
}

static void apply_server(void) {
        apply_ok("server");
}

#define assert_logged(log, text) ck_assert_msg(strstr(log, text), "not logged: %s\nlog:\n%s", text, log)

/* A GCE image's sysctl.d file sets keys the profile manages to other values: Get, Verify and the status table
 * name the file and line; the Apply entry at boot and the drift entry after `sysctl --system` name it too. */
START_TEST(test_sysctld_conflicts) {
        _cleanup_(report_done) Report entries = {}, findings = {}, one = {}, after = {};
        _cleanup_free_ char *error = NULL, *applied = NULL, *drift = NULL;
        char *keys[] = { (char *) "net.core.somaxconn", (char *) "net.ipv4.tcp_tw_reuse", NULL };
        static const char *const get_rows[][4] = {
                { "net.core.somaxconn", "8192", "8192",
                  "ok (also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:3)" },
                { "net.ipv4.tcp_max_syn_backlog", "4096", "4096", "ok" }, /* sysctl.d's 8192 is higher: fine */
                { "net.ipv4.ip_local_port_range", "10000 65000", "10000 65000",
                  "ok (also set to 32768 60999 by /etc/sysctl.conf:2)" },
                { "net.ipv4.tcp_fin_timeout", "15", "15",
                  "ok (also set to 60 by /usr/lib/sysctl.d/50-default.conf:3)" },
                { "net.ipv4.tcp_syncookies", "1", "1", "ok" }, /* sysctl.d agrees */
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "1",
                  "ok (also set to 2 by /usr/lib/sysctl.d/50-default.conf:2)" }, /* a glob */
                { "net.netfilter.nf_conntrack_max", "", "262144",
                  "pending (also set to 65536 by /etc/sysctl.d/60-gce-network-security.conf:6)" },
        };
        static const char *const verify_rows[][4] = {
                { "net.core.somaxconn", ">=8192", "8192",
                  "ok (also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:3)" },
                { "net.ipv4.tcp_max_syn_backlog", ">=4096", "4096", "ok" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "10000 65000",
                  "ok (also set to 32768 60999 by /etc/sysctl.conf:2)" },
                { "net.ipv4.tcp_fin_timeout", "15", "15",
                  "ok (also set to 60 by /usr/lib/sysctl.d/50-default.conf:3)" },
                { "net.ipv4.tcp_syncookies", "1", "1", "ok" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "1",
                  "ok (also set to 2 by /usr/lib/sysctl.d/50-default.conf:2)" },
                { "net.netfilter.nf_conntrack_max", ">=262144", "",
                  "pending (also set to 65536 by /etc/sysctl.d/60-gce-network-security.conf:6)" },
        };
        static const char *const drifted_rows[][4] = {
                { "net.core.somaxconn", "1024", "8192",
                  "drifted (also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:3)" },
                { "net.ipv4.tcp_tw_reuse", "2", "", "unmanaged" }, /* not managed: no note */
        };

        tree_write(root, "usr/lib/sysctl.d/50-default.conf",
                   "net.ipv4.conf.default.rp_filter = 2\n"
                   "net.ipv4.conf.*.rp_filter = 2\n"
                   "net.ipv4.tcp_fin_timeout = 60\n"
                   "net.ipv4.tcp_tw_reuse = 0\n");
        tree_write(root, "usr/lib/sysctl.d/60-gce-network-security.conf", "net.core.somaxconn = 4096\n");
        tree_write(root, "etc/sysctl.d/60-gce-network-security.conf",
                   "# Google Compute Engine\n"
                   "net.ipv4.tcp_syncookies = 1\n"
                   "net.core.somaxconn = 1024\n"
                   "net.ipv4.tcp_max_syn_backlog = 8192\n"
                   "; the conntrack table\n"
                   "net.netfilter.nf_conntrack_max = 65536\n");
        _cleanup_free_ char *mask = path_in(root, "etc/sysctl.d/50-default.conf"),
                            *debian = path_in(root, "etc/sysctl.d/99-sysctl.conf");
        tree_write(root, "etc/sysctl.conf", "#\nnet.ipv4.ip_local_port_range = 32768 60999\n");
        ck_assert_int_eq(symlink("../sysctl.conf", debian), 0);
        /* at boot systemd-sysctl set what the files say */
        write_proc("net/core/somaxconn", "1024\n");

        /* the Apply (at boot: after systemd-sysctl) says whose value it replaces */
        applied = logged_during(apply_server);
        assert_logged(applied, "net.core.somaxconn changed from 1024 to 8192 (profile server); "
                               "/etc/sysctl.d/60-gce-network-security.conf:3 sets it to 1024");
        assert_logged(applied, "net.ipv4.ip_local_port_range changed from 32768 60999 to 10000 65000 (profile server); "
                               "/etc/sysctl.conf:2 sets it to 32768 60999");
        assert_logged(applied, "net.ipv4.tcp_max_syn_backlog changed from 2048 to 4096 (profile server) [");

        ck_assert_int_eq(manager_get(m, NULL, AS_ROOT, &entries, &error), 0);
        assert_rows(&entries, get_rows);
        ck_assert(!manager_verify(m, AS_ROOT, &findings)); /* nf_conntrack_max is pending */
        assert_rows(&findings, verify_rows);

        /* a mask in /etc hides the /usr/lib file with the glob and the fin_timeout */
        ck_assert_int_eq(symlink("/dev/null", mask), 0);
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &one, &error), 0);
        ck_assert_str_eq(one.rows[0].col[3], "ok (also set to 1024 by /etc/sysctl.d/60-gce-network-security.conf:3)");
        _cleanup_(report_done) Report masked = {};
        char *masked_keys[] = { (char *) "net.ipv4.conf.eth0/100.rp_filter", (char *) "net/ipv4/tcp_fin_timeout",
                                NULL };
        ck_assert_int_eq(manager_get(m, masked_keys, AS_ROOT, &masked, &error), 0);
        ck_assert_str_eq(masked.rows[0].col[3], "ok");
        ck_assert_str_eq(masked.rows[1].col[3], "ok");

        /* `sysctl --system` writes the file's value again: the drift entry names the file */
        write_proc("net/core/somaxconn", "1024\n");
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &after, &error), 0);
        assert_rows(&after, drifted_rows);
        drift = logged_during(poll_once);
        assert_logged(drift, "net.core.somaxconn drifted from 8192 to 1024 and was set back; "
                             "/etc/sysctl.d/60-gce-network-security.conf:3 sets it to 1024 "
                             "[" WSTUNED_MESSAGE_DRIFT_CORRECTED "]");
        assert_proc("net/core/somaxconn", "8192");

        /* a value no file sets: no file named */
        _cleanup_free_ char *other = NULL;
        write_proc("net/core/somaxconn", "100\n");
        other = logged_during(poll_once);
        assert_logged(other, "net.core.somaxconn drifted from 8192 to 100 and was set back [");
}
END_TEST

/* The files are read again only when they change: Get and Verify cost a few stat()s, not a read of every file. */
START_TEST(test_sysctld_read_once) {
        _cleanup_(report_done) Report a = {}, b = {}, c = {};
        _cleanup_free_ char *error = NULL, *conf = path_in(root, "etc/sysctl.d/60-a.conf");
        _cleanup_close_ int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        char *keys[] = { (char *) "net.core.somaxconn", NULL };

        tree_write(root, "etc/sysctl.d/60-a.conf", "net.core.somaxconn = 1024\n");
        apply_ok("server");
        ck_assert_int_ge(inotify_add_watch(ino, conf, IN_OPEN), 0);
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &a, &error), 0);
        ck_assert(!manager_verify(m, AS_ROOT, &b));
        char buf[4096];
        ck_assert_int_lt(read(ino, buf, sizeof buf), 0); /* not opened again */
        ck_assert_str_eq(a.rows[0].col[3], "ok (also set to 1024 by /etc/sysctl.d/60-a.conf:1)");

        tree_write(root, "etc/sysctl.d/60-a.conf", "net.core.somaxconn = 65536\n");
        ck_assert_int_eq(manager_get(m, keys, AS_ROOT, &c, &error), 0);
        ck_assert_str_eq(c.rows[0].col[3], "ok"); /* 65536 is at least 8192 */
}
END_TEST

/* ---- the baseline across reboots ---- */

#define BOOT_A "aaaaaaaa-0000-4000-8000-000000000001"
#define BOOT_B "bbbbbbbb-0000-4000-8000-000000000002"

static void set_boot_id(const char *id) {
        _cleanup_free_ char *line = NULL;

        ck_assert_int_ge(asprintf(&line, "%s\n", id), 0); /* as the kernel shows it */
        write_proc("kernel/random/boot_id", line);
}

/* A reboot: the kernel starts from its defaults (the initial tree), nf_conntrack is not loaded, systemd-sysctl
 * writes what sysctl.d says, the boot id changes, wstuned starts. */
static void reboot_into(const char *boot_id, const char *const (*sysctld)[2], size_t n) {
        _cleanup_free_ char *ct = path_in(root, "proc/sys/net/netfilter");

        m = manager_free(m);
        tree_reset();
        rm_rf(ct);
        for (size_t i = 0; i < n; i++)
                write_proc(sysctld[i][0], sysctld[i][1]);
        set_boot_id(boot_id);
        m = manager_on_tree();
        manager_startup(m);
}

static char *state_text(void) {
        return tree_read(root, "var/lib/wstuned/state.json");
}

/* Revert after a reboot puts back what this boot had before wstuned, not what the first boot had: here a
 * sysctl.d file added between the boots. A key absent at the first Apply of the new boot keeps the old original
 * until it appears; the value it appears with is the new original. */
START_TEST(test_baseline_new_boot) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL, *first = NULL, *second = NULL;
        static const char *const boot_a_baseline[][2] = {
                { "net/core/somaxconn", "4096" },
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
                { "net/netfilter/nf_conntrack_max", "65536" },
        };
        static const char *const boot_b_sysctld[][2] = {
                { "net/core/somaxconn", "1024\n" },
                { "net/ipv4/tcp_fin_timeout", "30\n" },
        };
        static const char *const boot_b_baseline[][2] = {
                { "net/core/somaxconn", "1024" },
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "30" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
                { "net/netfilter/nf_conntrack_max", "65536" }, /* absent: boot A's, until it appears */
        };
        static const char *const revert_rows[][4] = {
                { "net.core.somaxconn", "8192", "1024", "restore" },
                { "net.ipv4.tcp_max_syn_backlog", "4096", "2048", "restore" },
                { "net.ipv4.ip_local_port_range", "10000 65000", "32768 60999", "restore" },
                { "net.ipv4.tcp_fin_timeout", "15", "30", "restore" },
                { "net.ipv4.conf.eth0/100.rp_filter", "1", "2", "restore" },
                { "net.netfilter.nf_conntrack_max", "262144", "131072", "restore" },
        };

        /* boot A: applied, nf_conntrack loaded later */
        set_boot_id(BOOT_A);
        apply_ok("server");
        write_proc("net/netfilter/nf_conntrack_max", "65536\n");
        manager_poll(m, now_usec(), 0, false);
        assert_proc("net/netfilter/nf_conntrack_max", "262144");
        assert_baseline("server", boot_a_baseline);
        first = state_text();
        ck_assert_msg(strstr(first, "\"boot_id\":\t\"" BOOT_A "\""), "%s", first);
        ck_assert_msg(!strstr(first, "earlier_boot"), "%s", first);

        /* boot B, with a sysctl.d file the admin added */
        tree_write(root, "etc/sysctl.d/60-admin.conf", "net.core.somaxconn = 1024\nnet.ipv4.tcp_fin_timeout = 30\n");
        reboot_into(BOOT_B, boot_b_sysctld, ELEMENTSOF(boot_b_sysctld));
        assert_server_values();
        assert_baseline("server", boot_b_baseline);
        ck_assert(!state_baseline_is_earlier_boot(&m->state, "net/core/somaxconn"));
        ck_assert(state_baseline_is_earlier_boot(&m->state, "net/netfilter/nf_conntrack_max"));
        second = state_text();
        ck_assert_msg(strstr(second, "\"boot_id\":\t\"" BOOT_B "\""), "%s", second);
        ck_assert_msg(strstr(second, "\"earlier_boot\":\t[\"net/netfilter/nf_conntrack_max\"]"), "%s", second);

        /* nf_conntrack loads, with another default (more memory on this boot's machine) */
        write_proc("net/netfilter/nf_conntrack_max", "131072\n");
        manager_poll(m, now_usec(), 0, false);
        assert_proc("net/netfilter/nf_conntrack_max", "262144");
        ck_assert_str_eq(state_baseline_get(&m->state, "net/netfilter/nf_conntrack_max"), "131072");
        ck_assert(!state_baseline_is_earlier_boot(&m->state, "net/netfilter/nf_conntrack_max"));

        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_rows(&reverted, revert_rows);
        assert_proc("net/core/somaxconn", "1024");
        assert_proc("net/ipv4/tcp_fin_timeout", "30");
        assert_proc("net/netfilter/nf_conntrack_max", "131072");
        assert_baseline_empty(NULL);
}
END_TEST

/* A restart in the same boot (crash, upgrade) must not take wstuned's own values as originals. */
START_TEST(test_baseline_same_boot) {
        _cleanup_(report_done) Report reverted = {};
        _cleanup_free_ char *error = NULL;

        set_boot_id(BOOT_A);
        apply_ok("server");
        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        assert_server_values();
        assert_baseline("server", server_baseline);
        ck_assert_int_eq(manager_revert(m, 0, &reverted, &error), 0);
        assert_original_values();
}
END_TEST

/* A Revert cut short before the reboot (no profile, originals left): after the reboot the keys already hold this
 * boot's values, so finishing it writes nothing. */
START_TEST(test_baseline_new_boot_finishes_revert) {
        static const char *const sysctld[][2] = { { "net/core/somaxconn", "1024\n" } };

        set_boot_id(BOOT_A);
        apply_ok("server");
        ck_assert_int_eq(state_set_active(&m->state, NULL), 0);
        ck_assert_int_ge(manager_save_state(m), 0);
        reboot_into(BOOT_B, sysctld, ELEMENTSOF(sysctld));
        ck_assert_ptr_null(m->profile);
        assert_proc("net/core/somaxconn", "1024"); /* not boot A's 4096 */
        assert_proc("net/ipv4/tcp_max_syn_backlog", "2048");
        assert_baseline_empty(NULL);
}
END_TEST

/* A state file of an older version has no boot id: written before this boot began, its originals are an
 * earlier boot's; written since (the package upgrade restarted the daemon), they are this boot's. */
START_TEST(test_baseline_legacy_state) {
        _cleanup_free_ char *state = path_in(root, "var/lib/wstuned/state.json");
        static const char legacy[] = "{\"version\":1,\"active_profile\":\"server\",\"baseline\":{\"sysctl\":{"
                                     "\"net/core/somaxconn\":\"128\"}}}\n";
        static const char *const taken_again[][2] = {
                { "net/core/somaxconn", "4096" },
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
        };
        static const char *const kept[][2] = {
                { "net/core/somaxconn", "128" },
                { "net/ipv4/tcp_max_syn_backlog", "2048" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/tcp_fin_timeout", "60" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
        };

        set_boot_id(BOOT_B);
        tree_write(root, "var/lib/wstuned/state.json", legacy);
        ck_assert_int_eq(chmod(state, 0600), 0);
        struct timespec long_ago[2] = { { 1000000000, 0 }, { 1000000000, 0 } }; /* 2001 */
        ck_assert_int_eq(utimensat(AT_FDCWD, state, long_ago, 0), 0);
        manager_startup(m);
        assert_baseline("server", taken_again);
        ck_assert_str_eq(m->state.boot_id, BOOT_B);

        m = manager_free(m);
        tree_reset();
        tree_write(root, "var/lib/wstuned/state.json", legacy); /* now: after this boot began */
        m = manager_on_tree();
        manager_startup(m);
        assert_baseline("server", kept);
        ck_assert_str_eq(m->state.boot_id, BOOT_B);
}
END_TEST

/* Without a readable boot id nothing is taken again (as before boot ids were kept). */
START_TEST(test_baseline_no_boot_id) {
        apply_ok("server");
        ck_assert_ptr_null(m->state.boot_id);
        m = manager_free(m);
        tree_reset();
        write_proc("net/core/somaxconn", "1024\n");
        m = manager_on_tree();
        manager_startup(m);
        assert_baseline("server", server_baseline);
}
END_TEST

static Suite *manager_suite(void) {
        Suite *s = suite_create("manager");
        TCase *tc;

        tc = tcase_create("apply");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_apply);
        tcase_add_test(tc, test_dry_run);
        tcase_add_test(tc, test_reapply_writes_nothing);
        tcase_add_test(tc, test_baseline_first_change_only);
        tcase_add_test(tc, test_switch_profile);
        tcase_add_test(tc, test_at_least_never_lowers);
        tcase_add_test(tc, test_raise_only);
        tcase_add_test(tc, test_warn);
        tcase_add_test(tc, test_ignore);
        tcase_add_test(tc, test_ignore_restores);
        tcase_add_test(tc, test_pending);
        tcase_add_test(tc, test_failing_key);
        tcase_add_test(tc, test_original_not_utf8);
        tcase_add_test(tc, test_write_does_not_stick);
        tcase_add_test(tc, test_unknown_profile);
        tcase_add_test(tc, test_invalid_profile);
        tcase_add_test(tc, test_state_not_saveable);
        suite_add_tcase(s, tc);

        tc = tcase_create("lifecycle");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_restart_after_reboot);
        tcase_add_test(tc, test_restart_keeps_baseline);
        tcase_add_test(tc, test_startup_finishes_revert);
        tcase_add_test(tc, test_startup_removes_temp_files);
        tcase_add_test(tc, test_startup_from_settings);
        tcase_add_test(tc, test_startup_broken_state);
        tcase_add_test(tc, test_startup_newer_state);
        tcase_add_test(tc, test_revert_without_profile);
        tcase_add_test(tc, test_reload);
        tcase_add_test(tc, test_baseline_new_boot);
        tcase_add_test(tc, test_baseline_same_boot);
        tcase_add_test(tc, test_baseline_new_boot_finishes_revert);
        tcase_add_test(tc, test_baseline_legacy_state);
        tcase_add_test(tc, test_baseline_no_boot_id);
        suite_add_tcase(s, tc);

        tc = tcase_create("query");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_get);
        tcase_add_test(tc, test_verify);
        tcase_add_test(tc, test_secret_keys);
        tcase_add_test(tc, test_verify_pressure);
        tcase_add_test(tc, test_metrics_key_states);
        tcase_add_test(tc, test_sysctld_conflicts);
        tcase_add_test(tc, test_sysctld_read_once);
        suite_add_tcase(s, tc);

        /* regressions: bugs these tests found, fixed since */
        tc = tcase_create("regressions");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_revert_shorter_original);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(manager_suite());
}
