/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-limits.c - the nofile limit files: the file table, drop-ins rendered to exact bytes and checked
 * against the documented limits.conf(5) and systemd syntax, daemon.json merges (good documents to exact
 * bytes, bad ones to exact errors, idempotence), and whether existing content holds the limits. */
#include <inttypes.h>

#include "json.h"
#include "limit-files.h"
#include "test-helpers.h"

#define ORIGIN "/etc/docker/daemon.json"
#define HDR(profile) "# Managed by wstuned for profile \"" profile "\": overwritten on every apply, do not edit.\n"

static ProfileLimits limits_of(uint64_t soft, uint64_t hard, const char *const *domains) {
        return (ProfileLimits) {
                .present = true,
                .nofile_soft = soft,
                .nofile_hard = hard,
                .domains = (char **) domains,
                .layers = (1u << _LIMIT_LAYER_MAX) - 1,
        };
}

static const char *const star_root[] = { "*", "root", NULL };

/* ---- the file table ---- */

typedef struct FileCase {
        LimitFile file;
        const char *path;
        LimitLayer layer;
        bool dropin;
        const char *takes_effect_word; /* a word the phrase must contain */
        const char *unit;
} FileCase;

static const FileCase file_cases[] = {
        { LIMIT_FILE_PAM, "/etc/security/limits.d/90-wstuned.conf", LIMIT_LAYER_PAM, true, "login" },
        { LIMIT_FILE_SYSTEMD, "/etc/systemd/system.conf.d/90-wstuned.conf", LIMIT_LAYER_SYSTEMD, true,
          "daemon-reload" },
        { LIMIT_FILE_DOCKER_UNIT, "/etc/systemd/system/docker.service.d/90-wstuned.conf", LIMIT_LAYER_DOCKER, true,
          "docker.service restart", "docker.service" },
        { LIMIT_FILE_CONTAINERD_UNIT, "/etc/systemd/system/containerd.service.d/90-wstuned.conf", LIMIT_LAYER_DOCKER,
          true, "containerd.service restart", "containerd.service" },
        { LIMIT_FILE_DOCKER_JSON, "/etc/docker/daemon.json", LIMIT_LAYER_DOCKER, false, "dockerd restart" },
};

START_TEST(test_file_table) {
        const FileCase *c = &file_cases[_i];

        ck_assert_int_eq(c->file, _i); /* one row per file, in enum order */
        ck_assert_str_eq(limit_file_path(c->file), c->path);
        ck_assert_int_eq(limit_file_layer(c->file), c->layer);
        ck_assert_int_eq(limit_file_is_dropin(c->file), c->dropin);
        ck_assert_ptr_nonnull(strstr(limit_file_takes_effect(c->file), c->takes_effect_word));
        ck_assert_pstr_eq(limit_file_unit(c->file), c->unit);
}
END_TEST

START_TEST(test_file_table_invalid) {
        ck_assert_uint_eq(ELEMENTSOF(file_cases), _LIMIT_FILE_MAX);
        static const LimitFile invalid[] = { _LIMIT_FILE_INVALID, -1, _LIMIT_FILE_MAX };

        for (size_t i = 0; i < ELEMENTSOF(invalid); i++) {
                LimitFile f = invalid[i];
                ck_assert_ptr_null(limit_file_path(f));
                ck_assert_int_eq(limit_file_layer(f), _LIMIT_LAYER_INVALID);
                ck_assert(!limit_file_is_dropin(f));
                ck_assert_ptr_null(limit_file_takes_effect(f));
                ck_assert_ptr_null(limit_file_unit(f));
        }
}
END_TEST

/* ---- rendering the drop-ins ---- */

typedef struct RenderCase {
        LimitFile file;
        uint64_t soft, hard;
        const char *domains[6];
        const char *profile;
        const char *expected; /* NULL: ret fails */
        int ret;
        bool absent; /* limits.present = false */
} RenderCase;

