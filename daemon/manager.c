/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manager.c - apply, verify and revert the active profile's sysctls, keeping a baseline.
 *
 * Apply works in three steps so that nothing is lost on a crash or a bad profile:
 *  1. plan: parse the profile, read every key and decide what to write (nothing is touched);
 *  2. remember: record the original value of every key about to change for the first time in the
 *     baseline, together with the new active profile, and save it atomically before any write;
 *  3. write: restore keys the new profile no longer manages, write the new values one write(2)
 *     each, read them back, then drop baseline entries of writes that did not happen.
 * Revert writes the baseline back and forgets the profile. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "bus-manager.h"
#include "config.h"
#include "journal.h"
#include "limits-apply.h"
#include "manager.h"
#include "pressure-watch.h"

static const char *const key_state_table[_KEY_STATE_MAX] = {
        [KEY_STATE_OK] = "ok",
        [KEY_STATE_DRIFTED] = "drifted",
        [KEY_STATE_PENDING] = "pending",
        [KEY_STATE_FIGHTING] = "fighting",
        [KEY_STATE_UNMANAGED] = "unmanaged",
        [KEY_STATE_ERROR] = "error",
};

const char *key_state_to_string(KeyState s) {
        return s >= 0 && s < _KEY_STATE_MAX ? key_state_table[s] : NULL;
}

static const char *const manager_state_table[_MANAGER_STATE_MAX] = {
        [MANAGER_STATE_INACTIVE] = "inactive",
        [MANAGER_STATE_OK] = "ok",
        [MANAGER_STATE_PENDING] = "pending",
        [MANAGER_STATE_DEGRADED] = "degraded",
};

const char *manager_state_to_string(ManagerState s) {
        return s >= 0 && s < _MANAGER_STATE_MAX ? manager_state_table[s] : NULL;
}

int paths_init(Paths *p, const char *root, const char *kernel_root, const char *vendor_profiles) {
        *p = (Paths) {};
        p->root = strdup(root ?: "/");
        p->kernel_root = strdup(kernel_root ?: "/");
        p->config_file = path_join_root(root, "/etc/wstuned/wstuned.json");
        p->state_dir = path_join_root(root, "/var/lib/wstuned");
        p->proc_sys = path_join_root(kernel_root, "/proc/sys");
        p->profile_dirs[0] = path_join_root(root, "/etc/wstuned/profiles");
        p->profile_dirs[1] = vendor_profiles ? strdup(vendor_profiles)
                                             : path_join_root(root, WSTUNED_PKGDATADIR "/profiles");
        if (p->state_dir && asprintf(&p->state_file, "%s/state.json", p->state_dir) < 0)
                p->state_file = NULL;
        if (!p->root || !p->kernel_root || !p->config_file || !p->state_dir || !p->state_file || !p->proc_sys ||
            !p->profile_dirs[0] || !p->profile_dirs[1]) {
                paths_done(p);
                return -ENOMEM;
        }
        return 0;
}

void paths_done(Paths *p) {
        free(p->root);
        free(p->kernel_root);
        free(p->config_file);
        free(p->state_dir);
        free(p->state_file);
        free(p->proc_sys);
        free(p->profile_dirs[0]);
        free(p->profile_dirs[1]);
        *p = (Paths) {};
}

int manager_new(Manager **ret) {
        Manager *m = calloc(1, sizeof(Manager));
        if (!m)
                return -ENOMEM;
        settings_init(&m->settings);
        watch_settings_init(&m->default_watch);
        pressure_state_init(&m->pressure);
        m->published_state = _MANAGER_STATE_MAX;
        *ret = m;
        return 0;
}

static void keys_free(ManagedKey *keys, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(keys[i].proc_path);
                free(keys[i].actual);
                free(keys[i].raw);
                closep(&keys[i].fd);
        }
        free(keys);
}



Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        keys_free(m->keys, m->n_keys);
        pressure_watch_stop(m);
        limits_forget_processes(m);
        profile_free(m->profile);
        sysctld_cache_done(&m->sysctld);
        state_done(&m->state);
        free(m->state_newer_error);
        settings_done(&m->settings);
        paths_done(&m->paths);
        free(m->published_profile);
        free(m->published_pending);
        free(m->published_summary);
        free(m);
        return NULL;
}

static char *proc_path(const Manager *m, const char *path) {
        char *p;
        if (asprintf(&p, "%s/%s", m->paths.proc_sys, path) < 0)
                return NULL;
        return p;
}

static const char *const *profile_dirs(const Manager *m) {
        return (const char *const *) m->paths.profile_dirs;
}

/* raise-only implies that a higher live value is acceptable. */
static SysctlMatch key_match(const ProfileKey *k) {
        return k->policy == KEY_POLICY_RAISE_ONLY ? SYSCTL_MATCH_AT_LEAST : k->match;
}

static char *expected_string(const ProfileKey *k) {
        char *s;
        if (key_match(k) == SYSCTL_MATCH_AT_LEAST) {
                if (asprintf(&s, ">=%s", k->value) < 0)
                        return NULL;
                return s;
        }
        return strdup(k->value);
}

/* Read a managed key through its kept descriptor, opening it first when needed. A module that goes away
 * takes its sysctl table with it: reads then fail with ENOENT, and the descriptor is dropped so the next
 * read opens the new file. */
