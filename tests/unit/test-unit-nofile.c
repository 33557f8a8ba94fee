/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-unit-nofile.c - a unit's own LimitNOFILE=: values as systemd's rlimit parser takes them (each bad one
 * with its exact error), unit files and drop-ins as systemd's config parser reads them (sections, comments,
 * continued lines, the last valid assignment winning), and the lookup on a scratch tree: the unit search path,
 * masked units, drop-ins merged by name across directories, wstuned's own left out. */
#include <inttypes.h>
#include <sys/stat.h>

#include "test-helpers.h"
#include "unit-nofile.h"

#define INF UNIT_NOFILE_INFINITY

/* ---- one value ---- */

typedef struct ValueCase {
        const char *value;
        int ret;
        uint64_t soft, hard;
} ValueCase;

static const ValueCase value_cases[] = {
        { "infinity", 0, INF, INF },
        { "200000", 0, 200000, 200000 },
        { "1024:524288", 0, 1024, 524288 },
        { "1024:infinity", 0, 1024, INF },
        { "infinity:infinity", 0, INF, INF },
        { "0", 0, 0, 0 },
        { "4096:", 0, 4096, 4096 },          /* rlimit_parse(): an empty hard limit is the soft one */
        { "  4096", 0, 4096, 4096 },          /* safe_atou64() skips leading blanks */
        { "1024: 4096", 0, 1024, 4096 },
        { "1024:4096:", 0, 1024, 4096 },      /* the hard limit ends at a second ':' with nothing after it */
        { "18446744073709551614", 0, 18446744073709551614ull, 18446744073709551614ull },
        /* strtoull() with base 0, and systemd's own prefixes */
        { "+4096", 0, 4096, 4096 },
        { "0x1000", 0, 4096, 4096 },
        { "010", 0, 8, 8 },
        { "0b101", 0, 5, 5 },
        { "0o17", 0, 15, 15 },
        { "-0", 0, 0, 0 },
        /* bad ones: systemd ignores such an assignment */
        { "", -EINVAL },
        { ":4096", -EINVAL },
        { "4096 ", -EINVAL },
        { "1024 :4096", -EINVAL },
        { "unlimited", -EINVAL },               /* limits.conf's word, not systemd's */
        { "Infinity", -EINVAL },
        { " infinity", -EINVAL },
        { "64K", -EINVAL },                     /* sizes take suffixes, NOFILE does not */
        { "0b102", -EINVAL },
        { "1:2:3", -EINVAL },
        { "1:2::", -EINVAL },
        { "-1", -ERANGE },
        { "1024:-1", -ERANGE },
        { "18446744073709551615", -ERANGE },    /* RLIM_INFINITY as a number */
        { "18446744073709551616", -ERANGE },
        { "99999999999999999999999", -ERANGE },
        { "4096:1024", -EILSEQ },               /* soft above hard */
        { "infinity:1024", -EILSEQ },
};

START_TEST(test_value) {
        const ValueCase *c = &value_cases[_i];
        uint64_t soft = 7, hard = 7;

        ck_assert_msg(unit_nofile_value_parse(c->value, strlen(c->value), &soft, &hard) == c->ret, "\"%s\"",
                      c->value);
        if (c->ret < 0) {
                ck_assert_uint_eq(soft, 7);
                ck_assert_uint_eq(hard, 7);
                return;
        }
        ck_assert_uint_eq(soft, c->soft);
        ck_assert_uint_eq(hard, c->hard);
}
END_TEST

/* Only n bytes count: the value is a slice of a line. */
START_TEST(test_value_slice) {
        uint64_t soft = 0, hard = 0;

        ck_assert_int_eq(unit_nofile_value_parse("4096:8192\nLimitNOFILE=1", 9, &soft, &hard), 0);
        ck_assert_uint_eq(soft, 4096);
        ck_assert_uint_eq(hard, 8192);
        ck_assert_int_eq(unit_nofile_value_parse("infinityX", 8, &soft, &hard), 0);
        ck_assert_uint_eq(soft, INF);
}
END_TEST

/* ---- one file ---- */

typedef struct FileCase {
        const char *text;
        int ret;        /* assignments taken, or the error */
        bool set;       /* after the file, starting from nothing set */
        uint64_t soft, hard;
} FileCase;

