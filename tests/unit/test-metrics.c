/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-metrics.c - the Prometheus textfile: golden renders of hand-filled states, a strict checker of the
 * text exposition format run over every combination of what a sample may lack, label escaping, refused
 * inputs, and metrics_write()'s atomic replacement and failures. */
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "metrics-samples.h"
#include "test-helpers.h"

/* ---- golden texts ---------------------------------------------------------------------------------- */

#define FAMILY(name, type, help) "# HELP wstuned_" name " " help "\n# TYPE wstuned_" name " " type "\n"

#define H_INFO                                                                                         \
        FAMILY("info", "gauge",                                                                        \
                "wstuned's version, active profile (empty when none) and manager state (ok, pending, " \
                "degraded, inactive); always 1.")
#define H_DRIFT                                                                                       \
        FAMILY("drift_corrections_total", "counter",                                                  \
                "Sysctl values wstuned set back after another writer changed them, since the daemon " \
                "started.")
#define H_PENDING                                                                                        \
        FAMILY("pending_keys", "gauge",                                                                  \
                "Keys of the active profile that do not exist yet (their module is not loaded), so are " \
                "not set.")
#define H_KEYS                                                                                             \
        FAMILY("keys", "gauge",                                                                            \
                "Keys of the active profile per state: ok, drifted, pending (not in /proc/sys yet), "      \
                "fighting (another writer keeps undoing the value; wstuned backs off), unmanaged (policy " \
                "ignore), error (the kernel refused the value); every state is written, 0 when none.")
#define H_LEVEL                                                                                          \
        FAMILY("pressure_level", "gauge",                                                                \
                "wstuned's pressure level per resource: 0 ok, 1 warn, 2 critical (thresholds with "      \
                "hysteresis, and drop counter increases, from the profile's watch section); a resource " \
                "that cannot be measured is left out.")
#define H_RATIO                                                                                          \
        FAMILY("pressure_ratio", "gauge",                                                                \
                "Used over limit per resource, as the pressure levels compare it with their thresholds " \
                "(may exceed 1).")
#define H_USED                                                                                           \
        FAMILY("pressure_used", "gauge",                                                                 \
                "What the pressure ratio counts per resource: conntrack entries, connections queued on " \
                "the fullest accept queue, TCP sockets for local ports, open files.")
#define H_LIMIT                                                                                           \
        FAMILY("pressure_limit", "gauge",                                                                 \
                "What the pressure ratio divides by per resource: nf_conntrack_max, that accept queue's " \
                "size, the size of ip_local_port_range, fs.file-max.")
#define H_CT_ENTRIES                                                                                \
        FAMILY("conntrack_entries", "gauge",                                                        \
                "Entries in the connection tracking table (ctnetlink CTA_STATS_GLOBAL_ENTRIES, or " \
                "net.netfilter.nf_conntrack_count).")
#define H_CT_LIMIT                                                                                         \
        FAMILY("conntrack_limit", "gauge",                                                                 \
                "Size limit of the connection tracking table (ctnetlink CTA_STATS_GLOBAL_MAX_ENTRIES, or " \
                "net.netfilter.nf_conntrack_max).")
#define H_CT(name, text, attr) \
        FAMILY("conntrack_" name "_total", "counter", text " (ctnetlink " attr ", summed over CPUs).")
#define H_CT_COUNTERS(found, invalid, insert, insert_failed, drop, early_drop, error, search_restart,     \
                      clash_resolve, chaintoolong)                                                        \
        H_CT("found", "Conntrack lookups that found an entry", "CTA_STATS_FOUND")                         \
        "wstuned_conntrack_found_total " found "\n"                                                       \
        H_CT("invalid", "Packets conntrack could not track", "CTA_STATS_INVALID")                         \
        "wstuned_conntrack_invalid_total " invalid "\n"                                                   \
        H_CT("insert", "Conntrack entries inserted", "CTA_STATS_INSERT")                                  \
        "wstuned_conntrack_insert_total " insert "\n"                                                     \
        H_CT("insert_failed", "Conntrack entries that could not be inserted: a clash, or the table full", \
                "CTA_STATS_INSERT_FAILED")                                                                \
        "wstuned_conntrack_insert_failed_total " insert_failed "\n"                                       \
        H_CT("drop", "New connections dropped because the conntrack table was full", "CTA_STATS_DROP")    \
        "wstuned_conntrack_drop_total " drop "\n"                                                         \
        H_CT("early_drop", "Unassured conntrack entries evicted to make room for new ones",               \
                "CTA_STATS_EARLY_DROP")                                                                   \
        "wstuned_conntrack_early_drop_total " early_drop "\n"                                             \
        H_CT("error", "ICMP and ICMPv6 errors conntrack rejected", "CTA_STATS_ERROR")                     \
        "wstuned_conntrack_error_total " error "\n"                                                       \
        H_CT("search_restart", "Conntrack lookups restarted because the hash table changed under them",   \
                "CTA_STATS_SEARCH_RESTART")                                                               \
        "wstuned_conntrack_search_restart_total " search_restart "\n"                                     \
        H_CT("clash_resolve", "Conntrack insert clashes resolved by taking the existing entry",           \
                "CTA_STATS_CLASH_RESOLVE")                                                                \
        "wstuned_conntrack_clash_resolve_total " clash_resolve "\n"                                       \
        H_CT("chaintoolong", "Conntrack entries refused because their hash chain was too long",           \
                "CTA_STATS_CHAIN_TOOLONG")                                                                \
        "wstuned_conntrack_chaintoolong_total " chaintoolong "\n"
#define H_LISTEN(overflows, drops, syn_drops, cookies)                                               \
        FAMILY("tcp_listen_overflows_total", "counter",                                              \
                "Connections dropped because a listener's accept queue was full (/proc/net/netstat " \
                "TcpExt ListenOverflows).")                                                          \
        "wstuned_tcp_listen_overflows_total " overflows "\n"                                         \
        FAMILY("tcp_listen_drops_total", "counter",                                                  \
                "SYNs dropped on listening sockets for any reason, accept queue overflows included " \
                "(/proc/net/netstat TcpExt ListenDrops).")                                           \
        "wstuned_tcp_listen_drops_total " drops "\n"                                                 \
        FAMILY("tcp_syn_queue_drops_total", "counter",                                               \
                "SYNs dropped because a listener's SYN queue was full and syncookies were off "      \
                "(/proc/net/netstat TcpExt TCPReqQFullDrop).")                                       \
        "wstuned_tcp_syn_queue_drops_total " syn_drops "\n"                                          \
        FAMILY("tcp_syn_queue_cookies_total", "counter",                                             \
                "SYNs answered with a syncookie because a listener's SYN queue was full "            \
                "(/proc/net/netstat TcpExt TCPReqQFullDoCookies).")                                  \
        "wstuned_tcp_syn_queue_cookies_total " cookies "\n"
