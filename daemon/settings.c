/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* settings.c - daemon settings from /etc/wstuned/wstuned.json, parsed strictly. */
#include <limits.h>

#include "json.h"
#include "metrics.h"
#include "profile.h"
#include "settings.h"

void settings_init(Settings *s) {
        *s = (Settings) {
                .poll_interval_ms = SETTINGS_POLL_INTERVAL_MS_DEFAULT,
                .fight_corrections = SETTINGS_FIGHT_CORRECTIONS_DEFAULT,
                .fight_window_ms = SETTINGS_FIGHT_WINDOW_MS_DEFAULT,
                .fight_backoff_ms = SETTINGS_FIGHT_BACKOFF_MS_DEFAULT,
                .fight_backoff_max_ms = SETTINGS_FIGHT_BACKOFF_MAX_MS_DEFAULT,
                .metrics_interval_ms = SETTINGS_METRICS_INTERVAL_MS_DEFAULT,
        };
}

bool settings_path_is_valid(const char *path) {
        if (path[0] != '/' || strlen(path) >= PATH_MAX || path[strlen(path) - 1] == '/')
                return false;
        for (const char *p = path; *p; p++)
                if ((unsigned char) *p < ' ' || *p == 0x7f)
                        return false;
        /* no empty, "." or ".." components */
        for (const char *c = path + 1; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL) {
                size_t n = strcspn(c, "/");
                if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
                        return false;
        }
        return true;
}

const char *settings_metrics_path(const Settings *s) {
        return s->metrics_path ?: METRICS_PATH_DEFAULT;
}

void settings_done(Settings *s) {
        free(s->profile);
        free(s->metrics_path);
        settings_init(s);
}

int settings_parse(const char *origin, const char *buf, size_t size, Settings *ret, char **ret_error) {
        static const char *const allowed[] = { "profile",         "poll_interval_ms",     "fight_corrections",
                                               "fight_window_ms", "fight_backoff_ms",     "fight_backoff_max_ms",
                                               "metrics_path",    "metrics_interval_ms",  NULL };
        _cleanup_json_ cJSON *root = NULL;
        _cleanup_free_ char *metrics_path = NULL;
        const cJSON *bad, *c;
        Settings s;
        long long n;
        int r;

        /* Integer settings: name, where it goes, bounds. */
        const struct {
                const char *name;
                uint64_t *u64;
                unsigned *u;
                long long min, max;
        } numbers[] = {
                { "poll_interval_ms", &s.poll_interval_ms, NULL, SETTINGS_POLL_INTERVAL_MS_MIN, SETTINGS_POLL_INTERVAL_MS_MAX },
                { "fight_corrections", NULL, &s.fight_corrections, 1, SETTINGS_FIGHT_CORRECTIONS_MAX },
                { "fight_window_ms", &s.fight_window_ms, NULL, 1000, SETTINGS_MS_MAX },
                { "fight_backoff_ms", &s.fight_backoff_ms, NULL, 1000, SETTINGS_MS_MAX },
                { "fight_backoff_max_ms", &s.fight_backoff_max_ms, NULL, 1000, SETTINGS_MS_MAX },
                { "metrics_interval_ms", &s.metrics_interval_ms, NULL, SETTINGS_METRICS_INTERVAL_MS_MIN, SETTINGS_MS_MAX },
        };

        if (size > SETTINGS_SIZE_MAX)
                return errorf(ret_error, -EFBIG, "%s: larger than the %u byte limit", origin, SETTINGS_SIZE_MAX);
        r = json_parse_strict(buf, size, origin, &root, ret_error);
        if (r < 0)
                return r;
        if (!cJSON_IsObject(root))
                return errorf(ret_error, -EINVAL, "%s: must be a JSON object", origin);
        if ((bad = json_find_unknown_member(root, allowed)))
                return errorf(ret_error, -EINVAL, "%s: %s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(root)))
                return errorf(ret_error, -EINVAL, "%s: %s: duplicate field", origin, bad->string);

        settings_init(&s);

        for (size_t i = 0; i < ELEMENTSOF(numbers); i++) {
                c = cJSON_GetObjectItemCaseSensitive(root, numbers[i].name);
                if (!c)
                        continue;
                if (!json_get_integer(c, &n) || n < numbers[i].min || n > numbers[i].max)
                        return errorf(ret_error, -EINVAL, "%s: %s: must be an integer %lld..%lld", origin,
                                      numbers[i].name, numbers[i].min, numbers[i].max);
                if (numbers[i].u64)
                        *numbers[i].u64 = (uint64_t) n;
                else
                        *numbers[i].u = (unsigned) n;
        }
        if (s.fight_backoff_max_ms < s.fight_backoff_ms)
                return errorf(ret_error, -EINVAL, "%s: fight_backoff_max_ms: %llu is below fight_backoff_ms %llu",
                              origin, (unsigned long long) s.fight_backoff_max_ms,
                              (unsigned long long) s.fight_backoff_ms);

        /* an absolute path without "." or ".." components, or "" for no metrics */
        c = cJSON_GetObjectItemCaseSensitive(root, "metrics_path");
        if (c) {
                if (!cJSON_IsString(c) || (c->valuestring[0] && !settings_path_is_valid(c->valuestring)))
                        return errorf(ret_error, -EINVAL,
                                      "%s: metrics_path: \"%s\" is not an absolute file path (or \"\" for no metrics)",
                                      origin, cJSON_IsString(c) ? c->valuestring : "(not a string)");
                metrics_path = strdup(c->valuestring);
                if (!metrics_path)
                        return -ENOMEM;
        }

        c = cJSON_GetObjectItemCaseSensitive(root, "profile");
        if (c && !cJSON_IsNull(c)) {
                if (!cJSON_IsString(c) || (c->valuestring[0] && !profile_name_is_valid(c->valuestring)))
                        return errorf(ret_error, -EINVAL, "%s: profile: \"%s\" is not a valid profile name", origin,
                                      cJSON_IsString(c) ? c->valuestring : "(not a string)");
                if (c->valuestring[0]) {
                        s.profile = strdup(c->valuestring);
                        if (!s.profile)
                                return -ENOMEM;
                }
        }

        s.metrics_path = TAKE_PTR(metrics_path);
        *ret = s;
        return 0;
}

int settings_load(const char *path, Settings *ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_file_full(path, SETTINGS_SIZE_MAX, &buf, &size);
        if (r == -ENOENT) {
                settings_init(ret);
                return 0;
        }
        if (r == -EFBIG)
                return errorf(ret_error, r, "%s: larger than the %u byte limit", path, SETTINGS_SIZE_MAX);
        if (r < 0)
                return errorf(ret_error, r, "%s: %s", path, file_error_to_string(r));
        return settings_parse(path, buf, size, ret, ret_error);
}
