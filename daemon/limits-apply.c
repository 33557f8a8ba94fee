/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* limits-apply.c - the profile's nofile limit across PAM, systemd and Docker.
 *
 * The files come from limit-files.c (what to write) and are written here (when and how): each one atomically,
 * only when its content changes, after its original (or its absence) went into the baseline on disk, so
 * Revert puts back byte-identical originals and removes the drop-ins wstuned created. A written limit
 * changes nothing for running processes: each row and journal entry says what must restart, and
 * Verify looks at the processes themselves (/proc/PID/limits) to say "restart-needed".
 *
 * The docker layer never lowers a limit: docker.service and containerd.service may ship a LimitNOFILE= of
 * their own (infinity in docker-ce 23-24 and containerd 1.x) above the profile's, and a drop-in would take
 * it down. file_plan() compares with what the unit has without wstuned's drop-in (unit-nofile.c says why
 * that comes from the unit files, not from systemd), leaves the drop-in out when the unit's limit is at
 * least the profile's (putting back one wstuned wrote before), and keeps the higher of each limit
 * otherwise; Verify flags a drop-in that lowers the unit's limit. Nor does the layer write for what is not
 * installed, unless the profile says "docker": "always". */
#include <libgen.h>
#include <stdio.h>
#include <sys/stat.h>
#include <syslog.h>

#include "bus-manager.h"
#include "journal.h"
#include "limits-apply.h"
#include "limit-files.h"
#include "proc-limits.h"
#include "unit-nofile.h"

#define LIMIT_FILE_SIZE_MAX (1024u * 1024u)
#define PROC_RESCAN_USEC (5u * 1000000u) /* how old the list of watched processes may get */

static char *kernel_path(const Manager *m, const char *sysctl_path) {
        char *p;
        if (asprintf(&p, "%s/%s", m->paths.proc_sys, sysctl_path) < 0)
                return NULL;
        return p;
}

/* The value a key will have once p is applied, as plan_build() will do it: the profile's value (an
 * at-least or raise-only key keeps a higher live value); for a key p does not manage, the original from
 * the baseline, which the apply restores; else the kernel's value now. NULL when none is known. */
static char *planned_value(const Manager *m, const Profile *p, const char *sysctl_path) {
        const ProfileKey *k = profile_find_key(p, sysctl_path);
        _cleanup_free_ char *path = kernel_path(m, sysctl_path), *live = NULL;
        const char *original;

        if (!path)
                return NULL;
        (void) sysctl_read(path, &live);
        if (k && k->policy != KEY_POLICY_IGNORE) {
                bool at_least = k->match == SYSCTL_MATCH_AT_LEAST || k->policy == KEY_POLICY_RAISE_ONLY;
                if (at_least && live && sysctl_value_is_integer(live) && sysctl_integer_compare(live, k->value) > 0)
                        return TAKE_PTR(live);
                return strdup(k->value);
        }
        original = state_baseline_get(&m->state, sysctl_path);
        if (original)
                return strdup(original);
        return TAKE_PTR(live);
}