static int key_open(ManagedKey *k) {
        if (k->fd >= 0)
                return 0;
        k->fd = open(k->proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (k->fd < 0)
                return -errno;
        k->secret = !sysctl_fd_is_public(k->fd);
        return 0;
}

static int key_read(ManagedKey *k, char **ret) {
        int r = key_open(k);

        if (r < 0)
                return r;
        r = sysctl_read_fd(k->fd, ret);
        if (r < 0 && r != -ENOMEM) {
                closep(&k->fd);
                k->fd = -1;
        }
        return r;
}

static bool key_holds(const ManagedKey *k, const char *value) {
        return sysctl_value_matches(value, k->spec->value, key_match(k->spec));
}

/* Read a managed key and derive its state. A failed write stays an error until the value holds; a key
 * wstuned backs off from stays "fighting" while it does not hold. */
static void key_refresh(ManagedKey *k, uint64_t now) {
        char *value = NULL;
        int r;

        if (k->spec->policy == KEY_POLICY_IGNORE) {
                k->state = KEY_STATE_UNMANAGED;
                return;
        }
        r = key_read(k, &value);
        free(k->actual);
        k->actual = value;
        if (r == -ENOENT || r == -ENOTDIR) {
                if (k->state != KEY_STATE_PENDING)
                        k->pending_since = now;
                k->state = KEY_STATE_PENDING;
        } else if (r < 0) {
                k->state = KEY_STATE_ERROR;
                k->error = -r;
        } else if (key_holds(k, value)) {
                k->state = KEY_STATE_OK;
                k->error = 0;
        } else if (k->state == KEY_STATE_PENDING)
                ; /* it just appeared: still "pending" (not applied yet) until the poll sets it */
        else
                k->state = k->error                              ? KEY_STATE_ERROR
                           : fight_backing_off(&k->fight, now) ? KEY_STATE_FIGHTING
                                                                : KEY_STATE_DRIFTED;
}

/* What Get and Verify show for a key: its state, or "error: <reason>". */
static const char *key_verdict(const ManagedKey *k, char *buf, size_t size) {
        if (k->state != KEY_STATE_ERROR)
                return key_state_to_string(k->state);
        snprintf(buf, size, "error: %s", strerror(k->error ?: EIO));
        return buf;
}

/* The values of a key that only root may read stay out of the journal and signals (root reads them with Get). */
#define HIDDEN_VALUE "(hidden)"
#define KEY_DENIED "denied" /* Get's state for a key the caller may not read */

static const char *value_shown(bool secret, const char *value) {
        return secret ? NULL : value;
}

static const char *value_text(bool secret, const char *value) {
        return secret ? HIDDEN_VALUE : strempty(value);
}

/* ---- who else sets a key: sysctl.d ----
 *
 * systemd-sysctl writes the sysctl.d values at boot, and again whenever someone runs it or `sysctl --system`;
 * wstuned then sets its own values back. Get and Verify say which file sets a managed key to a value that does
 * not hold, the journal says which file set the value a drift or an Apply found. The files are read again only
 * when a stat() of their directories or of themselves shows a change, and only here: never per poll. */

/* The sysctl.d configuration, read again when it changed; NULL when it could never be read. */
static const SysctldConfig *manager_sysctld(Manager *m) {
        int before = m->sysctld.error;
        int r = sysctld_cache_refresh(&m->sysctld, m->paths.root);

        if (r < 0 && -r != before)
                log_error("Cannot read the sysctl.d files: %s", strerror(-r));
        return m->sysctld.loaded ? &m->sysctld.config : NULL;
}

/* The line that sets the key at path at boot, and its value normalised (*ret_value, NULL when it is not a value
 * wstuned can compare: empty, too long). NULL when nothing sets the key. */
static const SysctldAssignment *sysctld_setting(const SysctldConfig *c, const char *path, char **ret_value) {
        const SysctldAssignment *a = c ? sysctld_lookup(c, path) : NULL;
        const char *reason;

        *ret_value = NULL;
        if (a && sysctl_value_normalize(a->value, ret_value, &reason) < 0)
                *ret_value = NULL;
        return a;
}

/* " (also set to VALUE by FILE:LINE)" when a sysctl.d file sets the managed key to a value that does not hold
 * for the profile (for a key only root may read, without the value); NULL when none does. */
static char *key_conflict_note(const SysctldConfig *c, const ManagedKey *k) {
        _cleanup_free_ char *value = NULL;
        const SysctldAssignment *a;
        char *note;

        if (k->spec->policy == KEY_POLICY_IGNORE)
                return NULL;
        a = sysctld_setting(c, k->spec->path, &value);
        if (!a || !value || sysctl_value_matches(value, k->spec->value, key_match(k->spec)))
                return NULL;
        if (k->secret ? asprintf(&note, " (also set by %s:%u)", a->file, a->line) < 0
                      : asprintf(&note, " (also set to %s by %s:%u)", value, a->file, a->line) < 0)
                return NULL;
        return note;
}

/* The sysctl.d line that sets the key at path to value (normalised), as a journal entry names it: the fields
 * go to *fields, the text to append to the message to *ret_text (NULL when no file does). */
static void conflict_describe(const SysctldConfig *c, const char *path, const char *value, bool secret,
                              EventFields *fields, char **ret_text) {
        _cleanup_free_ char *set = NULL;
        const SysctldAssignment *a = value ? sysctld_setting(c, path, &set) : NULL;

        *ret_text = NULL;
        if (!a || !set || !sysctl_value_matches(value, set, SYSCTL_MATCH_EXACT))
                return;
        fields->conflict_file = a->file;
        fields->conflict_line = a->line;
        if (asprintf(ret_text, "; %s:%u sets it to %s", a->file, a->line, value_text(secret, value)) < 0)
                *ret_text = NULL;
}

/* Read a managed key for a caller: one that only root may read is not read again for anyone else (its
 * state stays the poll's). */
static void key_refresh_for(ManagedKey *k, Caller *caller) {
        (void) key_open(k); /* learns the file's mode; opening reads nothing */
        if (!k->secret || caller_is_root(caller))
                key_refresh(k, now_usec());
}

/* The state of a key, with the note of a sysctl.d file that sets it to another value: "ok (also set to 1 by
 * /etc/sysctl.d/60-gce-network-security.conf:12)". The D-Bus rows keep their four columns; the state is the
 * text before " (also set". */
static char *key_verdict_noted(const SysctldConfig *c, const ManagedKey *k, char *buf, size_t size) {
        _cleanup_free_ char *note = key_conflict_note(c, k);
        const char *verdict = key_verdict(k, buf, size);
        char *s;

        if (asprintf(&s, "%s%s", verdict, strempty(note)) < 0)
                return NULL;
        return s;
}

static int key_report(const SysctldConfig *c, const ManagedKey *k, Report *entries, char *buf, size_t size) {
        _cleanup_free_ char *state = key_verdict_noted(c, k, buf, size);

        if (!state)
                return -ENOMEM;
        return report_add_secret(entries, k->secret, k->spec->name, k->actual, k->spec->value, state);
}

ManagerState manager_state(const Manager *m) {
        bool pending = false;

        if (!m->profile)
                return MANAGER_STATE_INACTIVE;
        for (size_t i = 0; i < m->n_keys; i++)
                switch (m->keys[i].state) {
                case KEY_STATE_DRIFTED:
                case KEY_STATE_FIGHTING:
                case KEY_STATE_ERROR:
                        return MANAGER_STATE_DEGRADED;
                case KEY_STATE_PENDING:
                        pending = true;
                        break;
                default:
                        break;
                }
        return pending ? MANAGER_STATE_PENDING : MANAGER_STATE_OK;
}

int manager_pending_keys(const Manager *m, char ***ret) {
        _cleanup_strv_free_ char **l = calloc(1, sizeof(char *));

        if (!l)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_keys; i++)
                if (m->keys[i].state == KEY_STATE_PENDING) {
                        char *name = strdup(m->keys[i].spec->name);
                        if (!name || strv_push(&l, name) < 0)
                                return -ENOMEM;
                }
        *ret = TAKE_PTR(l);
        return 0;
}