#define H_ACCEPT_QUEUE(listener, length, limit)                                                          \
        FAMILY("tcp_accept_queue_length", "gauge",                                                       \
                "Connections waiting for accept() on the listener whose accept queue is fullest "        \
                "(sock_diag idiag_rqueue).")                                                             \
        "wstuned_tcp_accept_queue_length{listener=\"" listener "\"} " length "\n"                        \
        FAMILY("tcp_accept_queue_limit", "gauge",                                                        \
                "Accept queue size of that listener: its listen() backlog capped by net.core.somaxconn " \
                "(sock_diag idiag_wqueue).")                                                             \
        "wstuned_tcp_accept_queue_limit{listener=\"" listener "\"} " limit "\n"
#define H_SOCKETS(inuse, timewait, range)                                                               \
        FAMILY("tcp_sockets_inuse", "gauge",                                                            \
                "TCP sockets in use in wstuned's network namespace, TIME_WAIT not included "            \
                "(/proc/net/sockstat TCP inuse).")                                                      \
        "wstuned_tcp_sockets_inuse " inuse "\n"                                                         \
        FAMILY("tcp_sockets_timewait", "gauge",                                                         \
                "TCP sockets in TIME_WAIT in wstuned's network namespace (/proc/net/sockstat TCP tw).") \
        "wstuned_tcp_sockets_timewait " timewait "\n"                                                   \
        FAMILY("local_ports_range_size", "gauge",                                                       \
                "Ports in the ephemeral range net.ipv4.ip_local_port_range.")                           \
        "wstuned_local_ports_range_size " range "\n"
#define H_DESTINATION(destination, sockets)                                                              \
        FAMILY("local_ports_top_destination_sockets", "gauge",                                           \
                "TCP sockets with a local port in the ephemeral range towards the remote address:port "  \
                "that has most of them (sock_diag; counted only while local ports are above their warn " \
                "threshold).")                                                                           \
        "wstuned_local_ports_top_destination_sockets{destination=\"" destination "\"} " sockets "\n"
#define H_FDS(allocated, limit)                                                                  \
        FAMILY("fds_allocated", "gauge",                                                         \
                "File handles the kernel has allocated (first field of /proc/sys/fs/file-nr).")  \
        "wstuned_fds_allocated " allocated "\n"                                                  \
        FAMILY("fds_limit", "gauge", "The kernel's limit of file handles (fs.file-max).")        \
        "wstuned_fds_limit " limit "\n"

#define DAEMON(version, profile, state, drift, pending)                                                \
        H_INFO "wstuned_info{version=\"" version "\",profile=\"" profile "\",state=\"" state "\"} 1\n" \
        H_DRIFT "wstuned_drift_corrections_total " drift "\n"                                          \
        H_PENDING "wstuned_pending_keys " pending "\n"

/* wstuned_keys: every state, in KeyState order */
#define KEYS(ok, drifted, pending, fighting, unmanaged, error) \
        H_KEYS "wstuned_keys{state=\"ok\"} " ok "\n"           \
        "wstuned_keys{state=\"drifted\"} " drifted "\n"        \
        "wstuned_keys{state=\"pending\"} " pending "\n"        \
        "wstuned_keys{state=\"fighting\"} " fighting "\n"      \
        "wstuned_keys{state=\"unmanaged\"} " unmanaged "\n"    \
        "wstuned_keys{state=\"error\"} " error "\n"

typedef struct GoldenCase {
        const char *sample; /* a name in metrics_samples[] */
        const char *text;
} GoldenCase;

static const GoldenCase golden_cases[] = {
        { "full",
          DAEMON("0.1.0", "websocket-server", "ok", "3", "1")
          KEYS("12", "0", "1", "0", "2", "0")
          H_LEVEL
          "wstuned_pressure_level{resource=\"conntrack\"} 1\n"
          "wstuned_pressure_level{resource=\"backlog\"} 2\n"
          "wstuned_pressure_level{resource=\"ports\"} 0\n"
          "wstuned_pressure_level{resource=\"fds\"} 0\n"
          H_RATIO
          "wstuned_pressure_ratio{resource=\"conntrack\"} 0.75\n"
          "wstuned_pressure_ratio{resource=\"backlog\"} 0.9375\n"
          "wstuned_pressure_ratio{resource=\"ports\"} 0.042505\n"
          "wstuned_pressure_ratio{resource=\"fds\"} 5.42101e-16\n"
          H_USED
          "wstuned_pressure_used{resource=\"conntrack\"} 49152\n"
          "wstuned_pressure_used{resource=\"backlog\"} 120\n"
          "wstuned_pressure_used{resource=\"ports\"} 1200\n"
          "wstuned_pressure_used{resource=\"fds\"} 5000\n"
          H_LIMIT
          "wstuned_pressure_limit{resource=\"conntrack\"} 65536\n"
          "wstuned_pressure_limit{resource=\"backlog\"} 128\n"
          "wstuned_pressure_limit{resource=\"ports\"} 28232\n"
          "wstuned_pressure_limit{resource=\"fds\"} 9223372036854775807\n"
          H_CT_ENTRIES "wstuned_conntrack_entries 49152\n"
          H_CT_LIMIT "wstuned_conntrack_limit 65536\n"
          H_CT_COUNTERS("1", "2", "3", "4", "5", "6", "7", "8", "9", "18446744073709551615")
          H_LISTEN("11", "12", "13", "14")
          H_ACCEPT_QUEUE("[2001:db8::1]:8080", "120", "128")
          H_SOCKETS("1000", "200", "28232")
          H_DESTINATION("192.0.2.10:443", "900")
          H_FDS("5000", "9223372036854775807") },
        /* the /proc fallback has no counters */
        { "fallback",
          DAEMON("0.1.0", "websocket-server", "degraded", "0", "0")
          KEYS("9", "1", "0", "2", "2", "1")
          H_LEVEL
          "wstuned_pressure_level{resource=\"conntrack\"} 0\n"
          "wstuned_pressure_level{resource=\"backlog\"} 0\n"
          "wstuned_pressure_level{resource=\"ports\"} 1\n"
          "wstuned_pressure_level{resource=\"fds\"} 0\n"
          H_RATIO
          "wstuned_pressure_ratio{resource=\"conntrack\"} 0.25\n"
          "wstuned_pressure_ratio{resource=\"backlog\"} 0\n"
          "wstuned_pressure_ratio{resource=\"ports\"} 0.900007\n"
          "wstuned_pressure_ratio{resource=\"fds\"} 5.42101e-16\n"
          H_USED
          "wstuned_pressure_used{resource=\"conntrack\"} 16384\n"
          "wstuned_pressure_used{resource=\"backlog\"} 0\n"
          "wstuned_pressure_used{resource=\"ports\"} 25409\n"
          "wstuned_pressure_used{resource=\"fds\"} 5000\n"
          H_LIMIT
          "wstuned_pressure_limit{resource=\"conntrack\"} 65536\n"
          "wstuned_pressure_limit{resource=\"backlog\"} 4096\n"
          "wstuned_pressure_limit{resource=\"ports\"} 28232\n"
          "wstuned_pressure_limit{resource=\"fds\"} 9223372036854775807\n"
          H_CT_ENTRIES "wstuned_conntrack_entries 16384\n"
          H_CT_LIMIT "wstuned_conntrack_limit 65536\n"
          H_LISTEN("11", "12", "13", "14")
          H_ACCEPT_QUEUE("127.0.0.1:80", "0", "4096")
          H_SOCKETS("25000", "409", "28232")
          H_DESTINATION("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535", "25000")
          H_FDS("5000", "9223372036854775807") },
        /* no conntrack (no families at all), no listen counters, no listener, no destination, no profile */
        { "absent",
          DAEMON("0.1.0", "", "inactive", "3", "1")
          KEYS("0", "0", "0", "0", "0", "0")
          H_LEVEL
          "wstuned_pressure_level{resource=\"ports\"} 0\n"
          "wstuned_pressure_level{resource=\"fds\"} 2\n"
          H_RATIO
          "wstuned_pressure_ratio{resource=\"ports\"} 0.042505\n"
          "wstuned_pressure_ratio{resource=\"fds\"} 0.97\n"
          H_USED
          "wstuned_pressure_used{resource=\"ports\"} 1200\n"
          "wstuned_pressure_used{resource=\"fds\"} 97000\n"
          H_LIMIT
          "wstuned_pressure_limit{resource=\"ports\"} 28232\n"
          "wstuned_pressure_limit{resource=\"fds\"} 100000\n"
          H_SOCKETS("1000", "200", "28232")
          H_FDS("97000", "100000") },
        /* before the first sample: no pressure families at all; profile "" */
        { "minimal", DAEMON("0.1.0", "", "pending", "0", "2") KEYS("0", "0", "2", "0", "0", "0") },
        { "escaped",
          DAEMON("0.1.0-\\\"rc1\\\"\\\\x\\ny", "web\\\\socket", "ok", "0", "2")
          KEYS("0", "0", "2", "0", "0", "0") },
};

