/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* manager.h - the daemon's core: the active profile, its keys' states, apply/verify/revert. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "caller.h"
#include "drift.h"
#include "profile.h"
#include "pressure.h"
#include "report.h"
#include "sampler.h"
#include "settings.h"
#include "state.h"
#include "sysctl-d.h"

#define MANAGER_GET_KEYS_MAX 1024u
#define CALLER_UIDS_MAX 16u /* bus callers whose uid polkit.c remembers */

typedef enum KeyState {
        KEY_STATE_OK,
        KEY_STATE_DRIFTED,
        KEY_STATE_PENDING,
        KEY_STATE_FIGHTING,
        KEY_STATE_UNMANAGED,
        KEY_STATE_ERROR,
        _KEY_STATE_MAX,
        _KEY_STATE_INVALID = -22,
} KeyState;

const char *key_state_to_string(KeyState s);

typedef enum ManagerState {
        MANAGER_STATE_INACTIVE, /* no profile */
        MANAGER_STATE_OK,       /* every key holds its value */
        MANAGER_STATE_PENDING,  /* all present keys hold, some are not there yet */
        MANAGER_STATE_DEGRADED, /* some key drifted or failed */
        _MANAGER_STATE_MAX,
} ManagerState;

const char *manager_state_to_string(ManagerState s);

/* Where everything lives. root prefixes /etc, /var and /usr/share; kernel_root prefixes /proc. */
typedef struct Paths {
        char *root;
        char *kernel_root;
        char *config_file;
        char *state_dir;
        char *state_file;
        char *proc_sys;
        char *profile_dirs[3]; /* admin, vendor, NULL */
} Paths;

int paths_init(Paths *p, const char *root, const char *kernel_root, const char *vendor_profiles);
void paths_done(Paths *p);

typedef struct ManagedKey {
        const ProfileKey *spec; /* points into Manager.profile */
        char *proc_path;
        int fd; /* kept open for reading, so a poll is one pread(); -1 while the key is absent */
        KeyState state;
        char *actual; /* last value read; NULL when absent */
        char *raw;    /* the bytes of the last poll's read, so an unchanged key costs a pread and a memcmp */
        size_t raw_len;
        int error;    /* errno of the last failed read or write */
        uint64_t pending_since; /* CLOCK_MONOTONIC µs when found absent */
        bool reported;          /* this drift (left in place) or this fight round is logged already */
        bool secret;            /* readable by root only: its values go to root callers only (caller.h) */
        FightTracker fight;
} ManagedKey;

typedef struct AuthQuery AuthQuery;

