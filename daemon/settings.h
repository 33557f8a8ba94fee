/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* settings.h - daemon settings from /etc/wstuned/wstuned.json. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SETTINGS_SIZE_MAX (16u * 1024u)
#define SETTINGS_POLL_INTERVAL_MS_DEFAULT 1000u
#define SETTINGS_POLL_INTERVAL_MS_MIN 100u
#define SETTINGS_POLL_INTERVAL_MS_MAX 3600000u

#define SETTINGS_FIGHT_CORRECTIONS_DEFAULT 5u
#define SETTINGS_FIGHT_CORRECTIONS_MAX 64u
#define SETTINGS_FIGHT_WINDOW_MS_DEFAULT 60000u
#define SETTINGS_FIGHT_BACKOFF_MS_DEFAULT 60000u
#define SETTINGS_FIGHT_BACKOFF_MAX_MS_DEFAULT 3600000u
#define SETTINGS_METRICS_INTERVAL_MS_DEFAULT 15000u /* node_exporter's usual scrape interval */
#define SETTINGS_METRICS_INTERVAL_MS_MIN 1000u
#define SETTINGS_MS_MAX 86400000u /* one day: the ceiling of every duration setting */

typedef struct Settings {
        char *profile;             /* profile to apply when none was chosen with Apply; NULL = none */
        uint64_t poll_interval_ms; /* drift poll interval */
        unsigned fight_corrections;  /* more corrections of one key within fight_window_ms is a fight */
        uint64_t fight_window_ms;
        uint64_t fight_backoff_ms;     /* first back-off from a fight; doubles each round */
        uint64_t fight_backoff_max_ms; /* ceiling of the back-off */
        char *metrics_path;            /* NULL: METRICS_PATH_DEFAULT; "": write no metrics */
        uint64_t metrics_interval_ms;  /* how often the metrics file is written */
} Settings;

void settings_init(Settings *s);

/* The metrics file to write, "" for none. */
const char *settings_metrics_path(const Settings *s);
/* An absolute path without empty, "." or ".." components and without control characters. */
bool settings_path_is_valid(const char *path);
void settings_done(Settings *s);

int settings_parse(const char *origin, const char *buf, size_t size, Settings *ret, char **ret_error);

/* A missing file gives the defaults. */
int settings_load(const char *path, Settings *ret, char **ret_error);
