/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-manager-limits.c - the file-descriptor limits through the manager on a scratch tree: the limit
 * files written to exact bytes with their originals in the baseline, daemon.json merged or left alone,
 * switching and reverting, the fs.nr_open and fs.file-max checks that refuse a profile before anything
 * is written, a directory that cannot be written, and Verify of the files and of running processes (only
 * those the profile's owner rules and the docker layer's units accept: a name alone proves nothing).
 *
 * The docker layer never lowers a limit: it compares with the unit's own LimitNOFILE= (its unit file and
 * drop-ins, without wstuned's), leaves its drop-in out where that is already at least the profile's, and
 * Verify flags one that lowers it; nothing is written for what is not installed unless the profile says
 * "docker": "always".
 *
 * Each test gets its own root: <root>/proc/sys/fs holds nr_open and file-max as regular files, fake
 * processes live in <root>/proc/PID, the limit files go to <root>/etc/..., the vendor profiles are in
 * <root>/profiles and the state file is <root>/var/lib/wstuned/state.json. Docker is installed: its units
 * are in <root>/lib/systemd/system, without a LimitNOFILE= of their own (as docker-ce 25 and containerd 2
 * ship them), unless a test says otherwise. */
#include <sys/stat.h>

#include "limit-files.h"
#include "limits-apply.h"
#include "manager.h"
#include "test-helpers.h"
#include "unit-nofile.h"

#define NR_OPEN "1048576"
#define FILE_MAX "9223372036854775807"
#define NOFILE "nofile 65536:524288"

static char *root, *profiles;
static Manager *m;

/* Every layer, the default domains "*" and "root". */
#define ALL_LIMITS "\"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 524288 } }"

static const char *const test_profiles[][2] = {
        { "all", "{ \"description\": \"all layers\", " ALL_LIMITS " }" },
        { "pam",
          "{ \"limits\": { \"nofile\": { \"soft\": 32768, \"hard\": 65536 }, \"layers\": [\"pam\"] } }" },
        { "plain", "{ \"description\": \"no limits\" }" },
        { "big", "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 2000000 } } }" },
        { "big-raise",
          "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 2000000 }, \"raise_nr_open\": true } }" },
        /* raise_nr_open cannot override the profile's own fs.nr_open */
        { "big-own-nr-open",
          "{ \"sysctl\": { \"fs.nr_open\": 1500000 },"
          "  \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 2000000 }, \"raise_nr_open\": true } }" },
        { "at-nr-open", "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 1048576 } } }" },
        { "file-max", "{ \"sysctl\": { \"fs.file-max\": 1048576 }, " ALL_LIMITS " }" },
        { "file-max-low", "{ \"sysctl\": { \"fs.file-max\": 1048575 }, " ALL_LIMITS " }" },
        { "watch",
          "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 524288 }, \"layers\": [\"pam\"],"
          "  \"processes\": [\"ws-go\"], \"services\": [\"ws-api.service\"] } }" },
        { "p200k", "{ \"limits\": { \"nofile\": 200000 } }" },
        { "always",
          "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 524288 }, \"docker\": \"always\" } }" },
        { "watch-owner",
          "{ \"limits\": { \"nofile\": { \"soft\": 65536, \"hard\": 524288 }, \"layers\": [\"pam\"],"
          "  \"processes\": [\"ws-go\", { \"name\": \"ws-dev\", \"owner\": \"any\" },"
          "                  { \"name\": \"ws-admin\", \"owner\": \"root\" }],"
          "  \"services\": [\"ws-api.service\"] } }" },
};

static void write_proc(const char *path, const char *content) {
        _cleanup_free_ char *rel = NULL;
        ck_assert_int_ge(asprintf(&rel, "proc/sys/%s", path), 0);
        tree_write(root, rel, content);
}

#define proc_value(path) proc_sys_value(root, path)
#define assert_proc(path, expected) assert_proc_sys(root, path, expected)

static const char *strnull(const char *s) {
        return s ?: "(null)";
}

static Manager *manager_on_tree(void) {
        Manager *n = NULL;

        ck_assert_int_eq(manager_new(&n), 0);
        ck_assert_int_eq(paths_init(&n->paths, root, root, profiles), 0);
        return n;
}

#define UNIT_DIR "lib/systemd/system/"
#define DOCKER_UNIT_FILE UNIT_DIR "docker.service"
#define CONTAINERD_UNIT_FILE UNIT_DIR "containerd.service"

/* A unit file as the packages ship it, with service_lines in its [Service] section. */
static void install_unit(const char *rel, const char *service_lines) {
        _cleanup_free_ char *text = NULL;

        ck_assert_int_ge(asprintf(&text,
                                  "[Unit]\nDescription=test unit\n\n[Service]\nType=notify\nExecStart=/usr/bin/true\n%s"
                                  "\n[Install]\nWantedBy=multi-user.target\n",
                                  service_lines),
                         0);
        tree_write(root, rel, text);
}

static void uninstall(const char *rel) {
        _cleanup_free_ char *p = path_in(root, rel);
        ck_assert_int_eq(unlink(p), 0);
}

static void setup(void) {
        root = scratch_dir_new();
        profiles = path_in(root, "profiles");
        install_unit(DOCKER_UNIT_FILE, "");
        install_unit(CONTAINERD_UNIT_FILE, "");
        write_proc("fs/nr_open", NR_OPEN "\n");
        write_proc("fs/file-max", FILE_MAX "\n");
        for (size_t i = 0; i < ELEMENTSOF(test_profiles); i++) {
                _cleanup_free_ char *rel = NULL;
                ck_assert_int_ge(asprintf(&rel, "profiles/%s.json", test_profiles[i][0]), 0);
                tree_write(root, rel, test_profiles[i][1]);
        }
        m = manager_on_tree();
}

static void teardown(void) {
        m = manager_free(m);
        rm_rf(root);
        free(TAKE_PTR(profiles));
        free(TAKE_PTR(root));
}

/* f's path inside the scratch root. */
static const char *rel(LimitFile f) {
        return limit_file_path(f) + 1;
}

static Profile *profile_get(const char *name) {
        _cleanup_free_ char *error = NULL;
        Profile *p = NULL;

        ck_assert_msg(profile_load((const char *const *) m->paths.profile_dirs, name, &p, &error) == 0,
                      "profile %s: %s", name, strempty(error));
        return p;
}

/* What f holds after applying profile name; docker_json_before is daemon.json before (NULL: none). */
static char *expected_content(LimitFile f, const char *name, const char *docker_json_before) {
        _cleanup_(profile_freep) Profile *p = profile_get(name);
        _cleanup_free_ char *error = NULL;
        char *want = NULL;

        if (f == LIMIT_FILE_DOCKER_JSON)
                ck_assert_int_eq(limits_merge_docker_json(docker_json_before,
                                                          docker_json_before ? strlen(docker_json_before) : 0,
                                                          limit_file_path(f), &p->limits, &want, &error),
                                 0);
        else
                ck_assert_int_eq(limits_render(f, &p->limits, p->name, &want), 0);
        return want;
}

static unsigned file_mode(const char *relpath) {
        _cleanup_free_ char *p = path_in(root, relpath);
        struct stat st;

        ck_assert_msg(stat(p, &st) >= 0, "stat %s: %m", p);
        return st.st_mode & 07777;
}

/* relpath holds exactly content (NULL: does not exist) with mode. */
static void assert_file(const char *relpath, const char *content, unsigned mode) {
        _cleanup_free_ char *now = tree_read(root, relpath);

        ck_assert_msg(streq_ptr(now, content), "%s: got\n%s\nexpected\n%s", relpath, strnull(now),
                      strnull(content));
        if (content)
                ck_assert_msg(file_mode(relpath) == mode, "%s: mode %04o, expected %04o", relpath,
                              file_mode(relpath), mode);
}

/* Every limit file holds what applying profile name writes, new files 0644. */
static void assert_files_of(const char *name, const char *docker_json_before) {
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *want = expected_content(f, name, docker_json_before);
                assert_file(rel(f), want, 0644);
        }
}

static void assert_no_limit_files(void) {
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                ck_assert_msg(!tree_exists(root, rel(f)), "%s exists", rel(f));
}

/* The drop-ins are wholly wstuned's: none is left (daemon.json is the admin's). */
static void assert_dropins_gone(void) {
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                if (limit_file_is_dropin(f))
                        ck_assert_msg(!tree_exists(root, rel(f)), "%s left behind", rel(f));
}

static void assert_row(const Report *r, size_t i, const char *a, const char *b, const char *c, const char *d) {
        const char *want[4] = { a, b, c, d };

        ck_assert_msg(i < r->n, "row %zu missing (%zu rows)", i, r->n);
        for (size_t j = 0; j < 4; j++)
                ck_assert_msg(streq(r->rows[i].col[j], want[j]),
                              "row %zu column %zu: got \"%s\", expected \"%s\"", i, j, r->rows[i].col[j],
                              want[j]);
}

static void assert_rows_n(const Report *r, const char *const (*rows)[4], size_t n) {
        for (size_t i = 0; i < r->n && i < n; i++)
                assert_row(r, i, rows[i][0], rows[i][1], rows[i][2], rows[i][3]);
        ck_assert_msg(r->n == n, "%zu rows, expected %zu", r->n, n);
}
#define assert_rows(r, rows) assert_rows_n(r, rows, ELEMENTSOF(rows))

static char *written(LimitFile f) {
        char *s;
        ck_assert_int_ge(asprintf(&s, "written: takes effect for %s", limit_file_takes_effect(f)), 0);
        return s;
}

/* The file baseline, in memory and in state.json, holds exactly the n entries (content NULL: the file did
 * not exist). */
typedef struct FileEntry {
        LimitFile file;
        const char *content;
        unsigned mode;
} FileEntry;

static void assert_file_baseline_n(const FileEntry *entries, size_t n) {
        _cleanup_free_ char *path = path_in(root, "var/lib/wstuned/state.json"), *error = NULL;
        _cleanup_(state_done) State disk = {};
        const State *states[] = { &m->state, &disk };

        ck_assert_msg(state_load(path, &disk, &error) == 0, "%s", strempty(error));
        for (size_t s = 0; s < ELEMENTSOF(states); s++) {
                const char *where = s == 0 ? "memory" : "state.json";
                for (size_t i = 0; i < n; i++) {
                        const FileBaseline *b = state_file_get(states[s], limit_file_path(entries[i].file));
                        ck_assert_msg(b, "%s: no baseline for %s", where, limit_file_path(entries[i].file));
                        ck_assert_msg(streq_ptr(b->content, entries[i].content), "%s: %s: baseline \"%s\"",
                                      where, b->path, strnull(b->content));
                        if (entries[i].content)
                                ck_assert_msg(b->meta.mode == entries[i].mode, "%s: %s: mode %04o, expected %04o",
                                              where, b->path, b->meta.mode, entries[i].mode);
                }
                ck_assert_msg(states[s]->n_files == n, "%s: %zu file baselines, expected %zu", where,
                              states[s]->n_files, n);
        }
}
#define assert_file_baseline(entries) assert_file_baseline_n(entries, ELEMENTSOF(entries))
#define assert_file_baseline_empty() assert_file_baseline_n(NULL, 0)

