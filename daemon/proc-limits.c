/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc-limits.c - running processes' open-file limits: /proc/PID/limits, cgroup, status and cmdline
 * parsers, a scan of /proc for named processes and services, and a cheap re-read of one PID. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "proc-limits.h"
#include "util/util.h"

#define PF_KTHREAD 0x00200000u /* include/linux/sched.h; the flags field of /proc/PID/stat */

/* Buffer sizes for the files read per process. limits is about 1.3 KiB. comm is 16 bytes, but the kernel
 * shows up to 64 for kernel threads ("kworker/u8:3-kvfree_rcu_reclaim"); only the first 15 are kept. stat
 * is 52 numbers and that comm. cgroup holds one path (up to PATH_MAX) per hierarchy. status can be long (a
 * "Groups:" line of 65536 groups), but its "Uid:" line is the ninth, behind a name of at most 64 escaped
 * bytes: its first 4 KiB are read. cmdline: its first 64 KiB (the cgroup buffer). */
#define LIMITS_FILE_MAX 4096
#define COMM_FILE_MAX 80
#define STAT_FILE_MAX 2048
#define STATUS_FILE_MAX 4096
#define CGROUP_FILE_MAX (64 * 1024)
#define CMDLINE_FILE_MAX CGROUP_FILE_MAX

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* One field of the limits row: a decimal number or "unlimited". */
static int parse_limit_field(const char **p, uint64_t *ret) {
        const char *s = *p;
        uint64_t v = 0;
        size_t n;

        while (is_blank(*s))
                s++;
        n = strcspn(s, " \t\n");
        if (n == 0)
                return -EINVAL;

        if (n == strlen("unlimited") && strncmp(s, "unlimited", n) == 0)
                v = UINT64_MAX;
        else if (parse_u64_digits(s, n, &v) < 0)
                return -EINVAL;

        *p = s + n;
        *ret = v;
        return 0;
}

int proc_limits_parse_nofile(const char *buf, uint64_t *ret_soft, uint64_t *ret_hard) {
        static const char row[] = "Max open files";

        for (const char *line = buf;; line++) {
                uint64_t soft, hard;
                const char *p;
                int r;

                /* The name has single spaces inside; a longer name ("Max open filesX") is another row. */
                if (strncmp(line, row, strlen(row)) != 0 || !is_blank(line[strlen(row)])) {
                        line = strchr(line, '\n');
                        if (!line)
                                return -EINVAL;
                        continue;
                }

                p = line + strlen(row);
                r = parse_limit_field(&p, &soft);
                if (r < 0)
                        return r;
                r = parse_limit_field(&p, &hard);
                if (r < 0)
                        return r;
                *ret_soft = soft;
                *ret_hard = hard;
                return 0;
        }
}

int proc_status_parse_uids(const char *buf, ProcUids *ret) {
        static const char row[] = "Uid:";
        const char *p;
        uid_t ids[4];

        for (const char *line = buf;; line++) {
                if (strncmp(line, row, strlen(row)) == 0) {
                        p = line + strlen(row);
                        break;
                }
                line = strchr(line, '\n');
                if (!line)
                        return -EINVAL;
        }

        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                uint64_t v;
                size_t n;

                if (!is_blank(*p))
                        return -EINVAL;
                while (is_blank(*p))
                        p++;
                n = strspn(p, "0123456789");
                if (parse_u64_digits(p, n, &v) < 0 || v >= UINT32_MAX)
                        return -EINVAL;
                ids[i] = (uid_t) v;
                p += n;
        }
        if (*p != '\0' && *p != '\n' && !is_blank(*p))
                return -EINVAL;

        *ret = (ProcUids) { .real = ids[0], .effective = ids[1], .saved = ids[2], .fs = ids[3] };
        return 0;
}

bool proc_cmdline_has_arg(const char *buf, size_t size, const char *prefix) {
        size_t k = strlen(prefix);

        /* skip argv[0] */
        const char *nul = memchr(buf, '\0', size);
        for (size_t off = nul ? (size_t) (nul - buf) + 1 : size; off < size;) {
                nul = memchr(buf + off, '\0', size - off);
                size_t n = nul ? (size_t) (nul - (buf + off)) : size - off;
                if (n >= k && memcmp(buf + off, prefix, k) == 0)
                        return true;
                off += n + 1;
        }
        return false;
}

static bool has_suffix(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n > k && memcmp(s + n - k, suffix, k) == 0;
}

static bool unit_char_is_valid(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                (c != '\0' && strchr(":-_.\\@", c));
}

