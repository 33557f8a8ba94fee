/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-settings-state.c - /etc/wstuned/wstuned.json settings and the /var/lib/wstuned/state.json
 * baseline: tables of good and bad files, loading, and the save/load round trip. */
#include <sys/stat.h>

#include "metrics.h"
#include "settings.h"
#include "state.h"
#include "test-helpers.h"

typedef struct SettingsCase {
        const char *text;
        const char *error; /* NULL: accepted */
        const char *profile;
        uint64_t poll_interval_ms;
        const char *metrics_path; /* what settings_metrics_path() gives; NULL: the default */
        uint64_t metrics_interval_ms; /* 0: the default */
} SettingsCase;

static const SettingsCase settings_cases[] = {
        { "{}", NULL, NULL, 1000 },
        { " \n{ }\n", NULL, NULL, 1000 },
        { "{\"profile\":\"ws-server\"}", NULL, "ws-server", 1000 },
        { "{\"profile\":null}", NULL, NULL, 1000 },
        { "{\"profile\":\"\"}", NULL, NULL, 1000 }, /* "" means none, as null does */
        { "{\"poll_interval_ms\":100}", NULL, NULL, 100 },
        { "{\"poll_interval_ms\":3600000,\"profile\":\"a\"}", NULL, "a", 3600000 },
        { "{\"metrics_path\":\"/run/node/wstuned.prom\",\"metrics_interval_ms\":1000}", NULL, NULL, 1000,
          "/run/node/wstuned.prom", 1000 },
        { "{\"metrics_path\":\"\"}", NULL, NULL, 1000, "" }, /* no metrics */

        { "", "w.json:1:1: syntax error" },
        { "{\"profile\":\"a\"}}", "w.json:1:16: unexpected data after the JSON value" },
        { "{\"profile\":\"a\\u0000\"}", "w.json:1:14: \\u0000 is not allowed in strings" },
        { "[]", "w.json: must be a JSON object" },
        { "{\"poll\":1}", "w.json: poll: unknown field" },
        { "{\"Profile\":\"a\"}", "w.json: Profile: unknown field" },
        { "{\"profile\":\"a\",\"profile\":\"b\"}", "w.json: profile: duplicate field" },
        { "{\"poll_interval_ms\":99}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"poll_interval_ms\":3600001}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"poll_interval_ms\":-1000}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"poll_interval_ms\":1000.5}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"poll_interval_ms\":\"1000\"}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"poll_interval_ms\":null}", "w.json: poll_interval_ms: must be an integer 100..3600000" },
        { "{\"metrics_path\":\"wstuned.prom\"}",
          "w.json: metrics_path: \"wstuned.prom\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":\"/var/lib/../x.prom\"}",
          "w.json: metrics_path: \"/var/lib/../x.prom\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":\"/var/lib/\"}",
          "w.json: metrics_path: \"/var/lib/\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":\"/var//x\"}",
          "w.json: metrics_path: \"/var//x\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":\"/var/./x\"}",
          "w.json: metrics_path: \"/var/./x\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":\"/x\\ny\"}",
          "w.json: metrics_path: \"/x\ny\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_path\":null}",
          "w.json: metrics_path: \"(not a string)\" is not an absolute file path (or \"\" for no metrics)" },
        { "{\"metrics_interval_ms\":999}", "w.json: metrics_interval_ms: must be an integer 1000..86400000" },
        { "{\"profile\":\"../x\"}", "w.json: profile: \"../x\" is not a valid profile name" },
        { "{\"profile\":\".x\"}", "w.json: profile: \".x\" is not a valid profile name" },
        { "{\"profile\":\"a b\"}", "w.json: profile: \"a b\" is not a valid profile name" },
        { "{\"profile\":5}", "w.json: profile: \"(not a string)\" is not a valid profile name" },
        { "{\"profile\":[\"a\"]}", "w.json: profile: \"(not a string)\" is not a valid profile name" },
};

