/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unit-nofile.c - a unit's own LimitNOFILE=, from its files.
 *
 * Why the files and not systemd: the docker layer must know the limit a unit has without wstuned's drop-in.
 * systemd's answer (the LimitNOFILE and LimitNOFILESoft properties of org.freedesktop.systemd1.Service, what
 * `systemctl show -P LimitNOFILE docker` prints) merges every drop-in it loaded, wstuned's too once written
 * and reloaded, so it cannot tell "docker.service ships infinity" from "wstuned wrote 200000"; it also lags
 * behind the files until a daemon-reload, and is not there before systemd is up, in a chroot, in the tests,
 * or through the daemon's sandbox. The files are the unit's definition: they are read here the way systemd
 * merges them (unit file first, then the drop-ins by name, the last valid assignment winning), leaving out
 * the one drop-in that is wstuned's. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "unit-nofile.h"
#include "util/util.h"

/* systemd's system unit search path, highest priority first, without the runtime-only directories
 * (system.control, transient, generators) that no package ships a unit in. */
static const char *const unit_search_path[] = {
        "/etc/systemd/system",         "/run/systemd/system",     "/usr/local/lib/systemd/system",
        "/lib/systemd/system",         "/usr/lib/systemd/system",
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void strip(const char **s, size_t *n) {
        while (*n > 0 && is_blank(**s)) {
                (*s)++;
                (*n)--;
        }
        while (*n > 0 && is_blank((*s)[*n - 1]))
                (*n)--;
}

/* One side of a limit, as systemd's rlimit_parse_u64() and safe_atou64(): "infinity" exactly, or a number
 * after optional blanks, which strtoull() reads with base 0 (so "0x1000" and the octal "010" too, and a
 * leading "+"), besides systemd's own "0b" and "0o" prefixes; "-0" is 0, another negative number ERANGE. */
static int limit_parse_one(const char *s, size_t n, uint64_t *ret) {
        char buf[64], *end = NULL;
        int base = 0;

        if (n == 8 && memcmp(s, "infinity", 8) == 0) {
                *ret = UNIT_NOFILE_INFINITY;
                return 0;
        }
        if (n >= sizeof buf || memchr(s, '\0', n))
                return -EINVAL;
        memcpy(buf, s, n);
        buf[n] = '\0';
        const char *p = buf + strspn(buf, " \t\n\r");
        if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B' || p[1] == 'o' || p[1] == 'O')) {
                base = p[1] == 'b' || p[1] == 'B' ? 2 : 8;
                p += 2;
        }
        errno = 0;
        unsigned long long v = strtoull(p, &end, base);
        if (errno > 0)
                return -errno;
        if (end == p || *end != '\0')
                return -EINVAL;
        if (v != 0 && p[0] == '-')
                return -ERANGE;
        /* RLIM_INFINITY itself is refused as a number */
        if (v >= UNIT_NOFILE_INFINITY)
                return -ERANGE;
        *ret = v;
        return 0;
}

/* rlimit_parse(): "N" or "SOFT:HARD"; an empty HARD, or a ':' right after it, ends the value ("N:" is "N"). */
int unit_nofile_value_parse(const char *s, size_t n, uint64_t *ret_soft, uint64_t *ret_hard) {
        const char *colon = memchr(s, ':', n);
        uint64_t soft, hard;
        int r;

        r = limit_parse_one(s, colon ? (size_t) (colon - s) : n, &soft);
        if (r < 0)
                return r;
        if (!colon || colon + 1 == s + n)
                hard = soft;
        else {
                const char *h = colon + 1, *second = memchr(h, ':', (size_t) (s + n - h));
                if (second && second + 1 != s + n)
                        return -EINVAL;
                r = limit_parse_one(h, (size_t) ((second ?: s + n) - h), &hard);
                if (r < 0)
                        return r;
                if (soft > hard)
                        return -EILSEQ;
        }
        *ret_soft = soft;
        *ret_hard = hard;
        return 0;
}

typedef struct ParseState {
        bool in_service;
        UnitNofile *nofile;
        int taken;
} ParseState;

/* One logical line: a section header, or key=value (both sides stripped). */
static void parse_line(const char *s, size_t n, ParseState *st) {
        uint64_t soft, hard;

        strip(&s, &n);
        if (n == 0)
                return;
        if (s[0] == '[') {
                /* the name between the brackets is taken as it is: "[ Service ]" is another section */
                st->in_service = n == 9 && memcmp(s, "[Service]", 9) == 0;
                return;
        }
        if (!st->in_service)
                return;
        const char *eq = memchr(s, '=', n);
        if (!eq)
                return;
        const char *key = s, *value = eq + 1;
        size_t key_n = (size_t) (eq - s), value_n = (size_t) (s + n - value);
        strip(&key, &key_n);
        strip(&value, &value_n);
        if (key_n != strlen("LimitNOFILE") || memcmp(key, "LimitNOFILE", key_n) != 0)
                return;
        if (unit_nofile_value_parse(value, value_n, &soft, &hard) < 0)
                return;
        *st->nofile = (UnitNofile) { .set = true, .soft = soft, .hard = hard };
        st->taken++;
}

