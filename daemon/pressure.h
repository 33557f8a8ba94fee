/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pressure.h - how close the host is to its four connection limits, as levels with hysteresis.
 *
 * A PressureSample is what one look at the kernel found (sampler.c reads it); pressure_update() turns a
 * sequence of samples into per-resource levels and the events worth telling about: a level change, or a
 * drop counter that went up. This file does no I/O, so recorded sequences drive it in the unit tests. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conntrack.h"
#include "netstat.h"
#include "sockdiag.h"

typedef enum PressureResource {
        PRESSURE_CONNTRACK, /* conntrack table: entries / nf_conntrack_max */
        PRESSURE_BACKLOG,   /* listen backlog: the fullest accept queue, and the listen drop counters */
        PRESSURE_PORTS,     /* local ports: TCP sockets (per destination above warn) / ip_local_port_range */
        PRESSURE_FDS,       /* file descriptors: fs.file-nr / fs.file-max */
        _PRESSURE_RESOURCE_MAX,
        _PRESSURE_RESOURCE_INVALID = -22,
} PressureResource;

const char *pressure_resource_to_string(PressureResource r);
PressureResource pressure_resource_from_string(const char *s);

typedef enum PressureLevel {
        PRESSURE_ABSENT,   /* cannot be measured: nf_conntrack not loaded, a file missing */
        PRESSURE_OK,
        PRESSURE_WARN,
        PRESSURE_CRITICAL,
        _PRESSURE_LEVEL_MAX,
        _PRESSURE_LEVEL_INVALID = -22,
} PressureLevel;

const char *pressure_level_to_string(PressureLevel l);

/* Thresholds, in percent of the limit. The profile's "watch" section sets them (profile.c). */
typedef struct WatchThresholds {
        double warn, critical; /* 0 < warn < critical <= 1000 */
} WatchThresholds;

typedef struct WatchSettings {
        WatchThresholds thresholds[_PRESSURE_RESOURCE_MAX];
        double hysteresis;  /* percent points: a level is left when the ratio is this far below its threshold */
        uint64_t hold_usec; /* a drop counter's increase holds its level this long after the last increase */
        /* conntrack growth (off unless growth_enabled): above growth_above percent, double nf_conntrack_max up
         * to growth_max entries and growth_memory_percent of RAM at CONNTRACK_ENTRY_BYTES each */
        bool growth_enabled;
        double growth_above;
        uint64_t growth_max;
        double growth_memory_percent;
} WatchSettings;

#define WATCH_HYSTERESIS_DEFAULT 5.0
#define WATCH_HOLD_SEC_DEFAULT 60u
#define WATCH_GROWTH_ABOVE_DEFAULT 80.0
#define WATCH_GROWTH_MAX_DEFAULT 4194304u
#define WATCH_GROWTH_MEMORY_PERCENT_DEFAULT 10.0
#define CONNTRACK_ENTRY_BYTES 320u /* one entry (struct nf_conn and its extensions) on 64-bit */

/* The defaults (documented in wstuned.profile(5)): conntrack 75/90 (the seed plans the table for 75% use),
 * backlog 50/90, ports 75/90, fds 80/95; hysteresis 5 points; hold 60 s; growth off. */
void watch_settings_init(WatchSettings *w);

/* One look at the kernel. A have_* flag false (or conntrack.present false) means that part could not be
 * read this time; the resource is then absent. */
typedef struct PressureSample {
        uint64_t usec; /* CLOCK_MONOTONIC when taken */
        ConntrackStats conntrack;
        bool have_listen;
        ListenCounters listen; /* /proc/net/netstat */
        bool have_backlog;
        ListenFill backlog; /* the listener whose accept queue is fullest (sock_diag) */
        bool have_sockstat;
        SockStat sockstat; /* /proc/net/sockstat */
        uint32_t port_lo, port_hi; /* net.ipv4.ip_local_port_range */
        bool have_destinations; /* the per-destination count was taken (ports above warn) */
        DestinationCount top_destination; /* the remote address:port with most local ports */
        bool have_files;
        FileNr files; /* /proc/sys/fs/file-nr */
} PressureSample;