START_TEST(test_settings_parse) {
        const SettingsCase *c = &settings_cases[_i];
        _cleanup_free_ char *error = NULL;
        Settings s;
        int r;

        settings_init(&s);
        s.poll_interval_ms = 42; /* to see whether a failed parse touched it */
        r = settings_parse("w.json", c->text, strlen(c->text), &s, &error);
        if (c->error) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_pstr_eq(error, c->error);
                ck_assert_ptr_null(s.profile);
                ck_assert_uint_eq(s.poll_interval_ms, 42);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_ptr_null(error);
        ck_assert_pstr_eq(s.profile, c->profile);
        ck_assert_uint_eq(s.poll_interval_ms, c->poll_interval_ms);
        ck_assert_str_eq(settings_metrics_path(&s), c->metrics_path ?: METRICS_PATH_DEFAULT);
        ck_assert_uint_eq(s.metrics_interval_ms, c->metrics_interval_ms ?: SETTINGS_METRICS_INTERVAL_MS_DEFAULT);
        settings_done(&s);
        ck_assert_ptr_null(s.profile);
        ck_assert_uint_eq(s.poll_interval_ms, SETTINGS_POLL_INTERVAL_MS_DEFAULT);
}
END_TEST

START_TEST(test_settings_size_cap) {
        _cleanup_free_ char *buf = malloc(SETTINGS_SIZE_MAX + 2), *error = NULL;
        Settings s;

        settings_init(&s);
        memset(buf, ' ', SETTINGS_SIZE_MAX + 1);
        memcpy(buf, "{\"profile\":\"a\"}", 15);
        buf[SETTINGS_SIZE_MAX + 1] = '\0';
        ck_assert_int_eq(settings_parse("w.json", buf, SETTINGS_SIZE_MAX + 1, &s, &error), -EFBIG);
        ck_assert_str_eq(error, "w.json: larger than the 16384 byte limit");
        buf[SETTINGS_SIZE_MAX] = '\0'; /* parsers want buf[size] to be NUL */
        ck_assert_int_eq(settings_parse("w.json", buf, SETTINGS_SIZE_MAX, &s, &error), 0);
        ck_assert_str_eq(s.profile, "a");
        settings_done(&s);
}
END_TEST

START_TEST(test_settings_load) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *missing = path_in(dir, "missing.json"), *good = path_in(dir, "good.json");
        _cleanup_free_ char *bad = path_in(dir, "bad.json"), *big = path_in(dir, "big.json");
        _cleanup_free_ char *error = NULL, *expected = NULL;
        Settings s;

        /* no file: the defaults */
        ck_assert_int_eq(settings_load(missing, &s, &error), 0);
        ck_assert_ptr_null(s.profile);
        ck_assert_uint_eq(s.poll_interval_ms, SETTINGS_POLL_INTERVAL_MS_DEFAULT);

        tree_write(dir, "good.json", "{\"profile\":\"ws-client\",\"poll_interval_ms\":250}\n");
        ck_assert_int_eq(settings_load(good, &s, &error), 0);
        ck_assert_str_eq(s.profile, "ws-client");
        ck_assert_uint_eq(s.poll_interval_ms, 250);
        settings_done(&s);

        /* messages name the file by its path */
        tree_write(dir, "bad.json", "{\n  \"poll_interval_ms\": 5\n}\n");
        ck_assert_int_eq(settings_load(bad, &s, &error), -EINVAL);
        ck_assert_int_ge(asprintf(&expected, "%s: poll_interval_ms: must be an integer 100..3600000", bad), 0);
        ck_assert_str_eq(error, expected);
        free(TAKE_PTR(expected));

        _cleanup_free_ char *data = malloc(SETTINGS_SIZE_MAX + 2);
        memset(data, ' ', SETTINGS_SIZE_MAX + 1);
        data[0] = '{';
        data[SETTINGS_SIZE_MAX] = '}';
        data[SETTINGS_SIZE_MAX + 1] = '\0';
        tree_write(dir, "big.json", data);
        ck_assert_int_eq(settings_load(big, &s, &error), -EFBIG);
        ck_assert_int_ge(asprintf(&expected, "%s: larger than the 16384 byte limit", big), 0);
        ck_assert_str_eq(error, expected);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(settings_load(dir, &s, &error), -EISDIR);
        ck_assert_int_ge(asprintf(&expected, "%s: Is a directory", dir), 0);
        ck_assert_str_eq(error, expected);
}
END_TEST

