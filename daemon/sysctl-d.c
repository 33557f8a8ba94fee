/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sysctl-d.c - which sysctl.d file sets a key, and to what, by the rules systemd-sysctl applies at boot.
 *
 * systemd-sysctl (sysctl.d(5)) lists the *.conf files of /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d
 * and /usr/lib/sysctl.d (and /lib/sysctl.d on a split /usr); a name in an earlier directory hides the same name
 * in later ones, and a link to /dev/null hides it with nothing. It reads the remaining files sorted by name
 * across directories, line by line, into an ordered map of key → value: a key seen again with another value
 * is taken out and put at the end; with the same value it stays where it was. Then it writes the map in
 * order: an explicit key is written as is; a glob pattern is written to every existing key it matches, except
 * keys the map holds explicitly (a "-key" line without a value holds a key only to keep patterns off it).
 * So for one key, its explicit line wins wherever it is, else the last matching pattern does.
 *
 * Debian ships /etc/sysctl.conf through the link /etc/sysctl.d/99-sysctl.conf → ../sysctl.conf: it is read
 * as "99-sysctl.conf" and named as /etc/sysctl.conf. Without the link systemd does not read sysctl.conf.
 *
 * The parsing works on buffers (sysctld_parse()); only sysctld_read() and the stamps touch files. */
#include <dirent.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sysctl-d.h"
#include "util/util.h"

const char *const sysctld_dirs[] = {
        "/etc/sysctl.d", "/run/sysctl.d", "/usr/local/lib/sysctl.d", "/usr/lib/sysctl.d", "/lib/sysctl.d", NULL,
};

void sysctld_files_free(SysctldFile *files, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(files[i].name);
                free(files[i].path);
                free(files[i].content);
        }
        free(files);
}

static int file_compare(const void *a, const void *b) {
        return strcmp(((const SysctldFile *) a)->name, ((const SysctldFile *) b)->name);
}

size_t sysctld_files_order(SysctldFile *files, size_t n) {
        size_t k = 0;

        /* first drop the names an earlier directory has, then sort: the names left are unique */
        for (size_t i = 0; i < n; i++) {
                bool masked = false;
                for (size_t j = 0; j < k && !masked; j++)
                        masked = streq(files[j].name, files[i].name);
                if (masked) {
                        free(files[i].name);
                        free(files[i].path);
                        free(files[i].content);
                        continue;
                }
                files[k++] = files[i];
        }
        if (k > 0)
                qsort(files, k, sizeof(SysctldFile), file_compare);
        return k;
}

void sysctld_config_done(SysctldConfig *c) {
        for (size_t i = 0; i < c->n_assignments; i++) {
                free(c->assignments[i].key);
                free(c->assignments[i].value);
        }
        free(c->assignments);
        for (size_t i = 0; i < c->n_files; i++)
                free(c->files[i]);
        free(c->files);
        *c = (SysctldConfig) {};
}

