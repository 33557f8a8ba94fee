/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pressure-watch.c - what the daemon does with pressure samples: journal entries and PressureChanged
 * signals for level changes, an alert for every drop counter that went up, conntrack growth when the
 * profile opts in, and the node_exporter textfile. */
#include <stdio.h>
#include <syslog.h>

#include "bus-manager.h"
#include "journal.h"
#include "metrics.h"
#include "netstat.h"
#include "pressure-watch.h"
#include "sysctl.h"
#include "version.h"

int pressure_watch_start(Manager *m) {
        int r;

        if (m->sampler_started)
                return 0;
        r = sampler_init(&m->sampler, m->paths.kernel_root);
        if (r < 0)
                return r;
        m->sampler_started = true;
        return 0;
}

void pressure_watch_stop(Manager *m) {
        if (m->sampler_started)
                sampler_done(&m->sampler);
        m->sampler_started = false;
}

const WatchSettings *pressure_watch_settings(const Manager *m) {
        return m->profile ? &m->profile->watch : &m->default_watch;
}

/* "95.0% (950 of 1000 entries)" and the like: what a resource's ratio is made of. */
static void describe(const PressureState *s, PressureResource r, char *buf, size_t size) {
        const ResourceState *rs = &s->resources[r];
        const PressureSample *p = &s->previous;
        char ep[ENDPOINT_STRING_MAX];

        switch (r) {
        case PRESSURE_CONNTRACK:
                snprintf(buf, size, "%.1f%% (%" PRIu64 " of %" PRIu64 " entries)", rs->ratio * 100, rs->used, rs->limit);
                break;
        case PRESSURE_BACKLOG:
                if (p->backlog.listeners == 0) {
                        snprintf(buf, size, "no TCP listener");
                        break;
                }
                snprintf(buf, size, "%.1f%% (%" PRIu64 " of %" PRIu64 " connections waiting on %s)", rs->ratio * 100,
                         rs->used, rs->limit, endpoint_format(&p->backlog.local, ep));
                break;
        case PRESSURE_PORTS:
                if (p->have_destinations)
                        snprintf(buf, size, "%.1f%% (%" PRIu64 " of %" PRIu64 " local ports towards %s)", rs->ratio * 100,
                                 rs->used, rs->limit, endpoint_format(&p->top_destination.remote, ep));
                else
                        snprintf(buf, size, "%.1f%% (%" PRIu64 " TCP sockets for %" PRIu64 " local ports)",
                                 rs->ratio * 100, rs->used, rs->limit);
                break;
        case PRESSURE_FDS:
                snprintf(buf, size, "%.1f%% (%" PRIu64 " of %" PRIu64 " file descriptors)", rs->ratio * 100, rs->used,
                         rs->limit);
                break;
        default:
                snprintf(buf, size, "?");
        }
}

/* What went up, after the number */
static const char *const counter_messages[_PRESSURE_COUNTER_MAX] = {
        [COUNTER_CONNTRACK_DROP] = "packets of new connections dropped by conntrack: the table is full",
        [COUNTER_CONNTRACK_EARLY_DROP] = "unreplied conntrack entries evicted to make room: the table is full",
        [COUNTER_CONNTRACK_INSERT_FAILED] = "conntrack entries failed to insert",
        [COUNTER_LISTEN_OVERFLOWS] = "connections found their accept queue full (ListenOverflows)",
        [COUNTER_LISTEN_DROPS] = "SYNs dropped on listening sockets (ListenDrops)",
        [COUNTER_SYN_QUEUE_DROPS] = "SYNs dropped with the SYN queue full and no syncookies (TCPReqQFullDrop)",
        [COUNTER_SYN_QUEUE_COOKIES] = "SYNs answered with syncookies, the SYN queue full (TCPReqQFullDoCookies)",
};

static void log_counter(const PressureEvent *e) {
        char interval[32] = "";

        if (e->interval_usec > 0)
                snprintf(interval, sizeof interval, " in %.1f s", (double) e->interval_usec / 1e6);
        log_event(e->resource == PRESSURE_CONNTRACK ? EVENT_CONNTRACK_DROPS : EVENT_BACKLOG_DROPS,
                  EVENT_FIELDS(.resource = pressure_resource_to_string(e->resource),
                               .counter = pressure_counter_to_string(e->counter), .delta = e->delta,
                               .priority = e->counter == COUNTER_SYN_QUEUE_COOKIES ? LOG_WARNING : 0),
                  "%" PRIu64 " %s%s (%" PRIu64 " in total)", e->delta, counter_messages[e->counter], interval, e->total);
}

