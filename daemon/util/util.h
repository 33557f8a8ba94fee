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
#include <sys/types.h>
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

/* Read a whole small regular file; fails with -EFBIG when it is larger than max, -EBADFD for a FIFO, device
 * or socket (opened without blocking), -EISDIR for a directory. Follows symbolic links. NUL-terminated. */
int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size);

/* Owner, group and permission bits of a file; (uid_t) -1 and (gid_t) -1 leave them as created. */
typedef struct FileMeta {
        uid_t uid;
        gid_t gid;
        mode_t mode;
} FileMeta;

#define FILE_MODE(m) ((FileMeta) { .uid = (uid_t) -1, .gid = (gid_t) -1, .mode = (m) })

/* Open the directory at the absolute path, following no symbolic link in any component (-ELOOP). With
 * create, missing components are made with mode, set explicitly whatever the umask. */
int dir_open_nofollow(const char *path, bool create, mode_t mode);

/* read_file_full() of an absolute path without following a symbolic link anywhere on it (-ELOOP); *ret_meta
 * (may be NULL) gets the file's owner and mode. */
int read_file_nofollow(const char *path, size_t max, char **ret, size_t *ret_size, FileMeta *ret_meta);

typedef enum WriteFileFlags {
        /* a file already there keeps its owner, group and mode, unless another user than root put it
         * into a directory of its own */
        WRITE_FILE_KEEP_META = 1 << 0,
        /* a file left as it is gets a new modification time (readers judge freshness by it) */
        WRITE_FILE_TOUCH = 1 << 1,
} WriteFileFlags;

/* Replace the regular file at the absolute path atomically: no symbolic link followed on the way (-ELOOP),
 * nothing but a regular file replaced (-EBADFD, -EISDIR), a temporary file created exclusively in the same
 * directory, written, given meta, fsync'ed and renamed over the file, then the directory fsync'ed. Returns 0
 * when the file already had this content and meta (nothing written), 1 when written. On failure (ENOSPC,
 * EROFS, …) path is left as it was and the temporary file is removed. */
int write_file_atomic(const char *path, const char *data, size_t size, FileMeta meta, WriteFileFlags flags);

/* A message for the errors above: -ELOOP and -EBADFD say what is at the path; others strerror(). */
const char *file_error_to_string(int r);

/* Remove the temp files write_file_atomic(path, …) leaves when the process is killed before its
 * rename(). Call at start, for files no other process writes. Returns how many were removed (a
 * missing directory: 0) or a negative errno. */
int write_file_atomic_cleanup(const char *path);

/* Remove the file at the absolute path, following no symbolic link on the way; 0 when there is none. */
int unlink_file_nofollow(const char *path);

/* Create a directory and its parents, each with mode (not subject to the umask), following no symbolic link. */
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
