/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.h - what wstuned remembers across restarts: the active profile and the baseline, i.e. the
 * value each key had before wstuned first changed it in the boot that boot_id names. Stored in
 * /var/lib/wstuned/state.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

#define STATE_SIZE_MAX (1024u * 1024u)
#define STATE_BASELINE_MAX 4096u

/* The format this wstuned reads and writes ("version" in the file). A change an older wstuned could
 * misread (a new field, another meaning) takes the next number. A file with a higher number was
 * written by a newer wstuned, after a downgrade: state_parse() refuses it with -EPROTONOSUPPORT, and
 * the caller must leave it as it is, as it holds the only copy of the baseline. */
#define STATE_VERSION 1

#define BOOT_ID_LENGTH 36u /* "8-4-4-4-12" hex digits, as /proc/sys/kernel/random/boot_id shows them */

typedef struct BaselineEntry {
        char *path; /* sysctl path relative to /proc/sys */
        char *value;
        bool earlier_boot; /* taken in an earlier boot than State.boot_id: the key was absent since */
} BaselineEntry;

/* The original of a file wstuned writes (a limits drop-in, /etc/docker/daemon.json). */
typedef struct FileBaseline {
        char *path;    /* absolute, as on the real system (without the root prefix) */
        char *content; /* NULL when the file did not exist: Revert removes it */
        FileMeta meta; /* owner, group and permission bits of the original */
} FileBaseline;

typedef struct State {
        char *active_profile; /* NULL when none */
        char *boot_id;        /* the boot the sysctl baseline belongs to; NULL: not known (an older version) */
        BaselineEntry *baseline;
        size_t n_baseline;
        FileBaseline *files;
        size_t n_files;
} State;

void state_done(State *s);

/* -EPROTONOSUPPORT: written by a newer wstuned (see STATE_VERSION); -EINVAL: anything else wrong. */
int state_parse(const char *origin, const char *buf, size_t size, State *ret, char **ret_error);
/* A missing file is an empty state. */
int state_load(const char *path, State *ret, char **ret_error);
/* Atomic replace; returns 0 when unchanged, 1 when written. */
int state_save(const char *path, const State *s);

const char *state_baseline_get(const State *s, const char *path);
/* The original of path as taken in the current boot; NULL when there is none or it is an earlier boot's. */
const char *state_baseline_get_this_boot(const State *s, const char *path);
bool state_baseline_is_earlier_boot(const State *s, const char *path);
/* -EILSEQ for a value that is not UTF-8: state.json could not keep it. The entry counts as this boot's. */
int state_baseline_set(State *s, const char *path, const char *value);
/* Mark the entry of path (NULL: every sysctl entry) as an earlier boot's. */
void state_baseline_mark_earlier_boot(State *s, const char *path);
/* Whether s has the form of a boot id (lower-case, as the kernel writes it). */
bool boot_id_is_valid(const char *s);
/* -EINVAL for something that is not a boot id; NULL forgets it. */
int state_set_boot_id(State *s, const char *boot_id);
void state_baseline_remove(State *s, const char *path);
int state_set_active(State *s, const char *profile);

const FileBaseline *state_file_get(const State *s, const char *path);
/* content NULL: the file did not exist. */
int state_file_set(State *s, const char *path, const char *content, FileMeta meta);
void state_file_remove(State *s, const char *path);