/* A cgroup directory name as a unit name. systemd prefixes "_" to names that would clash with the cgroup
 * file system's own files ("cpu.service" lives in "_cpu.service"); drop it as cg_unescape() does. */
static int unit_from_segment(const char *seg, size_t n, char **ret) {
        if (n > 0 && seg[0] == '_') {
                seg++;
                n--;
        }
        if (n > PROC_UNIT_NAME_MAX || !(has_suffix(seg, n, ".service") || has_suffix(seg, n, ".scope")))
                return -ENOENT;
        for (size_t i = 0; i < n; i++)
                if (!unit_char_is_valid(seg[i]))
                        return -ENOENT;

        char *unit = strndup(seg, n);
        if (!unit)
                return -ENOMEM;
        *ret = unit;
        return 0;
}

/* The unit of one cgroup path (not NUL-terminated): see proc_cgroup_unit() in the header. */
static int cgroup_path_unit(const char *path, size_t len, char **ret) {
        const char *p = path, *end = path + len;

        if (len == 0 || path[0] != '/')
                return -ENOENT;
        for (bool first = true;; first = false) {
                while (p < end && *p == '/')
                        p++;
                if (p == end)
                        return -ENOENT;
                const char *seg = p;
                while (p < end && *p != '/')
                        p++;
                size_t n = (size_t) (p - seg);

                if (first && n == strlen("user.slice") && memcmp(seg, "user.slice", n) == 0)
                        return -ENOENT;
                if (!has_suffix(seg, n, ".slice"))
                        return unit_from_segment(seg, n, ret);
        }
}

/* Whether a v1 controller list ("cpu,cpuacct", "name=systemd") names systemd's own hierarchy. */
static bool controllers_have_systemd(const char *s, size_t n) {
        static const char name[] = "name=systemd";
        const char *end = s + n;

        while (s < end) {
                const char *comma = memchr(s, ',', (size_t) (end - s));
                size_t k = comma ? (size_t) (comma - s) : (size_t) (end - s);
                if (k == strlen(name) && memcmp(s, name, k) == 0)
                        return true;
                s += k + 1;
        }
        return false;
}

int proc_cgroup_unit(const char *buf, char **ret_unit) {
        const char *v2 = NULL, *v1 = NULL;
        size_t v2_len = 0, v1_len = 0;

        /* Lines are "hierarchy-ID:controller-list:cgroup-path". */
        for (const char *line = buf; *line;) {
                const char *eol = strchrnul(line, '\n');
                const char *c1 = memchr(line, ':', (size_t) (eol - line));
                const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t) (eol - c1 - 1)) : NULL;

                if (c2) {
                        const char *path = c2 + 1;
                        size_t len = (size_t) (eol - path);

                        if (!v2 && c1 - line == 1 && line[0] == '0' && c2 == c1 + 1) {
                                v2 = path;
                                v2_len = len;
                        } else if (!v1 && controllers_have_systemd(c1 + 1, (size_t) (c2 - c1 - 1))) {
                                v1 = path;
                                v1_len = len;
                        }
                }
                line = *eol ? eol + 1 : eol;
        }

        /* On a legacy host the v2 line reads "0::/" and name=systemd has the unit. Any other v2 path decides,
         * unit or not: see the header. */
        if (v2 && !(v2_len == 1 && v2[0] == '/'))
                return cgroup_path_unit(v2, v2_len, ret_unit);
        if (v1)
                return cgroup_path_unit(v1, v1_len, ret_unit);
        return -ENOENT;
}

void proc_matches_free(ProcMatch *m, size_t n) {
        if (!m)
                return;
        for (size_t i = 0; i < n; i++)
                free(m[i].unit);
        free(m);
}

/* Read a file below dfd into buf (NUL-terminated) and return its length. -EFBIG when it does not fit,
 * unless truncate is set: then only its start is read. */