static int apply(const char *name, Report *changes, char **error) {
        return manager_apply(m, name, false, 0, changes, error);
}

static void apply_ok(const char *name) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_msg(apply(name, &changes, &error) == 0, "apply %s: %s", name, strempty(error));
        ck_assert_ptr_null(error);
}

static void revert_ok(Report *changes) {
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(manager_revert(m, 0, changes, &error), 0);
        ck_assert_ptr_null(error);
}

typedef struct FileStamp {
        ino_t ino;
        struct timespec mtime;
} FileStamp;

static FileStamp stamp(const char *relpath) {
        _cleanup_free_ char *p = path_in(root, relpath);
        struct stat st;

        ck_assert_msg(stat(p, &st) >= 0, "stat %s: %m", p);
        return (FileStamp) { .ino = st.st_ino, .mtime = st.st_mtim };
}

static bool stamp_eq(FileStamp a, FileStamp b) {
        return a.ino == b.ino && a.mtime.tv_sec == b.mtime.tv_sec && a.mtime.tv_nsec == b.mtime.tv_nsec;
}

/* ---- writing the files ---- */

START_TEST(test_apply_all_layers) {
        _cleanup_(report_done) Report changes = {}, again = {};
        _cleanup_free_ char *error = NULL;
        FileStamp before[_LIMIT_FILE_MAX];
        static const FileEntry baseline[] = {
                { LIMIT_FILE_PAM },
                { LIMIT_FILE_SYSTEMD },
                { LIMIT_FILE_DOCKER_UNIT },
                { LIMIT_FILE_CONTAINERD_UNIT },
                { LIMIT_FILE_DOCKER_JSON },
        };

        ck_assert_int_eq(apply("all", &changes, &error), 0);
        ck_assert_ptr_null(error);
        assert_files_of("all", NULL);
        /* the renderer is tested on its own; these say it was fed the profile's numbers */
        _cleanup_free_ char *pam = tree_read(root, rel(LIMIT_FILE_PAM)),
                            *systemd = tree_read(root, rel(LIMIT_FILE_SYSTEMD)),
                            *docker = tree_read(root, rel(LIMIT_FILE_DOCKER_JSON));
        ck_assert_ptr_nonnull(strstr(pam, "\n*    hard nofile 524288\n"));
        ck_assert_ptr_nonnull(strstr(pam, "\nroot soft nofile 65536\n"));
        ck_assert_ptr_nonnull(strstr(systemd, "\nDefaultLimitNOFILE=65536:524288\n"));
        ck_assert_str_eq(docker, "{\n"
                                 "  \"default-ulimits\": {\n"
                                 "    \"nofile\": {\n"
                                 "      \"Name\": \"nofile\",\n"
                                 "      \"Hard\": 524288,\n"
                                 "      \"Soft\": 65536\n"
                                 "    }\n"
                                 "  }\n"
                                 "}\n");

        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
        }
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        assert_file_baseline(baseline);
        ck_assert_str_eq(m->state.active_profile, "all");
        ck_assert_str_eq(m->profile->name, "all");

        /* the same again: nothing to write, not even the same bytes */
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                before[f] = stamp(rel(f));
        ck_assert_int_eq(apply("all", &again, &error), 0);
        ck_assert_uint_eq(again.n, 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                ck_assert_msg(stamp_eq(stamp(rel(f)), before[f]), "%s was rewritten", rel(f));
        assert_files_of("all", NULL);
        assert_file_baseline(baseline);
}
END_TEST

START_TEST(test_dry_run) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *listing = NULL;

        ck_assert_int_eq(manager_apply(m, "all", true, 0, &changes, &error), 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, "would-write");
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        listing = dir_list(root);
        ck_assert_str_eq(listing, "lib proc profiles"); /* no etc/, no state */
        ck_assert_ptr_null(m->profile);
        ck_assert_uint_eq(m->state.n_files, 0);
}
END_TEST

static const char admin_docker_json[] = "{\n"
                                        "    \"log-driver\": \"journald\",\n"
                                        "    \"default-ulimits\": {\n"
                                        "        \"nproc\": { \"Name\": \"nproc\", \"Hard\": 4096, \"Soft\": 2048 }\n"
                                        "    },\n"
                                        "    \"max-concurrent-downloads\": 12345678901234567890,\n"
                                        "    \"debug\": true\n"
                                        "}\n";

/* The admin's daemon.json keeps its keys, its nproc entry and its mode; the original comes back on Revert,
 * also from a daemon restarted in between (the baseline round-trips through state.json). */
START_TEST(test_docker_json_merged) {
        _cleanup_(report_done) Report changes = {}, reverted = {};
        _cleanup_free_ char *error = NULL, *now = NULL, *result = written(LIMIT_FILE_DOCKER_JSON);
        const FileEntry baseline[] = {
                { LIMIT_FILE_PAM },
                { LIMIT_FILE_SYSTEMD },
                { LIMIT_FILE_DOCKER_UNIT },
                { LIMIT_FILE_CONTAINERD_UNIT },
                { LIMIT_FILE_DOCKER_JSON, admin_docker_json, 0600 },
        };
        _cleanup_free_ char *docker = path_in(root, "etc/docker/daemon.json");

        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        ck_assert_int_eq(chmod(docker, 0600), 0);

        ck_assert_int_eq(apply("all", &changes, &error), 0);
        assert_row(&changes, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", "present", NOFILE, result);
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        now = tree_read(root, "etc/docker/daemon.json");
        ck_assert_str_eq(now, "{\n"
                              "  \"log-driver\": \"journald\",\n"
                              "  \"default-ulimits\": {\n"
                              "    \"nproc\": {\n"
                              "      \"Name\": \"nproc\",\n"
                              "      \"Hard\": 4096,\n"
                              "      \"Soft\": 2048\n"
                              "    },\n"
                              "    \"nofile\": {\n"
                              "      \"Name\": \"nofile\",\n"
                              "      \"Hard\": 524288,\n"
                              "      \"Soft\": 65536\n"
                              "    }\n"
                              "  },\n"
                              "  \"max-concurrent-downloads\": 12345678901234567890,\n"
                              "  \"debug\": true\n"
                              "}\n");
        ck_assert_uint_eq(file_mode("etc/docker/daemon.json"), 0600);
        for (LimitFile f = 0; f < LIMIT_FILE_DOCKER_JSON; f++) {
                _cleanup_free_ char *want = expected_content(f, "all", NULL);
                assert_file(rel(f), want, 0644);
        }
        assert_file_baseline(baseline);

        /* a restart re-applies without rows and keeps the originals */
        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        ck_assert_str_eq(m->profile->name, "all");
        assert_file_baseline(baseline);

        /* the original mode comes back even when the file's mode was changed since */
        ck_assert_int_eq(chmod(docker, 0644), 0);
        revert_ok(&reverted);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&reverted, f, limit_file_path(f), "wstuned's",
                           f == LIMIT_FILE_DOCKER_JSON ? "original" : "(none)", "restore");
        ck_assert_uint_eq(reverted.n, _LIMIT_FILE_MAX);
        assert_file("etc/docker/daemon.json", admin_docker_json, 0600);
        assert_dropins_gone();
        assert_file_baseline_empty();
        ck_assert_ptr_null(m->profile);
        ck_assert_ptr_null(m->state.active_profile);
}
END_TEST

/* A daemon.json that does not parse is the admin's to fix: left byte for byte, reported, the rest written. */
START_TEST(test_docker_json_unparsable) {
        _cleanup_(report_done) Report changes = {}, findings = {}, reverted = {};
        _cleanup_free_ char *error = NULL;
        static const char broken[] = "{\n  \"debug\": true,\n}\n";
        static const FileEntry baseline[] = {
                { LIMIT_FILE_PAM },
                { LIMIT_FILE_SYSTEMD },
                { LIMIT_FILE_DOCKER_UNIT },
                { LIMIT_FILE_CONTAINERD_UNIT },
        };
        _cleanup_free_ char *docker = path_in(root, "etc/docker/daemon.json");

        tree_write(root, "etc/docker/daemon.json", broken);
        ck_assert_int_eq(chmod(docker, 0640), 0);
        FileStamp before = stamp("etc/docker/daemon.json");

        ck_assert_int_eq(apply("all", &changes, &error), 0); /* the failure is in the report */
        ck_assert_ptr_null(error);
        for (LimitFile f = 0; f < LIMIT_FILE_DOCKER_JSON; f++) {
                _cleanup_free_ char *result = written(f), *want = expected_content(f, "all", NULL);
                assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
                assert_file(rel(f), want, 0644);
        }
        assert_row(&changes, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", "", "",
                   "error: /etc/docker/daemon.json:3:1: syntax error");
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        assert_file("etc/docker/daemon.json", broken, 0640);
        ck_assert(stamp_eq(stamp("etc/docker/daemon.json"), before));
        assert_file_baseline(baseline);
        ck_assert_str_eq(m->profile->name, "all");

        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        for (LimitFile f = 0; f < LIMIT_FILE_DOCKER_JSON; f++)
                assert_row(&findings, f, limit_file_path(f), NOFILE, NOFILE, "ok");
        assert_row(&findings, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", NOFILE, "other content",
                   "drifted");
        ck_assert_uint_eq(findings.n, _LIMIT_FILE_MAX);

        revert_ok(&reverted);
        ck_assert_uint_eq(reverted.n, LIMIT_FILE_DOCKER_JSON); /* nothing to restore for daemon.json */
        assert_file("etc/docker/daemon.json", broken, 0640);
        assert_dropins_gone();
        assert_file_baseline_empty();
}
END_TEST

