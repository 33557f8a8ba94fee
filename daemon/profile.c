/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* profile.c - tuning profiles: strict JSON -> Profile. No cJSON object leaves this file. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>

#include "json.h"
#include "profile.h"

static const char *const policy_table[_KEY_POLICY_MAX] = {
        [KEY_POLICY_ENFORCE] = "enforce",
        [KEY_POLICY_RAISE_ONLY] = "raise-only",
        [KEY_POLICY_WARN] = "warn",
        [KEY_POLICY_IGNORE] = "ignore",
};

const char *key_policy_to_string(KeyPolicy p) {
        return p >= 0 && p < _KEY_POLICY_MAX ? policy_table[p] : NULL;
}

KeyPolicy key_policy_from_string(const char *s) {
        for (int i = 0; i < _KEY_POLICY_MAX; i++)
                if (streq(s, policy_table[i]))
                        return i;
        return _KEY_POLICY_INVALID;
}

static const char *const layer_table[_LIMIT_LAYER_MAX] = {
        [LIMIT_LAYER_PAM] = "pam",
        [LIMIT_LAYER_SYSTEMD] = "systemd",
        [LIMIT_LAYER_DOCKER] = "docker",
};

const char *limit_layer_to_string(LimitLayer l) {
        return l >= 0 && l < _LIMIT_LAYER_MAX ? layer_table[l] : NULL;
}

LimitLayer limit_layer_from_string(const char *s) {
        for (int i = 0; i < _LIMIT_LAYER_MAX; i++)
                if (streq(s, layer_table[i]))
                        return i;
        return _LIMIT_LAYER_INVALID;
}

static const char *const owner_table[_PROCESS_OWNER_MAX] = {
        [PROCESS_OWNER_ROOT] = "root",
        [PROCESS_OWNER_ANY] = "any",
};

const char *process_owner_to_string(ProcessOwner o) {
        return o >= 0 && o < _PROCESS_OWNER_MAX ? owner_table[o] : NULL;
}

ProcessOwner process_owner_from_string(const char *s) {
        for (int i = 0; i < _PROCESS_OWNER_MAX; i++)
                if (streq(s, owner_table[i]))
                        return i;
        return _PROCESS_OWNER_INVALID;
}

static void profile_key_done(ProfileKey *k) {
        free(k->path);
        free(k->name);
        free(k->value);
}

Profile *profile_free(Profile *p) {
        if (!p)
                return NULL;
        for (size_t i = 0; i < p->n_keys; i++)
                profile_key_done(&p->keys[i]);
        free(p->keys);
        strv_free(p->limits.domains);
        for (size_t i = 0; i < p->limits.n_processes; i++)
                free(p->limits.processes[i].name);
        free(p->limits.processes);
        strv_free(p->limits.services);
        free(p->name);
        free(p->path);
        free(p->description);
        free(p);
        return NULL;
}

bool profile_name_is_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > PROFILE_NAME_MAX || name[0] == '.' || name[0] == '-')
                return false;
        return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

const ProfileKey *profile_find_key(const Profile *p, const char *path) {
        for (size_t i = 0; i < p->n_keys; i++)
                if (streq(p->keys[i].path, path))
                        return &p->keys[i];
        return NULL;
}

int profile_add_key(Profile *p, const char *path, const char *value, SysctlMatch match, KeyPolicy policy) {
        ProfileKey k = { .path = strdup(path), .name = sysctl_path_to_name(path), .value = strdup(value),
                         .match = match, .policy = policy };

        if (!k.path || !k.name || !k.value) {
                profile_key_done(&k);
                return -ENOMEM;
        }
        ProfileKey *keys = realloc(p->keys, (p->n_keys + 1) * sizeof(ProfileKey));
        if (!keys) {
                profile_key_done(&k);
                return -ENOMEM;
        }
        p->keys = keys;
        p->keys[p->n_keys++] = k;
        return 0;
}