/* ck_assert_str_eq() cuts long texts: name the first line that differs. */
static void assert_text_eq(const char *got, const char *expected) {
        unsigned line = 1;
        const char *g = got, *e = expected;

        for (; *g && *g == *e; g++, e++)
                if (*g == '\n')
                        line++;
        if (*g == *e)
                return;
        const char *gl = g, *el = e;
        while (gl > got && gl[-1] != '\n')
                gl--;
        while (el > expected && el[-1] != '\n')
                el--;
        ck_abort_msg("line %u differs:\n  got      %.*s\n  expected %.*s", line, (int) strcspn(gl, "\n"), gl,
                     (int) strcspn(el, "\n"), el);
}

static const MetricsSample *sample_by_name(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(metrics_samples); i++)
                if (streq(metrics_samples[i].name, name))
                        return &metrics_samples[i];
        ck_abort_msg("no sample %s", name);
        return NULL;
}

START_TEST(test_render_golden) {
        const GoldenCase *c = &golden_cases[_i];
        _cleanup_free_ char *text = NULL;
        MetricsInput in;
        PressureState s;

        sample_by_name(c->sample)->fill(&in, &s);
        ck_assert_int_eq(metrics_render(&in, &text), 0);
        assert_text_eq(text, c->text);
}
END_TEST

/* Every sample has its golden text, so the promtool test lints nothing untested. */
START_TEST(test_golden_covers_samples) {
        for (size_t i = 0; i < ELEMENTSOF(metrics_samples); i++) {
                bool found = false;
                for (size_t j = 0; j < ELEMENTSOF(golden_cases); j++)
                        found = found || streq(golden_cases[j].sample, metrics_samples[i].name);
                ck_assert_msg(found, "sample %s has no golden text", metrics_samples[i].name);
        }
}
END_TEST

/* ---- a strict checker of the text exposition format ----------------------------------------------- */

/* What wstuned must write, stricter than the format where wstuned has no use for its freedom: only counter
 * and gauge families, each with exactly one HELP and one TYPE before its samples and at least one sample,
 * every family in one group; no other comments, no empty lines, no timestamps, no NaN or Inf; counters
 * named *_total and not negative, gauges not named *_total; no series twice; a newline at the end. */

#define CHECK_FAMILIES_MAX 64
#define CHECK_SERIES_MAX 512
#define CHECK_LABELS_MAX 8
#define CHECK_NAME_MAX 128

typedef struct CheckFamily {
        char name[CHECK_NAME_MAX];
        bool help, counter, gauge;
        unsigned samples;
} CheckFamily;

typedef struct Checker {
        CheckFamily families[CHECK_FAMILIES_MAX];
        size_t n_families;
        CheckFamily *current;
        char *series[CHECK_SERIES_MAX];
        size_t n_series;
        unsigned line;
        char *error;
} Checker;

static bool check_fail(Checker *c, const char *fmt, ...) _printf_(2, 3);
static bool check_fail(Checker *c, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        ck_assert_int_ge(vasprintf(&msg, fmt, ap), 0);
        va_end(ap);
        ck_assert_int_ge(asprintf(&c->error, "line %u: %s", c->line, msg), 0);
        return false;
}

static bool is_name_start(char ch, bool colon) {
        return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || (colon && ch == ':');
}

static bool is_name_char(char ch, bool colon) {
        return is_name_start(ch, colon) || (ch >= '0' && ch <= '9');
}

/* A metric name ([a-zA-Z_:][a-zA-Z0-9_:]*) or label name ([a-zA-Z_][a-zA-Z0-9_]*) at *p; its length. */
static size_t name_length(const char *p, bool colon) {
        size_t n = 0;

        if (!is_name_start(p[0], colon))
                return 0;
        while (is_name_char(p[n], colon))
                n++;
        return n;
}

