/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-profile.c - profile parsing: a table of good profiles, a table of bad ones with their exact
 * messages, the size and key caps, loading from directories, listing, and the shipped profiles. */
#include <inttypes.h>

#include "profile.h"
#include "test-helpers.h"

#define E SYSCTL_MATCH_EXACT
#define A SYSCTL_MATCH_AT_LEAST
#define ENFORCE KEY_POLICY_ENFORCE
#define RAISE KEY_POLICY_RAISE_ONLY
#define WARN KEY_POLICY_WARN
#define IGNORE KEY_POLICY_IGNORE

#define ALL_LAYERS ((1u << LIMIT_LAYER_PAM) | (1u << LIMIT_LAYER_SYSTEMD) | (1u << LIMIT_LAYER_DOCKER))

#define S16 "aaaaaaaaaaaaaaaa"
#define S64 S16 S16 S16 S16
#define S256 S64 S64 S64 S64
#define S512 S256 S256
#define NAME_129 "net.core." S64 S64 "x"

typedef struct KeyExpect {
        const char *path, *name, *value;
        SysctlMatch match;
        KeyPolicy policy;
} KeyExpect;

typedef struct GoodCase {
        const char *text;
        const char *description;
        size_t n_keys;
        KeyExpect keys[3];
        /* limits, when nofile_hard is not 0 */
        uint64_t nofile_soft, nofile_hard;
        const char *domains; /* joined with spaces */
        unsigned layers;
        const char *processes; /* "name:owner", joined with spaces; NULL: none */
        const char *services;  /* joined with spaces; NULL: none */
        bool docker_always;
} GoodCase;

static const GoodCase good_cases[] = {
        { "{}", "", 0 },
        { "{\"description\":\"Serveur WebSocket \\u2014 15k\",\"sysctl\":{}}", "Serveur WebSocket \xe2\x80\x94 15k", 0 },
        { "\n {\"sysctl\" : { \"net.core.somaxconn\" : 16384 } } \n\n", "", 1,
          { { "net/core/somaxconn", "net.core.somaxconn", "16384", E, ENFORCE } } },
        { "{\"sysctl\":{\"kernel.perf_event_paranoid\":-1}}", "", 1,
          { { "kernel/perf_event_paranoid", "kernel.perf_event_paranoid", "-1" } } },
        /* strings: whitespace normalised, tabs are spaces */
        { "{\"sysctl\":{\"net.ipv4.ip_local_port_range\":\"\\t10000 \\t 65000\\n\"}}", "", 1,
          { { "net/ipv4/ip_local_port_range", "net.ipv4.ip_local_port_range", "10000 65000" } } },
        /* slash form, and interface names with a dot in both forms */
        { "{\"sysctl\":{\"net/ipv4/tcp_fin_timeout\":15,\"net.ipv4.conf.eth0/100.rp_filter\":1,"
          "\"net/ipv4/conf/eth0.101/rp_filter\":\"2\"}}",
          "", 3,
          { { "net/ipv4/tcp_fin_timeout", "net.ipv4.tcp_fin_timeout", "15" },
            { "net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter", "1" },
            { "net/ipv4/conf/eth0.101/rp_filter", "net.ipv4.conf.eth0/101.rp_filter", "2" } } },
        /* the object form with every match and policy */
        { "{\"sysctl\":{\"net.netfilter.nf_conntrack_max\":{\"value\":262144,\"match\":\"at-least\"}}}", "", 1,
          { { "net/netfilter/nf_conntrack_max", "net.netfilter.nf_conntrack_max", "262144", A, ENFORCE } } },
        { "{\"sysctl\":{\"a.b\":{\"value\":4096,\"policy\":\"raise-only\"},"
          "\"a.c\":{\"value\":\"cubic\",\"match\":\"exact\",\"policy\":\"warn\"},"
          "\"a.d\":{\"value\":1,\"policy\":\"ignore\",\"match\":\"at-least\"}}}",
          "", 3,
          { { "a/b", "a.b", "4096", E, RAISE }, { "a/c", "a.c", "cubic", E, WARN }, { "a/d", "a.d", "1", A, IGNORE } } },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"x  y\",\"policy\":\"enforce\"}}}", "", 1,
          { { "a/b", "a.b", "x y", E, ENFORCE } } },
        /* integers beyond 2^53 as strings, also with at-least */
        { "{\"sysctl\":{\"a.b\":{\"value\":\"18446744073709551615\",\"match\":\"at-least\"}}}", "", 1,
          { { "a/b", "a.b", "18446744073709551615", A } } },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"0016384\",\"policy\":\"raise-only\"}}}", "", 1,
          { { "a/b", "a.b", "0016384", E, RAISE } } },
        /* the largest numbers taken as numbers (2^53 - 1: every integer up to it is exact in a double) */
        { "{\"sysctl\":{\"a.b\":9007199254740991,\"a.c\":-9007199254740991}}", "", 2,
          { { "a/b", "a.b", "9007199254740991" }, { "a/c", "a.c", "-9007199254740991" } } },
        /* an escaped backslash before u0000 makes it plain text */
        { "{\"sysctl\":{\"a.b\":\"\\\\u0000\"}}", "", 1, { { "a/b", "a.b", "\\u0000" } } },
        { "{\"sysctl\":{\"a.b\":\"\\u00e9t\\u00e9\"}}", "", 1, { { "a/b", "a.b", "\xc3\xa9t\xc3\xa9" } } },
        /* limits: defaults for domains and layers */
        { "{\"limits\":{\"nofile\":1024}}", "", 0, {}, 1024, 1024, "* root", ALL_LAYERS },
        { "{\"limits\":{\"nofile\":{\"soft\":1024,\"hard\":4096},\"domains\":[\"@ws\",\"alice\",\"*\"],"
          "\"layers\":[\"docker\",\"pam\"]}}",
          "", 0, {}, 1024, 4096, "@ws alice *", (1u << LIMIT_LAYER_DOCKER) | (1u << LIMIT_LAYER_PAM) },
        { "{\"limits\":{\"nofile\":{\"soft\":1,\"hard\":2147483584},\"domains\":[\"user.name-1_x\",\"@" S16 S16 "\"],"
          "\"layers\":[\"systemd\"]}}",
          "", 0, {}, 1, 2147483584, "user.name-1_x @" S16 S16, 1u << LIMIT_LAYER_SYSTEMD },
        { "{\"limits\":{\"nofile\":{\"soft\":200000,\"hard\":200000}},\"sysctl\":{\"a.b\":1}}", "", 1,
          { { "a/b", "a.b", "1" } }, 200000, 200000, "* root", ALL_LAYERS },
        /* watched processes: a name is root's; the object form says whose */
        { "{\"limits\":{\"nofile\":1024,\"processes\":[\"ws-go\",{\"name\":\"ws-dev\",\"owner\":\"any\"},"
          "{\"owner\":\"root\",\"name\":\"ws-admin\"},{\"name\":\"aaaaaaaaaaaaaaa\"}],"
          "\"services\":[\"ws-api.service\",\"ws@8080.service\"]}}",
          "", 0, {}, 1024, 1024, "* root", ALL_LAYERS, "ws-go:root ws-dev:any ws-admin:root aaaaaaaaaaaaaaa:root",
          "ws-api.service ws@8080.service" },
        { "{\"limits\":{\"nofile\":1024,\"processes\":[],\"services\":[]}}", "", 0, {}, 1024, 1024, "* root",
          ALL_LAYERS },
        { "{\"limits\":{\"nofile\":1024,\"processes\":[{\"name\":\"dockerd\",\"owner\":\"any\"}]}}", "", 0, {},
          1024, 1024, "* root", ALL_LAYERS, "dockerd:any" },
        /* the docker layer where Docker is not installed: only when the profile says so */
        { "{\"limits\":{\"nofile\":1024,\"docker\":\"always\"}}", "", 0, {}, 1024, 1024, "* root", ALL_LAYERS, NULL,
          NULL, true },
        { "{\"limits\":{\"nofile\":1024,\"layers\":[\"docker\"],\"docker\":\"always\"}}", "", 0, {}, 1024, 1024,
          "* root", 1u << LIMIT_LAYER_DOCKER, NULL, NULL, true },
        { "{\"limits\":{\"nofile\":1024,\"docker\":\"if-installed\"}}", "", 0, {}, 1024, 1024, "* root",
          ALL_LAYERS },
};