/* A profile with fewer layers restores the files of the others; one without limits restores them all. */
START_TEST(test_switch_profiles) {
        _cleanup_(report_done) Report to_pam = {}, to_plain = {};
        _cleanup_free_ char *error = NULL, *pam_result = written(LIMIT_FILE_PAM);
        _cleanup_free_ char *pam = expected_content(LIMIT_FILE_PAM, "pam", NULL);
        static const FileEntry pam_baseline[] = { { LIMIT_FILE_PAM } };

        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        apply_ok("all");

        ck_assert_int_eq(apply("pam", &to_pam, &error), 0);
        assert_row(&to_pam, 0, limit_file_path(LIMIT_FILE_PAM), "present", "nofile 32768:65536", pam_result);
        for (LimitFile f = 1; f < _LIMIT_FILE_MAX; f++)
                assert_row(&to_pam, f, limit_file_path(f), "wstuned's",
                           f == LIMIT_FILE_DOCKER_JSON ? "original" : "(none)", "restore");
        ck_assert_uint_eq(to_pam.n, _LIMIT_FILE_MAX);
        assert_file(rel(LIMIT_FILE_PAM), pam, 0644);
        ck_assert_ptr_nonnull(strstr(pam, "\n*    hard nofile 65536\n"));
        for (LimitFile f = 1; f < LIMIT_FILE_DOCKER_JSON; f++)
                ck_assert_msg(!tree_exists(root, rel(f)), "%s left behind", rel(f));
        assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        assert_file_baseline(pam_baseline);

        ck_assert_int_eq(apply("plain", &to_plain, &error), 0);
        assert_row(&to_plain, 0, limit_file_path(LIMIT_FILE_PAM), "wstuned's", "(none)", "restore");
        ck_assert_uint_eq(to_plain.n, 1);
        assert_dropins_gone();
        assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        assert_file_baseline_empty();
        ck_assert_str_eq(m->state.active_profile, "plain");
}
END_TEST

/* A directory in the way (a regular file where it should be: unlike a chmod, that stops root too): that
 * file is an error, the others are written, and Revert leaves the obstacle alone. */
typedef struct BlockedCase {
        const char *obstacle;
        LimitFile file;
} BlockedCase;

static const BlockedCase blocked_cases[] = {
        { "etc/docker", LIMIT_FILE_DOCKER_JSON },
        { "etc/systemd/system/docker.service.d", LIMIT_FILE_DOCKER_UNIT },
        { "etc/security/limits.d", LIMIT_FILE_PAM },
};

START_TEST(test_blocked_directory) {
        const BlockedCase *c = &blocked_cases[_i];
        _cleanup_(report_done) Report changes = {}, findings = {}, reverted = {};
        _cleanup_free_ char *error = NULL;

        tree_write(root, c->obstacle, "not a directory\n");
        ck_assert_int_eq(apply("all", &changes, &error), 0);
        ck_assert_ptr_null(error);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f), *want = expected_content(f, "all", NULL);
                if (f == c->file) {
                        assert_row(&changes, f, limit_file_path(f), "", "", "error: Not a directory");
                        continue;
                }
                assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
                assert_file(rel(f), want, 0644);
        }
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        assert_file(c->obstacle, "not a directory\n", 0644);
        ck_assert_ptr_null(state_file_get(&m->state, limit_file_path(c->file)));
        ck_assert_uint_eq(m->state.n_files, _LIMIT_FILE_MAX - 1);

        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        ck_assert_uint_eq(findings.n, _LIMIT_FILE_MAX);
        ck_assert_str_eq(findings.rows[c->file].col[2], "");
        ck_assert_str_eq(findings.rows[c->file].col[3], "error: Not a directory");

        revert_ok(&reverted);
        ck_assert_uint_eq(reverted.n, _LIMIT_FILE_MAX - 1);
        assert_no_limit_files();
        assert_file(c->obstacle, "not a directory\n", 0644);
        assert_file_baseline_empty();
}
END_TEST

/* ---- a full disk, a read-only directory ---- */

/* Mount dir (inside the root) read-only onto itself. */
static void mount_read_only(const char *dir) {
        _cleanup_free_ char *p = path_in(root, dir);

        make_dirs(p);
        bind_read_only(p);
}

/* A 16 KiB tmpfs on dir (inside the root) holding file (its content kept) and a filler that takes every
 * free page. */
static void mount_full(const char *dir, const char *file) {
        _cleanup_free_ char *p = path_in(root, dir), *keep = tree_read(root, file), *filler = path_in(p, "filler");
        char page[4096] = {};

        make_dirs(p);
        ck_assert_msg(mount("tmpfs", p, "tmpfs", 0, "size=16k,mode=755") == 0, "tmpfs on %s: %m", p);
        if (keep)
                tree_write(root, file, keep);
        _cleanup_close_ int fd = open(filler, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        ck_assert_int_ge(fd, 0);
        while (write(fd, page, sizeof page) > 0)
                ;
        ck_assert_int_eq(errno, ENOSPC);
}

static void assert_no_error_rows(const Report *r) {
        for (size_t i = 0; i < r->n; i++)
                ck_assert_msg(strncmp(r->rows[i].col[3], "error", 5) != 0, "%s: %s", r->rows[i].col[0],
                              r->rows[i].col[3]);
}

/* daemon.json on a full file system: its row says ENOSPC and it keeps its bytes, no temporary file stays,
 * the drop-ins are written. Revert cannot put its original back either while the disk is full (that
 * takes a new file): the error is reported and its original stays in the baseline until it can. */
START_TEST(test_full_disk) {
        _cleanup_(report_done) Report changes = {}, reverted = {}, again = {};
        _cleanup_free_ char *error = NULL, *listing = NULL, *filler = path_in(root, "etc/docker/filler"),
                            *written_json = NULL;
        static const FileEntry json_baseline[] = { { LIMIT_FILE_DOCKER_JSON, admin_docker_json, 0644 } };

        if (!enter_new_mountns("test_full_disk"))
                return;
        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        mount_full("etc/docker", "etc/docker/daemon.json");

        ck_assert_int_eq(apply("all", &changes, &error), 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                if (f == LIMIT_FILE_DOCKER_JSON)
                        assert_row(&changes, f, limit_file_path(f), "", "", "error: No space left on device");
                else
                        assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
        }
        assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        _cleanup_free_ char *docker_dir = path_in(root, "etc/docker");
        listing = dir_list(docker_dir);
        ck_assert_str_eq(listing, "daemon.json filler");

        /* with room, daemon.json is written; full again, Revert cannot restore it */
        ck_assert_int_eq(unlink(filler), 0);
        apply_ok("all");
        written_json = tree_read(root, "etc/docker/daemon.json");
        ck_assert_str_ne(written_json, admin_docker_json);
        mount_full("etc/docker", "etc/docker/daemon.json");
        revert_ok(&reverted);
        assert_row(&reverted, LIMIT_FILE_DOCKER_JSON, limit_file_path(LIMIT_FILE_DOCKER_JSON), "", "",
                   "error: No space left on device");
        assert_dropins_gone();
        assert_file("etc/docker/daemon.json", written_json, 0644);
        assert_file_baseline(json_baseline);

        ck_assert_int_eq(unlink(filler), 0);
        revert_ok(&again);
        assert_no_error_rows(&again);
        assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        assert_file_baseline_empty();
}
END_TEST

/* A read-only directory: that file's row says EROFS, the others are written. Revert has nothing to do
 * there (the drop-in was never created, daemon.json kept its bytes and mode), so it must not fail on it:
 * unlink() and chmod() say EROFS even when there is nothing to change. */
typedef struct ReadOnlyCase {
        const char *dir;
        LimitFile file;
} ReadOnlyCase;

static const ReadOnlyCase read_only_cases[] = {
        { "etc/systemd/system.conf.d", LIMIT_FILE_SYSTEMD },
        { "etc/docker", LIMIT_FILE_DOCKER_JSON },
};

START_TEST(test_read_only_directory) {
        const ReadOnlyCase *c = &read_only_cases[_i];
        _cleanup_(report_done) Report changes = {}, reverted = {};
        _cleanup_free_ char *error = NULL;

        if (!enter_new_mountns("test_read_only_directory"))
                return;
        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        mount_read_only(c->dir);

        ck_assert_int_eq(apply("all", &changes, &error), 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                if (f == c->file)
                        assert_row(&changes, f, limit_file_path(f), "", "", "error: Read-only file system");
                else
                        ck_assert_str_eq(changes.rows[f].col[3], result);
        }
        if (c->file == LIMIT_FILE_DOCKER_JSON)
                assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        else
                ck_assert(!tree_exists(root, rel(c->file)));

        revert_ok(&reverted);
        assert_no_error_rows(&reverted);
        assert_dropins_gone();
        assert_file("etc/docker/daemon.json", admin_docker_json, 0644);
        assert_file_baseline_empty();
}
END_TEST

/* ---- the consistency checks ---- */

typedef struct CheckCase {
        const char *nr_open, *file_max; /* the kernel's values */
        const char *profile;
        int ret;
        const char *error; /* after "<profile file>: " */
        const char *nr_open_after, *file_max_after;
} CheckCase;

#define NR_OPEN_ERROR(hard, nr_open)                                                                    \
        "limits.nofile: hard limit " hard " is above fs.nr_open (" nr_open "), so logins would fail; lower " \
        "it, or set \"raise_nr_open\": true"
#define FILE_MAX_ERROR(hard, file_max, twice)                                                                  \
        "limits.nofile: hard limit " hard " does not fit comfortably under fs.file-max (" file_max "); fs.file-max " \
        "needs at least " twice ": raise it in the profile"

static const CheckCase check_cases[] = {
        { NR_OPEN, FILE_MAX, "big", -EINVAL, NR_OPEN_ERROR("2000000", "1048576") },
        { NR_OPEN, FILE_MAX, "at-nr-open", 0, NULL, NR_OPEN, FILE_MAX },             /* equal is fine */
        { "1048575", FILE_MAX, "at-nr-open", -EINVAL, NR_OPEN_ERROR("1048576", "1048575") },
        { "4194304", FILE_MAX, "big", 0, NULL, "4194304", FILE_MAX },                /* the kernel has room */
        { NR_OPEN, FILE_MAX, "big-raise", 0, NULL, "2000000", FILE_MAX },
        { NR_OPEN, "3999999", "big-raise", -EINVAL, FILE_MAX_ERROR("2000000", "3999999", "4000000") },
        { NR_OPEN, FILE_MAX, "big-own-nr-open", -EINVAL, NR_OPEN_ERROR("2000000", "1500000") },
        { NR_OPEN, "1000000", "all", -EINVAL, FILE_MAX_ERROR("524288", "1000000", "1048576") },
        { NR_OPEN, "1048575", "all", -EINVAL, FILE_MAX_ERROR("524288", "1048575", "1048576") },
        { NR_OPEN, "1048576", "all", 0, NULL, NR_OPEN, "1048576" },                  /* exactly twice */
        { NR_OPEN, "1000000", "file-max", 0, NULL, NR_OPEN, "1048576" },             /* the profile raises it */
        { NR_OPEN, "1000000", "file-max-low", -EINVAL, FILE_MAX_ERROR("524288", "1048575", "1048576") },
};

START_TEST(test_consistency) {
        const CheckCase *c = &check_cases[_i];
        _cleanup_(report_done) Report changes = {}, dry = {};
        _cleanup_free_ char *error = NULL, *expected = NULL, *listing = NULL;

        write_proc("fs/nr_open", c->nr_open);
        write_proc("fs/file-max", c->file_max);
        ck_assert_int_eq(apply(c->profile, &changes, &error), c->ret);
        if (c->ret < 0) {
                ck_assert_int_ge(asprintf(&expected, "%s/%s.json: %s", profiles, c->profile, c->error), 0);
                ck_assert_pstr_eq(error, expected);
                ck_assert_uint_eq(changes.n, 0);
                listing = dir_list(root);
                ck_assert_str_eq(listing, "lib proc profiles"); /* no etc/, no var/ */
                assert_proc("fs/nr_open", c->nr_open);
                assert_proc("fs/file-max", c->file_max);
                ck_assert_ptr_null(m->profile);

                /* a dry run says the same */
                free(TAKE_PTR(error));
                ck_assert_int_eq(manager_apply(m, c->profile, true, 0, &dry, &error), c->ret);
                ck_assert_pstr_eq(error, expected);
                ck_assert_uint_eq(dry.n, 0);
                return;
        }
        ck_assert_ptr_null(error);
        assert_proc("fs/nr_open", c->nr_open_after);
        assert_proc("fs/file-max", c->file_max_after);
        ck_assert(tree_exists(root, rel(LIMIT_FILE_PAM)));
        ck_assert_str_eq(m->profile->name, c->profile);
}
END_TEST

/* A refused profile leaves the active one as it was: its files, its state, its sysctls. */
START_TEST(test_refused_keeps_active) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *state_before = NULL, *state_after = NULL;
        FileStamp before[_LIMIT_FILE_MAX];

        apply_ok("all");
        state_before = tree_read(root, "var/lib/wstuned/state.json");
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                before[f] = stamp(rel(f));

        ck_assert_int_eq(apply("big", &changes, &error), -EINVAL);
        ck_assert_ptr_nonnull(strstr(error, "2000000"));
        ck_assert_ptr_nonnull(strstr(error, "1048576"));
        ck_assert_ptr_nonnull(strstr(error, "raise_nr_open"));
        ck_assert_uint_eq(changes.n, 0);
        state_after = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_pstr_eq(state_after, state_before);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                ck_assert_msg(stamp_eq(stamp(rel(f)), before[f]), "%s was rewritten", rel(f));
        assert_files_of("all", NULL);
        assert_proc("fs/nr_open", NR_OPEN);
        ck_assert_str_eq(m->profile->name, "all");
        ck_assert_str_eq(m->state.active_profile, "all");
}
END_TEST