static const RenderCase render_cases[] = {
        /* PAM: one soft and one hard line per domain, domains padded to one width */
        { LIMIT_FILE_PAM, 200000, 200000, { "*", "root" }, "ws-server",
          HDR("ws-server") "*    soft nofile 200000\n"
                           "*    hard nofile 200000\n"
                           "root soft nofile 200000\n"
                           "root hard nofile 200000\n" },
        { LIMIT_FILE_PAM, 1024, 4096, { "@websocket", "alice", "*", "root" }, "ws-client",
          HDR("ws-client") "@websocket soft nofile 1024\n"
                           "@websocket hard nofile 4096\n"
                           "alice      soft nofile 1024\n"
                           "alice      hard nofile 4096\n"
                           "*          soft nofile 1024\n"
                           "*          hard nofile 4096\n"
                           "root       soft nofile 1024\n"
                           "root       hard nofile 4096\n" },
        { LIMIT_FILE_PAM, 1, 2147483584, { "root" }, "a",
          HDR("a") "root soft nofile 1\n"
                   "root hard nofile 2147483584\n" },
        { LIMIT_FILE_PAM, 65536, 65536, { "@" "abcdefghijklmnopqrstuvwxyz012345", "user.name-1_x" }, "p.1_x-y",
          HDR("p.1_x-y") "@abcdefghijklmnopqrstuvwxyz012345 soft nofile 65536\n"
                         "@abcdefghijklmnopqrstuvwxyz012345 hard nofile 65536\n"
                         "user.name-1_x                     soft nofile 65536\n"
                         "user.name-1_x                     hard nofile 65536\n" },
        /* systemd: manager default and service drop-ins, always soft:hard */
        { LIMIT_FILE_SYSTEMD, 200000, 200000, { "*", "root" }, "ws-server",
          HDR("ws-server") "[Manager]\nDefaultLimitNOFILE=200000:200000\n" },
        { LIMIT_FILE_SYSTEMD, 1024, 524288, {}, "ws-server",
          HDR("ws-server") "[Manager]\nDefaultLimitNOFILE=1024:524288\n" },
        { LIMIT_FILE_DOCKER_UNIT, 200000, 200000, { "*", "root" }, "ws-server",
          HDR("ws-server") "[Service]\nLimitNOFILE=200000:200000\n" },
        { LIMIT_FILE_CONTAINERD_UNIT, 200000, 200000, { "*", "root" }, "ws-server",
          HDR("ws-server") "[Service]\nLimitNOFILE=200000:200000\n" },
        { LIMIT_FILE_CONTAINERD_UNIT, 4096, 1048576, {}, "x", HDR("x") "[Service]\nLimitNOFILE=4096:1048576\n" },
        /* a unit's drop-in keeps the unit's own infinity (limits_unit_wanted()) */
        { LIMIT_FILE_DOCKER_UNIT, 200000, UNIT_NOFILE_INFINITY, {}, "ws-server",
          HDR("ws-server") "[Service]\nLimitNOFILE=200000:infinity\n" },
        { LIMIT_FILE_CONTAINERD_UNIT, UNIT_NOFILE_INFINITY, UNIT_NOFILE_INFINITY, {}, "ws-server",
          HDR("ws-server") "[Service]\nLimitNOFILE=infinity:infinity\n" },

        /* daemon.json is merged, not rendered */
        { LIMIT_FILE_DOCKER_JSON, 200000, 200000, { "*" }, "ws-server", NULL, -EOPNOTSUPP },
        { _LIMIT_FILE_INVALID, 200000, 200000, { "*" }, "ws-server", NULL, -EINVAL },
        { _LIMIT_FILE_MAX, 200000, 200000, { "*" }, "ws-server", NULL, -EINVAL },
        /* pam_limits applies %group domains to maxlogins only: a nofile line would be ignored */
        { LIMIT_FILE_PAM, 1024, 1024, { "*", "%admins" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "%" }, "p", NULL, -EINVAL },
        /* nothing that splits or ends a line, or starts a comment */
        { LIMIT_FILE_PAM, 1024, 1024, { "a b" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "a\n* hard nofile 1" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "a\tb" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "#x" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "@" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "-x" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "1000:" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "**" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "abcdefghijklmnopqrstuvwxyz0123456" }, "p", NULL, -EINVAL }, /* 33 */
        { LIMIT_FILE_PAM, 1024, 1024, {}, "p", NULL, -EINVAL },
        /* values */
        { LIMIT_FILE_PAM, 4096, 1024, { "*" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_SYSTEMD, 4096, 1024, {}, "p", NULL, -EINVAL },
        { LIMIT_FILE_SYSTEMD, 0, 1024, {}, "p", NULL, -EINVAL },
        { LIMIT_FILE_SYSTEMD, 0, 0, {}, "p", NULL, -EINVAL },
        { LIMIT_FILE_DOCKER_UNIT, 1024, 2147483585, {}, "p", NULL, -EINVAL },
        { LIMIT_FILE_DOCKER_UNIT, UNIT_NOFILE_INFINITY, 1024, {}, "p", NULL, -EINVAL },
        /* infinity only where a unit's limit is kept */
        { LIMIT_FILE_SYSTEMD, 1024, UNIT_NOFILE_INFINITY, {}, "p", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, UNIT_NOFILE_INFINITY, { "*" }, "p", NULL, -EINVAL },
        { LIMIT_FILE_SYSTEMD, 1024, 1024, {}, "p", NULL, -EINVAL, true },
        /* the profile name goes into the comment line */
        { LIMIT_FILE_SYSTEMD, 1024, 1024, {}, "a\nDefaultLimitNOFILE=1", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "*" }, "a b", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "*" }, "", NULL, -EINVAL },
        { LIMIT_FILE_PAM, 1024, 1024, { "*" }, NULL, NULL, -EINVAL },
};

START_TEST(test_render) {
        const RenderCase *c = &render_cases[_i];
        ProfileLimits l = limits_of(c->soft, c->hard, c->domains);
        _cleanup_free_ char *out = NULL, *again = NULL;

        l.present = !c->absent;
        if (!c->expected) {
                ck_assert_int_eq(limits_render(c->file, &l, c->profile, &out), c->ret);
                ck_assert_ptr_null(out);
                return;
        }
        ck_assert_int_eq(limits_render(c->file, &l, c->profile, &out), 0);
        ck_assert_str_eq(out, c->expected);
        /* deterministic, and what limits_file_holds() compares with */
        ck_assert_int_eq(limits_render(c->file, &l, c->profile, &again), 0);
        ck_assert_str_eq(again, out);
        ck_assert(limits_file_holds(c->file, out, strlen(out), &l, c->profile));
}
END_TEST

/* The line syntax of limits.conf(5) (Linux-PAM 1.5): "<domain> <type> <item> <value>", fields separated
 * by blanks, '#' starts a comment. Domains: a user name, @group, the wildcard *, %/%group (maxlogins
 * only), <min_uid>:<max_uid>, @<min_gid>:<max_gid>, %:<gid> (maxlogins only). pam_limits(8) skips a
 * line that does not split into exactly these four fields. */
static const char *const pam_types[] = { "hard", "soft", "-" };
static const char *const pam_items[] = { "core",   "data",         "fsize",      "memlock",  "nofile",
                                         "rss",    "stack",        "cpu",        "nproc",    "as",
                                         "maxlogins", "maxsyslogins", "nonewprivs", "priority", "locks",
                                         "sigpending", "msgqueue",   "nice",       "rtprio",   "chroot" };

typedef enum PamDomainKind {
        PAM_DOMAIN_USER,
        PAM_DOMAIN_GROUP,
        PAM_DOMAIN_WILDCARD,
        PAM_DOMAIN_MAXLOGINS_ONLY, /* %, %group, %:gid */
        PAM_DOMAIN_RANGE,
} PamDomainKind;

static PamDomainKind pam_domain_kind(const char *d) {
        if (streq(d, "*"))
                return PAM_DOMAIN_WILDCARD;
        if (d[0] == '%')
                return PAM_DOMAIN_MAXLOGINS_ONLY;
        if (strchr(d, ':'))
                return PAM_DOMAIN_RANGE;
        return d[0] == '@' ? PAM_DOMAIN_GROUP : PAM_DOMAIN_USER;
}