static int read_at(int dfd, const char *path, char *buf, size_t size, bool truncate) {
        _cleanup_close_ int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        size_t n = 0;

        if (fd < 0)
                return -errno;
        while (n < size - 1) {
                ssize_t k = read(fd, buf + n, size - 1 - n);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';

        if (n == size - 1 && !truncate) {
                char probe;
                ssize_t k;

                do
                        k = read(fd, &probe, 1);
                while (k < 0 && errno == EINTR);
                if (k < 0)
                        return -errno;
                if (k > 0)
                        return -EFBIG;
        }
        return (int) n;
}

/* A process that exits while it is read: its directory is gone (ENOENT), or the open file no longer has a
 * task (ESRCH). */
static bool is_vanished(int r) {
        return r == -ENOENT || r == -ESRCH;
}

/* Both the scan and proc_read_nofile(). A process reaped between open() and read() gives an empty file. */
static int read_limits(int dfd, const char *path, uint64_t *ret_soft, uint64_t *ret_hard) {
        char buf[LIMITS_FILE_MAX];
        int r;

        r = read_at(dfd, path, buf, sizeof buf, false);
        if (is_vanished(r) || r == 0)
                return -ESRCH;
        if (r < 0)
                return r;
        return proc_limits_parse_nofile(buf, ret_soft, ret_hard);
}

static int read_comm(int dfd, const char *dname, char ret[static PROC_COMM_MAX + 1]) {
        char path[NAME_MAX + 16], buf[COMM_FILE_MAX];
        int r;

        (void) snprintf(path, sizeof path, "%s/comm", dname);
        r = read_at(dfd, path, buf, sizeof buf, true);
        if (r < 0)
                return r;
        size_t n = MIN(strcspn(buf, "\n"), (size_t) PROC_COMM_MAX);
        memcpy(ret, buf, n);
        ret[n] = '\0';
        return 0;
}

/* The unit of a process, NULL when it has none. A cgroup path longer than PATH_MAX makes the kernel fail
 * the read with ENAMETOOLONG, and a user can nest cgroups that deep in a delegated subtree: that is no
 * unit, not an error that would stop the whole scan. */
static int read_unit(int dfd, const char *dname, char *buf, char **ret) {
        char path[NAME_MAX + 16]; /* dname is a directory entry name */
        int r;

        (void) snprintf(path, sizeof path, "%s/cgroup", dname);
        r = read_at(dfd, path, buf, CGROUP_FILE_MAX, false);
        if (r == -ENAMETOOLONG || r == -EFBIG) {
                *ret = NULL;
                return 0;
        }
        if (r < 0)
                return r;
        r = proc_cgroup_unit(buf, ret);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        return r;
}

/* From /proc/PID/stat: whether the process is a kernel thread or a zombie (no open files, nothing to restart),
 * and its start time, which tells it from a later process with the same PID. -ESRCH when it is gone (reaped
 * between open() and read(): an empty file). */
static int read_stat(int dfd, const char *dname, bool *ret_ignored, uint64_t *ret_start_time) {
        char path[NAME_MAX + 16], buf[STAT_FILE_MAX], state;
        unsigned long long start_time;
        unsigned flags;
        int r;

        (void) snprintf(path, sizeof path, "%s/stat", dname);
        r = read_at(dfd, path, buf, sizeof buf, false);
        if (is_vanished(r) || r == 0)
                return -ESRCH;
        if (r < 0)
                return r;

        /* "PID (COMM) STATE PPID PGRP SESSION TTY_NR TPGID FLAGS MINFLT … ITREALVALUE STARTTIME …": comm may hold
         * spaces and ')'. The twelve fields between FLAGS and STARTTIME are skipped as words (some are signed). */
        const char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 1, " %c %*s %*s %*s %*s %*s %u %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
                         &state, &flags, &start_time) != 3)
                return -EINVAL;
        *ret_ignored = (flags & PF_KTHREAD) || state == 'Z' || state == 'X';
        *ret_start_time = start_time;
        return 0;
}

/* The uids of a process: -ESRCH when it is gone (reaped between open() and read(): an empty file). */
static int read_uids(int dfd, const char *dname, ProcUids *ret) {
        char path[NAME_MAX + 16], buf[STATUS_FILE_MAX];
        int r;

        (void) snprintf(path, sizeof path, "%s/status", dname);
        r = read_at(dfd, path, buf, sizeof buf, true);
        if (is_vanished(r) || r == 0)
                return -ESRCH;
        if (r < 0)
                return r;
        return proc_status_parse_uids(buf, ret);
}

/* 1 when the process has an argument starting with prefix, else 0; buf holds CMDLINE_FILE_MAX bytes. */
static int read_has_arg(int dfd, const char *dname, char *buf, const char *prefix) {
        char path[NAME_MAX + 16];
        int r;

        (void) snprintf(path, sizeof path, "%s/cmdline", dname);
        r = read_at(dfd, path, buf, CMDLINE_FILE_MAX, true);
        if (r < 0)
                return r;
        return proc_cmdline_has_arg(buf, (size_t) r, prefix);
}

static bool comm_is(const char *comm, const char *name) {
        size_t n = strlen(comm);
        return strnlen(name, PROC_COMM_MAX) == n && memcmp(name, comm, n) == 0;
}