START_TEST(test_parse_good) {
        const GoodCase *c = &good_cases[_i];
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(profile_parse("good", "t.json", c->text, strlen(c->text), &p, &error), 0);
        ck_assert_ptr_null(error);
        ck_assert_str_eq(p->name, "good");
        ck_assert_str_eq(p->path, "t.json");
        ck_assert_str_eq(p->description, c->description);
        ck_assert_uint_eq(p->n_keys, c->n_keys);
        for (size_t i = 0; i < c->n_keys; i++) {
                const KeyExpect *k = &c->keys[i];
                ck_assert_str_eq(p->keys[i].path, k->path);
                ck_assert_str_eq(p->keys[i].name, k->name);
                ck_assert_str_eq(p->keys[i].value, k->value);
                ck_assert_int_eq(p->keys[i].match, k->match);
                ck_assert_int_eq(p->keys[i].policy, k->policy);
                ck_assert_ptr_eq(profile_find_key(p, k->path), &p->keys[i]);
        }
        ck_assert_ptr_null(profile_find_key(p, "net/core/nope"));

        ck_assert_int_eq(p->limits.present, c->nofile_hard > 0);
        if (c->nofile_hard == 0)
                return;
        ck_assert_uint_eq(p->limits.nofile_soft, c->nofile_soft);
        ck_assert_uint_eq(p->limits.nofile_hard, c->nofile_hard);
        ck_assert_uint_eq(p->limits.layers, c->layers);
        ck_assert_int_eq(p->limits.docker_always, c->docker_always);
        _cleanup_free_ char *domains = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&domains, &size);
        for (char **d = p->limits.domains; d && *d; d++)
                fprintf(f, "%s%s", d == p->limits.domains ? "" : " ", *d);
        fclose(f);
        ck_assert_str_eq(domains, c->domains);

        _cleanup_free_ char *processes = NULL, *services = NULL;
        f = open_memstream(&processes, &size);
        for (size_t i = 0; i < p->limits.n_processes; i++)
                fprintf(f, "%s%s:%s", i == 0 ? "" : " ", p->limits.processes[i].name,
                        process_owner_to_string(p->limits.processes[i].owner));
        fclose(f);
        ck_assert_str_eq(processes, strempty(c->processes));
        f = open_memstream(&services, &size);
        for (char **u = p->limits.services; u && *u; u++)
                fprintf(f, "%s%s", u == p->limits.services ? "" : " ", *u);
        fclose(f);
        ck_assert_str_eq(services, strempty(c->services));
}
END_TEST

typedef struct BadCase {
        const char *text;
        size_t size; /* 0: strlen(text) */
        const char *error;
        int ret; /* 0: -EINVAL */
} BadCase;