int manager_summary(const Manager *m, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t counts[_KEY_STATE_MAX] = {}, size = 0;
        const char *sep = " (";
        FILE *f;

        if (m->state_newer || !m->profile) {
                /* a newer wstuned's state file: the journal entry next to it in systemctl status says why */
                buf = strdup(m->state_newer ? "Nothing applied: the state file was written by a newer wstuned "
                                              "(downgrade refused)"
                                            : "No profile active");
                if (!buf)
                        return -ENOMEM;
                *ret = TAKE_PTR(buf);
                return 0;
        }
        for (size_t i = 0; i < m->n_keys; i++)
                if (m->keys[i].state >= 0 && m->keys[i].state < _KEY_STATE_MAX)
                        counts[m->keys[i].state]++;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fprintf(f, "Profile %s: %s", m->profile->name, manager_state_to_string(manager_state(m)));
        for (KeyState s = 0; s < _KEY_STATE_MAX; s++) {
                if (counts[s] == 0)
                        continue;
                /* the first count says what is counted: "(1 key ok, 2 pending)" */
                fprintf(f, "%s%zu %s%s", sep, counts[s], sep[0] != ' ' ? "" : counts[s] == 1 ? "key " : "keys ",
                        key_state_to_string(s));
                sep = ", ";
        }
        if (sep[0] == ',')
                fputc(')', f);
        if (fclose(f) != 0 || !buf)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* Make p the active profile: build the key table and read every key. Takes ownership of p. */
static int manager_install_profile(Manager *m, Profile *p) {
        ManagedKey *keys = NULL;

        if (p && p->n_keys > 0) {
                keys = calloc(p->n_keys, sizeof(ManagedKey));
                if (!keys) {
                        profile_free(p);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < p->n_keys; i++)
                        keys[i].fd = -1;
                for (size_t i = 0; i < p->n_keys; i++) {
                        keys[i].spec = &p->keys[i];
                        keys[i].proc_path = proc_path(m, p->keys[i].path);
                        if (!keys[i].proc_path) {
                                keys_free(keys, p->n_keys);
                                profile_free(p);
                                return -ENOMEM;
                        }
                        key_refresh(&keys[i], now_usec());
                }
        }
        keys_free(m->keys, m->n_keys);
        profile_free(m->profile);
        m->keys = keys;
        m->n_keys = p ? p->n_keys : 0;
        m->profile = p;
        m->growth_failed = false; /* a new profile may grow again */
        return 0;
}

/* Keep the errno of a failed write on the new key table entry, so it shows as "error". */
static void manager_mark_failed(Manager *m, const char *path, int error) {
        for (size_t i = 0; i < m->n_keys; i++)
                if (streq(m->keys[i].spec->path, path)) {
                        m->keys[i].error = error;
                        key_refresh(&m->keys[i], now_usec());
                }
}

typedef enum Action {
        ACTION_NONE,
        ACTION_SET,
        ACTION_RESTORE,
        ACTION_PENDING,
} Action;

typedef struct Step {
        Action action;
        const char *path;   /* relative to /proc/sys */
        const char *name;   /* dot form */
        const char *target; /* value to write */
        char *current;      /* live value, NULL when absent */
        char *owned[3];     /* restore steps own path, name and target: the baseline entry goes away */
        bool new_baseline;  /* this apply adds the baseline entry */
        bool secret;        /* readable by root only: no values in the journal or for other callers */
        int error;          /* positive errno of a failed read or write */
} Step;

static void steps_free(Step *steps, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(steps[i].current);
                for (size_t j = 0; j < ELEMENTSOF(steps[i].owned); j++)
                        free(steps[i].owned[j]);
        }
        free(steps);
}

static int plan_key(const Manager *m, const ProfileKey *k, Step *s) {
        _cleanup_free_ char *path = proc_path(m, k->path);
        bool public = true;
        int r;

        *s = (Step) { .path = k->path, .name = k->name, .target = k->value };
        if (!path)
                return -ENOMEM;
        if (k->policy == KEY_POLICY_IGNORE)
                return 0;
        r = sysctl_read_public(path, &s->current, &public);
        if (r == -ENOENT)
                s->action = ACTION_PENDING;
        else if (r < 0) {
                s->action = ACTION_SET; /* reported as failed, with the read's errno */
                s->error = -r;
        } else if (!sysctl_value_matches(s->current, k->value, key_match(k)))
                s->action = ACTION_SET;
        s->secret = !public;
        return 0;
}

/* A key of the baseline that the new profile does not manage goes back to its original value. */
static int plan_restore(const Manager *m, const BaselineEntry *b, Step *s) {
        _cleanup_free_ char *path = proc_path(m, b->path);
        bool public = true;
        int r;

        *s = (Step) { .action = ACTION_RESTORE };
        s->path = s->owned[0] = strdup(b->path);
        s->name = s->owned[1] = sysctl_path_to_name(b->path);
        s->target = s->owned[2] = strdup(b->value);
        if (!path || !s->path || !s->name || !s->target)
                return -ENOMEM;
        r = sysctl_read_public(path, &s->current, &public);
        if (r == -ENOENT)
                s->action = ACTION_NONE; /* the key went away with its module: nothing to restore now */
        else if (r < 0)
                s->error = -r;
        s->secret = !public;
        return 0;
}

/* The state directory is root's alone (the baseline may hold secrets, such as proxy credentials in an original
 * daemon.json): created on first use, and made 0700 again where an older version left it 0755. */
static int manager_prepare_state_dir(Manager *m, bool create) {
        _cleanup_close_ int fd = dir_open_nofollow(m->paths.state_dir, create, 0755);
        struct stat st;

        if (fd < 0)
                return fd;
        if (fstat(fd, &st) < 0)
                return -errno;
        if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
                return -errno;
        return 0;
}

static int manager_refuse_newer_state(const Manager *m, char **ret_error) {
        if (m->state_newer_error)
                return errorf(ret_error, -EPROTONOSUPPORT, "%s", m->state_newer_error);
        return errorf(ret_error, -EPROTONOSUPPORT, "%s: written by a newer wstuned: downgrade refused",
                      m->paths.state_file);
}

/* ---- the baseline across reboots ----
 *
 * A reboot resets every sysctl to the kernel's default, and systemd-sysctl then applies sysctl.d; wstuned starts
 * after it (wstuned.service is ordered after systemd-sysctl.service). So what a key holds before wstuned's first
 * write in a boot is the value that boot would have without wstuned, and that, not what an earlier boot had
 * (another kernel, other sysctl.d files, the image's build machine), is what Revert must put back.
 *
 * The state file keeps the boot id (/proc/sys/kernel/random/boot_id) the baseline belongs to. At the first Apply
 * or Revert of another boot, every baseline key present then takes its current value as its original; a key
 * absent then (its module not loaded) keeps the earlier boot's value, marked as such, until it appears: the
 * value it appears with becomes its original (key_apply_late(), and grow_key() for the conntrack table). Such a
 * key was not written by wstuned in this boot, since every write takes the original first. A state file of an
 * older version has no boot id: when it was written after this boot began (a package upgrade restarting the
 * daemon) it is this boot's, else an earlier one's. When the boot id cannot be read nothing is taken again. */

/* The running kernel's boot id, or NULL when it cannot be read. */
static char *manager_boot_id(const Manager *m) {
        _cleanup_free_ char *path = proc_path(m, "kernel/random/boot_id"), *text = NULL;
        size_t size;

        if (!path || read_file_full(path, 64, &text, &size) < 0)
                return NULL;
        text[strcspn(text, "\n")] = '\0';
        if (!boot_id_is_valid(text))
                return NULL;
        return TAKE_PTR(text);
}

/* When this boot began, in CLOCK_REALTIME seconds: the clock's time now less the time since boot. */
static int64_t boot_time_realtime(void) {
        struct timespec now, up;

        if (clock_gettime(CLOCK_REALTIME, &now) < 0 || clock_gettime(CLOCK_BOOTTIME, &up) < 0)
                return -1;
        return (int64_t) now.tv_sec - (int64_t) up.tv_sec;
}