typedef struct StateCase {
        const char *text;
        const char *error; /* NULL: accepted */
        const char *active;
        size_t n;
        const char *baseline[4][2];
        const char *boot_id;
        const char *earlier[4]; /* baseline paths of an earlier boot */
} StateCase;

#define BOOT "0f4b3e8a-6c1d-4e7a-9b2f-3d5c7e9a1b2c"

static const StateCase state_cases[] = {
        { "{\"version\":1}", NULL, NULL, 0 },
        { "{\"version\":1,\"active_profile\":null,\"baseline\":{\"sysctl\":{}}}", NULL, NULL, 0 },
        { "{\"version\":1,\"baseline\":{}}", NULL, NULL, 0 },
        { "{\"version\":1,\"active_profile\":\"ws-server\",\"baseline\":{\"sysctl\":{"
          "\"net/core/somaxconn\":\"4096\",\"net/ipv4/ip_local_port_range\":\"32768 60999\","
          "\"net/ipv4/conf/eth0.100/rp_filter\":\"2\",\"a/b\":\"\"}}}",
          NULL, "ws-server", 4,
          { { "net/core/somaxconn", "4096" },
            { "net/ipv4/ip_local_port_range", "32768 60999" },
            { "net/ipv4/conf/eth0.100/rp_filter", "2" },
            { "a/b", "" } } },
        /* the boot the baseline belongs to, and the keys absent since it began, which keep an earlier boot's */
        { "{\"version\":1,\"boot_id\":\"" BOOT "\",\"baseline\":{\"sysctl\":{\"a/b\":\"1\",\"a/c\":\"2\","
          "\"a/d\":\"3\"},\"earlier_boot\":[\"a/d\",\"a/b\"]}}",
          NULL, NULL, 3, { { "a/b", "1" }, { "a/c", "2" }, { "a/d", "3" } }, BOOT, { "a/b", "a/d" } },
        { "{\"version\":1,\"boot_id\":\"" BOOT "\",\"baseline\":{\"earlier_boot\":[]}}", NULL, NULL, 0, {}, BOOT },

        { "", "s.json:1:1: syntax error" },
        { "{\"version\":1}x", "s.json:1:14: unexpected data after the JSON value" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"a/b\":\"\\u0000\"}}}", "s.json:1:43: \\u0000 is not allowed in strings" },
        { "[]", "s.json: must be a JSON object" },
        { "{}", "s.json: version: unsupported (expected 1)" },
        { "{\"version\":\"1\"}", "s.json: version: unsupported (expected 1)" },
        { "{\"version\":1.5}", "s.json: version: unsupported (expected 1)" },
        { "{\"version\":1,\"profile\":\"a\"}", "s.json: profile: unknown field" },
        { "{\"version\":1,\"active_profile\":\"../x\"}", "s.json: active_profile: not a valid profile name" },
        { "{\"version\":1,\"active_profile\":\"\"}", "s.json: active_profile: not a valid profile name" },
        { "{\"version\":1,\"active_profile\":1}", "s.json: active_profile: not a valid profile name" },
        { "{\"version\":1,\"baseline\":[]}", "s.json: baseline: must be { \"sysctl\": { path: value } }" },
        { "{\"version\":1,\"baseline\":null}", "s.json: baseline: must be { \"sysctl\": { path: value } }" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":[]}}", "s.json: baseline: must be { \"sysctl\": { path: value } }" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"net/core/somaxconn\":4096}}}",
          "s.json: baseline.sysctl[\"net/core/somaxconn\"]: not a string" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"net/core/somaxconn\":null}}}",
          "s.json: baseline.sysctl[\"net/core/somaxconn\"]: not a string" },
        /* only the path form wstuned writes; nothing that leaves /proc/sys */
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"net.core.somaxconn\":\"1\"}}}",
          "s.json: baseline.sysctl[\"net.core.somaxconn\"]: not a sysctl path" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"/etc/passwd\":\"1\"}}}",
          "s.json: baseline.sysctl[\"/etc/passwd\"]: not a sysctl path" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"net/../../etc/passwd\":\"1\"}}}",
          "s.json: baseline.sysctl[\"net/../../etc/passwd\"]: not a sysctl path" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"somaxconn\":\"1\"}}}",
          "s.json: baseline.sysctl[\"somaxconn\"]: not a sysctl path" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"net/core/\":\"1\"}}}",
          "s.json: baseline.sysctl[\"net/core/\"]: not a sysctl path" },
        { "{\"version\":1,\"boot_id\":\"0F4B3E8A-6C1D-4E7A-9B2F-3D5C7E9A1B2C\"}",
          "s.json: boot_id: not a boot id (36 characters as in /proc/sys/kernel/random/boot_id)" },
        { "{\"version\":1,\"boot_id\":\"0f4b3e8a6c1d4e7a9b2f3d5c7e9a1b2c\"}",
          "s.json: boot_id: not a boot id (36 characters as in /proc/sys/kernel/random/boot_id)" },
        { "{\"version\":1,\"boot_id\":\"" BOOT "\\n\"}",
          "s.json: boot_id: not a boot id (36 characters as in /proc/sys/kernel/random/boot_id)" },
        { "{\"version\":1,\"boot_id\":\"0f4b3e8a-6c1d-4e7a-9b2f-3d5c7e9a1b2g\"}",
          "s.json: boot_id: not a boot id (36 characters as in /proc/sys/kernel/random/boot_id)" },
        { "{\"version\":1,\"boot_id\":null}",
          "s.json: boot_id: not a boot id (36 characters as in /proc/sys/kernel/random/boot_id)" },
        { "{\"version\":1,\"baseline\":{\"earlier_boot\":{}}}",
          "s.json: baseline.earlier_boot: must be an array of baseline.sysctl paths" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"a/b\":\"1\"},\"earlier_boot\":[1]}}",
          "s.json: baseline.earlier_boot: must be an array of baseline.sysctl paths" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"a/b\":\"1\"},\"earlier_boot\":[\"a/c\"]}}",
          "s.json: baseline.earlier_boot[\"a/c\"]: not in baseline.sysctl" },
        { "{\"version\":1,\"baseline\":{\"earlier_boot\":[\"a/b\"],\"sysctl\":{}}}",
          "s.json: baseline.earlier_boot[\"a/b\"]: not in baseline.sysctl" },
        { "{\"version\":1,\"baseline\":{\"sysctl\":{\"a/b\":\"1\"},\"earlier_boot\":[\"a/b\",\"a/b\"]}}",
          "s.json: baseline.earlier_boot[\"a/b\"]: duplicate entry" },
};