/* Whether the line ends in a backslash that is not itself escaped. */
static bool ends_escaped(const char *s, size_t n) {
        bool escaped = false;

        for (size_t i = 0; i < n; i++)
                escaped = !escaped && s[i] == '\\';
        return escaped;
}

/* systemd's config_parse(): a line ends at \n, \r or \r\n; a comment line is skipped, also amid a continued
 * line; a line ending in an unescaped backslash goes on with the next one, the backslash becoming a blank; a
 * continued line still open at the end of the file is parsed as it is. */
int unit_nofile_parse(const char *buf, size_t size, UnitNofile *nofile) {
        _cleanup_free_ char *cont = NULL;
        size_t cont_n = 0;
        ParseState st = { .nofile = nofile };
        const char *p = buf, *end = buf + size;

        if (memchr(buf, '\0', size))
                return -EINVAL;
        if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
                p += 3;

        while (p < end) {
                const char *eol = p;
                while (eol < end && *eol != '\n' && *eol != '\r')
                        eol++;
                const char *line = p;
                size_t n = (size_t) (eol - p);
                p = eol;
                if (p < end && *p == '\r')
                        p++;
                if (p < end && *p == '\n')
                        p++;

                const char *first = line;
                while (first < line + n && is_blank(*first))
                        first++;
                if (first < line + n && (*first == '#' || *first == ';'))
                        continue;

                bool escaped = ends_escaped(line, n);
                if (cont || escaped) {
                        char *grown = realloc(cont, cont_n + n + 1);
                        if (!grown)
                                return -ENOMEM;
                        cont = grown;
                        memcpy(cont + cont_n, line, n);
                        cont_n += n;
                        cont[cont_n] = '\0';
                        if (escaped) {
                                cont[cont_n - 1] = ' ';
                                continue;
                        }
                        parse_line(cont, cont_n, &st);
                        cont = mfree(cont);
                        cont_n = 0;
                        continue;
                }
                parse_line(line, n, &st);
        }
        if (cont)
                parse_line(cont, cont_n, &st);
        return st.taken;
}

static void limit_string(uint64_t v, char *buf, size_t size) {
        if (v == UNIT_NOFILE_INFINITY)
                snprintf(buf, size, "infinity");
        else
                snprintf(buf, size, "%llu", (unsigned long long) v);
}

char *unit_nofile_format(uint64_t soft, uint64_t hard, char *buf) {
        char s[24], h[24];

        limit_string(soft, s, sizeof s);
        limit_string(hard, h, sizeof h);
        if (soft == hard)
                snprintf(buf, UNIT_NOFILE_STRING_MAX, "%s", s);
        else
                snprintf(buf, UNIT_NOFILE_STRING_MAX, "%s:%s", s, h);
        return buf;
}

bool unit_nofile_lowers(const UnitNofile *ours, const UnitNofile *own) {
        return ours && own && ours->set && own->set && (ours->soft < own->soft || ours->hard < own->hard);
}

/* The file to read for path, a unit file or drop-in in a directory under root: a link with an absolute target
 * points inside root (on the real system root is "/"); a relative one the kernel follows. NULL when path is
 * masked (a link to /dev/null). */
static int unit_path_resolve(const char *root, const char *path, char **ret) {
        char target[4096];
        struct stat st;

        if (lstat(path, &st) < 0)
                return -errno;
        if (!S_ISLNK(st.st_mode)) {
                *ret = strdup(path);
                return *ret ? 0 : -ENOMEM;
        }
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        if (streq(target, "/dev/null")) {
                *ret = NULL;
                return 0;
        }
        *ret = target[0] == '/' ? path_join_root(root, target) : strdup(path);
        return *ret ? 0 : -ENOMEM;
}

int unit_file_find(const char *root, const char *unit, char **ret_path) {
        for (size_t i = 0; i < ELEMENTSOF(unit_search_path); i++) {
                _cleanup_free_ char *dir = path_join_root(root, unit_search_path[i]), *path = NULL,
                                    *resolved = NULL;
                struct stat st;
                int r;

                if (!dir || asprintf(&path, "%s/%s", dir, unit) < 0)
                        return -ENOMEM;
                r = unit_path_resolve(root, path, &resolved);
                if (r == -ENOENT || r == -ENOTDIR)
                        continue;
                if (r < 0)
                        return r;
                /* systemd masks a unit with a link to /dev/null, or an empty file */
                if (!resolved || (stat(resolved, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size == 0))
                        return -ERFKILL;
                if (ret_path)
                        *ret_path = TAKE_PTR(resolved);
                return 0;
        }
        return -ENOENT;
}

static int unit_file_apply(const char *path, UnitNofile *nofile) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r;

        r = read_file_full(path, UNIT_FILE_SIZE_MAX, &buf, &size);
        if (r < 0)
                return r;
        r = unit_nofile_parse(buf, size, nofile);
        return r < 0 ? r : 0;
}

