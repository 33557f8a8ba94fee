/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-pressure.c - pressure levels from recorded sample sequences: thresholds, hysteresis, drop counters
 * and their hold, counter resets, absent resources, the per-destination port figure, conntrack growth. */
#include "pressure.h"
#include "test-helpers.h"

#define SEC 1000000u
#define ABS PRESSURE_ABSENT
#define OK PRESSURE_OK
#define WRN PRESSURE_WARN
#define CRIT PRESSURE_CRITICAL

/* One step of a conntrack recording: the table fill and the drop counter, and what must follow. */
typedef struct ConntrackStep {
        uint64_t sec;
        bool absent; /* nf_conntrack not loaded */
        uint64_t entries, max, drop;
        PressureLevel level;   /* conntrack's level after the step */
        size_t n_events;       /* events of this step */
        uint64_t drop_delta;   /* the counter event's delta, 0 = none expected */
} ConntrackStep;

typedef struct Recording {
        const char *name;
        ConntrackStep steps[16];
} Recording;

/* defaults: warn 75, critical 90, hysteresis 5, hold 60 s */
static const Recording recordings[] = {
        { "rise and fall with hysteresis",
          { { 0, false, 100, 1000, 0, OK, 1 },      /* absent -> ok */
            { 1, false, 749, 1000, 0, OK, 0 },
            { 2, false, 750, 1000, 0, WRN, 1 },     /* at the threshold */
            { 3, false, 899, 1000, 0, WRN, 0 },
            { 4, false, 900, 1000, 0, CRIT, 1 },
            { 5, false, 851, 1000, 0, CRIT, 0 },    /* within 5 points of 90: stays */
            { 6, false, 850, 1000, 0, WRN, 1 },     /* 85 is not above 90 - 5 */
            { 7, false, 701, 1000, 0, WRN, 0 },
            { 8, false, 700, 1000, 0, OK, 1 },
            { 9, false, 950, 1000, 0, CRIT, 1 },    /* straight up two levels */
            { 10, false, 100, 1000, 0, OK, 1 } } }, /* and straight down */
        { "a raised max lowers the level",
          { { 0, false, 950, 1000, 0, CRIT, 1 },
            { 1, false, 950, 2000, 0, OK, 1 } } },
        { "drops alert at once and hold critical",
          { { 0, false, 10, 1000, 7, OK, 1 },       /* the first sample is the counters' base: no alert */
            { 1, false, 10, 1000, 7, OK, 0 },
            { 2, false, 10, 1000, 10, CRIT, 2, 3 }, /* +3: counter event and level event */
            { 30, false, 10, 1000, 10, CRIT, 0 },   /* held */
            { 61, false, 10, 1000, 10, CRIT, 0 },   /* 59 s after the increase */
            { 62, false, 10, 1000, 10, OK, 1 },     /* hold over */
            { 63, false, 10, 1000, 11, CRIT, 2, 1 } } },
        { "a counter that goes down is a new base",
          { { 0, false, 10, 1000, 500, OK, 1 },
            { 1, false, 10, 1000, 0, OK, 0 },       /* module reloaded */
            { 2, false, 10, 1000, 2, CRIT, 2, 2 } } },
        { "absent, then loaded, then unloaded",
          { { 0, true, 0, 0, 0, ABS, 0 },
            { 1, true, 0, 0, 0, ABS, 0 },
            { 2, false, 800, 1000, 0, WRN, 1 },
            { 3, true, 0, 0, 0, ABS, 1 } } },
        { "an empty table of size 0 is ok, a used one critical",
          { { 0, false, 0, 0, 0, OK, 1 },
            { 1, false, 1, 0, 0, CRIT, 1 } } },
};

static PressureSample conntrack_sample(const ConntrackStep *st) {
        return (PressureSample) {
                .usec = st->sec * SEC,
                .conntrack = { .present = !st->absent, .from_netlink = true, .entries = st->entries, .max = st->max,
                               .drop = st->drop },
        };
}