static bool in_list(const char *s, const char *const *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (streq(s, list[i]))
                        return true;
        return false;
}

/* limits.conf(5): a number, or -1, unlimited, infinity ("nofile" then takes fs.nr_open). */
static bool pam_value_is_valid(const char *v) {
        if (streq(v, "-1") || streq(v, "unlimited") || streq(v, "infinity"))
                return true;
        return v[0] && strspn(v, "0123456789") == strlen(v);
}

START_TEST(test_render_pam_syntax) {
        const RenderCase *c = &render_cases[_i];
        ProfileLimits l = limits_of(c->soft, c->hard, c->domains);
        _cleanup_free_ char *out = NULL;
        size_t n_lines = 0;

        if (c->file != LIMIT_FILE_PAM || !c->expected)
                return;
        ck_assert_int_eq(limits_render(c->file, &l, c->profile, &out), 0);
        ck_assert_msg(out[0] == '#' && strstr(out, "wstuned") && strstr(strchr(out, '\n'), "#") == NULL,
                      "one leading comment line: %s", out);
        for (char *line = strchr(out, '\n') + 1, *end; *line; line = end + 1) {
                char *f[5] = {}, *save = NULL;
                size_t n = 0;

                end = strchr(line, '\n');
                ck_assert_ptr_nonnull(end); /* every line ends in a newline */
                *end = '\0';
                for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
                        if (n < ELEMENTSOF(f))
                                f[n++] = t;
                ck_assert_uint_eq(n, 4);
                ck_assert_msg(pam_domain_kind(f[0]) != PAM_DOMAIN_MAXLOGINS_ONLY, "%s: maxlogins only", f[0]);
                ck_assert(in_list(f[1], pam_types, ELEMENTSOF(pam_types)));
                ck_assert(in_list(f[2], pam_items, ELEMENTSOF(pam_items)));
                ck_assert_str_eq(f[2], "nofile");
                ck_assert(pam_value_is_valid(f[3]));

                /* the n-th domain gets line 2n (soft) and 2n+1 (hard) */
                ck_assert_str_eq(f[0], c->domains[n_lines / 2]);
                ck_assert_str_eq(f[1], n_lines % 2 == 0 ? "soft" : "hard");
                char want[24];
                snprintf(want, sizeof want, "%" PRIu64, n_lines % 2 == 0 ? c->soft : c->hard);
                ck_assert_str_eq(f[3], want);
                n_lines++;
        }
        ck_assert_uint_eq(n_lines, 2 * strv_length((char **) c->domains));
}
END_TEST

/* systemd-system.conf(5): DefaultLimitNOFILE= in [Manager]; systemd.exec(5): LimitNOFILE= in [Service];
 * both take "a single value … or colon-separated pair soft:hard", or infinity. */
typedef struct SystemdKey {
        LimitFile file;
        const char *section, *key;
} SystemdKey;

static const SystemdKey systemd_keys[] = {
        { LIMIT_FILE_SYSTEMD, "[Manager]", "DefaultLimitNOFILE" },
        { LIMIT_FILE_DOCKER_UNIT, "[Service]", "LimitNOFILE" },
        { LIMIT_FILE_CONTAINERD_UNIT, "[Service]", "LimitNOFILE" },
};

START_TEST(test_render_systemd_syntax) {
        const RenderCase *c = &render_cases[_i];
        ProfileLimits l = limits_of(c->soft, c->hard, c->domains);
        _cleanup_free_ char *out = NULL;
        const SystemdKey *k = NULL;

        for (size_t i = 0; i < ELEMENTSOF(systemd_keys); i++)
                if (systemd_keys[i].file == c->file)
                        k = &systemd_keys[i];
        if (!k || !c->expected)
                return;
        ck_assert_int_eq(limits_render(c->file, &l, c->profile, &out), 0);

        /* comment, section, key=value: nothing else */
        char *section = strchr(out, '\n') + 1, *assignment = strchr(section, '\n') + 1;
        ck_assert_int_eq(out[0], '#');
        ck_assert_int_eq(strncmp(section, k->section, strlen(k->section)), 0);
        ck_assert_int_eq(section[strlen(k->section)], '\n');
        ck_assert_int_eq(strncmp(assignment, k->key, strlen(k->key)), 0);
        char *value = assignment + strlen(k->key);
        ck_assert_int_eq(*value++, '=');
        /* one line, always SOFT:HARD, as systemd's rlimit parser reads it (unit-nofile.c mirrors it) */
        char *eol = strchr(value, '\n'), *colon = strchr(value, ':');
        ck_assert_ptr_nonnull(eol);
        ck_assert_int_eq(eol[1], '\0');
        ck_assert(colon && colon < eol && !memchr(colon + 1, ':', (size_t) (eol - colon - 1)));
        uint64_t soft, hard;
        ck_assert_int_eq(unit_nofile_value_parse(value, (size_t) (eol - value), &soft, &hard), 0);
        ck_assert_uint_eq(soft, c->soft);
        ck_assert_uint_eq(hard, c->hard);
        ck_assert_uint_eq(strspn(value, "0123456789:infty\n"), strlen(value));
}
END_TEST

/* ---- merging daemon.json ---- */

#define NOFILE_200K                                  \
        "    \"nofile\": {\n"                        \
        "      \"Name\": \"nofile\",\n"              \
        "      \"Hard\": 200000,\n"                  \
        "      \"Soft\": 200000\n"                   \
        "    }"
#define NEW_ULIMITS_200K "  \"default-ulimits\": {\n" NOFILE_200K "\n  }\n"
#define NEW_ULIMITS_200K_COMMA "  \"default-ulimits\": {\n" NOFILE_200K "\n  },\n"
#define NEW_DOC_200K "{\n" NEW_ULIMITS_200K "}\n"
#define NPROC_IN                                     \
        "\"nproc\":{\"Name\":\"nproc\",\"Hard\":65535,\"Soft\":4096}"
#define NPROC_OUT                                    \
        "    \"nproc\": {\n"                         \
        "      \"Name\": \"nproc\",\n"               \
        "      \"Hard\": 65535,\n"                   \
        "      \"Soft\": 4096\n"                     \
        "    }"

