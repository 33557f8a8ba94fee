/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* limit-files.c - the nofile limit files: wstuned's drop-ins rendered whole, default-ulimits merged into the
 * admin's daemon.json. No cJSON object leaves this file. */
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#include "json.h"
#include "limit-files.h"

typedef enum LimitFormat {
        LIMIT_FORMAT_PAM,     /* limits.conf(5) lines */
        LIMIT_FORMAT_SYSTEMD, /* [section] and key=soft:hard */
        LIMIT_FORMAT_JSON,    /* merged into daemon.json */
} LimitFormat;

typedef struct LimitFileInfo {
        const char *path;
        LimitLayer layer;
        LimitFormat format;
        const char *section, *key; /* LIMIT_FORMAT_SYSTEMD */
        const char *unit;          /* a unit's LimitNOFILE= drop-in: the unit */
        const char *takes_effect;
} LimitFileInfo;

/* systemd re-reads system.conf.d on daemon-reload (since v232 set_manager_defaults() runs on reload), and
 * units loaded after that take the new default; dockerd merges default-ulimits into each container's
 * rlimits when the container starts, and does not re-read them on SIGHUP. */
static const LimitFileInfo file_table[_LIMIT_FILE_MAX] = {
        [LIMIT_FILE_PAM] = {
                .path = "/etc/security/limits.d/90-wstuned.conf",
                .layer = LIMIT_LAYER_PAM,
                .format = LIMIT_FORMAT_PAM,
                .takes_effect = "new login sessions that run pam_limits (ssh, console); "
                                "open sessions keep theirs",
        },
        [LIMIT_FILE_SYSTEMD] = {
                .path = "/etc/systemd/system.conf.d/90-wstuned.conf",
                .layer = LIMIT_LAYER_SYSTEMD,
                .format = LIMIT_FORMAT_SYSTEMD,
                .section = "Manager",
                .key = "DefaultLimitNOFILE",
                .takes_effect = "services (re)started after systemctl daemon-reload; "
                                "running services keep theirs",
        },
        [LIMIT_FILE_DOCKER_UNIT] = {
                .path = "/etc/systemd/system/docker.service.d/90-wstuned.conf",
                .layer = LIMIT_LAYER_DOCKER,
                .format = LIMIT_FORMAT_SYSTEMD,
                .section = "Service",
                .key = "LimitNOFILE",
                .unit = "docker.service",
                .takes_effect = "dockerd after systemctl daemon-reload and a docker.service restart",
        },
        [LIMIT_FILE_CONTAINERD_UNIT] = {
                .path = "/etc/systemd/system/containerd.service.d/90-wstuned.conf",
                .layer = LIMIT_LAYER_DOCKER,
                .format = LIMIT_FORMAT_SYSTEMD,
                .section = "Service",
                .key = "LimitNOFILE",
                .unit = "containerd.service",
                .takes_effect = "containerd after systemctl daemon-reload and a containerd.service restart",
        },
        [LIMIT_FILE_DOCKER_JSON] = {
                .path = "/etc/docker/daemon.json",
                .layer = LIMIT_LAYER_DOCKER,
                .format = LIMIT_FORMAT_JSON,
                .takes_effect = "containers started after a dockerd restart, except those with their own "
                                "--ulimit nofile",
        },
};

static const LimitFileInfo *file_info(LimitFile f) {
        return f >= 0 && f < _LIMIT_FILE_MAX ? &file_table[f] : NULL;
}

const char *limit_file_path(LimitFile f) {
        const LimitFileInfo *i = file_info(f);
        return i ? i->path : NULL;
}

LimitLayer limit_file_layer(LimitFile f) {
        const LimitFileInfo *i = file_info(f);
        return i ? i->layer : _LIMIT_LAYER_INVALID;
}

bool limit_file_is_dropin(LimitFile f) {
        const LimitFileInfo *i = file_info(f);
        return i && i->format != LIMIT_FORMAT_JSON;
}