/* raise_nr_open: fs.nr_open is raised before the files are written, its original goes into the baseline,
 * Verify checks it, Revert puts it back. */
START_TEST(test_raise_nr_open) {
        _cleanup_(report_done) Report changes = {}, findings = {}, reverted = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_(state_done) State disk = {};
        _cleanup_free_ char *state_file = path_in(root, "var/lib/wstuned/state.json");

        ck_assert_int_eq(apply("big-raise", &changes, &error), 0);
        assert_row(&changes, 0, "fs.nr_open", NR_OPEN, "2000000", "set");
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                assert_row(&changes, 1 + f, limit_file_path(f), "(none)", "nofile 65536:2000000", result);
        }
        ck_assert_uint_eq(changes.n, 1 + _LIMIT_FILE_MAX);
        assert_proc("fs/nr_open", "2000000");
        assert_files_of("big-raise", NULL);
        ck_assert_str_eq(state_baseline_get(&m->state, "fs/nr_open"), NR_OPEN);
        ck_assert_int_eq(state_load(state_file, &disk, &error), 0);
        ck_assert_str_eq(state_baseline_get(&disk, "fs/nr_open"), NR_OPEN);

        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_row(&findings, 0, "fs.nr_open", ">=2000000", "2000000", "ok");
        ck_assert_uint_eq(findings.n, 1 + _LIMIT_FILE_MAX);

        revert_ok(&reverted);
        assert_row(&reverted, 0, "fs.nr_open", "2000000", NR_OPEN, "restore");
        assert_proc("fs/nr_open", NR_OPEN);
        assert_no_limit_files();
        ck_assert_uint_eq(m->state.n_baseline, 0);
        assert_file_baseline_empty();
}
END_TEST

/* ---- Verify ---- */

START_TEST(test_verify_files) {
        _cleanup_(report_done) Report ok = {}, drifted = {}, changes = {}, again = {};
        _cleanup_free_ char *error = NULL;
        _cleanup_free_ char *sd = path_in(root, rel(LIMIT_FILE_SYSTEMD));

        apply_ok("all");
        ck_assert(manager_verify(m, AS_ROOT, &ok));
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&ok, f, limit_file_path(f), NOFILE, NOFILE, "ok");
        ck_assert_uint_eq(ok.n, _LIMIT_FILE_MAX);

        /* an edited drop-in, a deleted one, daemon.json with another soft limit; daemon.json laid out
         * differently with the right values still holds */
        tree_write(root, rel(LIMIT_FILE_PAM), "* soft nofile 1024\n");
        ck_assert_int_eq(unlink(sd), 0);
        tree_write(root, "etc/docker/daemon.json",
                   "{\"default-ulimits\":{\"nofile\":{\"Name\":\"nofile\",\"Hard\":524288,\"Soft\":1024}}}");
        tree_write(root, rel(LIMIT_FILE_CONTAINERD_UNIT), "[Service]\nLimitNOFILE=65536:524288\n");
        ck_assert(!manager_verify(m, AS_ROOT, &drifted));
        assert_row(&drifted, LIMIT_FILE_PAM, limit_file_path(LIMIT_FILE_PAM), NOFILE, "other content",
                   "drifted");
        assert_row(&drifted, LIMIT_FILE_SYSTEMD, limit_file_path(LIMIT_FILE_SYSTEMD), NOFILE, "(none)", "missing");
        assert_row(&drifted, LIMIT_FILE_DOCKER_UNIT, limit_file_path(LIMIT_FILE_DOCKER_UNIT), NOFILE, NOFILE, "ok");
        /* a drop-in must be wstuned's bytes, header included */
        assert_row(&drifted, LIMIT_FILE_CONTAINERD_UNIT, limit_file_path(LIMIT_FILE_CONTAINERD_UNIT), NOFILE,
                   "other content", "drifted");
        assert_row(&drifted, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", NOFILE, "other content",
                   "drifted");
        ck_assert_uint_eq(drifted.n, _LIMIT_FILE_MAX);
        ck_assert_int_eq(manager_state(m), MANAGER_STATE_OK); /* the sysctl state: no keys */

        /* Apply writes them again; the originals stay those from before the first apply */
        ck_assert_int_eq(apply("all", &changes, &error), 0);
        static const struct {
                LimitFile file;
                const char *before;
        } rewritten[] = {
                { LIMIT_FILE_PAM, "present" },
                { LIMIT_FILE_SYSTEMD, "(none)" },
                { LIMIT_FILE_CONTAINERD_UNIT, "present" },
                { LIMIT_FILE_DOCKER_JSON, "present" },
        };
        for (size_t i = 0; i < ELEMENTSOF(rewritten); i++) {
                _cleanup_free_ char *result = written(rewritten[i].file);
                assert_row(&changes, i, limit_file_path(rewritten[i].file), rewritten[i].before, NOFILE,
                           result);
        }
        ck_assert_uint_eq(changes.n, ELEMENTSOF(rewritten));
        assert_files_of("all", NULL);
        ck_assert(manager_verify(m, AS_ROOT, &again));
        ck_assert_ptr_null(state_file_get(&m->state, limit_file_path(LIMIT_FILE_PAM))->content);
}
END_TEST

#define ROOT_UIDS "0\t0\t0\t0"
#define USER_UIDS "1000\t1000\t1000\t1000"
#define SESSION "0::/user.slice/user-1000.slice/session-2.scope\n"

/* A fake /proc/PID as the kernel shows it: comm, stat, status (uids: the fields of its "Uid:" line), cgroup,
 * limits and, when given, cmdline (size bytes). */
static void fake_proc_full(const char *pid, const char *comm, const char *uids, const char *cgroup, const char *soft,
                           const char *hard, const char *cmdline, size_t size) {
        _cleanup_free_ char *dir = NULL, *text = NULL, *stat_text = NULL, *limits = NULL, *status = NULL;

        ck_assert_int_ge(asprintf(&dir, "proc/%s", pid), 0);
        ck_assert_int_ge(asprintf(&text, "%s\n", comm), 0);
        ck_assert_int_ge(asprintf(&stat_text,
                                  "%s (%s) S 1 %s %s 0 -1 4194560 120 0 0 0 0 0 0 0 20 0 1 0 25 0 0 "
                                  "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 "
                                  "0 0 0\n",
                                  pid, comm, pid, pid),
                         0);
        ck_assert_int_ge(asprintf(&limits,
                                  "Limit                     Soft Limit           Hard Limit           Units     \n"
                                  "Max cpu time              unlimited            unlimited            seconds   \n"
                                  "Max processes             96365                96365                processes \n"
                                  "%-25s %-20s %-20s %-10s\n"
                                  "Max locked memory         8388608              8388608              bytes     \n",
                                  "Max open files", soft, hard, "files"),
                         0);
        _cleanup_free_ char *d = path_in(root, dir);
        make_dirs(d);
        tree_write(d, "comm", text);
        tree_write(d, "stat", stat_text);
        tree_write(d, "cgroup", cgroup);
        tree_write(d, "limits", limits);
        ck_assert_int_ge(asprintf(&status,
                                  "Name:\t%s\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t%s\nNgid:\t0\nPid:\t%s\n"
                                  "PPid:\t1\nTracerPid:\t0\nUid:\t%s\nGid:\t0\t0\t0\t0\nFDSize:\t64\n",
                                  comm, pid, pid, uids),
                         0);
        tree_write(d, "status", status);
        if (cmdline)
                tree_write_n(d, "cmdline", cmdline, size);
}

/* Make the fake process look started at another clock tick (stat's starttime; fake_proc_full() writes 25): a
 * new process that got the PID of an old one. */