static const BadCase bad_cases[] = {
        /* watch: thresholds, hysteresis, hold, growth */
        { "{\"watch\":[]}", 0, "t.json: watch: must be an object" },
        { "{\"watch\":{\"disk\":{}}}", 0, "t.json: watch.disk: unknown field" },
        { "{\"watch\":{\"fds\":{},\"fds\":{}}}", 0, "t.json: watch.fds: duplicate field" },
        { "{\"watch\":{\"fds\":80}}", 0, "t.json: watch.fds: must be an object { \"warn\": N, \"critical\": N }" },
        { "{\"watch\":{\"fds\":{\"warm\":80}}}", 0, "t.json: watch.fds.warm: unknown field" },
        { "{\"watch\":{\"ports\":{\"warn\":\"80\"}}}", 0, "t.json: watch.ports.warn: must be a number 0.01..1000 (percent)" },
        { "{\"watch\":{\"ports\":{\"critical\":0}}}", 0, "t.json: watch.ports.critical: must be a number 0.01..1000 (percent)" },
        { "{\"watch\":{\"conntrack\":{\"warn\":95}}}", 0, "t.json: watch.conntrack: warn 95 must be below critical 90" },
        { "{\"watch\":{\"backlog\":{\"warn\":60,\"critical\":60}}}", 0, "t.json: watch.backlog: warn 60 must be below critical 60" },
        { "{\"watch\":{\"hysteresis\":-1}}", 0, "t.json: watch.hysteresis: must be a number 0..50 (percent)" },
        { "{\"watch\":{\"hold_seconds\":1.5}}", 0, "t.json: watch.hold_seconds: must be an integer 0..86400" },
        { "{\"watch\":{\"conntrack_growth\":true}}", 0, "t.json: watch.conntrack_growth: must be an object" },
        { "{\"watch\":{\"conntrack_growth\":{\"above\":101}}}", 0,
          "t.json: watch.conntrack_growth.above: must be a number 1..100 (percent)" },
        { "{\"watch\":{\"conntrack_growth\":{\"max\":0}}}", 0,
          "t.json: watch.conntrack_growth.max: must be an integer 1..2147483647" },
        { "{\"watch\":{\"conntrack_growth\":{\"memory_percent\":80}}}", 0,
          "t.json: watch.conntrack_growth.memory_percent: must be a number 0.1..50 (percent)" },
        { "{\"watch\":{\"conntrack_growth\":{\"step\":2}}}", 0, "t.json: watch.conntrack_growth.step: unknown field" },
        { "{\"watch\":{\"conntrack_growth\":{}},\"sysctl\":{\"net.netfilter.nf_conntrack_max\":262144}}", 0,
          "t.json: watch.conntrack_growth: needs sysctl \"net.netfilter.nf_conntrack_max\" with match \"at-least\" or "
          "policy \"raise-only\" (it is \"exact\")" },
        /* JSON syntax: file, line and column */
        { "{\"sysctl\":{}}}", 0, "t.json:1:14: unexpected data after the JSON value" },
        { "{\"sysctl\":{}} x", 0, "t.json:1:15: unexpected data after the JSON value" },
        { "{\"sysctl\":{}}{\"sysctl\":{}}", 0, "t.json:1:14: unexpected data after the JSON value" },
        { "{\"sysctl\":{}}\n\n  {}", 0, "t.json:3:3: unexpected data after the JSON value" },
        { "{\"sysctl\":{", 0, "t.json:1:12: syntax error" },
        { "{\"sysctl\" {}}", 0, "t.json:1:11: syntax error" },
        { "{\n  \"sysctl\": {\n    \"a.b\": tru\n  }\n}", 0, "t.json:3:12: syntax error" },
        { "{\"sysctl\":{\"a.b\":1 \"a.c\":2}}", 0, "t.json:1:20: syntax error" },
        { "{\"sysctl\":{\"a.b\":[1,]}}", 0, "t.json:1:21: syntax error" },
        { "{\"sysctl\":{\"a.b\":+1}}", 0, "t.json:1:18: syntax error" },
        { "{\"sysctl\":{\"a.b\":0x10}}", 0, "t.json:1:19: syntax error" },
        { "", 0, "t.json:1:1: syntax error" },
        { "   ", 0, "t.json:1:4: syntax error" },
        { "{\"description\":\"\\ud800\"}", 0, "t.json:1:17: syntax error" }, /* lone surrogate */
        /* NUL bytes and \u0000, which cJSON would silently cut strings at */
        { "{\"sysctl\":{}}\0", 14, "t.json:1:14: NUL byte in file" },
        { "{\"description\":\"a\0b\"}", 21, "t.json:1:18: NUL byte in file" },
        { "{\"sysctl\":{\"a.b\":\"x\\u0000\"}}", 0, "t.json:1:20: \\u0000 is not allowed in strings" },
        { "{\"sysctl\":{\"net.core\\u0000.x\":1}}", 0, "t.json:1:21: \\u0000 is not allowed in strings" },
        { "{\"sysctl\":{\"a.b\":\"\\\\\\u0000\"}}", 0, "t.json:1:21: \\u0000 is not allowed in strings" },
        { "\n\n{\"description\":\"\\u0000\"}", 0, "t.json:3:17: \\u0000 is not allowed in strings" },
        /* invalid UTF-8 */
        { "{\"description\":\"\xff\"}", 0, "t.json: file is not valid UTF-8" },
        { "{\"description\":\"\xc0\xaf\"}", 0, "t.json: file is not valid UTF-8" },
        { "{\"description\":\"\xed\xa0\x80\"}", 0, "t.json: file is not valid UTF-8" },
        { "{\"sysctl\":{\"net.core.\xe9\":1}}", 0, "t.json: file is not valid UTF-8" },

        /* the top level */
        { "[]", 0, "t.json: the profile must be a JSON object" },
        { "\"sysctl\"", 0, "t.json: the profile must be a JSON object" },
        { "null", 0, "t.json: the profile must be a JSON object" },
        { "{\"sysctls\":{}}", 0, "t.json: sysctls: unknown field" },
        { "{\"Sysctl\":{}}", 0, "t.json: Sysctl: unknown field" },
        { "{\"sysctl\":{},\"sysctl\":{}}", 0, "t.json: sysctl: duplicate field" },
        { "{\"description\":\"a\",\"description\":\"b\"}", 0, "t.json: description: duplicate field" },
        { "{\"description\":1}", 0, "t.json: description: must be a string of at most 512 bytes" },
        { "{\"description\":\"" S512 "x\"}", 0, "t.json: description: must be a string of at most 512 bytes" },
        { "{\"description\":\"a\\nb\"}", 0, "t.json: description: control character" },
        { "{\"description\":\"a\\tb\"}", 0, "t.json: description: control character" },
        { "{\"sysctl\":[]}", 0, "t.json: sysctl: must be an object of key: value" },
        { "{\"sysctl\":null}", 0, "t.json: sysctl: must be an object of key: value" },
        { "{\"sysctl\":\"a.b=1\"}", 0, "t.json: sysctl: must be an object of key: value" },

        /* key names */
        { "{\"sysctl\":{\"\":1}}", 0, "t.json: sysctl[\"\"]: empty key name" },
        { "{\"sysctl\":{\"/proc/sys/net/core/somaxconn\":1}}", 0,
          "t.json: sysctl[\"/proc/sys/net/core/somaxconn\"]: absolute path; give the name relative to /proc/sys" },
        { "{\"sysctl\":{\"net..core\":1}}", 0, "t.json: sysctl[\"net..core\"]: empty segment in key name" },
        { "{\"sysctl\":{\"../../etc/shadow\":1}}", 0, "t.json: sysctl[\"../../etc/shadow\"]: empty segment in key name" },
        { "{\"sysctl\":{\"net/../kernel/x\":1}}", 0, "t.json: sysctl[\"net/../kernel/x\"]: '.' or '..' segment in key name" },
        { "{\"sysctl\":{\"net.core.some thing\":1}}", 0,
          "t.json: sysctl[\"net.core.some thing\"]: whitespace or control character in key name" },
        { "{\"sysctl\":{\"net.core.x\\u0001\":1}}", 0,
          "t.json: sysctl[\"net.core.x\x01\"]: whitespace or control character in key name" },
        { "{\"sysctl\":{\"net.core.x\\t\":1}}", 0,
          "t.json: sysctl[\"net.core.x\t\"]: whitespace or control character in key name" },
        { "{\"sysctl\":{\"somaxconn\":1}}", 0,
          "t.json: sysctl[\"somaxconn\"]: key name must have at least two segments (e.g. net.core.somaxconn)" },
        { "{\"sysctl\":{\"" NAME_129 "\":1}}", 0, "t.json: sysctl[\"" NAME_129 "\"]: key name too long" },

        /* the same key twice, also in dot and slash form */
        { "{\"sysctl\":{\"net.core.somaxconn\":1,\"net.core.somaxconn\":2}}", 0,
          "t.json: sysctl[\"net.core.somaxconn\"]: duplicate key (same as \"net.core.somaxconn\")" },
        { "{\"sysctl\":{\"net.core.somaxconn\":1,\"net/core/somaxconn\":2}}", 0,
          "t.json: sysctl[\"net/core/somaxconn\"]: duplicate key (same as \"net.core.somaxconn\")" },
        { "{\"sysctl\":{\"a.b\":1,\"a.c\":1,\"a/b\":1}}", 0, "t.json: sysctl[\"a/b\"]: duplicate key (same as \"a.b\")" },
        { "{\"sysctl\":{\"net/ipv4/conf/eth0.100/rp_filter\":1,\"net.ipv4.conf.eth0/100.rp_filter\":1}}", 0,
          "t.json: sysctl[\"net.ipv4.conf.eth0/100.rp_filter\"]: duplicate key (same as "
          "\"net.ipv4.conf.eth0/100.rp_filter\")" },

        /* values */
        { "{\"sysctl\":{\"a.b\":true}}", 0, "t.json: sysctl[\"a.b\"]: value must be a number or a string" },
        { "{\"sysctl\":{\"a.b\":null}}", 0, "t.json: sysctl[\"a.b\"]: value must be a number or a string" },
        { "{\"sysctl\":{\"a.b\":[1]}}", 0, "t.json: sysctl[\"a.b\"]: value must be a number or a string" },
        { "{\"sysctl\":{\"a.b\":1.5}}", 0,
          "t.json: sysctl[\"a.b\"]: number 1.5 is not an integer" },
        { "{\"sysctl\":{\"a.b\":9007199254740994}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":-9007199254740994}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":18446744073709551615}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":1e400}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":\"\"}}", 0, "t.json: sysctl[\"a.b\"]: empty value" },
        { "{\"sysctl\":{\"a.b\":\" \\t \"}}", 0, "t.json: sysctl[\"a.b\"]: empty value" },
        { "{\"sysctl\":{\"a.b\":\"1\\r2\"}}", 0, "t.json: sysctl[\"a.b\"]: control character in value" },
        { "{\"sysctl\":{\"a.b\":\"\\u007f\"}}", 0, "t.json: sysctl[\"a.b\"]: control character in value" },
        { "{\"sysctl\":{\"a.b\":\"" S256 "1\"}}", 0, "t.json: sysctl[\"a.b\"]: value too long" },

        /* the object form */
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"mode\":\"x\"}}}", 0, "t.json: sysctl[\"a.b\"].mode: unknown field" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"Value\":1}}}", 0, "t.json: sysctl[\"a.b\"].Value: unknown field" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"value\":2}}}", 0, "t.json: sysctl[\"a.b\"].value: duplicate field" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"match\":\"exact\",\"match\":\"at-least\"}}}", 0,
          "t.json: sysctl[\"a.b\"].match: duplicate field" },
        { "{\"sysctl\":{\"a.b\":{\"match\":\"exact\"}}}", 0, "t.json: sysctl[\"a.b\"].value: missing" },
        { "{\"sysctl\":{\"a.b\":{}}}", 0, "t.json: sysctl[\"a.b\"].value: missing" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"match\":\"at_least\"}}}", 0,
          "t.json: sysctl[\"a.b\"].match: must be \"exact\" or \"at-least\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"match\":1}}}", 0,
          "t.json: sysctl[\"a.b\"].match: must be \"exact\" or \"at-least\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"match\":null}}}", 0,
          "t.json: sysctl[\"a.b\"].match: must be \"exact\" or \"at-least\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"policy\":\"always\"}}}", 0,
          "t.json: sysctl[\"a.b\"].policy: must be \"enforce\", \"raise-only\", \"warn\" or \"ignore\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1,\"policy\":[\"warn\"]}}}", 0,
          "t.json: sysctl[\"a.b\"].policy: must be \"enforce\", \"raise-only\", \"warn\" or \"ignore\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":true}}}", 0, "t.json: sysctl[\"a.b\"]: value must be a number or a string" },
        { "{\"sysctl\":{\"a.b\":{\"value\":{\"value\":1}}}}", 0,
          "t.json: sysctl[\"a.b\"]: value must be a number or a string" },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"\"}}}", 0, "t.json: sysctl[\"a.b\"]: empty value" },
        { "{\"sysctl\":{\"a.b\":{\"value\":1.5,\"match\":\"at-least\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: number 1.5 is not an integer" },
        /* at-least and raise-only compare integers: a non-integer value is an error */
        { "{\"sysctl\":{\"a.b\":{\"value\":\"10000 65000\",\"match\":\"at-least\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: match \"at-least\" needs a single integer value, not \"10000 65000\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"+5\",\"match\":\"at-least\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: match \"at-least\" needs a single integer value, not \"+5\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"1e3\",\"match\":\"at-least\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: match \"at-least\" needs a single integer value, not \"1e3\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"cubic\",\"policy\":\"raise-only\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: policy \"raise-only\" needs a single integer value, not \"cubic\"" },
        { "{\"sysctl\":{\"a.b\":{\"value\":\"x\",\"match\":\"at-least\",\"policy\":\"raise-only\"}}}", 0,
          "t.json: sysctl[\"a.b\"]: match \"at-least\" needs a single integer value, not \"x\"" },

        /* limits */
        { "{\"limits\":[]}", 0, "t.json: limits: must be an object" },
        { "{\"limits\":{}}", 0, "t.json: limits.nofile: missing" },
        { "{\"limits\":{\"domains\":[\"*\"]}}", 0, "t.json: limits.nofile: missing" },
        { "{\"limits\":{\"nproc\":1}}", 0, "t.json: limits.nproc: unknown field" },
        { "{\"limits\":{\"nofile\":1,\"nofile\":2}}", 0, "t.json: limits.nofile: duplicate field" },
        { "{\"limits\":{\"nofile\":0}}", 0,
          "t.json: limits.nofile: must be an integer 1..2147483584 or { \"soft\": N, \"hard\": N }" },
        { "{\"limits\":{\"nofile\":-1}}", 0,
          "t.json: limits.nofile: must be an integer 1..2147483584 or { \"soft\": N, \"hard\": N }" },
        { "{\"limits\":{\"nofile\":2147483585}}", 0,
          "t.json: limits.nofile: must be an integer 1..2147483584 or { \"soft\": N, \"hard\": N }" },
        { "{\"limits\":{\"nofile\":1.5}}", 0,
          "t.json: limits.nofile: must be an integer 1..2147483584 or { \"soft\": N, \"hard\": N }" },
        { "{\"limits\":{\"nofile\":\"1024\"}}", 0,
          "t.json: limits.nofile: must be an integer 1..2147483584 or { \"soft\": N, \"hard\": N }" },
        { "{\"limits\":{\"nofile\":{\"soft\":1024}}}", 0, "t.json: limits.nofile: needs both \"soft\" and \"hard\"" },
        { "{\"limits\":{\"nofile\":{}}}", 0, "t.json: limits.nofile: needs both \"soft\" and \"hard\"" },
        { "{\"limits\":{\"nofile\":{\"soft\":2048,\"hard\":1024}}}", 0,
          "t.json: limits.nofile: soft 2048 is above hard 1024" },
        { "{\"limits\":{\"nofile\":{\"soft\":0,\"hard\":1}}}", 0,
          "t.json: limits.nofile.soft: must be an integer 1..2147483584" },
        { "{\"limits\":{\"nofile\":{\"soft\":\"1\",\"hard\":2}}}", 0,
          "t.json: limits.nofile.soft: must be an integer 1..2147483584" },
        { "{\"limits\":{\"nofile\":{\"soft\":1,\"hard\":2147483585}}}", 0,
          "t.json: limits.nofile.hard: must be an integer 1..2147483584" },
        { "{\"limits\":{\"nofile\":{\"soft\":1,\"hard\":1.5}}}", 0,
          "t.json: limits.nofile.hard: must be an integer 1..2147483584" },
        { "{\"limits\":{\"nofile\":{\"soft\":1,\"hard\":1,\"max\":1}}}", 0, "t.json: limits.nofile.max: unknown field" },
        { "{\"limits\":{\"nofile\":{\"soft\":1,\"hard\":1,\"soft\":1}}}", 0, "t.json: limits.nofile: duplicate field" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[]}}", 0, "t.json: limits.domains: must be a list of 1..64 names" },
        { "{\"limits\":{\"nofile\":1,\"domains\":\"*\"}}", 0, "t.json: limits.domains: must be a list of 1..64 names" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"bad name\"]}}", 0,
          "t.json: limits.domains: \"bad name\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"@\"]}}", 0,
          "t.json: limits.domains: \"@\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"policy\":\"ignore\"}}", 0,
          "t.json: limits.policy: must be \"enforce\" or \"warn\"" },
        { "{\"limits\":{\"nofile\":1,\"policy\":1}}", 0, "t.json: limits.policy: must be \"enforce\" or \"warn\"" },
        { "{\"limits\":{\"nofile\":1,\"docker\":true}}", 0,
          "t.json: limits.docker: must be \"if-installed\" or \"always\"" },
        { "{\"limits\":{\"nofile\":1,\"docker\":\"Always\"}}", 0,
          "t.json: limits.docker: must be \"if-installed\" or \"always\"" },
        { "{\"limits\":{\"nofile\":1,\"docker\":\"\"}}", 0, "t.json: limits.docker: must be \"if-installed\" or \"always\"" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[\"pam\"],\"docker\":\"always\"}}", 0,
          "t.json: limits.docker: the docker layer is not in limits.layers" },
        { "{\"limits\":{\"nofile\":1,\"docker\":\"always\",\"docker\":\"always\"}}", 0,
          "t.json: limits.docker: duplicate field" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"%admins\"]}}", 0,
          "t.json: limits.domains: \"%admins\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"%\"]}}", 0,
          "t.json: limits.domains: \"%\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"-x\"]}}", 0,
          "t.json: limits.domains: \"-x\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"@-x\"]}}", 0,
          "t.json: limits.domains: \"@-x\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"a:b\"]}}", 0,
          "t.json: limits.domains: \"a:b\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"**\"]}}", 0,
          "t.json: limits.domains: \"**\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"\"]}}", 0,
          "t.json: limits.domains: \"\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"" S16 S16 "x\"]}}", 0,
          "t.json: limits.domains: \"" S16 S16 "x\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[1]}}", 0,
          "t.json: limits.domains: \"(not a string)\" is not a user, @group or \"*\" (%group works for maxlogins only)" },
        { "{\"limits\":{\"nofile\":1,\"domains\":[\"root\",\"*\",\"root\"]}}", 0,
          "t.json: limits.domains: \"root\" listed twice" },
        { "{\"limits\":{\"nofile\":1,\"layers\":\"pam\"}}", 0, "t.json: limits.layers: must be a non-empty list" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[]}}", 0, "t.json: limits.layers: must be a non-empty list" },
        { "{\"limits\":{\"nofile\":1,\"layers\":{\"pam\":true}}}", 0, "t.json: limits.layers: must be a non-empty list" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[\"pam\",\"kernel\"]}}", 0,
          "t.json: limits.layers: \"kernel\" is not one of \"pam\", \"systemd\", \"docker\"" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[\"PAM\"]}}", 0,
          "t.json: limits.layers: \"PAM\" is not one of \"pam\", \"systemd\", \"docker\"" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[1]}}", 0,
          "t.json: limits.layers: \"(not a string)\" is not one of \"pam\", \"systemd\", \"docker\"" },
        { "{\"limits\":{\"nofile\":1,\"layers\":[\"docker\",\"pam\",\"docker\"]}}", 0,
          "t.json: limits.layers: \"docker\" listed twice" },
        /* processes: names, or { "name", "owner" } */
