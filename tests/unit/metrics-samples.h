/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics-samples.h - hand-filled MetricsInput/PressureState cases, shared by test-metrics.c (golden texts,
 * the format checker) and metrics-sample.c (what promtool lints). */
#pragma once

#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "metrics.h"
#include "util/util.h"

#define FILE_MAX_DEBIAN 9223372036854775807u /* fs.file-max on Debian 12 (LONG_MAX) */

/* Every part present: conntrack from ctnetlink with counters, an IPv6 listener, a top destination; keys ok,
 * pending and unmanaged. */
static inline void metrics_sample_full(MetricsInput *in, PressureState *s) {
        *s = (PressureState) {
                .resources = {
                        [PRESSURE_CONNTRACK] = { PRESSURE_WARN, 0.75, 49152, 65536 },
                        [PRESSURE_BACKLOG] = { PRESSURE_CRITICAL, 0.9375, 120, 128 },
                        [PRESSURE_PORTS] = { PRESSURE_OK, 1200.0 / 28232.0, 1200, 28232 },
                        [PRESSURE_FDS] = { PRESSURE_OK, 5000 / (double) FILE_MAX_DEBIAN, 5000,
                                           FILE_MAX_DEBIAN },
                },
                .have_previous = true,
                .previous = {
                        .usec = 123456789,
                        .conntrack = { true, true, 49152, 65536, 1, 2, 3, 4, 5, 6, 7, 8, 9, UINT64_MAX },
                        .have_listen = true,
                        .listen = { 11, 12, 13, 14 },
                        .have_backlog = true,
                        .backlog = { { AF_INET6, { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, 8080 }, 120, 128, 3 },
                        .have_sockstat = true,
                        .sockstat = { .tcp_inuse = 1000, .tcp_tw = 200, .tcp_orphan = 2,
                                      .sockets_used = 1100 },
                        .port_lo = 32768,
                        .port_hi = 60999,
                        .have_destinations = true,
                        .top_destination = { { AF_INET, { 192, 0, 2, 10 }, 443 }, 900, 1100 },
                        .have_files = true,
                        .files = { 5000, 0, FILE_MAX_DEBIAN },
                },
        };
        *in = (MetricsInput) { "0.1.0", "websocket-server", "ok", 3, 1, s };
        in->keys_by_state[KEY_STATE_OK] = 12;
        in->keys_by_state[KEY_STATE_PENDING] = 1;
        in->keys_by_state[KEY_STATE_UNMANAGED] = 2;
}

/* conntrack from the /proc fallback (no counters), an IPv4 listener, the longest destination text; a
 * profile that does not hold (drifted, fighting and error keys). */
static inline void metrics_sample_fallback(MetricsInput *in, PressureState *s) {
        metrics_sample_full(in, s);
        s->resources[PRESSURE_CONNTRACK] = (ResourceState) { PRESSURE_OK, 0.25, 16384, 65536 };
        s->resources[PRESSURE_BACKLOG] = (ResourceState) { PRESSURE_OK, 0, 0, 4096 };
        s->resources[PRESSURE_PORTS] = (ResourceState) { PRESSURE_WARN, 25409 / 28232.0, 25409, 28232 };
        s->previous.conntrack = (ConntrackStats) { .present = true, .entries = 16384, .max = 65536 };
        s->previous.backlog = (ListenFill) { { AF_INET, { 127, 0, 0, 1 }, 80 }, 0, 4096, 1 };
        s->previous.sockstat.tcp_inuse = 25000;
        s->previous.sockstat.tcp_tw = 409;
        s->previous.top_destination = (DestinationCount) { { AF_INET6, {}, 65535 }, 25000, 25409 };
        memset(s->previous.top_destination.remote.addr, 0xff, 16);
        in->state = "degraded";
        in->drift_corrections = 0;
        in->pending_keys = 0;
        in->keys_by_state[KEY_STATE_OK] = 9;
        in->keys_by_state[KEY_STATE_DRIFTED] = 1;
        in->keys_by_state[KEY_STATE_PENDING] = 0;
        in->keys_by_state[KEY_STATE_FIGHTING] = 2;
        in->keys_by_state[KEY_STATE_ERROR] = 1;
}

/* No nf_conntrack, no listen counters, no listener, ports below warn, no profile. */
static inline void metrics_sample_absent(MetricsInput *in, PressureState *s) {
        metrics_sample_full(in, s);
        s->resources[PRESSURE_CONNTRACK] = (ResourceState) { PRESSURE_ABSENT };
        s->resources[PRESSURE_BACKLOG] = (ResourceState) { PRESSURE_ABSENT };
        s->resources[PRESSURE_FDS] = (ResourceState) { PRESSURE_CRITICAL, 0.97, 97000, 100000 };
        s->previous.conntrack = (ConntrackStats) {};
        s->previous.have_listen = false;
        s->previous.backlog = (ListenFill) {};
        s->previous.have_destinations = false;
        s->previous.files = (FileNr) { 97000, 0, 100000 };
        in->profile = NULL;
        in->state = "inactive";
        memset(in->keys_by_state, 0, sizeof in->keys_by_state);
}

/* Before the first sample: every resource absent (an absent resource's ratio is not looked at). */
static inline void metrics_sample_minimal(MetricsInput *in, PressureState *s) {
        *s = (PressureState) {};
        s->resources[PRESSURE_PORTS].ratio = NAN;
        *in = (MetricsInput) { "0.1.0", "", "pending", 0, 2, s };
        in->keys_by_state[KEY_STATE_PENDING] = 2;
}

/* Label values that need escaping: a version string may hold anything. */
static inline void metrics_sample_escaped(MetricsInput *in, PressureState *s) {
        metrics_sample_minimal(in, s);
        in->version = "0.1.0-\"rc1\"\\x\ny";
        in->profile = "web\\socket";
        in->state = "ok";
}

typedef struct MetricsSample {
        const char *name;
        void (*fill)(MetricsInput *in, PressureState *s);
} MetricsSample;

static const MetricsSample metrics_samples[] = {
        { "full", metrics_sample_full },
        { "fallback", metrics_sample_fallback },
        { "absent", metrics_sample_absent },
        { "minimal", metrics_sample_minimal },
        { "escaped", metrics_sample_escaped },
};
