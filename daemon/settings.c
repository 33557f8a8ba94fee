/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* settings.c - daemon settings from /etc/wstuned/wstuned.json, parsed strictly. */
#include "json.h"
#include "profile.h"
#include "settings.h"

void settings_init(Settings *s) {
        *s = (Settings) { .poll_interval_ms = SETTINGS_POLL_INTERVAL_MS_DEFAULT };
}

void settings_done(Settings *s) {
        free(s->profile);
        settings_init(s);
}

int settings_parse(const char *origin, const char *buf, size_t size, Settings *ret, char **ret_error) {
        static const char *const allowed[] = { "profile", "poll_interval_ms", NULL };
        _cleanup_json_ cJSON *root = NULL;
        const cJSON *bad, *c;
        Settings s;
        long long n;
        int r;

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

        c = cJSON_GetObjectItemCaseSensitive(root, "poll_interval_ms");
        if (c) {
                if (!json_get_integer(c, &n) || n < SETTINGS_POLL_INTERVAL_MS_MIN || n > SETTINGS_POLL_INTERVAL_MS_MAX)
                        return errorf(ret_error, -EINVAL, "%s: poll_interval_ms: must be an integer %u..%u", origin,
                                      SETTINGS_POLL_INTERVAL_MS_MIN, SETTINGS_POLL_INTERVAL_MS_MAX);
                s.poll_interval_ms = (uint64_t) n;
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
                return errorf(ret_error, r, "%s: %s", path, strerror(-r));
        return settings_parse(path, buf, size, ret, ret_error);
}