const char *limit_file_takes_effect(LimitFile f) {
        const LimitFileInfo *i = file_info(f);
        return i ? i->takes_effect : NULL;
}

const char *limit_file_unit(LimitFile f) {
        const LimitFileInfo *i = file_info(f);
        return i ? i->unit : NULL;
}

/* unit: l may carry a unit's own values (limits_unit_wanted()), so either limit may also be infinity
 * (UNIT_NOFILE_INFINITY). */
static bool limit_value_is_valid(uint64_t v, bool unit) {
        return v >= 1 && (v <= PROFILE_NOFILE_MAX || (unit && v == UNIT_NOFILE_INFINITY));
}

static bool limits_are_valid(const ProfileLimits *l, bool unit) {
        return l && l->present && l->nofile_soft <= l->nofile_hard && limit_value_is_valid(l->nofile_soft, unit) &&
               limit_value_is_valid(l->nofile_hard, unit);
}

/* A finite limit above the kernel's ceiling for fs.nr_open is no lower than infinity in effect. */
static uint64_t unit_limit_value(uint64_t v) {
        return v > PROFILE_NOFILE_MAX ? UNIT_NOFILE_INFINITY : v;
}

int limits_unit_wanted(const ProfileLimits *l, const UnitNofile *own, ProfileLimits *ret) {
        if (!limits_are_valid(l, false))
                return -EINVAL;
        *ret = *l;
        if (!own || !own->set)
                return 1;
        if (own->soft >= l->nofile_soft && own->hard >= l->nofile_hard)
                return 0;
        /* soft <= hard on both sides, so the higher of each keeps soft <= hard */
        ret->nofile_soft = MAX(unit_limit_value(own->soft), l->nofile_soft);
        ret->nofile_hard = MAX(unit_limit_value(own->hard), l->nofile_hard);
        return 1;
}

static void limit_value_string(uint64_t v, char *buf, size_t size) {
        if (v == UNIT_NOFILE_INFINITY)
                snprintf(buf, size, "infinity");
        else
                snprintf(buf, size, "%" PRIu64, v);
}

