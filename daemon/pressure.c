/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pressure.c - levels with hysteresis and drop-counter alerts, from a sequence of samples. No I/O. */
#include <errno.h>
#include <string.h>

#include "pressure.h"
#include "util/util.h"

static const char *const resource_names[_PRESSURE_RESOURCE_MAX] = {
        [PRESSURE_CONNTRACK] = "conntrack",
        [PRESSURE_BACKLOG] = "backlog",
        [PRESSURE_PORTS] = "ports",
        [PRESSURE_FDS] = "fds",
};

const char *pressure_resource_to_string(PressureResource r) {
        return r >= 0 && r < _PRESSURE_RESOURCE_MAX ? resource_names[r] : NULL;
}

PressureResource pressure_resource_from_string(const char *s) {
        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++)
                if (streq(resource_names[r], s))
                        return r;
        return _PRESSURE_RESOURCE_INVALID;
}

static const char *const level_names[_PRESSURE_LEVEL_MAX] = {
        [PRESSURE_ABSENT] = "absent",
        [PRESSURE_OK] = "ok",
        [PRESSURE_WARN] = "warn",
        [PRESSURE_CRITICAL] = "critical",
};

const char *pressure_level_to_string(PressureLevel l) {
        return l >= 0 && l < _PRESSURE_LEVEL_MAX ? level_names[l] : NULL;
}

typedef struct CounterKind {
        const char *name;
        PressureResource resource;
        PressureLevel level; /* what an increase raises the resource to */
} CounterKind;

static const CounterKind counter_table[_PRESSURE_COUNTER_MAX] = {
        [COUNTER_CONNTRACK_DROP] = { "drop", PRESSURE_CONNTRACK, PRESSURE_CRITICAL },
        [COUNTER_CONNTRACK_EARLY_DROP] = { "early_drop", PRESSURE_CONNTRACK, PRESSURE_CRITICAL },
        [COUNTER_CONNTRACK_INSERT_FAILED] = { "insert_failed", PRESSURE_CONNTRACK, PRESSURE_CRITICAL },
        [COUNTER_LISTEN_OVERFLOWS] = { "listen_overflows", PRESSURE_BACKLOG, PRESSURE_CRITICAL },
        [COUNTER_LISTEN_DROPS] = { "listen_drops", PRESSURE_BACKLOG, PRESSURE_CRITICAL },
        [COUNTER_SYN_QUEUE_DROPS] = { "syn_queue_drops", PRESSURE_BACKLOG, PRESSURE_CRITICAL },
        [COUNTER_SYN_QUEUE_COOKIES] = { "syn_queue_cookies", PRESSURE_BACKLOG, PRESSURE_WARN },
};

const char *pressure_counter_to_string(PressureCounter c) {
        return c >= 0 && c < _PRESSURE_COUNTER_MAX ? counter_table[c].name : NULL;
}

PressureResource pressure_counter_resource(PressureCounter c) {
        return c >= 0 && c < _PRESSURE_COUNTER_MAX ? counter_table[c].resource : _PRESSURE_RESOURCE_INVALID;
}

void watch_settings_init(WatchSettings *w) {
        *w = (WatchSettings) {
                .thresholds = {
                        [PRESSURE_CONNTRACK] = { 75, 90 },
                        [PRESSURE_BACKLOG] = { 50, 90 },
                        [PRESSURE_PORTS] = { 75, 90 },
                        [PRESSURE_FDS] = { 80, 95 },
                },
                .hysteresis = WATCH_HYSTERESIS_DEFAULT,
                .hold_usec = WATCH_HOLD_SEC_DEFAULT * 1000000u,
                .growth_above = WATCH_GROWTH_ABOVE_DEFAULT,
                .growth_max = WATCH_GROWTH_MAX_DEFAULT,
                .growth_memory_percent = WATCH_GROWTH_MEMORY_PERCENT_DEFAULT,
        };
}

void pressure_state_init(PressureState *s) {
        *s = (PressureState) {};
        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++)
                s->resources[r].level = PRESSURE_ABSENT;
}

static double ratio_of(uint64_t used, uint64_t limit) {
        if (limit == 0)
                return used > 0 ? 1.0 : 0.0;
        return (double) used / (double) limit;
}

/* used and limit of each resource from a sample; false when it could not be measured */
static bool measure(const PressureSample *s, PressureResource r, uint64_t *used, uint64_t *limit) {
        switch (r) {
        case PRESSURE_CONNTRACK:
                *used = s->conntrack.entries;
                *limit = s->conntrack.max;
                return s->conntrack.present;
        case PRESSURE_BACKLOG:
                /* the fullest accept queue; with no listener, nothing can overflow */
                *used = s->backlog.queued;
                *limit = s->backlog.backlog;
                return s->have_backlog;
        case PRESSURE_PORTS:
                if (!s->have_sockstat || s->port_hi < s->port_lo || s->port_lo == 0)
                        return false;
                *limit = (uint64_t) s->port_hi - s->port_lo + 1;
                /* every TCP socket of the namespace bounds the ports taken from above; once that passes the
                 * warn level, the count towards the busiest destination is the real figure */
                *used = s->have_destinations ? s->top_destination.sockets : s->sockstat.tcp_inuse + s->sockstat.tcp_tw;
                return true;
        case PRESSURE_FDS:
                *used = s->files.allocated - s->files.unused;
                *limit = s->files.max;
                return s->have_files;
        default:
                return false;
        }
}