#define PROCESS_NAME_ERROR(v) "t.json: limits.processes: \"" v "\" is not a process name (1-15 characters, as in /proc/PID/comm)"
        { "{\"limits\":{\"nofile\":1,\"processes\":\"ws-go\"}}", 0,
          "t.json: limits.processes: must be a list of at most 64 names" },
        { "{\"limits\":{\"nofile\":1,\"processes\":{\"name\":\"ws-go\"}}}", 0,
          "t.json: limits.processes: must be a list of at most 64 names" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"\"]}}", 0, PROCESS_NAME_ERROR("") },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"" S16 "\"]}}", 0, PROCESS_NAME_ERROR(S16) },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"a/b\"]}}", 0, PROCESS_NAME_ERROR("a/b") },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"a\\nb\"]}}", 0, PROCESS_NAME_ERROR("a\nb") },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"ws-go\",1]}}", 0,
          "t.json: limits.processes[1]: must be a name or { \"name\": NAME, \"owner\": \"root\" or \"any\" }" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[[\"ws-go\"]]}}", 0,
          "t.json: limits.processes[0]: must be a name or { \"name\": NAME, \"owner\": \"root\" or \"any\" }" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[null]}}", 0,
          "t.json: limits.processes[0]: must be a name or { \"name\": NAME, \"owner\": \"root\" or \"any\" }" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{}]}}", 0, "t.json: limits.processes[0].name: missing" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"a\",{\"owner\":\"any\"}]}}", 0,
          "t.json: limits.processes[1].name: missing" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":1}]}}", 0, PROCESS_NAME_ERROR("(not a string)") },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a/b\",\"owner\":\"any\"}]}}", 0,
          PROCESS_NAME_ERROR("a/b") },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"owner\":\"nobody\"}]}}", 0,
          "t.json: limits.processes[0].owner: must be \"root\" or \"any\"" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"owner\":\"Any\"}]}}", 0,
          "t.json: limits.processes[0].owner: must be \"root\" or \"any\"" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"owner\":0}]}}", 0,
          "t.json: limits.processes[0].owner: must be \"root\" or \"any\"" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"owner\":true}]}}", 0,
          "t.json: limits.processes[0].owner: must be \"root\" or \"any\"" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"owner\":null}]}}", 0,
          "t.json: limits.processes[0].owner: must be \"root\" or \"any\"" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[{\"name\":\"a\",\"uid\":1000}]}}", 0,
          "t.json: limits.processes[0].uid: unknown field" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"b\",{\"name\":\"a\",\"owner\":\"any\",\"owner\":\"root\"}]}}", 0,
          "t.json: limits.processes[1].owner: duplicate field" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"a\",\"b\",\"a\"]}}", 0,
          "t.json: limits.processes: \"a\" listed twice" },
        { "{\"limits\":{\"nofile\":1,\"processes\":[\"a\",{\"name\":\"a\",\"owner\":\"any\"}]}}", 0,
          "t.json: limits.processes: \"a\" listed twice" },
        { "{\"limits\":{\"nofile\":1,\"process_owner\":\"any\"}}", 0, "t.json: limits.process_owner: unknown field" },
        /* services */
        { "{\"limits\":{\"nofile\":1,\"services\":\"ws.service\"}}", 0,
          "t.json: limits.services: must be a list of at most 64 names" },
        { "{\"limits\":{\"nofile\":1,\"services\":[\"ws\"]}}", 0,
          "t.json: limits.services: \"ws\" is not a unit name such as ws-go.service" },
        { "{\"limits\":{\"nofile\":1,\"services\":[\"docker.socket\"]}}", 0,
          "t.json: limits.services: \"docker.socket\" is not a unit name such as ws-go.service" },
        { "{\"limits\":{\"nofile\":1,\"services\":[{\"name\":\"ws.service\"}]}}", 0,
          "t.json: limits.services: \"(not a string)\" is not a unit name such as ws-go.service" },
        { "{\"limits\":{\"nofile\":1,\"services\":[\"a.service\",\"a.service\"]}}", 0,
          "t.json: limits.services: \"a.service\" listed twice" },
};

