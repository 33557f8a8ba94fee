/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics.c - Prometheus text exposition of wstuned's state, for node_exporter's textfile collector.
 *
 * The file is in the text format 0.0.4: for each family a "# HELP" and a "# TYPE" line, then its samples
 * ("name{label="value",...} value"), no timestamps (node_exporter stamps the scrape). Families are written
 * whole, in a fixed order, and only when they have a sample: what the sampler could not read this time
 * (nf_conntrack not loaded, no listener, a /proc file missing) is left out, not written as 0, which would
 * read as "no pressure". Counters are the kernel's own cumulative counters, so their resets (a reloaded
 * module) are what Prometheus's rate() expects.
 *
 * Numbers: the kernel's counts as decimal integers (Prometheus reads them as float64), ratios with %.6g.
 * The daemon never calls setlocale(), so the decimal point is ".".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "metrics.h"
#include "util/util.h"

#define METRICS_PREFIX "wstuned_"
#define METRICS_FILE_MODE 0644 /* node_exporter runs as its own user */
#define PORT_MAX 65535u

typedef enum MetricType {
        METRIC_GAUGE,
        METRIC_COUNTER,
        _METRIC_TYPE_MAX,
} MetricType;

static const char *const metric_type_table[_METRIC_TYPE_MAX] = {
        [METRIC_GAUGE] = "gauge",
        [METRIC_COUNTER] = "counter",
};

/* A family: its name after METRICS_PREFIX, its type and its HELP text (no backslash, no newline). */
typedef struct Family {
        const char *name;
        MetricType type;
        const char *help;
} Family;

typedef struct Label {
        const char *name, *value; /* value unescaped */
} Label;

/* wstuned_pressure_level's numbers; an absent resource has none (its samples are left out). */
static const int level_number_table[_PRESSURE_LEVEL_MAX] = {
        [PRESSURE_ABSENT] = -1,
        [PRESSURE_OK] = 0,
        [PRESSURE_WARN] = 1,
        [PRESSURE_CRITICAL] = 2,
};

static const Family family_info = {
        "info", METRIC_GAUGE,
        "wstuned's version, active profile (empty when none) and manager state (ok, pending, degraded, "
        "inactive); always 1.",
};

static const Family family_drift_corrections = {
        "drift_corrections_total", METRIC_COUNTER,
        "Sysctl values wstuned set back after another writer changed them, since the daemon started.",
};

static const Family family_pending_keys = {
        "pending_keys", METRIC_GAUGE,
        "Keys of the active profile that do not exist yet (their module is not loaded), so are not set.",
};

/* Every state is written, 0 when no key is in it, so a rule can compare without absent(). */
static const Family family_keys = {
        "keys", METRIC_GAUGE,
        "Keys of the active profile per state: ok, drifted, pending (not in /proc/sys yet), fighting (another "
        "writer keeps undoing the value; wstuned backs off), unmanaged (policy ignore), error (the kernel "
        "refused the value); every state is written, 0 when none.",
};

/* The per-resource families, all with the label "resource". */
typedef enum ResourceValue {
        RESOURCE_LEVEL,
        RESOURCE_RATIO,
        RESOURCE_USED,
        RESOURCE_LIMIT,
} ResourceValue;

typedef struct ResourceFamily {
        Family family;
        ResourceValue value;
} ResourceFamily;

static const ResourceFamily resource_families[] = {
        { { "pressure_level", METRIC_GAUGE,
            "wstuned's pressure level per resource: 0 ok, 1 warn, 2 critical (thresholds with hysteresis, "
            "and drop counter increases, from the profile's watch section); a resource that cannot be "
            "measured is left out." },
          RESOURCE_LEVEL },
        { { "pressure_ratio", METRIC_GAUGE,
            "Used over limit per resource, as the pressure levels compare it with their thresholds (may "
            "exceed 1)." },
          RESOURCE_RATIO },
        { { "pressure_used", METRIC_GAUGE,
            "What the pressure ratio counts per resource: conntrack entries, connections queued on the "
            "fullest accept queue, TCP sockets for local ports, open files." },
          RESOURCE_USED },
        { { "pressure_limit", METRIC_GAUGE,
            "What the pressure ratio divides by per resource: nf_conntrack_max, that accept queue's size, "
            "the size of ip_local_port_range, fs.file-max." },
          RESOURCE_LIMIT },
};