/* A state file without a boot id (an older version) that was written after this boot began is this boot's. */
static void manager_adopt_legacy_state(Manager *m) {
        _cleanup_free_ char *boot = NULL;
        struct stat st;
        int64_t booted;

        if (m->state.boot_id || m->state.n_baseline == 0 || stat(m->paths.state_file, &st) < 0)
                return;
        booted = boot_time_realtime();
        if (booted < 0 || (int64_t) st.st_mtim.tv_sec < booted || !(boot = manager_boot_id(m)))
                return;
        (void) state_set_boot_id(&m->state, boot);
}

/* Apply the rule above before an Apply or a Revert plans anything: in memory, saved with the plan. Returns how
 * many originals were taken again. */
static unsigned manager_baseline_refresh(Manager *m) {
        _cleanup_free_ char *boot = manager_boot_id(m);
        unsigned taken = 0, kept = 0;

        if (boot && !streq_ptr(m->state.boot_id, boot)) {
                state_baseline_mark_earlier_boot(&m->state, NULL);
                if (state_set_boot_id(&m->state, boot) < 0)
                        return 0;
        }
        for (size_t i = 0; i < m->state.n_baseline; i++) {
                BaselineEntry *b = &m->state.baseline[i];
                _cleanup_free_ char *path = NULL, *now = NULL;

                if (!b->earlier_boot)
                        continue;
                path = proc_path(m, b->path);
                if (!path || sysctl_read(path, &now) < 0 || state_baseline_set(&m->state, b->path, now) < 0) {
                        kept++; /* absent (or not text): the earlier boot's value stays, marked */
                        continue;
                }
                taken++;
        }
        if (taken > 0 || kept > 0)
                log_info("Baseline of boot %s: %u original%s taken again as this boot has them, %u of an earlier boot "
                         "kept until the key appears",
                         strempty(m->state.boot_id), taken, taken == 1 ? "" : "s", kept);
        return taken;
}

int manager_save_state(Manager *m) {
        if (m->state_newer)
                return -EPROTONOSUPPORT;
        int r = manager_prepare_state_dir(m, true);
        if (r < 0)
                return r;
        return state_save(m->paths.state_file, &m->state);
}

/* Write one step; returns 0 or a positive errno. */
static int step_write(const Manager *m, const Step *s) {
        _cleanup_free_ char *path = proc_path(m, s->path);
        _cleanup_free_ char *now = NULL;
        int r;

        if (!path)
                return ENOMEM;
        if (s->current && sysctl_value_matches(s->current, s->target, SYSCTL_MATCH_EXACT))
                return 0;
        r = sysctl_write(path, s->target);
        if (r < 0)
                return -r;
        /* The kernel may clamp a value it accepted: read it back. */
        r = sysctl_read(path, &now);
        if (r < 0)
                return -r;
        if (!sysctl_value_matches(now, s->target, SYSCTL_MATCH_EXACT))
                return ERANGE;
        return 0;
}

static const char *step_dry_run_result(const Step *s) {
        switch (s->action) {
        case ACTION_SET:
                return "would-set";
        case ACTION_RESTORE:
                return "would-restore";
        case ACTION_PENDING:
                return "pending";
        default:
                return NULL;
        }
}

/* Carry out one step: write, log, and say what happened ("set", "restore", "pending", "error: …"). */
static const char *step_run(Manager *m, const char *profile, Step *s, uid_t caller, char *buf, size_t size) {
        switch (s->action) {
        case ACTION_PENDING:
                log_event(EVENT_KEY_PENDING,
                          EVENT_FIELDS(.profile = profile, .key = s->name, .expected = value_shown(s->secret, s->target)),
                          "%s is not available yet (kernel module not loaded?); it will be set to %s when it appears",
                          s->name, value_text(s->secret, s->target));
                return "pending";
        case ACTION_SET:
        case ACTION_RESTORE:
                break;
        default:
                return NULL;
        }

        if (!s->error)
                s->error = step_write(m, s);
        if (s->error) {
                log_event(EVENT_KEY_FAILED,
                          EVENT_FIELDS(.profile = profile, .key = s->name, .expected = value_shown(s->secret, s->target),
                                       .actual = value_shown(s->secret, s->current), .error = s->error, .caller = caller),
                          "Failed to set %s to %s: %s", s->name, value_text(s->secret, s->target), strerror(s->error));
                snprintf(buf, size, "error: %s", strerror(s->error));
                return buf;
        }
        if (s->action == ACTION_RESTORE) {
                log_event(EVENT_KEY_RESTORED,
                          EVENT_FIELDS(.profile = profile, .key = s->name, .expected = value_shown(s->secret, s->target),
                                       .actual = value_shown(s->secret, s->current), .caller = caller),
                          "%s restored from %s to its original value %s", s->name, value_text(s->secret, s->current),
                          value_text(s->secret, s->target));
                state_baseline_remove(&m->state, s->path);
                return "restore";
        }
        /* at boot, and at any Apply: the value wstuned replaces may be what a sysctl.d file set */
        EventFields fields = { .profile = profile, .key = s->name, .expected = value_shown(s->secret, s->target),
                               .actual = value_shown(s->secret, s->current), .caller = caller };
        _cleanup_free_ char *conflict = NULL;
        conflict_describe(m->sysctld.loaded ? &m->sysctld.config : NULL, s->path, s->current, s->secret, &fields,
                          &conflict);
        log_event(EVENT_KEY_CHANGED, &fields, "%s changed from %s to %s (profile %s)%s", s->name,
                  value_text(s->secret, s->current), value_text(s->secret, s->target), profile, strempty(conflict));
        return "set";
}

typedef struct Plan {
        Step *steps;
        size_t n;
} Plan;

static void plan_done(Plan *plan) {
        steps_free(plan->steps, plan->n);
        *plan = (Plan) {};
}

/* Steps for profile p (NULL = revert: restore every baseline entry). */
static int plan_build(const Manager *m, const Profile *p, Plan *ret) {
        _cleanup_(plan_done) Plan plan = {};
        size_t n_keys = p ? p->n_keys : 0;
        int r;

        plan.steps = calloc(n_keys + m->state.n_baseline + 1, sizeof(Step));
        if (!plan.steps)
                return -ENOMEM;
        for (size_t i = 0; i < n_keys; i++)
                if ((r = plan_key(m, &p->keys[i], &plan.steps[plan.n++])) < 0)
                        return r;
        for (size_t i = 0; i < m->state.n_baseline; i++) {
                const BaselineEntry *b = &m->state.baseline[i];
                const ProfileKey *k = p ? profile_find_key(p, b->path) : NULL;
                if (k && k->policy != KEY_POLICY_IGNORE)
                        continue;
                /* a table grown by this profile stays grown; Revert restores it */
                if (p && p->watch.growth_enabled &&
                    (streq(b->path, CONNTRACK_MAX_PATH) || streq(b->path, CONNTRACK_BUCKETS_PATH)))
                        continue;
                if ((r = plan_restore(m, b, &plan.steps[plan.n++])) < 0)
                        return r;
        }
        *ret = plan;
        plan = (Plan) {};
        return 0;
}

