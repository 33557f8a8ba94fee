/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sampler.c - one pressure sample. Its cost does not follow the number of connections: two ctnetlink
 * requests answered from counters (the table is never dumped), four small /proc files, and a sock_diag scan
 * of the listening sockets only. The per-destination count, which does walk the sockets of the ephemeral
 * range, runs only while the ports are under pressure, and at most every ten seconds. */
#include <stdio.h>

#include "journal.h"
#include "sampler.h"
#include "util/util.h"

#define PROC_FILE_MAX (64u * 1024u) /* /proc/net/netstat is about 4 KiB */

enum { SOURCE_CONNTRACK, SOURCE_NETSTAT, SOURCE_SOCKSTAT, SOURCE_FILES, SOURCE_SOCKDIAG };

static const char *const source_names[] = {
        [SOURCE_CONNTRACK] = "conntrack statistics",
        [SOURCE_NETSTAT] = "/proc/net/netstat",
        [SOURCE_SOCKSTAT] = "/proc/net/sockstat and ip_local_port_range",
        [SOURCE_FILES] = "/proc/sys/fs/file-nr",
        [SOURCE_SOCKDIAG] = "sock_diag",
};

/* Log a source's failure when it starts or changes, and its recovery. */
static void note_result(Sampler *s, int source, int r) {
        int e = r < 0 ? -r : 0;

        if (e == s->errors[source])
                return;
        if (e)
                log_warning("Cannot read %s, its pressure figures are left out: %s", source_names[source], strerror(e));
        else
                log_info("Reading %s again", source_names[source]);
        s->errors[source] = e;
}

int sampler_init(Sampler *s, const char *kernel_root) {
        int r;

        *s = (Sampler) {};
        if (asprintf(&s->proc, "%s/proc", kernel_root ?: "") < 0 ||
            asprintf(&s->proc_sys, "%s/proc/sys", kernel_root ?: "") < 0)
                return -ENOMEM;
        r = conntrack_open(&s->conntrack);
        if (r < 0)
                log_warning("No ctnetlink socket, conntrack is read from /proc/sys without drop counters: %s",
                            strerror(-r));
        r = sockdiag_open(&s->sockdiag);
        if (r < 0)
                log_warning("No sock_diag socket, the accept queues are not watched: %s", strerror(-r));
        return 0;
}

void sampler_done(Sampler *s) {
        free(s->proc);
        free(s->proc_sys);
        conntrack_close(s->conntrack);
        sockdiag_close(s->sockdiag);
        *s = (Sampler) {};
}

/* Read dir/rel whole and hand it to a parser. */
static int read_under(const char *dir, const char *rel, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (asprintf(&path, "%s/%s", dir, rel) < 0)
                return -ENOMEM;
        return read_file_full(path, PROC_FILE_MAX, ret, NULL);
}

static int read_netstat(Sampler *s, PressureSample *ret) {
        _cleanup_free_ char *buf = NULL;
        int r = read_under(s->proc, "net/netstat", &buf);

        if (r >= 0)
                r = netstat_parse_listen(buf, &ret->listen);
        ret->have_listen = r >= 0;
        return r;
}

static int read_sockstat(Sampler *s, PressureSample *ret) {
        _cleanup_free_ char *buf = NULL, *range = NULL;
        int r = read_under(s->proc, "net/sockstat", &buf);

        if (r >= 0)
                r = sockstat_parse(buf, &ret->sockstat);
        if (r >= 0)
                r = read_under(s->proc_sys, "net/ipv4/ip_local_port_range", &range);
        if (r >= 0)
                r = port_range_parse(range, &ret->port_lo, &ret->port_hi);
        ret->have_sockstat = r >= 0;
        return r;
}

static int read_files(Sampler *s, PressureSample *ret) {
        _cleanup_free_ char *buf = NULL;
        int r = read_under(s->proc_sys, "fs/file-nr", &buf);

        if (r >= 0)
                r = file_nr_parse(buf, &ret->files);
        ret->have_files = r >= 0;
        return r;
}