typedef struct MergeCase {
        const char *old; /* NULL: no file */
        size_t size;     /* 0: strlen(old) */
        const char *expected;
        const char *error; /* instead of expected */
        int ret;           /* 0: -EINVAL */
        uint64_t soft, hard; /* 0: 200000 */
} MergeCase;

static const MergeCase merge_cases[] = {
        /* no file, an empty one, one of whitespace (dockerd: empty configuration), an empty object */
        { NULL, 0, NEW_DOC_200K },
        { "", 0, NEW_DOC_200K },
        { " \n\t\r\n", 0, NEW_DOC_200K },
        { "{}", 0, NEW_DOC_200K },
        { "\n  {  }  \n", 0, NEW_DOC_200K },
        /* a noncharacter is valid UTF-8 and valid JSON: written as UTF-8, and the written file reads back (found by
         * fuzz-docker-json after utf8_is_valid() had briefly refused noncharacters) */
        { "{\"log-opts\":{\"tag\":\"\\ufdef \\uffff\"}}", 0,
          "{\n  \"log-opts\": {\n    \"tag\": \"\xef\xb7\xaf \xef\xbf\xbf\"\n  },\n" NEW_ULIMITS_200K "}\n" },
        /* unrelated keys kept, in order; default-ulimits appended */
        { "{\"log-driver\":\"journald\",\"registry-mirrors\":[\"https://mirror.gcr.io\",\"https://m2.example\"],"
          "\"data-root\":\"/srv/docker\",\"live-restore\":true,\"debug\":false,\"cgroup-parent\":null}",
          0,
          "{\n"
          "  \"log-driver\": \"journald\",\n"
          "  \"registry-mirrors\": [\n"
          "    \"https://mirror.gcr.io\",\n"
          "    \"https://m2.example\"\n"
          "  ],\n"
          "  \"data-root\": \"/srv/docker\",\n"
          "  \"live-restore\": true,\n"
          "  \"debug\": false,\n"
          "  \"cgroup-parent\": null,\n" NEW_ULIMITS_200K "}\n" },
        /* empty containers, nested objects, tabs and CRLF in the old layout */
        { "{\r\n\t\"runtimes\": {},\r\n\t\"hosts\": [],\r\n\t\"log-opts\": {\"max-size\": \"10m\", \"max-file\": \"3\"}\r\n}\r\n",
          0,
          "{\n"
          "  \"runtimes\": {},\n"
          "  \"hosts\": [],\n"
          "  \"log-opts\": {\n"
          "    \"max-size\": \"10m\",\n"
          "    \"max-file\": \"3\"\n"
          "  },\n" NEW_ULIMITS_200K "}\n" },
        /* another entry survives unchanged; nofile appended after it */
        { "{\"default-ulimits\":{" NPROC_IN "}}", 0,
          "{\n  \"default-ulimits\": {\n" NPROC_OUT ",\n" NOFILE_200K "\n  }\n}\n" },
        /* default-ulimits keeps its place among the other keys */
        { "{\"debug\":true,\"default-ulimits\":{},\"data-root\":\"/d\"}", 0,
          "{\n  \"debug\": true,\n" NEW_ULIMITS_200K_COMMA "  \"data-root\": \"/d\"\n}\n" },
        /* the string form dockerd rejects, replaced in place */
        { "{\"default-ulimits\":{\"nofile\":\"100:200\"," NPROC_IN "}}", 0,
          "{\n  \"default-ulimits\": {\n" NOFILE_200K ",\n" NPROC_OUT "\n  }\n}\n" },
        /* an entry without Name ("wrong rlimit value" in dockerd) */
        { "{\"default-ulimits\":{" NPROC_IN ",\"nofile\":{\"Hard\":100,\"Soft\":100}}}", 0,
          "{\n  \"default-ulimits\": {\n" NPROC_OUT ",\n" NOFILE_200K "\n  }\n}\n" },
        /* numbers, null, a list: whatever the old value, it is replaced */
        { "{\"default-ulimits\":{\"nofile\":100}}", 0, NEW_DOC_200K },
        { "{\"default-ulimits\":{\"nofile\":null}}", 0, NEW_DOC_200K },
        { "{\"default-ulimits\":{\"nofile\":{\"Name\":\"nofile\",\"Hard\":1024,\"Soft\":1024,\"Extra\":1}}}", 0,
          NEW_DOC_200K },
        { "{\"default-ulimits\":{\"nofile\":{\"name\":\"nofile\",\"hard\":1024,\"soft\":1024}}}", 0, NEW_DOC_200K },
        /* the key in another case: canonical key, same place */
        { "{\"default-ulimits\":{\"NoFile\":{\"Name\":\"nofile\",\"Hard\":1,\"Soft\":1}," NPROC_IN "}}", 0,
          "{\n  \"default-ulimits\": {\n" NOFILE_200K ",\n" NPROC_OUT "\n  }\n}\n" },
        { "{\"default-ulimits\":{" NPROC_IN ",\"NOFILE\":{\"Hard\":1,\"Soft\":1}}}", 0,
          "{\n  \"default-ulimits\": {\n" NPROC_OUT ",\n" NOFILE_200K "\n  }\n}\n" },
        /* every entry dockerd turns into RLIMIT_NOFILE goes, whatever its key; the first is replaced */
        { "{\"default-ulimits\":{\"files\":{\"name\":\"NOFILE\",\"Hard\":1,\"Soft\":1}," NPROC_IN
          ",\"nofile\":{\"Name\":\"nofile\",\"Hard\":5,\"Soft\":5},\"nofile\":\"9:9\"}}",
          0, "{\n  \"default-ulimits\": {\n" NOFILE_200K ",\n" NPROC_OUT "\n  }\n}\n" },
        /* only the exact key is dockerd's (it refuses unknown keys, so this one it would refuse anyway) */
        { "{\"Default-Ulimits\":{\"nofile\":\"1:1\"}}", 0,
          "{\n  \"Default-Ulimits\": {\n    \"nofile\": \"1:1\"\n  },\n" NEW_ULIMITS_200K "}\n" },
        /* a Name that only looks like it is left alone */
        { "{\"default-ulimits\":{\"x\":{\"Name\":\"nofiles\",\"Hard\":1,\"Soft\":1}}}", 0,
          "{\n  \"default-ulimits\": {\n"
          "    \"x\": {\n"
          "      \"Name\": \"nofiles\",\n"
          "      \"Hard\": 1,\n"
          "      \"Soft\": 1\n"
          "    },\n" NOFILE_200K "\n  }\n}\n" },
        /* numbers keep their text: cJSON would print 9.2233720368547758e+18 and null */
        { "{\"max-concurrent-downloads\":3,\"mtu\":1.5e3,\"x-small\":-0.25,\"x-huge\":1e400,"
          "\"default-ulimits\":{\"memlock\":{\"Name\":\"memlock\",\"Hard\":9223372036854775807,\"Soft\":-1}}}",
          0,
          "{\n"
          "  \"max-concurrent-downloads\": 3,\n"
          "  \"mtu\": 1.5e3,\n"
          "  \"x-small\": -0.25,\n"
          "  \"x-huge\": 1e400,\n"
          "  \"default-ulimits\": {\n"
          "    \"memlock\": {\n"
          "      \"Name\": \"memlock\",\n"
          "      \"Hard\": 9223372036854775807,\n"
          "      \"Soft\": -1\n"
          "    },\n" NOFILE_200K "\n  }\n}\n" },
        /* numbers inside strings and names do not shift the ones after them */
        { "{\"a1\":\"-2 e5 \\\"3\\\\\",\"4\":[5,{\"6\":7e1}]}", 0,
          "{\n"
          "  \"a1\": \"-2 e5 \\\"3\\\\\",\n"
          "  \"4\": [\n"
          "    5,\n"
          "    {\n"
          "      \"6\": 7e1\n"
          "    }\n"
          "  ],\n" NEW_ULIMITS_200K "}\n" },
        /* strings re-escaped: same text, JSON's short escapes, UTF-8 as is */
        { "{\"data-root\":\"/srv/d\\u00f6cker\",\"labels\":[\"a=\\\"b\\\"\",\"tab\\there\",\"x\\/y\",\"\\u0001\","
          "\"\\ud83d\\ude00\",\"\xc3\xa9\"]}",
          0,
          "{\n"
          "  \"data-root\": \"/srv/d\xc3\xb6" "cker\",\n"
          "  \"labels\": [\n"
          "    \"a=\\\"b\\\"\",\n"
          "    \"tab\\there\",\n"
          "    \"x/y\",\n"
          "    \"\\u0001\",\n"
          "    \"\xf0\x9f\x98\x80\",\n"
          "    \"\xc3\xa9\"\n"
          "  ],\n" NEW_ULIMITS_200K "}\n" },
        /* a repeated key elsewhere is kept as it is: dockerd reads it the same way before and after */
        { "{\"debug\":true,\"debug\":false}", 0, "{\n  \"debug\": true,\n  \"debug\": false,\n" NEW_ULIMITS_200K "}\n" },
        /* soft and hard differ */
        { "{\"default-ulimits\":{\"nofile\":{\"Name\":\"nofile\",\"Hard\":200000,\"Soft\":200000}}}", 0,
          "{\n  \"default-ulimits\": {\n"
          "    \"nofile\": {\n"
          "      \"Name\": \"nofile\",\n"
          "      \"Hard\": 1048576,\n"
          "      \"Soft\": 1024\n"
          "    }\n  }\n}\n",
          NULL, 0, 1024, 1048576 },
        /* a UTF-8 byte order mark (cJSON skips it) is dropped */
        { "\xef\xbb\xbf{}", 0, NEW_DOC_200K },
        /* the caller's buffer need not end in a NUL */
        { "{}garbage", 2, NEW_DOC_200K },

        /* unparsable: position of the problem, nothing written */
        { "{\"log-driver\": \"journald\",}", 0, NULL, ORIGIN ":1:27: syntax error" },
        { "{\n  \"log-driver\": \"journald\"\n  \"data-root\": \"/x\"\n}\n", 0, NULL, ORIGIN ":3:3: syntax error" },
        { "{\n  \"debug\": tru\n}", 0, NULL, ORIGIN ":2:12: syntax error" },
        { "{\"default-ulimits\":{\"nofile\":{\"Name\":\"nofile\",\"Hard\":1,\"Soft\":1}}", 0, NULL,
          ORIGIN ":1:66: syntax error" }, /* at the end of the text */
        { "{ // comment\n}", 0, NULL, ORIGIN ":1:3: syntax error" },
        { "{\"debug\":true}}", 0, NULL, ORIGIN ":1:15: unexpected data after the JSON value" },
        { "{\"debug\":true}\n{\"debug\":false}\n", 0, NULL, ORIGIN ":2:1: unexpected data after the JSON value" },
        { "{\"debug\":true} x", 0, NULL, ORIGIN ":1:16: unexpected data after the JSON value" },
        { "{\"debug\":true}\0", 15, NULL, ORIGIN ":1:15: NUL byte in file" },
        { "{\"data-root\":\"\\u0000\"}", 0, NULL, ORIGIN ":1:15: \\u0000 is not allowed in strings" },
        { "{\"data-root\":\"\xff\"}", 0, NULL, ORIGIN ": file is not valid UTF-8" },
        /* shapes dockerd would not take either */
        { "[]", 0, NULL, ORIGIN ": the top level must be a JSON object" },
        { "[{\"default-ulimits\":{}}]", 0, NULL, ORIGIN ": the top level must be a JSON object" },
        { "\"default-ulimits\"", 0, NULL, ORIGIN ": the top level must be a JSON object" },
        { "null", 0, NULL, ORIGIN ": the top level must be a JSON object" },
        { "42", 0, NULL, ORIGIN ": the top level must be a JSON object" },
        { "{\"default-ulimits\":[]}", 0, NULL, ORIGIN ": default-ulimits: must be a JSON object" },
        { "{\"default-ulimits\":[{\"Name\":\"nofile\",\"Hard\":1,\"Soft\":1}]}", 0, NULL,
          ORIGIN ": default-ulimits: must be a JSON object" },
        { "{\"default-ulimits\":\"nofile=100:200\"}", 0, NULL, ORIGIN ": default-ulimits: must be a JSON object" },
        { "{\"default-ulimits\":null}", 0, NULL, ORIGIN ": default-ulimits: must be a JSON object" },
        { "{\"default-ulimits\":{},\"debug\":true,\"default-ulimits\":{" NPROC_IN "}}", 0, NULL,
          ORIGIN ": default-ulimits: given twice (dockerd would use the last one)" },
        /* limits that are not valid */
        { "{}", 0, NULL, ORIGIN ": invalid nofile limits", 0, 4096, 1024 },
        { "{}", 0, NULL, ORIGIN ": invalid nofile limits", 0, 1024, 2147483585 },
};