START_TEST(test_state_parse) {
        const StateCase *c = &state_cases[_i];
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *error = NULL;
        int r;

        r = state_parse("s.json", c->text, strlen(c->text), &s, &error);
        if (c->error) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_pstr_eq(error, c->error);
                ck_assert_ptr_null(s.active_profile);
                ck_assert_uint_eq(s.n_baseline, 0);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_pstr_eq(s.active_profile, c->active);
        ck_assert_pstr_eq(s.boot_id, c->boot_id);
        ck_assert_uint_eq(s.n_baseline, c->n);
        for (size_t i = 0; i < c->n; i++) {
                bool earlier = false;
                for (size_t j = 0; j < ELEMENTSOF(c->earlier) && c->earlier[j]; j++)
                        earlier = earlier || streq(c->earlier[j], c->baseline[i][0]);
                ck_assert_str_eq(s.baseline[i].path, c->baseline[i][0]);
                ck_assert_str_eq(s.baseline[i].value, c->baseline[i][1]);
                ck_assert_str_eq(state_baseline_get(&s, c->baseline[i][0]), c->baseline[i][1]);
                ck_assert_msg(s.baseline[i].earlier_boot == earlier, "%s: earlier boot %d", c->baseline[i][0],
                              s.baseline[i].earlier_boot);
                ck_assert_ptr_eq(state_baseline_get_this_boot(&s, c->baseline[i][0]),
                                 earlier ? NULL : s.baseline[i].value);
        }
}
END_TEST

