/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sampler.h - one pressure sample: the reads behind a PressureSample, with their sockets kept open. */
#pragma once

#include "conntrack.h"
#include "pressure.h"
#include "sockdiag.h"

#define SAMPLER_DESTINATIONS_INTERVAL_USEC (10u * 1000000u) /* the per-destination count, at most this often */
#define SAMPLER_DESTINATIONS_MAX_AGE_USEC (300u * 1000000u) /* and at least this often while it is wanted */

typedef struct Sampler {
        char *proc;     /* <kernel root>/proc */
        char *proc_sys; /* <kernel root>/proc/sys */
        Conntrack *conntrack; /* NULL: ctnetlink unusable, the /proc/sys fallback is read */
        SockDiag *sockdiag;   /* NULL: no listen backlog, no per-destination count */
        int errors[5];        /* the last error of each source, to log a failure once, not every second */
        uint64_t destinations_usec; /* when the per-destination count was last taken */
        DestinationCount destinations;
        bool have_destinations;
        uint64_t destinations_opens; /* TCP ActiveOpens (/proc/net/snmp) when it was taken */
        bool have_destinations_opens;
} Sampler;

/* Open the sockets; one that cannot be opened is logged and its figures come from elsewhere or not at all. */
int sampler_init(Sampler *s, const char *kernel_root);
void sampler_done(Sampler *s);

/* Read everything at now (CLOCK_MONOTONIC µs). Ports: the per-destination count is wanted when all TCP
 * sockets over the port range reach w's ports warn threshold. It is not taken again while the last count plus
 * the connect()s made since (ActiveOpens) stays below that threshold (a server's inbound sockets hold no
 * ephemeral port, so a busy server is not recounted), but at once when that bound reaches it, and every
 * SAMPLER_DESTINATIONS_INTERVAL_USEC while the count is at warn; at least every
 * SAMPLER_DESTINATIONS_MAX_AGE_USEC. Between counts the sample carries the last count, or the bound when
 * that is below warn. A source that cannot be read leaves its have_* false. Never fails. */
void sampler_read(Sampler *s, const WatchSettings *w, uint64_t now, PressureSample *ret);