static ProfileLimits merge_limits(const MergeCase *c) {
        return limits_of(c->soft ?: 200000, c->hard ?: 200000, star_root);
}

START_TEST(test_merge) {
        const MergeCase *c = &merge_cases[_i];
        ProfileLimits l = merge_limits(c);
        size_t size = c->old ? (c->size ?: strlen(c->old)) : 0;
        _cleanup_free_ char *out = NULL, *error = NULL;

        if (!c->expected) {
                ck_assert_int_eq(limits_merge_docker_json(c->old, size, ORIGIN, &l, &out, &error),
                                 c->ret ?: -EINVAL);
                ck_assert_ptr_null(out);
                ck_assert_ptr_nonnull(error);
                ck_assert_str_eq(error, c->error);
                ck_assert(!limits_file_holds(LIMIT_FILE_DOCKER_JSON, c->old ?: "", size, &l, "p"));
                return;
        }
        ck_assert_int_eq(limits_merge_docker_json(c->old, size, ORIGIN, &l, &out, &error), 0);
        ck_assert_ptr_null(error);
        ck_assert_str_eq(out, c->expected);
}
END_TEST

/* Merging the merged output again gives the same bytes, and the output holds the limits. */
START_TEST(test_merge_idempotent) {
        const MergeCase *c = &merge_cases[_i];
        ProfileLimits l = merge_limits(c), other = limits_of(1000, 2000, star_root);
        _cleanup_free_ char *once = NULL, *twice = NULL, *error = NULL;
        _cleanup_json_ cJSON *doc = NULL;
        size_t size = c->old ? (c->size ?: strlen(c->old)) : 0;

        if (!c->expected)
                return;
        ck_assert_int_eq(limits_merge_docker_json(c->old, size, ORIGIN, &l, &once, &error), 0);
        ck_assert_int_eq(limits_merge_docker_json(once, strlen(once), ORIGIN, &l, &twice, &error), 0);
        ck_assert_str_eq(twice, once);
        ck_assert(limits_file_holds(LIMIT_FILE_DOCKER_JSON, once, strlen(once), &l, "p"));
        ck_assert(!limits_file_holds(LIMIT_FILE_DOCKER_JSON, once, strlen(once), &other, "p"));

        /* read back independently: exactly one nofile entry, of the shape dockerd takes */
        ck_assert_int_eq(json_parse_strict(once, strlen(once), "out", &doc, &error), 0);
        const cJSON *ulimits = cJSON_GetObjectItemCaseSensitive(doc, "default-ulimits"),
                    *nofile = cJSON_GetObjectItemCaseSensitive(ulimits, "nofile");
        ck_assert_int_eq(cJSON_GetArraySize(nofile), 3);
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(nofile, "Name")->valuestring, "nofile");
        long long v;
        ck_assert(json_get_integer(cJSON_GetObjectItemCaseSensitive(nofile, "Hard"), &v));
        ck_assert_int_eq(v, (long long) l.nofile_hard);
        ck_assert(json_get_integer(cJSON_GetObjectItemCaseSensitive(nofile, "Soft"), &v));
        ck_assert_int_eq(v, (long long) l.nofile_soft);
}
END_TEST