/* The families taken from the last sample (PressureState.previous), each shown when its group was read. */
typedef enum SampleGroup {
        GROUP_CONNTRACK,          /* conntrack.present */
        GROUP_CONNTRACK_COUNTERS, /* and from_netlink: the /proc fallback has no counters */
        GROUP_LISTEN,             /* have_listen */
        GROUP_BACKLOG,            /* have_backlog, and there is a listener */
        GROUP_SOCKSTAT,           /* have_sockstat */
        GROUP_PORT_RANGE,         /* have_sockstat, with a valid port range */
        GROUP_DESTINATIONS,       /* have_destinations, and there is a destination */
        GROUP_FILES,              /* have_files */
} SampleGroup;

typedef enum SampleValue {
        VALUE_U64,        /* a uint64_t at offset */
        VALUE_U32,        /* a uint32_t at offset */
        VALUE_PORT_RANGE, /* port_hi - port_lo + 1 */
} SampleValue;

typedef struct SampleFamily {
        Family family;
        SampleGroup group;
        SampleValue value;
        size_t offset;            /* in PressureSample */
        const char *label;        /* NULL, or a label whose value is the Endpoint at label_offset */
        size_t label_offset;      /* in PressureSample */
} SampleFamily;

/* Row parts: where the value and the label come from. */
#define U64(field) .value = VALUE_U64, .offset = offsetof(PressureSample, field)
#define U32(field) .value = VALUE_U32, .offset = offsetof(PressureSample, field)
#define ENDPOINT_LABEL(name, field) .label = name, .label_offset = offsetof(PressureSample, field)

#define CT_COUNTER(name, field, attr, text)                                          \
        { .family = { "conntrack_" name "_total", METRIC_COUNTER,                    \
                      text " (ctnetlink " attr ", summed over CPUs)." },              \
          .group = GROUP_CONNTRACK_COUNTERS, U64(conntrack.field) }

