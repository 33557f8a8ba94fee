/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* limit-files.h - the files that carry a profile's nofile limit (PAM, systemd, docker, containerd,
 * daemon.json): their paths, what they take effect on, their wanted content, the merge into daemon.json.
 * Pure: buffers in, buffers out; the caller reads and writes the files. Not named limits.h: daemon/ is
 * on the include path, and that name would hide the C library's <limits.h>. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "profile.h"
#include "unit-nofile.h"

#define LIMITS_DOCKER_JSON_SIZE_MAX (1024u * 1024u) /* bytes of an existing daemon.json we parse */

typedef enum LimitFile {
        LIMIT_FILE_PAM,             /* limits.d drop-in: <domain> soft|hard nofile N */
        LIMIT_FILE_SYSTEMD,         /* system.conf.d drop-in: DefaultLimitNOFILE= */
        LIMIT_FILE_DOCKER_UNIT,     /* docker.service drop-in: LimitNOFILE= */
        LIMIT_FILE_CONTAINERD_UNIT, /* containerd.service drop-in: LimitNOFILE= */
        LIMIT_FILE_DOCKER_JSON,     /* the admin's daemon.json: default-ulimits.nofile merged in */
        _LIMIT_FILE_MAX,
        _LIMIT_FILE_INVALID = -22,
} LimitFile;

/* Absolute path on a real system, e.g. "/etc/security/limits.d/90-wstuned.conf"; NULL for an invalid f. */
const char *limit_file_path(LimitFile f);
/* The profile layer that enables f. */
LimitLayer limit_file_layer(LimitFile f);
/* true: the file is wholly wstuned's and rendered whole; false: merged into an admin's file. */
bool limit_file_is_dropin(LimitFile f);
/* What picks the new limit up, and when, as a phrase for reports: "new login sessions …". */
const char *limit_file_takes_effect(LimitFile f);
/* The systemd unit whose LimitNOFILE= drop-in f is ("docker.service"); NULL for the other files. */
const char *limit_file_unit(LimitFile f);

/* What a unit's drop-in must say so that it never lowers the limit the unit has without it (own; NULL or not
 * set: the unit has none, and runs with DefaultLimitNOFILE=). 0 when own is already at least l's, soft and
 * hard: no drop-in. 1 when a drop-in is needed: *ret is l with soft and hard each raised to own's where that
 * is higher (possibly UNIT_NOFILE_INFINITY), so "1024:infinity" and a profile of 200000 give
 * "200000:infinity", not a hard limit of 200000. -EINVAL for invalid l. */
int limits_unit_wanted(const ProfileLimits *l, const UnitNofile *own, ProfileLimits *ret);

/* The whole content of drop-in f for l, first line a comment saying wstuned manages and overwrites the
 * file for profile. Deterministic. -EINVAL when l is not present, its values are out of range
 * (0, soft above hard, above PROFILE_NOFILE_MAX; the unit drop-ins also take UNIT_NOFILE_INFINITY, written
 * "infinity", from limits_unit_wanted()), a domain is not "*", a user or an @group (a %group
 * domain is refused: pam_limits honours it for maxlogins only and would ignore the line), or profile
 * is not a valid profile name; -EOPNOTSUPP for LIMIT_FILE_DOCKER_JSON (use limits_merge_docker_json). */
int limits_render(LimitFile f, const ProfileLimits *l, const char *profile, char **ret);

/* daemon.json: set default-ulimits.nofile to {"Name":"nofile","Hard":N,"Soft":N} in old (old_size bytes,
 * need not be NUL-terminated). old NULL, empty or only whitespace (dockerd reads that as an empty
 * configuration) gives a new document. Every other key and every other default-ulimits entry is kept,
 * in its order, numbers as written; the result is re-indented with two spaces and ends in "\n".
 *
 * "The nofile entry" is every default-ulimits member whose key is "nofile" in any case or whose "Name"
 * is "nofile" in any case: dockerd turns each into an RLIMIT_NOFILE rlimit and applies them in map
 * order, so a second one would make the result random. The first is replaced in place under the key
 * "nofile", the others are removed; string forms ("nofile":"100:200") and entries without "Name" (both
 * rejected by dockerd) are replaced the same way.
 *
 * Errors, with *ret_error naming origin and nothing returned: -EFBIG above LIMITS_DOCKER_JSON_SIZE_MAX;
 * -EINVAL for unparsable JSON ("origin:line:col: …"), a top level that is not an object, a
 * default-ulimits that is not an object or is given twice (dockerd would take the last one). */
int limits_merge_docker_json(const char *old, size_t old_size, const char *origin, const ProfileLimits *l,
                             char **ret, char **ret_error);

/* Whether content (size bytes, NULL = the file is missing) already carries l. Drop-ins: byte-equal to
 * limits_render(). daemon.json: parses, and default-ulimits holds exactly one nofile entry, under the key
 * "nofile", with exactly the members Name "nofile", Soft and Hard written as the decimal soft and hard
 * (dockerd's int64 fields reject 2e5 or 200000.0). */
bool limits_file_holds(LimitFile f, const char *content, size_t size, const ProfileLimits *l,
                       const char *profile);