static bool ends_with(const char *s, size_t n, const char *suffix) {
        size_t k = strlen(suffix);
        return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

static CheckFamily *family_find(Checker *c, const char *name, size_t n) {
        for (size_t i = 0; i < c->n_families; i++)
                if (strlen(c->families[i].name) == n && memcmp(c->families[i].name, name, n) == 0)
                        return &c->families[i];
        return NULL;
}

/* The family a HELP or TYPE line is about: the current one, or a new one that ends the current one. */
static CheckFamily *family_for_metadata(Checker *c, const char *name, size_t n) {
        CheckFamily *f = family_find(c, name, n);

        if (f && f != c->current) {
                check_fail(c, "%.*s is not one group", (int) n, name);
                return NULL;
        }
        if (f)
                return f;
        if (c->current && c->current->samples == 0) {
                check_fail(c, "%s has no samples", c->current->name);
                return NULL;
        }
        ck_assert_uint_lt(c->n_families, CHECK_FAMILIES_MAX);
        ck_assert_uint_lt(n, CHECK_NAME_MAX);
        f = &c->families[c->n_families++];
        memcpy(f->name, name, n);
        f->name[n] = '\0';
        c->current = f;
        return f;
}

static bool check_metadata(Checker *c, const char *line, size_t len) {
        bool help = strncmp(line, "# HELP ", 7) == 0, type = strncmp(line, "# TYPE ", 7) == 0;
        const char *name = line + 7, *rest;
        size_t n;
        CheckFamily *f;

        if (!help && !type)
                return check_fail(c, "comment that is not HELP or TYPE");
        n = name_length(name, true);
        if (n == 0 || name + n >= line + len || name[n] != ' ')
                return check_fail(c, "bad metric name in %s", help ? "HELP" : "TYPE");
        rest = name + n + 1;
        f = family_for_metadata(c, name, n);
        if (!f)
                return false;

        if (help) {
                if (f->help)
                        return check_fail(c, "second HELP for %s", f->name);
                if (rest >= line + len)
                        return check_fail(c, "HELP without text for %s", f->name);
                for (const char *p = rest; p < line + len; p++)
                        if (*p == '\\' && (p + 1 >= line + len || (p[1] != '\\' && p[1] != 'n')))
                                return check_fail(c, "bad escape in HELP of %s", f->name);
                        else if (*p == '\\')
                                p++;
                f->help = true;
                return true;
        }

        if (f->counter || f->gauge)
                return check_fail(c, "second TYPE for %s", f->name);
        if ((size_t) (line + len - rest) == strlen("counter") && strncmp(rest, "counter", 7) == 0) {
                if (!ends_with(name, n, "_total"))
                        return check_fail(c, "counter %s does not end in _total", f->name);
                f->counter = true;
        } else if ((size_t) (line + len - rest) == strlen("gauge") && strncmp(rest, "gauge", 5) == 0) {
                if (ends_with(name, n, "_total"))
                        return check_fail(c, "gauge %s ends in _total", f->name);
                f->gauge = true;
        } else
                return check_fail(c, "type %.*s of %s is not counter or gauge", (int) (line + len - rest),
                                  rest, f->name);
        return true;
}

static int label_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool check_sample(Checker *c, const char *line, size_t len) {
        const char *end = line + len, *p;
        char *labels[CHECK_LABELS_MAX] = {};
        size_t n_labels = 0, n = name_length(line, true);
        _cleanup_free_ char *key = NULL, *value = NULL;
        bool ok = false;
        CheckFamily *f;

        if (n == 0)
                return check_fail(c, "bad metric name");
        f = family_find(c, line, n);
        if (!f)
                return check_fail(c, "sample of %.*s without HELP and TYPE", (int) n, line);
        if (f != c->current)
                return check_fail(c, "%s is not one group", f->name);
        if (!f->help)
                return check_fail(c, "sample of %s without HELP", f->name);
        if (!f->counter && !f->gauge)
                return check_fail(c, "sample of %s without TYPE", f->name);

        p = line + n;
        if (p < end && *p == '{') {
                for (p++; p < end && *p != '}';) {
                        size_t ln = name_length(p, false);
                        const char *start = p;

                        if (ln == 0) {
                                check_fail(c, "bad label name in %s", f->name);
                                goto finish;
                        }
                        if (ln >= 2 && p[0] == '_' && p[1] == '_') {
                                check_fail(c, "reserved label name %.*s", (int) ln, p);
                                goto finish;
                        }
                        for (size_t i = 0; i < n_labels; i++)
                                if (strncmp(labels[i], p, ln) == 0 && labels[i][ln] == '=') {
                                        check_fail(c, "label %.*s twice", (int) ln, p);
                                        goto finish;
                                }
                        p += ln;
                        if (end - p < 2 || p[0] != '=' || p[1] != '"') {
                                check_fail(c, "label %.*s without =\"", (int) ln, start);
                                goto finish;
                        }
                        for (p += 2; p < end && *p != '"'; p++)
                                if (*p == '\\') {
                                        if (p + 1 >= end || (p[1] != '\\' && p[1] != '"' && p[1] != 'n')) {
                                                check_fail(c, "bad escape in label %.*s", (int) ln, start);
                                                goto finish;
                                        }
                                        p++;
                                }
                        if (p >= end) {
                                check_fail(c, "unterminated value of label %.*s", (int) ln, start);
                                goto finish;
                        }
                        p++;
                        ck_assert_uint_lt(n_labels, CHECK_LABELS_MAX);
                        labels[n_labels++] = strndup(start, (size_t) (p - start));
                        if (p < end && *p == ',')
                                p++;
                        else if (p >= end || *p != '}') {
                                check_fail(c, "labels of %s not separated by ,", f->name);
                                goto finish;
                        }
                }
                if (p >= end) {
                        check_fail(c, "labels of %s without }", f->name);
                        goto finish;
                }
                p++;
        }

        if (p >= end || *p != ' ') {
                check_fail(c, "no space before the value of %s", f->name);
                goto finish;
        }
        p++;
        value = strndup(p, (size_t) (end - p));
        ck_assert_ptr_nonnull(value);
        if (strchr(value, ' ')) {
                check_fail(c, "text after the value of %s", f->name);
                goto finish;
        }
        char *vend;
        errno = 0;
        double v = strtod(value, &vend);
        if (value[0] == '\0' || *vend != '\0' || errno == ERANGE) {
                check_fail(c, "value %s of %s is not a number", value, f->name);
                goto finish;
        }
        if (!isfinite(v)) {
                check_fail(c, "value %s of %s is not finite", value, f->name);
                goto finish;
        }
        if (f->counter && v < 0) {
                check_fail(c, "counter %s is negative", f->name);
                goto finish;
        }

        /* the series: name and labels sorted by name */
        qsort(labels, n_labels, sizeof labels[0], label_cmp);
        FILE *k = open_memstream(&key, &(size_t) { 0 });
        ck_assert_ptr_nonnull(k);
        fputs(f->name, k);
        for (size_t i = 0; i < n_labels; i++)
                fprintf(k, "%c%s", i == 0 ? '{' : ',', labels[i]);
        if (n_labels > 0)
                fputc('}', k);
        ck_assert_int_eq(fclose(k), 0);
        for (size_t i = 0; i < c->n_series; i++)
                if (streq(c->series[i], key)) {
                        check_fail(c, "series %s twice", key);
                        goto finish;
                }
        ck_assert_uint_lt(c->n_series, CHECK_SERIES_MAX);
        c->series[c->n_series++] = TAKE_PTR(key);
        f->samples++;
        ok = true;
finish:
        for (size_t i = 0; i < n_labels; i++)
                free(labels[i]);
        return ok;
}

/* NULL when text passes, else "line N: what is wrong" (free it). */
static char *check_exposition(const char *text) {
        Checker c = {};
        size_t len = strlen(text);

        if (len == 0 || text[len - 1] != '\n') {
                ck_assert_int_ge(asprintf(&c.error, "%s", len == 0 ? "empty" : "no newline at the end"), 0);
                return c.error;
        }
        for (const char *line = text, *nl; *line; line = nl + 1) {
                size_t n;
                bool ok;

                c.line++;
                nl = strchr(line, '\n');
                n = (size_t) (nl - line);
                if (n == 0)
                        ok = check_fail(&c, "empty line");
                else if (line[0] == '#')
                        ok = check_metadata(&c, line, n);
                else
                        ok = check_sample(&c, line, n);
                if (!ok)
                        break;
        }
        if (!c.error && c.current && c.current->samples == 0)
                check_fail(&c, "%s has no samples", c.current->name);
        for (size_t i = 0; i < c.n_series; i++)
                free(c.series[i]);
        return c.error;
}

typedef struct CheckCase {
        const char *text;
        const char *error; /* NULL: passes */
} CheckCase;

#define G(name) "# HELP " name " h\n# TYPE " name " gauge\n"
#define C(name) "# HELP " name " h\n# TYPE " name " counter\n"

/* The checker itself, so that its verdict on the renders means something. */
static const CheckCase check_cases[] = {
        { G("a") "a 1\n", NULL },
        { "# TYPE a gauge\n# HELP a h\na 1\n", NULL },
        { G("a:b_c") "a:b_c{x=\"1\",y=\"2\",} -1.5e-3\n", NULL },
        { G("a") "a{x=\"q\\\"\\\\\\n\"} 0\n" G("b") "b 2\n", NULL },
        { C("a_total") "a_total 18446744073709551615\n", NULL },
        { G("a") "a{x=\"1\"} 1\na{x=\"2\"} 1\na 1\n", NULL },
        { "# HELP a x \\\\ \\n y\n# TYPE a gauge\na 1\n", NULL },

        { "", "empty" },
        { G("a") "a 1", "no newline at the end" },
        { G("a") "a 1\n\n", "line 4: empty line" },
        { "# a comment\n" G("a") "a 1\n", "line 1: comment that is not HELP or TYPE" },
        { "#HELP a h\n", "line 1: comment that is not HELP or TYPE" },
        { "# HELP 1a h\n", "line 1: bad metric name in HELP" },
        { "# HELP a-b h\n", "line 1: bad metric name in HELP" },
        { "# HELP a\n", "line 1: bad metric name in HELP" },
        { "# HELP a \n", "line 1: HELP without text for a" },
        { "# HELP a x\\y\n", "line 1: bad escape in HELP of a" },
        { "# HELP a x\\\n", "line 1: bad escape in HELP of a" },
        { G("a") "# HELP a h\n", "line 3: second HELP for a" },
        { G("a") "a 1\n# HELP a h\n", "line 4: second HELP for a" },
        { G("a") "a 1\n# TYPE a gauge\n", "line 4: second TYPE for a" },
        { "# HELP a h\n# HELP a h\n", "line 2: second HELP for a" },
        { "# TYPE a gauge\n# TYPE a gauge\n", "line 2: second TYPE for a" },
        { "# TYPE a untyped\n", "line 1: type untyped of a is not counter or gauge" },
        { "# TYPE a histogram\n", "line 1: type histogram of a is not counter or gauge" },
        { "# TYPE a gaugex\n", "line 1: type gaugex of a is not counter or gauge" },
        { "# TYPE a counter\n", "line 1: counter a does not end in _total" },
        { "# TYPE a_total gauge\n", "line 1: gauge a_total ends in _total" },
        { G("a") "a 1\n" G("b") "b 1\n# HELP a h\n", "line 7: a is not one group" },
        { G("a") "a 1\n" G("b") "b 1\na 2\n", "line 7: a is not one group" },
        { G("a") G("b") "b 1\n", "line 3: a has no samples" },
        { G("a"), "line 2: a has no samples" },
        { "b 1\n", "line 1: sample of b without HELP and TYPE" },
        { "# TYPE a gauge\na 1\n", "line 2: sample of a without HELP" },
        { "# HELP a h\na 1\n", "line 2: sample of a without TYPE" },
        { G("a") "{x=\"1\"} 1\n", "line 3: bad metric name" },
        { G("a") "a{1x=\"1\"} 1\n", "line 3: bad label name in a" },
        { G("a") "a{x:y=\"1\"} 1\n", "line 3: label x without =\"" },
        { G("a") "a{__x=\"1\"} 1\n", "line 3: reserved label name __x" },
        { G("a") "a{x=\"1\",x=\"2\"} 1\n", "line 3: label x twice" },
        { G("a") "a{x=1} 1\n", "line 3: label x without =\"" },
        { G("a") "a{x=\"\\t\"} 1\n", "line 3: bad escape in label x" },
        { G("a") "a{x=\"1} 1\n", "line 3: unterminated value of label x" },
        { G("a") "a{x=\"1\" y=\"2\"} 1\n", "line 3: labels of a not separated by ," },
        { G("a") "a{x=\"1\"\n", "line 3: labels of a not separated by ," },
        { G("a") "a{x=\"1\", 1\n", "line 3: bad label name in a" },
        { G("a") "a{\n", "line 3: labels of a without }" },
        { G("a") "a1\n", "line 3: sample of a1 without HELP and TYPE" },
        { G("a") "a\n", "line 3: no space before the value of a" },
        { G("a") "a  1\n", "line 3: text after the value of a" },
        { G("a") "a 1 1700000000000\n", "line 3: text after the value of a" },
        { G("a") "a \n", "line 3: value  of a is not a number" },
        { G("a") "a x\n", "line 3: value x of a is not a number" },
        { G("a") "a 1,5\n", "line 3: value 1,5 of a is not a number" },
        { G("a") "a 1e999\n", "line 3: value 1e999 of a is not a number" },
        { G("a") "a NaN\n", "line 3: value NaN of a is not finite" },
        { G("a") "a +Inf\n", "line 3: value +Inf of a is not finite" },
        { C("a_total") "a_total -1\n", "line 3: counter a_total is negative" },
        { G("a") "a 1\na 2\n", "line 4: series a twice" },
        { G("a") "a{x=\"1\",y=\"2\"} 1\na{y=\"2\",x=\"1\"} 1\n", "line 4: series a{x=\"1\",y=\"2\"} twice" },
};

START_TEST(test_checker) {
        const CheckCase *c = &check_cases[_i];
        _cleanup_free_ char *error = check_exposition(c->text);

        if (c->error)
                ck_assert_msg(error && streq(error, c->error), "case %d: got \"%s\", expected \"%s\"", _i,
                              error ?: "(passes)", c->error);
        else
                ck_assert_msg(!error, "case %d: %s", _i, error);
}
END_TEST

static void assert_passes_checker(const MetricsInput *in, const char *what) {
        _cleanup_free_ char *text = NULL, *error = NULL;

        ck_assert_int_eq(metrics_render(in, &text), 0);
        error = check_exposition(text);
        ck_assert_msg(!error, "%s: %s\n%s", what, error, text);
}

START_TEST(test_check_samples) {
        MetricsInput in;
        PressureState s;

        metrics_samples[_i].fill(&in, &s);
        assert_passes_checker(&in, metrics_samples[_i].name);
}
END_TEST

/* Every combination of the parts a sample may lack, and every level, on top of the full sample. */
#define VARIATION_BITS 11

START_TEST(test_check_variations) {
        MetricsInput in;
        PressureState s;
        char what[64];

        for (unsigned m = 0; m < 1u << VARIATION_BITS; m++) {
                metrics_sample_full(&in, &s);
                PressureSample *p = &s.previous;

                s.have_previous = !(m & 1u << 0);
                p->conntrack.present = !(m & 1u << 1);
                p->conntrack.from_netlink = !(m & 1u << 2);
                p->have_listen = !(m & 1u << 3);
                p->have_backlog = !(m & 1u << 4);
                if (m & 1u << 5)
                        p->backlog.local.family = 0;
                p->have_sockstat = !(m & 1u << 6);
                p->have_destinations = !(m & 1u << 7);
                p->have_files = !(m & 1u << 8);
                if (m & 1u << 9)
                        p->port_lo = 0;
                if (m & 1u << 10)
                        in.profile = NULL;
                for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++)
                        s.resources[r].level = (PressureLevel) ((m + r) % _PRESSURE_LEVEL_MAX);

                snprintf(what, sizeof what, "variation %#x", m);
                assert_passes_checker(&in, what);
        }
}
END_TEST