typedef enum DropinKind {
        DROPIN_PLAIN,
        DROPIN_OURS,       /* wstuned's own */
        DROPIN_UNDER_OURS, /* of the same name as wstuned's, further down the path: hidden while that exists */
} DropinKind;

typedef struct Dropin {
        char *name;
        char *path; /* NULL: masked */
        DropinKind kind;
} Dropin;

static void dropins_free(Dropin *d, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(d[i].name);
                free(d[i].path);
        }
        free(d);
}

static int dropin_compare(const void *a, const void *b) {
        return strcmp(((const Dropin *) a)->name, ((const Dropin *) b)->name);
}

/* How a drop-in named name found further down the path counts: -1 when an earlier one of that name hides
 * it. */
static int dropin_kind(const Dropin *d, size_t n, const char *name) {
        bool under_ours = false;

        for (size_t i = 0; i < n; i++)
                if (streq(d[i].name, name)) {
                        if (d[i].kind != DROPIN_OURS)
                                return -1;
                        under_ours = true;
                }
        return under_ours ? DROPIN_UNDER_OURS : DROPIN_PLAIN;
}

static int dropins_add_dir(const char *root, const char *dir, const char *ours, Dropin **d, size_t *n) {
        DIR *dp = opendir(dir);
        struct dirent *de;
        int r = 0;

        if (!dp)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        while ((errno = 0, de = readdir(dp))) {
                _cleanup_free_ char *path = NULL, *resolved = NULL;
                size_t len = strlen(de->d_name);

                /* hidden files (wstuned's temporary .#NAME files among them) are not drop-ins */
                if (de->d_name[0] == '.' || len <= 5 || !streq(de->d_name + len - 5, ".conf"))
                        continue;
                if (asprintf(&path, "%s/%s", dir, de->d_name) < 0) {
                        r = -ENOMEM;
                        break;
                }
                int kind = ours && streq(path, ours) ? DROPIN_OURS : dropin_kind(*d, *n, de->d_name);
                if (kind < 0)
                        continue;
                r = unit_path_resolve(root, path, &resolved);
                if (r == -ENOENT) {
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                struct stat st;
                if (resolved && stat(resolved, &st) >= 0 && S_ISDIR(st.st_mode))
                        continue;
                if (*n >= UNIT_DROPINS_MAX) {
                        r = -E2BIG;
                        break;
                }
                Dropin *grown = realloc(*d, (*n + 1) * sizeof(Dropin));
                char *name = strdup(de->d_name);
                if (grown)
                        *d = grown;
                if (!grown || !name) {
                        free(name);
                        r = -ENOMEM;
                        break;
                }
                (*d)[(*n)++] = (Dropin) { .name = name, .path = TAKE_PTR(resolved), .kind = kind };
        }
        if (r == 0 && errno != 0)
                r = -errno;
        closedir(dp);
        return r;
}

int unit_nofile_load(const char *root, const char *unit, const char *ours, UnitNofile *ret_own,
                     UnitNofile *ret_with_ours) {
        _cleanup_free_ char *path = NULL, *ours_full = NULL, *unit_dir = NULL;
        UnitNofile own = {}, with = {};
        Dropin *dropins = NULL;
        size_t n = 0;
        int r;

        r = unit_file_find(root, unit, &path);
        if (r < 0)
                return r;
        r = unit_file_apply(path, &own);
        if (r < 0)
                return r;
        with = own;

        if (ours && !(ours_full = path_join_root(root, ours)))
                return -ENOMEM;
        if (asprintf(&unit_dir, "%s.d", unit) < 0)
                return -ENOMEM;
        /* of the same name, the earlier directory's; within one directory the unit's own NAME.d first */
        const char *const dir_names[] = { unit_dir, "service.d" };
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(unit_search_path); i++)
                for (size_t j = 0; r >= 0 && j < ELEMENTSOF(dir_names); j++) {
                        _cleanup_free_ char *base = path_join_root(root, unit_search_path[i]), *dir = NULL;
                        if (!base || asprintf(&dir, "%s/%s", base, dir_names[j]) < 0)
                                r = -ENOMEM;
                        else
                                r = dropins_add_dir(root, dir, ours_full, &dropins, &n);
                }
        /* stable for the two of one name: only one of them counts in each result */
        if (r >= 0 && n > 0)
                qsort(dropins, n, sizeof(Dropin), dropin_compare);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (!dropins[i].path)
                        continue;
                if (dropins[i].kind != DROPIN_OURS)
                        r = unit_file_apply(dropins[i].path, &own);
                if (r >= 0 && dropins[i].kind != DROPIN_UNDER_OURS)
                        r = unit_file_apply(dropins[i].path, &with);
                if (r == -ENOENT) /* removed since the listing */
                        r = 0;
        }
        dropins_free(dropins, n);
        if (r < 0)
                return r;
        *ret_own = own;
        if (ret_with_ours)
                *ret_with_ours = with;
        return 0;
}