static bool unit_in(const char *const *units, const char *unit) {
        for (const char *const *u = units; u && *u; u++)
                if (streq(*u, unit))
                        return true;
        return false;
}

typedef struct ProcQuery {
        const ProcName *names;
        size_t n_names;
        char *const *units;
} ProcQuery;

static bool query_has_name(const ProcQuery *q, const char *comm) {
        for (size_t i = 0; i < q->n_names; i++)
                if (comm_is(comm, q->names[i].comm))
                        return true;
        return false;
}

/* Whether the process whose /proc/PID directory is pfd, with this comm and unit, counts: 1, 0, or a negative
 * errno. Its status and cmdline are read only when a name that matched asks about them, each at most once. */
static int query_accepts(const ProcQuery *q, int pfd, const char *comm, const char *unit, char *buf) {
        int root = -1; /* not read yet */
        int r;

        if (unit && strv_contains(q->units, unit))
                return 1;
        for (size_t i = 0; i < q->n_names; i++) {
                const ProcName *name = &q->names[i];

                if (!comm_is(comm, name->comm))
                        continue;
                if (name->units && !(unit && unit_in(name->units, unit)))
                        continue;
                if (!name->any_owner) {
                        if (root < 0) {
                                ProcUids uids;
                                r = read_uids(pfd, ".", &uids);
                                if (r < 0)
                                        return r;
                                root = uids.real == 0 && uids.effective == 0;
                        }
                        if (!root)
                                continue;
                }
                if (name->arg) {
                        r = read_has_arg(pfd, ".", buf, name->arg);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }
                return 1;
        }
        return 0;
}