START_TEST(test_recordings) {
        const Recording *rec = &recordings[_i];
        WatchSettings w;
        PressureState s;

        watch_settings_init(&w);
        pressure_state_init(&s);
        for (size_t i = 0; i < ELEMENTSOF(rec->steps) && (i == 0 || rec->steps[i].sec > 0); i++) {
                const ConntrackStep *st = &rec->steps[i];
                PressureSample sample = conntrack_sample(st);
                PressureEvent events[PRESSURE_EVENTS_MAX];
                PressureLevel before = s.resources[PRESSURE_CONNTRACK].level;

                size_t n = pressure_update(&s, &w, &sample, events);
                ck_assert_msg(s.resources[PRESSURE_CONNTRACK].level == st->level, "%s, step %zu: level %s, expected %s",
                              rec->name, i, pressure_level_to_string(s.resources[PRESSURE_CONNTRACK].level),
                              pressure_level_to_string(st->level));
                ck_assert_msg(n == st->n_events, "%s, step %zu: %zu events, expected %zu", rec->name, i, n, st->n_events);
                size_t k = 0;
                if (st->drop_delta > 0) {
                        ck_assert_int_eq(events[0].kind, PRESSURE_EVENT_COUNTER);
                        ck_assert_int_eq(events[0].counter, COUNTER_CONNTRACK_DROP);
                        ck_assert_int_eq(events[0].resource, PRESSURE_CONNTRACK);
                        ck_assert_uint_eq(events[0].delta, st->drop_delta);
                        ck_assert_uint_eq(events[0].total, st->drop);
                        ck_assert_uint_eq(events[0].interval_usec, (st->sec - rec->steps[i - 1].sec) * SEC);
                        k = 1;
                }
                if (k < n) {
                        ck_assert_int_eq(events[k].kind, PRESSURE_EVENT_LEVEL);
                        ck_assert_int_eq(events[k].resource, PRESSURE_CONNTRACK);
                        ck_assert_int_eq(events[k].from, before);
                        ck_assert_int_eq(events[k].to, st->level);
                        ck_assert_double_eq_tol(events[k].ratio, s.resources[PRESSURE_CONNTRACK].ratio, 1e-12);
                }
                if (!st->absent)
                        ck_assert_double_eq_tol(s.resources[PRESSURE_CONNTRACK].ratio,
                                                (st->max ? (double) st->entries / (double) st->max : st->entries ? 1.0 : 0.0),
                                                1e-12);
        }
}
END_TEST

/* A real-looking minute of a web server: listen overflows and syncookies on the backlog, the port figure
 * switching to the busiest destination, fds with their own thresholds. */
START_TEST(test_other_resources) {
        PressureEvent events[PRESSURE_EVENTS_MAX];
        WatchSettings w;
        PressureState s;

        watch_settings_init(&w);
        pressure_state_init(&s);
        PressureSample sample = {
                .usec = 1 * SEC,
                .have_listen = true,
                .listen = { .listen_overflows = 100, .listen_drops = 100 },
                .have_backlog = true,
                .backlog = { .queued = 10, .backlog = 4096, .listeners = 2 },
                .have_sockstat = true,
                .sockstat = { .tcp_inuse = 20000, .tcp_tw = 3000 },
                .port_lo = 32768,
                .port_hi = 60999,
                .have_files = true,
                .files = { .allocated = 1000, .unused = 0, .max = 100000 },
        };
        /* conntrack absent; the rest ok, but ports: 23000 / 28232 = 81% */
        size_t n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(s.resources[PRESSURE_CONNTRACK].level, ABS);
        ck_assert_int_eq(s.resources[PRESSURE_BACKLOG].level, OK);
        ck_assert_int_eq(s.resources[PRESSURE_PORTS].level, WRN);
        ck_assert_uint_eq(s.resources[PRESSURE_PORTS].used, 23000);
        ck_assert_uint_eq(s.resources[PRESSURE_PORTS].limit, 28232);
        ck_assert_int_eq(s.resources[PRESSURE_FDS].level, OK);
        ck_assert_uint_eq(s.resources[PRESSURE_FDS].used, 1000);

        /* above warn the daemon counted per destination: 9000 towards one, so ports go back to ok */
        sample.usec = 2 * SEC;
        sample.have_destinations = true;
        sample.top_destination = (DestinationCount) { .sockets = 9000, .total = 23000 };
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(events[0].resource, PRESSURE_PORTS);
        ck_assert_int_eq(events[0].to, OK);
        ck_assert_uint_eq(s.resources[PRESSURE_PORTS].used, 9000);

        /* overflows: both counters alert, the backlog turns critical; the queue itself is fine */
        sample.usec = 3 * SEC;
        sample.listen.listen_overflows = 112;
        sample.listen.listen_drops = 115;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(events[0].counter, COUNTER_LISTEN_OVERFLOWS);
        ck_assert_uint_eq(events[0].delta, 12);
        ck_assert_int_eq(events[1].counter, COUNTER_LISTEN_DROPS);
        ck_assert_uint_eq(events[1].delta, 15);
        ck_assert_int_eq(events[2].kind, PRESSURE_EVENT_LEVEL);
        ck_assert_int_eq(events[2].to, CRIT);

        /* syncookies hold warn, under the critical hold until that ends (60 s after the overflows) */
        sample.usec = 50 * SEC;
        sample.listen.req_q_full_do_cookies = 1;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(events[0].counter, COUNTER_SYN_QUEUE_COOKIES);
        ck_assert_int_eq(s.resources[PRESSURE_BACKLOG].level, CRIT);
        sample.usec = 64 * SEC;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(events[0].to, WRN);
        sample.usec = 109 * SEC;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 0);
        sample.usec = 110 * SEC; /* the syncookie hold ends 60 s after it began */
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(events[0].to, OK);

        /* a full accept queue is critical by itself; fds at 96% are critical too */
        sample.usec = 113 * SEC;
        sample.backlog.queued = 4096;
        sample.files.allocated = 96000;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 2);
        ck_assert_int_eq(s.resources[PRESSURE_BACKLOG].level, CRIT);
        ck_assert_int_eq(s.resources[PRESSURE_FDS].level, CRIT);
        ck_assert_int_eq(pressure_worst(&s), CRIT);

        /* sources gone: absent, and the counters start again from their next value */
        sample.usec = 114 * SEC;
        sample.have_listen = sample.have_backlog = sample.have_sockstat = sample.have_files = false;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(pressure_worst(&s), ABS);
        sample.usec = 115 * SEC;
        sample.have_listen = true;
        sample.listen.listen_overflows = 500;
        n = pressure_update(&s, &w, &sample, events);
        ck_assert_uint_eq(n, 0);
}
END_TEST