/* The state file's version. A newer wstuned's file (after a downgrade) is refused with its own error, so the
 * daemon keeps it rather than moving it aside as broken, and its own fields are not judged; a version that
 * no wstuned writes, or none, is a broken file. */
#define NEWER(v)                                                                                                 \
        "s.json: written by a newer wstuned (state version " v ", this one reads 1): downgrade refused, nothing " \
        "is applied or reverted until that wstuned is installed again or the file is moved away"
#define UNSUPPORTED "s.json: version: unsupported (expected 1)"

static const struct {
        const char *text;
        int r;
        const char *error;
} state_version_cases[] = {
        { "{\"version\":1}", 0 },
        { "{\"version\":1.0}", 0 },
        { "{\"version\":2}", -EPROTONOSUPPORT, NEWER("2") },
        { "{\"version\":3,\"baseline\":{\"sysctl\":{\"net/core/somaxconn\":\"4096\"}}}", -EPROTONOSUPPORT,
          NEWER("3") },
        /* fields this version does not know, in a newer file: not a reason to call it broken */
        { "{\"history\":[],\"version\":2,\"baseline\":{\"sysctl\":{},\"nofile\":{}}}", -EPROTONOSUPPORT,
          NEWER("2") },
        { "{\"version\":2.0,\"active_profile\":{\"name\":\"ws-server\"}}", -EPROTONOSUPPORT, NEWER("2") },
        { "{\"version\":9007199254740991}", -EPROTONOSUPPORT, NEWER("9007199254740991") },
        /* the same fields in a version-1 file are errors */
        { "{\"history\":[],\"version\":1}", -EINVAL, "s.json: history: unknown field" },
        { "{\"version\":1,\"active_profile\":{\"name\":\"ws-server\"}}", -EINVAL,
          "s.json: active_profile: not a valid profile name" },
        { "{}", -EINVAL, UNSUPPORTED },
        { "{\"version\":null}", -EINVAL, UNSUPPORTED },
        { "{\"version\":0}", -EINVAL, UNSUPPORTED },
        { "{\"version\":-2}", -EINVAL, UNSUPPORTED },
        { "{\"version\":2.5}", -EINVAL, UNSUPPORTED },
        { "{\"version\":\"2\"}", -EINVAL, UNSUPPORTED },
        { "{\"version\":[2]}", -EINVAL, UNSUPPORTED },
        { "{\"version\":1e300}", -EINVAL, UNSUPPORTED }, /* not an integer a double holds exactly */
        { "{\"version\":2}}", -EINVAL, "s.json:1:14: unexpected data after the JSON value" },
        { "[{\"version\":2}]", -EINVAL, "s.json: must be a JSON object" },
};

START_TEST(test_state_version) {
        const char *text = state_version_cases[_i].text;
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(state_parse("s.json", text, strlen(text), &s, &error), state_version_cases[_i].r);
        ck_assert_pstr_eq(error, state_version_cases[_i].error);
        if (state_version_cases[_i].r < 0) {
                ck_assert_ptr_null(s.active_profile);
                ck_assert_uint_eq(s.n_baseline, 0);
        }
}
END_TEST

/* Regression (fixed): state_parse() does not look for repeated members (profile_parse() and settings_parse() do), and
 * not for unknown members inside "baseline". A repeated baseline entry is silently resolved (the last
 * one wins), so Revert may restore a value that was not the original. */
static const char *const state_ambiguous[] = {
        "{\"version\":1,\"baseline\":{\"sysctl\":{\"net/core/somaxconn\":\"4096\",\"net/core/somaxconn\":\"8192\"}}}",
        "{\"version\":1,\"active_profile\":\"a\",\"active_profile\":\"b\"}",
        "{\"version\":1,\"version\":1}",
        "{\"version\":1,\"baseline\":{\"sysctl\":{},\"sysctl\":{\"a/b\":\"1\"}}}",
        "{\"version\":1,\"baseline\":{\"sysctl\":{},\"limits\":{}}}",
};