typedef struct Manager {
        Paths paths;
        Settings settings;
        State state;
        /* state.json was written by a newer wstuned (a downgrade): the file is left as it is and nothing is
         * applied, reverted or saved until a restart finds a file this version reads. The parser's message
         * saying so (NULL when it could not be kept). */
        bool state_newer;
        char *state_newer_error;
        Profile *profile; /* NULL when inactive */
        SysctldCache sysctld; /* what sysctl.d sets, read again only when its files change */
        ManagedKey *keys;
        size_t n_keys;
        bool verify_failure_logged;

        uint64_t drift_corrections; /* values set back since start */

        sd_event *event;
        sd_bus *bus;
        sd_event_source *poll_source;   /* drift poll timer */
        sd_event_source *uevent_source; /* kernel uevents: modules and devices that add sysctls */
        sd_event_source *settle_source; /* quick re-checks of pending keys after a uevent */
        unsigned settle_attempts;
        struct FileWatch *file_watches; /* inotify on the directories of the limit files */
        size_t n_file_watches;
        sd_event_source *repair_source; /* limit files are checked a moment after a change, not per event */
        FightTracker file_fights[8];    /* per LimitFile: another writer rewriting a limit file */
        unsigned file_reported;         /* per LimitFile bit: a change left in place (policy warn) is logged */
        uint64_t uevent_usec; /* when the last relevant uevent arrived */
        AuthQuery *auth_queries;
        unsigned n_auth_queries;
        uint64_t auth_serial;                /* numbers the checks' polkit cancellation ids */
        sd_event_source *auth_watch_source;  /* watch the callers of checks polkit holds (polkit.c) */
        struct {
                char *sender; /* a unique bus name */
                uid_t uid;
        } caller_uids[CALLER_UIDS_MAX]; /* a ring, see polkit.c */
        unsigned caller_uids_next;

        /* last values announced with PropertiesChanged */
        char *published_profile;
        ManagerState published_state;
        char *published_pending;
        uint64_t published_corrections;
        char *published_summary; /* the last STATUS= sent to systemd (service.c) */

        /* pressure: sampled on the poll timer (pressure-watch.c) */
        Sampler sampler;
        bool sampler_started;
        PressureState pressure;
        WatchSettings default_watch; /* the thresholds while no profile is active */
        bool growth_failed;          /* conntrack growth failed: off until the next Apply */
        uint64_t metrics_usec;       /* when the metrics file was last written */
        int metrics_error;           /* errno of the last failed metrics write, logged once */

        /* processes whose limits Verify checks: found by a /proc scan at most every few seconds */
        struct ProcMatch *procs;
        size_t n_procs;
        uint64_t procs_scanned_usec;
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(Manager *, manager_free);

/* Load settings and state, then apply the chosen profile. Problems are logged; never fatal. */
void manager_startup(Manager *m);

/* Apply profile name (NULL or "" = the active one); dry_run changes nothing. Returns -ENOENT for an
 * unknown profile, -EINVAL (and friends) for an invalid one, with *ret_error saying why. Apply and Revert
 * return -EPROTONOSUPPORT while the state file is a newer wstuned's (state_newer). */
int manager_apply(Manager *m, const char *name, bool dry_run, uid_t caller, Report *changes, char **ret_error);
int manager_revert(Manager *m, uid_t caller, Report *changes, char **ret_error);
/* Put every limit file back from the baseline in the state file, one row each (a drop-in wstuned created is
 * removed, a merged daemon.json gets its original bytes), without a bus, for package removal with the
 * daemon stopped. The kernel values, their baseline and the active profile stay. Returns how many files
 * could not be restored, or a negative errno (*ret_error saying why) when the state cannot be read. */
int manager_restore_files(Manager *m, Report *changes, char **ret_error);
int manager_reload(Manager *m, uid_t caller, Report *changes, char **ret_error);

/* -EINVAL for a malformed key, -ENOENT for one /proc/sys does not have; *ret_error names it. A key that only
 * root may read is read for a root caller only: anyone else gets a secret row with the state "denied". */
int manager_get(Manager *m, char *const *keys, Caller *caller, Report *entries, char **ret_error);
/* Rows of keys that only root may read are secret; for another caller they are not read again. */
bool manager_verify(Manager *m, Caller *caller, Report *findings);

/* One drift pass at now (CLOCK_MONOTONIC µs): re-read the keys (only the pending ones when only_pending),
 * apply keys that appeared, correct, report or back off from drift as each key's policy says.
 * trigger is when the event that caused the pass happened (a uevent), for the late-apply delay; 0 when
 * the pass was a timer's. Returns how many keys are still pending. */
size_t manager_poll(Manager *m, uint64_t now, uint64_t trigger, bool only_pending);

ManagerState manager_state(const Manager *m);

FightSettings manager_fight_settings(const Manager *m);

/* Write the state (active profile, baseline) atomically; never over a newer wstuned's file (-EPROTONOSUPPORT). */
int manager_save_state(Manager *m);
/* Dot-form names of pending keys, NULL-terminated. */
int manager_pending_keys(const Manager *m, char ***ret);
/* One line for people: the profile, its state and how many keys are in each state, e.g.
 * "Profile ws-server: pending (6 keys ok, 1 pending)", or "No profile active". systemctl status shows it. */
int manager_summary(const Manager *m, char **ret);
