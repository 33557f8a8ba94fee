/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysctl-d.h - which sysctl.d file sets a key, and to what, by the rules systemd-sysctl applies at boot. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define SYSCTLD_FILE_SIZE_MAX (1024u * 1024u) /* a bigger file is left out, as if it were empty */
#define SYSCTLD_FILES_MAX 1024u               /* files looked at in all directories together */
#define SYSCTLD_ASSIGNMENTS_MAX 65536u        /* distinct keys and patterns kept */

/* The directories systemd-sysctl reads, highest precedence first, as on the real system (without the root
 * prefix). /lib/sysctl.d is read by systemd builds for a split /usr; with a merged /usr it is /usr/lib/sysctl.d
 * under another name, whose files are hidden by their twins (same name, earlier directory). */
extern const char *const sysctld_dirs[];

/* One configuration file. */
typedef struct SysctldFile {
        char *name;    /* base name, which orders the files: "99-sysctl.conf" */
        char *path;    /* as shown: "/etc/sysctl.d/60-gce.conf", or the file a link there points to
                        * ("/etc/sysctl.conf") */
        char *content; /* NULL: nothing to read (masked by a link to /dev/null, unreadable, too big) */
        size_t size;
} SysctldFile;

void sysctld_files_free(SysctldFile *files, size_t n);

/* files holds every *.conf file found, directory by directory in sysctld_dirs order. Drop each file whose name
 * an earlier entry has (it is masked: systemd reads only the first), then sort the rest by name (strcmp, as
 * systemd). Returns the new count; dropped entries are freed. */
size_t sysctld_files_order(SysctldFile *files, size_t n);

/* One line that sets a key (or a pattern) and outlived every later line of the same key. */
typedef struct SysctldAssignment {
        char *key;           /* path form relative to /proc/sys ("net/core/somaxconn"), maybe a glob pattern */
        char *value;         /* NULL: "-key" without '=', which only keeps patterns off the key */
        const char *file;    /* SysctldFile.path of the file, owned by the SysctldConfig */
        unsigned line;       /* 1-based */
        bool ignore_failure; /* a leading "-" */
        bool glob;           /* key holds '*', '?' or '[' */
} SysctldAssignment;

/* What the files set, in the order systemd-sysctl would write it. */
typedef struct SysctldConfig {
        char **files; /* the SysctldFile paths the assignments point to */
        size_t n_files;
        SysctldAssignment *assignments;
        size_t n_assignments;
        size_t n_invalid; /* lines that are neither comments nor assignments: ignored, as systemd does */
} SysctldConfig;

void sysctld_config_done(SysctldConfig *c);

/* The path form systemd-sysctl uses for a key written in dot or slash form: when the first separator is a
 * '.', dots and slashes swap (so "net.ipv4.conf.eth0/100.rp_filter" is "net/ipv4/conf/eth0.100/rp_filter");
 * repeated and trailing slashes, "." segments and a leading slash go. Never fails but for -ENOMEM. */
int sysctld_key_normalize(const char *key, char **ret);

/* Parse the files (in the order sysctld_files_order() leaves them) as systemd-sysctl does: one assignment per
 * line "key = value", whitespace around both ignored; empty lines and lines starting with '#' or ';' are
 * comments; a leading '-' means "ignore a failure to write"; "-key" alone keeps glob patterns off the key; a
 * later line for the same key replaces an earlier one (and moves it last) unless it sets the same value. */
int sysctld_parse(const SysctldFile *files, size_t n, SysctldConfig *ret);

/* The assignment that decides the key at path (path form, no glob) at boot: an explicit line for the key wins
 * over any pattern, wherever they are; else the last pattern in order that matches it (each pattern writes
 * every key it matches, one after the other). NULL when nothing sets the key. */
const SysctldAssignment *sysctld_lookup(const SysctldConfig *c, const char *path);

/* What the directories and files looked like when they were read: a later look that finds any of it changed
 * means the configuration must be read again. */
typedef struct SysctldStamp {
        char *path; /* full path, with the root prefix */
        int error;  /* errno of stat(); then the rest is 0 */
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
        struct timespec ctime;
} SysctldStamp;

/* The files of sysctld_dirs under root (NULL or "/" for the real ones), ordered, with their content, and the
 * stamps of the directories and of the files read. A symbolic link counts by its own name; one to /dev/null
 * masks, one to another file is read as that file and shown by its path (Debian's /etc/sysctl.d/99-sysctl.conf
 * → ../sysctl.conf is /etc/sysctl.conf, read where "99-sysctl.conf" sorts). An absolute link target is taken
 * under root. */
int sysctld_read(const char *root, SysctldFile **ret_files, size_t *ret_n, SysctldStamp **ret_stamps,
                 size_t *ret_n_stamps);

void sysctld_stamps_free(SysctldStamp *stamps, size_t n);

/* Whether any stamped directory or file looks different now (or cannot be looked at as before). */
bool sysctld_stamps_changed(const SysctldStamp *stamps, size_t n);

/* The configuration under a root, read again only when a stamp says something changed. */
typedef struct SysctldCache {
        bool loaded;
        int error; /* errno of the last failed read: the old configuration stays */
        SysctldConfig config;
        SysctldStamp *stamps;
        size_t n_stamps;
} SysctldCache;

/* 0 when the cached configuration is current, 1 when it was read again, or a negative errno. */
int sysctld_cache_refresh(SysctldCache *cache, const char *root);
void sysctld_cache_done(SysctldCache *cache);