static const SampleFamily sample_families[] = {
        { .family = { "conntrack_entries", METRIC_GAUGE,
                "Entries in the connection tracking table (ctnetlink CTA_STATS_GLOBAL_ENTRIES, or "
                "net.netfilter.nf_conntrack_count)." },
          .group = GROUP_CONNTRACK, U64(conntrack.entries) },
        { .family = { "conntrack_limit", METRIC_GAUGE,
                "Size limit of the connection tracking table (ctnetlink CTA_STATS_GLOBAL_MAX_ENTRIES, or "
                "net.netfilter.nf_conntrack_max)." },
          .group = GROUP_CONNTRACK, U64(conntrack.max) },
        CT_COUNTER("found", found, "CTA_STATS_FOUND", "Conntrack lookups that found an entry"),
        CT_COUNTER("invalid", invalid, "CTA_STATS_INVALID", "Packets conntrack could not track"),
        CT_COUNTER("insert", insert, "CTA_STATS_INSERT", "Conntrack entries inserted"),
        CT_COUNTER("insert_failed", insert_failed, "CTA_STATS_INSERT_FAILED",
                "Conntrack entries that could not be inserted: a clash, or the table full"),
        CT_COUNTER("drop", drop, "CTA_STATS_DROP",
                "New connections dropped because the conntrack table was full"),
        CT_COUNTER("early_drop", early_drop, "CTA_STATS_EARLY_DROP",
                "Unassured conntrack entries evicted to make room for new ones"),
        CT_COUNTER("error", error, "CTA_STATS_ERROR", "ICMP and ICMPv6 errors conntrack rejected"),
        CT_COUNTER("search_restart", search_restart, "CTA_STATS_SEARCH_RESTART",
                "Conntrack lookups restarted because the hash table changed under them"),
        CT_COUNTER("clash_resolve", clash_resolve, "CTA_STATS_CLASH_RESOLVE",
                "Conntrack insert clashes resolved by taking the existing entry"),
        CT_COUNTER("chaintoolong", chaintoolong, "CTA_STATS_CHAIN_TOOLONG",
                "Conntrack entries refused because their hash chain was too long"),

        { .family = { "tcp_listen_overflows_total", METRIC_COUNTER,
                "Connections dropped because a listener's accept queue was full (/proc/net/netstat TcpExt "
                "ListenOverflows)." },
          .group = GROUP_LISTEN, U64(listen.listen_overflows) },
        { .family = { "tcp_listen_drops_total", METRIC_COUNTER,
                "SYNs dropped on listening sockets for any reason, accept queue overflows included "
                "(/proc/net/netstat TcpExt ListenDrops)." },
          .group = GROUP_LISTEN, U64(listen.listen_drops) },
        { .family = { "tcp_syn_queue_drops_total", METRIC_COUNTER,
                "SYNs dropped because a listener's SYN queue was full and syncookies were off "
                "(/proc/net/netstat TcpExt TCPReqQFullDrop)." },
          .group = GROUP_LISTEN, U64(listen.req_q_full_drop) },
        { .family = { "tcp_syn_queue_cookies_total", METRIC_COUNTER,
                "SYNs answered with a syncookie because a listener's SYN queue was full "
                "(/proc/net/netstat TcpExt TCPReqQFullDoCookies)." },
          .group = GROUP_LISTEN, U64(listen.req_q_full_do_cookies) },
        { .family = { "tcp_accept_queue_length", METRIC_GAUGE,
                "Connections waiting for accept() on the listener whose accept queue is fullest "
                "(sock_diag idiag_rqueue)." },
          .group = GROUP_BACKLOG, U32(backlog.queued),
          ENDPOINT_LABEL("listener", backlog.local) },
        { .family = { "tcp_accept_queue_limit", METRIC_GAUGE,
                "Accept queue size of that listener: its listen() backlog capped by net.core.somaxconn "
                "(sock_diag idiag_wqueue)." },
          .group = GROUP_BACKLOG, U32(backlog.backlog),
          ENDPOINT_LABEL("listener", backlog.local) },

        { .family = { "tcp_sockets_inuse", METRIC_GAUGE,
                "TCP sockets in use in wstuned's network namespace, TIME_WAIT not included "
                "(/proc/net/sockstat TCP inuse)." },
          .group = GROUP_SOCKSTAT, U64(sockstat.tcp_inuse) },
        { .family = { "tcp_sockets_timewait", METRIC_GAUGE,
                "TCP sockets in TIME_WAIT in wstuned's network namespace (/proc/net/sockstat TCP tw)." },
          .group = GROUP_SOCKSTAT, U64(sockstat.tcp_tw) },
        { .family = { "local_ports_range_size", METRIC_GAUGE,
                "Ports in the ephemeral range net.ipv4.ip_local_port_range." },
          .group = GROUP_PORT_RANGE, .value = VALUE_PORT_RANGE },
        { .family = { "local_ports_top_destination_sockets", METRIC_GAUGE,
                "TCP sockets with a local port in the ephemeral range towards the remote address:port "
                "that has most of them (sock_diag; counted only while local ports are above their warn "
                "threshold)." },
          .group = GROUP_DESTINATIONS, U64(top_destination.sockets),
          ENDPOINT_LABEL("destination", top_destination.remote) },

        { .family = { "fds_allocated", METRIC_GAUGE,
                "File handles the kernel has allocated (first field of /proc/sys/fs/file-nr)." },
          .group = GROUP_FILES, U64(files.allocated) },
        { .family = { "fds_limit", METRIC_GAUGE, "The kernel's limit of file handles (fs.file-max)." },
          .group = GROUP_FILES, U64(files.max) },
};

/* Writes families one after another; a family's HELP and TYPE go out with its first sample. */
typedef struct Writer {
        FILE *out;
        const Family *current;
} Writer;