static void check_bad(const BadCase *c) {
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;
        size_t size = c->size ?: strlen(c->text);
        int ret = c->ret ?: -EINVAL;

        ck_assert_int_eq(profile_parse("bad", "t.json", c->text, size, &p, &error), ret);
        ck_assert_pstr_eq(error, c->error);
        ck_assert_ptr_null(p);
        /* without a place for the message the result is the same */
        ck_assert_int_eq(profile_parse("bad", "t.json", c->text, size, &p, NULL), ret);
        ck_assert_ptr_null(p);
}

START_TEST(test_parse_bad) {
        check_bad(&bad_cases[_i]);
}
END_TEST

/* Regression (fixed): the columns cJSON reports when an object member name is expected are one past the offending
 * character (parse_string() starts after the quote it expected), so a trailing comma, the most common
 * mistake in a hand-edited profile, points behind the '}'. */
static const BadCase bad_position_cases[] = {
        { "{\"sysctl\":{\"a.b\":1,}}", 0, "t.json:1:20: syntax error" },
        { "{sysctl:{}}", 0, "t.json:1:2: syntax error" },
        { "{\n  \"sysctl\": {\n    \"a.b\": 1,\n  }\n}", 0, "t.json:4:3: syntax error" },
};

START_TEST(test_parse_bad_position) {
        check_bad(&bad_position_cases[_i]);
}
END_TEST