START_TEST(test_state_parse_ambiguous) {
        const char *text = state_ambiguous[_i];
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(state_parse("s.json", text, strlen(text), &s, &error), -EINVAL);
        ck_assert_ptr_nonnull(error);
        ck_assert_msg(strncmp(error, "s.json: ", 8) == 0, "message does not name the file: %s", error);
}
END_TEST

START_TEST(test_state_baseline_ops) {
        _cleanup_(state_done) State s = {};
        char path[64];

        ck_assert_ptr_null(state_baseline_get(&s, "a/b"));
        ck_assert_int_eq(state_baseline_set(&s, "a/b", "1"), 0);
        ck_assert_int_eq(state_baseline_set(&s, "a/c", "2"), 0);
        ck_assert_int_eq(state_baseline_set(&s, "a/d", "3"), 0);
        ck_assert_uint_eq(s.n_baseline, 3);

        /* setting again replaces the value in place */
        ck_assert_int_eq(state_baseline_set(&s, "a/c", "20"), 0);
        ck_assert_uint_eq(s.n_baseline, 3);
        ck_assert_str_eq(state_baseline_get(&s, "a/c"), "20");

        /* removing keeps the order of the others */
        state_baseline_remove(&s, "a/c");
        state_baseline_remove(&s, "a/nope");
        ck_assert_uint_eq(s.n_baseline, 2);
        ck_assert_str_eq(s.baseline[0].path, "a/b");
        ck_assert_str_eq(s.baseline[1].path, "a/d");
        ck_assert_ptr_null(state_baseline_get(&s, "a/c"));

        /* earlier boot: marked one or all; setting a value takes it as this boot's */
        state_baseline_mark_earlier_boot(&s, "a/d");
        ck_assert(state_baseline_is_earlier_boot(&s, "a/d"));
        ck_assert(!state_baseline_is_earlier_boot(&s, "a/b"));
        ck_assert_str_eq(state_baseline_get(&s, "a/d"), "3");
        ck_assert_ptr_null(state_baseline_get_this_boot(&s, "a/d"));
        state_baseline_mark_earlier_boot(&s, NULL);
        ck_assert(state_baseline_is_earlier_boot(&s, "a/b"));
        ck_assert_int_eq(state_baseline_set(&s, "a/b", "9"), 0);
        ck_assert(!state_baseline_is_earlier_boot(&s, "a/b"));
        ck_assert_str_eq(state_baseline_get_this_boot(&s, "a/b"), "9");
        ck_assert(!state_baseline_is_earlier_boot(&s, "a/nope"));

        ck_assert_int_eq(state_set_boot_id(&s, BOOT), 0);
        ck_assert_str_eq(s.boot_id, BOOT);
        ck_assert_int_eq(state_set_boot_id(&s, "not-a-boot-id"), -EINVAL);
        ck_assert_str_eq(s.boot_id, BOOT);
        ck_assert_int_eq(state_set_boot_id(&s, NULL), 0);
        ck_assert_ptr_null(s.boot_id);

        ck_assert_int_eq(state_set_active(&s, "x"), 0);
        ck_assert_str_eq(s.active_profile, "x");
        ck_assert_int_eq(state_set_active(&s, NULL), 0);
        ck_assert_ptr_null(s.active_profile);

        /* the baseline is capped */
        for (unsigned i = s.n_baseline; i < STATE_BASELINE_MAX; i++) {
                snprintf(path, sizeof path, "net/test/k%u", i);
                ck_assert_int_eq(state_baseline_set(&s, path, "1"), 0);
        }
        ck_assert_int_eq(state_baseline_set(&s, "net/test/one-more", "1"), -E2BIG);
        ck_assert_uint_eq(s.n_baseline, STATE_BASELINE_MAX);
        ck_assert_int_eq(state_baseline_set(&s, "a/b", "5"), 0); /* updating still works */
}
END_TEST