int limits_check(Manager *m, Profile *p, char **ret_error) {
        _cleanup_free_ char *nr_open = NULL, *file_max = NULL;
        char hard[32], twice[32];
        int r;

        if (!p->limits.present)
                return 0;
        snprintf(hard, sizeof hard, "%llu", (unsigned long long) p->limits.nofile_hard);
        snprintf(twice, sizeof twice, "%llu", (unsigned long long) p->limits.nofile_hard * 2);

        /* fs.nr_open caps every RLIMIT_NOFILE: above it pam_limits fails and so does the login */
        nr_open = planned_value(m, p, "fs/nr_open");
        if (nr_open && sysctl_value_is_integer(nr_open) && sysctl_integer_compare(nr_open, hard) < 0) {
                const ProfileKey *own = profile_find_key(p, "fs/nr_open");
                if (!p->limits.raise_nr_open || (own && own->policy != KEY_POLICY_IGNORE))
                        return errorf(ret_error, -EINVAL,
                                      "%s: limits.nofile: hard limit %s is above fs.nr_open (%s), so logins would "
                                      "fail; lower it, or set \"raise_nr_open\": true",
                                      p->path, hard, nr_open);
                r = profile_add_key(p, "fs/nr_open", hard, SYSCTL_MATCH_AT_LEAST, KEY_POLICY_ENFORCE);
                if (r < 0)
                        return r;
        }

        /* fs.file-max is for the whole system: one process at its limit must leave room for the rest */
        file_max = planned_value(m, p, "fs/file-max");
        if (file_max && sysctl_value_is_integer(file_max) && sysctl_integer_compare(file_max, twice) < 0)
                return errorf(ret_error, -EINVAL,
                              "%s: limits.nofile: hard limit %s does not fit comfortably under fs.file-max (%s); "
                              "fs.file-max needs at least %s: raise it in the profile",
                              p->path, hard, file_max, twice);
        return 0;
}

/* "soft:hard" ("200000:infinity" for a unit's drop-in that keeps the unit's infinity). */
static void values_string(const ProfileLimits *l, char *buf, size_t size) {
        char soft[24], hard[24];

        if (l->nofile_soft == UNIT_NOFILE_INFINITY)
                snprintf(soft, sizeof soft, "infinity");
        else
                snprintf(soft, sizeof soft, "%llu", (unsigned long long) l->nofile_soft);
        if (l->nofile_hard == UNIT_NOFILE_INFINITY)
                snprintf(hard, sizeof hard, "infinity");
        else
                snprintf(hard, sizeof hard, "%llu", (unsigned long long) l->nofile_hard);
        snprintf(buf, size, "%s:%s", soft, hard);
}

static void nofile_string(const ProfileLimits *l, char *buf, size_t size) {
        char values[48];

        values_string(l, values, sizeof values);
        snprintf(buf, size, "nofile %s", values);
}

/* Put a file back as the baseline has it: its original bytes, owner and mode, or no file. What is already as
 * the baseline has it is not written (a read-only directory says EROFS even when there is nothing to change). */
static int file_restore(const char *full, const FileBaseline *b) {
        if (!b->content)
                return unlink_file_nofollow(full);
        int r = write_file_atomic(full, b->content, strlen(b->content), b->meta, 0);
        return r < 0 ? r : 0;
}

static int parent_dir_create(const char *full) {
        _cleanup_free_ char *copy = strdup(full);
        if (!copy)
                return -ENOMEM;
        return mkdir_parents(dirname(copy), 0755);
}

/* Why a file could not be written. An owner or group other than root's is kept with fchown(), which needs
 * CAP_CHOWN: the shipped unit does not grant it (it would raise the sandbox's exposure), so such a file is left
 * as it is, with this error. */
static const char *file_write_error(int r, const FileMeta *meta, char *buf, size_t size) {
        if (r != -EPERM || (meta->uid == 0 && meta->gid == 0) || meta->uid == (uid_t) -1)
                return file_error_to_string(r);
        snprintf(buf, size,
                 "cannot keep its owner and group %u:%u: that needs CAP_CHOWN, which the wstuned unit does not "
                 "grant (make the file root's, or see SECURITY in wstuned(8))",
                 (unsigned) meta->uid, (unsigned) meta->gid);
        return buf;
}

/* A file that could not be written (profile NULL: restored): a report row, and a journal entry unless
 * this is a dry run. error: the positive errno when a system call failed (ERRNO= in the journal), else 0. */
static void file_failed(Manager *m, Report *changes, bool dry_run, const char *path, const char *profile, int error,
                        const char *why) {
        char result[512];

        snprintf(result, sizeof result, "error: %s", why);
        (void) report_add(changes, path, NULL, NULL, result);
        if (!dry_run)
                log_event(EVENT_FILE_FAILED, EVENT_FIELDS(.profile = profile, .key = path, .error = error),
                          "%s not %s: %s", path, profile ? "written" : "restored", why);
}

