/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sysctl-d.c - who sets a key in sysctl.d, by systemd-sysctl's rules: tables of files (names, contents) and
 * the line each key resolves to; the order and masking of the files; the files read from a scratch tree (links,
 * /dev/null, hidden and other names) and the cache that reads them again only after a change. */
#include <sys/stat.h>
#include <utime.h>

#include "sysctl-d.h"
#include "test-helpers.h"

#define FILES_MAX 4
#define LOOKUPS_MAX 5

typedef struct Lookup {
        const char *path;  /* the key asked for, path form */
        const char *file;  /* NULL: nothing sets it */
        unsigned line;
        const char *value; /* as written in the file, whitespace around it stripped */
        bool ignore_failure;
} Lookup;

typedef struct ParseCase {
        const char *what;
        struct {
                const char *path;
                const char *content; /* NULL: masked (a link to /dev/null) or unreadable */
                size_t size;         /* 0: strlen(content) */
        } files[FILES_MAX];
        Lookup lookups[LOOKUPS_MAX];
        size_t n_invalid;
} ParseCase;

/* a literal with a NUL inside: its size says where it ends */
#define WITH_SIZE(s) s, sizeof(s) - 1

static const ParseCase parse_cases[] = {
        { "dot form",
          { { "/etc/sysctl.d/a.conf", "net.core.somaxconn = 1024\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "1024" } } },
        { "slash form",
          { { "/etc/sysctl.d/a.conf", "net/core/somaxconn=1024" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "1024" } } },
        { "leading slash, doubled slashes and . segments",
          { { "/etc/sysctl.d/a.conf", "/net//core/./somaxconn = 7\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "7" } } },
        { "dot form: a slash is a literal dot (VLAN interface)",
          { { "/etc/sysctl.d/a.conf", "net.ipv4.conf.eth0/100.rp_filter = 2\n" } },
          { { "net/ipv4/conf/eth0.100/rp_filter", "/etc/sysctl.d/a.conf", 1, "2" },
            { "net/ipv4/conf/eth0/100/rp_filter" } } },
        { "slash form: a dot stays a dot",
          { { "/etc/sysctl.d/a.conf", "net/ipv4/conf/eth0.100/rp_filter = 2\n" } },
          { { "net/ipv4/conf/eth0.100/rp_filter", "/etc/sysctl.d/a.conf", 1, "2" } } },
        { "whitespace around key and value, CR LF, value with inner whitespace kept",
          { { "/etc/sysctl.d/a.conf", "\n  net.ipv4.ip_local_port_range\t=\t 1024  65000 \r\n" } },
          { { "net/ipv4/ip_local_port_range", "/etc/sysctl.d/a.conf", 2, "1024  65000" } } },
        { "comments with # and ;, indented too; empty lines",
          { { "/etc/sysctl.d/a.conf",
              "# net.core.somaxconn = 1\n; net.core.somaxconn = 2\n\n   # net.core.somaxconn = 3\n"
              "\t; net.core.somaxconn = 4\n" } },
          { { "net/core/somaxconn" } } },
        { "a comment character after the value is part of the value",
          { { "/etc/sysctl.d/a.conf", "net.core.somaxconn = 1024 # big\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "1024 # big" } } },
        { "leading -: errors ignored, the key is set",
          { { "/etc/sysctl.d/a.conf", "-net.core.somaxconn = 5\n- net.core.netdev_max_backlog=6\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "5", true },
            { "net/core/netdev_max_backlog", "/etc/sysctl.d/a.conf", 2, "6", true } } },
        { "lines that are not assignments are ignored, the rest still counts",
          { { "/etc/sysctl.d/a.conf", "this is not an assignment\nnet.core.somaxconn=7\n[section]\n=5\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 2, "7" } },
          3 },
        { "an empty value is a value",
          { { "/etc/sysctl.d/a.conf", "kernel.domainname =\n" } },
          { { "kernel/domainname", "/etc/sysctl.d/a.conf", 1, "" } } },
        { "a later line of the same file wins",
          { { "/etc/sysctl.d/a.conf", "net.core.somaxconn = 1\nnet.core.somaxconn = 2\nnet/core/somaxconn = 3\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 3, "3" } } },
        { "a later file wins",
          { { "/usr/lib/sysctl.d/50-a.conf", "net.core.somaxconn = 1\n" },
            { "/etc/sysctl.d/60-gce-network-security.conf", "net.core.somaxconn = 2\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/60-gce-network-security.conf", 1, "2" } } },
        { "the same value again leaves the first line in charge, as systemd keeps it",
          { { "/etc/sysctl.d/10-a.conf", "net.core.somaxconn = 1\n" },
            { "/etc/sysctl.d/20-b.conf", "\nnet.core.somaxconn = 1\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/10-a.conf", 1, "1" } } },
        { "same value with '-' later: still the first line, errors ignored",
          { { "/etc/sysctl.d/10-a.conf", "net.core.somaxconn = 1\n" },
            { "/etc/sysctl.d/20-b.conf", "-net.core.somaxconn = 1\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/10-a.conf", 1, "1", true } } },
        { "a masked file (link to /dev/null) sets nothing",
          { { "/etc/sysctl.d/60-gce-network-security.conf", NULL },
            { "/etc/sysctl.d/70-b.conf", "net.core.netdev_max_backlog = 3\n" } },
          { { "net/core/somaxconn" },
            { "net/core/netdev_max_backlog", "/etc/sysctl.d/70-b.conf", 1, "3" } } },
        { "a NUL ends a line, as for systemd",
          { { "/etc/sysctl.d/a.conf", WITH_SIZE("net.core.somaxconn = 1\0net.core.netdev_max_backlog = 2\n") } },
          { { "net/core/somaxconn", "/etc/sysctl.d/a.conf", 1, "1" },
            { "net/core/netdev_max_backlog", "/etc/sysctl.d/a.conf", 2, "2" } } },
        { "no newline at the end",
          { { "/etc/sysctl.d/a.conf", "net.core.somaxconn = 1\nnet.core.netdev_max_backlog = 2" } },
          { { "net/core/netdev_max_backlog", "/etc/sysctl.d/a.conf", 2, "2" } } },
        { "a glob sets every key it matches",
          { { "/etc/sysctl.d/a.conf", "net.ipv4.conf.*.rp_filter = 2\n" } },
          { { "net/ipv4/conf/all/rp_filter", "/etc/sysctl.d/a.conf", 1, "2" },
            { "net/ipv4/conf/eth0.100/rp_filter", "/etc/sysctl.d/a.conf", 1, "2" },
            { "net/ipv4/conf/all/accept_redirects" },
            { "net/ipv4/conf/rp_filter" } } },
        { "'*' does not cross a '/'",
          { { "/etc/sysctl.d/a.conf", "net.* = 1\nnet.core.? = 2\n" } },
          { { "net/core/somaxconn" }, { "net/core/x", "/etc/sysctl.d/a.conf", 2, "2" } } },
        { "character classes",
          { { "/etc/sysctl.d/a.conf", "net.ipv4.conf.eth[01].rp_filter = 0\n" } },
          { { "net/ipv4/conf/eth1/rp_filter", "/etc/sysctl.d/a.conf", 1, "0" }, { "net/ipv4/conf/eth2/rp_filter" } } },
        { "an explicit key wins over a later glob",
          { { "/etc/sysctl.d/10-a.conf", "net.ipv4.conf.all.rp_filter = 1\n" },
            { "/etc/sysctl.d/20-b.conf", "net.ipv4.conf.*.rp_filter = 2\n" } },
          { { "net/ipv4/conf/all/rp_filter", "/etc/sysctl.d/10-a.conf", 1, "1" },
            { "net/ipv4/conf/default/rp_filter", "/etc/sysctl.d/20-b.conf", 1, "2" } } },
        { "of two globs the later wins",
          { { "/etc/sysctl.d/10-a.conf", "net.ipv4.conf.*.rp_filter = 1\n" },
            { "/etc/sysctl.d/20-b.conf", "net.ipv4.conf.e*.rp_filter = 2\n" } },
          { { "net/ipv4/conf/eth0/rp_filter", "/etc/sysctl.d/20-b.conf", 1, "2" },
            { "net/ipv4/conf/all/rp_filter", "/etc/sysctl.d/10-a.conf", 1, "1" } } },
        { "a glob given again with another value moves last; with the same value it stays",
          { { "/etc/sysctl.d/10-a.conf", "net.ipv4.conf.*.rp_filter = 1\nnet.ipv4.conf.*.log_martians = 1\n" },
            { "/etc/sysctl.d/20-b.conf", "net.ipv4.conf.e*.rp_filter = 2\nnet.ipv4.conf.e*.log_martians = 2\n" },
            { "/etc/sysctl.d/30-c.conf", "net.ipv4.conf.*.rp_filter = 3\nnet.ipv4.conf.*.log_martians = 1\n" } },
          { { "net/ipv4/conf/eth0/rp_filter", "/etc/sysctl.d/30-c.conf", 1, "3" },
            { "net/ipv4/conf/eth0/log_martians", "/etc/sysctl.d/20-b.conf", 2, "2" } } },
        { "-key keeps globs off the key",
          { { "/etc/sysctl.d/10-a.conf", "-net.ipv4.conf.all.rp_filter\n" },
            { "/etc/sysctl.d/20-b.conf", "net.ipv4.conf.*.rp_filter = 2\n" } },
          { { "net/ipv4/conf/all/rp_filter" },
            { "net/ipv4/conf/lo/rp_filter", "/etc/sysctl.d/20-b.conf", 1, "2" } } },
        { "-key in a later file undoes an earlier assignment",
          { { "/etc/sysctl.d/10-a.conf", "net.core.somaxconn = 5\n" },
            { "/etc/sysctl.d/20-b.conf", "-net.core.somaxconn\n" } },
          { { "net/core/somaxconn" } } },
        { "an assignment after -key sets the key again",
          { { "/etc/sysctl.d/10-a.conf", "-net.core.somaxconn\n" },
            { "/etc/sysctl.d/20-b.conf", "net.core.somaxconn = 6\n" } },
          { { "net/core/somaxconn", "/etc/sysctl.d/20-b.conf", 1, "6" } } },
        { "-glob alone does nothing",
          { { "/etc/sysctl.d/10-a.conf", "net.ipv4.conf.*.rp_filter = 2\n" },
            { "/etc/sysctl.d/20-b.conf", "-net.ipv4.conf.e*.rp_filter\n" } },
          { { "net/ipv4/conf/eth0/rp_filter", "/etc/sysctl.d/10-a.conf", 1, "2" } } },
};

START_TEST(test_parse) {
        const ParseCase *c = &parse_cases[_i];
        _cleanup_(sysctld_config_done) SysctldConfig config = {};
        SysctldFile files[FILES_MAX] = {};
        size_t n = 0;

        for (; n < FILES_MAX && c->files[n].path; n++)
                files[n] = (SysctldFile) {
                        .path = (char *) c->files[n].path,
                        .content = (char *) c->files[n].content,
                        .size = c->files[n].size ?: (c->files[n].content ? strlen(c->files[n].content) : 0),
                };
        ck_assert_int_eq(sysctld_parse(files, n, &config), 0);
        ck_assert_msg(config.n_invalid == c->n_invalid, "%s: %zu invalid lines, expected %zu", c->what,
                      config.n_invalid, c->n_invalid);
        for (size_t i = 0; i < LOOKUPS_MAX && c->lookups[i].path; i++) {
                const Lookup *l = &c->lookups[i];
                const SysctldAssignment *a = sysctld_lookup(&config, l->path);
                if (!l->file) {
                        ck_assert_msg(!a, "%s: %s: set by %s:%u, expected nothing", c->what, l->path, a ? a->file : "",
                                      a ? a->line : 0);
                        continue;
                }
                ck_assert_msg(a, "%s: %s: nothing sets it, expected %s:%u", c->what, l->path, l->file, l->line);
                ck_assert_msg(streq(a->file, l->file) && a->line == l->line && streq_ptr(a->value, l->value) &&
                                      a->ignore_failure == l->ignore_failure,
                              "%s: %s: %s:%u \"%s\"%s, expected %s:%u \"%s\"%s", c->what, l->path, a->file, a->line,
                              strempty(a->value), a->ignore_failure ? " (-)" : "", l->file, l->line, l->value,
                              l->ignore_failure ? " (-)" : "");
        }
}
END_TEST

static const struct {
        const char *in, *out;
} normalize_cases[] = {
        { "net.core.somaxconn", "net/core/somaxconn" },
        { "net/core/somaxconn", "net/core/somaxconn" },
        { "net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter" },
        { "net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter" },
        { "/net/core/somaxconn/", "net/core/somaxconn" },
        { "net//core/./somaxconn", "net/core/somaxconn" },
        { ".net.core", "net/core" }, /* dot form: the leading '.' is an empty segment */
        { "net.ipv4.conf.*.rp_filter", "net/ipv4/conf/*/rp_filter" },
        { "kernel", "kernel" },
        { "", "" },
};

START_TEST(test_key_normalize) {
        _cleanup_free_ char *out = NULL;

        ck_assert_int_eq(sysctld_key_normalize(normalize_cases[_i].in, &out), 0);
        ck_assert_str_eq(out, normalize_cases[_i].out);
}
END_TEST

/* The files as found, directory by directory in precedence order, and what systemd-sysctl reads of them. */
typedef struct OrderCase {
        const char *what;
        const char *found[8][2]; /* name, path */
        const char *read[8];     /* paths, in reading order */
} OrderCase;

static const OrderCase order_cases[] = {
        { "sorted by name across directories",
          { { "99-sysctl.conf", "/etc/sysctl.conf" },
            { "60-gce-network-security.conf", "/etc/sysctl.d/60-gce-network-security.conf" },
            { "10-a.conf", "/run/sysctl.d/10-a.conf" },
            { "50-pid-max.conf", "/usr/lib/sysctl.d/50-pid-max.conf" } },
          { "/run/sysctl.d/10-a.conf", "/usr/lib/sysctl.d/50-pid-max.conf",
            "/etc/sysctl.d/60-gce-network-security.conf", "/etc/sysctl.conf" } },
        { "a name in an earlier directory masks it in later ones",
          { { "50-pid-max.conf", "/etc/sysctl.d/50-pid-max.conf" },
            { "50-pid-max.conf", "/run/sysctl.d/50-pid-max.conf" },
            { "99-protect-links.conf", "/usr/lib/sysctl.d/99-protect-links.conf" },
            { "50-pid-max.conf", "/usr/lib/sysctl.d/50-pid-max.conf" },
            { "50-pid-max.conf", "/lib/sysctl.d/50-pid-max.conf" },
            { "99-protect-links.conf", "/lib/sysctl.d/99-protect-links.conf" } },
          { "/etc/sysctl.d/50-pid-max.conf", "/usr/lib/sysctl.d/99-protect-links.conf" } },
        { "byte order, not locale order",
          { { "b.conf", "/etc/sysctl.d/b.conf" },
            { "B.conf", "/etc/sysctl.d/B.conf" },
            { "a.conf", "/etc/sysctl.d/a.conf" },
            { "10.conf", "/etc/sysctl.d/10.conf" },
            { "9.conf", "/etc/sysctl.d/9.conf" } },
          { "/etc/sysctl.d/10.conf", "/etc/sysctl.d/9.conf", "/etc/sysctl.d/B.conf", "/etc/sysctl.d/a.conf",
            "/etc/sysctl.d/b.conf" } },
        { "nothing", {}, {} },
};

START_TEST(test_order) {
        const OrderCase *c = &order_cases[_i];
        SysctldFile *files = calloc(8, sizeof(SysctldFile));
        size_t n = 0, k;

        ck_assert_ptr_nonnull(files);
        for (; n < 8 && c->found[n][0]; n++)
                files[n] = (SysctldFile) { .name = strdup(c->found[n][0]), .path = strdup(c->found[n][1]) };
        k = sysctld_files_order(files, n);
        for (size_t i = 0; i < k && i < 8; i++)
                ck_assert_msg(c->read[i] && streq(files[i].path, c->read[i]), "%s: file %zu is %s, expected %s",
                              c->what, i, files[i].path, c->read[i] ?: "none");
        ck_assert_msg(k == 8 || !c->read[k], "%s: %zu files, expected more", c->what, k);
        sysctld_files_free(files, k);
}
END_TEST

/* ---- files on a scratch tree ---- */

static char *root;

static void setup(void) {
        root = scratch_dir_new();
}

static void teardown(void) {
        rm_rf(root);
        free(TAKE_PTR(root));
}

static void tree_link(const char *target, const char *rel) {
        _cleanup_free_ char *p = path_in(root, rel), *parent = strdup(p);
        make_dirs(dirname(parent));
        ck_assert_msg(symlink(target, p) == 0, "symlink %s: %m", p);
}

static const SysctldAssignment *lookup(const SysctldCache *c, const char *path) {
        return sysctld_lookup(&c->config, path);
}

#define assert_set_by(cache, path, where, val)                                                                   \
        do {                                                                                                     \
                const SysctldAssignment *_a = lookup(cache, path);                                               \
                char _w[256];                                                                                    \
                ck_assert_msg(_a, "%s: nothing sets it, expected %s", path, where);                              \
                snprintf(_w, sizeof _w, "%s:%u", _a->file, _a->line);                                            \
                ck_assert_msg(streq(_w, where) && streq(_a->value, val), "%s: %s \"%s\", expected %s \"%s\"", path, \
                              _w, _a->value, where, val);                                                        \
        } while (0)

/* A Debian 12 host on GCE: the distribution's files in /usr/lib, /lib a link to usr/lib, sysctl.conf through
 * Debian's link, the image's file in /etc, an admin's mask in /etc and one in /run. */
START_TEST(test_read_tree) {
        _cleanup_(sysctld_cache_done) SysctldCache cache = {};

        tree_write(root, "usr/lib/sysctl.d/50-pid-max.conf", "kernel.pid_max = 4194304\n");
        tree_write(root, "usr/lib/sysctl.d/99-protect-links.conf",
                   "fs.protected_fifos = 1\nfs.protected_regular = 2\n");
        tree_write(root, "usr/lib/sysctl.d/70-masked.conf", "net.core.somaxconn = 128\n");
        tree_link("usr/lib", "lib");
        tree_write(root, "etc/sysctl.d/60-gce-network-security.conf",
                   "# Google Compute Engine\n"
                   "net.ipv4.tcp_syncookies = 1\n"
                   "net.ipv4.conf.all.rp_filter = 1\n"
                   "net.ipv4.conf.default.rp_filter = 1\n"
                   "net.core.somaxconn = 1024\n");
        tree_write(root, "etc/sysctl.d/README.sysctl", "net.core.somaxconn = 1\n");             /* not *.conf */
        tree_write(root, "etc/sysctl.d/.hidden.conf", "net.core.somaxconn = 2\n");              /* hidden */
        tree_write(root, "etc/sysctl.d/60-gce-network-security.conf~", "net.core.somaxconn = 3\n"); /* backup */
        _cleanup_free_ char *dir = path_in(root, "etc/sysctl.d/dir.conf");
        make_dirs(dir); /* a directory */
        tree_link("/dev/null", "etc/sysctl.d/70-masked.conf");
        tree_link("../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
        tree_write(root, "etc/sysctl.conf", "#\n# /etc/sysctl.conf\n#\nfs.protected_regular = 0\n");
        tree_write(root, "run/sysctl.d/80-vlan.conf", "net/ipv4/conf/eth0.100/rp_filter = 2\n");
        /* an absolute link target is taken under the root */
        tree_write(root, "srv/tuning.conf", "net.ipv4.tcp_fin_timeout = 20\n");
        tree_link("/srv/tuning.conf", "usr/local/lib/sysctl.d/85-tuning.conf");

        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.d/60-gce-network-security.conf:5", "1024");
        assert_set_by(&cache, "net/ipv4/conf/all/rp_filter", "/etc/sysctl.d/60-gce-network-security.conf:3", "1");
        assert_set_by(&cache, "kernel/pid_max", "/usr/lib/sysctl.d/50-pid-max.conf:1", "4194304");
        assert_set_by(&cache, "fs/protected_fifos", "/usr/lib/sysctl.d/99-protect-links.conf:1", "1");
        /* "99-protect-links.conf" < "99-sysctl.conf": sysctl.conf comes last and wins */
        assert_set_by(&cache, "fs/protected_regular", "/etc/sysctl.conf:4", "0");
        assert_set_by(&cache, "net/ipv4/conf/eth0.100/rp_filter", "/run/sysctl.d/80-vlan.conf:1", "2");
        assert_set_by(&cache, "net/ipv4/tcp_fin_timeout", "/srv/tuning.conf:1", "20");
        ck_assert_ptr_null(lookup(&cache, "net/ipv4/tcp_tw_reuse"));

        /* the files read, in order; the masked one and the twins in /lib not among them */
        ck_assert_uint_eq(cache.config.n_files, 6);
        static const char *const read[] = {
                "/usr/lib/sysctl.d/50-pid-max.conf", "/etc/sysctl.d/60-gce-network-security.conf",
                "/run/sysctl.d/80-vlan.conf", "/srv/tuning.conf", "/usr/lib/sysctl.d/99-protect-links.conf",
                "/etc/sysctl.conf",
        };
        for (size_t i = 0; i < ELEMENTSOF(read); i++)
                ck_assert_str_eq(cache.config.files[i], read[i]);
}
END_TEST

/* Read again only after a change: an edit in place (the directory does not change), a new file, a new
 * directory, a link pointed elsewhere, a file removed; not when nothing changed. */
START_TEST(test_cache) {
        _cleanup_(sysctld_cache_done) SysctldCache cache = {};
        _cleanup_free_ char *conf = path_in(root, "etc/sysctl.d/60-a.conf");

        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1); /* nothing there: read once */
        ck_assert_uint_eq(cache.config.n_assignments, 0);
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 0);

        tree_write(root, "etc/sysctl.d/60-a.conf", "net.core.somaxconn = 1024\n");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.d/60-a.conf:1", "1024");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 0);

        /* rewritten in place, same size: the directory's mtime stays, the file's changes */
        struct stat before;
        ck_assert_int_eq(stat(conf, &before), 0);
        FILE *f = fopen(conf, "r+e");
        ck_assert_ptr_nonnull(f);
        fputs("net.core.somaxconn = 2048\n", f);
        fclose(f);
        struct timespec later[2] = { before.st_atim, { before.st_mtim.tv_sec + 1, before.st_mtim.tv_nsec } };
        ck_assert_int_eq(utimensat(AT_FDCWD, conf, later, 0), 0);
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.d/60-a.conf:1", "2048");

        /* appended to */
        tree_write(root, "etc/sysctl.d/60-a.conf", "net.core.somaxconn = 2048\nnet.core.somaxconn = 4096\n");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.d/60-a.conf:2", "4096");

        /* a directory that did not exist */
        tree_write(root, "run/sysctl.d/70-b.conf", "net.core.somaxconn = 8\n");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/run/sysctl.d/70-b.conf:1", "8");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 0);

        /* a link to a file outside the directories, then that file edited */
        tree_write(root, "etc/sysctl.conf", "net.core.somaxconn = 9\n");
        tree_link("../sysctl.conf", "etc/sysctl.d/99-sysctl.conf");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.conf:1", "9");
        tree_write(root, "etc/sysctl.conf", "# the admin's\nnet.core.somaxconn = 10\n");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.conf:2", "10");

        /* Debian's link replaced by a mask: sysctl.conf is no longer read. The new link is made under another name
         * first (not *.conf: not read), then renamed over the old one, as ln -sf does */
        tree_link("/dev/null", "etc/sysctl.d/99-sysctl.conf.new");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1); /* the directory changed; the result did not */
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.conf:2", "10");
        _cleanup_free_ char *link = path_in(root, "etc/sysctl.d/99-sysctl.conf"),
                            *new_link = path_in(root, "etc/sysctl.d/99-sysctl.conf.new");
        ck_assert_int_eq(rename(new_link, link), 0);
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/run/sysctl.d/70-b.conf:1", "8");

        /* a file removed */
        _cleanup_free_ char *b = path_in(root, "run/sysctl.d/70-b.conf");
        ck_assert_int_eq(unlink(b), 0);
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        assert_set_by(&cache, "net/core/somaxconn", "/etc/sysctl.d/60-a.conf:2", "4096");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 0);
}
END_TEST

/* A file bigger than the cap is left out, as unreadable; its name still masks its twins. */
START_TEST(test_file_too_big) {
        _cleanup_(sysctld_cache_done) SysctldCache cache = {};
        _cleanup_free_ char *big = malloc(SYSCTLD_FILE_SIZE_MAX + 2);

        ck_assert_ptr_nonnull(big);
        memset(big, '#', SYSCTLD_FILE_SIZE_MAX + 1);
        memcpy(big, "net.core.somaxconn = 1\n", 23);
        big[SYSCTLD_FILE_SIZE_MAX + 1] = '\0';
        tree_write(root, "etc/sysctl.d/50-big.conf", big);
        tree_write(root, "usr/lib/sysctl.d/50-big.conf", "net.core.somaxconn = 2\n");
        tree_write(root, "usr/lib/sysctl.d/40-small.conf", "net.core.netdev_max_backlog = 3\n");
        ck_assert_int_eq(sysctld_cache_refresh(&cache, root), 1);
        ck_assert_ptr_null(lookup(&cache, "net/core/somaxconn"));
        assert_set_by(&cache, "net/core/netdev_max_backlog", "/usr/lib/sysctl.d/40-small.conf:1", "3");
}
END_TEST

static Suite *sysctld_suite(void) {
        Suite *s = suite_create("sysctl-d");
        TCase *tc;

        tc = tcase_create("parse");
        tcase_add_loop_test(tc, test_parse, 0, ELEMENTSOF(parse_cases));
        tcase_add_loop_test(tc, test_key_normalize, 0, ELEMENTSOF(normalize_cases));
        tcase_add_loop_test(tc, test_order, 0, ELEMENTSOF(order_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("files");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_read_tree);
        tcase_add_test(tc, test_cache);
        tcase_add_test(tc, test_file_too_big);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(sysctld_suite());
}