/* Parse a sysctl value: a number, a string, or { "value", "match", "policy" }. */
static int parse_key_value(const char *origin, const char *key, const cJSON *v, ProfileKey *k, char **ret_error) {
        static const char *const allowed[] = { "value", "match", "policy", NULL };
        const cJSON *value = v, *bad;
        const char *reason;
        long long n;
        char buf[32];
        int r;

        k->match = SYSCTL_MATCH_EXACT;
        k->policy = KEY_POLICY_ENFORCE;

        if (cJSON_IsObject(v)) {
                if ((bad = json_find_unknown_member(v, allowed)))
                        return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"].%s: unknown field", origin, key,
                                      bad->string);
                if ((bad = json_find_duplicate_member(v)))
                        return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"].%s: duplicate field", origin, key,
                                      bad->string);
                value = cJSON_GetObjectItemCaseSensitive(v, "value");
                if (!value)
                        return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"].value: missing", origin, key);

                const cJSON *match = cJSON_GetObjectItemCaseSensitive(v, "match");
                if (match) {
                        if (!cJSON_IsString(match) || (k->match = sysctl_match_from_string(match->valuestring)) < 0)
                                return errorf(ret_error, -EINVAL,
                                              "%s: sysctl[\"%s\"].match: must be \"exact\" or \"at-least\"", origin,
                                              key);
                }
                const cJSON *policy = cJSON_GetObjectItemCaseSensitive(v, "policy");
                if (policy) {
                        if (!cJSON_IsString(policy) ||
                            (k->policy = key_policy_from_string(policy->valuestring)) < 0)
                                return errorf(ret_error, -EINVAL,
                                              "%s: sysctl[\"%s\"].policy: must be \"enforce\", \"raise-only\", "
                                              "\"warn\" or \"ignore\"",
                                              origin, key);
                }
        }

        if (cJSON_IsNumber(value)) {
                if (!json_get_integer(value, &n)) {
                        double d = value->valuedouble;
                        if (d > -9007199254740992.0 && d < 9007199254740992.0)
                                return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"]: number %.17g is not an integer",
                                              origin, key, d);
                        return errorf(ret_error, -EINVAL,
                                      "%s: sysctl[\"%s\"]: number out of range (2^53 or more in magnitude; give "
                                      "large values as strings)",
                                      origin, key);
                }
                snprintf(buf, sizeof buf, "%lld", n);
                k->value = strdup(buf);
                if (!k->value)
                        return -ENOMEM;
        } else if (cJSON_IsString(value)) {
                r = sysctl_value_normalize(value->valuestring, &k->value, &reason);
                if (r == -EINVAL)
                        return errorf(ret_error, r, "%s: sysctl[\"%s\"]: %s", origin, key, reason);
                if (r < 0)
                        return r;
        } else
                return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"]: value must be a number or a string", origin,
                              key);

        if ((k->match == SYSCTL_MATCH_AT_LEAST || k->policy == KEY_POLICY_RAISE_ONLY) &&
            !sysctl_value_is_integer(k->value))
                return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"]: %s needs a single integer value, not \"%s\"",
                              origin, key, k->match == SYSCTL_MATCH_AT_LEAST ? "match \"at-least\"" : "policy \"raise-only\"",
                              k->value);
        return 0;
}