/* Regression (fixed): json_get_integer() checks the double cJSON made of the number, not the number: 2^53 + 1 rounds
 * to 2^53, passes |d| <= 2^53, and the profile silently asks for 9007199254740992 instead of the
 * 9007199254740993 the file says (likewise 9007199254740992.5). */
static const BadCase bad_number_cases[] = {
        { "{\"sysctl\":{\"a.b\":9007199254740993}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":-9007199254740993}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
        { "{\"sysctl\":{\"a.b\":9007199254740992.5}}", 0,
          "t.json: sysctl[\"a.b\"]: number out of range (2^53 or more in magnitude; give large values as strings)" },
};

START_TEST(test_parse_bad_number) {
        check_bad(&bad_number_cases[_i]);
}
END_TEST

/* A profile of exactly size bytes: {"description":"aaa…"} padded with spaces. */
static char *profile_of_size(size_t size) {
        char *buf = malloc(size + 1);

        ck_assert_ptr_nonnull(buf);
        memset(buf, ' ', size);
        memcpy(buf, "{\"description\":\"x\"}", 19);
        buf[size] = '\0';
        return buf;
}

/* The watch section: defaults without it, each field where it goes, growth only when asked for. */
START_TEST(test_parse_watch) {
        _cleanup_(profile_freep) Profile *p = NULL;
        WatchSettings defaults;

        watch_settings_init(&defaults);
        ck_assert_int_eq(profile_parse("w", "t.json", "{}", 2, &p, NULL), 0);
        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++) {
                ck_assert_double_eq(p->watch.thresholds[r].warn, defaults.thresholds[r].warn);
                ck_assert_double_eq(p->watch.thresholds[r].critical, defaults.thresholds[r].critical);
        }
        ck_assert_double_eq(p->watch.hysteresis, WATCH_HYSTERESIS_DEFAULT);
        ck_assert_uint_eq(p->watch.hold_usec, WATCH_HOLD_SEC_DEFAULT * 1000000u);
        ck_assert(!p->watch.growth_enabled);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_CONNTRACK].warn, 75);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_FDS].critical, 95);
        p = profile_free(p);

        static const char text[] =
                "{\"sysctl\":{\"net.netfilter.nf_conntrack_max\":{\"value\":1024,\"match\":\"at-least\"}},"
                "\"watch\":{\"conntrack\":{\"warn\":60.5},\"ports\":{\"warn\":150,\"critical\":400},"
                "\"hysteresis\":0,\"hold_seconds\":5,\"conntrack_growth\":{\"above\":70,\"max\":65536}}}";
        ck_assert_int_eq(profile_parse("w", "t.json", text, strlen(text), &p, NULL), 0);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_CONNTRACK].warn, 60.5);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_CONNTRACK].critical, 90); /* default kept */
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_PORTS].warn, 150);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_PORTS].critical, 400);
        ck_assert_double_eq(p->watch.thresholds[PRESSURE_BACKLOG].warn, 50);
        ck_assert_double_eq(p->watch.hysteresis, 0);
        ck_assert_uint_eq(p->watch.hold_usec, 5000000u);
        ck_assert(p->watch.growth_enabled);
        ck_assert_double_eq(p->watch.growth_above, 70);
        ck_assert_uint_eq(p->watch.growth_max, 65536);
        ck_assert_double_eq(p->watch.growth_memory_percent, WATCH_GROWTH_MEMORY_PERCENT_DEFAULT);
}
END_TEST