static unsigned restore_one(Manager *m, LimitFile f, const FileBaseline *b, bool dry_run, uid_t caller,
                            Report *changes) {
        const char *path = limit_file_path(f);
        _cleanup_free_ char *full = path_join_root(m->paths.root, path);
        int r;

        if (!full)
                return 1;
        if (dry_run) {
                (void) report_add(changes, path, "wstuned's", b->content ? "original" : "(none)", "would-restore");
                return 0;
        }
        r = file_restore(full, b);
        if (r < 0) {
                char reason[256];
                file_failed(m, changes, false, path, NULL, -r, file_write_error(r, &b->meta, reason, sizeof reason));
                return 1;
        }
        log_event(EVENT_FILE_RESTORED, EVENT_FIELDS(.key = path, .caller = caller), "%s %s (%s)", path,
                  b->content ? "restored to its original" : "removed", limit_file_takes_effect(f));
        (void) report_add(changes, path, "wstuned's", b->content ? "original" : "(none)", "restore");
        state_file_remove(&m->state, path);
        return 0;
}

/* The daemons of the docker layer, found by name for Verify and for the --default-ulimit check. A name alone
 * proves nothing (any user can run a program named dockerd), so each counts only as root and only in a unit
 * whose limit the layer sets: dockerd in docker.service (docker.socket starts it there too); containerd in
 * containerd.service, or in docker.service when dockerd started it itself (no containerd.service), where a
 * docker.service restart is what restarts it. Only root can move a process into a system unit's cgroup. A
 * dockerd anywhere else (a docker-in-docker container, a snap's own unit, a rootless daemon in a user's
 * session) reads other files than those the layer writes. */
static const char *const dockerd_units[] = { "docker.service", NULL };
static const char *const containerd_units[] = { "containerd.service", "docker.service", NULL };
static const ProcName docker_daemons[] = {
        { .comm = "dockerd", .units = dockerd_units },
        { .comm = "containerd", .units = containerd_units },
};

/* dockerd refuses to start when default-ulimits is both a command line flag and in daemon.json. Returns
 * the PID of a dockerd (as docker_daemons has it) running with --default-ulimit, 0 when none. */
static pid_t dockerd_with_ulimit_flag(const Manager *m) {
        _cleanup_free_ char *proc_root = path_join_root(m->paths.kernel_root, "/proc");
        ProcName dockerd = docker_daemons[0];
        ProcMatch *found = NULL;
        size_t n = 0;
        pid_t pid = 0;

        dockerd.arg = "--default-ulimit";
        if (!proc_root || proc_find(proc_root, &dockerd, 1, NULL, &found, &n) < 0)
                return 0;
        if (n > 0)
                pid = found[0].pid;
        proc_matches_free(found, n);
        return pid;
}

/* Where the packages put dockerd: docker-ce and the static binaries /usr/bin, Debian's docker.io /usr/sbin. */
static const char *const dockerd_paths[] = { "/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd" };

/* Docker is installed when docker.service has a unit file or dockerd is where a package puts it, under the
 * root prefix. */
static bool docker_installed(const Manager *m) {
        int r = unit_file_find(m->paths.root, "docker.service", NULL);
        if (r == 0)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(dockerd_paths); i++) {
                _cleanup_free_ char *full = path_join_root(m->paths.root, dockerd_paths[i]);
                if (full && access(full, F_OK) >= 0)
                        return true;
        }
        return false;
}

/* daemon.json is the admin's to merge into: it was there before wstuned first wrote it (the baseline says
 * so), or, with no baseline, something is at its path now. */
static bool docker_json_is_admins(const Manager *m) {
        const char *path = limit_file_path(LIMIT_FILE_DOCKER_JSON);
        const FileBaseline *b = state_file_get(&m->state, path);
        _cleanup_free_ char *full = NULL;
        struct stat st;

        if (b)
                return b->content;
        full = path_join_root(m->paths.root, path);
        return full && lstat(full, &st) >= 0;
}