START_TEST(test_merge_size_cap) {
        ProfileLimits l = limits_of(200000, 200000, star_root);
        size_t max = LIMITS_DOCKER_JSON_SIZE_MAX;
        _cleanup_free_ char *big = malloc(max + 2), *out = NULL, *error = NULL;

        /* exactly the cap: parsed */
        ck_assert_ptr_nonnull(big);
        memset(big, ' ', max + 1);
        big[0] = '{';
        big[max - 1] = '}';
        big[max + 1] = '\0';
        ck_assert_int_eq(limits_merge_docker_json(big, max, ORIGIN, &l, &out, &error), 0);
        ck_assert_str_eq(out, NEW_DOC_200K);
        ck_assert(!limits_file_holds(LIMIT_FILE_DOCKER_JSON, big, max, &l, "p"));

        /* one byte more: refused before parsing */
        free(out);
        out = NULL;
        ck_assert_int_eq(limits_merge_docker_json(big, max + 1, ORIGIN, &l, &out, &error), -EFBIG);
        ck_assert_ptr_null(out);
        ck_assert_str_eq(error, ORIGIN ": file larger than 1048576 bytes");
}
END_TEST

/* ---- a unit's drop-in never lowers the unit's own limit ---- */

#define INF UNIT_NOFILE_INFINITY

typedef struct WantedCase {
        uint64_t soft, hard;   /* the profile's */
        UnitNofile own;        /* the unit's, without the drop-in */
        int ret;               /* 1: write soft_out:hard_out, 0: no drop-in */
        uint64_t soft_out, hard_out;
} WantedCase;