START_TEST(test_parse_size_cap) {
        _cleanup_free_ char *max = profile_of_size(PROFILE_SIZE_MAX);
        _cleanup_free_ char *over = profile_of_size(PROFILE_SIZE_MAX + 1);
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(profile_parse("big", "t.json", max, PROFILE_SIZE_MAX, &p, &error), 0);
        ck_assert_str_eq(p->description, "x");
        p = profile_free(p);

        ck_assert_int_eq(profile_parse("big", "t.json", over, PROFILE_SIZE_MAX + 1, &p, &error), -EFBIG);
        ck_assert_str_eq(error, "t.json: file is 65537 bytes, larger than the 65536 byte limit");
        ck_assert_ptr_null(p);
}
END_TEST

static char *profile_with_keys(unsigned n) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);

        fputs("{\"sysctl\":{", f);
        for (unsigned i = 0; i < n; i++)
                fprintf(f, "%s\"net.test.key%u\":%u", i ? "," : "", i, i);
        fputs("}}", f);
        fclose(f);
        return buf;
}

START_TEST(test_parse_key_cap) {
        _cleanup_free_ char *max = profile_with_keys(PROFILE_KEYS_MAX);
        _cleanup_free_ char *over = profile_with_keys(PROFILE_KEYS_MAX + 1);
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_free_ char *error = NULL;

        ck_assert_int_eq(profile_parse("many", "t.json", max, strlen(max), &p, &error), 0);
        ck_assert_uint_eq(p->n_keys, PROFILE_KEYS_MAX);
        ck_assert_str_eq(p->keys[255].path, "net/test/key255");
        ck_assert_str_eq(p->keys[255].value, "255");
        p = profile_free(p);

        ck_assert_int_eq(profile_parse("many", "t.json", over, strlen(over), &p, &error), -E2BIG);
        ck_assert_str_eq(error, "t.json: sysctl: 257 keys, at most 256 allowed");
        ck_assert_ptr_null(p);
}
END_TEST

typedef struct NameCase {
        const char *name;
        bool valid;
} NameCase;

static const NameCase name_cases[] = {
        { "ws-server", true },
        { "a", true },
        { "A_b.c-1", true },
        { "a..b", true },
        { S64, true },
        { "", false },
        { S64 "a", false },
        { ".hidden", false },
        { "-x", false },
        { "a/b", false },
        { "../ws-server", false },
        { "a b", false },
        { "a\n", false },
        { "\xc3\xa9", false },
        { "ws-server.json/", false },
};

START_TEST(test_profile_name) {
        const NameCase *c = &name_cases[_i];

        ck_assert_msg(profile_name_is_valid(c->name) == c->valid, "\"%s\" should be %s", c->name,
                      c->valid ? "valid" : "invalid");
}
END_TEST

START_TEST(test_enum_strings) {
        static const char *const policies[] = { "enforce", "raise-only", "warn", "ignore" };
        static const char *const layers[] = { "pam", "systemd", "docker" };

        for (int i = 0; i < (int) ELEMENTSOF(policies); i++) {
                ck_assert_int_eq(key_policy_from_string(policies[i]), i);
                ck_assert_str_eq(key_policy_to_string(i), policies[i]);
        }
        ck_assert_int_eq(key_policy_from_string("raise_only"), _KEY_POLICY_INVALID);
        ck_assert_int_eq(key_policy_from_string(""), _KEY_POLICY_INVALID);
        ck_assert_ptr_null(key_policy_to_string(_KEY_POLICY_MAX));
        ck_assert_ptr_null(key_policy_to_string(_KEY_POLICY_INVALID));

        for (int i = 0; i < (int) ELEMENTSOF(layers); i++) {
                ck_assert_int_eq(limit_layer_from_string(layers[i]), i);
                ck_assert_str_eq(limit_layer_to_string(i), layers[i]);
        }
        ck_assert_int_eq(limit_layer_from_string("Docker"), _LIMIT_LAYER_INVALID);
        ck_assert_ptr_null(limit_layer_to_string(_LIMIT_LAYER_MAX));
}
END_TEST