typedef struct FilePlan {
        bool write;           /* false: the file is left out, why says why */
        ProfileLimits limits; /* write: what it carries, the profile's limits or a unit's own higher ones */
        UnitNofile own;       /* a unit's drop-in: the unit's LimitNOFILE= without wstuned's drop-in */
        UnitNofile with_ours; /* and with it, where it is among the unit's drop-ins */
        char why[192];        /* !write: "docker.service already has LimitNOFILE=infinity"; an error's message */
} FilePlan;

/* Whether and what to write for f under p: the profile's limits, except for the docker layer, which writes
 *   - a unit's drop-in only when the unit has a unit file (not masked), and not when the unit's own limit
 *     is already at least the profile's, soft and hard; when only one of them is, the drop-in keeps it;
 *   - daemon.json only when Docker is installed or the file is the admin's (one wstuned created does not
 *     count);
 * and either one also where the unit or Docker is missing with "docker": "always". A negative errno (the
 * message in why) when a unit's files cannot be read: what the unit has is unknown, so nothing is written. */
static int file_plan(const Manager *m, const Profile *p, LimitFile f, FilePlan *ret) {
        const char *unit = limit_file_unit(f);
        char own[UNIT_NOFILE_STRING_MAX];
        int r;

        *ret = (FilePlan) { .write = true, .limits = p->limits };
        if (unit) {
                r = unit_nofile_load(m->paths.root, unit, limit_file_path(f), &ret->own, &ret->with_ours);
                if (r == -ENOENT || r == -ERFKILL) {
                        if (p->limits.docker_always)
                                return 0;
                        ret->write = false;
                        snprintf(ret->why, sizeof ret->why, "%s is %s", unit,
                                 r == -ENOENT ? "not installed" : "masked");
                        return 0;
                }
                if (r < 0) {
                        snprintf(ret->why, sizeof ret->why, "cannot read the unit files of %s: %s", unit,
                                 r == -E2BIG ? "too many drop-ins" : file_error_to_string(r));
                        return r;
                }
                r = limits_unit_wanted(&p->limits, &ret->own, &ret->limits);
                if (r < 0) {
                        snprintf(ret->why, sizeof ret->why, "%s", strerror(-r));
                        return r;
                }
                if (r == 0) {
                        ret->write = false;
                        snprintf(ret->why, sizeof ret->why, "%s already has LimitNOFILE=%s", unit,
                                 unit_nofile_format(ret->own.soft, ret->own.hard, own));
                }
                return 0;
        }
        if (f == LIMIT_FILE_DOCKER_JSON && !p->limits.docker_always && !docker_installed(m) &&
            !docker_json_is_admins(m)) {
                ret->write = false;
                snprintf(ret->why, sizeof ret->why, "Docker is not installed");
        }
        return 0;
}

/* f is left out (plan->why): a report row, and a file wstuned wrote before goes back to its baseline. A unit
 * whose own limit is higher is logged on each Apply; a missing one, the usual case on a host without Docker,
 * only when a file of wstuned's goes. In a drift repair (no row) only a file of wstuned's is touched; a file
 * someone else put there since is theirs. */