/* Too many entries, up to a file of about 1 MiB (STATE_SIZE_MAX): refused by their number before anything
 * looks at them in pairs. The duplicate check compares every member with every earlier one (seconds for
 * 40000 entries); the last entry repeats the first, so a check made in the wrong order says "duplicate". */
static const struct {
        const char *section;
        unsigned entries;
} state_cap_cases[] = {
        { "sysctl", STATE_BASELINE_MAX + 1 },
        { "sysctl", 60000 },
        { "files", STATE_BASELINE_MAX + 1 },
        { "files", 60000 },
};

START_TEST(test_state_parse_cap) {
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *text = NULL, *error = NULL;
        bool files = streq(state_cap_cases[_i].section, "files");
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        fprintf(f, "{\"version\":1,\"baseline\":{\"%s\":{", state_cap_cases[_i].section);
        for (unsigned i = 0; i <= state_cap_cases[_i].entries; i++)
                fprintf(f, files ? "%s\"/etc/k%u\":null" : "%s\"net/test/k%u\":\"1\"", i ? "," : "",
                        i < state_cap_cases[_i].entries ? i : 0);
        fputs("}}}", f);
        fclose(f);
        ck_assert_int_eq(state_parse("s.json", text, size, &s, &error), -E2BIG);
        ck_assert_str_eq(error, files ? "s.json: baseline.files: more than 4096 entries"
                                      : "s.json: baseline: more than 4096 entries");
        ck_assert_uint_eq(s.n_baseline, 0);
}
END_TEST

/* The list of earlier boot's keys is refused by its length before each entry is looked up in the baseline. */
START_TEST(test_state_parse_earlier_boot_cap) {
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *text = NULL, *error = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);

        fputs("{\"version\":1,\"baseline\":{\"sysctl\":{\"net/test/k\":\"1\"},\"earlier_boot\":[", f);
        for (unsigned i = 0; i <= STATE_BASELINE_MAX; i++)
                fprintf(f, "%s\"net/test/k\"", i ? "," : "");
        fputs("]}}", f);
        fclose(f);
        ck_assert_int_eq(state_parse("s.json", text, size, &s, &error), -E2BIG);
        ck_assert_str_eq(error, "s.json: baseline.earlier_boot: more than 4096 entries");
        ck_assert_uint_eq(s.n_baseline, 0);
}
END_TEST

START_TEST(test_state_round_trip) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "state.json"), *error = NULL;
        _cleanup_free_ char *names = NULL;
        _cleanup_(state_done) State s = {}, loaded = {}, empty = {};
        static const char *const entries[][2] = {
                { "net/core/somaxconn", "4096" },
                { "net/ipv4/ip_local_port_range", "32768 60999" },
                { "net/ipv4/conf/eth0.100/rp_filter", "2" },
                { "kernel/x", "quote \" backslash \\ tab\tcr\r \xc3\xa9" }, /* values are kernel text */
                { "kernel/empty", "" },
        };
        struct stat st;

        for (size_t i = 0; i < ELEMENTSOF(entries); i++)
                ck_assert_int_eq(state_baseline_set(&s, entries[i][0], entries[i][1]), 0);
        ck_assert_int_eq(state_set_active(&s, "ws-server"), 0);
        ck_assert_int_eq(state_set_boot_id(&s, BOOT), 0);
        state_baseline_mark_earlier_boot(&s, "net/ipv4/conf/eth0.100/rp_filter");
        state_baseline_mark_earlier_boot(&s, "kernel/empty");

        ck_assert_int_eq(state_save(path, &s), 1);
        ck_assert_int_eq(state_save(path, &s), 0); /* unchanged: not rewritten */
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600); /* the originals may hold secrets */
        /* a file an older version left readable for everyone is made root's again by the next save */
        ck_assert_int_eq(chmod(path, 0644), 0);
        ck_assert_int_eq(state_save(path, &s), 1);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);

        ck_assert_int_eq(state_load(path, &loaded, &error), 0);
        ck_assert_ptr_null(error);
        ck_assert_str_eq(loaded.active_profile, "ws-server");
        ck_assert_str_eq(loaded.boot_id, BOOT);
        ck_assert_uint_eq(loaded.n_baseline, ELEMENTSOF(entries));
        for (size_t i = 0; i < ELEMENTSOF(entries); i++) {
                ck_assert_str_eq(loaded.baseline[i].path, entries[i][0]);
                ck_assert_str_eq(loaded.baseline[i].value, entries[i][1]);
                ck_assert(loaded.baseline[i].earlier_boot == (i == 2 || i == 4));
        }

        /* and the inactive state */
        state_done(&loaded);
        ck_assert_int_eq(state_save(path, &empty), 1);
        ck_assert_int_eq(state_load(path, &loaded, &error), 0);
        ck_assert_ptr_null(loaded.active_profile);
        ck_assert_ptr_null(loaded.boot_id);
        ck_assert_uint_eq(loaded.n_baseline, 0);

        names = dir_list(dir);
        ck_assert_str_eq(names, "state.json");
}
END_TEST