static void log_level(const Manager *m, const PressureEvent *e) {
        static const int priorities[_PRESSURE_LEVEL_MAX] = {
                [PRESSURE_ABSENT] = LOG_NOTICE,
                [PRESSURE_OK] = LOG_NOTICE,
                [PRESSURE_WARN] = LOG_WARNING,
                [PRESSURE_CRITICAL] = LOG_CRIT,
        };
        const char *resource = pressure_resource_to_string(e->resource);
        char ratio[32], what[160];

        /* the first sample finds every resource: nothing to tell while they are fine */
        if (e->from == PRESSURE_ABSENT && e->to == PRESSURE_OK)
                return;
        snprintf(ratio, sizeof ratio, "%.4f", e->ratio);
        if (e->to == PRESSURE_ABSENT)
                snprintf(what, sizeof what, "can no longer be measured");
        else
                describe(&m->pressure, e->resource, what, sizeof what);
        log_event(EVENT_PRESSURE_CONNTRACK + e->resource,
                  EVENT_FIELDS(.profile = m->profile ? m->profile->name : NULL, .resource = resource,
                               .level = pressure_level_to_string(e->to), .ratio = e->to == PRESSURE_ABSENT ? NULL : ratio,
                               .priority = priorities[e->to]),
                  "Pressure on %s is %s (was %s): %s", resource, pressure_level_to_string(e->to),
                  pressure_level_to_string(e->from), what);
}

static void growth_failed(Manager *m, const char *what, int error) {
        log_event(EVENT_CONNTRACK_GROWTH_FAILED,
                  EVENT_FIELDS(.profile = m->profile ? m->profile->name : NULL, .key = what, .error = error),
                  "Cannot grow the conntrack table, %s: %s", what, strerror(error));
}

/* Raise the sysctl at path (relative to /proc/sys) to value, keeping its original in the baseline for
 * Revert. 0 when done or not needed (it is at least value already), else a negative errno. */
static int grow_key(Manager *m, const char *path, uint64_t value) {
        _cleanup_free_ char *full = NULL, *current = NULL, *name = sysctl_path_to_name(path);
        char v[32];
        int r;

        if (!name || asprintf(&full, "%s/%s", m->paths.proc_sys, path) < 0)
                return -ENOMEM;
        r = sysctl_read(full, &current);
        if (r < 0)
                return r;
        snprintf(v, sizeof v, "%" PRIu64, value);
        if (!sysctl_value_is_integer(current) || sysctl_integer_compare(current, v) >= 0)
                return 0;
        if (!state_baseline_get_this_boot(&m->state, path)) { /* none, or an earlier boot's: this is the original */
                r = state_baseline_set(&m->state, path, current);
                if (r >= 0)
                        r = manager_save_state(m);
                if (r < 0)
                        return r;
        }
        r = sysctl_write(full, v);
        if (r < 0)
                return r;
        /* as for every changed key: the new value is what is expected, the old one what was there */
        log_event(EVENT_CONNTRACK_GROWN,
                  EVENT_FIELDS(.profile = m->profile ? m->profile->name : NULL, .key = name, .expected = v,
                               .actual = current),
                  "Grew the conntrack table at %.1f%% use: %s %s -> %s",
                  m->pressure.resources[PRESSURE_CONNTRACK].ratio * 100, name, current, v);
        return 0;
}

/* Double nf_conntrack_max when the profile opts in and the table is filling up, and the hash table with it
 * (nf_conntrack_buckets, the sysctl of the module's hashsize: max / 4). The kernel lets only the host's
 * network namespace write either; elsewhere the failure is logged once and growth stays off until the
 * profile is applied again. A hash table that cannot grow is logged too, but the table still grows. */
