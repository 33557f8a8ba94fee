/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* util.c - string vectors, path joining and file I/O that other users cannot redirect or block. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "util.h"

char **strv_free(char **l) {
        if (!l)
                return NULL;
        for (char **i = l; *i; i++)
                free(*i);
        free(l);
        return NULL;
}

size_t strv_length(char *const *l) {
        size_t n = 0;
        if (l)
                while (l[n])
                        n++;
        return n;
}

int strv_push(char ***l, char *value) {
        size_t n = strv_length(*l);
        char **c = realloc(*l, sizeof(char *) * (n + 2));
        if (!c) {
                free(value);
                return -ENOMEM;
        }
        c[n] = value;
        c[n + 1] = NULL;
        *l = c;
        return 0;
}

bool strv_contains(char *const *l, const char *s) {
        if (l)
                for (char *const *i = l; *i; i++)
                        if (streq(*i, s))
                                return true;
        return false;
}

char *path_join_root(const char *root, const char *path) {
        char *r;

        if (!root || root[0] == '\0' || streq(root, "/"))
                return strdup(path);
        size_t n = strlen(root);
        while (n > 1 && root[n - 1] == '/')
                n--;
        if (asprintf(&r, "%.*s%s%s", (int) n, root, path[0] == '/' ? "" : "/", path) < 0)
                return NULL;
        return r;
}

/* Files root writes where other users may own a directory on the way (the metrics file lies under
 * /var/lib/prometheus, which belongs to the prometheus user): no symbolic link is followed in any component,
 * nothing but a regular file is opened (O_NONBLOCK: a FIFO cannot make the daemon wait), the temporary
 * file is created exclusively and renamed within the same directory handle, and its owner and mode are
 * set on the descriptor. Such a user can still remove or rename what is in its own directory, but cannot
 * send the write elsewhere, make it block, or choose the mode of the file. */

static int verify_regular(const struct stat *st) {
        if (S_ISREG(st->st_mode))
                return 0;
        if (S_ISDIR(st->st_mode))
                return -EISDIR;
        if (S_ISLNK(st->st_mode))
                return -ELOOP;
        return -EBADFD;
}

const char *file_error_to_string(int r) {
        switch (r) {
        case -ELOOP:
                return "a symbolic link is in the way (wstuned does not write through links)";
        case -EBADFD:
                return "not a regular file";
        default:
                return strerror(-r);
        }
}

/* openat() one component of a directory path without following a link; -ELOOP for a link. */
static int dir_open_component(int dir_fd, const char *name) {
        int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0)
                return fd;
        int r = -errno;
        struct stat st;
        if (r == -ENOTDIR && fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) >= 0 && S_ISLNK(st.st_mode))
                return -ELOOP;
        return r;
}

int dir_open_nofollow(const char *path, bool create, mode_t mode) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int fd = -1;
        char *save = NULL;

        if (!copy)
                return -ENOMEM;
        if (path[0] != '/')
                return -EINVAL;
        fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
                if (streq(c, "."))
                        continue;
                if (streq(c, ".."))
                        return -EINVAL;
                int next = dir_open_component(fd, c);
                if (next == -ENOENT && create) {
                        bool made = mkdirat(fd, c, mode) >= 0;
                        if (!made && errno != EEXIST)
                                return -errno;
                        next = dir_open_component(fd, c);
                        /* the mode asked for, whatever the umask (wstuned runs with 0077); a directory
                         * someone else made in the meantime is left as it is */
                        if (made && next >= 0 && fchmod(next, mode) < 0) {
                                int r = -errno;
                                close(next);
                                return r;
                        }
                }
                if (next < 0)
                        return next;
                close(fd);
                fd = next;
        }
        return TAKE_FD(fd);
}

/* Open the regular file name in dir_fd for reading; -ENOENT when there is none. */
static int file_open_regular_at(int dir_fd, const char *name, struct stat *ret_st) {
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                /* O_NOFOLLOW on a link: ELOOP */
                return -errno;
        }
        if (fstat(fd, ret_st) < 0)
                return -errno;
        int r = verify_regular(ret_st);
        if (r < 0)
                return r;
        return TAKE_FD(fd);
}