static void fake_proc_restarted(const char *pid, const char *tick) {
        _cleanup_free_ char *rel = NULL, *stat = NULL;

        ck_assert_int_ge(asprintf(&rel, "proc/%s/stat", pid), 0);
        stat = tree_read(root, rel);
        ck_assert_ptr_nonnull(stat);
        char *start = strstr(stat, " 25 0 0 18446744073709551615");
        ck_assert_ptr_nonnull(start);
        ck_assert_uint_eq(strlen(tick), 2);
        memcpy(start + 1, tick, 2);
        tree_write(root, rel, stat);
}

/* Root's process, as most tests have them. */
static void fake_proc(const char *pid, const char *comm, const char *cgroup, const char *soft, const char *hard) {
        fake_proc_full(pid, comm, ROOT_UIDS, cgroup, soft, hard, NULL, 0);
}

START_TEST(test_verify_processes) {
        _cleanup_(report_done) Report low = {}, raised = {}, more = {}, exited = {};
        _cleanup_free_ char *gone = path_in(root, "proc/4400");
        static const char *const low_rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-go[4242] ws-go.service", ">=65536", "1024:4096", "restart-needed: ws-go.service" },
                { "process ws-api-worker[4300] ws-api.service", ">=65536", "65536:524288", "ok" },
                { "process ws-go[4400]", ">=65536", "1024:1024", "restart-needed: pid 4400" },
        };
        static const char *const raised_rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-go[4242] ws-go.service", ">=65536", "200000:200000", "ok" },
                { "process ws-api-worker[4300] ws-api.service", ">=65536", "65536:524288", "ok" },
                { "process ws-go[4400]", ">=65536", "unlimited:unlimited", "ok" },
        };
        static const char *const more_rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-go[4242] ws-go.service", ">=65536", "200000:200000", "ok" },
                { "process ws-api-worker[4300] ws-api.service", ">=65536", "65536:524288", "ok" },
                { "process ws-go[4400]", ">=65536", "unlimited:unlimited", "ok" },
                { "process ws-go[4700] ws-go.service", ">=65536", "1024:524288", "restart-needed: ws-go.service" },
        };
        static const char *const exited_rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-go[4242] ws-go.service", ">=65536", "200000:200000", "ok" },
                { "process ws-api-worker[4300] ws-api.service", ">=65536", "65536:524288", "ok" },
                { "process ws-go[4700] ws-go.service", ">=65536", "1024:524288", "restart-needed: ws-go.service" },
        };

        fake_proc("4242", "ws-go", "0::/system.slice/ws-go.service\n", "1024", "4096");
        /* found through its service, whatever its name */
        fake_proc("4300", "ws-api-worker", "0::/system.slice/ws-api.service\n", "65536", "524288");
        /* started by hand in a login session: no unit to restart */
        fake_proc("4400", "ws-go", "0::/user.slice/user-1000.slice/session-2.scope\n", "1024", "1024");
        /* neither named nor in a listed service; dockerd only counts with the docker layer */
        fake_proc("4500", "bash", "0::/system.slice/ws-go-admin.service\n", "1024", "4096");
        fake_proc("4600", "dockerd", "0::/system.slice/docker.service\n", "1024", "4096");

        apply_ok("watch");
        ck_assert(!manager_verify(m, AS_ROOT, &low));
        assert_rows(&low, low_rows);

        /* the limits of the PIDs found are read again on every Verify, without waiting for a rescan */
        fake_proc("4242", "ws-go", "0::/system.slice/ws-go.service\n", "200000", "200000");
        fake_proc("4400", "ws-go", "0::/user.slice/user-1000.slice/session-2.scope\n", "unlimited",
                  "unlimited");
        ck_assert(manager_verify(m, AS_ROOT, &raised));
        assert_rows(&raised, raised_rows);

        /* a new process is found by the next scan */
        fake_proc("4700", "ws-go", "0::/system.slice/ws-go.service\n", "1024", "524288");
        limits_forget_processes(m);
        ck_assert(!manager_verify(m, AS_ROOT, &more));
        assert_rows(&more, more_rows);

        /* one that exited makes the list rescan at once */
        rm_rf(gone);
        ck_assert(!manager_verify(m, AS_ROOT, &exited));
        assert_rows(&exited, exited_rows);
}
END_TEST

/* With the docker layer, dockerd and containerd are watched without being named. */
START_TEST(test_verify_docker_processes) {
        _cleanup_(report_done) Report findings = {};

        fake_proc("100", "dockerd", "0::/system.slice/docker.service\n", "1048576", "1048576");
        fake_proc("200", "containerd", "0::/system.slice/containerd.service\n", "1024", "524288");
        fake_proc("300", "ws-go", "0::/system.slice/ws-go.service\n", "1024", "4096");
        apply_ok("all");
        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&findings, f, limit_file_path(f), NOFILE, NOFILE, "ok");
        assert_row(&findings, _LIMIT_FILE_MAX, "process dockerd[100] docker.service", ">=65536",
                   "1048576:1048576", "ok");
        assert_row(&findings, _LIMIT_FILE_MAX + 1, "process containerd[200] containerd.service", ">=65536",
                   "1024:524288", "restart-needed: containerd.service");
        ck_assert_uint_eq(findings.n, _LIMIT_FILE_MAX + 2);
}
END_TEST

/* Any user can run a program under any name: by name, only root's processes count; a listed service's count
 * whoever runs them. Before, a user's ws-go with a low limit made Verify fail (and log "does not hold") at
 * will; so could a user's process that got the PID of a watched one, until the next scan. */