static const FileCase file_cases[] = {
        /* docker-ce 23/24's docker.service, trimmed */
        { "[Unit]\nDescription=Docker Application Container Engine\nAfter=network-online.target\n\n"
          "[Service]\nType=notify\nExecStart=/usr/bin/dockerd -H fd://\n"
          "# Having non-zero Limit*s causes performance problems due to accounting overhead\n"
          "# in the kernel. We recommend using cgroups to do container-local accounting.\n"
          "LimitNPROC=infinity\nLimitCORE=infinity\nLimitNOFILE=infinity\n\n[Install]\nWantedBy=multi-user.target\n",
          1, true, INF, INF },
        { "[Service]\nLimitNOFILE=1048576\n", 1, true, 1048576, 1048576 },
        { "[Service]\nLimitNOFILE=1024:524288", 1, true, 1024, 524288 }, /* no final newline */
        { "[Service]\nExecStart=/usr/bin/containerd\n", 0, false },
        { "", 0, false },
        /* the last valid assignment wins; an invalid one is ignored, an empty one too */
        { "[Service]\nLimitNOFILE=infinity\nLimitNOFILE=4096\n", 2, true, 4096, 4096 },
        { "[Service]\nLimitNOFILE=4096\nLimitNOFILE=lots\n", 1, true, 4096, 4096 },
        { "[Service]\nLimitNOFILE=4096\nLimitNOFILE=\n", 1, true, 4096, 4096 },
        { "[Service]\nLimitNOFILE=8192:4096\n", 0, false },
        /* only [Service] counts; section names are exact */
        { "[Unit]\nLimitNOFILE=4096\n", 0, false },
        { "LimitNOFILE=4096\n", 0, false },
        { "[Service]\n[Install]\nLimitNOFILE=4096\n", 0, false },
        { "[service]\nLimitNOFILE=4096\n", 0, false },
        { "[ Service ]\nLimitNOFILE=4096\n", 0, false },
        { "[Service\nLimitNOFILE=4096\n", 0, false },
        { "[Install]\n[Service]\nLimitNOFILE=4096\n", 1, true, 4096, 4096 },
        { "[Service]\nLimitNOFILE=1\n[Unit]\n[Service]\nLimitNOFILE=2\n", 2, true, 2, 2 },
        /* keys are exact; blanks around them and the value are not part of them */
        { "[Service]\nlimitnofile=4096\n", 0, false },
        { "[Service]\nLimitNOFILESoft=4096\n", 0, false },
        { "[Service]\nDefaultLimitNOFILE=4096\n", 0, false },
        { "[Service]\n  LimitNOFILE  =  4096  \n", 1, true, 4096, 4096 },
        { "[Service]\n\tLimitNOFILE=\t1024:2048\t\n", 1, true, 1024, 2048 },
        /* comments, also amid a continued line, and blank lines */
        { "[Service]\n#LimitNOFILE=4096\n;LimitNOFILE=8192\n  # LimitNOFILE=1\n", 0, false },
        { "[Service]\nLimitNOFILE=4096 # not a comment\n", 0, false },
        { "[Service]\nLimitNOFILE=\\\n4096\n", 1, true, 4096, 4096 }, /* "LimitNOFILE= 4096" */
        { "[Service]\nLimitNOFILE=1024:\\\n# comment\n4096\n", 1, true, 1024, 4096 },
        { "[Service]\nLimitNOFILE=4096\\\n", 1, true, 4096, 4096 },  /* "4096 " at the end of the file */
        { "[Service]\nLimitNOFILE=4096\\\\\n", 0, false },             /* an escaped backslash: no continuation */
        { "[Service]\nExecStart=/bin/true \\\n  LimitNOFILE=4096\n", 0, false },
        /* line ends */
        { "[Service]\r\nLimitNOFILE=4096\r\n", 1, true, 4096, 4096 },
        { "[Service]\rLimitNOFILE=4096\r", 1, true, 4096, 4096 },
        { "\xef\xbb\xbf[Service]\nLimitNOFILE=4096\n", 1, true, 4096, 4096 }, /* a UTF-8 byte order mark */
        /* not text */
        { "[Service]\nLimitNOFILE=4096\n\0", -EINVAL },
};

START_TEST(test_file) {
        const FileCase *c = &file_cases[_i];
        size_t size = strlen(c->text) + (c->ret == -EINVAL); /* the NUL case keeps its NUL */
        UnitNofile n = {};

        ck_assert_msg(unit_nofile_parse(c->text, size, &n) == c->ret, "case %d", _i);
        ck_assert_msg(n.set == c->set, "case %d: set %d", _i, n.set);
        if (c->set) {
                ck_assert_uint_eq(n.soft, c->soft);
                ck_assert_uint_eq(n.hard, c->hard);
        }
}
END_TEST