/* The /proc fallback of conntrack has no counters: no alert however the zeros look. */
START_TEST(test_fallback_has_no_counters) {
        PressureEvent events[PRESSURE_EVENTS_MAX];
        WatchSettings w;
        PressureState s;

        watch_settings_init(&w);
        pressure_state_init(&s);
        PressureSample sample = { .usec = SEC, .conntrack = { .present = true, .entries = 1, .max = 10, .drop = 4 } };
        ck_assert_uint_eq(pressure_update(&s, &w, &sample, events), 1);
        sample.usec = 2 * SEC;
        sample.conntrack.drop = 9;
        ck_assert_uint_eq(pressure_update(&s, &w, &sample, events), 0);
        ck_assert(!s.counters_known[COUNTER_CONNTRACK_DROP]);
}
END_TEST

typedef struct GrowthCase {
        bool enabled;
        uint64_t entries, max, memory, growth_max;
        uint64_t expected;
} GrowthCase;

#define GIB (1024ull * 1024 * 1024)

static const GrowthCase growth_cases[] = {
        { false, 1000, 1000, 8 * GIB, 4194304, 0 },   /* off */
        { true, 799, 1000, 8 * GIB, 4194304, 0 },     /* below 80% */
        { true, 800, 1000, 8 * GIB, 4194304, 2000 },  /* doubles */
        { true, 262144, 262144, 8 * GIB, 4194304, 524288 },
        { true, 3000000, 3000000, 64 * GIB, 4194304, 4194304 }, /* capped by max */
        { true, 4194304, 4194304, 64 * GIB, 4194304, 0 },       /* at the cap */
        { true, 900, 1000, 1 * GIB, 4194304, 2000 },            /* 10% of 1 GiB = 335544 entries: room to grow */
        { true, 300000, 300000, 1 * GIB, 4194304, 335544 },     /* capped by memory */
        { true, 400000, 400000, 1 * GIB, 4194304, 0 },          /* already above what memory allows */
        { true, 10, 0, 1 * GIB, 4194304, 0 },                   /* max 0: nothing to double */
};

START_TEST(test_growth) {
        const GrowthCase *c = &growth_cases[_i];
        WatchSettings w;

        watch_settings_init(&w);
        w.growth_enabled = c->enabled;
        w.growth_max = c->growth_max;
        ck_assert_uint_eq(pressure_growth_target(&w, c->entries, c->max, c->memory), c->expected);
}
END_TEST

START_TEST(test_names) {
        ck_assert_str_eq(pressure_resource_to_string(PRESSURE_BACKLOG), "backlog");
        ck_assert_int_eq(pressure_resource_from_string("fds"), PRESSURE_FDS);
        ck_assert_int_eq(pressure_resource_from_string("disk"), _PRESSURE_RESOURCE_INVALID);
        ck_assert_ptr_null(pressure_resource_to_string(_PRESSURE_RESOURCE_MAX));
        ck_assert_str_eq(pressure_level_to_string(CRIT), "critical");
        ck_assert_ptr_null(pressure_level_to_string(_PRESSURE_LEVEL_MAX));
        ck_assert_str_eq(pressure_counter_to_string(COUNTER_SYN_QUEUE_DROPS), "syn_queue_drops");
        ck_assert_int_eq(pressure_counter_resource(COUNTER_CONNTRACK_INSERT_FAILED), PRESSURE_CONNTRACK);
        ck_assert_uint_eq(pressure_hashsize_for(262144), 65536);
        ck_assert_uint_eq(pressure_hashsize_for(3), 1);
}
END_TEST

int main(void) {
        Suite *s = suite_create("pressure");
        TCase *tc = tcase_create("core");

        tcase_add_loop_test(tc, test_recordings, 0, ELEMENTSOF(recordings));
        tcase_add_test(tc, test_other_resources);
        tcase_add_test(tc, test_fallback_has_no_counters);
        tcase_add_loop_test(tc, test_growth, 0, ELEMENTSOF(growth_cases));
        tcase_add_test(tc, test_names);
        suite_add_tcase(s, tc);
        return test_main(s);
}
