/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysctl.c - sysctl key names, value normalisation and comparison, /proc/sys reads and writes. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sysctl.h"
#include "util/util.h"

static const char *const match_table[_SYSCTL_MATCH_MAX] = {
        [SYSCTL_MATCH_EXACT] = "exact",
        [SYSCTL_MATCH_AT_LEAST] = "at-least",
};

const char *sysctl_match_to_string(SysctlMatch m) {
        return m >= 0 && m < _SYSCTL_MATCH_MAX ? match_table[m] : NULL;
}

SysctlMatch sysctl_match_from_string(const char *s) {
        for (int i = 0; i < _SYSCTL_MATCH_MAX; i++)
                if (streq(s, match_table[i]))
                        return i;
        return _SYSCTL_MATCH_INVALID;
}

static bool char_is_bad(unsigned char c) {
        return c <= ' ' || c == 0x7f;
}

int sysctl_key_to_path(const char *key, char **ret_path, const char **ret_reason) {
        size_t n = strlen(key), segments = 1, seglen = 0;
        const char *first;
        char sep;

        if (n == 0) {
                *ret_reason = "empty key name";
                return -EINVAL;
        }
        if (n > SYSCTL_NAME_MAX) {
                *ret_reason = "key name too long";
                return -EINVAL;
        }
        if (key[0] == '/') {
                *ret_reason = "absolute path; give the name relative to /proc/sys";
                return -EINVAL;
        }
        for (size_t i = 0; i < n; i++)
                if (char_is_bad((unsigned char) key[i])) {
                        *ret_reason = "whitespace or control character in key name";
                        return -EINVAL;
                }

        first = strpbrk(key, "./");
        sep = first ? *first : '.';

        _cleanup_free_ char *path = strdup(key);
        if (!path)
                return -ENOMEM;

        /* Dot form: swap '.' and '/', so dots become path separators and slashes literal dots. */
        if (sep == '.')
                for (char *p = path; *p; p++) {
                        if (*p == '.')
                                *p = '/';
                        else if (*p == '/')
                                *p = '.';
                }

        for (const char *p = path;; p++) {
                if (*p == '/' || *p == '\0') {
                        if (seglen == 0) {
                                *ret_reason = "empty segment in key name";
                                return -EINVAL;
                        }
                        if ((seglen == 1 && p[-1] == '.') || (seglen == 2 && p[-1] == '.' && p[-2] == '.')) {
                                *ret_reason = "'.' or '..' segment in key name";
                                return -EINVAL;
                        }
                        if (*p == '\0')
                                break;
                        segments++;
                        seglen = 0;
                } else
                        seglen++;
        }
        if (segments < 2) {
                *ret_reason = "key name must have at least two segments (e.g. net.core.somaxconn)";
                return -EINVAL;
        }

        *ret_path = TAKE_PTR(path);
        return 0;
}

char *sysctl_path_to_name(const char *path) {
        char *name = strdup(path);
        if (!name)
                return NULL;
        for (char *p = name; *p; p++) {
                if (*p == '/')
                        *p = '.';
                else if (*p == '.')
                        *p = '/';
        }
        return name;
}

/* Strict for values from profiles and callers; lenient (any length, empty, control characters
 * kept) for what the kernel returns. */
static int value_normalize(const char *value, bool strict, char **ret, const char **ret_reason) {
        size_t n = strlen(value), k = 0;
        bool space = false;

        _cleanup_free_ char *out = malloc(n + 1);
        if (!out)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char) value[i];
                if (c == ' ' || c == '\t' || c == '\n') {
                        space = k > 0;
                        continue;
                }
                if (strict && (c < ' ' || c == 0x7f)) {
                        *ret_reason = "control character in value";
                        return -EINVAL;
                }
                if (space)
                        out[k++] = ' ';
                space = false;
                out[k++] = (char) c;
        }
        out[k] = '\0';

        if (strict && k == 0) {
                *ret_reason = "empty value";
                return -EINVAL;
        }
        if (strict && k > SYSCTL_VALUE_MAX) {
                *ret_reason = "value too long";
                return -EINVAL;
        }
        *ret = TAKE_PTR(out);
        return 0;
}

int sysctl_value_normalize(const char *value, char **ret, const char **ret_reason) {
        return value_normalize(value, true, ret, ret_reason);
}

bool sysctl_value_is_integer(const char *value) {
        const char *p = value[0] == '-' ? value + 1 : value;
        if (*p == '\0')
                return false;
        for (; *p; p++)
                if (*p < '0' || *p > '9')
                        return false;
        return true;
}