static const WantedCase wanted_cases[] = {
        { 200000, 200000, { true, INF, INF }, 0 },                 /* docker-ce 23/24, containerd 1.x */
        { 200000, 200000, { true, 1048576, 1048576 }, 0 },
        { 200000, 200000, { true, 200000, 200000 }, 0 },           /* equal: nothing to raise */
        { 65536, 524288, { true, 524288, 524288 }, 0 },
        { 200000, 200000, { true, 4096, 4096 }, 1, 200000, 200000 },
        { 200000, 200000, { false }, 1, 200000, 200000 },          /* none of its own (docker 25) */
        { 200000, 200000, { true, 0, 0 }, 1, 200000, 200000 },
        /* one limit above the profile's, the other below: the drop-in keeps the higher of each */
        { 200000, 200000, { true, 1024, INF }, 1, 200000, INF },
        { 200000, 200000, { true, 1024, 524288 }, 1, 200000, 524288 },
        { 65536, 524288, { true, 200000, 200000 }, 1, 200000, 524288 },
        { 65536, 524288, { true, 1048576, 1048576 }, 0 },
        /* a finite limit beyond the kernel's ceiling for any nofile limit counts as infinity */
        { 4096, 4096, { true, 1024, 4294967296 }, 1, 4096, INF },
};

START_TEST(test_unit_wanted) {
        const WantedCase *c = &wanted_cases[_i];
        ProfileLimits l = limits_of(c->soft, c->hard, star_root), out = {};
        _cleanup_free_ char *text = NULL;

        ck_assert_int_eq(limits_unit_wanted(&l, &c->own, &out), c->ret);
        if (c->ret == 0)
                return;
        ck_assert_uint_eq(out.nofile_soft, c->soft_out);
        ck_assert_uint_eq(out.nofile_hard, c->hard_out);
        ck_assert_ptr_eq(out.domains, l.domains);
        /* and what it wants can be written, and does not lower the unit's limit */
        ck_assert_int_eq(limits_render(LIMIT_FILE_DOCKER_UNIT, &out, "ws-server", &text), 0);
        UnitNofile ours = {};
        ck_assert_int_eq(unit_nofile_parse(text, strlen(text), &ours), 1);
        ck_assert(!unit_nofile_lowers(&ours, &c->own));
        ck_assert(ours.soft >= c->soft && ours.hard >= c->hard);
}
END_TEST

START_TEST(test_unit_wanted_invalid) {
        ProfileLimits reversed = limits_of(4096, 1024, star_root), absent = limits_of(1024, 1024, star_root),
                      infinite = limits_of(1024, INF, star_root), out;
        UnitNofile own = { true, 1, 1 };

        absent.present = false;
        ck_assert_int_eq(limits_unit_wanted(&reversed, &own, &out), -EINVAL);
        ck_assert_int_eq(limits_unit_wanted(&absent, &own, &out), -EINVAL);
        ck_assert_int_eq(limits_unit_wanted(&infinite, &own, &out), -EINVAL); /* a profile has no infinity */
        ck_assert_int_eq(limits_unit_wanted(NULL, &own, &out), -EINVAL);
        ck_assert_int_eq(limits_unit_wanted(&absent, NULL, &out), -EINVAL);
}
END_TEST

/* ---- whether existing content holds the limits ---- */

typedef struct HoldsCase {
        LimitFile file;
        const char *content; /* NULL: no file */
        bool holds;
        uint64_t soft, hard; /* 0: 200000 */
        const char *profile; /* NULL: "ws-server" */
} HoldsCase;

#define PAM_200K                      \
        HDR("ws-server")              \
        "*    soft nofile 200000\n"   \
        "*    hard nofile 200000\n"   \
        "root soft nofile 200000\n"   \
        "root hard nofile 200000\n"
#define SYSTEMD_200K HDR("ws-server") "[Manager]\nDefaultLimitNOFILE=200000:200000\n"
#define UNIT_200K HDR("ws-server") "[Service]\nLimitNOFILE=200000:200000\n"
#define DU(entries) "{\"default-ulimits\":{" entries "}}"
#define NOFILE_JSON(hard, soft) "\"nofile\":{\"Name\":\"nofile\",\"Hard\":" hard ",\"Soft\":" soft "}"