/* The sample's families follow its flags. */
typedef struct PresenceCase {
        void (*change)(PressureState *s);
        const char *present; /* a line start that must be there, or NULL */
        const char *absent;  /* a line start that must not be there */
} PresenceCase;

static void no_previous(PressureState *s) {
        s->have_previous = false;
}
static void no_conntrack(PressureState *s) {
        s->previous.conntrack.present = false;
}
static void ct_fallback(PressureState *s) {
        s->previous.conntrack.from_netlink = false;
}
static void no_listen(PressureState *s) {
        s->previous.have_listen = false;
}
static void no_backlog(PressureState *s) {
        s->previous.have_backlog = false;
}
static void no_listener(PressureState *s) {
        s->previous.backlog = (ListenFill) {};
}
static void no_sockstat(PressureState *s) {
        s->previous.have_sockstat = false;
}
static void bad_range(PressureState *s) {
        s->previous.port_lo = 61000;
}
static void range_past_max(PressureState *s) {
        s->previous.port_hi = 65536;
}
static void one_port(PressureState *s) {
        s->previous.port_lo = s->previous.port_hi = 1024;
}
static void no_destinations(PressureState *s) {
        s->previous.have_destinations = false;
}
static void no_destination(PressureState *s) {
        s->previous.top_destination.remote.family = 0;
}
static void no_files(PressureState *s) {
        s->previous.have_files = false;
}
static void fds_absent(PressureState *s) {
        s->resources[PRESSURE_FDS].level = PRESSURE_ABSENT;
}