int sysctld_key_normalize(const char *key, char **ret) {
        _cleanup_free_ char *s = strdup(key);
        char *sep, *save = NULL, *out;
        size_t k = 0;

        if (!s)
                return -ENOMEM;
        /* the first separator decides the form, as in sysctl(8) */
        sep = strpbrk(s, "/.");
        if (sep && *sep == '.')
                for (; *sep; sep++) {
                        if (*sep == '.')
                                *sep = '/';
                        else if (*sep == '/')
                                *sep = '.';
                }

        /* segments joined by one '/', empty and "." segments left out: no leading or trailing slash */
        out = s;
        for (char *seg = strtok_r(s, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
                size_t len = strlen(seg);
                if (streq(seg, "."))
                        continue;
                if (k > 0)
                        out[k++] = '/';
                memmove(out + k, seg, len);
                k += len;
        }
        out[k] = '\0';
        *ret = TAKE_PTR(s);
        return 0;
}

static bool key_is_glob(const char *key) {
        return strpbrk(key, "*?[") != NULL;
}

static char *strip(char *s) {
        char *end;

        s += strspn(s, " \t\n\r");
        end = s + strlen(s);
        while (end > s && strchr(" \t\n\r", end[-1]))
                end--;
        *end = '\0';
        return s;
}

/* Put key = value at the end of the ordered map, as systemd-sysctl does (see the top of this file). */
static int config_put(SysctldConfig *c, const char *key, const char *value, const char *file, unsigned line,
                      bool ignore_failure) {
        _cleanup_free_ char *k = NULL, *v = NULL;
        int r;

        r = sysctld_key_normalize(key, &k);
        if (r < 0)
                return r;
        if (!k[0]) {
                c->n_invalid++;
                return 0;
        }
        for (size_t i = 0; i < c->n_assignments; i++) {
                SysctldAssignment *a = &c->assignments[i];
                if (!streq(a->key, k))
                        continue;
                if (streq_ptr(a->value, value)) {
                        a->ignore_failure = a->ignore_failure || ignore_failure;
                        return 0;
                }
                free(a->key);
                free(a->value);
                memmove(a, a + 1, (c->n_assignments - i - 1) * sizeof(SysctldAssignment));
                c->n_assignments--;
                break;
        }
        if (c->n_assignments >= SYSCTLD_ASSIGNMENTS_MAX)
                return -E2BIG;
        if (value && !(v = strdup(value)))
                return -ENOMEM;
        SysctldAssignment *as = realloc(c->assignments, (c->n_assignments + 1) * sizeof(SysctldAssignment));
        if (!as)
                return -ENOMEM;
        c->assignments = as;
        bool glob = key_is_glob(k); /* before k is handed over: initializers are evaluated in no set order */
        as[c->n_assignments++] = (SysctldAssignment) {
                .glob = glob,
                .key = TAKE_PTR(k),
                .value = TAKE_PTR(v),
                .file = file,
                .line = line,
                .ignore_failure = ignore_failure,
        };
        return 0;
}

static int parse_line(SysctldConfig *c, char *l, const char *file, unsigned line) {
        bool ignore_failure = false;
        char *p = strip(l), *value;

        if (!p[0] || strchr("#;", p[0]))
                return 0;
        value = strchr(p, '=');
        if (value) {
                if (p[0] == '-') {
                        ignore_failure = true;
                        p++;
                }
                *value++ = '\0';
                value = strip(value);
        } else if (p[0] == '-')
                p++; /* "-key": only keeps patterns off the key */
        else {
                c->n_invalid++; /* systemd warns and goes on */
                return 0;
        }
        return config_put(c, strip(p), value, file, line, ignore_failure);
}

static int parse_buffer(SysctldConfig *c, const char *file, const char *buf, size_t size) {
        _cleanup_free_ char *l = NULL;
        size_t allocated = 0;
        unsigned line = 0;

        for (size_t i = 0; i < size;) {
                /* systemd's read_line() ends a line at a newline or a NUL */
                size_t n = 0;
                while (i + n < size && buf[i + n] != '\n' && buf[i + n] != '\0')
                        n++;
                if (n + 1 > allocated) {
                        char *bigger = realloc(l, n + 1);
                        if (!bigger)
                                return -ENOMEM;
                        l = bigger;
                        allocated = n + 1;
                }
                memcpy(l, buf + i, n);
                l[n] = '\0';
                line++;
                i += n + 1;
                int r = parse_line(c, l, file, line);
                if (r == -E2BIG)
                        return 0; /* too many keys: the rest of this file is not looked at */
                if (r < 0)
                        return r;
        }
        return 0;
}

int sysctld_parse(const SysctldFile *files, size_t n, SysctldConfig *ret) {
        _cleanup_(sysctld_config_done) SysctldConfig c = {};
        int r;

        c.files = calloc(n + 1, sizeof(char *));
        if (!c.files)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!files[i].content)
                        continue;
                char *path = strdup(files[i].path);
                if (!path)
                        return -ENOMEM;
                c.files[c.n_files++] = path;
                r = parse_buffer(&c, path, files[i].content, files[i].size);
                if (r < 0)
                        return r;
        }
        *ret = c;
        c = (SysctldConfig) {};
        return 0;
}