static const HoldsCase holds_cases[] = {
        /* drop-ins: exactly the rendered bytes */
        { LIMIT_FILE_PAM, PAM_200K, true },
        { LIMIT_FILE_PAM, PAM_200K, false, 0, 0, "ws-client" }, /* another profile's file */
        { LIMIT_FILE_PAM, PAM_200K, false, 1024 },
        { LIMIT_FILE_PAM, PAM_200K "# added by hand\n", false },
        { LIMIT_FILE_PAM, HDR("ws-server") "*    soft nofile 200000\n*    hard nofile 200000\n", false },
        { LIMIT_FILE_PAM, HDR("ws-server") "*    soft nofile 200000\n*    hard nofile 200000\n"
                          "root soft nofile 200000\nroot hard nofile 200000", false }, /* no final newline */
        { LIMIT_FILE_PAM, "", false },
        { LIMIT_FILE_PAM, NULL, false },
        { LIMIT_FILE_SYSTEMD, SYSTEMD_200K, true },
        { LIMIT_FILE_SYSTEMD, HDR("ws-server") "[Manager]\nDefaultLimitNOFILE=200000\n", false },
        { LIMIT_FILE_SYSTEMD, UNIT_200K, false },
        { LIMIT_FILE_DOCKER_UNIT, UNIT_200K, true },
        { LIMIT_FILE_CONTAINERD_UNIT, UNIT_200K, true },
        { LIMIT_FILE_CONTAINERD_UNIT, UNIT_200K, false, 1024, 200000 },
        { LIMIT_FILE_DOCKER_UNIT, HDR("ws-server") "[Service]\nLimitNOFILE=200000:infinity\n", true, 200000,
          UNIT_NOFILE_INFINITY },
        { LIMIT_FILE_DOCKER_UNIT, UNIT_200K, false, 200000, UNIT_NOFILE_INFINITY },
        { _LIMIT_FILE_INVALID, UNIT_200K, false },

        /* daemon.json: the entry, whatever the layout and the other keys */
        { LIMIT_FILE_DOCKER_JSON, NEW_DOC_200K, true },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("200000", "200000")), true },
        { LIMIT_FILE_DOCKER_JSON, DU("\"nofile\":{\"Soft\":200000,\"Hard\":200000,\"Name\":\"nofile\"}"), true },
        { LIMIT_FILE_DOCKER_JSON, "{\"debug\":true," "\"default-ulimits\":{" NPROC_IN "," NOFILE_JSON("200000", "200000")
                                  "},\"data-root\":\"/d\"}", true },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("4096", "1024")), true, 1024, 4096 },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("1024", "4096")), false, 1024, 4096 },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("200001", "200000")), false },
        /* the shapes dockerd rejects or reads differently */
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("200000.0", "200000")), false },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("2e5", "200000")), false },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("\"200000\"", "200000")), false },
        { LIMIT_FILE_DOCKER_JSON, DU("\"nofile\":\"200000:200000\""), false },
        { LIMIT_FILE_DOCKER_JSON, DU("\"nofile\":{\"Hard\":200000,\"Soft\":200000}"), false },
        { LIMIT_FILE_DOCKER_JSON, DU("\"nofile\":{\"Name\":\"NOFILE\",\"Hard\":200000,\"Soft\":200000}"), false },
        { LIMIT_FILE_DOCKER_JSON, DU("\"nofile\":{\"name\":\"nofile\",\"hard\":200000,\"soft\":200000}"), false },
        { LIMIT_FILE_DOCKER_JSON, DU("\"NOFILE\":{\"Name\":\"nofile\",\"Hard\":200000,\"Soft\":200000}"), false },
        { LIMIT_FILE_DOCKER_JSON,
          DU("\"nofile\":{\"Name\":\"nofile\",\"Hard\":200000,\"Soft\":200000,\"Extra\":1}"), false },
        { LIMIT_FILE_DOCKER_JSON,
          DU("\"nofile\":{\"Name\":\"nofile\",\"Hard\":200000,\"Hard\":200000,\"Soft\":200000}"), false },
        { LIMIT_FILE_DOCKER_JSON,
          DU("\"nofile\":{\"Name\":\"nofile\",\"Name\":\"nofile\",\"Hard\":200000}"), false },
        /* a second entry that dockerd also turns into RLIMIT_NOFILE */
        { LIMIT_FILE_DOCKER_JSON,
          DU(NOFILE_JSON("200000", "200000") ",\"files\":{\"Name\":\"nofile\",\"Hard\":1,\"Soft\":1}"), false },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("200000", "200000") "," NOFILE_JSON("200000", "200000")), false },
        { LIMIT_FILE_DOCKER_JSON,
          "{\"default-ulimits\":{" NOFILE_JSON("200000", "200000") "},"
          "\"default-ulimits\":{" NOFILE_JSON("200000", "200000") "}}",
          false },
        { LIMIT_FILE_DOCKER_JSON, DU(NPROC_IN), false },
        { LIMIT_FILE_DOCKER_JSON, "{\"default-ulimits\":{}}", false },
        { LIMIT_FILE_DOCKER_JSON, "{\"debug\":true}", false },
        { LIMIT_FILE_DOCKER_JSON, "{}", false },
        { LIMIT_FILE_DOCKER_JSON, "", false },
        { LIMIT_FILE_DOCKER_JSON, NULL, false },
        { LIMIT_FILE_DOCKER_JSON, DU(NOFILE_JSON("200000", "200000")) "}", false },
        { LIMIT_FILE_DOCKER_JSON, "[" DU(NOFILE_JSON("200000", "200000")) "]", false },
};

START_TEST(test_holds) {
        const HoldsCase *c = &holds_cases[_i];
        ProfileLimits l = limits_of(c->soft ?: 200000, c->hard ?: 200000, star_root);

        ck_assert_msg(limits_file_holds(c->file, c->content, c->content ? strlen(c->content) : 0, &l,
                                        c->profile ?: "ws-server") == c->holds,
                      "case %d: %s", _i, strempty(c->content));
}
END_TEST

START_TEST(test_holds_invalid_limits) {
        ProfileLimits absent = limits_of(200000, 200000, star_root);
        ProfileLimits reversed = limits_of(4096, 1024, star_root);

        absent.present = false;
        ck_assert(!limits_file_holds(LIMIT_FILE_DOCKER_JSON, NEW_DOC_200K, strlen(NEW_DOC_200K), &absent,
                                     "ws-server"));
        ck_assert(!limits_file_holds(LIMIT_FILE_PAM, PAM_200K, strlen(PAM_200K), &absent, "ws-server"));
        ck_assert(!limits_file_holds(LIMIT_FILE_SYSTEMD, "", 0, &reversed, "ws-server"));
        ck_assert(!limits_file_holds(LIMIT_FILE_PAM, PAM_200K, strlen(PAM_200K), NULL, "ws-server"));
}
END_TEST

static Suite *limits_suite(void) {
        Suite *s = suite_create("limits");
        TCase *tc;

        tc = tcase_create("files");
        tcase_add_loop_test(tc, test_file_table, 0, ELEMENTSOF(file_cases));
        tcase_add_test(tc, test_file_table_invalid);
        suite_add_tcase(s, tc);

        tc = tcase_create("render");
        tcase_add_loop_test(tc, test_render, 0, ELEMENTSOF(render_cases));
        tcase_add_loop_test(tc, test_render_pam_syntax, 0, ELEMENTSOF(render_cases));
        tcase_add_loop_test(tc, test_render_systemd_syntax, 0, ELEMENTSOF(render_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("docker-json");
        tcase_add_loop_test(tc, test_merge, 0, ELEMENTSOF(merge_cases));
        tcase_add_loop_test(tc, test_merge_idempotent, 0, ELEMENTSOF(merge_cases));
        tcase_add_test(tc, test_merge_size_cap);
        suite_add_tcase(s, tc);

        tc = tcase_create("unit-wanted");
        tcase_add_loop_test(tc, test_unit_wanted, 0, ELEMENTSOF(wanted_cases));
        tcase_add_test(tc, test_unit_wanted_invalid);
        suite_add_tcase(s, tc);

        tc = tcase_create("holds");
        tcase_add_loop_test(tc, test_holds, 0, ELEMENTSOF(holds_cases));
        tcase_add_test(tc, test_holds_invalid_limits);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(limits_suite());
}