static const PresenceCase presence_cases[] = {
        { no_previous, "wstuned_pressure_level{resource=\"fds\"} 0\n", "wstuned_conntrack_entries " },
        { no_previous, NULL, "wstuned_fds_limit " },
        { no_conntrack, "wstuned_tcp_listen_drops_total 12\n", "wstuned_conntrack_" },
        { ct_fallback, "wstuned_conntrack_limit 65536\n", "wstuned_conntrack_drop_total " },
        { ct_fallback, NULL, "# HELP wstuned_conntrack_found_total " },
        { no_listen, "wstuned_tcp_accept_queue_length{", "wstuned_tcp_listen_" },
        { no_listen, NULL, "wstuned_tcp_syn_queue_" },
        { no_backlog, "wstuned_tcp_listen_overflows_total 11\n", "wstuned_tcp_accept_queue_" },
        { no_listener, "wstuned_tcp_syn_queue_cookies_total 14\n", "# HELP wstuned_tcp_accept_queue_" },
        { no_sockstat, "wstuned_fds_allocated 5000\n", "wstuned_tcp_sockets_" },
        { no_sockstat, NULL, "wstuned_local_ports_range_size " },
        { bad_range, "wstuned_tcp_sockets_timewait 200\n", "wstuned_local_ports_range_size " },
        { range_past_max, "wstuned_tcp_sockets_timewait 200\n", "wstuned_local_ports_range_size " },
        { one_port, "wstuned_local_ports_range_size 1\n", "wstuned_local_ports_range_size 0" },
        { no_destinations, "wstuned_local_ports_range_size 28232\n", "wstuned_local_ports_top_destination" },
        { no_destination, "wstuned_local_ports_range_size 28232\n", "# HELP wstuned_local_ports_top_" },
        { no_files, "wstuned_tcp_sockets_inuse 1000\n", "wstuned_fds_" },
        { fds_absent, "wstuned_fds_allocated 5000\n", "wstuned_pressure_ratio{resource=\"fds\"}" },
};