/* Compare magnitudes of digit strings, ignoring leading zeros. */
static int digits_compare(const char *a, const char *b) {
        while (*a == '0' && a[1])
                a++;
        while (*b == '0' && b[1])
                b++;
        size_t la = strlen(a), lb = strlen(b);
        if (la != lb)
                return la < lb ? -1 : 1;
        int c = strcmp(a, b);
        return (c > 0) - (c < 0);
}

int sysctl_integer_compare(const char *a, const char *b) {
        bool neg_a = a[0] == '-', neg_b = b[0] == '-';
        const char *da = a + neg_a, *db = b + neg_b;
        bool zero_a = strspn(da, "0") == strlen(da), zero_b = strspn(db, "0") == strlen(db);

        /* -0 is 0 */
        neg_a = neg_a && !zero_a;
        neg_b = neg_b && !zero_b;
        if (neg_a != neg_b)
                return neg_a ? -1 : 1;
        int c = digits_compare(da, db);
        return neg_a ? -c : c;
}

bool sysctl_value_matches(const char *actual, const char *desired, SysctlMatch match) {
        if (match == SYSCTL_MATCH_AT_LEAST && sysctl_value_is_integer(actual) && sysctl_value_is_integer(desired))
                return sysctl_integer_compare(actual, desired) >= 0;
        if (streq(actual, desired))
                return true;
        /* "0016384" and "16384" are the same number; compare integers field by field. */
        for (;;) {
                size_t la = strcspn(actual, " "), ld = strcspn(desired, " ");
                char fa[SYSCTL_VALUE_MAX + 1], fd[SYSCTL_VALUE_MAX + 1];
                if (la > SYSCTL_VALUE_MAX || ld > SYSCTL_VALUE_MAX)
                        return false;
                memcpy(fa, actual, la);
                fa[la] = '\0';
                memcpy(fd, desired, ld);
                fd[ld] = '\0';
                if (!streq(fa, fd) &&
                    !(sysctl_value_is_integer(fa) && sysctl_value_is_integer(fd) && sysctl_integer_compare(fa, fd) == 0))
                        return false;
                actual += la;
                desired += ld;
                if (*actual == '\0' || *desired == '\0')
                        return *actual == *desired;
                actual++;
                desired++;
        }
}

int sysctl_read(const char *proc_path, char **ret_value) {
        return sysctl_read_public(proc_path, ret_value, NULL);
}

bool sysctl_fd_is_public(int fd) {
        struct stat st;
        return fstat(fd, &st) >= 0 && (st.st_mode & S_IROTH);
}

int sysctl_read_public(const char *proc_path, char **ret_value, bool *ret_public) {
        _cleanup_close_ int fd = open(proc_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        if (ret_public)
                *ret_public = sysctl_fd_is_public(fd);
        return sysctl_read_fd(fd, ret_value);
}

/* Collapse whitespace runs to one space and trim, in place (the output is never longer). */
size_t sysctl_normalize_in_place(char *s) {
        size_t k = 0;
        bool space = false;

        for (char *p = s; *p; p++) {
                if (*p == ' ' || *p == '\t' || *p == '\n') {
                        space = k > 0;
                        continue;
                }
                if (space)
                        s[k++] = ' ';
                space = false;
                s[k++] = *p;
        }
        s[k] = '\0';
        return k;
}

int sysctl_read_fd(int fd, char **ret_value) {
        char buf[4096];
        const char *reason;
        ssize_t n;

        n = pread(fd, buf, sizeof buf - 1, 0);
        if (n < 0)
                return -errno;
        if ((size_t) n == sizeof buf - 1) {
                /* a long value (rare): read it whole */
                _cleanup_free_ char *raw = NULL;
                size_t size = 0, allocated = sizeof buf * 2;
                for (;;) {
                        char *grown = realloc(raw, allocated);
                        if (!grown)
                                return -ENOMEM;
                        raw = grown;
                        n = pread(fd, raw + size, allocated - size - 1, (off_t) size);
                        if (n < 0)
                                return -errno;
                        if (n == 0)
                                break;
                        size += (size_t) n;
                        if (size + 1 < allocated)
                                continue;
                        if (allocated >= 64 * 1024)
                                return -EFBIG;
                        allocated *= 2;
                }
                raw[size] = '\0';
                return value_normalize(raw, false, ret_value, &reason);
        }
        buf[n] = '\0';
        return value_normalize(buf, false, ret_value, &reason);
}

int sysctl_write(const char *proc_path, const char *value) {
        _cleanup_close_ int fd = -1;
        size_t n = strlen(value);
        ssize_t k;

        /* O_TRUNC means nothing to /proc/sys, but a plain file in a test tree must not keep a tail. */
        fd = open(proc_path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        k = write(fd, value, n);
        if (k < 0)
                return -errno;
        if ((size_t) k != n)
                return -EIO;
        return 0;
}