static int read_active_opens(Sampler *s, uint64_t *ret) {
        _cleanup_free_ char *buf = NULL;
        int r = read_under(s->proc, "net/snmp", &buf);

        return r < 0 ? r : snmp_parse_active_opens(buf, ret);
}

/* The per-destination count, when all TCP sockets together reach the ports' warn level. A local port of the
 * range is taken by connect() (or by bind() to port 0, rare for TCP clients), so since the last count the
 * busiest destination gained at most the connect()s made meanwhile (ActiveOpens): while that bound stays
 * below the warn level, counting again could not change the level and is skipped (until the count is
 * SAMPLER_DESTINATIONS_MAX_AGE_USEC old). Once the bound reaches it, the count is taken at once; while the
 * count itself is at or above warn, again every SAMPLER_DESTINATIONS_INTERVAL_USEC. */
static int read_destinations(Sampler *s, const WatchSettings *w, uint64_t now, PressureSample *ret) {
        uint64_t range = (uint64_t) ret->port_hi - ret->port_lo + 1, opens = 0, bound = UINT64_MAX;
        double at_warn = w->thresholds[PRESSURE_PORTS].warn * (double) range / 100.0;
        bool have_opens;
        int r;

        if (!s->sockdiag || !ret->have_sockstat || (double) (ret->sockstat.tcp_inuse + ret->sockstat.tcp_tw) < at_warn) {
                s->have_destinations = false;
                return 0;
        }
        have_opens = read_active_opens(s, &opens) >= 0;
        if (s->have_destinations && now < s->destinations_usec + SAMPLER_DESTINATIONS_MAX_AGE_USEC) {
                bool recent = now < s->destinations_usec + SAMPLER_DESTINATIONS_INTERVAL_USEC;

                if (have_opens && s->have_destinations_opens && opens >= s->destinations_opens)
                        bound = s->destinations.sockets + (opens - s->destinations_opens);
                ret->have_destinations = true;
                ret->top_destination = s->destinations;
                if ((double) bound < at_warn) {
                        ret->top_destination.sockets = bound; /* an upper bound, below warn */
                        return 0;
                }
                /* no bound (snmp unreadable), or tracking a count at warn: every interval */
                if (recent && (bound == UINT64_MAX || (double) s->destinations.sockets >= at_warn))
                        return 0;
        }

        r = sockdiag_top_destination(s->sockdiag, (uint16_t) ret->port_lo, (uint16_t) ret->port_hi, &s->destinations);
        s->have_destinations = r >= 0;
        s->destinations_usec = now;
        s->destinations_opens = opens;
        s->have_destinations_opens = have_opens;
        if (r < 0) {
                ret->have_destinations = false;
                return r;
        }
        ret->have_destinations = true;
        ret->top_destination = s->destinations;
        return 0;
}

void sampler_read(Sampler *s, const WatchSettings *w, uint64_t now, PressureSample *ret) {
        int r;

        *ret = (PressureSample) { .usec = now };

        r = conntrack_read_stats(s->conntrack, s->proc_sys, &ret->conntrack);
        if (r < 0)
                ret->conntrack = (ConntrackStats) {};
        note_result(s, SOURCE_CONNTRACK, r);
        note_result(s, SOURCE_NETSTAT, read_netstat(s, ret));
        note_result(s, SOURCE_SOCKSTAT, read_sockstat(s, ret));
        note_result(s, SOURCE_FILES, read_files(s, ret));

        if (s->sockdiag) {
                r = sockdiag_listen_fill(s->sockdiag, &ret->backlog);
                ret->have_backlog = r >= 0;
                if (r >= 0)
                        r = read_destinations(s, w, now, ret);
                note_result(s, SOURCE_SOCKDIAG, r);
        }
}