START_TEST(test_verify_owner) {
        _cleanup_(report_done) Report findings = {}, reused = {};
        static const char *const rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-go[5000]", ">=65536", "65536:524288", "ok" },
                { "process ws-api-worker[5004] ws-api.service", ">=65536", "65536:65536", "ok" },
        };
        static const char *const reused_rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-api-worker[5004] ws-api.service", ">=65536", "65536:65536", "ok" },
        };

        fake_proc("5000", "ws-go", SESSION, "65536", "524288");
        /* a user's, and a set-user-ID root program a user started under that name */
        fake_proc_full("5001", "ws-go", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc_full("5002", "ws-go", "1000\t0\t0\t0", SESSION, "1024", "1024", NULL, 0);
        /* a service's process, run by its own user */
        fake_proc_full("5004", "ws-api-worker", "998\t998\t998\t998", "0::/system.slice/ws-api.service\n", "65536",
                       "65536", NULL, 0);
        apply_ok("watch");
        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_rows(&findings, rows);

        /* root's ws-go exits and a user's process gets its PID: its limit is not taken for the old one's */
        fake_proc_full("5000", "ws-go", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc_restarted("5000", "26");
        ck_assert(manager_verify(m, AS_ROOT, &reused));
        assert_rows(&reused, reused_rows);
}
END_TEST

/* "owner": "any" takes anyone's process of that name; "root" (the default) only root's. */
START_TEST(test_verify_owner_any) {
        _cleanup_(report_done) Report findings = {};
        static const char *const rows[][4] = {
                { "/etc/security/limits.d/90-wstuned.conf", NOFILE, NOFILE, "ok" },
                { "process ws-admin[5001]", ">=65536", "65536:65536", "ok" },
                { "process ws-dev[5003] ws-api.service", ">=65536", "1024:1024", "restart-needed: ws-api.service" },
                { "process ws-api-worker[5004] ws-api.service", ">=65536", "1024:1024", "restart-needed: ws-api.service" },
                { "process ws-dev[5006]", ">=65536", "1024:1024", "restart-needed: pid 5006" },
        };

        fake_proc_full("5000", "ws-go", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc("5001", "ws-admin", SESSION, "65536", "65536");
        fake_proc_full("5002", "ws-admin", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc_full("5003", "ws-dev", USER_UIDS, "0::/system.slice/ws-api.service\n", "1024", "1024", NULL, 0);
        fake_proc_full("5004", "ws-api-worker", "998\t998\t998\t998", "0::/system.slice/ws-api.service\n", "1024",
                       "1024", NULL, 0);
        fake_proc_full("5006", "ws-dev", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        apply_ok("watch-owner");
        ck_assert(!manager_verify(m, AS_ROOT, &findings));
        assert_rows(&findings, rows);
}
END_TEST

/* The docker layer's daemons count as root in the units whose limits it sets: dockerd in docker.service,
 * containerd in containerd.service or (started by dockerd itself) docker.service. */
START_TEST(test_verify_docker_owner) {
        _cleanup_(report_done) Report findings = {};

        fake_proc("100", "dockerd", "0::/system.slice/docker.service\n", "1048576", "1048576");
        fake_proc("101", "containerd", "0::/system.slice/containerd.service\n", "65536", "524288");
        fake_proc("102", "containerd", "0::/system.slice/docker.service/sub\n", "65536", "524288");
        /* none of these */
        fake_proc_full("200", "dockerd", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc_full("201", "containerd", USER_UIDS, SESSION, "1024", "1024", NULL, 0);
        fake_proc_full("202", "dockerd", USER_UIDS, "0::/system.slice/docker.service\n", "1024", "1024", NULL, 0);
        fake_proc("203", "dockerd", "0::/\n", "1024", "1024");
        fake_proc("204", "dockerd", "0::/system.slice/docker-4f1c2a9d.scope\n", "1024", "1024");
        fake_proc("205", "dockerd", "0::/system.slice/containerd.service\n", "1024", "1024");
        fake_proc("206", "containerd", "0::/system.slice/ws-go.service\n", "1024", "1024");
        fake_proc("207", "dockerd", "0::/user.slice/user-0.slice/session-1.scope\n", "1024", "1024");
        apply_ok("all");
        ck_assert(manager_verify(m, AS_ROOT, &findings));
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&findings, f, limit_file_path(f), NOFILE, NOFILE, "ok");
        assert_row(&findings, _LIMIT_FILE_MAX, "process dockerd[100] docker.service", ">=65536",
                   "1048576:1048576", "ok");
        assert_row(&findings, _LIMIT_FILE_MAX + 1, "process containerd[101] containerd.service", ">=65536",
                   "65536:524288", "ok");
        assert_row(&findings, _LIMIT_FILE_MAX + 2, "process containerd[102] docker.service", ">=65536",
                   "65536:524288", "ok");
        ck_assert_uint_eq(findings.n, _LIMIT_FILE_MAX + 3);
}
END_TEST

/* Only root's dockerd in docker.service started with --default-ulimit keeps daemon.json from being written;
 * before, any process named dockerd with that argument did. */
START_TEST(test_docker_json_ulimit_flag) {
        _cleanup_(report_done) Report changes = {}, reverted = {}, refused = {};
        _cleanup_free_ char *error = NULL, *want = expected_content(LIMIT_FILE_DOCKER_JSON, "all", NULL),
                            *result = written(LIMIT_FILE_DOCKER_JSON);
        static const char flag[] = "/usr/bin/dockerd\0-H\0fd://\0--default-ulimit\0nofile=1024:2048\0";

        fake_proc_full("300", "dockerd", USER_UIDS, SESSION, "1024", "1024", flag, sizeof flag - 1);
        fake_proc_full("301", "dockerd", ROOT_UIDS, "0::/\n", "65536", "65536", flag, sizeof flag - 1);
        fake_proc_full("302", "dockerd", ROOT_UIDS, "0::/system.slice/docker-4f1c2a9d.scope\n", "65536", "65536", flag,
                       sizeof flag - 1);
        ck_assert_int_eq(apply("all", &changes, &error), 0);
        ck_assert_ptr_null(error);
        assert_row(&changes, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", "(none)", NOFILE, result);
        assert_file("etc/docker/daemon.json", want, 0644);
        revert_ok(&reverted);
        ck_assert(!tree_exists(root, "etc/docker/daemon.json"));

        fake_proc_full("303", "dockerd", ROOT_UIDS, "0::/system.slice/docker.service\n", "65536", "65536", flag,
                       sizeof flag - 1);
        ck_assert_int_eq(apply("all", &refused, &error), 0);
        ck_assert_ptr_null(error);
        assert_row(&refused, LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", "", "",
                   "error: dockerd (pid 303) runs with --default-ulimit: with default-ulimits also in this file it "
                   "would not start again; set the limit in one place");
        ck_assert(!tree_exists(root, "etc/docker/daemon.json"));
}
END_TEST

/* ---- the docker layer never lowers a limit ---- */

#define HDR_200K "# Managed by wstuned for profile \"p200k\": overwritten on every apply, do not edit.\n"
#define NOFILE_200K "nofile 200000:200000"
/* sorted before wstuned's 90-wstuned.conf (systemctl edit's override.conf sorts after it, and wins) */
#define OVERRIDE "etc/systemd/system/docker.service.d/10-admin.conf"

typedef struct OwnCase {
        const char *what;
        const char *unit_lines;          /* docker.service's own [Service] lines */
        const char *dropin;              /* an admin's OVERRIDE, NULL: none */
        const char *written;             /* LimitNOFILE= of wstuned's drop-in; NULL: left out */
        const char *skipped;             /* else the Apply row's result */
} OwnCase;

static const OwnCase own_cases[] = {
        { "docker-ce 23/24", "LimitNOFILE=infinity\n", NULL, NULL,
          "skipped: docker.service already has LimitNOFILE=infinity" },
        { "above the profile", "LimitNOFILE=1048576:1048576\n", NULL, NULL,
          "skipped: docker.service already has LimitNOFILE=1048576" },
        { "the profile's", "LimitNOFILE=200000\n", NULL, NULL, "skipped: docker.service already has LimitNOFILE=200000" },
        { "below", "LimitNOFILE=4096\n", NULL, "200000:200000" },
        { "none of its own (docker 25)", "", NULL, "200000:200000" },
        /* the hard limit is not taken from infinity down to 200000 */
        { "soft below, hard infinity", "LimitNOFILE=1024:infinity\n", NULL, "200000:infinity" },
        { "soft below, hard above", "LimitNOFILE=1024:524288\n", NULL, "200000:524288" },
        /* what the unit has is its unit file and its drop-ins, the last one winning */
        { "an admin's drop-in raises it", "LimitNOFILE=4096\n", "[Service]\nLimitNOFILE=infinity\n", NULL,
          "skipped: docker.service already has LimitNOFILE=infinity" },
        { "an admin's drop-in lowers it", "LimitNOFILE=infinity\n", "[Service]\nLimitNOFILE=4096\n", "200000:200000" },
        { "an invalid assignment is ignored", "LimitNOFILE=infinity\nLimitNOFILE=lots\n", NULL, NULL,
          "skipped: docker.service already has LimitNOFILE=infinity" },
};

START_TEST(test_docker_unit_own_limit) {
        const OwnCase *c = &own_cases[_i];
        _cleanup_(report_done) Report changes = {}, findings = {}, again = {};
        _cleanup_free_ char *error = NULL, *result = written(LIMIT_FILE_DOCKER_UNIT), *want = NULL,
                            *nofile = NULL;
        const char *path = limit_file_path(LIMIT_FILE_DOCKER_UNIT);

        install_unit(DOCKER_UNIT_FILE, c->unit_lines);
        if (c->dropin)
                tree_write(root, OVERRIDE, c->dropin);

        ck_assert_msg(apply("p200k", &changes, &error) == 0, "%s: %s", c->what, strempty(error));
        if (c->written) {
                ck_assert_int_ge(asprintf(&want, HDR_200K "[Service]\nLimitNOFILE=%s\n", c->written), 0);
                ck_assert_int_ge(asprintf(&nofile, "nofile %s", c->written), 0);
                assert_row(&changes, LIMIT_FILE_DOCKER_UNIT, path, "(none)", nofile, result);
                assert_file(rel(LIMIT_FILE_DOCKER_UNIT), want, 0644);
                ck_assert_ptr_nonnull(state_file_get(&m->state, path));
        } else {
                assert_row(&changes, LIMIT_FILE_DOCKER_UNIT, path, "(none)", "(none)", c->skipped);
                ck_assert_msg(!tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)), "%s: drop-in written", c->what);
                ck_assert_ptr_null(state_file_get(&m->state, path));
        }
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);

        /* as systemd merges the files, with wstuned's drop-in in its place: never below the unit's own limit,
         * and at least the profile's */
        UnitNofile own, with;
        ck_assert_int_eq(unit_nofile_load(root, "docker.service", path, &own, &with), 0);
        ck_assert_msg(!unit_nofile_lowers(&with, &own), "%s: lowered", c->what);
        ck_assert_msg(with.set && with.soft >= 200000 && with.hard >= 200000, "%s: below the profile", c->what);

        ck_assert(manager_verify(m, AS_ROOT, &findings));
        if (c->written)
                assert_row(&findings, LIMIT_FILE_DOCKER_UNIT, path, nofile, nofile, "ok");
        else
                assert_row(&findings, LIMIT_FILE_DOCKER_UNIT, path, c->skipped, "(none)", "ok");
        assert_row(&findings, LIMIT_FILE_CONTAINERD_UNIT, limit_file_path(LIMIT_FILE_CONTAINERD_UNIT), NOFILE_200K,
                   NOFILE_200K, "ok");

        /* the same again: a written drop-in is not written again; a left-out one is said again */
        ck_assert_int_eq(apply("p200k", &again, &error), 0);
        if (c->written)
                ck_assert_uint_eq(again.n, 0);
        else {
                assert_row(&again, 0, path, "(none)", "(none)", c->skipped);
                ck_assert_uint_eq(again.n, 1);
        }
}
END_TEST

/* containerd.service is compared with its own unit, on its own. */
START_TEST(test_containerd_unit_own_limit) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *result = written(LIMIT_FILE_DOCKER_UNIT);

        install_unit(CONTAINERD_UNIT_FILE, "LimitNOFILE=infinity\n");
        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=4096\n");
        ck_assert_int_eq(apply("p200k", &changes, &error), 0);
        assert_row(&changes, LIMIT_FILE_DOCKER_UNIT, limit_file_path(LIMIT_FILE_DOCKER_UNIT), "(none)", NOFILE_200K,
                   result);
        assert_row(&changes, LIMIT_FILE_CONTAINERD_UNIT, limit_file_path(LIMIT_FILE_CONTAINERD_UNIT), "(none)", "(none)",
                   "skipped: containerd.service already has LimitNOFILE=infinity");
        ck_assert(tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)));
        ck_assert(!tree_exists(root, rel(LIMIT_FILE_CONTAINERD_UNIT)));
}
END_TEST

/* Docker is upgraded to a unit with infinity after wstuned wrote its drop-in: Verify flags the drop-in that
 * lowers it; the next Apply removes it and says so. A drop-in at that path wstuned did not write is flagged
 * too, but not removed. */
START_TEST(test_docker_unit_raised_later) {
        _cleanup_(report_done) Report changes = {}, lowered = {}, removed = {}, fixed = {}, hand = {}, left = {};
        _cleanup_free_ char *error = NULL;
        const char *path = limit_file_path(LIMIT_FILE_DOCKER_UNIT);
        static const char skipped[] = "skipped: docker.service already has LimitNOFILE=infinity";

        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=4096\n");
        ck_assert_int_eq(apply("p200k", &changes, &error), 0);
        assert_file(rel(LIMIT_FILE_DOCKER_UNIT), HDR_200K "[Service]\nLimitNOFILE=200000:200000\n", 0644);

        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=infinity\n");
        ck_assert(!manager_verify(m, AS_ROOT, &lowered));
        assert_row(&lowered, LIMIT_FILE_DOCKER_UNIT, path, skipped, NOFILE_200K,
                   "lowers: docker.service has LimitNOFILE=infinity");
        assert_row(&lowered, LIMIT_FILE_CONTAINERD_UNIT, limit_file_path(LIMIT_FILE_CONTAINERD_UNIT), NOFILE_200K,
                   NOFILE_200K, "ok");

        ck_assert_int_eq(apply("p200k", &removed, &error), 0);
        assert_row(&removed, 0, path, "wstuned's", "(none)",
                   "skipped: docker.service already has LimitNOFILE=infinity; wstuned's file removed");
        ck_assert_uint_eq(removed.n, 1);
        ck_assert(!tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)));
        ck_assert_ptr_null(state_file_get(&m->state, path));
        ck_assert(manager_verify(m, AS_ROOT, &fixed));
        assert_row(&fixed, LIMIT_FILE_DOCKER_UNIT, path, skipped, "(none)", "ok");

        /* by hand, at wstuned's path: flagged, and not wstuned's to remove */
        tree_write(root, rel(LIMIT_FILE_DOCKER_UNIT), "[Service]\nLimitNOFILE=1024\n");
        ck_assert(!manager_verify(m, AS_ROOT, &hand));
        assert_row(&hand, LIMIT_FILE_DOCKER_UNIT, path, skipped, "nofile 1024:1024",
                   "lowers: docker.service has LimitNOFILE=infinity");
        ck_assert_int_eq(apply("p200k", &left, &error), 0);
        assert_row(&left, 0, path, "present", "present", skipped);
        assert_file(rel(LIMIT_FILE_DOCKER_UNIT), "[Service]\nLimitNOFILE=1024\n", 0644);
}
END_TEST