const SysctldAssignment *sysctld_lookup(const SysctldConfig *c, const char *path) {
        const SysctldAssignment *found = NULL;

        for (size_t i = 0; i < c->n_assignments; i++) {
                const SysctldAssignment *a = &c->assignments[i];
                if (!a->glob) {
                        if (streq(a->key, path))
                                return a->value ? a : NULL;
                        continue;
                }
                /* glob(3) on /proc/sys: '*' does not cross a '/' nor match a leading '.' */
                if (a->value && fnmatch(a->key, path, FNM_PATHNAME | FNM_PERIOD) == 0)
                        found = a;
        }
        return found;
}

/* ---- the files ---- */

void sysctld_stamps_free(SysctldStamp *stamps, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(stamps[i].path);
        free(stamps);
}

static void stamp_fill(SysctldStamp *s) {
        struct stat st;

        if (stat(s->path, &st) < 0) {
                s->error = errno;
                return;
        }
        s->dev = st.st_dev;
        s->ino = st.st_ino;
        s->size = st.st_size;
        s->mtime = st.st_mtim;
        s->ctime = st.st_ctim;
}

static bool timespec_eq(struct timespec a, struct timespec b) {
        return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool sysctld_stamps_changed(const SysctldStamp *stamps, size_t n) {
        for (size_t i = 0; i < n; i++) {
                SysctldStamp now = { .path = stamps[i].path };
                const SysctldStamp *then = &stamps[i];

                stamp_fill(&now);
                if (now.error != then->error || now.dev != then->dev || now.ino != then->ino ||
                    now.size != then->size || !timespec_eq(now.mtime, then->mtime) ||
                    !timespec_eq(now.ctime, then->ctime))
                        return true;
        }
        return false;
}

typedef struct Reading {
        const char *root;
        SysctldFile *files;
        size_t n_files;
        SysctldStamp *stamps;
        size_t n_stamps;
} Reading;

static void reading_done(Reading *rd) {
        sysctld_files_free(rd->files, rd->n_files);
        sysctld_stamps_free(rd->stamps, rd->n_stamps);
}

static int stamp_add(Reading *rd, const char *path) {
        SysctldStamp *s = realloc(rd->stamps, (rd->n_stamps + 1) * sizeof(SysctldStamp));
        if (!s)
                return -ENOMEM;
        rd->stamps = s;
        s[rd->n_stamps] = (SysctldStamp) { .path = strdup(path) };
        if (!s[rd->n_stamps].path)
                return -ENOMEM;
        stamp_fill(&s[rd->n_stamps++]);
        return 0;
}

static bool name_is_conf(const struct dirent *de) {
        size_t n = strlen(de->d_name);

        /* as systemd's conf-files: no hidden files, nothing but files and links (or a type not known) */
        if (de->d_name[0] == '.' || n <= 5 || !streq(de->d_name + n - 5, ".conf"))
                return false;
        return de->d_type == DT_REG || de->d_type == DT_LNK || de->d_type == DT_UNKNOWN;
}

/* Add the *.conf names of one directory (dir as on the real system). */
static int list_dir(Reading *rd, const char *dir) {
        _cleanup_free_ char *full = path_join_root(rd->root, dir);
        DIR *d;
        int r = 0;

        if (!full)
                return -ENOMEM;
        r = stamp_add(rd, full);
        if (r < 0)
                return r;
        d = opendir(full);
        if (!d)
                return 0; /* missing, or not readable: systemd reads nothing there either */
        for (struct dirent *de; (de = readdir(d));) {
                if (!name_is_conf(de))
                        continue;
                if (rd->n_files >= SYSCTLD_FILES_MAX)
                        break;
                SysctldFile *f = realloc(rd->files, (rd->n_files + 1) * sizeof(SysctldFile));
                if (!f) {
                        r = -ENOMEM;
                        break;
                }
                rd->files = f;
                f[rd->n_files] = (SysctldFile) { .name = strdup(de->d_name) };
                if (!f[rd->n_files].name || asprintf(&f[rd->n_files].path, "%s/%s", dir, de->d_name) < 0) {
                        free(f[rd->n_files].name);
                        r = -ENOMEM;
                        break;
                }
                rd->n_files++;
        }
        closedir(d);
        return r;
}

/* Lexically resolve "." and ".." segments of an absolute path. */
static char *path_clean(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        char *out, *save = NULL;
        size_t k = 0;

        if (!copy || !(out = malloc(strlen(path) + 2)))
                return NULL;
        for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
                if (streq(seg, "."))
                        continue;
                if (streq(seg, "..")) {
                        while (k > 0 && out[k - 1] != '/')
                                k--;
                        if (k > 0)
                                k--; /* the '/' before the segment */
                        continue;
                }
                out[k++] = '/';
                memcpy(out + k, seg, strlen(seg));
                k += strlen(seg);
        }
        if (k == 0)
                out[k++] = '/';
        out[k] = '\0';
        return out;
}