/* A drop-in goes on from what the unit file set: one without LimitNOFILE= keeps it. */
static int parse_text(const char *text, UnitNofile *n) {
        return unit_nofile_parse(text, strlen(text), n);
}

START_TEST(test_file_merges) {
        UnitNofile n = {};

        ck_assert_int_eq(parse_text("[Service]\nLimitNOFILE=infinity\n", &n), 1);
        ck_assert_int_eq(parse_text("[Service]\nTasksMax=100\n", &n), 0);
        ck_assert(n.set);
        ck_assert_uint_eq(n.hard, INF);
        ck_assert_int_eq(parse_text("[Service]\nLimitNOFILE=4096\n", &n), 1);
        ck_assert_uint_eq(n.soft, 4096);
        ck_assert_uint_eq(n.hard, 4096);
}
END_TEST

typedef struct FormatCase {
        uint64_t soft, hard;
        const char *text;
} FormatCase;

static const FormatCase format_cases[] = {
        { INF, INF, "infinity" },
        { 1048576, 1048576, "1048576" },
        { 1024, 524288, "1024:524288" },
        { 1024, INF, "1024:infinity" },
        { 18446744073709551614ull, 18446744073709551614ull, "18446744073709551614" },
        { 1, 18446744073709551614ull, "1:18446744073709551614" },
};

START_TEST(test_format) {
        const FormatCase *c = &format_cases[_i];
        char buf[UNIT_NOFILE_STRING_MAX];
        uint64_t soft, hard;

        ck_assert_str_eq(unit_nofile_format(c->soft, c->hard, buf), c->text);
        /* and back */
        ck_assert_int_eq(unit_nofile_value_parse(buf, strlen(buf), &soft, &hard), 0);
        ck_assert_uint_eq(soft, c->soft);
        ck_assert_uint_eq(hard, c->hard);
}
END_TEST

typedef struct LowersCase {
        UnitNofile ours, own;
        bool lowers;
} LowersCase;

static const LowersCase lowers_cases[] = {
        { { true, 200000, 200000 }, { true, INF, INF }, true },
        { { true, 200000, 200000 }, { true, 1024, 524288 }, true },   /* the hard limit */
        { { true, 200000, 200000 }, { true, 1048576, 1048576 }, true },
        { { true, 200000, INF }, { true, 1024, INF }, false },
        { { true, 200000, 200000 }, { true, 4096, 4096 }, false },
        { { true, 200000, 200000 }, { true, 200000, 200000 }, false },
        { { true, 200000, 200000 }, { false }, false },                 /* the unit has none of its own */
        { { false }, { true, INF, INF }, false },
};

START_TEST(test_lowers) {
        const LowersCase *c = &lowers_cases[_i];

        ck_assert_int_eq(unit_nofile_lowers(&c->ours, &c->own), c->lowers);
}
END_TEST

/* ---- the lookup on a scratch tree ---- */

static char *root;

static void setup(void) {
        root = scratch_dir_new();
}

static void teardown(void) {
        rm_rf(root);
        free(TAKE_PTR(root));
}

#define OURS "/etc/systemd/system/docker.service.d/90-wstuned.conf"
#define UNIT(limit) "[Unit]\nDescription=Docker\n[Service]\nExecStart=/usr/bin/dockerd\n" limit
#define DROPIN(limit) "[Service]\n" limit "\n"

static void tree_link(const char *target, const char *rel) {
        _cleanup_free_ char *p = path_in(root, rel), *dir = strdup(p);

        *strrchr(dir, '/') = '\0';
        make_dirs(dir);
        ck_assert_msg(symlink(target, p) == 0, "symlink %s: %m", p);
}

typedef struct File {
        const char *rel;
        const char *text; /* NULL: a link to link */
        const char *link;
} File;

typedef struct LoadCase {
        const char *what;
        File files[6];
        int ret;
        UnitNofile own, with_ours;
} LoadCase;