/* Run a plan: the baseline and the new active profile are saved before the first write. */
static int plan_execute(Manager *m, Plan *plan, const char *profile, uid_t caller, Report *changes, unsigned *counts,
                        char **ret_error) {
        _cleanup_free_ char *old_active = NULL;
        char buf[128];
        int r;

        if (m->state.active_profile && !(old_active = strdup(m->state.active_profile)))
                return -ENOMEM;

        for (size_t i = 0; i < plan->n; i++) {
                Step *s = &plan->steps[i];
                if (s->action != ACTION_SET || !s->current || s->error ||
                    state_baseline_get_this_boot(&m->state, s->path))
                        continue;
                r = state_baseline_set(&m->state, s->path, s->current);
                if (r == -EILSEQ) {
                        /* an original that is not UTF-8 cannot be kept, so Revert could not put it back: the
                         * key is left alone and reported as failed, as a limit file that is not text */
                        s->error = EILSEQ;
                        continue;
                }
                if (r < 0)
                        goto undo;
                s->new_baseline = true;
        }
        r = state_set_active(&m->state, profile);
        if (r >= 0)
                r = manager_save_state(m);
        if (r < 0) {
                (void) state_set_active(&m->state, old_active);
                errorf(ret_error, r, "cannot save %s: %s", m->paths.state_file, strerror(-r));
                goto undo;
        }

        for (size_t i = 0; i < plan->n; i++) {
                Step *s = &plan->steps[i];
                const char *result = step_run(m, profile, s, caller, buf, sizeof buf);
                if (!result)
                        continue;
                counts[s->error ? 3 : s->action == ACTION_PENDING ? 2 : s->action == ACTION_RESTORE ? 1 : 0]++;
                r = report_add_secret(changes, s->secret, s->name, s->current, s->target, result);
                if (r < 0)
                        return r;
        }

        /* A key we could not change keeps its original value: there is nothing to restore later. */
        for (size_t i = 0; i < plan->n; i++)
                if (plan->steps[i].new_baseline && plan->steps[i].error)
                        state_baseline_remove(&m->state, plan->steps[i].path);
        r = manager_save_state(m);
        if (r < 0)
                log_error("Cannot save %s: %s", m->paths.state_file, strerror(-r));
        return 0;

undo:
        for (size_t i = 0; i < plan->n; i++)
                if (plan->steps[i].new_baseline)
                        state_baseline_remove(&m->state, plan->steps[i].path);
        return r;
}

int manager_apply(Manager *m, const char *name, bool dry_run, uid_t caller, Report *changes, char **ret_error) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_(plan_done) Plan plan = {};
        unsigned counts[4] = {}; /* set, restored, pending, failed */
        int r;

        if (m->state_newer)
                return manager_refuse_newer_state(m, ret_error);
        if (!name || !name[0]) {
                if (!m->profile)
                        return errorf(ret_error, -ENOENT, "no active profile; name one");
                name = m->profile->name;
        }

        r = profile_load(profile_dirs(m), name, &p, ret_error);
        if (r < 0) {
                if (r != -ENOENT && r != -ENOMEM && ret_error && *ret_error)
                        log_event(EVENT_PROFILE_INVALID, EVENT_FIELDS(.profile = name, .caller = caller),
                                  "Profile %s not applied: %s", name, *ret_error);
                return r;
        }

        /* the originals of another boot are taken again before anything uses them (limits_check() does) */
        (void) manager_baseline_refresh(m);
        if (!dry_run)
                (void) manager_sysctld(m); /* the journal names the sysctl.d file of each value replaced */

        /* limits that would lock users out refuse the whole profile, before anything is written */
        r = limits_check(m, p, ret_error);
        if (r < 0) {
                if (r == -EINVAL && ret_error && *ret_error)
                        log_event(EVENT_PROFILE_INVALID, EVENT_FIELDS(.profile = name, .caller = caller),
                                  "Profile %s not applied: %s", name, *ret_error);
                return r;
        }

        r = plan_build(m, p, &plan);
        if (r < 0)
                return r;

        if (dry_run) {
                for (size_t i = 0; i < plan.n; i++) {
                        const Step *s = &plan.steps[i];
                        const char *what = step_dry_run_result(s);
                        if (what && (r = report_add_secret(changes, s->secret, s->name, s->current, s->target, what)) < 0)
                                return r;
                }
                (void) limits_apply(m, p, true, caller, changes);
                return 0;
        }

        r = plan_execute(m, &plan, p->name, caller, changes, counts, ret_error);
        if (r < 0)
                return r;
        counts[3] += limits_apply(m, p, false, caller, changes);

        r = manager_install_profile(m, TAKE_PTR(p));
        if (r < 0)
                return r;
        for (size_t i = 0; i < plan.n; i++)
                if (plan.steps[i].error && plan.steps[i].action == ACTION_SET)
                        manager_mark_failed(m, plan.steps[i].path, plan.steps[i].error);

        log_event(EVENT_PROFILE_APPLIED, EVENT_FIELDS(.profile = m->profile->name, .caller = caller),
                  "Profile %s applied: %u changed, %u restored, %u pending, %u failed", m->profile->name, counts[0],
                  counts[1], counts[2], counts[3]);
        m->verify_failure_logged = false;
        memset(m->file_fights, 0, sizeof m->file_fights); /* an explicit Apply enforces again at once */
        m->file_reported = 0;
        return 0;
}

int manager_revert(Manager *m, uid_t caller, Report *changes, char **ret_error) {
        _cleanup_(plan_done) Plan plan = {};
        _cleanup_free_ char *old = m->profile ? strdup(m->profile->name) : NULL;
        unsigned counts[4] = {};
        int r;

        if (m->state_newer)
                return manager_refuse_newer_state(m, ret_error);
        (void) manager_baseline_refresh(m);
        r = plan_build(m, NULL, &plan);
        if (r < 0)
                return r;
        r = plan_execute(m, &plan, NULL, caller, changes, counts, ret_error);
        if (r < 0)
                return r;
        counts[3] += limits_apply(m, NULL, false, caller, changes);
        r = manager_install_profile(m, NULL);
        if (r < 0)
                return r;
        log_event(EVENT_PROFILE_REVERTED, EVENT_FIELDS(.profile = old, .caller = caller),
                  "Reverted%s%s: %u values restored, %u failed", old ? " profile " : "", strempty(old), counts[1],
                  counts[3]);
        return 0;
}

int manager_restore_files(Manager *m, Report *changes, char **ret_error) {
        State loaded = {};
        int r = state_load(m->paths.state_file, &loaded, ret_error);
        if (r < 0)
                return r;
        state_done(&m->state);
        m->state = loaded;
        /* nothing of wstuned's: not even an empty state file is written */
        if (m->state.n_files == 0)
                return 0;
        return (int) limits_apply(m, NULL, false, (uid_t) -1, changes);
}

int manager_reload(Manager *m, uid_t caller, Report *changes, char **ret_error) {
        Settings settings;
        int r;

        r = settings_load(m->paths.config_file, &settings, ret_error);
        if (r < 0) {
                log_event(EVENT_PROFILE_INVALID, EVENT_FIELDS(.caller = caller), "Settings not reloaded: %s",
                          ret_error && *ret_error ? *ret_error : strerror(-r));
                return r;
        }
        settings_done(&m->settings);
        m->settings = settings;

        const char *name = m->state.active_profile ?: m->settings.profile;
        if (!name)
                return 0;
        return manager_apply(m, name, false, caller, changes, ret_error);
}