/* Read one listed file: follow a link (one to /dev/null masks), stamp what is read, keep the content. */
static int read_one(Reading *rd, SysctldFile *f) {
        _cleanup_free_ char *entry = path_join_root(rd->root, f->path), *full = NULL;
        char target[PATH_MAX];
        struct stat st;
        ssize_t n;
        int r;

        if (!entry)
                return -ENOMEM;
        if (lstat(entry, &st) >= 0 && S_ISLNK(st.st_mode) && (n = readlink(entry, target, sizeof target - 1)) > 0) {
                _cleanup_free_ char *joined = NULL, *shown = NULL;

                target[n] = '\0';
                if (streq(target, "/dev/null"))
                        return 0; /* masked */
                if (target[0] == '/')
                        joined = strdup(target);
                else {
                        _cleanup_free_ char *dir = strdup(f->path);
                        char *slash = dir ? strrchr(dir, '/') : NULL;
                        if (slash)
                                *slash = '\0';
                        if (dir && asprintf(&joined, "%s/%s", dir, target) < 0)
                                joined = NULL;
                }
                if (!joined || !(shown = path_clean(joined)))
                        return -ENOMEM;
                free(f->path);
                f->path = TAKE_PTR(shown);
        }
        full = path_join_root(rd->root, f->path);
        if (!full)
                return -ENOMEM;
        r = stamp_add(rd, full);
        if (r < 0)
                return r;
        r = read_file_full(full, SYSCTLD_FILE_SIZE_MAX, &f->content, &f->size);
        if (r == -ENOMEM)
                return r;
        /* not there, too big, not a regular file (a link to another device): nothing read from it; its
         * name still hides its twins in later directories, as for systemd */
        return 0;
}

int sysctld_read(const char *root, SysctldFile **ret_files, size_t *ret_n, SysctldStamp **ret_stamps,
                 size_t *ret_n_stamps) {
        _cleanup_(reading_done) Reading rd = { .root = root };
        int r;

        for (size_t i = 0; sysctld_dirs[i]; i++) {
                r = list_dir(&rd, sysctld_dirs[i]);
                if (r < 0)
                        return r;
        }
        rd.n_files = sysctld_files_order(rd.files, rd.n_files);
        for (size_t i = 0; i < rd.n_files; i++) {
                r = read_one(&rd, &rd.files[i]);
                if (r < 0)
                        return r;
        }
        *ret_files = TAKE_PTR(rd.files);
        *ret_n = rd.n_files;
        *ret_stamps = TAKE_PTR(rd.stamps);
        *ret_n_stamps = rd.n_stamps;
        rd.n_files = rd.n_stamps = 0;
        return 0;
}

void sysctld_cache_done(SysctldCache *cache) {
        sysctld_config_done(&cache->config);
        sysctld_stamps_free(cache->stamps, cache->n_stamps);
        *cache = (SysctldCache) {};
}

int sysctld_cache_refresh(SysctldCache *cache, const char *root) {
        SysctldFile *files = NULL;
        SysctldStamp *stamps = NULL;
        SysctldConfig config = {};
        size_t n = 0, n_stamps = 0;
        int r;

        if (cache->loaded && !sysctld_stamps_changed(cache->stamps, cache->n_stamps))
                return 0;
        r = sysctld_read(root, &files, &n, &stamps, &n_stamps);
        if (r >= 0) {
                r = sysctld_parse(files, n, &config);
                sysctld_files_free(files, n);
        }
        if (r < 0) {
                sysctld_stamps_free(stamps, n_stamps);
                cache->error = -r;
                return r;
        }
        sysctld_cache_done(cache);
        cache->config = config;
        cache->stamps = stamps;
        cache->n_stamps = n_stamps;
        cache->loaded = true;
        return 1;
}
