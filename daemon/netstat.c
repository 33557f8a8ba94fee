/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netstat.c - socket and file-descriptor pressure: parsers for /proc/net/netstat, /proc/net/sockstat,
 * /proc/sys/fs/file-nr and net.ipv4.ip_local_port_range, and the ratios the pressure levels use. */
#include <stddef.h>
#include <stdio.h>

#include "netstat.h"
#include "util/util.h"

#define PORT_MAX 65535u

/* A counter of a "Label: name value name value" line or of a header/value line pair, by name. */
typedef struct Field {
        const char *name;
        size_t offset; /* of a uint64_t in the output struct */
} Field;

#define FIELDS_MAX 4 /* most fields any table below has */

static const Field listen_fields[] = {
        { "ListenOverflows", offsetof(ListenCounters, listen_overflows) },
        { "ListenDrops", offsetof(ListenCounters, listen_drops) },
        { "TCPReqQFullDrop", offsetof(ListenCounters, req_q_full_drop) },
        { "TCPReqQFullDoCookies", offsetof(ListenCounters, req_q_full_do_cookies) },
};

static const Field sockstat_sockets_fields[] = {
        { "used", offsetof(SockStat, sockets_used) },
};

static const Field sockstat_tcp_fields[] = {
        { "inuse", offsetof(SockStat, tcp_inuse) },
        { "orphan", offsetof(SockStat, tcp_orphan) },
        { "tw", offsetof(SockStat, tcp_tw) },
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

static bool is_line_end(char c) {
        return c == '\n' || c == '\0';
}

/* The next blank-separated token of the current line; false at the end of the line (*p is left there). */
static bool next_token(const char **p, const char **ret, size_t *ret_len) {
        const char *s = *p;
        size_t n = 0;

        while (is_blank(*s))
                s++;
        while (!is_blank(s[n]) && !is_line_end(s[n]))
                n++;
        *p = s + n;
        *ret = s;
        *ret_len = n;
        return n > 0;
}

/* A decimal number as the kernel prints it: digits only, no sign, no base prefix, at most UINT64_MAX. */
/* A counter name: a letter, then letters, digits or underscores. */
static bool name_is_valid(const char *s, size_t n) {
        if (n == 0 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
                      s[i] == '_'))
                        return false;
        return true;
}

/* What follows label when line starts with it as a whole word ("TCP:" is not "TCP6:"); NULL otherwise. */
static const char *after_label(const char *line, const char *label) {
        size_t n = strlen(label);

        if (strncmp(line, label, n) != 0 || !(is_blank(line[n]) || is_line_end(line[n])))
                return NULL;
        return line + n;
}

/* The rest of the first line of buf that starts with label; NULL when there is none. */
static const char *find_line(const char *buf, const char *label) {
        for (const char *line = buf; line; line = strchr(line, '\n')) {
                if (*line == '\n')
                        line++;
                const char *p = after_label(line, label);
                if (p)
                        return p;
        }
        return NULL;
}

/* Store value into the field called name, if the table has one. -EINVAL when it was set before. */
static int field_set(
                const Field *fields, size_t n_fields, bool *seen, void *out, const char *name, size_t len,
                uint64_t value) {
        for (size_t i = 0; i < n_fields; i++) {
                if (strlen(fields[i].name) != len || memcmp(fields[i].name, name, len) != 0)
                        continue;
                if (seen[i])
                        return -EINVAL;
                seen[i] = true;
                memcpy((char *) out + fields[i].offset, &value, sizeof value);
                return 0;
        }
        return 0;
}

/* "name value name value ..." up to the end of the line, as in sockstat. Every field of the table must be
 * present; unknown names are skipped, but their values must still be numbers. */
static int parse_pairs(const char *p, const Field *fields, size_t n_fields, void *out) {
        bool seen[FIELDS_MAX] = {};
        const char *name, *value;
        size_t name_len, value_len;
        uint64_t v;
        int r;

        while (next_token(&p, &name, &name_len)) {
                if (!name_is_valid(name, name_len) || !next_token(&p, &value, &value_len))
                        return -EINVAL;
                r = parse_u64_digits(value, value_len, &v);
                if (r < 0)
                        return r;
                r = field_set(fields, n_fields, seen, out, name, name_len, v);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < n_fields; i++)
                if (!seen[i])
                        return -EINVAL;
        return 0;
}

/* A value of a column nobody asked for: an integer, which in /proc/net/snmp may be negative (MaxConn -1). */
static int check_other_value(const char *value, size_t len) {
        uint64_t v;

        if (len > 1 && value[0] == '-')
                value++, len--;
        return parse_u64_digits(value, len, &v);
}

/* /proc/net/netstat and /proc/net/snmp have a header line of names and a value line under the same label.
 * The two lines are walked side by side, so columns match by position within the pair and counters by name;
 * nothing is allocated and no column count is assumed (Linux 6.18 has 135 TcpExt columns). */