/* A wstuned killed between creating a temporary file and renaming it over the real one leaves the
 * temporary file behind (the real one is intact: old or new content). Nothing else writes these files,
 * so whatever temporary file of theirs exists now is such a leftover. */
static void manager_remove_stale_temp_files(Manager *m) {
        const char *metrics = settings_metrics_path(&m->settings);
        _cleanup_free_ char *metrics_full = NULL;
        int removed = 0, r;

        r = write_file_atomic_cleanup(m->paths.state_file);
        removed += MAX(r, 0);
        r = limits_remove_stale_temp_files(m);
        removed += MAX(r, 0);
        if (metrics[0] && asprintf(&metrics_full, "%s%s", strempty(m->paths.root), metrics) >= 0) {
                r = write_file_atomic_cleanup(metrics_full);
                removed += MAX(r, 0);
        }
        if (removed > 0)
                log_info("Removed %d temporary file%s left by an interrupted write", removed, removed == 1 ? "" : "s");
}

void manager_startup(Manager *m) {
        _cleanup_free_ char *error = NULL;
        struct stat st;
        int r;

        r = settings_load(m->paths.config_file, &m->settings, &error);
        if (r < 0) {
                log_event(EVENT_PROFILE_INVALID, EVENT_FIELDS(), "Using default settings: %s",
                          error ?: strerror(-r));
                settings_init(&m->settings);
        }

        manager_remove_stale_temp_files(m);

        r = manager_prepare_state_dir(m, false);
        if (r < 0 && r != -ENOENT && r != -EROFS)
                log_error("Cannot make %s root's alone: %s", m->paths.state_dir, file_error_to_string(r));

        r = state_load(m->paths.state_file, &m->state, &error);
        if (r == -EPROTONOSUPPORT) {
                /* A downgrade. The file holds the only copy of the baseline (and maybe more that this version
                 * cannot see): it stays as it is, and so do the kernel values. Applying a profile would record
                 * a new baseline over it, so nothing is applied: the values the newer wstuned set stay, not
                 * held, and Apply and Revert say why until the newer wstuned is back or the file is moved. */
                log_event(EVENT_STATE_NEWER, EVENT_FIELDS(.error = EPROTONOSUPPORT),
                          "Not applying any profile, state file left as it is: %s", strempty(error));
                m->state_newer = true;
                m->state_newer_error = TAKE_PTR(error);
                m->state = (State) {};
                return;
        }
        if (r < 0) {
                /* Keep the broken file for a human; start with an empty state. */
                _cleanup_free_ char *aside = NULL;
                if (asprintf(&aside, "%s.broken", m->paths.state_file) >= 0)
                        (void) rename(m->paths.state_file, aside);
                log_error("Ignoring unreadable state, moved to %s: %s", strempty(aside), error ?: strerror(-r));
                m->state = (State) {};
        } else {
                manager_adopt_legacy_state(m);
                if (stat(m->paths.state_file, &st) >= 0 && (st.st_mode & 07777) != 0600)
                        (void) manager_save_state(m); /* an older version's 0644 file becomes root's alone */
        }

        const char *name = m->state.active_profile ?: m->settings.profile;
        if (!name) {
                /* No profile, yet a baseline: a Revert was interrupted (it saves "no profile" before its
                 * first write and drops each entry once restored) or could not restore everything. Finish
                 * it, so the system ends where the Revert was meant to leave it. */
                if (m->state.n_baseline == 0 && m->state.n_files == 0)
                        return;
                log_info("Finishing an interrupted revert: %zu of its keys and files are not restored yet",
                         m->state.n_baseline + m->state.n_files);
                r = manager_revert(m, (uid_t) -1, NULL, &error);
                if (r < 0)
                        log_error("Cannot finish the revert: %s", error ?: strerror(-r));
                return;
        }
        _cleanup_free_ char *chosen = strdup(name);
        if (!chosen)
                return;
        r = manager_apply(m, chosen, false, (uid_t) -1, NULL, &error);
        if (r < 0)
                log_error("Cannot apply profile %s at start: %s", chosen, error ?: strerror(-r));
}

int manager_get(Manager *m, char *const *keys, Caller *caller, Report *entries, char **ret_error) {
        const char *reason;
        char buf[128], shown[QUOTED_MAX];
        int r;

        if (strv_length(keys) > MANAGER_GET_KEYS_MAX)
                return errorf(ret_error, -E2BIG, "too many keys (%zu), at most %u", strv_length(keys),
                              MANAGER_GET_KEYS_MAX);

        if (!keys || !keys[0]) {
                const SysctldConfig *c = m->n_keys > 0 ? manager_sysctld(m) : NULL;
                for (size_t i = 0; i < m->n_keys; i++) {
                        ManagedKey *k = &m->keys[i];
                        key_refresh_for(k, caller);
                        if ((r = key_report(c, k, entries, buf, sizeof buf)) < 0)
                                return r;
                }
                return 0;
        }

        const SysctldConfig *c = NULL; /* looked at with the first managed key */
        bool sysctld_read = false;

        for (char *const *key = keys; *key; key++) {
                _cleanup_free_ char *path = NULL, *name = NULL, *full = NULL, *value = NULL;
                _cleanup_close_ int fd = -1;
                const char *state;
                bool secret;

                if (!utf8_is_valid(*key))
                        return errorf(ret_error, -EINVAL, "invalid key name (not UTF-8)");
                r = sysctl_key_to_path(*key, &path, &reason);
                if (r == -EINVAL)
                        return errorf(ret_error, r, "invalid key name \"%s\": %s",
                                      utf8_quote(*key, shown, sizeof shown), reason);
                if (r < 0)
                        return r;

                ManagedKey *k = NULL;
                for (size_t i = 0; i < m->n_keys; i++)
                        if (streq(m->keys[i].spec->path, path))
                                k = &m->keys[i];
                if (k && k->spec->policy != KEY_POLICY_IGNORE) {
                        if (!sysctld_read) {
                                c = manager_sysctld(m);
                                sysctld_read = true;
                        }
                        key_refresh_for(k, caller);
                        if ((r = key_report(c, k, entries, buf, sizeof buf)) < 0)
                                return r;
                        continue;
                }

                name = sysctl_path_to_name(path);
                full = proc_path(m, path);
                if (!name || !full)
                        return -ENOMEM;
                /* Opening reads nothing (vm.stat_refresh does its work in read()): the mode decides first. */
                fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
                r = fd < 0 ? -errno : 0;
                secret = fd >= 0 && !sysctl_fd_is_public(fd);
                bool denied = r >= 0 && secret && !caller_is_root(caller);
                if (r >= 0 && !denied)
                        r = sysctl_read_fd(fd, &value);
                if (r == -ENOENT || r == -EISDIR || r == -ENOTDIR)
                        return errorf(ret_error, -ENOENT, "no sysctl \"%s\"", name);
                if (denied)
                        state = KEY_DENIED;
                else if (r < 0) {
                        snprintf(buf, sizeof buf, "error: %s", strerror(-r));
                        state = buf;
                } else
                        state = key_state_to_string(KEY_STATE_UNMANAGED);
                if ((r = report_add_secret(entries, secret, name, value, k ? k->spec->value : NULL, state)) < 0)
                        return r;
        }
        return 0;
}