/* Split an absolute path into its directory (opened, no link followed) and its last component. */
static int path_open_parent(const char *path, char **ret_name) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;

        if (!slash || !slash[1] || streq(slash + 1, ".") || streq(slash + 1, ".."))
                return -EINVAL;
        dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        *ret_name = strdup(slash + 1);
        if (!dir || !*ret_name) {
                *ret_name = mfree(*ret_name);
                return -ENOMEM;
        }
        int fd = dir_open_nofollow(dir, false, 0);
        if (fd < 0)
                *ret_name = mfree(*ret_name);
        return fd;
}

static int read_fd_full(int fd, size_t max, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, allocated = 0;

        /* Most files read here (sysctls) are a few bytes: start small, grow only when full. */
        for (;;) {
                if (size + 1 >= allocated) {
                        if (allocated > max + 1)
                                return -EFBIG;
                        size_t want = allocated ? allocated * 2 : 256;
                        if (want > max + 2)
                                want = max + 2;
                        char *n = realloc(buf, want);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        allocated = want;
                }
                ssize_t k = read(fd, buf + size, allocated - size - 1);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > max)
                        return -EFBIG;
        }

        buf[size] = '\0';
        *ret = TAKE_PTR(buf);
        if (ret_size)
                *ret_size = size;
        return 0;
}

int read_file_full(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        struct stat st;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        int r = verify_regular(&st);
        if (r < 0)
                return r;
        return read_fd_full(fd, max, ret, ret_size);
}

int read_file_nofollow(const char *path, size_t max, char **ret, size_t *ret_size, FileMeta *ret_meta) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct stat st;

        dir_fd = path_open_parent(path, &name);
        if (dir_fd < 0)
                return dir_fd;
        fd = file_open_regular_at(dir_fd, name, &st);
        if (fd < 0)
                return fd;
        if (ret_meta)
                *ret_meta = (FileMeta) { .uid = st.st_uid, .gid = st.st_gid, .mode = st.st_mode & 07777 };
        return read_fd_full(fd, max, ret, ret_size);
}

static bool fd_has_content(int fd, const char *data, size_t size) {
        _cleanup_free_ char *old = NULL;
        size_t old_size;

        if (read_fd_full(fd, size, &old, &old_size) < 0)
                return false;
        return old_size == size && memcmp(old, data, size) == 0;
}

/* The temporary file of write_file_atomic(): ".#" + the file's name + six random characters, in the same
 * directory (rename() does not cross file systems). Hidden and not ending in ".conf" or ".json", so the
 * readers of those directories (pam_limits, systemd, dockerd) never take one for configuration. */
#define TEMP_PREFIX ".#"
#define TEMP_RANDOM_LEN 6u
#define TEMP_ATTEMPTS 64u

static void temp_name(const char *name, char *buf, size_t size) {
        static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        uint8_t rnd[TEMP_RANDOM_LEN];
        char suffix[TEMP_RANDOM_LEN + 1];

        if (getentropy(rnd, sizeof rnd) < 0) {
                uint64_t t = now_usec() ^ ((uint64_t) getpid() << 20);
                memcpy(rnd, &t, sizeof rnd);
        }
        for (size_t i = 0; i < TEMP_RANDOM_LEN; i++)
                suffix[i] = chars[rnd[i] % (sizeof chars - 1)];
        suffix[TEMP_RANDOM_LEN] = '\0';
        snprintf(buf, size, TEMP_PREFIX "%s%s", name, suffix);
}