/* Look at one /proc/PID directory: 1 and *ret filled when it matches, 0 when it does not or vanished. */
static int proc_inspect(int dfd, const char *dname, pid_t pid, const ProcQuery *q, char *buf, ProcMatch *ret) {
        char comm[PROC_COMM_MAX + 1] = "";
        _cleanup_free_ char *unit = NULL;
        _cleanup_close_ int pfd = -1;
        uint64_t soft, hard, start_time;
        bool ignored;
        int r;

        /* The cheap part, for every process: its comm when names are asked for, its unit when units are. */
        if (q->n_names > 0) {
                r = read_comm(dfd, dname, comm);
                if (r < 0)
                        return is_vanished(r) ? 0 : r;
        }
        if (!query_has_name(q, comm)) {
                if (!q->units)
                        return 0;
                r = read_unit(dfd, dname, buf, &unit);
                if (r < 0)
                        return is_vanished(r) ? 0 : r;
                if (!unit || !strv_contains(q->units, unit))
                        return 0;
                unit = mfree(unit);
        }

        /* A candidate. From here on everything is read through its own directory, which stays this process's:
         * once it exits, reads through it fail even if its PID is reused by another process. So comm and unit
         * are read again, and the owner, the arguments, the state and the limits are all this one's. */
        pfd = openat(dfd, dname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return is_vanished(-errno) ? 0 : -errno;
        r = read_comm(pfd, ".", comm);
        if (r < 0)
                return is_vanished(r) ? 0 : r;
        r = read_unit(pfd, ".", buf, &unit);
        if (r < 0)
                return is_vanished(r) ? 0 : r;
        r = query_accepts(q, pfd, comm, unit, buf);
        if (r <= 0)
                return is_vanished(r) ? 0 : r;
        r = read_stat(pfd, ".", &ignored, &start_time);
        if (r < 0)
                return is_vanished(r) ? 0 : r;
        if (ignored)
                return 0;

        r = read_limits(pfd, "limits", &soft, &hard);
        if (r < 0)
                return r == -ESRCH ? 0 : r;

        *ret = (ProcMatch) {
                .pid = pid, .unit = TAKE_PTR(unit), .start_time = start_time, .soft = soft, .hard = hard
        };
        memcpy(ret->comm, comm, sizeof comm);
        return 1;
}

/* A /proc entry that is a process: a decimal PID in canonical form ("self", "sys", "0123" are not). */
static bool parse_pid(const char *s, pid_t *ret) {
        long v = 0;

        if (s[0] < '1' || s[0] > '9')
                return false;
        for (const char *c = s; *c; c++) {
                if (*c < '0' || *c > '9')
                        return false;
                v = v * 10 + (*c - '0');
                if (v > INT_MAX)
                        return false;
        }
        *ret = (pid_t) v;
        return true;
}

typedef struct ProcMatchList {
        ProcMatch *m;
        size_t n, allocated;
        bool truncated;
} ProcMatchList;

static void proc_match_list_done(ProcMatchList *l) {
        proc_matches_free(l->m, l->n);
}

/* Add m, taking its unit. Once full, keep the lowest PIDs: /proc lists PIDs in ascending order, so in
 * practice the rest is dropped, but a scratch tree has no order. */
static int proc_match_list_add(ProcMatchList *l, ProcMatch *m) {
        if (l->n == PROC_FIND_MAX) {
                size_t max = 0;

                l->truncated = true;
                for (size_t i = 1; i < l->n; i++)
                        if (l->m[i].pid > l->m[max].pid)
                                max = i;
                if (m->pid < l->m[max].pid) {
                        free(l->m[max].unit);
                        l->m[max] = *m;
                } else
                        free(m->unit);
                m->unit = NULL;
                return 0;
        }

        if (l->n == l->allocated) {
                size_t want = MIN(l->allocated ? l->allocated * 2 : 8, (size_t) PROC_FIND_MAX);
                ProcMatch *n = realloc(l->m, want * sizeof(ProcMatch));
                if (!n)
                        return -ENOMEM;
                l->m = n;
                l->allocated = want;
        }
        l->m[l->n++] = *m;
        m->unit = NULL;
        return 0;
}

static int proc_match_compare(const void *a, const void *b) {
        pid_t x = ((const ProcMatch *) a)->pid, y = ((const ProcMatch *) b)->pid;
        return (x > y) - (x < y);
}

int proc_find(const char *proc_root, const ProcName *names, size_t n_names, char *const *units, ProcMatch **ret,
              size_t *ret_n) {
        _cleanup_(proc_match_list_done) ProcMatchList l = {};
        _cleanup_(closedirp) DIR *d = NULL;
        _cleanup_free_ char *buf = NULL;
        const ProcQuery q = { .names = names, .n_names = names ? n_names : 0, .units = units };
        int r;

        d = opendir(proc_root);
        if (!d)
                return -errno;
        if (q.n_names == 0 && !units) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        /* for cgroup, and then cmdline */
        buf = malloc(MAX(CGROUP_FILE_MAX, CMDLINE_FILE_MAX));
        if (!buf)
                return -ENOMEM;

        for (;;) {
                ProcMatch m;
                pid_t pid;

                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }
                if ((de->d_type != DT_DIR && de->d_type != DT_UNKNOWN) || !parse_pid(de->d_name, &pid))
                        continue;

                r = proc_inspect(dirfd(d), de->d_name, pid, &q, buf, &m);
                if (r < 0)
                        return r;
                if (r == 0)
                        continue;
                r = proc_match_list_add(&l, &m);
                if (r < 0) {
                        free(m.unit);
                        return r;
                }
        }

        if (l.n > 0)
                qsort(l.m, l.n, sizeof(ProcMatch), proc_match_compare);
        else
                l.m = mfree(l.m); /* nothing found: nothing for the caller to free */
        *ret_n = l.n;
        *ret = TAKE_PTR(l.m);
        l.n = 0;
        return l.truncated;
}

int proc_read_nofile(const char *proc_root, pid_t pid, uint64_t *ret_soft, uint64_t *ret_hard) {
        char path[PATH_MAX];

        if (pid <= 0)
                return -EINVAL;
        if ((size_t) snprintf(path, sizeof path, "%s/%d/limits", proc_root, (int) pid) >= sizeof path)
                return -ENAMETOOLONG;
        return read_limits(AT_FDCWD, path, ret_soft, ret_hard);
}

int proc_match_refresh(const char *proc_root, ProcMatch *m) {
        _cleanup_close_ int pfd = -1;
        char path[PATH_MAX];
        uint64_t start_time, soft, hard;
        bool ignored;
        int r;

        if (m->pid <= 0)
                return -EINVAL;
        if ((size_t) snprintf(path, sizeof path, "%s/%d", proc_root, (int) m->pid) >= sizeof path)
                return -ENAMETOOLONG;
        /* stat and limits through one directory: both are the same process's */
        pfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (pfd < 0)
                return is_vanished(-errno) ? -ESRCH : -errno;
        r = read_stat(pfd, ".", &ignored, &start_time);
        if (r < 0)
                return r;
        if (ignored || start_time != m->start_time)
                return -ESRCH;
        r = read_limits(pfd, "limits", &soft, &hard);
        if (r < 0)
                return r;
        m->soft = soft;
        m->hard = hard;
        return 0;
}