bool manager_verify(Manager *m, Caller *caller, Report *findings) {
        _cleanup_free_ char *failed = NULL;
        size_t failed_len = 0;
        FILE *f;
        bool ok = true, first = true;
        char buf[128];

        if (!m->profile) {
                (void) report_add(findings, "profile", m->settings.profile, NULL, "inactive");
                return false;
        }

        const SysctldConfig *c = m->n_keys > 0 ? manager_sysctld(m) : NULL;
        f = open_memstream(&failed, &failed_len);
        for (size_t i = 0; i < m->n_keys; i++) {
                ManagedKey *k = &m->keys[i];
                _cleanup_free_ char *expected = NULL, *noted = NULL;
                const char *verdict;

                if (k->spec->policy == KEY_POLICY_IGNORE)
                        continue;
                key_refresh_for(k, caller);
                verdict = key_verdict(k, buf, sizeof buf);
                if (k->state != KEY_STATE_OK) {
                        ok = false;
                        if (f)
                                fprintf(f, "%s%s=%s", first ? "" : ", ", k->spec->name, verdict);
                        first = false;
                }
                expected = expected_string(k->spec);
                noted = key_verdict_noted(c, k, buf, sizeof buf);
                (void) report_add_secret(findings, k->secret, k->spec->name, expected, k->actual, noted ?: verdict);
        }
        if (f)
                fclose(f);
        if (!limits_verify(m, findings)) {
                if (ok) {
                        free(failed);
                        failed = strdup("file-descriptor limits (see wstunectl verify)");
                }
                ok = false;
        }
        _cleanup_free_ char *critical = NULL;
        if (!pressure_watch_verify(m, findings, &critical)) {
                if (ok) {
                        free(failed);
                        failed = TAKE_PTR(critical);
                }
                ok = false;
        }

        /* One entry when verification starts failing, not one per call. */
        if (!ok && !m->verify_failure_logged) {
                log_event(EVENT_VERIFY_FAILED, EVENT_FIELDS(.profile = m->profile->name),
                          "Profile %s does not hold: %s", m->profile->name, strempty(failed));
                m->verify_failure_logged = true;
        } else if (ok)
                m->verify_failure_logged = false;
        return ok;
}

FightSettings manager_fight_settings(const Manager *m) {
        return (FightSettings) {
                .corrections = m->settings.fight_corrections,
                .window_usec = m->settings.fight_window_ms * 1000u,
                .backoff_usec = m->settings.fight_backoff_ms * 1000u,
                .backoff_max_usec = m->settings.fight_backoff_max_ms * 1000u,
        };
}

/* Write the desired value of a managed key and read it back; 0 or a positive errno. */
static int key_write_raw(ManagedKey *k) {
        _cleanup_free_ char *now = NULL;
        int r;

        k->raw = mfree(k->raw); /* the bytes read before this write no longer say the key holds */

        r = sysctl_write(k->proc_path, k->spec->value);
        if (r < 0)
                return -r;
        r = key_read(k, &now);
        if (r < 0)
                return -r;
        return sysctl_value_matches(now, k->spec->value, SYSCTL_MATCH_EXACT) ? 0 : ERANGE;
}

/* Write a managed key from the poll. On failure the key becomes "error" (not retried by later polls) and
 * the failure is logged; what says what the write was for. */
static bool key_write(Manager *m, ManagedKey *k, const char *value, const char *what) {
        int r = key_write_raw(k);
        if (r == 0)
                return true;
        k->state = KEY_STATE_ERROR;
        k->error = r;
        log_event(EVENT_KEY_FAILED,
                  EVENT_FIELDS(.profile = m->profile->name, .key = k->spec->name,
                               .expected = value_shown(k->secret, k->spec->value), .actual = value_shown(k->secret, value),
                               .error = r),
                  "Failed to %s %s from %s to %s: %s", what, k->spec->name, value_text(k->secret, value),
                  value_text(k->secret, k->spec->value), strerror(r));
        return false;
}

static void key_set_actual(ManagedKey *k, const char *value) {
        char *copy = value ? strdup(value) : NULL;
        free(k->actual);
        k->actual = copy;
}

/* A pending key appeared: remember its original value, then set it. */
static void key_apply_late(Manager *m, ManagedKey *k, const char *value, uint64_t now, uint64_t trigger) {
        const char *profile = m->profile->name;
        uint64_t pending_usec = now > k->pending_since ? now - k->pending_since : 0;
        int r;

        k->error = 0;
        bool holds = key_holds(k, value);
        /* the original: none yet, or an earlier boot's (the key was absent since this boot began, so the value
         * it appears with is this boot's, even when it holds already) */
        bool earlier = state_baseline_is_earlier_boot(&m->state, k->spec->path);
        if (earlier || (!holds && !state_baseline_get(&m->state, k->spec->path))) {
                _cleanup_free_ char *old = earlier ? strdup(state_baseline_get(&m->state, k->spec->path)) : NULL;
                r = earlier && !old ? -ENOMEM : state_baseline_set(&m->state, k->spec->path, value);
                if (r >= 0)
                        r = manager_save_state(m);
                if (r < 0) {
                        /* without the original on disk, Revert could not restore it: do not write */
                        if (old && state_baseline_set(&m->state, k->spec->path, old) >= 0)
                                state_baseline_mark_earlier_boot(&m->state, k->spec->path);
                        else if (!earlier)
                                state_baseline_remove(&m->state, k->spec->path);
                        if (r == -EILSEQ)
                                log_error("%s appeared with a value that is not UTF-8 text, which %s cannot keep: "
                                          "not setting it", k->spec->name, m->paths.state_file);
                        else
                                log_error("Cannot save %s, not setting %s: %s", m->paths.state_file, k->spec->name,
                                          strerror(-r));
                        if (!holds) {
                                k->state = KEY_STATE_ERROR;
                                k->error = -r;
                                return;
                        }
                }
        }
        if (holds) {
                k->state = KEY_STATE_OK;
                return;
        }

        if (!key_write(m, k, value, "set late key"))
                return;
        uint64_t done = now_usec();
        uint64_t delay = done - (trigger && trigger <= done ? trigger : now);
        k->state = KEY_STATE_OK;
        log_event(EVENT_KEY_APPLIED_LATE,
                  EVENT_FIELDS(.profile = profile, .key = k->spec->name, .expected = value_shown(k->secret, k->spec->value),
                               .actual = value_shown(k->secret, value), .delay_usec = delay ?: 1),
                  "%s appeared and was set from %s to %s, %llu µs after %s (pending for %llu ms)", k->spec->name,
                  value_text(k->secret, value), value_text(k->secret, k->spec->value), (unsigned long long) delay, trigger ? "the kernel event" : "the poll",
                  (unsigned long long) (pending_usec / 1000u));
        key_set_actual(k, k->spec->value);
}