int metrics_escape_label(const char *value, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t n = 0;

        if (!utf8_is_valid(value))
                return -EINVAL;

        buf = malloc(strlen(value) * 2 + 1);
        if (!buf)
                return -ENOMEM;
        for (const char *p = value; *p; p++) {
                if (*p == '\\' || *p == '"' || *p == '\n')
                        buf[n++] = '\\';
                buf[n++] = *p == '\n' ? 'n' : *p;
        }
        buf[n] = '\0';

        *ret = TAKE_PTR(buf);
        return 0;
}

static int write_sample(
                Writer *w, const Family *f, const Label *labels, size_t n_labels, const char *value) {
        if (w->current != f) {
                fprintf(w->out, "# HELP " METRICS_PREFIX "%s %s\n# TYPE " METRICS_PREFIX "%s %s\n", f->name,
                        f->help, f->name, metric_type_table[f->type]);
                w->current = f;
        }

        fputs(METRICS_PREFIX, w->out);
        fputs(f->name, w->out);
        for (size_t i = 0; i < n_labels; i++) {
                _cleanup_free_ char *escaped = NULL;
                int r = metrics_escape_label(labels[i].value, &escaped);
                if (r < 0)
                        return r;
                fprintf(w->out, "%s%s=\"%s\"", i == 0 ? "{" : ",", labels[i].name, escaped);
        }
        fprintf(w->out, "%s %s\n", n_labels > 0 ? "}" : "", value);
        return 0;
}

static int write_u64(Writer *w, const Family *f, const Label *labels, size_t n_labels, uint64_t v) {
        char buf[sizeof "18446744073709551615"];

        snprintf(buf, sizeof buf, "%" PRIu64, v);
        return write_sample(w, f, labels, n_labels, buf);
}

static int write_double(Writer *w, const Family *f, const Label *labels, size_t n_labels, double v) {
        char buf[32]; /* "-1.23457e-308" at most */

        if (!isfinite(v))
                return -EINVAL;
        snprintf(buf, sizeof buf, "%.6g", v);
        return write_sample(w, f, labels, n_labels, buf);
}

static bool endpoint_is_set(const Endpoint *e) {
        return e->family == AF_INET || e->family == AF_INET6;
}

/* The number of ports in the range, 0 for a range port_range_parse() would reject. */
static uint64_t port_range_size(const PressureSample *s) {
        if (s->port_lo < 1 || s->port_hi > PORT_MAX || s->port_lo > s->port_hi)
                return 0;
        return (uint64_t) s->port_hi - s->port_lo + 1;
}

static bool group_present(const PressureSample *s, SampleGroup g) {
        switch (g) {
        case GROUP_CONNTRACK:
                return s->conntrack.present;
        case GROUP_CONNTRACK_COUNTERS:
                return s->conntrack.present && s->conntrack.from_netlink;
        case GROUP_LISTEN:
                return s->have_listen;
        case GROUP_BACKLOG:
                return s->have_backlog && endpoint_is_set(&s->backlog.local);
        case GROUP_SOCKSTAT:
                return s->have_sockstat;
        case GROUP_PORT_RANGE:
                return s->have_sockstat && port_range_size(s) > 0;
        case GROUP_DESTINATIONS:
                return s->have_destinations && endpoint_is_set(&s->top_destination.remote);
        case GROUP_FILES:
                return s->have_files;
        }
        return false;
}

static uint64_t sample_value(const PressureSample *s, const SampleFamily *f) {
        const char *p = (const char *) s + f->offset;
        uint64_t v64;
        uint32_t v32;

        switch (f->value) {
        case VALUE_U64:
                memcpy(&v64, p, sizeof v64);
                return v64;
        case VALUE_U32:
                memcpy(&v32, p, sizeof v32);
                return v32;
        case VALUE_PORT_RANGE:
                return port_range_size(s);
        }
        return 0;
}