static bool has_line_starting(const char *text, const char *start) {
        for (const char *line = text; line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
                if (strncmp(line, start, strlen(start)) == 0)
                        return true;
        return false;
}

START_TEST(test_presence) {
        const PresenceCase *c = &presence_cases[_i];
        _cleanup_free_ char *text = NULL;
        MetricsInput in;
        PressureState s;

        metrics_sample_full(&in, &s);
        c->change(&s);
        ck_assert_int_eq(metrics_render(&in, &text), 0);
        if (c->present)
                ck_assert_msg(has_line_starting(text, c->present), "case %d: no %s", _i, c->present);
        ck_assert_msg(!has_line_starting(text, c->absent), "case %d: %s is there", _i, c->absent);
}
END_TEST

/* ---- label escaping and refused inputs ------------------------------------------------------------- */

typedef struct EscapeCase {
        const char *value;
        int ret;
        const char *escaped;
} EscapeCase;

#define UTF8 "gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x90\xa7" /* two, three and four bytes */

static const EscapeCase escape_cases[] = {
        { "", 0, "" },
        { "websocket-server", 0, "websocket-server" },
        { "a\"b", 0, "a\\\"b" },
        { "a\\b", 0, "a\\\\b" },
        { "a\nb", 0, "a\\nb" },
        { "\\\"\n", 0, "\\\\\\\"\\n" },
        { "\\\\", 0, "\\\\\\\\" },
        { "\"\"", 0, "\\\"\\\"" },
        { "\n\n", 0, "\\n\\n" },
        { "[2001:db8::1]:443", 0, "[2001:db8::1]:443" },
        /* nothing else is escaped */
        { "tab\there\r{},=' $", 0, "tab\there\r{},=' $" },
        { "\\n", 0, "\\\\n" },
        { UTF8, 0, UTF8 },
        /* not UTF-8 */
        { "\xff", -EINVAL },
        { "a\xc3", -EINVAL },
        { "\xc0\xaf", -EINVAL },         /* overlong "/" */
        { "\xed\xa0\x80", -EINVAL },     /* a surrogate */
        { "\xf4\x90\x80\x80", -EINVAL }, /* past U+10FFFF */
};

START_TEST(test_escape_label) {
        const EscapeCase *c = &escape_cases[_i];
        char *got = (char *) "untouched";

        ck_assert_int_eq(metrics_escape_label(c->value, &got), c->ret);
        if (c->ret < 0) {
                ck_assert_str_eq(got, "untouched");
                return;
        }
        ck_assert_str_eq(got, c->escaped);
        free(got);
}
END_TEST

typedef struct InvalidCase {
        void (*change)(MetricsInput *in, PressureState *s);
} InvalidCase;

static void null_pressure(MetricsInput *in, PressureState *s) {
        in->pressure = NULL;
}
static void null_version(MetricsInput *in, PressureState *s) {
        in->version = NULL;
}
static void null_state(MetricsInput *in, PressureState *s) {
        in->state = NULL;
}
static void level_too_high(MetricsInput *in, PressureState *s) {
        s->resources[PRESSURE_PORTS].level = _PRESSURE_LEVEL_MAX;
}
static void level_invalid(MetricsInput *in, PressureState *s) {
        s->resources[PRESSURE_FDS].level = _PRESSURE_LEVEL_INVALID;
}
static void ratio_nan(MetricsInput *in, PressureState *s) {
        s->resources[PRESSURE_CONNTRACK].ratio = NAN;
}
static void ratio_inf(MetricsInput *in, PressureState *s) {
        s->resources[PRESSURE_BACKLOG].ratio = INFINITY;
}
static void ratio_negative(MetricsInput *in, PressureState *s) {
        s->resources[PRESSURE_FDS].ratio = -0.5;
}
static void version_not_utf8(MetricsInput *in, PressureState *s) {
        in->version = "0.1\xff";
}
static void profile_not_utf8(MetricsInput *in, PressureState *s) {
        in->profile = "\xc3(";
}
static void listener_family_unknown(MetricsInput *in, PressureState *s) {
        s->previous.backlog.local.family = AF_UNIX;
}
static void destination_family_unknown(MetricsInput *in, PressureState *s) {
        s->previous.top_destination.remote.family = AF_PACKET;
}

static const InvalidCase invalid_cases[] = {
        { null_pressure },
        { null_version },
        { null_state },
        { level_too_high },
        { level_invalid },
        { ratio_nan },
        { ratio_inf },
        { ratio_negative },
        { version_not_utf8 },
        { profile_not_utf8 },
};

START_TEST(test_render_invalid) {
        char *text = (char *) "untouched";
        MetricsInput in;
        PressureState s;

        metrics_sample_full(&in, &s);
        invalid_cases[_i].change(&in, &s);
        ck_assert_int_eq(metrics_render(&in, &text), -EINVAL);
        ck_assert_str_eq(text, "untouched");
}
END_TEST

/* An Endpoint of another family is not one sockdiag.c fills: left out, like family 0. */
START_TEST(test_render_unknown_family) {
        _cleanup_free_ char *text = NULL;
        MetricsInput in;
        PressureState s;

        metrics_sample_full(&in, &s);
        listener_family_unknown(&in, &s);
        destination_family_unknown(&in, &s);
        ck_assert_int_eq(metrics_render(&in, &text), 0);
        ck_assert(!has_line_starting(text, "wstuned_tcp_accept_queue_length"));
        ck_assert(!has_line_starting(text, "wstuned_local_ports_top_destination_sockets"));
        ck_assert(has_line_starting(text, "wstuned_fds_limit 9223372036854775807\n"));
}
END_TEST

START_TEST(test_render_null_input) {
        char *text = (char *) "untouched";

        ck_assert_int_eq(metrics_render(NULL, &text), -EINVAL);
        ck_assert_str_eq(text, "untouched");
}
END_TEST

/* ---- metrics_write --------------------------------------------------------------------------------- */

#define PROM "wstuned.prom"

static char *render_sample(void (*fill)(MetricsInput *in, PressureState *s)) {
        MetricsInput in;
        PressureState s;
        char *text;

        fill(&in, &s);
        ck_assert_int_eq(metrics_render(&in, &text), 0);
        return text;
}

static mode_t file_mode(const char *path) {
        struct stat st;

        ck_assert_msg(stat(path, &st) >= 0, "stat %s: %m", path);
        return st.st_mode & 07777;
}

START_TEST(test_write_new) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM);
        _cleanup_free_ char *expected = NULL, *got = NULL, *names = NULL;
        MetricsInput in;
        PressureState s;

        /* the mode does not depend on the daemon's umask */
        mode_t old_umask = umask(0077);
        metrics_sample_full(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), 1);
        umask(old_umask);
        expected = render_sample(metrics_sample_full);
        got = tree_read(dir, PROM);
        ck_assert_ptr_nonnull(got);
        assert_text_eq(got, expected);
        ck_assert_uint_eq(file_mode(path), 0644);
        names = dir_list(dir);
        ck_assert_str_eq(names, PROM);
}
END_TEST