static unsigned skip_one(Manager *m, LimitFile f, const Profile *p, const FilePlan *plan, bool dry_run, bool repair,
                         uid_t caller, Report *changes) {
        const char *path = limit_file_path(f);
        const FileBaseline *b = state_file_get(&m->state, path);
        _cleanup_free_ char *full = path_join_root(m->paths.root, path);
        char result[256], values[48], own[UNIT_NOFILE_STRING_MAX];
        struct stat st;
        int r;

        if (!full)
                return 1;
        if (repair && !b)
                return 0;
        bool had = b, created = b && !b->content;
        const char *before = had ? "wstuned's" : lstat(full, &st) >= 0 ? "present" : "(none)";
        const char *after = had ? (created ? "(none)" : "original") : before;

        if (dry_run) {
                snprintf(result, sizeof result, "would-skip: %s", plan->why);
                (void) report_add(changes, path, before, after, result);
                return 0;
        }
        if (had) {
                r = file_restore(full, b);
                if (r < 0) {
                        file_failed(m, changes, false, path, NULL, -r, file_error_to_string(r));
                        return 1;
                }
                state_file_remove(&m->state, path);
        }
        snprintf(result, sizeof result, "skipped: %s%s", plan->why,
                 !had ? "" : created ? "; wstuned's file removed" : "; its original restored");
        if (!repair)
                (void) report_add(changes, path, before, after, result);
        if (had || plan->own.set) {
                values_string(&p->limits, values, sizeof values);
                log_event(EVENT_FILE_SKIPPED,
                          EVENT_FIELDS(.profile = p->name, .key = path, .expected = values,
                                       .actual = plan->own.set ? unit_nofile_format(plan->own.soft, plan->own.hard, own)
                                                               : NULL,
                                       .caller = caller, .priority = had ? LOG_NOTICE : 0),
                          "%s not written (nofile %s): %s%s%s%s", path, values, plan->why,
                          !had ? "" : created ? "; wstuned's file removed" : "; its original restored",
                          had ? "; takes effect for " : "", had ? limit_file_takes_effect(f) : "");
        }
        return 0;
}