int write_file_atomic(const char *path, const char *data, size_t size, FileMeta meta, WriteFileFlags flags) {
        _cleanup_free_ char *name = NULL, *tmp = NULL;
        _cleanup_close_ int dir_fd = -1, fd = -1;
        struct stat st, dir_st;
        int r;

        dir_fd = path_open_parent(path, &name);
        if (dir_fd < 0)
                return dir_fd;
        if (fstat(dir_fd, &dir_st) < 0)
                return -errno;

        fd = file_open_regular_at(dir_fd, name, &st);
        if (fd >= 0) {
                /* An existing file keeps its owner and mode, unless a user other than root put it in a
                 * directory of its own: its choices do not shape root's file. */
                if ((flags & WRITE_FILE_KEEP_META) && (st.st_uid == 0 || dir_st.st_uid == 0))
                        meta = (FileMeta) { .uid = st.st_uid, .gid = st.st_gid, .mode = st.st_mode & 07777 };
                bool same_meta = (meta.uid == (uid_t) -1 || meta.uid == st.st_uid) &&
                                 (meta.gid == (gid_t) -1 || meta.gid == st.st_gid) && meta.mode == (st.st_mode & 07777);
                /* the descriptor, not the path: whatever is at the name by now is not touched */
                if (same_meta && fd_has_content(fd, data, size) &&
                    (!(flags & WRITE_FILE_TOUCH) || futimens(fd, NULL) >= 0))
                        return 0;
                closep(&fd);
                fd = -1;
        } else if (fd != -ENOENT)
                return fd;

        size_t tmp_size = strlen(TEMP_PREFIX) + strlen(name) + TEMP_RANDOM_LEN + 1;
        tmp = malloc(tmp_size);
        if (!tmp)
                return -ENOMEM;
        /* a name someone else took (a planted file, link or FIFO) is never opened: another name is tried */
        for (unsigned attempt = 0; fd < 0; attempt++) {
                temp_name(name, tmp, tmp_size);
                fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
                if (fd < 0 && (errno != EEXIST || attempt + 1 >= TEMP_ATTEMPTS))
                        return -errno;
        }

        /* The data reaches the disk before the rename makes it the file: after a crash the name holds the
         * old content or the new, never a part. A SIGKILL before the rename leaves the temporary file;
         * write_file_atomic_cleanup() removes it at the next start. */
        for (size_t done = 0; done < size;) {
                ssize_t k = write(fd, data + done, size - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                done += (size_t) k;
        }
        /* Only a change of owner or group is asked for: the shipped unit forbids chown() (no CAP_CHOWN, no
         * @chown system calls), and a root:root file, the usual case, needs none. */
        struct stat tmp_st;
        if (fstat(fd, &tmp_st) < 0) {
                r = -errno;
                goto fail;
        }
        if (((meta.uid != (uid_t) -1 && meta.uid != tmp_st.st_uid) ||
             (meta.gid != (gid_t) -1 && meta.gid != tmp_st.st_gid)) &&
            fchown(fd, meta.uid, meta.gid) < 0) {
                r = -errno;
                goto fail;
        }
        if (fchmod(fd, meta.mode) < 0 || fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto fail;
        }
        if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
                r = -errno;
                goto fail;
        }
        if (fsync(dir_fd) < 0)
                return -errno;
        return 1;

fail:
        (void) unlinkat(dir_fd, tmp, 0);
        return r;
}