/* A later drop-in of the admin's that raises it again means wstuned's does not lower anything. */
START_TEST(test_docker_unit_later_dropin_wins) {
        _cleanup_(report_done) Report findings = {};

        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=4096\n");
        apply_ok("p200k");
        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=infinity\n");
        tree_write(root, "etc/systemd/system/docker.service.d/99-admin.conf", "[Service]\nLimitNOFILE=infinity\n");
        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_row(&findings, LIMIT_FILE_DOCKER_UNIT, limit_file_path(LIMIT_FILE_DOCKER_UNIT),
                   "skipped: docker.service already has LimitNOFILE=infinity", "present", "ok");
}
END_TEST

START_TEST(test_docker_unit_dry_run) {
        _cleanup_(report_done) Report dry = {}, dry_removal = {};
        _cleanup_free_ char *error = NULL;
        const char *path = limit_file_path(LIMIT_FILE_DOCKER_UNIT);

        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=infinity\n");
        ck_assert_int_eq(manager_apply(m, "p200k", true, 0, &dry, &error), 0);
        assert_row(&dry, LIMIT_FILE_DOCKER_UNIT, path, "(none)", "(none)",
                   "would-skip: docker.service already has LimitNOFILE=infinity");

        install_unit(DOCKER_UNIT_FILE, "");
        apply_ok("p200k");
        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=infinity\n");
        ck_assert_int_eq(manager_apply(m, "p200k", true, 0, &dry_removal, &error), 0);
        assert_row(&dry_removal, 0, path, "wstuned's", "(none)",
                   "would-skip: docker.service already has LimitNOFILE=infinity");
        ck_assert_uint_eq(dry_removal.n, 1);
        ck_assert(tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)));
        ck_assert_ptr_nonnull(state_file_get(&m->state, path));
}
END_TEST

START_TEST(test_docker_unit_masked) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *mask = path_in(root, "etc/systemd/system/docker.service");

        make_dirs(root);
        tree_write(root, "etc/systemd/system/.keep", "");
        ck_assert_int_eq(symlink("/dev/null", mask), 0);
        ck_assert_int_eq(apply("p200k", &changes, &error), 0);
        assert_row(&changes, LIMIT_FILE_DOCKER_UNIT, limit_file_path(LIMIT_FILE_DOCKER_UNIT), "(none)", "(none)",
                   "skipped: docker.service is masked");
        ck_assert(!tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)));
}
END_TEST

/* ---- Docker not installed ---- */

static void uninstall_docker(void) {
        uninstall(DOCKER_UNIT_FILE);
        uninstall(CONTAINERD_UNIT_FILE);
}

static const char *const not_installed[_LIMIT_FILE_MAX] = {
        [LIMIT_FILE_DOCKER_UNIT] = "skipped: docker.service is not installed",
        [LIMIT_FILE_CONTAINERD_UNIT] = "skipped: containerd.service is not installed",
        [LIMIT_FILE_DOCKER_JSON] = "skipped: Docker is not installed",
};

/* No daemon.json, no drop-ins for units that are not there: rows say so, Verify holds. */
START_TEST(test_docker_not_installed) {
        _cleanup_(report_done) Report dry = {}, changes = {}, findings = {}, again = {};
        _cleanup_free_ char *error = NULL, *listing = NULL, *etc = path_in(root, "etc");
        static const FileEntry baseline[] = { { LIMIT_FILE_PAM }, { LIMIT_FILE_SYSTEMD } };

        uninstall_docker();
        ck_assert_int_eq(manager_apply(m, "all", true, 0, &dry, &error), 0);
        for (LimitFile f = LIMIT_FILE_DOCKER_UNIT; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *would = NULL;
                ck_assert_int_ge(asprintf(&would, "would-skip: %s", not_installed[f] + strlen("skipped: ")), 0);
                assert_row(&dry, f, limit_file_path(f), "(none)", "(none)", would);
        }

        ck_assert_int_eq(apply("all", &changes, &error), 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                if (not_installed[f])
                        assert_row(&changes, f, limit_file_path(f), "(none)", "(none)", not_installed[f]);
                else
                        assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
        }
        ck_assert_uint_eq(changes.n, _LIMIT_FILE_MAX);
        listing = dir_list(etc);
        ck_assert_str_eq(listing, "security systemd"); /* no docker/ */
        ck_assert(!tree_exists(root, "etc/systemd/system"));
        assert_file_baseline(baseline);

        ck_assert(manager_verify(m, AS_ROOT, &findings));
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                if (not_installed[f])
                        assert_row(&findings, f, limit_file_path(f), not_installed[f], "(none)", "ok");
                else
                        assert_row(&findings, f, limit_file_path(f), NOFILE, NOFILE, "ok");

        /* the docker layer's processes are still watched: a dockerd started by hand in docker.service counts */
        ck_assert_int_eq(apply("all", &again, &error), 0);
        ck_assert_uint_eq(again.n, 3);
}
END_TEST

/* "docker": "always" writes them all (a cloud image that gets Docker later); back to a profile without it,
 * they go again. */
START_TEST(test_docker_always) {
        _cleanup_(report_done) Report changes = {}, back = {};
        _cleanup_free_ char *error = NULL;

        uninstall_docker();
        ck_assert_int_eq(apply("always", &changes, &error), 0);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = written(f);
                assert_row(&changes, f, limit_file_path(f), "(none)", NOFILE, result);
        }
        assert_files_of("always", NULL);
        ck_assert_uint_eq(m->state.n_files, _LIMIT_FILE_MAX);

        ck_assert_int_eq(apply("all", &back, &error), 0);
        for (LimitFile f = LIMIT_FILE_DOCKER_UNIT; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *result = NULL;
                ck_assert_int_ge(asprintf(&result, "%s; wstuned's file removed", not_installed[f]), 0);
                assert_row(&back, f, limit_file_path(f), "wstuned's", "(none)", result);
                ck_assert_msg(!tree_exists(root, rel(f)), "%s left behind", rel(f));
        }
        ck_assert_uint_eq(back.n, _LIMIT_FILE_MAX); /* the other two name the profile "all" now */
        ck_assert_uint_eq(m->state.n_files, 2);
}
END_TEST

/* "always" still never lowers a unit's limit. */
START_TEST(test_docker_always_never_lowers) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        install_unit(DOCKER_UNIT_FILE, "LimitNOFILE=infinity\n");
        ck_assert_int_eq(apply("always", &changes, &error), 0);
        assert_row(&changes, LIMIT_FILE_DOCKER_UNIT, limit_file_path(LIMIT_FILE_DOCKER_UNIT), "(none)", "(none)",
                   "skipped: docker.service already has LimitNOFILE=infinity");
        ck_assert(!tree_exists(root, rel(LIMIT_FILE_DOCKER_UNIT)));
}
END_TEST

/* Docker is installed when its unit file or the dockerd binary is there; an admin's daemon.json is merged
 * into whatever is installed. */
typedef struct InstalledCase {
        const char *what;
        const char *file; /* written before the apply */
        bool json;        /* daemon.json written */
} InstalledCase;

static const InstalledCase installed_cases[] = {
        { "docker-ce's binary", "usr/bin/dockerd", true },
        { "Debian's docker.io binary", "usr/sbin/dockerd", true },
        { "a static install", "usr/local/bin/dockerd", true },
        { "an admin's daemon.json", "etc/docker/daemon.json", true },
        { "the unit in /etc", "etc/systemd/system/docker.service", true },
        { "the unit in /usr/lib", "usr/lib/systemd/system/docker.service", true },
        { "only containerd (Kubernetes)", CONTAINERD_UNIT_FILE, false },
        { "a docker client only", "usr/bin/docker", false },
        { "an empty /etc/docker", "etc/docker/key.json", false },
};

START_TEST(test_docker_installed_by) {
        const InstalledCase *c = &installed_cases[_i];
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;
        const char *text = streq(c->file, "etc/docker/daemon.json") ? admin_docker_json : "[Service]\n";

        uninstall_docker();
        tree_write(root, c->file, text);
        ck_assert_int_eq(apply("all", &changes, &error), 0);
        const char *result = changes.rows[LIMIT_FILE_DOCKER_JSON].col[3];
        if (c->json)
                ck_assert_msg(strncmp(result, "written: ", 9) == 0, "%s: %s", c->what, result);
        else
                ck_assert_msg(streq(result, "skipped: Docker is not installed"), "%s: %s", c->what, result);
        ck_assert_int_eq(tree_exists(root, "etc/docker/daemon.json"), c->json);
}
END_TEST

/* Docker removed after wstuned created daemon.json: the file goes at the next Apply; an admin's stays merged. */
START_TEST(test_docker_uninstalled_later) {
        _cleanup_(report_done) Report changes = {}, admins = {};
        _cleanup_free_ char *error = NULL;

        apply_ok("all");
        ck_assert(tree_exists(root, "etc/docker/daemon.json"));
        uninstall_docker();
        ck_assert_int_eq(apply("all", &changes, &error), 0);
        assert_row(&changes, 2, "/etc/docker/daemon.json", "wstuned's", "(none)",
                   "skipped: Docker is not installed; wstuned's file removed");
        ck_assert_uint_eq(changes.n, 3);
        ck_assert(!tree_exists(root, "etc/docker/daemon.json"));
        ck_assert_ptr_null(state_file_get(&m->state, "/etc/docker/daemon.json"));

        /* the admin's daemon.json: merged, whether Docker is installed or not */
        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        ck_assert_int_eq(apply("all", &admins, &error), 0);
        _cleanup_free_ char *want = expected_content(LIMIT_FILE_DOCKER_JSON, "all", admin_docker_json);
        assert_file("etc/docker/daemon.json", want, 0644);
        ck_assert_str_eq(state_file_get(&m->state, "/etc/docker/daemon.json")->content, admin_docker_json);
}
END_TEST

/* ---- package removal ---- */

/* wstuned --restore-files: every limit file back from state.json without a bus (the drop-ins wstuned
 * created removed, the admin's daemon.json with its bytes and mode); the active profile stays. */