static void key_drifted(Manager *m, ManagedKey *k, const char *value, uint64_t now) {
        const char *profile = m->profile->name;
        FightSettings fs = manager_fight_settings(m);

        if (k->error) {
                /* the kernel refused this value before: retrying every poll would only flood the log */
                k->state = KEY_STATE_ERROR;
                return;
        }

        if (k->spec->policy == KEY_POLICY_WARN) {
                k->state = KEY_STATE_DRIFTED;
                if (k->reported)
                        return;
                k->reported = true;
                EventFields fields = { .profile = profile, .key = k->spec->name,
                                       .expected = value_shown(k->secret, k->spec->value),
                                       .actual = value_shown(k->secret, value), .action = "reported",
                                       .caller = (uid_t) -1 };
                _cleanup_free_ char *conflict = NULL;
                conflict_describe(manager_sysctld(m), k->spec->path, value, k->secret, &fields, &conflict);
                log_event(EVENT_DRIFT_REPORTED, &fields, "%s drifted from %s to %s (policy warn: not corrected)%s",
                          k->spec->name, value_text(k->secret, k->spec->value), value_text(k->secret, value),
                          strempty(conflict));
                bus_manager_emit_drifted(m, k->spec->name, value_shown(k->secret, k->spec->value),
                                         value_shown(k->secret, value), "reported");
                return;
        }

        switch (fight_check(&k->fight, &fs, now)) {
        case FIGHT_WAIT:
                k->state = KEY_STATE_FIGHTING;
                return;
        case FIGHT_BACK_OFF: {
                EventFields fields = { .profile = profile, .key = k->spec->name,
                                       .expected = value_shown(k->secret, k->spec->value),
                                       .actual = value_shown(k->secret, value), .action = "backed-off",
                                       .caller = (uid_t) -1 };
                _cleanup_free_ char *conflict = NULL;
                k->state = KEY_STATE_FIGHTING;
                conflict_describe(manager_sysctld(m), k->spec->path, value, k->secret, &fields, &conflict);
                log_event(EVENT_KEY_FIGHTING, &fields,
                          "Another writer keeps setting %s to %s (wanted %s): not enforcing it for %llu s "
                          "(round %u)%s",
                          k->spec->name, value_text(k->secret, value), value_text(k->secret, k->spec->value),
                          (unsigned long long) (k->fight.backoff_usec / 1000000u), k->fight.rounds,
                          strempty(conflict));
                bus_manager_emit_drifted(m, k->spec->name, value_shown(k->secret, k->spec->value),
                                         value_shown(k->secret, value), "backed-off");
                return;
        }
        case FIGHT_CORRECT:
                break;
        }

        if (!key_write(m, k, value, "correct"))
                return;
        k->state = KEY_STATE_OK;
        m->drift_corrections++;
        EventFields fields = { .profile = profile, .key = k->spec->name,
                               .expected = value_shown(k->secret, k->spec->value),
                               .actual = value_shown(k->secret, value), .action = "corrected", .caller = (uid_t) -1 };
        _cleanup_free_ char *conflict = NULL;
        conflict_describe(manager_sysctld(m), k->spec->path, value, k->secret, &fields, &conflict);
        log_event(EVENT_DRIFT_CORRECTED, &fields, "%s drifted from %s to %s and was set back%s", k->spec->name,
                  value_text(k->secret, k->spec->value), value_text(k->secret, value), strempty(conflict));
        bus_manager_emit_drifted(m, k->spec->name, value_shown(k->secret, k->spec->value),
                                 value_shown(k->secret, value), "corrected");
        key_set_actual(k, k->spec->value);
}

/* Read a key for the poll into buf (size bytes). A key that held at the last poll and reads the same
 * bytes again (the usual case) needs nothing more: returns 1. Otherwise k->actual is updated, buf keeps
 * the raw bytes (*ret_raw_len of them, 0 when they did not fit) and 0 is returned, or a negative errno.
 * No allocation unless the value changed. */
#define KEY_POLL_BUFFER 512u

static int key_poll_read(ManagedKey *k, char *buf, size_t size, size_t *ret_raw_len) {
        char value[KEY_POLL_BUFFER];
        ssize_t n;

        *ret_raw_len = 0;
        int r = key_open(k);
        if (r < 0)
                return r;
        n = pread(k->fd, buf, MIN(size, sizeof value) - 1, 0);
        if (n < 0) {
                r = -errno;
                closep(&k->fd);
                k->fd = -1;
                return r;
        }
        if ((size_t) n >= MIN(size, sizeof value) - 1) {
                /* a long value (rare): read it whole, no fast path */
                _cleanup_free_ char *whole = NULL;
                r = key_read(k, &whole);
                if (r >= 0)
                        key_set_actual(k, whole);
                return r < 0 ? r : 0;
        }
        if (k->state == KEY_STATE_OK && k->raw && (size_t) n == k->raw_len && memcmp(buf, k->raw, (size_t) n) == 0)
                return 1;

        *ret_raw_len = (size_t) n;
        memcpy(value, buf, (size_t) n);
        value[n] = '\0';
        sysctl_normalize_in_place(value);
        if (!streq_ptr(k->actual, value))
                key_set_actual(k, value);
        return 0;
}

/* The drift state machine of one key (see manager_poll()). */
static void key_poll(Manager *m, ManagedKey *k, uint64_t now, uint64_t trigger) {
        KeyState before = k->state;
        char raw[KEY_POLL_BUFFER];
        size_t raw_len;
        int r;

        r = key_poll_read(k, raw, sizeof raw, &raw_len);
        if (r == 1)
                return; /* held before, same bytes now */
        if (r == -ENOENT || r == -ENOTDIR) {
                if (before != KEY_STATE_PENDING) {
                        k->pending_since = now;
                        log_event(EVENT_KEY_PENDING,
                                  EVENT_FIELDS(.profile = m->profile->name, .key = k->spec->name,
                                               .expected = k->spec->value),
                                  "%s went away (module unloaded?); it will be set to %s when it appears again",
                                  k->spec->name, k->spec->value);
                }
                k->state = KEY_STATE_PENDING;
                key_set_actual(k, NULL);
                return;
        }
        if (r < 0) {
                k->state = KEY_STATE_ERROR;
                k->error = -r;
                return;
        }
        if (!k->actual)
                return; /* out of memory keeping the value: try again next poll */

        /* key_apply_late() and key_drifted() may replace k->actual: work on a copy of the value read */
        if (before == KEY_STATE_PENDING || !key_holds(k, k->actual)) {
                _cleanup_free_ char *value = strdup(k->actual);
                if (!value)
                        return;
                if (before == KEY_STATE_PENDING)
                        key_apply_late(m, k, value, now, trigger);
                else
                        key_drifted(m, k, value, now);
                return;
        }
        k->state = KEY_STATE_OK;
        k->error = 0;
        k->reported = false;
        /* remember bytes that hold: the next poll that reads them again is done after a memcmp */
        if (raw_len > 0 && (k->raw_len != raw_len || !k->raw || memcmp(k->raw, raw, raw_len) != 0)) {
                free(k->raw);
                k->raw = memdup(raw, raw_len);
                k->raw_len = k->raw ? raw_len : 0;
        }
}

size_t manager_poll(Manager *m, uint64_t now, uint64_t trigger, bool only_pending) {
        size_t pending = 0;

        for (size_t i = 0; i < m->n_keys; i++) {
                ManagedKey *k = &m->keys[i];
                if (k->spec->policy == KEY_POLICY_IGNORE || (only_pending && k->state != KEY_STATE_PENDING))
                        continue;
                key_poll(m, k, now, trigger);
                if (k->state == KEY_STATE_PENDING)
                        pending++;
        }
        return pending;
}