static int render_daemon(Writer *w, const MetricsInput *in) {
        const Label info[] = {
                { "version", in->version },
                { "profile", strempty(in->profile) },
                { "state", in->state },
        };
        int r;

        r = write_u64(w, &family_info, info, ELEMENTSOF(info), 1);
        if (r < 0)
                return r;
        r = write_u64(w, &family_drift_corrections, NULL, 0, in->drift_corrections);
        if (r < 0)
                return r;
        r = write_u64(w, &family_pending_keys, NULL, 0, in->pending_keys);
        if (r < 0)
                return r;
        for (KeyState s = 0; s < _KEY_STATE_MAX; s++) {
                const Label state = { "state", key_state_to_string(s) };

                r = write_u64(w, &family_keys, &state, 1, in->keys_by_state[s]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int render_resources(Writer *w, const PressureState *s) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(resource_families); i++) {
                const ResourceFamily *f = &resource_families[i];

                for (PressureResource res = 0; res < _PRESSURE_RESOURCE_MAX; res++) {
                        const ResourceState *rs = &s->resources[res];
                        const Label label = { "resource", pressure_resource_to_string(res) };

                        if (rs->level == PRESSURE_ABSENT)
                                continue;
                        switch (f->value) {
                        case RESOURCE_LEVEL:
                                r = write_u64(w, &f->family, &label, 1,
                                              (uint64_t) level_number_table[rs->level]);
                                break;
                        case RESOURCE_RATIO:
                                r = write_double(w, &f->family, &label, 1, rs->ratio);
                                break;
                        case RESOURCE_USED:
                                r = write_u64(w, &f->family, &label, 1, rs->used);
                                break;
                        case RESOURCE_LIMIT:
                                r = write_u64(w, &f->family, &label, 1, rs->limit);
                                break;
                        default:
                                r = -EINVAL;
                        }
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static int render_sample(Writer *w, const PressureSample *s) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(sample_families); i++) {
                const SampleFamily *f = &sample_families[i];
                char endpoint[ENDPOINT_STRING_MAX];
                Label label = { f->label, NULL };

                if (!group_present(s, f->group))
                        continue;
                /* group_present() saw to it that the endpoint is AF_INET or AF_INET6 */
                if (f->label)
                        label.value = endpoint_format(
                                        (const Endpoint *) ((const char *) s + f->label_offset), endpoint);
                r = write_u64(w, &f->family, &label, f->label ? 1 : 0, sample_value(s, f));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Levels out of range and ratios that are not finite numbers are a caller's bug; refuse them rather than
 * write a file a scraper cannot read. */
static bool resources_are_valid(const PressureState *s) {
        for (PressureResource res = 0; res < _PRESSURE_RESOURCE_MAX; res++) {
                const ResourceState *rs = &s->resources[res];

                if (rs->level < 0 || rs->level >= _PRESSURE_LEVEL_MAX)
                        return false;
                if (rs->level != PRESSURE_ABSENT && (!isfinite(rs->ratio) || rs->ratio < 0))
                        return false;
        }
        return true;
}

int metrics_render(const MetricsInput *in, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        int r;

        if (!in || !in->version || !in->state || !in->pressure || !resources_are_valid(in->pressure))
                return -EINVAL;

        FILE *out = open_memstream(&buf, &size);
        if (!out)
                return -ENOMEM;
        Writer w = { .out = out };
        r = render_daemon(&w, in);
        if (r >= 0)
                r = render_resources(&w, in->pressure);
        /* The sample's families only once there is a sample. */
        if (r >= 0 && in->pressure->have_previous)
                r = render_sample(&w, &in->pressure->previous);
        bool failed = ferror(out);
        if (fclose(out) != 0 || failed)
                return -ENOMEM;
        if (r < 0)
                return r;

        *ret = TAKE_PTR(buf);
        return 0;
}

/* The temporary file is ".#wstuned.promXXXXXX" next to the target (write_file_atomic()): node_exporter reads
 * only "*.prom", so it never sees a half-written file. */
int metrics_write(const char *path, const MetricsInput *in) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (!path)
                return -EINVAL;
        r = metrics_render(in, &text);
        if (r < 0)
                return r;
        return write_file_atomic(path, text, strlen(text), FILE_MODE(METRICS_FILE_MODE),
                                 WRITE_FILE_KEEP_META | WRITE_FILE_TOUCH);
}