typedef struct ResourceState {
        PressureLevel level;
        double ratio;          /* used / limit, may exceed 1; 0 when absent */
        uint64_t used, limit;  /* what the ratio is made of */
        uint64_t hold_until[_PRESSURE_LEVEL_MAX]; /* CLOCK_MONOTONIC µs: a counter increase holds a level */
} ResourceState;

/* The drop counters that alert at once when they go up. */
typedef enum PressureCounter {
        COUNTER_CONNTRACK_DROP,          /* new connection refused: table full (ctnetlink drop) */
        COUNTER_CONNTRACK_EARLY_DROP,    /* an unassured entry evicted to make room */
        COUNTER_CONNTRACK_INSERT_FAILED, /* entry could not be inserted (clash, or table full) */
        COUNTER_LISTEN_OVERFLOWS,        /* accept queue full: ListenOverflows */
        COUNTER_LISTEN_DROPS,            /* SYN dropped on a listener: ListenDrops */
        COUNTER_SYN_QUEUE_DROPS,         /* SYN queue full, no syncookies: TCPReqQFullDrop */
        COUNTER_SYN_QUEUE_COOKIES,       /* SYN queue full, answered with a syncookie: TCPReqQFullDoCookies */
        _PRESSURE_COUNTER_MAX,
        _PRESSURE_COUNTER_INVALID = -22,
} PressureCounter;

const char *pressure_counter_to_string(PressureCounter c); /* "drop", "listen_overflows", ... */
PressureResource pressure_counter_resource(PressureCounter c);

typedef struct PressureState {
        ResourceState resources[_PRESSURE_RESOURCE_MAX];
        bool have_previous;
        PressureSample previous; /* the last sample, for counter deltas */
        uint64_t counters[_PRESSURE_COUNTER_MAX]; /* latest absolute values */
        bool counters_known[_PRESSURE_COUNTER_MAX];
} PressureState;

void pressure_state_init(PressureState *s);

typedef enum PressureEventKind {
        PRESSURE_EVENT_LEVEL,   /* a resource changed level: from -> to */
        PRESSURE_EVENT_COUNTER, /* a drop counter went up by delta since the previous sample */
} PressureEventKind;

typedef struct PressureEvent {
        PressureEventKind kind;
        PressureResource resource;
        PressureLevel from, to; /* LEVEL */
        double ratio;           /* LEVEL: the ratio that caused it */
        PressureCounter counter; /* COUNTER */
        uint64_t delta, total;   /* COUNTER */
        uint64_t interval_usec;  /* COUNTER: time since the previous sample */
} PressureEvent;

#define PRESSURE_EVENTS_MAX (_PRESSURE_RESOURCE_MAX + _PRESSURE_COUNTER_MAX)

/* Fold a sample into the state. Writes at most PRESSURE_EVENTS_MAX events (counter increases first, then
 * level changes) and returns how many. Levels:
 *   - rise at once to the highest threshold the ratio reaches;
 *   - fall only when the ratio is below the lower threshold by more than hysteresis points (critical to
 *     warn, or straight to ok), and not while a counter increase holds them;
 *   - a counter increase raises its resource to critical (to warn for syncookies) for hold_usec.
 * A counter that went down (module reloaded, counters reset) is taken as the new base, without an event.
 * The first sample only sets the base of the counters. */
size_t pressure_update(PressureState *s, const WatchSettings *w, const PressureSample *sample,
                       PressureEvent *events);

/* The worst level over all resources. */
PressureLevel pressure_worst(const PressureState *s);

/* Conntrack growth: the nf_conntrack_max to set, or 0 for "leave it". Grows (doubles) when growth is enabled
 * and entries / max reached growth_above percent; never above growth_max nor growth_memory_percent of
 * memory_bytes at CONNTRACK_ENTRY_BYTES per entry, never below the current max. */
uint64_t pressure_growth_target(const WatchSettings *w, uint64_t entries, uint64_t max, uint64_t memory_bytes);
/* The hash table size for a table of max entries: max / 4, as kube-proxy sets it, at least 1. */
uint64_t pressure_hashsize_for(uint64_t max);
