/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysctl.h - sysctl key names, value normalisation and comparison, /proc/sys reads and writes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define SYSCTL_NAME_MAX 128   /* longest key name accepted, in bytes */
#define SYSCTL_VALUE_MAX 256  /* longest value accepted, in bytes (after normalisation) */

typedef enum SysctlMatch {
        SYSCTL_MATCH_EXACT,    /* the live value must equal the desired one */
        SYSCTL_MATCH_AT_LEAST, /* a single integer: any live value >= desired is fine */
        _SYSCTL_MATCH_MAX,
        _SYSCTL_MATCH_INVALID = -22,
} SysctlMatch;

const char *sysctl_match_to_string(SysctlMatch m);
SysctlMatch sysctl_match_from_string(const char *s);

/* Turn a key in sysctl(8) dot form ("net.core.somaxconn") or slash form ("net/core/somaxconn") into
 * its path relative to /proc/sys. As sysctl(8) does, the first separator decides the form, and in
 * dot form a '/' stands for a literal '.' (an interface name such as "eth0.100"). On -EINVAL,
 * *ret_reason says what is wrong with the key. */
int sysctl_key_to_path(const char *key, char **ret_path, const char **ret_reason);

/* The dot form of a path relative to /proc/sys, as sysctl(8) prints it. */
char *sysctl_path_to_name(const char *path);

/* Collapse runs of whitespace (spaces, tabs, newlines) to one space and trim both ends. Fails with
 * -EINVAL for empty values, control characters or values longer than SYSCTL_VALUE_MAX. */
int sysctl_value_normalize(const char *value, char **ret, const char **ret_reason);

/* Whether value is one integer (optional '-', decimal digits, any magnitude). */
bool sysctl_value_is_integer(const char *value);

/* Compare two decimal integers of any magnitude: <0, 0, >0. Both must pass sysctl_value_is_integer. */
int sysctl_integer_compare(const char *a, const char *b);

/* Whether a normalised live value satisfies a normalised desired value. */
bool sysctl_value_matches(const char *actual, const char *desired, SysctlMatch match);

/* Read a /proc/sys file (full path) and normalise it. -ENOENT when the key does not exist. */
int sysctl_read(const char *proc_path, char **ret_value);

/* Whether everyone may read the sysctl behind fd (its mode has o+r). A key that only root may read holds a
 * secret (net.ipv4.tcp_fastopen_key, net.ipv6.conf.*.stable_secret, kernel.cad_pid) or costs the kernel work
 * to read (vm.stat_refresh queues work on every CPU): wstuned reads it for root callers only and keeps its
 * value out of signals and the journal. The file's mode decides, not a list. A descriptor that cannot be
 * looked at counts as private. */
bool sysctl_fd_is_public(int fd);

/* sysctl_read(), and whether the file is readable by everyone (sysctl_fd_is_public(); ret_public may be NULL). */
int sysctl_read_public(const char *proc_path, char **ret_value, bool *ret_public);

/* Read through a descriptor kept open on the /proc/sys file (pread at offset 0): one syscall per poll. */
int sysctl_read_fd(int fd, char **ret_value);

/* Normalise what the kernel returned (as sysctl_read() does) in place; returns the new length. */
size_t sysctl_normalize_in_place(char *s);

/* Write a value with one write(2), as the kernel reports errors at write time. */
int sysctl_write(const char *proc_path, const char *value);
