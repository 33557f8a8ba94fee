/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util.h - cleanup attributes and small helpers shared by the daemon, the client and the tests. */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define STRV_FOREACH(s, l) for (char **s = (l); s && *s; s++)

#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)             \
        static inline void func##p(type *p) {               \
                if (*p)                                     \
                        func(*p);                           \
        }

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

/* Hand ownership of a cleanup pointer to the caller. */
#define TAKE_PTR(p)                            \
        ({                                     \
                __typeof__(p) _ptr_ = (p);     \
                (p) = NULL;                    \
                _ptr_;                         \
        })
#define TAKE_FD(fd)                \
        ({                         \
                int _fd_ = (fd);   \
                (fd) = -1;         \
                _fd_;              \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return streq(a, b);
}

static inline const char *strempty(const char *s) {
        return s ?: "";
}

/* CLOCK_MONOTONIC in microseconds, the clock of sd-event's timers. */
static inline uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static inline void *memdup(const void *p, size_t n) {
        void *q = malloc(n ?: 1);
        if (q && n)
                memcpy(q, p, n);
        return q;
}

/* A NULL-terminated string vector. */
char **strv_free(char **l);
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free);
#define _cleanup_strv_free_ _cleanup_(strv_freep)
size_t strv_length(char *const *l);
int strv_push(char ***l, char *value); /* takes ownership of value, also on failure */
bool strv_contains(char *const *l, const char *s);

/* Join prefix and path. A NULL or "/" prefix yields path itself. */
char *path_join_root(const char *root, const char *path);

/* Read a whole small file; fails with -EFBIG when it is larger than max. NUL-terminated. */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);

/* Replace path atomically: temp file in the same directory, fsync, rename, fsync the directory.
 * Returns 0 when the file already had this content (nothing written), 1 when written. On failure
 * (ENOSPC, EROFS, …) path is left as it was and the temp file is removed. */
int write_file_atomic(const char *path, const char *data, size_t size, mode_t mode);

/* Remove the temp files write_file_atomic(path, …) leaves when the process is killed before its
 * rename(). Call at start, for files no other process writes. Returns how many were removed (a
 * missing directory: 0) or a negative errno. */
int write_file_atomic_cleanup(const char *path);

/* Create a directory and its parents. */
int mkdir_parents(const char *path, mode_t mode);

/* n decimal digits at s (no sign, no spaces) as an unsigned 64-bit number; -EINVAL for anything else or
 * overflow. */
int parse_u64_digits(const char *s, size_t n, uint64_t *ret);

/* Format "line L, column C" of offset in buf. */
void text_position(const char *buf, size_t offset, unsigned *ret_line, unsigned *ret_column);

/* Set *ret_error (when not NULL) to a formatted message and return err (a negative errno). */
int errorf(char **ret_error, int err, const char *fmt, ...) _printf_(3, 4);

/* Whether s is well-formed UTF-8: no overlong forms, surrogates or code points beyond U+10FFFF. */
bool utf8_is_valid(const char *s);
/* Whether sd-bus takes s as a string: well-formed UTF-8 without noncharacters (U+FDD0..U+FDEF, U+xFFFE,
 * U+xFFFF). sd-bus refuses to build a message or an error holding anything else. */
bool bus_string_is_valid(const char *s);

/* s with every byte sd-bus would refuse (not part of a well-formed character, or of a noncharacter) written as
 * \xNN (malloc'd): for values read from the kernel or a file that are to go onto the bus (kernel.hostname and
 * kernel.core_pattern may hold any bytes). NULL when out of memory. */
char *utf8_escape_invalid(const char *s);

#define QUOTED_MAX 84u /* a buffer for utf8_quote(): 80 bytes of the value, "..." and the NUL */

/* s, valid UTF-8, to quote back in an error message: copied into buf (size >= 4) whole when it fits, else
 * cut on a character boundary with "..." appended. A caller's 1 MB value is not echoed back, and the
 * message stays UTF-8: the bus refuses to send a string that is not, and the caller would get no reply.
 * Returns buf. */
char *utf8_quote(const char *s, char *buf, size_t size);