static int parse_table(const char *buf, const char *label, const Field *fields, size_t n_fields, void *out) {
        bool seen[FIELDS_MAX] = {};
        const char *names, *values;
        size_t n = 0;
        int r;

        names = find_line(buf, label);
        if (!names)
                return -EINVAL;
        values = strchr(names, '\n');
        if (!values)
                return -EINVAL;
        values = after_label(values + 1, label);
        if (!values)
                return -EINVAL;

        for (;; n++) {
                const char *name, *value;
                size_t name_len, value_len;
                bool has_name = next_token(&names, &name, &name_len);
                bool has_value = next_token(&values, &value, &value_len);
                bool wanted = false;
                uint64_t v;

                if (!has_name && !has_value)
                        break;
                if (has_name != has_value || !name_is_valid(name, name_len))
                        return -EINVAL;
                for (size_t i = 0; i < n_fields && !wanted; i++)
                        wanted = strlen(fields[i].name) == name_len && memcmp(fields[i].name, name, name_len) == 0;
                if (!wanted) {
                        r = check_other_value(value, value_len);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = parse_u64_digits(value, value_len, &v);
                if (r < 0)
                        return r;
                r = field_set(fields, n_fields, seen, out, name, name_len, v);
                if (r < 0)
                        return r;
        }
        return n == 0 ? -EINVAL : 0;
}

int netstat_parse_listen(const char *buf, ListenCounters *ret) {
        ListenCounters c = {};
        int r = parse_table(buf, "TcpExt:", listen_fields, ELEMENTSOF(listen_fields), &c);

        if (r < 0)
                return r;
        *ret = c;
        return 0;
}

int snmp_parse_active_opens(const char *buf, uint64_t *ret) {
        static const Field fields[] = { { "ActiveOpens", 0 } };
        uint64_t v = 0;
        int r = parse_table(buf, "Tcp:", fields, ELEMENTSOF(fields), &v);

        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int sockstat_parse(const char *buf, SockStat *ret) {
        SockStat s = {};
        const char *p;
        int r;

        p = find_line(buf, "sockets:");
        if (!p)
                return -EINVAL;
        r = parse_pairs(p, sockstat_sockets_fields, ELEMENTSOF(sockstat_sockets_fields), &s);
        if (r < 0)
                return r;

        p = find_line(buf, "TCP:");
        if (!p)
                return -EINVAL;
        r = parse_pairs(p, sockstat_tcp_fields, ELEMENTSOF(sockstat_tcp_fields), &s);
        if (r < 0)
                return r;

        *ret = s;
        return 0;
}

/* A one-line file of exactly n numbers, as sysctls print vectors ("%lu\t%lu\t%lu\n"). */
static int parse_numbers(const char *buf, uint64_t *ret, size_t n) {
        const char *p = buf, *tok;
        size_t len;
        int r;

        for (size_t i = 0; i < n; i++) {
                if (!next_token(&p, &tok, &len))
                        return -EINVAL;
                r = parse_u64_digits(tok, len, &ret[i]);
                if (r < 0)
                        return r;
        }
        if (next_token(&p, &tok, &len))
                return -EINVAL;
        if (*p == '\n')
                p++;
        return *p == '\0' ? 0 : -EINVAL;
}

int file_nr_parse(const char *buf, FileNr *ret) {
        uint64_t v[3];
        int r;

        r = parse_numbers(buf, v, ELEMENTSOF(v));
        if (r < 0)
                return r;
        if (v[1] > v[0])
                return -EINVAL;

        *ret = (FileNr) { .allocated = v[0], .unused = v[1], .max = v[2] };
        return 0;
}

int port_range_parse(const char *buf, uint32_t *ret_lo, uint32_t *ret_hi) {
        uint64_t v[2];
        int r;

        r = parse_numbers(buf, v, ELEMENTSOF(v));
        if (r < 0)
                return r;
        if (v[0] < 1 || v[1] > PORT_MAX || v[0] > v[1])
                return -EINVAL;

        *ret_lo = (uint32_t) v[0];
        *ret_hi = (uint32_t) v[1];
        return (int) (v[1] - v[0] + 1);
}

double ports_ratio(const SockStat *s, uint32_t lo, uint32_t hi) {
        if (lo < 1 || hi > PORT_MAX || lo > hi)
                return 0;
        /* in double: inuse + tw may not fit in 64 bits */
        return ((double) s->tcp_inuse + (double) s->tcp_tw) / (double) (hi - lo + 1);
}

double fds_ratio(const FileNr *f) {
        uint64_t used = f->allocated > f->unused ? f->allocated - f->unused : 0;

        if (f->max == 0)
                return used > 0 ? 1 : 0;
        return (double) used / (double) f->max;
}

uint64_t meminfo_total(const char *kernel_root) {
        _cleanup_free_ char *path = NULL, *buf = NULL;
        unsigned long long kib;

        if (asprintf(&path, "%s/proc/meminfo", kernel_root ?: "") < 0 || read_file_full(path, 64 * 1024, &buf, NULL) < 0)
                return 0;
        const char *line = strstr(buf, "MemTotal:");
        if (!line || sscanf(line, "MemTotal: %llu kB", &kib) != 1)
                return 0;
        return (uint64_t) kib * 1024u;
}