static int parse_sysctl(const char *origin, const cJSON *obj, Profile *p, char **ret_error) {
        const cJSON *c;
        const char *reason;
        int r;

        if (!cJSON_IsObject(obj))
                return errorf(ret_error, -EINVAL, "%s: sysctl: must be an object of key: value", origin);

        size_t n = (size_t) cJSON_GetArraySize(obj);
        if (n > PROFILE_KEYS_MAX)
                return errorf(ret_error, -E2BIG, "%s: sysctl: %zu keys, at most %u allowed", origin, n,
                              PROFILE_KEYS_MAX);
        p->keys = calloc(n ?: 1, sizeof(ProfileKey));
        if (!p->keys)
                return -ENOMEM;

        cJSON_ArrayForEach(c, obj) {
                ProfileKey *k = &p->keys[p->n_keys];

                r = sysctl_key_to_path(c->string, &k->path, &reason);
                if (r == -EINVAL)
                        return errorf(ret_error, r, "%s: sysctl[\"%s\"]: %s", origin, c->string, reason);
                if (r < 0)
                        return r;
                p->n_keys++;
                k->name = sysctl_path_to_name(k->path);
                if (!k->name)
                        return -ENOMEM;
                /* "net.core.somaxconn" and "net/core/somaxconn" are the same key */
                for (size_t i = 0; i + 1 < p->n_keys; i++)
                        if (streq(p->keys[i].path, k->path))
                                return errorf(ret_error, -EINVAL, "%s: sysctl[\"%s\"]: duplicate key (same as \"%s\")",
                                              origin, c->string, p->keys[i].name);
                r = parse_key_value(origin, c->string, c, k, ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_nofile(const char *origin, const cJSON *v, ProfileLimits *l, char **ret_error) {
        long long soft, hard;

        if (cJSON_IsObject(v)) {
                static const char *const allowed[] = { "soft", "hard", NULL };
                const cJSON *bad = json_find_unknown_member(v, allowed);
                if (bad)
                        return errorf(ret_error, -EINVAL, "%s: limits.nofile.%s: unknown field", origin, bad->string);
                if (json_find_duplicate_member(v))
                        return errorf(ret_error, -EINVAL, "%s: limits.nofile: duplicate field", origin);
                const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "soft"),
                            *h = cJSON_GetObjectItemCaseSensitive(v, "hard");
                if (!s || !h)
                        return errorf(ret_error, -EINVAL, "%s: limits.nofile: needs both \"soft\" and \"hard\"",
                                      origin);
                if (!json_get_integer(s, &soft) || soft < 1 || (unsigned long long) soft > PROFILE_NOFILE_MAX)
                        return errorf(ret_error, -EINVAL, "%s: limits.nofile.soft: must be an integer 1..%llu",
                                      origin, PROFILE_NOFILE_MAX);
                if (!json_get_integer(h, &hard) || hard < 1 || (unsigned long long) hard > PROFILE_NOFILE_MAX)
                        return errorf(ret_error, -EINVAL, "%s: limits.nofile.hard: must be an integer 1..%llu",
                                      origin, PROFILE_NOFILE_MAX);
        } else if (json_get_integer(v, &hard) && hard >= 1 && (unsigned long long) hard <= PROFILE_NOFILE_MAX)
                soft = hard;
        else
                return errorf(ret_error, -EINVAL,
                              "%s: limits.nofile: must be an integer 1..%llu or { \"soft\": N, \"hard\": N }",
                              origin, PROFILE_NOFILE_MAX);

        if (soft > hard)
                return errorf(ret_error, -EINVAL, "%s: limits.nofile: soft %lld is above hard %lld", origin, soft,
                              hard);
        l->nofile_soft = (uint64_t) soft;
        l->nofile_hard = (uint64_t) hard;
        return 0;
}

/* A PAM limits.conf domain for nofile: "*", a user name or "@group" ("%group" is for maxlogins only:
 * pam_limits ignores it for nofile). */
static bool pam_domain_is_valid(const char *d) {
        size_t n = strlen(d);

        if (streq(d, "*"))
                return true;
        if (d[0] == '@') {
                d++;
                n--;
        }
        if (n == 0 || n > 32 || d[0] == '-')
                return false;
        return strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* What /proc/PID/comm can hold: 1-15 bytes, printable, no '/'. */
static bool process_name_is_valid(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 15)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || *s == 0x7f || *s == '/')
                        return false;
        return true;
}

/* A systemd unit name: NAME.service or NAME.scope, of the characters systemd allows. */
static bool unit_name_is_valid(const char *s) {
        size_t n = strlen(s);
        const char *dot = strrchr(s, '.');

        if (n == 0 || n > 255 || !dot || dot == s || (!streq(dot, ".service") && !streq(dot, ".scope")))
                return false;
        return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.@\\") == n;
}

/* An optional list of unique names, each accepted by valid. */
static int parse_names(const char *origin, const char *field, const cJSON *list, bool (*valid)(const char *),
                       const char *what, char ***ret, char **ret_error) {
        const cJSON *c;

        if (!list)
                return 0;
        if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > (int) PROFILE_WATCHED_MAX)
                return errorf(ret_error, -EINVAL, "%s: %s: must be a list of at most %u names", origin, field,
                              PROFILE_WATCHED_MAX);
        cJSON_ArrayForEach(c, list) {
                if (!cJSON_IsString(c) || !valid(c->valuestring))
                        return errorf(ret_error, -EINVAL, "%s: %s: \"%s\" is not %s", origin, field,
                                      cJSON_IsString(c) ? c->valuestring : "(not a string)", what);
                if (strv_contains(*ret, c->valuestring))
                        return errorf(ret_error, -EINVAL, "%s: %s: \"%s\" listed twice", origin, field,
                                      c->valuestring);
                char *copy = strdup(c->valuestring);
                if (!copy || strv_push(ret, copy) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* limits.processes: each entry a name (owner root) or { "name": NAME, "owner": "root" | "any" }. Entries are
 * named by their index in messages about the object form, where the name may be what is missing. */
static int parse_processes(const char *origin, const cJSON *list, ProfileLimits *l, char **ret_error) {
        static const char *const allowed[] = { "name", "owner", NULL };
        const cJSON *c;
        int i = 0;

        if (!list)
                return 0;
        if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > (int) PROFILE_WATCHED_MAX)
                return errorf(ret_error, -EINVAL, "%s: limits.processes: must be a list of at most %u names", origin,
                              PROFILE_WATCHED_MAX);
        l->processes = calloc((size_t) cJSON_GetArraySize(list) ?: 1, sizeof(ProfileProcess));
        if (!l->processes)
                return -ENOMEM;

        cJSON_ArrayForEach(c, list) {
                const cJSON *name = c, *owner, *bad;
                ProcessOwner o = PROCESS_OWNER_ROOT;

                if (cJSON_IsObject(c)) {
                        if ((bad = json_find_unknown_member(c, allowed)))
                                return errorf(ret_error, -EINVAL, "%s: limits.processes[%d].%s: unknown field", origin,
                                              i, bad->string);
                        if ((bad = json_find_duplicate_member(c)))
                                return errorf(ret_error, -EINVAL, "%s: limits.processes[%d].%s: duplicate field",
                                              origin, i, bad->string);
                        name = cJSON_GetObjectItemCaseSensitive(c, "name");
                        if (!name)
                                return errorf(ret_error, -EINVAL, "%s: limits.processes[%d].name: missing", origin, i);
                        owner = cJSON_GetObjectItemCaseSensitive(c, "owner");
                        if (owner && (!cJSON_IsString(owner) ||
                                      (o = process_owner_from_string(owner->valuestring)) < 0))
                                return errorf(ret_error, -EINVAL,
                                              "%s: limits.processes[%d].owner: must be \"root\" or \"any\"", origin, i);
                } else if (!cJSON_IsString(c))
                        return errorf(ret_error, -EINVAL,
                                      "%s: limits.processes[%d]: must be a name or { \"name\": NAME, \"owner\": "
                                      "\"root\" or \"any\" }",
                                      origin, i);

                if (!cJSON_IsString(name) || !process_name_is_valid(name->valuestring))
                        return errorf(ret_error, -EINVAL,
                                      "%s: limits.processes: \"%s\" is not a process name (1-15 characters, as in "
                                      "/proc/PID/comm)",
                                      origin, cJSON_IsString(name) ? name->valuestring : "(not a string)");
                for (size_t j = 0; j < l->n_processes; j++)
                        if (streq(l->processes[j].name, name->valuestring))
                                return errorf(ret_error, -EINVAL, "%s: limits.processes: \"%s\" listed twice", origin,
                                              name->valuestring);
                char *copy = strdup(name->valuestring);
                if (!copy)
                        return -ENOMEM;
                l->processes[l->n_processes++] = (ProfileProcess) { .name = copy, .owner = o };
                i++;
        }
        return 0;
}

static int parse_limits(const char *origin, const cJSON *obj, ProfileLimits *l, char **ret_error) {
        static const char *const allowed[] = { "nofile",   "domains",       "layers", "processes",
                                               "services", "raise_nr_open", "policy", "docker", NULL };
        const cJSON *bad, *c;
        int r;

        if (!cJSON_IsObject(obj))
                return errorf(ret_error, -EINVAL, "%s: limits: must be an object", origin);
        if ((bad = json_find_unknown_member(obj, allowed)))
                return errorf(ret_error, -EINVAL, "%s: limits.%s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(obj)))
                return errorf(ret_error, -EINVAL, "%s: limits.%s: duplicate field", origin, bad->string);

        const cJSON *nofile = cJSON_GetObjectItemCaseSensitive(obj, "nofile");
        if (!nofile)
                return errorf(ret_error, -EINVAL, "%s: limits.nofile: missing", origin);
        r = parse_nofile(origin, nofile, l, ret_error);
        if (r < 0)
                return r;

        /* "*" does not cover root in limits.conf, hence the default names it. */
        const cJSON *domains = cJSON_GetObjectItemCaseSensitive(obj, "domains");
        if (domains) {
                if (!cJSON_IsArray(domains) || cJSON_GetArraySize(domains) == 0 ||
                    cJSON_GetArraySize(domains) > (int) PROFILE_DOMAINS_MAX)
                        return errorf(ret_error, -EINVAL, "%s: limits.domains: must be a list of 1..%u names", origin,
                                      PROFILE_DOMAINS_MAX);
                cJSON_ArrayForEach(c, domains) {
                        if (!cJSON_IsString(c) || !pam_domain_is_valid(c->valuestring))
                                return errorf(ret_error, -EINVAL,
                                              "%s: limits.domains: \"%s\" is not a user, @group or \"*\" (%%group works for maxlogins only)",
                                              origin, cJSON_IsString(c) ? c->valuestring : "(not a string)");
                        if (strv_contains(l->domains, c->valuestring))
                                return errorf(ret_error, -EINVAL, "%s: limits.domains: \"%s\" listed twice", origin,
                                              c->valuestring);
                        char *d = strdup(c->valuestring);
                        if (!d || strv_push(&l->domains, d) < 0)
                                return -ENOMEM;
                }
        } else {
                char *star = strdup("*"), *root = strdup("root");
                if (!star || !root) {
                        free(star);
                        free(root);
                        return -ENOMEM;
                }
                if (strv_push(&l->domains, star) < 0 || strv_push(&l->domains, root) < 0)
                        return -ENOMEM;
        }

        const cJSON *layers = cJSON_GetObjectItemCaseSensitive(obj, "layers");
        if (layers) {
                if (!cJSON_IsArray(layers) || cJSON_GetArraySize(layers) == 0)
                        return errorf(ret_error, -EINVAL, "%s: limits.layers: must be a non-empty list", origin);
                cJSON_ArrayForEach(c, layers) {
                        LimitLayer layer = cJSON_IsString(c) ? limit_layer_from_string(c->valuestring)
                                                             : _LIMIT_LAYER_INVALID;
                        if (layer < 0)
                                return errorf(ret_error, -EINVAL,
                                              "%s: limits.layers: \"%s\" is not one of \"pam\", \"systemd\", \"docker\"",
                                              origin, cJSON_IsString(c) ? c->valuestring : "(not a string)");
                        if (l->layers & (1u << layer))
                                return errorf(ret_error, -EINVAL, "%s: limits.layers: \"%s\" listed twice", origin,
                                              c->valuestring);
                        l->layers |= 1u << layer;
                }
        } else
                l->layers = (1u << _LIMIT_LAYER_MAX) - 1;

        r = parse_processes(origin, cJSON_GetObjectItemCaseSensitive(obj, "processes"), l, ret_error);
        if (r < 0)
                return r;
        r = parse_names(origin, "limits.services", cJSON_GetObjectItemCaseSensitive(obj, "services"),
                        unit_name_is_valid, "a unit name such as ws-go.service", &l->services, ret_error);
        if (r < 0)
                return r;

        const cJSON *raise = cJSON_GetObjectItemCaseSensitive(obj, "raise_nr_open");
        if (raise) {
                if (!cJSON_IsBool(raise))
                        return errorf(ret_error, -EINVAL, "%s: limits.raise_nr_open: must be true or false", origin);
                l->raise_nr_open = cJSON_IsTrue(raise);
        }

        /* Where Docker is not installed the docker layer writes nothing, unless the profile says so: listing the
         * layer does not (the shipped profiles list every layer), "docker": "always" does, for images that
         * get Docker later. */
        const cJSON *docker = cJSON_GetObjectItemCaseSensitive(obj, "docker");
        if (docker) {
                if (!cJSON_IsString(docker) ||
                    !(streq(docker->valuestring, "always") || streq(docker->valuestring, "if-installed")))
                        return errorf(ret_error, -EINVAL, "%s: limits.docker: must be \"if-installed\" or \"always\"",
                                      origin);
                if (!(l->layers & (1u << LIMIT_LAYER_DOCKER)))
                        return errorf(ret_error, -EINVAL, "%s: limits.docker: the docker layer is not in limits.layers",
                                      origin);
                l->docker_always = streq(docker->valuestring, "always");
        }

        l->policy = KEY_POLICY_ENFORCE;
        const cJSON *policy = cJSON_GetObjectItemCaseSensitive(obj, "policy");
        if (policy) {
                KeyPolicy kp = cJSON_IsString(policy) ? key_policy_from_string(policy->valuestring) : _KEY_POLICY_INVALID;
                if (kp != KEY_POLICY_ENFORCE && kp != KEY_POLICY_WARN)
                        return errorf(ret_error, -EINVAL, "%s: limits.policy: must be \"enforce\" or \"warn\"", origin);
                l->policy = kp;
        }

        l->present = true;
        return 0;
}

/* Percent figures of the watch section: a JSON number in [min, max]. */
static int parse_percent(const char *origin, const char *field, const cJSON *v, double min, double max,
                         double *ret, char **ret_error) {
        if (!v)
                return 0;
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= min && v->valuedouble <= max))
                return errorf(ret_error, -EINVAL, "%s: %s: must be a number %g..%g (percent)", origin, field, min,
                              max);
        *ret = v->valuedouble;
        return 0;
}

static int parse_thresholds(const char *origin, const char *resource, const cJSON *obj, WatchThresholds *t,
                            char **ret_error) {
        static const char *const allowed[] = { "warn", "critical", NULL };
        _cleanup_free_ char *warn = NULL, *critical = NULL;
        const cJSON *bad;
        int r;

        if (!cJSON_IsObject(obj))
                return errorf(ret_error, -EINVAL, "%s: watch.%s: must be an object { \"warn\": N, \"critical\": N }",
                              origin, resource);
        if ((bad = json_find_unknown_member(obj, allowed)))
                return errorf(ret_error, -EINVAL, "%s: watch.%s.%s: unknown field", origin, resource, bad->string);
        if ((bad = json_find_duplicate_member(obj)))
                return errorf(ret_error, -EINVAL, "%s: watch.%s.%s: duplicate field", origin, resource, bad->string);
        if (asprintf(&warn, "watch.%s.warn", resource) < 0 || asprintf(&critical, "watch.%s.critical", resource) < 0)
                return -ENOMEM;
        /* ports may be over-subscribed (more sockets than ports): thresholds up to 1000% */
        r = parse_percent(origin, warn, cJSON_GetObjectItemCaseSensitive(obj, "warn"), 0.01, 1000, &t->warn,
                          ret_error);
        if (r < 0)
                return r;
        r = parse_percent(origin, critical, cJSON_GetObjectItemCaseSensitive(obj, "critical"), 0.01, 1000, &t->critical,
                          ret_error);
        if (r < 0)
                return r;
        if (t->warn >= t->critical)
                return errorf(ret_error, -EINVAL, "%s: watch.%s: warn %g must be below critical %g", origin, resource,
                              t->warn, t->critical);
        return 0;
}

static int parse_growth(const char *origin, const cJSON *obj, const Profile *p, WatchSettings *w, char **ret_error) {
        static const char *const allowed[] = { "above", "max", "memory_percent", NULL };
        const cJSON *bad, *max;
        long long n;
        int r;

        if (!cJSON_IsObject(obj))
                return errorf(ret_error, -EINVAL, "%s: watch.conntrack_growth: must be an object", origin);
        if ((bad = json_find_unknown_member(obj, allowed)))
                return errorf(ret_error, -EINVAL, "%s: watch.conntrack_growth.%s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(obj)))
                return errorf(ret_error, -EINVAL, "%s: watch.conntrack_growth.%s: duplicate field", origin,
                              bad->string);
        r = parse_percent(origin, "watch.conntrack_growth.above", cJSON_GetObjectItemCaseSensitive(obj, "above"), 1,
                          100, &w->growth_above, ret_error);
        if (r < 0)
                return r;
        r = parse_percent(origin, "watch.conntrack_growth.memory_percent",
                          cJSON_GetObjectItemCaseSensitive(obj, "memory_percent"), 0.1, 50, &w->growth_memory_percent,
                          ret_error);
        if (r < 0)
                return r;
        max = cJSON_GetObjectItemCaseSensitive(obj, "max");
        if (max) {
                if (!json_get_integer(max, &n) || n < 1 || n > INT_MAX)
                        return errorf(ret_error, -EINVAL, "%s: watch.conntrack_growth.max: must be an integer 1..%d",
                                      origin, INT_MAX);
                w->growth_max = (uint64_t) n;
        }

        /* growth raises the table above the profile's value: "exact" would call that drift and set it back */
        const ProfileKey *k = profile_find_key(p, "net/netfilter/nf_conntrack_max");
        if (k && k->policy != KEY_POLICY_IGNORE && k->policy != KEY_POLICY_RAISE_ONLY && k->match == SYSCTL_MATCH_EXACT)
                return errorf(ret_error, -EINVAL,
                              "%s: watch.conntrack_growth: needs sysctl \"net.netfilter.nf_conntrack_max\" with "
                              "match \"at-least\" or policy \"raise-only\" (it is \"exact\")",
                              origin);
        w->growth_enabled = true;
        return 0;
}

static int parse_watch(const char *origin, const cJSON *obj, Profile *p, char **ret_error) {
        static const char *const allowed[] = { "conntrack",  "backlog",      "ports",           "fds",
                                               "hysteresis", "hold_seconds", "conntrack_growth", NULL };
        WatchSettings *w = &p->watch;
        const cJSON *bad, *c;
        long long n;
        int r;

        if (!cJSON_IsObject(obj))
                return errorf(ret_error, -EINVAL, "%s: watch: must be an object", origin);
        if ((bad = json_find_unknown_member(obj, allowed)))
                return errorf(ret_error, -EINVAL, "%s: watch.%s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(obj)))
                return errorf(ret_error, -EINVAL, "%s: watch.%s: duplicate field", origin, bad->string);

        for (PressureResource res = 0; res < _PRESSURE_RESOURCE_MAX; res++) {
                c = cJSON_GetObjectItemCaseSensitive(obj, pressure_resource_to_string(res));
                if (!c)
                        continue;
                r = parse_thresholds(origin, pressure_resource_to_string(res), c, &w->thresholds[res], ret_error);
                if (r < 0)
                        return r;
        }
        r = parse_percent(origin, "watch.hysteresis", cJSON_GetObjectItemCaseSensitive(obj, "hysteresis"), 0, 50,
                          &w->hysteresis, ret_error);
        if (r < 0)
                return r;
        c = cJSON_GetObjectItemCaseSensitive(obj, "hold_seconds");
        if (c) {
                if (!json_get_integer(c, &n) || n < 0 || n > 86400)
                        return errorf(ret_error, -EINVAL, "%s: watch.hold_seconds: must be an integer 0..86400", origin);
                w->hold_usec = (uint64_t) n * 1000000u;
        }
        c = cJSON_GetObjectItemCaseSensitive(obj, "conntrack_growth");
        if (c)
                return parse_growth(origin, c, p, w, ret_error);
        return 0;
}

int profile_parse(const char *name, const char *origin, const char *buf, size_t size, Profile **ret,
                  char **ret_error) {
        static const char *const allowed[] = { "description", "sysctl", "limits", "watch", NULL };
        _cleanup_(profile_freep) Profile *p = NULL;
        _cleanup_json_ cJSON *root = NULL;
        const cJSON *bad, *c;
        int r;

        if (size > PROFILE_SIZE_MAX)
                return errorf(ret_error, -EFBIG, "%s: file is %zu bytes, larger than the %u byte limit", origin, size,
                              PROFILE_SIZE_MAX);
        r = json_parse_strict(buf, size, origin, &root, ret_error);
        if (r < 0)
                return r;
        if (!cJSON_IsObject(root))
                return errorf(ret_error, -EINVAL, "%s: the profile must be a JSON object", origin);
        if ((bad = json_find_unknown_member(root, allowed)))
                return errorf(ret_error, -EINVAL, "%s: %s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(root)))
                return errorf(ret_error, -EINVAL, "%s: %s: duplicate field", origin, bad->string);

        p = calloc(1, sizeof(Profile));
        if (!p)
                return -ENOMEM;
        watch_settings_init(&p->watch);
        p->name = strdup(name);
        p->path = strdup(origin);
        if (!p->name || !p->path)
                return -ENOMEM;

        c = cJSON_GetObjectItemCaseSensitive(root, "description");
        if (c) {
                if (!cJSON_IsString(c) || strlen(c->valuestring) > PROFILE_DESCRIPTION_MAX)
                        return errorf(ret_error, -EINVAL, "%s: description: must be a string of at most %u bytes",
                                      origin, PROFILE_DESCRIPTION_MAX);
                for (const char *s = c->valuestring; *s; s++)
                        if ((unsigned char) *s < ' ' || *s == 0x7f)
                                return errorf(ret_error, -EINVAL, "%s: description: control character", origin);
                p->description = strdup(c->valuestring);
        } else
                p->description = strdup("");
        if (!p->description)
                return -ENOMEM;

        c = cJSON_GetObjectItemCaseSensitive(root, "sysctl");
        if (c) {
                r = parse_sysctl(origin, c, p, ret_error);
                if (r < 0)
                        return r;
        }

        c = cJSON_GetObjectItemCaseSensitive(root, "limits");
        if (c) {
                r = parse_limits(origin, c, &p->limits, ret_error);
                if (r < 0)
                        return r;
        }

        /* after "sysctl": conntrack growth looks at how nf_conntrack_max is managed */
        c = cJSON_GetObjectItemCaseSensitive(root, "watch");
        if (c) {
                r = parse_watch(origin, c, p, ret_error);
                if (r < 0)
                        return r;
        }

        *ret = TAKE_PTR(p);
        return 0;
}

static int profile_load_file(const char *path, const char *name, Profile **ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_file_full(path, PROFILE_SIZE_MAX, &buf, &size);
        if (r == -EFBIG)
                return errorf(ret_error, r, "%s: larger than the %u byte limit", path, PROFILE_SIZE_MAX);
        if (r == -ENOENT)
                return r;
        if (r < 0)
                return errorf(ret_error, r, "%s: %s", path, file_error_to_string(r));
        return profile_parse(name, path, buf, size, ret, ret_error);
}

int profile_load(const char *const *dirs, const char *name, Profile **ret, char **ret_error) {
        if (!profile_name_is_valid(name))
                return errorf(ret_error, -EINVAL, "invalid profile name \"%s\"", name);

        for (const char *const *d = dirs; *d; d++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s.json", *d, name) < 0)
                        return -ENOMEM;
                int r = profile_load_file(path, name, ret, ret_error);
                if (r != -ENOENT)
                        return r;
        }
        return errorf(ret_error, -ENOENT, "no profile named \"%s\"", name);
}

void profile_info_free_many(ProfileInfo *infos, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(infos[i].name);
                free(infos[i].description);
                free(infos[i].path);
        }
        free(infos);
}

static int info_compare(const void *a, const void *b) {
        return strcmp(((const ProfileInfo *) a)->name, ((const ProfileInfo *) b)->name);
}

int profile_list(const char *const *dirs, ProfileInfo **ret, size_t *ret_n) {
        ProfileInfo *infos = NULL;
        size_t n = 0;
        int r = 0;

        for (const char *const *d = dirs; *d && r >= 0; d++) {
                DIR *dir = opendir(*d);
                struct dirent *de;

                if (!dir)
                        continue;
                while (r >= 0 && (de = readdir(dir))) {
                        size_t len = strlen(de->d_name);
                        _cleanup_free_ char *name = NULL, *error = NULL;
                        _cleanup_(profile_freep) Profile *p = NULL;
                        bool seen = false;

                        if (len <= 5 || !streq(de->d_name + len - 5, ".json"))
                                continue;
                        name = strndup(de->d_name, len - 5);
                        if (!name) {
                                r = -ENOMEM;
                                break;
                        }
                        if (!profile_name_is_valid(name))
                                continue;
                        for (size_t i = 0; i < n; i++)
                                if (streq(infos[i].name, name))
                                        seen = true;
                        if (seen)
                                continue;
                        if (n >= 1024)
                                break;

                        ProfileInfo *grown = realloc(infos, (n + 1) * sizeof(ProfileInfo));
                        if (!grown) {
                                r = -ENOMEM;
                                break;
                        }
                        infos = grown;
                        ProfileInfo *info = &infos[n];
                        *info = (ProfileInfo) {};
                        n++;
                        if (asprintf(&info->path, "%s/%s", *d, de->d_name) < 0) {
                                info->path = NULL;
                                r = -ENOMEM;
                                break;
                        }
                        r = profile_load_file(info->path, name, &p, &error);
                        if (r >= 0)
                                info->description = strdup(p->description);
                        else if (asprintf(&info->description, "invalid: %s", error ?: strerror(-r)) < 0)
                                info->description = NULL;
                        r = 0;
                        info->name = TAKE_PTR(name);
                        if (!info->description)
                                r = -ENOMEM;
                }
                closedir(dir);
        }
        if (r < 0) {
                profile_info_free_many(infos, n);
                return r;
        }
        if (n > 1)
                qsort(infos, n, sizeof(ProfileInfo), info_compare);
        *ret = infos;
        *ret_n = n;
        return 0;
}
