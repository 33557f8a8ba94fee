/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* profile.h - tuning profiles: parsed from JSON into typed structures. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pressure.h"
#include "sysctl.h"
#include "util/util.h"

#define PROFILE_SIZE_MAX (64u * 1024u)   /* bytes in one profile file */
#define PROFILE_KEYS_MAX 256u            /* sysctl keys in one profile */
#define PROFILE_NAME_MAX 64u
#define PROFILE_DESCRIPTION_MAX 512u
#define PROFILE_DOMAINS_MAX 64u
#define PROFILE_WATCHED_MAX 64u /* processes and services a profile may list */
#define PROFILE_NOFILE_MAX 2147483584ull /* the kernel's ceiling for fs.nr_open on 64-bit */

/* What wstuned does when a live value does not match. */
typedef enum KeyPolicy {
        KEY_POLICY_ENFORCE,    /* write the desired value (at apply and on drift) */
        KEY_POLICY_RAISE_ONLY, /* write only when the live value is below the desired one */
        KEY_POLICY_WARN,       /* write at apply; later drift is only reported */
        KEY_POLICY_IGNORE,     /* never read, written or verified */
        _KEY_POLICY_MAX,
        _KEY_POLICY_INVALID = -22,
} KeyPolicy;

const char *key_policy_to_string(KeyPolicy p);
KeyPolicy key_policy_from_string(const char *s);

typedef enum LimitLayer {
        LIMIT_LAYER_PAM,     /* /etc/security/limits.d */
        LIMIT_LAYER_SYSTEMD, /* DefaultLimitNOFILE= for services */
        LIMIT_LAYER_DOCKER,  /* dockerd/containerd units and daemon.json default-ulimits */
        _LIMIT_LAYER_MAX,
        _LIMIT_LAYER_INVALID = -22,
} LimitLayer;

const char *limit_layer_to_string(LimitLayer l);
LimitLayer limit_layer_from_string(const char *s);

/* Whose processes of a name in limits.processes count. */
typedef enum ProcessOwner {
        PROCESS_OWNER_ROOT, /* only root's (real and effective uid 0): any user can name a process anything */
        PROCESS_OWNER_ANY,  /* anyone's: the profile trusts every local user with this name */
        _PROCESS_OWNER_MAX,
        _PROCESS_OWNER_INVALID = -22,
} ProcessOwner;

const char *process_owner_to_string(ProcessOwner o);
ProcessOwner process_owner_from_string(const char *s);

typedef struct ProfileProcess {
        char *name; /* as in /proc/PID/comm: 1-15 bytes */
        ProcessOwner owner;
} ProfileProcess;

typedef struct ProfileKey {
        char *path;  /* relative to /proc/sys: "net/core/somaxconn" */
        char *name;  /* dot form: "net.core.somaxconn" */
        char *value; /* normalised */
        SysctlMatch match;
        KeyPolicy policy;
} ProfileKey;

typedef struct ProfileLimits {
        bool present;
        uint64_t nofile_soft, nofile_hard;
        char **domains;     /* PAM domains: user, @group, "*" */
        unsigned layers;    /* bit mask of 1 << LimitLayer */
        ProfileProcess *processes; /* processes (by comm) whose running limit Verify checks */
        size_t n_processes;
        char **services;    /* systemd units whose processes (any owner's) Verify checks */
        bool raise_nr_open; /* raise fs.nr_open to the hard limit when it is lower, instead of refusing */
        bool docker_always; /* "docker": "always": the docker layer's files also where Docker is not installed */
        KeyPolicy policy;   /* a limit file someone changed: enforce (write it again) or warn (report) */
} ProfileLimits;

typedef struct Profile {
        char *name;
        char *path; /* file it came from */
        char *description;
        ProfileKey *keys;
        size_t n_keys;
        ProfileLimits limits;
        WatchSettings watch; /* pressure thresholds; the defaults when the profile has no "watch" */
} Profile;

Profile *profile_free(Profile *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Profile *, profile_free);

bool profile_name_is_valid(const char *name);

/* Parse a profile from buf (size bytes, NUL at buf[size]). origin names the file in messages.
 * -EINVAL/-EFBIG/-E2BIG with *ret_error "origin: field: problem" (or "origin:line:col: ..."). */
int profile_parse(const char *name, const char *origin, const char *buf, size_t size, Profile **ret,
                  char **ret_error);

/* Find and parse NAME.json in the first of dirs (NULL-terminated, highest priority first) that has it.
 * -ENOENT when no directory has it. */
int profile_load(const char *const *dirs, const char *name, Profile **ret, char **ret_error);

const ProfileKey *profile_find_key(const Profile *p, const char *path);

/* Add a key the profile implies (fs.nr_open for a large nofile limit); path relative to /proc/sys. */
int profile_add_key(Profile *p, const char *path, const char *value, SysctlMatch match, KeyPolicy policy);

typedef struct ProfileInfo {
        char *name;
        char *description; /* or the parse error, prefixed "invalid: " */
        char *path;
} ProfileInfo;

/* All profiles of dirs, sorted by name; a name in an earlier dir hides the same name later. */
int profile_list(const char *const *dirs, ProfileInfo **ret, size_t *ret_n);
void profile_info_free_many(ProfileInfo *infos, size_t n);