/* repair: the file was ours and someone changed or removed it; log and signal a drift, no report row. */
static unsigned write_one(Manager *m, LimitFile f, const Profile *p, bool dry_run, bool repair, uid_t caller,
                          Report *changes) {
        const char *path = limit_file_path(f);
        _cleanup_free_ char *full = path_join_root(m->paths.root, path), *current = NULL, *desired = NULL,
                            *error = NULL;
        char nofile[64], values[48], result[256];
        FileMeta meta = FILE_MODE(0644);
        FilePlan plan;
        size_t size = 0;
        int r;

        if (!full)
                return 1;
        r = file_plan(m, p, f, &plan);
        if (r < 0) {
                file_failed(m, changes, dry_run, path, p->name, r == -E2BIG ? 0 : -r, plan.why);
                return 1;
        }
        if (!plan.write)
                return skip_one(m, f, p, &plan, dry_run, repair, caller, changes);
        const ProfileLimits *l = &plan.limits;
        nofile_string(l, nofile, sizeof nofile);
        values_string(l, values, sizeof values);

        r = read_file_nofollow(full, LIMIT_FILE_SIZE_MAX, &current, &size, &meta);
        if (r < 0 && r != -ENOENT) {
                file_failed(m, changes, dry_run, path, p->name, -r, file_error_to_string(r));
                return 1;
        }
        if (f == LIMIT_FILE_DOCKER_JSON) {
                pid_t dockerd = dockerd_with_ulimit_flag(m);
                if (dockerd > 0) {
                        char why[160];
                        snprintf(why, sizeof why,
                                 "dockerd (pid %d) runs with --default-ulimit: with default-ulimits also in this file "
                                 "it would not start again; set the limit in one place",
                                 (int) dockerd);
                        file_failed(m, changes, dry_run, path, p->name, 0, why);
                        return 1;
                }
                r = limits_merge_docker_json(current, size, path, l, &desired, &error);
        } else
                r = limits_render(f, l, p->name, &desired);
        if (r < 0) {
                file_failed(m, changes, dry_run, path, p->name, error ? 0 : -r, error ?: strerror(-r));
                return 1;
        }
        if (current && streq(current, desired)) {
                m->file_reported &= ~(1u << f);
                return 0;
        }

        if (dry_run) {
                (void) report_add(changes, path, current ? "present" : "(none)", nofile, "would-write");
                return 0;
        }
        /* policy warn: a changed file is reported once, not written */
        if (repair && p->limits.policy == KEY_POLICY_WARN) {
                const char *found = current ? "changed" : "deleted";
                if (m->file_reported & (1u << f))
                        return 0;
                m->file_reported |= 1u << f;
                log_event(EVENT_DRIFT_REPORTED,
                          EVENT_FIELDS(.profile = p->name, .key = path, .expected = values, .actual = found,
                                       .action = "reported"),
                          "%s was %s (limits policy warn: not written again)", path, found);
                bus_manager_emit_drifted(m, path, values, found, "reported");
                return 0;
        }

        /* another writer that keeps rewriting the file is not fought in a loop (as for sysctls) */
        if (repair) {
                const char *found = current ? "changed" : "deleted";
                FightSettings fs = manager_fight_settings(m);
                switch (fight_check(&m->file_fights[f], &fs, now_usec())) {
                case FIGHT_WAIT:
                        return 0;
                case FIGHT_BACK_OFF:
                        log_event(EVENT_KEY_FIGHTING,
                                  EVENT_FIELDS(.profile = p->name, .key = path, .expected = values, .actual = found,
                                               .action = "backed-off"),
                                  "Another writer keeps changing %s: not rewriting it for %llu s", path,
                                  (unsigned long long) (m->file_fights[f].backoff_usec / 1000000u));
                        bus_manager_emit_drifted(m, path, values, found, "backed-off");
                        return 0;
                case FIGHT_CORRECT:
                        break;
                }
        }

        /* the original goes to disk before the first write */
        if (!state_file_get(&m->state, path)) {
                if (current && (memchr(current, '\0', size) || !utf8_is_valid(current))) {
                        file_failed(m, changes, dry_run, path, p->name, 0,
                                    "the existing file is not text; left as it is");
                        return 1;
                }
                r = state_file_set(&m->state, path, current, meta);
                if (r >= 0)
                        r = manager_save_state(m);
                if (r < 0) {
                        _cleanup_free_ char *why = NULL;
                        state_file_remove(&m->state, path);
                        if (asprintf(&why, "cannot save its original in %s: %s", m->paths.state_file,
                                     strerror(-r)) < 0)
                                why = NULL;
                        file_failed(m, changes, dry_run, path, p->name, -r, why ?: strerror(-r));
                        return 1;
                }
        }

        r = parent_dir_create(full);
        if (r >= 0)
                r = write_file_atomic(full, desired, strlen(desired), FILE_MODE(0644), WRITE_FILE_KEEP_META);
        if (r < 0) {
                char reason[256];
                file_failed(m, changes, dry_run, path, p->name, -r, file_write_error(r, &meta, reason, sizeof reason));
                return 1;
        }
        if (repair) {
                const char *found = current ? "changed" : "deleted";
                m->drift_corrections++;
                log_event(EVENT_DRIFT_CORRECTED,
                          EVENT_FIELDS(.profile = p->name, .key = path, .expected = values, .actual = found,
                                       .action = "corrected"),
                          "%s was %s and was written again (%s; takes effect for %s)", path, found, nofile,
                          limit_file_takes_effect(f));
                bus_manager_emit_drifted(m, path, values, found, "corrected");
                return 0;
        }
        snprintf(result, sizeof result, "written: takes effect for %s", limit_file_takes_effect(f));
        (void) report_add(changes, path, current ? "present" : "(none)", nofile, result);
        log_event(EVENT_FILE_WRITTEN,
                  EVENT_FIELDS(.profile = p->name, .key = path, .expected = values, .caller = caller),
                  "%s: %s written; takes effect for %s", path, nofile, limit_file_takes_effect(f));
        return 0;
}

static bool file_enabled(const Profile *p, LimitFile f) {
        return p && p->limits.present && (p->limits.layers & (1u << limit_file_layer(f)));
}

unsigned limits_apply(Manager *m, const Profile *p, bool dry_run, uid_t caller, Report *changes) {
        unsigned failed = 0;

        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                if (file_enabled(p, f))
                        failed += write_one(m, f, p, dry_run, false, caller, changes);
                else {
                        const FileBaseline *b = state_file_get(&m->state, limit_file_path(f));
                        if (b)
                                failed += restore_one(m, f, b, dry_run, caller, changes);
                }
        }
        if (!dry_run) {
                int r = manager_save_state(m);
                if (r < 0)
                        log_error("Cannot save %s: %s", m->paths.state_file, strerror(-r));
        }
        limits_forget_processes(m);
        return failed;
}

