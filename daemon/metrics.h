/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics.h - Prometheus text exposition of wstuned's state, for node_exporter's textfile collector. */
#pragma once

#include <stdint.h>

#include "manager.h"
#include "pressure.h"

#define METRICS_PATH_DEFAULT "/var/lib/prometheus/node-exporter/wstuned.prom"

typedef struct MetricsInput {
        const char *version;
        const char *profile; /* NULL or "" when no profile is active */
        const char *state;   /* manager state: "ok", "pending", "degraded", "inactive" */
        uint64_t drift_corrections;
        uint64_t pending_keys;
        const PressureState *pressure; /* resources[] and counters[]; previous is the last sample */
        uint64_t keys_by_state[_KEY_STATE_MAX]; /* the active profile's keys per KeyState; all 0 without one */
} MetricsInput;

/* The whole file's text (HELP and TYPE lines, then samples; one family after another, every line ended by
 * "\n"). Label values are escaped as the exposition format says (\\, \", \n). */
int metrics_render(const MetricsInput *in, char **ret);

/* Render and write to path atomically (a temporary file in the same directory, fsync, rename), mode 0644.
 * A missing directory is -ENOENT: wstuned does not create node_exporter's directory. Returns 1 when written,
 * 0 when the file already had this content: then only its mtime is brought forward, since node_exporter's
 * node_textfile_mtime_seconds is how a stale writer is noticed. On any failure the old file stays. */
int metrics_write(const char *path, const MetricsInput *in);

/* value as a label value of the exposition format: a backslash, a double quote and a newline become \\, \"
 * and \n; everything else is kept. -EINVAL when value is not UTF-8, which the format requires. */
int metrics_escape_label(const char *value, char **ret);