static bool is_temp_of(const char *name, const char *base) {
        size_t prefix = strlen(TEMP_PREFIX), n = strlen(base), len = strlen(name);

        if (len != prefix + n + TEMP_RANDOM_LEN || strncmp(name, TEMP_PREFIX, prefix) != 0 ||
            strncmp(name + prefix, base, n) != 0)
                return false;
        for (const char *c = name + prefix + n; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
                        return false;
        return true;
}

int write_file_atomic_cleanup(const char *path) {
        _cleanup_free_ char *base = NULL;
        struct dirent *de;
        int dir_fd, removed = 0, r = 0;
        DIR *d;

        dir_fd = path_open_parent(path, &base);
        if (dir_fd < 0)
                return dir_fd == -ENOENT ? 0 : dir_fd;
        d = fdopendir(dir_fd);
        if (!d) {
                r = -errno;
                close(dir_fd);
                return r;
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;
                if (!is_temp_of(de->d_name, base))
                        continue;
                /* only files: a directory or link of that name is not ours */
                if (fstatat(dir_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
                        continue;
                if (unlinkat(dir_fd, de->d_name, 0) < 0) {
                        if (errno != ENOENT && r == 0)
                                r = -errno;
                        continue;
                }
                removed++;
        }
        if (errno != 0 && r == 0)
                r = -errno;
        closedir(d);
        return r < 0 ? r : removed;
}

int unlink_file_nofollow(const char *path) {
        _cleanup_free_ char *name = NULL;
        _cleanup_close_ int dir_fd = path_open_parent(path, &name);
        struct stat st;

        if (dir_fd == -ENOENT)
                return 0;
        if (dir_fd < 0)
                return dir_fd;
        if (unlinkat(dir_fd, name, 0) >= 0 || errno == ENOENT)
                return 0;
        int r = -errno;
        /* nothing to remove is not a failure, also where unlinkat() says EROFS */
        return fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT ? 0 : r;
}

int mkdir_parents(const char *path, mode_t mode) {
        int fd = dir_open_nofollow(path, true, mode);
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}

int parse_u64_digits(const char *s, size_t n, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

void text_position(const char *buf, size_t offset, unsigned *ret_line, unsigned *ret_column) {
        unsigned line = 1, column = 1;

        for (size_t i = 0; i < offset && buf[i]; i++) {
                if (buf[i] == '\n') {
                        line++;
                        column = 1;
                } else
                        column++;
        }
        *ret_line = line;
        *ret_column = column;
}

int errorf(char **ret_error, int err, const char *fmt, ...) {
        va_list ap;

        if (!ret_error)
                return err;
        free(*ret_error);
        *ret_error = NULL;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
        return err;
}

/* The length of the UTF-8 character at p, 0 when it is malformed, overlong, a surrogate or beyond U+10FFFF;
 * with bus, also for a noncharacter (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF), which sd-bus refuses although the
 * D-Bus specification allows them since 0.21. */
static size_t utf8_char_length(const unsigned char *p, bool bus) {
        unsigned cp, n;

        if (*p < 0x80)
                return 1;
        if ((*p & 0xe0) == 0xc0) {
                cp = *p & 0x1f;
                n = 1;
        } else if ((*p & 0xf0) == 0xe0) {
                cp = *p & 0x0f;
                n = 2;
        } else if ((*p & 0xf8) == 0xf0) {
                cp = *p & 0x07;
                n = 3;
        } else
                return 0;
        for (unsigned i = 1; i <= n; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (p[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond U+10FFFF */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        if (bus && ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe))
                return 0;
        return n + 1;
}

static bool utf8_check(const char *s, bool bus) {
        const unsigned char *p = (const unsigned char *) s;

        while (*p) {
                size_t n = utf8_char_length(p, bus);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

bool utf8_is_valid(const char *s) {
        return utf8_check(s, false);
}

bool bus_string_is_valid(const char *s) {
        return utf8_check(s, true);
}

char *utf8_escape_invalid(const char *s) {
        char *out = malloc(strlen(s) * 4 + 1), *o = out;

        if (!out)
                return NULL;
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = utf8_char_length(p, true);
                if (n == 0) {
                        o += sprintf(o, "\\x%02x", *p++);
                        continue;
                }
                memcpy(o, p, n);
                o += n;
                p += n;
        }
        *o = '\0';
        return out;
}

char *utf8_quote(const char *s, char *buf, size_t size) {
        size_t n = strlen(s);

        if (n < size) {
                memcpy(buf, s, n + 1);
                return buf;
        }
        /* s[n] is the first byte left out: while it continues a character, that character goes too */
        n = size - 4;
        while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                n--;
        memcpy(buf, s, n);
        memcpy(buf + n, "...", 4);
        return buf;
}