static const LoadCase load_cases[] = {
        { "docker-ce 24 in /lib", { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") } }, 0,
          { true, INF, INF }, { true, INF, INF } },
        { "/usr/lib", { { "usr/lib/systemd/system/docker.service", UNIT("LimitNOFILE=1048576\n") } }, 0,
          { true, 1048576, 1048576 }, { true, 1048576, 1048576 } },
        { "none of its own (docker 25)", { { "usr/lib/systemd/system/docker.service", UNIT("") } }, 0, { false }, { false } },
        { "not installed", { { "lib/systemd/system/containerd.service", UNIT("LimitNOFILE=infinity\n") } }, -ENOENT },
        { "not installed, only drop-ins",
          { { "etc/systemd/system/docker.service.d/override.conf", DROPIN("LimitNOFILE=infinity") } }, -ENOENT },
        /* the first directory of the search path that has the unit file is the one */
        { "/etc hides /lib",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { "etc/systemd/system/docker.service", UNIT("LimitNOFILE=4096\n") } },
          0, { true, 4096, 4096 }, { true, 4096, 4096 } },
        { "/run hides /usr/local/lib",
          { { "usr/local/lib/systemd/system/docker.service", UNIT("LimitNOFILE=4096\n") },
            { "run/systemd/system/docker.service", UNIT("") } },
          0, { false }, { false } },
        { "masked", { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
                      { "etc/systemd/system/docker.service", NULL, "/dev/null" } }, -ERFKILL },
        { "masked by an empty file", { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
                                       { "etc/systemd/system/docker.service", "" } }, -ERFKILL },
        { "linked (systemctl link): an absolute target is inside the root",
          { { "opt/docker/docker.service", UNIT("LimitNOFILE=2048\n") },
            { "etc/systemd/system/docker.service", NULL, "/opt/docker/docker.service" } },
          0, { true, 2048, 2048 }, { true, 2048, 2048 } },
        { "a relative link", { { "lib/systemd/system/dockerd.service", UNIT("LimitNOFILE=2048\n") },
                               { "lib/systemd/system/docker.service", NULL, "dockerd.service" } },
          0, { true, 2048, 2048 }, { true, 2048, 2048 } },
        /* drop-ins by name, across directories; the last assignment wins */
        { "an admin's override lowers it",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { "etc/systemd/system/docker.service.d/override.conf", DROPIN("LimitNOFILE=4096") } },
          0, { true, 4096, 4096 }, { true, 4096, 4096 } },
        { "by name, not by directory",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=1024\n") },
            { "etc/systemd/system/docker.service.d/10-a.conf", DROPIN("LimitNOFILE=2048") },
            { "run/systemd/system/docker.service.d/20-b.conf", DROPIN("LimitNOFILE=infinity") },
            { "usr/lib/systemd/system/docker.service.d/15-c.conf", DROPIN("LimitNOFILE=3072") } },
          0, { true, INF, INF }, { true, INF, INF } },
        { "of one name, the earlier directory's",
          { { "lib/systemd/system/docker.service", UNIT("") },
            { "etc/systemd/system/docker.service.d/x.conf", DROPIN("LimitNOFILE=2048") },
            { "lib/systemd/system/docker.service.d/x.conf", DROPIN("LimitNOFILE=infinity") } },
          0, { true, 2048, 2048 }, { true, 2048, 2048 } },
        { "a drop-in masked by name",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { "lib/systemd/system/docker.service.d/50-low.conf", DROPIN("LimitNOFILE=1024") },
            { "etc/systemd/system/docker.service.d/50-low.conf", NULL, "/dev/null" } },
          0, { true, INF, INF }, { true, INF, INF } },
        { "service.d applies to every service",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { "etc/systemd/system/service.d/10-all.conf", DROPIN("LimitNOFILE=65536") } },
          0, { true, 65536, 65536 }, { true, 65536, 65536 } },
        { "not .conf, hidden, a directory, another unit's",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { "etc/systemd/system/docker.service.d/low.conf.bak", DROPIN("LimitNOFILE=1") },
            { "etc/systemd/system/docker.service.d/.#90-wstuned.confAb12Cd", DROPIN("LimitNOFILE=1") },
            { "etc/systemd/system/docker.service.d/dir.conf/x", DROPIN("LimitNOFILE=1") },
            { "etc/systemd/system/containerd.service.d/low.conf", DROPIN("LimitNOFILE=1") } },
          0, { true, INF, INF }, { true, INF, INF } },
        /* wstuned's own: left out of own, in its place in with_ours */
        { "ours lowers it",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { OURS + 1, DROPIN("LimitNOFILE=200000:200000") } },
          0, { true, INF, INF }, { true, 200000, 200000 } },
        { "ours, then a later drop-in",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n") },
            { OURS + 1, DROPIN("LimitNOFILE=200000:200000") },
            { "run/systemd/system/docker.service.d/99-admin.conf", DROPIN("LimitNOFILE=1048576") } },
          0, { true, 1048576, 1048576 }, { true, 1048576, 1048576 } },
        { "ours hides one of its name further down, while it is there",
          { { "lib/systemd/system/docker.service", UNIT("LimitNOFILE=4096\n") },
            { OURS + 1, DROPIN("LimitNOFILE=200000:200000") },
            { "lib/systemd/system/docker.service.d/90-wstuned.conf", DROPIN("LimitNOFILE=infinity") } },
          0, { true, INF, INF }, { true, 200000, 200000 } },
};