START_TEST(test_load) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *admin = path_in(dir, "etc"), *vendor = path_in(dir, "usr");
        _cleanup_free_ char *expected = NULL, *error = NULL;
        _cleanup_(profile_freep) Profile *p = NULL;
        const char *dirs[] = { admin, vendor, NULL };

        tree_write(dir, "etc/x.json", "{\"description\":\"admin\"}");
        tree_write(dir, "usr/x.json", "{\"description\":\"vendor\"}");
        tree_write(dir, "usr/y.json", "{\"description\":\"vendor y\",\"sysctl\":{\"a.b\":1}}");
        tree_write(dir, "etc/broken.json", "{\"sysctl\":{\"a.b\":true}}");
        tree_write(dir, "usr/broken.json", "{}");
        tree_write(dir, "usr/syntax.json", "{\n\"sysctl\":tru}");
        _cleanup_free_ char *big = profile_of_size(PROFILE_SIZE_MAX + 1);
        tree_write(dir, "usr/big.json", big);
        _cleanup_free_ char *d = path_in(dir, "usr/dir.json");
        make_dirs(d);

        /* the admin directory hides the vendor one */
        ck_assert_int_eq(profile_load(dirs, "x", &p, &error), 0);
        ck_assert_str_eq(p->description, "admin");
        ck_assert_str_eq(p->name, "x");
        ck_assert_int_ge(asprintf(&expected, "%s/x.json", admin), 0);
        ck_assert_str_eq(p->path, expected);
        p = profile_free(p);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(profile_load(dirs, "y", &p, &error), 0);
        ck_assert_str_eq(p->description, "vendor y");
        ck_assert_uint_eq(p->n_keys, 1);
        p = profile_free(p);

        /* a broken admin profile is an error, not a reason to fall back to the vendor one */
        ck_assert_int_eq(profile_load(dirs, "broken", &p, &error), -EINVAL);
        ck_assert_int_ge(asprintf(&expected, "%s/broken.json: sysctl[\"a.b\"]: value must be a number or a string",
                                  admin), 0);
        ck_assert_str_eq(error, expected);
        ck_assert_ptr_null(p);
        free(TAKE_PTR(expected));

        /* messages name the file with its full path, and the position */
        ck_assert_int_eq(profile_load(dirs, "syntax", &p, &error), -EINVAL);
        ck_assert_int_ge(asprintf(&expected, "%s/syntax.json:2:10: syntax error", vendor), 0);
        ck_assert_str_eq(error, expected);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(profile_load(dirs, "big", &p, &error), -EFBIG);
        ck_assert_int_ge(asprintf(&expected, "%s/big.json: larger than the 65536 byte limit", vendor), 0);
        ck_assert_str_eq(error, expected);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(profile_load(dirs, "dir", &p, &error), -EISDIR);
        ck_assert_int_ge(asprintf(&expected, "%s/dir.json: Is a directory", vendor), 0);
        ck_assert_str_eq(error, expected);
        free(TAKE_PTR(expected));

        ck_assert_int_eq(profile_load(dirs, "z", &p, &error), -ENOENT);
        ck_assert_str_eq(error, "no profile named \"z\"");

        /* names are checked before any path is built from them */
        ck_assert_int_eq(profile_load(dirs, "../usr/x", &p, &error), -EINVAL);
        ck_assert_str_eq(error, "invalid profile name \"../usr/x\"");
        ck_assert_int_eq(profile_load(dirs, "", &p, &error), -EINVAL);
        ck_assert_str_eq(error, "invalid profile name \"\"");
        ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_list) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *admin = path_in(dir, "etc"), *vendor = path_in(dir, "usr"), *missing = path_in(dir, "none");
        _cleanup_free_ char *expected = NULL;
        const char *dirs[] = { missing, admin, vendor, NULL };
        ProfileInfo *infos = NULL;
        size_t n = 0;

        tree_write(dir, "etc/b.json", "{\"description\":\"admin b\"}");
        tree_write(dir, "usr/b.json", "{\"description\":\"vendor b\"}");
        tree_write(dir, "usr/a.json", "{\"description\":\"vendor a\"}");
        tree_write(dir, "usr/c.json", "{\"sysctl\":{\"a\":1}}");
        tree_write(dir, "usr/README", "not a profile");
        tree_write(dir, "usr/.hidden.json", "{}");
        tree_write(dir, "usr/.json", "{}");
        tree_write(dir, "usr/d.json~", "{}");

        ck_assert_int_eq(profile_list(dirs, &infos, &n), 0);
        ck_assert_uint_eq(n, 3);
        ck_assert_str_eq(infos[0].name, "a");
        ck_assert_str_eq(infos[0].description, "vendor a");
        ck_assert_str_eq(infos[1].name, "b");
        ck_assert_str_eq(infos[1].description, "admin b");
        ck_assert_int_ge(asprintf(&expected, "%s/b.json", admin), 0);
        ck_assert_str_eq(infos[1].path, expected);
        free(TAKE_PTR(expected));
        ck_assert_str_eq(infos[2].name, "c");
        ck_assert_int_ge(asprintf(&expected,
                                  "invalid: %s/c.json: sysctl[\"a\"]: key name must have at least two segments (e.g. "
                                  "net.core.somaxconn)",
                                  vendor), 0);
        ck_assert_str_eq(infos[2].description, expected);
        profile_info_free_many(infos, n);
}
END_TEST

/* The profiles this project ships must parse and say what the README promises. */
START_TEST(test_shipped_profiles) {
        const char *dirs[] = { SHIPPED_PROFILES_DIR, NULL };
        _cleanup_(profile_freep) Profile *server = NULL, *client = NULL;
        _cleanup_free_ char *error = NULL;
        const ProfileKey *k;
        ProfileInfo *infos = NULL;
        size_t n = 0;

        ck_assert_int_eq(profile_list(dirs, &infos, &n), 0);
        ck_assert_uint_ge(n, 2);
        for (size_t i = 0; i < n; i++)
                ck_assert_msg(strncmp(infos[i].description, "invalid: ", 9) != 0, "%s", infos[i].description);
        profile_info_free_many(infos, n);

        ck_assert_int_eq(profile_load(dirs, "ws-server", &server, &error), 0);
        k = profile_find_key(server, "net/netfilter/nf_conntrack_max");
        ck_assert_ptr_nonnull(k);
        ck_assert_str_eq(k->value, "262144");
        ck_assert_int_eq(k->match, SYSCTL_MATCH_AT_LEAST);
        k = profile_find_key(server, "net/core/somaxconn");
        ck_assert_ptr_nonnull(k);
        ck_assert_int_eq(k->match, SYSCTL_MATCH_AT_LEAST);
        ck_assert(server->limits.present);
        ck_assert_uint_eq(server->limits.nofile_soft, 200000);
        ck_assert_uint_eq(server->limits.nofile_hard, 200000);
        ck_assert_uint_eq(server->limits.layers, ALL_LAYERS);
        ck_assert(!server->limits.docker_always); /* no daemon.json on a host without Docker */

        ck_assert_int_eq(profile_load(dirs, "ws-client", &client, &error), 0);
        k = profile_find_key(client, "net/ipv4/ip_local_port_range");
        ck_assert_ptr_nonnull(k);
        ck_assert_str_eq(k->value, "10000 65000");
        ck_assert(client->limits.present);
}
END_TEST

static Suite *profile_suite(void) {
        Suite *s = suite_create("profile");
        TCase *tc;

        tc = tcase_create("parse");
        tcase_add_loop_test(tc, test_parse_good, 0, ELEMENTSOF(good_cases));
        tcase_add_loop_test(tc, test_parse_bad, 0, ELEMENTSOF(bad_cases));
        tcase_add_test(tc, test_parse_watch);
        tcase_add_test(tc, test_parse_size_cap);
        tcase_add_test(tc, test_parse_key_cap);
        tcase_add_loop_test(tc, test_profile_name, 0, ELEMENTSOF(name_cases));
        tcase_add_test(tc, test_enum_strings);
        suite_add_tcase(s, tc);

        tc = tcase_create("files");
        tcase_add_test(tc, test_load);
        tcase_add_test(tc, test_list);
        tcase_add_test(tc, test_shipped_profiles);
        suite_add_tcase(s, tc);

        /* regressions: bugs these tests found, fixed since */
        tc = tcase_create("regressions");
        tcase_add_loop_test(tc, test_parse_bad_position, 0, ELEMENTSOF(bad_position_cases));
        tcase_add_loop_test(tc, test_parse_bad_number, 0, ELEMENTSOF(bad_number_cases));
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(profile_suite());
}
