/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-profile.c - the daemon's JSON files: a profile (profile_parse), the settings (settings_parse) and the
 * state (state_parse), all three on every input, as the files differ only in their members.
 *
 * Besides crashes, leaks and undefined behaviour, what a parsed profile promises is checked: every key is a
 * path below /proc/sys (no empty, "." or ".." segment, not absolute), its dot name is that path's, its value
 * is one a sysctl write takes, and limits the parser accepts are ones the limit files can carry (each
 * drop-in renders, daemon.json merges). A profile that parses but cannot be applied would fail only at
 * Apply time, on a fleet. */
#include "fuzz.h"
#include "limit-files.h"
#include "profile.h"
#include "settings.h"
#include "state.h"
#include "sysctl.h"

static void check_key(const ProfileKey *k) {
        _cleanup_free_ char *name = NULL;
        size_t n = strlen(k->path), seg = 0;

        fuzz_check(n > 0 && k->path[0] != '/', "key path \"%s\"", k->path);
        for (size_t i = 0; i <= n; i++) {
                if (k->path[i] != '/' && k->path[i] != '\0') {
                        fuzz_check((unsigned char) k->path[i] > ' ' && k->path[i] != 0x7f, "key path \"%s\"", k->path);
                        continue;
                }
                const char *s = k->path + seg;
                size_t len = i - seg;
                fuzz_check(len > 0 && !(len == 1 && s[0] == '.') && !(len == 2 && s[0] == '.' && s[1] == '.'),
                           "key path \"%s\" has an empty, . or .. segment", k->path);
                seg = i + 1;
        }
        name = sysctl_path_to_name(k->path);
        fuzz_check(name && streq(name, k->name), "key %s, path %s", k->name, k->path);

        fuzz_check(k->value[0] && strlen(k->value) <= SYSCTL_VALUE_MAX, "key %s: value of %zu bytes", k->name,
                   strlen(k->value));
        for (const char *v = k->value; *v; v++)
                fuzz_check((unsigned char) *v >= ' ' && *v != 0x7f, "key %s: control character in value", k->name);
        fuzz_check(k->policy >= 0 && k->policy < _KEY_POLICY_MAX, "key %s: policy %d", k->name, k->policy);
}

static void check_limits(const ProfileLimits *l) {
        if (!l->present)
                return;
        fuzz_check(l->nofile_soft >= 1 && l->nofile_soft <= l->nofile_hard && l->nofile_hard <= PROFILE_NOFILE_MAX,
                   "nofile %llu:%llu", (unsigned long long) l->nofile_soft, (unsigned long long) l->nofile_hard);
        for (LimitFile f = 0; f < _LIMIT_FILE_MAX; f++) {
                _cleanup_free_ char *text = NULL, *error = NULL;
                int r;

                if (limit_file_is_dropin(f))
                        r = limits_render(f, l, "fuzz", &text);
                else
                        r = limits_merge_docker_json(NULL, 0, "daemon.json", l, &text, &error);
                fuzz_check(r >= 0, "%s: %s: %s", limit_file_path(f), strerror(-r), strempty(error));
                fuzz_check(limits_file_holds(f, text, strlen(text), l, "fuzz"), "%s does not hold what was written",
                           limit_file_path(f));
        }
}

static void fuzz_profile(const char *text, size_t size) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;
        int r;

        r = profile_parse("fuzz", "fuzz.json", text, size, &p, &error);
        if (r < 0) {
                fuzz_check(error, "profile_parse() failed (%s) without a message", strerror(-r));
                fuzz_check(!p, "profile_parse() failed but returned a profile");
                return;
        }
        fuzz_check(p && p->n_keys <= PROFILE_KEYS_MAX, "%zu keys", p ? p->n_keys : 0);
        fuzz_check(strlen(p->description) <= PROFILE_DESCRIPTION_MAX, "description of %zu bytes",
                   strlen(p->description));
        for (size_t i = 0; i < p->n_keys; i++)
                check_key(&p->keys[i]);
        check_limits(&p->limits);
}

static void fuzz_settings(const char *text, size_t size) {
        _cleanup_free_ char *error = NULL;
        Settings s;
        int r;

        settings_init(&s);
        r = settings_parse("wstuned.json", text, size, &s, &error);
        if (r >= 0) {
                fuzz_check(s.poll_interval_ms >= SETTINGS_POLL_INTERVAL_MS_MIN &&
                                   s.poll_interval_ms <= SETTINGS_POLL_INTERVAL_MS_MAX,
                           "poll interval %llu ms", (unsigned long long) s.poll_interval_ms);
                fuzz_check(!s.metrics_path || !s.metrics_path[0] || settings_path_is_valid(s.metrics_path),
                           "metrics path \"%s\"", s.metrics_path);
                fuzz_check(!s.profile || profile_name_is_valid(s.profile), "profile \"%s\"", s.profile);
        }
        settings_done(&s);
}

static void fuzz_state(const char *text, size_t size) {
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *error = NULL;

        if (state_parse("state.json", text, size, &s, &error) < 0)
                return;
        fuzz_check(s.n_baseline <= STATE_BASELINE_MAX, "%zu baseline entries", s.n_baseline);
        fuzz_check(!s.boot_id || boot_id_is_valid(s.boot_id), "boot id \"%s\"", s.boot_id);
        for (size_t i = 0; i < s.n_baseline; i++)
                fuzz_check(streq_ptr(state_baseline_get(&s, s.baseline[i].path), s.baseline[i].value),
                           "baseline entry %s is not found by its path", s.baseline[i].path);
        /* Revert writes these back under the root prefix: never a ".." that climbs out of it */
        for (size_t i = 0; i < s.n_files; i++) {
                const char *path = s.files[i].path;
                fuzz_check(path[0] == '/', "file baseline \"%s\" is not absolute", path);
                for (const char *c = path; c; c = strchr(c + 1, '/'))
                        fuzz_check(strncmp(c, "/..", 3) != 0 || (c[3] != '/' && c[3] != '\0'),
                                   "file baseline \"%s\" has a .. segment", path);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_text(data, size);

        fuzz_profile(text, size);
        fuzz_settings(text, size);
        fuzz_state(text, size);
        return 0;
}