START_TEST(test_restore_files) {
        _cleanup_(report_done) Report none = {}, restored = {}, again = {};
        _cleanup_free_ char *error = NULL, *docker = path_in(root, "etc/docker/daemon.json"), *listing = NULL,
                            *state_before = NULL, *state_after = NULL;

        /* nothing of wstuned's: nothing done, not even a state file written */
        ck_assert_int_eq(manager_restore_files(m, &none, &error), 0);
        ck_assert_uint_eq(none.n, 0);
        listing = dir_list(root);
        ck_assert_str_eq(listing, "lib proc profiles");

        tree_write(root, "etc/docker/daemon.json", admin_docker_json);
        ck_assert_int_eq(chmod(docker, 0600), 0);
        apply_ok("all");
        m = manager_free(m);
        m = manager_on_tree();

        ck_assert_int_eq(manager_restore_files(m, &restored, &error), 0);
        ck_assert_ptr_null(error);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                assert_row(&restored, f, limit_file_path(f), "wstuned's",
                           f == LIMIT_FILE_DOCKER_JSON ? "original" : "(none)", "restore");
        ck_assert_uint_eq(restored.n, _LIMIT_FILE_MAX);
        assert_dropins_gone();
        assert_file("etc/docker/daemon.json", admin_docker_json, 0600);
        assert_file_baseline_empty();
        ck_assert_str_eq(m->state.active_profile, "all");

        state_before = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_int_eq(manager_restore_files(m, &again, &error), 0);
        ck_assert_uint_eq(again.n, 0);
        state_after = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_str_eq(state_after, state_before);
}
END_TEST

START_TEST(test_restore_files_bad_state) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *expected = NULL, *before = NULL;

        tree_write(root, "var/lib/wstuned/state.json", "{ \"version\": 1, \"active_profile\": 5 }");
        ck_assert_int_eq(manager_restore_files(m, &changes, &error), -EINVAL);
        ck_assert_int_ge(asprintf(&expected, "%s/var/lib/wstuned/state.json: active_profile: not a valid profile name",
                                  root),
                         0);
        ck_assert_pstr_eq(error, expected);
        ck_assert_uint_eq(changes.n, 0);
        /* left for a human, as it is */
        before = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_str_eq(before, "{ \"version\": 1, \"active_profile\": 5 }");

        /* a newer wstuned's file: refused as such, left as it is */
        report_done(&changes);
        error = mfree(error);
        tree_write(root, "var/lib/wstuned/state.json", "{ \"version\": 2 }");
        ck_assert_int_eq(manager_restore_files(m, &changes, &error), -EPROTONOSUPPORT);
        ck_assert_ptr_nonnull(strstr(error, "written by a newer wstuned"));
        ck_assert_uint_eq(changes.n, 0);
        free(before);
        before = tree_read(root, "var/lib/wstuned/state.json");
        ck_assert_str_eq(before, "{ \"version\": 2 }");
}
END_TEST

/* ---- bugs: these fail until the daemon is fixed ---- */

/* Regression (fixed): re-applying a raise_nr_open profile lowers fs.nr_open below its own hard limit. limits_check()
 * (limits-apply.c) adds the fs.nr_open key only when the live value is below the hard limit; after the
 * first apply it no longer is, so the key is not added, and plan_build() (manager.c) then restores the
 * baseline entry of fs.nr_open, which the profile no longer manages: back to 1048576 under a hard nofile of
 * 2000000, the lock-out the check exists to prevent. The same on every Reload and every daemon restart
 * (manager_startup() re-applies). */
START_TEST(test_reapply_keeps_nr_open) {
        _cleanup_(report_done) Report again = {}, restart = {};
        _cleanup_free_ char *error = NULL;

        apply_ok("big-raise");
        assert_proc("fs/nr_open", "2000000");

        ck_assert_int_eq(apply("big-raise", &again, &error), 0);
        assert_proc("fs/nr_open", "2000000");
        ck_assert_msg(again.n == 0, "re-apply: %zu rows, first %s %s -> %s %s", again.n,
                      again.n ? again.rows[0].col[0] : "", again.n ? again.rows[0].col[1] : "",
                      again.n ? again.rows[0].col[2] : "", again.n ? again.rows[0].col[3] : "");

        m = manager_free(m);
        m = manager_on_tree();
        manager_startup(m);
        assert_proc("fs/nr_open", "2000000");
        ck_assert(manager_verify(m, AS_ROOT, &restart));
}
END_TEST

/* Regression (fixed): switching to a profile with the same limits but without the fs.file-max the previous profile set
 * is accepted, and fs.file-max goes back to its original, below twice the hard limit. limits_check()
 * compares with the live value (the previous profile's) instead of the value the switch leaves: the
 * baseline's original, which plan_build() restores. Same cause as test_reapply_keeps_nr_open. */
START_TEST(test_switch_restoring_low_file_max_refused) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *file_max = NULL;

        write_proc("fs/file-max", "1000000\n");
        apply_ok("file-max");
        assert_proc("fs/file-max", "1048576");

        int r = apply("all", &changes, &error);
        file_max = proc_value("fs/file-max");
        /* either refused, or fs.file-max still has room for twice the hard limit */
        ck_assert_msg(r == -EINVAL || strtoull(file_max, NULL, 10) >= 1048576,
                      "switch accepted (%d) and fs.file-max is now %s, below 2 * 524288", r, file_max);
}
END_TEST

/* Regression (fixed): limits_check() takes a profile key's value as the value fs.file-max / fs.nr_open will have
 * (planned_value() in limits-apply.c), ignoring its match and policy. An "at-least" or "raise-only" key
 * below the live value writes nothing, so the live value stays; the check compares the key's value and
 * refuses a profile that is fine. */
typedef struct PolicyCase {
        const char *nr_open, *file_max;
        const char *sysctl; /* the profile's "sysctl" object */
        unsigned long long hard;
} PolicyCase;

static const PolicyCase kept_cases[] = {
        { NR_OPEN, FILE_MAX, "{ \"fs.file-max\": { \"value\": 100000, \"match\": \"at-least\" } }", 524288 },
        { NR_OPEN, FILE_MAX, "{ \"fs.file-max\": { \"value\": 100000, \"policy\": \"raise-only\" } }", 524288 },
        { "4194304", FILE_MAX, "{ \"fs.nr_open\": { \"value\": 1048576, \"match\": \"at-least\" } }", 2000000 },
};

START_TEST(test_at_least_key_below_live_accepted) {
        const PolicyCase *c = &kept_cases[_i];
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *text = NULL;

        write_proc("fs/nr_open", c->nr_open);
        ck_assert_int_ge(asprintf(&text, "{ \"sysctl\": %s, \"limits\": { \"nofile\": { \"soft\": 65536, "
                                         "\"hard\": %llu } } }",
                                  c->sysctl, c->hard),
                         0);
        tree_write(root, "profiles/kept.json", text);
        ck_assert_msg(apply("kept", &changes, &error) == 0, "refused: %s", strempty(error));
        assert_proc("fs/nr_open", c->nr_open);
        assert_proc("fs/file-max", c->file_max);
}
END_TEST

/* Regression (fixed): the other way round: a key with "policy": "ignore" is never written, yet limits_check() counts its
 * value. fs.file-max stays at 1000000, below twice the hard limit 524288, and the profile is accepted. */
START_TEST(test_ignored_key_not_counted) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;

        write_proc("fs/file-max", "1000000\n");
        tree_write(root, "profiles/ignored.json",
                   "{ \"sysctl\": { \"fs.file-max\": { \"value\": 4000000, \"policy\": \"ignore\" } }, " ALL_LIMITS
                   " }");
        int r = apply("ignored", &changes, &error);
        assert_proc("fs/file-max", "1000000");
        ck_assert_msg(r == -EINVAL, "accepted (%d) with fs.file-max 1000000 below 2 * 524288", r);
}
END_TEST

/* Regression (fixed): limits_verify() (limits-apply.c) prints an unlimited hard limit as 0: "65536:0" for a process whose
 * hard limit is unlimited, as if it could open nothing. */
START_TEST(test_unlimited_hard_shown) {
        _cleanup_(report_done) Report findings = {};

        fake_proc("4242", "ws-go", "0::/system.slice/ws-go.service\n", "65536", "unlimited");
        apply_ok("watch");
        ck_assert(manager_verify(m, AS_ROOT, &findings));
        assert_row(&findings, 1, "process ws-go[4242] ws-go.service", ">=65536", "65536:unlimited", "ok");
}
END_TEST

static Suite *manager_limits_suite(void) {
        Suite *s = suite_create("manager-limits");
        TCase *tc;

        tc = tcase_create("files");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_apply_all_layers);
        tcase_add_test(tc, test_dry_run);
        tcase_add_test(tc, test_docker_json_merged);
        tcase_add_test(tc, test_docker_json_unparsable);
        tcase_add_test(tc, test_switch_profiles);
        tcase_add_loop_test(tc, test_blocked_directory, 0, ELEMENTSOF(blocked_cases));
        tcase_add_test(tc, test_full_disk);
        tcase_add_loop_test(tc, test_read_only_directory, 0, ELEMENTSOF(read_only_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("consistency");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_consistency, 0, ELEMENTSOF(check_cases));
        tcase_add_test(tc, test_refused_keeps_active);
        tcase_add_test(tc, test_raise_nr_open);
        suite_add_tcase(s, tc);

        tc = tcase_create("verify");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_verify_files);
        tcase_add_test(tc, test_verify_processes);
        tcase_add_test(tc, test_verify_docker_processes);
        tcase_add_test(tc, test_verify_owner);
        tcase_add_test(tc, test_verify_owner_any);
        tcase_add_test(tc, test_verify_docker_owner);
        tcase_add_test(tc, test_docker_json_ulimit_flag);
        suite_add_tcase(s, tc);

        tc = tcase_create("docker");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_loop_test(tc, test_docker_unit_own_limit, 0, ELEMENTSOF(own_cases));
        tcase_add_test(tc, test_containerd_unit_own_limit);
        tcase_add_test(tc, test_docker_unit_raised_later);
        tcase_add_test(tc, test_docker_unit_later_dropin_wins);
        tcase_add_test(tc, test_docker_unit_dry_run);
        tcase_add_test(tc, test_docker_unit_masked);
        tcase_add_test(tc, test_docker_not_installed);
        tcase_add_test(tc, test_docker_always);
        tcase_add_test(tc, test_docker_always_never_lowers);
        tcase_add_loop_test(tc, test_docker_installed_by, 0, ELEMENTSOF(installed_cases));
        tcase_add_test(tc, test_docker_uninstalled_later);
        suite_add_tcase(s, tc);

        tc = tcase_create("package");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_restore_files);
        tcase_add_test(tc, test_restore_files_bad_state);
        suite_add_tcase(s, tc);

        /* regressions: bugs these tests found, fixed since */
        tc = tcase_create("regressions");
        tcase_add_checked_fixture(tc, setup, teardown);
        tcase_add_test(tc, test_reapply_keeps_nr_open);
        tcase_add_test(tc, test_switch_restoring_low_file_max_refused);
        tcase_add_loop_test(tc, test_at_least_key_below_live_accepted, 0, ELEMENTSOF(kept_cases));
        tcase_add_test(tc, test_ignored_key_not_counted);
        tcase_add_test(tc, test_unlimited_hard_shown);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(manager_limits_suite());
}