START_TEST(test_state_load) {
        _cleanup_free_ char *dir = scratch_dir_new(), *missing = path_in(dir, "none.json"), *bad = path_in(dir, "bad.json");
        _cleanup_free_ char *error = NULL, *expected = NULL;
        _cleanup_(state_done) State s = {};

        /* no file: nothing active, no baseline */
        ck_assert_int_eq(state_load(missing, &s, &error), 0);
        ck_assert_ptr_null(s.active_profile);
        ck_assert_uint_eq(s.n_baseline, 0);

        tree_write(dir, "bad.json", "{\"version\":1,\n\"active_profile\":\"x\",}\n");
        ck_assert_int_eq(state_load(bad, &s, &error), -EINVAL);
        ck_assert_ptr_nonnull(error);
        ck_assert_int_ge(asprintf(&expected, "%s:2:", bad), 0);
        ck_assert_msg(strncmp(error, expected, strlen(expected)) == 0, "%s", error);
        free(TAKE_PTR(expected));

        /* a newer wstuned's file: its own error, naming the file */
        tree_write(dir, "newer.json", "{\"version\":2,\"active_profile\":\"ws-server\"}\n");
        free(TAKE_PTR(bad));
        bad = path_in(dir, "newer.json");
        ck_assert_int_eq(state_load(bad, &s, &error), -EPROTONOSUPPORT);
        ck_assert_int_ge(asprintf(&expected, "%s: written by a newer wstuned (state version 2, this one reads 1)", bad),
                         0);
        ck_assert_msg(strncmp(error, expected, strlen(expected)) == 0, "%s", error);
        ck_assert_ptr_null(s.active_profile);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(state_load(dir, &s, &error), -EISDIR);
        ck_assert_int_ge(asprintf(&expected, "%s: Is a directory", dir), 0);
        ck_assert_str_eq(error, expected);
}
END_TEST

static Suite *settings_state_suite(void) {
        Suite *s = suite_create("settings-state");
        TCase *tc;

        tc = tcase_create("settings");
        tcase_add_loop_test(tc, test_settings_parse, 0, ELEMENTSOF(settings_cases));
        tcase_add_test(tc, test_settings_size_cap);
        tcase_add_test(tc, test_settings_load);
        suite_add_tcase(s, tc);

        tc = tcase_create("state");
        tcase_add_loop_test(tc, test_state_parse, 0, ELEMENTSOF(state_cases));
        tcase_add_loop_test(tc, test_state_version, 0, ELEMENTSOF(state_version_cases));
        tcase_add_test(tc, test_state_baseline_ops);
        tcase_add_loop_test(tc, test_state_parse_cap, 0, ELEMENTSOF(state_cap_cases));
        tcase_add_test(tc, test_state_parse_earlier_boot_cap);
        tcase_add_test(tc, test_state_round_trip);
        tcase_add_test(tc, test_state_load);
        suite_add_tcase(s, tc);

        /* regressions: bugs these tests found, fixed since */
        tc = tcase_create("regressions");
        tcase_add_loop_test(tc, test_state_parse_ambiguous, 0, ELEMENTSOF(state_ambiguous));
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(settings_state_suite());
}