static PressureLevel level_for(const WatchThresholds *t, double percent) {
        if (percent >= t->critical)
                return PRESSURE_CRITICAL;
        if (percent >= t->warn)
                return PRESSURE_WARN;
        return PRESSURE_OK;
}

/* The level for percent, given the current one: up at once, down only past the hysteresis band. */
static PressureLevel next_level(const WatchThresholds *t, double hysteresis, PressureLevel current, double percent) {
        PressureLevel raw = level_for(t, percent);

        if (raw >= current || current == PRESSURE_ABSENT)
                return raw;
        /* falling: leave each level only when clearly below its threshold */
        if (current == PRESSURE_CRITICAL && percent > t->critical - hysteresis)
                return PRESSURE_CRITICAL;
        if (current >= PRESSURE_WARN && percent > t->warn - hysteresis)
                return PRESSURE_WARN;
        return raw;
}

static bool counter_value(const PressureSample *s, PressureCounter c, uint64_t *ret) {
        switch (c) {
        case COUNTER_CONNTRACK_DROP:
                *ret = s->conntrack.drop;
                break;
        case COUNTER_CONNTRACK_EARLY_DROP:
                *ret = s->conntrack.early_drop;
                break;
        case COUNTER_CONNTRACK_INSERT_FAILED:
                *ret = s->conntrack.insert_failed;
                break;
        case COUNTER_LISTEN_OVERFLOWS:
                *ret = s->listen.listen_overflows;
                break;
        case COUNTER_LISTEN_DROPS:
                *ret = s->listen.listen_drops;
                break;
        case COUNTER_SYN_QUEUE_DROPS:
                *ret = s->listen.req_q_full_drop;
                break;
        case COUNTER_SYN_QUEUE_COOKIES:
                *ret = s->listen.req_q_full_do_cookies;
                break;
        default:
                return false;
        }
        /* the /proc fallback of conntrack has no counters */
        if (counter_table[c].resource == PRESSURE_CONNTRACK)
                return s->conntrack.present && s->conntrack.from_netlink;
        return s->have_listen;
}

size_t pressure_update(PressureState *s, const WatchSettings *w, const PressureSample *sample,
                       PressureEvent *events) {
        size_t n = 0;

        for (PressureCounter c = 0; c < _PRESSURE_COUNTER_MAX; c++) {
                uint64_t v;

                if (!counter_value(sample, c, &v)) {
                        s->counters_known[c] = false;
                        continue;
                }
                if (s->counters_known[c] && v > s->counters[c]) {
                        ResourceState *rs = &s->resources[counter_table[c].resource];

                        events[n++] = (PressureEvent) {
                                .kind = PRESSURE_EVENT_COUNTER,
                                .resource = counter_table[c].resource,
                                .counter = c,
                                .delta = v - s->counters[c],
                                .total = v,
                                .interval_usec = s->have_previous && sample->usec > s->previous.usec ?
                                                         sample->usec - s->previous.usec : 0,
                        };
                        rs->hold_until[counter_table[c].level] = sample->usec + w->hold_usec;
                }
                s->counters[c] = v;
                s->counters_known[c] = true;
        }

        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++) {
                ResourceState *rs = &s->resources[r];
                PressureLevel level;
                uint64_t used = 0, limit = 0;

                if (!measure(sample, r, &used, &limit)) {
                        level = PRESSURE_ABSENT;
                        rs->ratio = 0;
                        rs->used = rs->limit = 0;
                } else {
                        rs->ratio = ratio_of(used, limit);
                        rs->used = used;
                        rs->limit = limit;
                        level = next_level(&w->thresholds[r], w->hysteresis, rs->level, rs->ratio * 100.0);
                }
                /* a recent counter increase keeps its level, even when the ratio cannot be measured */
                for (PressureLevel l = PRESSURE_CRITICAL; l > level; l--)
                        if (sample->usec < rs->hold_until[l]) {
                                level = l;
                                break;
                        }

                if (level != rs->level) {
                        events[n++] = (PressureEvent) {
                                .kind = PRESSURE_EVENT_LEVEL,
                                .resource = r,
                                .from = rs->level,
                                .to = level,
                                .ratio = rs->ratio,
                        };
                        rs->level = level;
                }
        }

        s->previous = *sample;
        s->have_previous = true;
        return n;
}

PressureLevel pressure_worst(const PressureState *s) {
        PressureLevel worst = PRESSURE_ABSENT;

        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++)
                worst = MAX(worst, s->resources[r].level);
        return worst;
}

uint64_t pressure_growth_target(const WatchSettings *w, uint64_t entries, uint64_t max, uint64_t memory_bytes) {
        if (!w->growth_enabled || max == 0)
                return 0;
        if (ratio_of(entries, max) * 100.0 < w->growth_above)
                return 0;

        uint64_t ceiling = w->growth_max;
        if (memory_bytes > 0) {
                uint64_t by_memory = (uint64_t) ((double) memory_bytes * w->growth_memory_percent / 100.0) /
                                     CONNTRACK_ENTRY_BYTES;
                ceiling = MIN(ceiling, by_memory);
        }
        uint64_t target = max > UINT64_MAX / 2 ? UINT64_MAX : max * 2;
        target = MIN(target, ceiling);
        return target > max ? target : 0;
}

uint64_t pressure_hashsize_for(uint64_t max) {
        return MAX(max / 4, (uint64_t) 1);
}