START_TEST(test_load) {
        const LoadCase *c = &load_cases[_i];
        UnitNofile own = { .set = true, .soft = 7, .hard = 7 }, with = own;

        for (size_t i = 0; i < ELEMENTSOF(c->files) && c->files[i].rel; i++)
                if (c->files[i].text)
                        tree_write(root, c->files[i].rel, c->files[i].text);
                else
                        tree_link(c->files[i].link, c->files[i].rel);

        ck_assert_msg(unit_nofile_load(root, "docker.service", OURS, &own, &with) == c->ret, "%s", c->what);
        if (c->ret < 0) {
                ck_assert_int_eq(unit_file_find(root, "docker.service", NULL), c->ret);
                return;
        }
        ck_assert_int_eq(unit_file_find(root, "docker.service", NULL), 0);
        ck_assert_msg(own.set == c->own.set && (!own.set || (own.soft == c->own.soft && own.hard == c->own.hard)),
                      "%s: own %d %" PRIu64 ":%" PRIu64, c->what, own.set, own.soft, own.hard);
        ck_assert_msg(with.set == c->with_ours.set &&
                              (!with.set || (with.soft == c->with_ours.soft && with.hard == c->with_ours.hard)),
                      "%s: with ours %d %" PRIu64 ":%" PRIu64, c->what, with.set, with.soft, with.hard);
}
END_TEST

/* A file that cannot be read stops the lookup: what the unit has is not known. */
START_TEST(test_load_errors) {
        _cleanup_free_ char *fifo = path_in(root, "etc/systemd/system/docker.service.d/x.conf"), *big = NULL;
        UnitNofile own;

        tree_write(root, "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n"));
        tree_write(root, "etc/systemd/system/docker.service.d/keep", "");
        ck_assert_int_eq(mkfifo(fifo, 0644), 0);
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", OURS, &own, NULL), -EBADFD);
        ck_assert_int_eq(unlink(fifo), 0);

        tree_write_n(root, "etc/systemd/system/docker.service.d/nul.conf", "[Service]\n\0", 11);
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", OURS, &own, NULL), -EINVAL);
        _cleanup_free_ char *nul = path_in(root, "etc/systemd/system/docker.service.d/nul.conf");
        ck_assert_int_eq(unlink(nul), 0);

        big = malloc(UNIT_FILE_SIZE_MAX + 2);
        ck_assert_ptr_nonnull(big);
        memset(big, '#', UNIT_FILE_SIZE_MAX + 1);
        big[UNIT_FILE_SIZE_MAX + 1] = '\0';
        tree_write(root, "etc/systemd/system/docker.service.d/big.conf", big);
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", OURS, &own, NULL), -EFBIG);
}
END_TEST

START_TEST(test_load_too_many_dropins) {
        UnitNofile own;

        tree_write(root, "lib/systemd/system/docker.service", UNIT("LimitNOFILE=infinity\n"));
        for (unsigned i = 0; i < UNIT_DROPINS_MAX; i++) {
                char rel[96];
                snprintf(rel, sizeof rel, "etc/systemd/system/docker.service.d/%03u.conf", i);
                tree_write(root, rel, DROPIN("TasksMax=100"));
        }
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", OURS, &own, NULL), 0);
        tree_write(root, "run/systemd/system/docker.service.d/one-more.conf", DROPIN("TasksMax=100"));
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", OURS, &own, NULL), -E2BIG);
}
END_TEST

static Suite *unit_nofile_suite(void) {
        Suite *s = suite_create("unit-nofile");
        TCase *tc;

        tc = tcase_create("parse");
        tcase_add_loop_test(tc, test_value, 0, ELEMENTSOF(value_cases));
        tcase_add_test(tc, test_value_slice);
        tcase_add_loop_test(tc, test_file, 0, ELEMENTSOF(file_cases));
        tcase_add_test(tc, test_file_merges);
        tcase_add_loop_test(tc, test_format, 0, ELEMENTSOF(format_cases));
        tcase_add_loop_test(tc, test_lowers, 0, ELEMENTSOF(lowers_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("load");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_load, 0, ELEMENTSOF(load_cases));
        tcase_add_test(tc, test_load_errors);
        tcase_add_test(tc, test_load_too_many_dropins);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(unit_nofile_suite());
}