/* A domain we write for nofile: "*", a user or an @group, nothing that could split or end the line. */
static bool pam_nofile_domain_is_valid(const char *d) {
        if (streq(d, "*"))
                return true;
        if (d[0] == '@')
                d++;
        size_t n = strlen(d);
        return n > 0 && n <= 32 && d[0] != '-' &&
               strspn(d, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

int limits_render(LimitFile f, const ProfileLimits *l, const char *profile, char **ret) {
        const LimitFileInfo *info = file_info(f);
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, width = 0;

        if (!info)
                return -EINVAL;
        if (info->format == LIMIT_FORMAT_JSON)
                return -EOPNOTSUPP;
        if (!limits_are_valid(l, info->unit != NULL) || !profile || !profile_name_is_valid(profile))
                return -EINVAL;
        if (info->format == LIMIT_FORMAT_PAM) {
                if (strv_length(l->domains) == 0)
                        return -EINVAL;
                for (char **d = l->domains; *d; d++) {
                        if (!pam_nofile_domain_is_valid(*d))
                                return -EINVAL;
                        if (strlen(*d) > width)
                                width = strlen(*d);
                }
        }

        FILE *out = open_memstream(&buf, &size);
        if (!out)
                return -ENOMEM;
        fprintf(out, "# Managed by wstuned for profile \"%s\": overwritten on every apply, do not edit.\n",
                profile);
        if (info->format == LIMIT_FORMAT_PAM)
                /* "*" does not cover root in pam_limits; the profile names root on its own line. */
                for (char **d = l->domains; *d; d++)
                        fprintf(out, "%-*s soft nofile %" PRIu64 "\n%-*s hard nofile %" PRIu64 "\n",
                                (int) width, *d, l->nofile_soft, (int) width, *d, l->nofile_hard);
        else {
                char soft[24], hard[24];
                limit_value_string(l->nofile_soft, soft, sizeof soft);
                limit_value_string(l->nofile_hard, hard, sizeof hard);
                fprintf(out, "[%s]\n%s=%s:%s\n", info->section, info->key, soft, hard);
        }
        bool failed = ferror(out);
        if (fclose(out) != 0 || failed)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* The next number in validated JSON text at *p, skipping strings (member names included); NULL when none
 * is left. */
static const char *next_number(const char **p, size_t *ret_len) {
        const char *s = *p;

        for (; *s; s++) {
                if (*s == '"') {
                        for (s++; *s && *s != '"'; s++)
                                if (*s == '\\' && s[1])
                                        s++;
                        if (!*s)
                                break;
                } else if (*s == '-' || (*s >= '0' && *s <= '9')) {
                        *ret_len = strspn(s, "0123456789+-.eE");
                        *p = s + *ret_len;
                        return s;
                }
        }
        *p = s;
        return NULL;
}

/* cJSON holds numbers as doubles: it would print 9223372036854775807 as 9.2233720368547758e+18 and 1e400
 * as null, which dockerd's int64 fields reject. Each number node becomes a raw node holding its text as
 * written. cJSON keeps members (duplicates too) in document order, so the n-th number node of a
 * pre-order walk is the n-th number of the text. */
static int numbers_keep_text(cJSON *item, const char **cursor) {
        for (; item; item = item->next) {
                if (cJSON_IsNumber(item)) {
                        size_t n;
                        const char *s = next_number(cursor, &n);
                        if (!s)
                                return -EINVAL;
                        char *text = strndup(s, n);
                        if (!text)
                                return -ENOMEM;
                        item->type = cJSON_Raw;
                        item->valuestring = text;
                } else if (item->child) {
                        int r = numbers_keep_text(item->child, cursor);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

static bool is_blank(const char *s, size_t size) {
        for (size_t i = 0; i < size; i++)
                if (!strchr(" \t\n\r\v\f", s[i]) || s[i] == '\0')
                        return false;
        return true;
}

/* An existing daemon.json as a tree whose numbers keep their text. *ret is NULL when there is no
 * document: no file, or only whitespace (dockerd reads that as an empty configuration). */
static int docker_json_parse(const char *text, size_t size, const char *origin, cJSON **ret,
                             char **ret_error) {
        _cleanup_json_ cJSON *root = NULL;
        _cleanup_free_ char *buf = NULL;
        int r;

        if (size > LIMITS_DOCKER_JSON_SIZE_MAX)
                return errorf(ret_error, -EFBIG, "%s: file larger than %u bytes", origin,
                              LIMITS_DOCKER_JSON_SIZE_MAX);
        if (!text || is_blank(text, size)) {
                *ret = NULL;
                return 0;
        }
        /* json_parse_strict() wants a NUL at buf[size]; the caller's buffer need not have one. */
        buf = malloc(size + 1);
        if (!buf)
                return -ENOMEM;
        memcpy(buf, text, size);
        buf[size] = '\0';

        r = json_parse_strict(buf, size, origin, &root, ret_error);
        if (r < 0)
                return r;
        if (!cJSON_IsObject(root))
                return errorf(ret_error, -EINVAL, "%s: the top level must be a JSON object", origin);
        const char *cursor = buf;
        r = numbers_keep_text(root, &cursor);
        if (r < 0)
                return errorf(ret_error, r, "%s: cannot keep the numbers as written", origin);
        *ret = TAKE_PTR(root);
        return 0;
}

/* default-ulimits of root, NULL when absent. */
static int docker_json_ulimits(cJSON *root, const char *origin, cJSON **ret, char **ret_error) {
        cJSON *found = NULL;

        for (cJSON *c = root->child; c; c = c->next) {
                if (!streq(c->string, "default-ulimits"))
                        continue;
                if (found)
                        return errorf(ret_error, -EINVAL,
                                      "%s: default-ulimits: given twice (dockerd would use the last one)",
                                      origin);
                found = c;
        }
        if (found && !cJSON_IsObject(found))
                return errorf(ret_error, -EINVAL, "%s: default-ulimits: must be a JSON object", origin);
        *ret = found;
        return 0;
}

/* dockerd makes "RLIMIT_" + upper(Name) of every entry, and Go matches the "Name" field in any case. */
static bool ulimit_is_nofile(const cJSON *entry) {
        if (strcasecmp(entry->string, "nofile") == 0)
                return true;
        for (const cJSON *c = cJSON_IsObject(entry) ? entry->child : NULL; c; c = c->next)
                if (strcasecmp(c->string, "Name") == 0 && cJSON_IsString(c) &&
                    strcasecmp(c->valuestring, "nofile") == 0)
                        return true;
        return false;
}

static cJSON *nofile_entry_new(const ProfileLimits *l) {
        char hard[24], soft[24];
        cJSON *e = cJSON_CreateObject();

        (void) snprintf(hard, sizeof hard, "%" PRIu64, l->nofile_hard);
        (void) snprintf(soft, sizeof soft, "%" PRIu64, l->nofile_soft);
        if (!e || !cJSON_AddStringToObject(e, "Name", "nofile") || !cJSON_AddRawToObject(e, "Hard", hard) ||
            !cJSON_AddRawToObject(e, "Soft", soft)) {
                cJSON_Delete(e);
                return NULL;
        }
        return e;
}

static void json_write_string(FILE *out, const char *s) {
        fputc('"', out);
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                switch (*p) {
                case '"':
                        fputs("\\\"", out);
                        break;
                case '\\':
                        fputs("\\\\", out);
                        break;
                case '\b':
                        fputs("\\b", out);
                        break;
                case '\f':
                        fputs("\\f", out);
                        break;
                case '\n':
                        fputs("\\n", out);
                        break;
                case '\r':
                        fputs("\\r", out);
                        break;
                case '\t':
                        fputs("\\t", out);
                        break;
                default:
                        if (*p < 0x20)
                                fprintf(out, "\\u%04x", *p);
                        else
                                fputc(*p, out);
                }
        fputc('"', out);
}

/* Two-space indent, "key": value, empty containers as {} and []. Numbers are raw nodes by now. */
static int json_write_value(FILE *out, const cJSON *item, unsigned indent) {
        if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
                bool object = cJSON_IsObject(item);

                if (!item->child) {
                        fputs(object ? "{}" : "[]", out);
                        return 0;
                }
                fputc(object ? '{' : '[', out);
                for (const cJSON *c = item->child; c; c = c->next) {
                        fprintf(out, "\n%*s", (int) indent + 2, "");
                        if (object) {
                                json_write_string(out, c->string);
                                fputs(": ", out);
                        }
                        int r = json_write_value(out, c, indent + 2);
                        if (r < 0)
                                return r;
                        if (c->next)
                                fputc(',', out);
                }
                fprintf(out, "\n%*s%c", (int) indent, "", object ? '}' : ']');
        } else if (cJSON_IsString(item))
                json_write_string(out, item->valuestring);
        else if (cJSON_IsRaw(item))
                fputs(item->valuestring, out);
        else if (cJSON_IsTrue(item))
                fputs("true", out);
        else if (cJSON_IsFalse(item))
                fputs("false", out);
        else if (cJSON_IsNull(item))
                fputs("null", out);
        else
                return -EINVAL;
        return 0;
}

int limits_merge_docker_json(const char *old, size_t old_size, const char *origin, const ProfileLimits *l,
                             char **ret, char **ret_error) {
        _cleanup_json_ cJSON *root = NULL, *entry = NULL;
        _cleanup_free_ char *buf = NULL;
        cJSON *ulimits = NULL, *first = NULL;
        size_t size = 0;
        int r;

        if (!limits_are_valid(l, false))
                return errorf(ret_error, -EINVAL, "%s: invalid nofile limits", origin);
        r = docker_json_parse(old, old_size, origin, &root, ret_error);
        if (r < 0)
                return r;
        if (!root) {
                root = cJSON_CreateObject();
                if (!root)
                        return -ENOMEM;
        }
        r = docker_json_ulimits(root, origin, &ulimits, ret_error);
        if (r < 0)
                return r;
        if (!ulimits) {
                ulimits = cJSON_AddObjectToObject(root, "default-ulimits");
                if (!ulimits)
                        return -ENOMEM;
        }

        entry = nofile_entry_new(l);
        if (!entry)
                return -ENOMEM;
        for (cJSON *c = ulimits->child, *next; c; c = next) {
                next = c->next;
                if (!ulimit_is_nofile(c))
                        continue;
                if (!first)
                        first = c;
                else
                        cJSON_Delete(cJSON_DetachItemViaPointer(ulimits, c));
        }
        if (first) {
                /* in place, under the canonical key */
                entry->string = strdup("nofile");
                if (!entry->string || !cJSON_ReplaceItemViaPointer(ulimits, first, entry))
                        return -ENOMEM;
        } else if (!cJSON_AddItemToObject(ulimits, "nofile", entry))
                return -ENOMEM;
        TAKE_PTR(entry);

        FILE *out = open_memstream(&buf, &size);
        if (!out)
                return -ENOMEM;
        r = json_write_value(out, root, 0);
        fputc('\n', out);
        bool failed = ferror(out);
        if (fclose(out) != 0 || failed)
                return -ENOMEM;
        if (r < 0)
                return errorf(ret_error, r, "%s: cannot write the merged document", origin);
        *ret = TAKE_PTR(buf);
        return 0;
}

static bool raw_is_uint(const cJSON *item, uint64_t v) {
        char want[24];

        (void) snprintf(want, sizeof want, "%" PRIu64, v);
        return cJSON_IsRaw(item) && streq(item->valuestring, want);
}

static bool docker_json_holds(const char *content, size_t size, const ProfileLimits *l) {
        _cleanup_json_ cJSON *root = NULL;
        cJSON *ulimits = NULL, *nofile = NULL;

        if (docker_json_parse(content, size, "daemon.json", &root, NULL) < 0 || !root)
                return false;
        if (docker_json_ulimits(root, "daemon.json", &ulimits, NULL) < 0 || !ulimits)
                return false;
        for (cJSON *c = ulimits->child; c; c = c->next)
                if (ulimit_is_nofile(c)) {
                        if (nofile)
                                return false;
                        nofile = c;
                }
        if (!nofile || !streq(nofile->string, "nofile") || !cJSON_IsObject(nofile) ||
            cJSON_GetArraySize(nofile) != 3)
                return false;
        /* three members and all three names found: each is there once */
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(nofile, "Name"),
                    *hard = cJSON_GetObjectItemCaseSensitive(nofile, "Hard"),
                    *soft = cJSON_GetObjectItemCaseSensitive(nofile, "Soft");
        return cJSON_IsString(name) && streq(name->valuestring, "nofile") &&
               raw_is_uint(hard, l->nofile_hard) && raw_is_uint(soft, l->nofile_soft);
}

bool limits_file_holds(LimitFile f, const char *content, size_t size, const ProfileLimits *l,
                       const char *profile) {
        _cleanup_free_ char *want = NULL;

        if (!file_info(f) || !content || !limits_are_valid(l, limit_file_unit(f) != NULL))
                return false;
        if (!limit_file_is_dropin(f))
                return docker_json_holds(content, size, l);
        if (limits_render(f, l, profile, &want) < 0)
                return false;
        return size == strlen(want) && memcmp(content, want, size) == 0;
}