static void grow_conntrack(Manager *m) {
        const WatchSettings *w = pressure_watch_settings(m);
        const ConntrackStats *ct = &m->pressure.previous.conntrack;
        int r;

        if (!w->growth_enabled || m->growth_failed || !ct->present)
                return;
        uint64_t target = pressure_growth_target(w, ct->entries, ct->max, meminfo_total(m->paths.kernel_root));
        if (target == 0)
                return;

        r = grow_key(m, CONNTRACK_MAX_PATH, target);
        if (r < 0) {
                growth_failed(m, "net.netfilter.nf_conntrack_max", -r);
                m->growth_failed = true;
                return;
        }
        r = grow_key(m, CONNTRACK_BUCKETS_PATH, pressure_hashsize_for(target));
        if (r < 0)
                growth_failed(m, "net.netfilter.nf_conntrack_buckets", -r);
}

void pressure_watch_write_metrics(Manager *m, uint64_t now) {
        const char *path = settings_metrics_path(&m->settings);
        _cleanup_free_ char *full = NULL;
        _cleanup_strv_free_ char **pending = NULL;

        if (!path[0])
                return;
        if (asprintf(&full, "%s%s", strempty(m->paths.root), path) < 0)
                return;
        (void) manager_pending_keys(m, &pending);
        MetricsInput in = {
                .version = WSTUNED_VERSION,
                .profile = m->profile ? m->profile->name : NULL,
                .state = manager_state_to_string(manager_state(m)),
                .drift_corrections = m->drift_corrections,
                .pending_keys = strv_length(pending),
                .pressure = &m->pressure,
        };
        for (size_t i = 0; i < m->n_keys; i++)
                if (m->keys[i].state >= 0 && m->keys[i].state < _KEY_STATE_MAX)
                        in.keys_by_state[m->keys[i].state]++;
        int r = metrics_write(full, &in);
        m->metrics_usec = now;
        /* once per kind of failure: node_exporter may simply not be installed */
        if (r < 0 && -r != m->metrics_error)
                log_warning("Cannot write the metrics file %s: %s", full, file_error_to_string(r));
        else if (r >= 0 && m->metrics_error)
                log_info("Writing the metrics file %s again", full);
        m->metrics_error = r < 0 ? -r : 0;
}

void pressure_watch_sample(Manager *m, uint64_t now) {
        PressureEvent events[PRESSURE_EVENTS_MAX];
        PressureSample sample;

        if (!m->sampler_started)
                return;
        sampler_read(&m->sampler, pressure_watch_settings(m), now, &sample);
        size_t n = pressure_update(&m->pressure, pressure_watch_settings(m), &sample, events);
        for (size_t i = 0; i < n; i++) {
                const PressureEvent *e = &events[i];

                if (e->kind == PRESSURE_EVENT_COUNTER) {
                        log_counter(e);
                        continue;
                }
                log_level(m, e);
                bus_manager_emit_pressure_changed(m, pressure_resource_to_string(e->resource),
                                                  pressure_level_to_string(e->to), e->ratio);
        }
        grow_conntrack(m);
        if (m->metrics_usec == 0 || now >= m->metrics_usec + m->settings.metrics_interval_ms * 1000u)
                pressure_watch_write_metrics(m, now);
}

bool pressure_watch_verify(Manager *m, Report *findings, char **failed) {
        const WatchSettings *w = pressure_watch_settings(m);
        _cleanup_free_ char *list = NULL;
        size_t list_len = 0;
        bool ok = true;

        if (!m->sampler_started)
                return true; /* not watching (a unit test's manager without event loop) */
        if (!m->pressure.have_previous)
                pressure_watch_sample(m, now_usec());

        FILE *f = open_memstream(&list, &list_len);
        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++) {
                const ResourceState *rs = &m->pressure.resources[r];
                char item[32], expected[32], actual[160];

                snprintf(item, sizeof item, "pressure:%s", pressure_resource_to_string(r));
                snprintf(expected, sizeof expected, "< %g%%", w->thresholds[r].critical);
                if (rs->level == PRESSURE_ABSENT)
                        snprintf(actual, sizeof actual, "-");
                else
                        describe(&m->pressure, r, actual, sizeof actual);
                (void) report_add(findings, item, expected, actual, pressure_level_to_string(rs->level));
                if (rs->level == PRESSURE_CRITICAL) {
                        if (f)
                                fprintf(f, "%s%s=critical", ok ? "" : ", ", pressure_resource_to_string(r));
                        ok = false;
                }
        }
        if (f)
                fclose(f);
        if (!ok && failed)
                *failed = TAKE_PTR(list);
        return ok;
}
