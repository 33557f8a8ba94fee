/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-helpers.h - scratch directories, small file helpers and main() shared by the unit tests. */
#pragma once

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "caller.h"
#include "journal.h"
#include "util/util.h"

/* Every scratch directory of one test binary lives under this one, which main() removes when the run
 * ends. Check forks each test and a failing test exits at once, so a test's own cleanup is not enough
 * to keep /tmp clean. */
static char *test_base_dir;

static inline int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

/* rm -rf, never following symlinks (one test links a key to /dev/null) nor leaving the file system. */
static inline void rm_rf(const char *path) {
        (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* A fresh directory for one test. */
static inline char *scratch_dir_new(void) {
        char *d;

        ck_assert_int_ge(asprintf(&d, "%s/t-XXXXXX", test_base_dir), 0);
        ck_assert_ptr_nonnull(mkdtemp(d));
        return d;
}

static inline char *path_in(const char *dir, const char *rel) {
        char *p;
        ck_assert_int_ge(asprintf(&p, "%s/%s", dir, rel), 0);
        return p;
}

/* mkdir -p, independent of the mkdir_parents() under test. */
static inline void make_dirs(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        ck_assert_ptr_nonnull(p);
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                ck_assert_msg(mkdir(p, 0755) >= 0 || errno == EEXIST, "mkdir %s: %m", p);
                *s = c;
                if (c == '\0')
                        break;
        }
}

/* Write dir/rel (creating its parent directories) with exactly size bytes. */
static inline void tree_write_n(const char *dir, const char *rel, const char *data, size_t size) {
        _cleanup_free_ char *p = path_in(dir, rel), *parent = strdup(p);

        ck_assert_ptr_nonnull(parent);
        make_dirs(dirname(parent));
        FILE *f = fopen(p, "we");
        ck_assert_msg(f, "fopen %s: %m", p);
        ck_assert_uint_eq(fwrite(data, 1, size, f), size);
        ck_assert_int_eq(fclose(f), 0);
}

static inline void tree_write(const char *dir, const char *rel, const char *text) {
        tree_write_n(dir, rel, text, strlen(text));
}

/* The raw content of dir/rel, or NULL when it does not exist. */
static inline char *tree_read(const char *dir, const char *rel) {
        _cleanup_free_ char *p = path_in(dir, rel);
        char *buf = NULL;
        size_t size = 0;
        FILE *f = fopen(p, "re");

        if (!f) {
                ck_assert_msg(errno == ENOENT, "fopen %s: %m", p);
                return NULL;
        }
        FILE *out = open_memstream(&buf, &size);
        ck_assert_ptr_nonnull(out);
        for (int c; (c = fgetc(f)) != EOF;)
                fputc(c, out);
        ck_assert_int_eq(ferror(f), 0);
        fclose(f);
        fclose(out);
        return buf;
}

static inline bool tree_exists(const char *dir, const char *rel) {
        _cleanup_free_ char *p = path_in(dir, rel);
        return access(p, F_OK) == 0;
}

/* The names in a directory, "." and ".." left out, sorted and joined with spaces. */
static inline char *dir_list(const char *dir) {
        struct dirent **names;
        char *joined = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&joined, &size);
        int n = scandir(dir, &names, NULL, alphasort);

        ck_assert_msg(n >= 0, "scandir %s: %m", dir);
        ck_assert_ptr_nonnull(f);
        for (int i = 0; i < n; i++) {
                if (!streq(names[i]->d_name, ".") && !streq(names[i]->d_name, ".."))
                        fprintf(f, "%s%s", ftell(f) > 0 ? " " : "", names[i]->d_name);
                free(names[i]);
        }
        free(names);
        fclose(f);
        return joined;
}

/* The value of dir/proc/sys/<path> as the kernel would show it, without its one trailing newline (a
 * write does not carry it); NULL when the key is absent. */
static inline char *proc_sys_value(const char *dir, const char *path) {
        _cleanup_free_ char *rel = NULL;
        ck_assert_int_ge(asprintf(&rel, "proc/sys/%s", path), 0);
        char *v = tree_read(dir, rel);
        size_t n = v ? strlen(v) : 0;
        if (n > 0 && v[n - 1] == '\n')
                v[n - 1] = '\0';
        return v;
}

/* The caller of manager_get() and manager_verify() in tests that are not about who may read what. */
#define AS_ROOT (&(Caller) { .root = 1 })

#define assert_proc_sys(dir, path, expected)                          \
        do {                                                          \
                _cleanup_free_ char *_v = proc_sys_value(dir, path);  \
                ck_assert_msg(_v, "%s is missing", path);             \
                ck_assert_str_eq(_v, expected);                       \
        } while (0)

/* Move the calling test into a network namespace of its own (Check runs each test in a forked child, so the
 * host's namespace is left alone). false, after a SKIP line saying why, when that cannot be done here. */
static inline bool enter_new_netns(const char *test) {
        if (geteuid() != 0) {
                printf("SKIP: %s needs root (unshare(CLONE_NEWNET), CAP_NET_ADMIN)\n", test);
                return false;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("SKIP: %s: unshare(CLONE_NEWNET): %m\n", test);
                return false;
        }
        return true;
}

/* Move the calling test into a mount namespace of its own, whose mounts do not propagate back (Check runs
 * each test in a forked child: they go away with it), so it may mount a small tmpfs or a read-only bind
 * mount inside its scratch root. false, after a SKIP line saying why, when that cannot be done here. */
static inline bool enter_new_mountns(const char *test) {
        if (geteuid() != 0) {
                printf("SKIP: %s needs root (unshare(CLONE_NEWNS), mount)\n", test);
                return false;
        }
        /* the source and type are ignored here: "none" rather than NULL keeps memcheck quiet */
        if (unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
                printf("SKIP: %s: no private mount namespace: %m\n", test);
                return false;
        }
        return true;
}

/* Bind-mount dir read-only onto itself; call after enter_new_mountns(). */
static inline void bind_read_only(const char *dir) {
        ck_assert_msg(mount(dir, dir, "none", MS_BIND, NULL) == 0, "bind %s: %m", dir);
        ck_assert_msg(mount("none", dir, "none", MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0, "remount ro %s: %m", dir);
}

static inline int test_main(Suite *s) {
        const char *tmp = getenv("TMPDIR");
        char *base;
        int failed;

        /* Never write to the host journal from a test. */
        log_set_target(LOG_TARGET_STDERR);
        if (asprintf(&base, "%s/wstuned-unit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0 || !mkdtemp(base)) {
                perror("mkdtemp");
                return EXIT_FAILURE;
        }
        test_base_dir = base;

        SRunner *sr = srunner_create(s);
        srunner_run_all(sr, CK_ENV);
        failed = srunner_ntests_failed(sr);
        srunner_free(sr);
        rm_rf(base);
        free(base);
        return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