unsigned limits_repair(Manager *m) {
        uint64_t before = m->drift_corrections;

        if (!m->profile || !m->profile->limits.present)
                return 0;
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++)
                if (file_enabled(m->profile, f))
                        (void) write_one(m, f, m->profile, false, true, (uid_t) -1, NULL);
        return (unsigned) (m->drift_corrections - before);
}

int limits_remove_stale_temp_files(const Manager *m) {
        int removed = 0;

        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *full = path_join_root(m->paths.root, limit_file_path(f));
                if (!full)
                        return -ENOMEM;
                int r = write_file_atomic_cleanup(full);
                if (r > 0)
                        removed += r;
        }
        return removed;
}

int limits_watch_dirs(const Manager *m, char ***ret) {
        _cleanup_strv_free_ char **dirs = calloc(1, sizeof(char *));

        if (!dirs)
                return -ENOMEM;
        for (LimitFile f = 0; m->profile && m->profile->limits.present && f < _LIMIT_FILE_MAX; f++) {
                FilePlan plan;

                if (!file_enabled(m->profile, f))
                        continue;
                /* a file the docker layer leaves out has nothing to keep (its directory may not even exist) */
                if (file_plan(m, m->profile, f, &plan) >= 0 && !plan.write)
                        continue;
                char *full = path_join_root(m->paths.root, limit_file_path(f));
                if (!full)
                        return -ENOMEM;
                char *dir = strdup(dirname(full));
                free(full);
                if (!dir)
                        return -ENOMEM;
                if (strv_contains(dirs, dir)) {
                        free(dir);
                        continue;
                }
                if (strv_push(&dirs, dir) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(dirs);
        return 0;
}

void limits_forget_processes(Manager *m) {
        proc_matches_free(m->procs, m->n_procs);
        m->procs = NULL;
        m->n_procs = 0;
        m->procs_scanned_usec = 0;
}

/* The processes Verify watches: rescanned when the list is older than PROC_RESCAN_USEC or one is gone. The
 * profile's processes count as its owner field says; those of its services whoever runs them. */
static void procs_refresh(Manager *m, const ProfileLimits *l) {
        _cleanup_free_ char *proc_root = path_join_root(m->paths.kernel_root, "/proc");
        _cleanup_free_ ProcName *names = NULL;
        size_t n_names = 0;
        uint64_t now = now_usec();
        bool gone = false;

        if (!proc_root)
                return;
        for (size_t i = 0; i < m->n_procs; i++)
                if (proc_match_refresh(proc_root, &m->procs[i]) < 0)
                        gone = true;
        if (!gone && m->procs_scanned_usec && now - m->procs_scanned_usec < PROC_RESCAN_USEC)
                return;

        names = calloc(l->n_processes + ELEMENTSOF(docker_daemons), sizeof(ProcName));
        if (!names)
                return;
        for (size_t i = 0; i < l->n_processes; i++)
                names[n_names++] = (ProcName) { .comm = l->processes[i].name,
                                                .any_owner = l->processes[i].owner == PROCESS_OWNER_ANY };
        if (l->layers & (1u << LIMIT_LAYER_DOCKER))
                for (size_t i = 0; i < ELEMENTSOF(docker_daemons); i++)
                        names[n_names++] = docker_daemons[i];
        limits_forget_processes(m);
        if (proc_find(proc_root, names, n_names, l->services, &m->procs, &m->n_procs) < 0)
                return;
        m->procs_scanned_usec = now;
}

static void limit_string(uint64_t v, char *buf, size_t size) {
        if (v == UINT64_MAX)
                snprintf(buf, size, "unlimited");
        else
                snprintf(buf, size, "%llu", (unsigned long long) v);
}

bool limits_verify(Manager *m, Report *findings) {
        const ProfileLimits *l;
        char nofile[64], expected[64], item[128], actual[64], verdict[128];
        bool ok = true;

        if (!m->profile || !m->profile->limits.present)
                return true;
        l = &m->profile->limits;
        nofile_string(l, nofile, sizeof nofile);

        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *full = NULL, *content = NULL;
                char want[256], unreadable[256], own[UNIT_NOFILE_STRING_MAX];
                const char *unit = limit_file_unit(f);
                FilePlan plan;
                size_t size = 0;
                bool holds;
                int r;

                if (!file_enabled(m->profile, f))
                        continue;
                r = file_plan(m, m->profile, f, &plan);
                if (r < 0) {
                        snprintf(unreadable, sizeof unreadable, "error: %s", plan.why);
                        (void) report_add(findings, limit_file_path(f), nofile, NULL, unreadable);
                        ok = false;
                        continue;
                }
                if (plan.write)
                        nofile_string(&plan.limits, want, sizeof want);
                else
                        snprintf(want, sizeof want, "skipped: %s", plan.why);

                /* a drop-in that takes the unit below its own limit: written before the unit (an upgrade)
                 * raised it, or by hand */
                if (unit && unit_nofile_lowers(&plan.with_ours, &plan.own)) {
                        ProfileLimits with = { .nofile_soft = plan.with_ours.soft, .nofile_hard = plan.with_ours.hard };
                        char actual_with[64];
                        nofile_string(&with, actual_with, sizeof actual_with);
                        snprintf(verdict, sizeof verdict, "lowers: %s has LimitNOFILE=%s", unit,
                                 unit_nofile_format(plan.own.soft, plan.own.hard, own));
                        (void) report_add(findings, limit_file_path(f), want, actual_with, verdict);
                        ok = false;
                        continue;
                }

                full = path_join_root(m->paths.root, limit_file_path(f));
                if (!full)
                        return false;
                if (!plan.write) {
                        /* nothing to hold: whatever is there does not lower the unit's limit */
                        struct stat st;
                        (void) report_add(findings, limit_file_path(f), want,
                                          lstat(full, &st) >= 0 ? "present" : "(none)", "ok");
                        continue;
                }
                r = read_file_nofollow(full, LIMIT_FILE_SIZE_MAX, &content, &size, NULL);
                holds = r >= 0 && limits_file_holds(f, content, size, &plan.limits, m->profile->name);
                ok = ok && holds;
                snprintf(unreadable, sizeof unreadable, "error: %s", file_error_to_string(r));
                (void) report_add(findings, limit_file_path(f), want,
                                  r == -ENOENT ? "(none)" : r < 0 ? NULL : holds ? want : "other content",
                                  holds ? "ok" : r == -ENOENT ? "missing" : r < 0 ? unreadable : "drifted");
        }

        procs_refresh(m, l);
        snprintf(expected, sizeof expected, ">=%llu", (unsigned long long) l->nofile_soft);
        for (size_t i = 0; i < m->n_procs; i++) {
                const ProcMatch *p = &m->procs[i];
                bool enough = p->soft >= l->nofile_soft;

                snprintf(item, sizeof item, "process %s[%d]%s%s", p->comm, (int) p->pid, p->unit ? " " : "",
                         strempty(p->unit));
                char soft[24], hard[24];
                limit_string(p->soft, soft, sizeof soft);
                limit_string(p->hard, hard, sizeof hard);
                snprintf(actual, sizeof actual, "%s:%s", soft, hard);
                if (enough)
                        snprintf(verdict, sizeof verdict, "ok");
                else if (p->unit)
                        snprintf(verdict, sizeof verdict, "restart-needed: %s", p->unit);
                else
                        snprintf(verdict, sizeof verdict, "restart-needed: pid %d", (int) p->pid);
                ok = ok && enough;
                (void) report_add(findings, item, expected, actual, verdict);
        }
        return ok;
}
