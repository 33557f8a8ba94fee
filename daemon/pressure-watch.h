/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* pressure-watch.h - the daemon's pressure monitor: samples on the poll timer, levels, alerts, conntrack
 * growth, metrics file, Verify findings. */
#pragma once

#include "manager.h"

#define CONNTRACK_MAX_PATH "net/netfilter/nf_conntrack_max" /* relative to /proc/sys */
#define CONNTRACK_BUCKETS_PATH "net/netfilter/nf_conntrack_buckets" /* the hash table: hashsize */

/* Open the sampler's sockets. */
int pressure_watch_start(Manager *m);
void pressure_watch_stop(Manager *m);

/* The thresholds in force: the active profile's, or the defaults. */
const WatchSettings *pressure_watch_settings(const Manager *m);

/* Take a sample at now (CLOCK_MONOTONIC µs), log and signal what changed, grow the conntrack table when the
 * profile asks for it, and write the metrics file when it is due. */
void pressure_watch_sample(Manager *m, uint64_t now);

/* A finding per resource (item "pressure:<resource>"), none before pressure_watch_start(); false when one
 * is critical. *failed gets the
 * critical ones, "conntrack=critical, ...", for the journal. */
bool pressure_watch_verify(Manager *m, Report *findings, char **failed);

/* Write the metrics file now (also after Apply/Revert, so the profile info is current). */
void pressure_watch_write_metrics(Manager *m, uint64_t now);