START_TEST(test_write_replace) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM);
        _cleanup_free_ char *expected = NULL, *got = NULL, *names = NULL;
        MetricsInput in;
        PressureState s;
        struct stat before, after;

        tree_write(dir, PROM, "# old\n");
        ck_assert_int_eq(chmod(path, 0644), 0);
        ck_assert_int_eq(stat(path, &before), 0);
        metrics_sample_absent(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), 1);
        expected = render_sample(metrics_sample_absent);
        got = tree_read(dir, PROM);
        assert_text_eq(got, expected);
        /* replaced by rename, not rewritten in place: a reader holding the old file keeps it whole */
        ck_assert_int_eq(stat(path, &after), 0);
        ck_assert_uint_ne(before.st_ino, after.st_ino);
        ck_assert_uint_eq(file_mode(path), 0644);
        names = dir_list(dir);
        ck_assert_str_eq(names, PROM);
}
END_TEST

/* write_file_atomic() keeps the mode of a file it replaces: an admin's 0640 root:prometheus stays. */
START_TEST(test_write_keeps_mode) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM);
        MetricsInput in;
        PressureState s;

        tree_write(dir, PROM, "# old\n");
        ck_assert_int_eq(chmod(path, 0640), 0);
        metrics_sample_full(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), 1);
        ck_assert_uint_eq(file_mode(path), 0640);
}
END_TEST

/* Same content: not rewritten, but the mtime moves, so node_textfile_mtime_seconds shows wstuned alive. */
START_TEST(test_write_unchanged) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM);
        _cleanup_free_ char *expected = NULL, *got = NULL;
        const struct timespec past[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
        MetricsInput in;
        PressureState s;
        struct stat before, after;

        metrics_sample_fallback(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), 1);
        ck_assert_int_eq(utimensat(AT_FDCWD, path, past, 0), 0);
        ck_assert_int_eq(stat(path, &before), 0);
        ck_assert_int_eq(before.st_mtim.tv_sec, 1000000000);

        ck_assert_int_eq(metrics_write(path, &in), 0);
        ck_assert_int_eq(stat(path, &after), 0);
        ck_assert_uint_eq(before.st_ino, after.st_ino);
        ck_assert_int_gt(after.st_mtim.tv_sec, 1000000000);
        expected = render_sample(metrics_sample_fallback);
        got = tree_read(dir, PROM);
        assert_text_eq(got, expected);
}
END_TEST

START_TEST(test_write_missing_dir) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "node-exporter/" PROM);
        _cleanup_free_ char *names = NULL;
        MetricsInput in;
        PressureState s;

        metrics_sample_full(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), -ENOENT);
        names = dir_list(dir);
        ck_assert_str_eq(names, "");
}
END_TEST

START_TEST(test_write_render_fails) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM), *got = NULL, *names = NULL;
        MetricsInput in;
        PressureState s;

        tree_write(dir, PROM, "# old\n");
        metrics_sample_full(&in, &s);
        ratio_nan(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), -EINVAL);
        got = tree_read(dir, PROM);
        ck_assert_str_eq(got, "# old\n");
        names = dir_list(dir);
        ck_assert_str_eq(names, PROM);
}
END_TEST

/* A write that fails half way (the file size limit, which binds root too): the old file stays, the
 * temporary file goes. Check runs each test in its own process, the limit is restored anyway. */
START_TEST(test_write_fails) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM), *got = NULL, *names = NULL;
        struct rlimit old, small = { 100, 100 };
        MetricsInput in;
        PressureState s;

        tree_write(dir, PROM, "# old\n");
        metrics_sample_full(&in, &s);
        ck_assert_ptr_ne(signal(SIGXFSZ, SIG_IGN), SIG_ERR);
        ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
        small.rlim_max = old.rlim_max;
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
        int r = metrics_write(path, &in);
        ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
        ck_assert_int_eq(r, -EFBIG);

        got = tree_read(dir, PROM);
        ck_assert_str_eq(got, "# old\n");
        names = dir_list(dir);
        ck_assert_str_eq(names, PROM);
}
END_TEST

/* Make dir read-only for this process: root ignores mode bits, so a read-only bind mount in a mount
 * namespace of this test process (Check forks each test) when it can make one, else mode 0555. */
static int make_read_only(const char *dir) {
        if (geteuid() == 0 && unshare(CLONE_NEWNS) >= 0 && mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) >= 0) {
                bind_read_only(dir);
                return -EROFS;
        }
        ck_assert_int_eq(chmod(dir, 0555), 0);
        return -EACCES;
}

START_TEST(test_write_read_only_dir) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, PROM), *got = NULL, *names = NULL;
        MetricsInput in;
        PressureState s;
        int expected;

        tree_write(dir, PROM, "# old\n");
        expected = make_read_only(dir);
        ck_assert_msg(access(dir, W_OK) < 0, "%s is still writable", dir);

        metrics_sample_full(&in, &s);
        ck_assert_int_eq(metrics_write(path, &in), expected);
        got = tree_read(dir, PROM);
        ck_assert_str_eq(got, "# old\n");
        names = dir_list(dir);
        ck_assert_str_eq(names, PROM);

        if (expected == -EROFS)
                ck_assert_int_eq(umount2(dir, MNT_DETACH), 0);
        else
                ck_assert_int_eq(chmod(dir, 0755), 0);
}
END_TEST

static Suite *metrics_suite(void) {
        Suite *s = suite_create("metrics");
        TCase *tc;

        tc = tcase_create("render");
        tcase_add_loop_test(tc, test_render_golden, 0, ELEMENTSOF(golden_cases));
        tcase_add_test(tc, test_golden_covers_samples);
        tcase_add_loop_test(tc, test_presence, 0, ELEMENTSOF(presence_cases));
        tcase_add_loop_test(tc, test_escape_label, 0, ELEMENTSOF(escape_cases));
        tcase_add_loop_test(tc, test_render_invalid, 0, ELEMENTSOF(invalid_cases));
        tcase_add_test(tc, test_render_unknown_family);
        tcase_add_test(tc, test_render_null_input);
        suite_add_tcase(s, tc);

        tc = tcase_create("format");
        tcase_add_loop_test(tc, test_checker, 0, ELEMENTSOF(check_cases));
        tcase_add_loop_test(tc, test_check_samples, 0, ELEMENTSOF(metrics_samples));
        tcase_add_test(tc, test_check_variations);
        suite_add_tcase(s, tc);

        tc = tcase_create("write");
        tcase_add_test(tc, test_write_new);
        tcase_add_test(tc, test_write_replace);
        tcase_add_test(tc, test_write_keeps_mode);
        tcase_add_test(tc, test_write_unchanged);
        tcase_add_test(tc, test_write_missing_dir);
        tcase_add_test(tc, test_write_render_fails);
        tcase_add_test(tc, test_write_fails);
        tcase_add_test(tc, test_write_read_only_dir);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(metrics_suite());
}
