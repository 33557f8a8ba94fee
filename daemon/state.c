/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state.c - persistent daemon state (active profile, baseline, the boot it belongs to) as JSON. */
#include "json.h"
#include "profile.h"
#include "state.h"

void state_done(State *s) {
        for (size_t i = 0; i < s->n_baseline; i++) {
                free(s->baseline[i].path);
                free(s->baseline[i].value);
        }
        free(s->baseline);
        for (size_t i = 0; i < s->n_files; i++) {
                free(s->files[i].path);
                free(s->files[i].content);
        }
        free(s->files);
        free(s->active_profile);
        free(s->boot_id);
        *s = (State) {};
}

static BaselineEntry *baseline_find(const State *s, const char *path) {
        for (size_t i = 0; i < s->n_baseline; i++)
                if (streq(s->baseline[i].path, path))
                        return &s->baseline[i];
        return NULL;
}

const char *state_baseline_get(const State *s, const char *path) {
        const BaselineEntry *b = baseline_find(s, path);
        return b ? b->value : NULL;
}

const char *state_baseline_get_this_boot(const State *s, const char *path) {
        const BaselineEntry *b = baseline_find(s, path);
        return b && !b->earlier_boot ? b->value : NULL;
}

bool state_baseline_is_earlier_boot(const State *s, const char *path) {
        const BaselineEntry *b = baseline_find(s, path);
        return b && b->earlier_boot;
}

void state_baseline_mark_earlier_boot(State *s, const char *path) {
        for (size_t i = 0; i < s->n_baseline; i++)
                if (!path || streq(s->baseline[i].path, path))
                        s->baseline[i].earlier_boot = true;
}

bool boot_id_is_valid(const char *s) {
        if (!s || strlen(s) != BOOT_ID_LENGTH)
                return false;
        for (size_t i = 0; i < BOOT_ID_LENGTH; i++) {
                bool dash = i == 8 || i == 13 || i == 18 || i == 23;
                bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f');
                if (dash ? s[i] != '-' : !hex)
                        return false;
        }
        return true;
}

int state_set_boot_id(State *s, const char *boot_id) {
        char *b = NULL;

        if (boot_id && !boot_id_is_valid(boot_id))
                return -EINVAL;
        if (boot_id && !(b = strdup(boot_id)))
                return -ENOMEM;
        free(s->boot_id);
        s->boot_id = b;
        return 0;
}

int state_baseline_set(State *s, const char *path, const char *value) {
        /* state.json is JSON: it cannot keep bytes that are not UTF-8, and a file with them does not load */
        if (!utf8_is_valid(value))
                return -EILSEQ;
        for (size_t i = 0; i < s->n_baseline; i++)
                if (streq(s->baseline[i].path, path)) {
                        char *v = strdup(value);
                        if (!v)
                                return -ENOMEM;
                        free(s->baseline[i].value);
                        s->baseline[i].value = v;
                        s->baseline[i].earlier_boot = false;
                        return 0;
                }
        if (s->n_baseline >= STATE_BASELINE_MAX)
                return -E2BIG;
        BaselineEntry *b = realloc(s->baseline, (s->n_baseline + 1) * sizeof(BaselineEntry));
        if (!b)
                return -ENOMEM;
        s->baseline = b;
        b[s->n_baseline] = (BaselineEntry) { .path = strdup(path), .value = strdup(value) };
        if (!b[s->n_baseline].path || !b[s->n_baseline].value) {
                free(b[s->n_baseline].path);
                free(b[s->n_baseline].value);
                return -ENOMEM;
        }
        s->n_baseline++;
        return 0;
}

void state_baseline_remove(State *s, const char *path) {
        for (size_t i = 0; i < s->n_baseline; i++)
                if (streq(s->baseline[i].path, path)) {
                        free(s->baseline[i].path);
                        free(s->baseline[i].value);
                        memmove(&s->baseline[i], &s->baseline[i + 1], (s->n_baseline - i - 1) * sizeof(BaselineEntry));
                        s->n_baseline--;
                        return;
                }
}

const FileBaseline *state_file_get(const State *s, const char *path) {
        for (size_t i = 0; i < s->n_files; i++)
                if (streq(s->files[i].path, path))
                        return &s->files[i];
        return NULL;
}

int state_file_set(State *s, const char *path, const char *content, FileMeta meta) {
        FileBaseline f = { .path = strdup(path), .content = content ? strdup(content) : NULL, .meta = meta };

        f.meta.mode &= 07777;

        if (!f.path || (content && !f.content)) {
                free(f.path);
                free(f.content);
                return -ENOMEM;
        }
        state_file_remove(s, path);
        if (s->n_files >= STATE_BASELINE_MAX) {
                free(f.path);
                free(f.content);
                return -E2BIG;
        }
        FileBaseline *files = realloc(s->files, (s->n_files + 1) * sizeof(FileBaseline));
        if (!files) {
                free(f.path);
                free(f.content);
                return -ENOMEM;
        }
        s->files = files;
        s->files[s->n_files++] = f;
        return 0;
}

void state_file_remove(State *s, const char *path) {
        for (size_t i = 0; i < s->n_files; i++)
                if (streq(s->files[i].path, path)) {
                        free(s->files[i].path);
                        free(s->files[i].content);
                        memmove(&s->files[i], &s->files[i + 1], (s->n_files - i - 1) * sizeof(FileBaseline));
                        s->n_files--;
                        return;
                }
}

int state_set_active(State *s, const char *profile) {
        char *p = NULL;

        if (profile && !(p = strdup(profile)))
                return -ENOMEM;
        free(s->active_profile);
        s->active_profile = p;
        return 0;
}

int state_parse(const char *origin, const char *buf, size_t size, State *ret, char **ret_error) {
        static const char *const allowed[] = { "version", "active_profile", "boot_id", "baseline", NULL };
        _cleanup_json_ cJSON *root = NULL;
        _cleanup_(state_done) State s = {};
        const cJSON *bad, *c, *sysctl;
        const char *reason;
        long long version;
        int r;

        r = json_parse_strict(buf, size, origin, &root, ret_error);
        if (r < 0)
                return r;
        if (!cJSON_IsObject(root))
                return errorf(ret_error, -EINVAL, "%s: must be a JSON object", origin);
        /* The version before anything else: a newer file may well have fields this wstuned does not know,
         * and is not broken for that. */
        const cJSON *version_item = cJSON_GetObjectItemCaseSensitive(root, "version");
        if (json_get_integer(version_item, &version) && version > STATE_VERSION)
                return errorf(ret_error, -EPROTONOSUPPORT,
                              "%s: written by a newer wstuned (state version %lld, this one reads %d): "
                              "downgrade refused, nothing is applied or reverted until that wstuned is "
                              "installed again or the file is moved away",
                              origin, version, STATE_VERSION);
        if ((bad = json_find_unknown_member(root, allowed)))
                return errorf(ret_error, -EINVAL, "%s: %s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(root)))
                return errorf(ret_error, -EINVAL, "%s: %s: duplicate field", origin, bad->string);
        if (!json_get_integer(version_item, &version) || version != STATE_VERSION)
                return errorf(ret_error, -EINVAL, "%s: version: unsupported (expected %d)", origin, STATE_VERSION);

        c = cJSON_GetObjectItemCaseSensitive(root, "active_profile");
        if (c && !cJSON_IsNull(c)) {
                if (!cJSON_IsString(c) || !profile_name_is_valid(c->valuestring))
                        return errorf(ret_error, -EINVAL, "%s: active_profile: not a valid profile name", origin);
                r = state_set_active(&s, c->valuestring);
                if (r < 0)
                        return r;
        }

        /* written by older versions without it: the baseline's boot is not known (manager.c decides) */
        c = cJSON_GetObjectItemCaseSensitive(root, "boot_id");
        if (c && (!cJSON_IsString(c) || !boot_id_is_valid(c->valuestring)))
                return errorf(ret_error, -EINVAL, "%s: boot_id: not a boot id (36 characters as in %s)", origin,
                              "/proc/sys/kernel/random/boot_id");
        if (c && (r = state_set_boot_id(&s, c->valuestring)) < 0)
                return r;

        static const char *const baseline_allowed[] = { "sysctl", "earlier_boot", "files", NULL };
        c = cJSON_GetObjectItemCaseSensitive(root, "baseline");
        sysctl = cJSON_GetObjectItemCaseSensitive(c, "sysctl");
        if (c && (!cJSON_IsObject(c) || (sysctl && !cJSON_IsObject(sysctl))))
                return errorf(ret_error, -EINVAL, "%s: baseline: must be { \"sysctl\": { path: value } }", origin);
        if ((bad = json_find_unknown_member(c, baseline_allowed)))
                return errorf(ret_error, -EINVAL, "%s: baseline.%s: unknown field", origin, bad->string);
        if ((bad = json_find_duplicate_member(c)))
                return errorf(ret_error, -EINVAL, "%s: baseline.%s: duplicate field", origin, bad->string);
        /* The number first: the duplicate check below compares every pair of members. */
        if (cJSON_GetArraySize(sysctl) > (int) STATE_BASELINE_MAX)
                return errorf(ret_error, -E2BIG, "%s: baseline: more than %u entries", origin, STATE_BASELINE_MAX);
        /* Two originals for one key: which one is true cannot be known. */
        if ((bad = json_find_duplicate_member(sysctl)))
                return errorf(ret_error, -EINVAL, "%s: baseline.sysctl[\"%s\"]: duplicate entry", origin,
                              bad->string);
        cJSON_ArrayForEach(c, sysctl) {
                _cleanup_free_ char *path = NULL;
                if (!cJSON_IsString(c))
                        return errorf(ret_error, -EINVAL, "%s: baseline.sysctl[\"%s\"]: not a string", origin,
                                      c->string);
                if (sysctl_key_to_path(c->string, &path, &reason) < 0 || !streq(path, c->string))
                        return errorf(ret_error, -EINVAL, "%s: baseline.sysctl[\"%s\"]: not a sysctl path", origin,
                                      c->string);
                r = state_baseline_set(&s, c->string, c->valuestring);
                if (r == -E2BIG)
                        return errorf(ret_error, r, "%s: baseline: more than %u entries", origin, STATE_BASELINE_MAX);
                if (r < 0)
                        return r;
        }

        /* "earlier_boot": [ path, … ]: entries of "sysctl" taken in an earlier boot than boot_id */
        const cJSON *earlier = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "baseline"),
                                                               "earlier_boot");
        if (earlier && !cJSON_IsArray(earlier))
                return errorf(ret_error, -EINVAL,
                              "%s: baseline.earlier_boot: must be an array of baseline.sysctl paths", origin);
        /* the number first: each entry is looked up in the baseline */
        if (cJSON_GetArraySize(earlier) > (int) STATE_BASELINE_MAX)
                return errorf(ret_error, -E2BIG, "%s: baseline.earlier_boot: more than %u entries", origin,
                              STATE_BASELINE_MAX);
        cJSON_ArrayForEach(c, earlier) {
                BaselineEntry *b;
                if (!cJSON_IsString(c))
                        return errorf(ret_error, -EINVAL,
                                      "%s: baseline.earlier_boot: must be an array of baseline.sysctl paths", origin);
                b = baseline_find(&s, c->valuestring);
                if (!b)
                        return errorf(ret_error, -EINVAL, "%s: baseline.earlier_boot[\"%s\"]: not in baseline.sysctl",
                                      origin, c->valuestring);
                if (b->earlier_boot)
                        return errorf(ret_error, -EINVAL, "%s: baseline.earlier_boot[\"%s\"]: duplicate entry", origin,
                                      c->valuestring);
                b->earlier_boot = true;
        }

        /* "files": { "/etc/docker/daemon.json": { "content": "…", "mode": 420, "uid": 0, "gid": 0 } or null (did
         * not exist); uid and gid are optional (root), as older versions did not write them */
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "baseline"),
                                                             "files");
        if (files && !cJSON_IsObject(files))
                return errorf(ret_error, -EINVAL, "%s: baseline.files: must be an object", origin);
        if (cJSON_GetArraySize(files) > (int) STATE_BASELINE_MAX)
                return errorf(ret_error, -E2BIG, "%s: baseline.files: more than %u entries", origin,
                              STATE_BASELINE_MAX);
        if ((bad = json_find_duplicate_member(files)))
                return errorf(ret_error, -EINVAL, "%s: baseline.files[\"%s\"]: duplicate entry", origin, bad->string);
        cJSON_ArrayForEach(c, files) {
                static const char *const file_allowed[] = { "content", "mode", "uid", "gid", NULL };
                const cJSON *content = cJSON_GetObjectItemCaseSensitive(c, "content");
                const cJSON *uid = cJSON_GetObjectItemCaseSensitive(c, "uid");
                const cJSON *gid = cJSON_GetObjectItemCaseSensitive(c, "gid");
                long long mode = 0644, u = 0, g = 0;

                if (c->string[0] != '/' || strstr(c->string, "/../") || (!cJSON_IsNull(c) && !cJSON_IsObject(c)) ||
                    (cJSON_IsObject(c) && (json_find_unknown_member(c, file_allowed) || !cJSON_IsString(content) ||
                                           !json_get_integer(cJSON_GetObjectItemCaseSensitive(c, "mode"), &mode) ||
                                           mode < 0 || mode > 07777 || (uid && !json_get_integer(uid, &u)) ||
                                           (gid && !json_get_integer(gid, &g)) || u < 0 || u >= UINT32_MAX ||
                                           g < 0 || g >= UINT32_MAX)))
                        return errorf(ret_error, -EINVAL,
                                      "%s: baseline.files[\"%s\"]: must be null or { \"content\": text, \"mode\": N, "
                                      "\"uid\": N, \"gid\": N }",
                                      origin, c->string);
                r = state_file_set(&s, c->string, cJSON_IsObject(c) ? content->valuestring : NULL,
                                   (FileMeta) { .uid = (uid_t) u, .gid = (gid_t) g, .mode = (mode_t) mode });
                if (r == -E2BIG)
                        return errorf(ret_error, r, "%s: baseline.files: more than %u entries", origin,
                                      STATE_BASELINE_MAX);
                if (r < 0)
                        return r;
        }

        *ret = s;
        s = (State) {};
        return 0;
}

int state_load(const char *path, State *ret, char **ret_error) {
        _cleanup_free_ char *buf = NULL;
        size_t size;
        int r;

        r = read_file_full(path, STATE_SIZE_MAX, &buf, &size);
        if (r == -ENOENT) {
                *ret = (State) {};
                return 0;
        }
        if (r < 0)
                return errorf(ret_error, r, "%s: %s", path, file_error_to_string(r));
        return state_parse(path, buf, size, ret, ret_error);
}

int state_save(const char *path, const State *s) {
        _cleanup_json_ cJSON *root = cJSON_CreateObject();
        _cleanup_free_ char *text = NULL;
        cJSON *baseline, *sysctl;

        if (!root)
                return -ENOMEM;
        if (!cJSON_AddNumberToObject(root, "version", STATE_VERSION) ||
            !(s->active_profile ? cJSON_AddStringToObject(root, "active_profile", s->active_profile)
                                : cJSON_AddNullToObject(root, "active_profile")) ||
            (s->boot_id && !cJSON_AddStringToObject(root, "boot_id", s->boot_id)) ||
            !(baseline = cJSON_AddObjectToObject(root, "baseline")) ||
            !(sysctl = cJSON_AddObjectToObject(baseline, "sysctl")))
                return -ENOMEM;
        for (size_t i = 0; i < s->n_baseline; i++)
                if (!cJSON_AddStringToObject(sysctl, s->baseline[i].path, s->baseline[i].value))
                        return -ENOMEM;
        for (size_t i = 0; i < s->n_baseline; i++) {
                cJSON *earlier = cJSON_GetObjectItemCaseSensitive(baseline, "earlier_boot");
                if (!s->baseline[i].earlier_boot)
                        continue;
                if (!earlier && !(earlier = cJSON_AddArrayToObject(baseline, "earlier_boot")))
                        return -ENOMEM;
                cJSON *entry = cJSON_CreateString(s->baseline[i].path);
                if (!entry || !cJSON_AddItemToArray(earlier, entry)) {
                        cJSON_Delete(entry);
                        return -ENOMEM;
                }
        }
        if (s->n_files > 0) {
                cJSON *files = cJSON_AddObjectToObject(baseline, "files");
                if (!files)
                        return -ENOMEM;
                for (size_t i = 0; i < s->n_files; i++) {
                        const FileBaseline *f = &s->files[i];
                        if (!f->content) {
                                if (!cJSON_AddNullToObject(files, f->path))
                                        return -ENOMEM;
                                continue;
                        }
                        cJSON *o = cJSON_AddObjectToObject(files, f->path);
                        if (!o || !cJSON_AddStringToObject(o, "content", f->content) ||
                            !cJSON_AddNumberToObject(o, "mode", f->meta.mode) ||
                            !cJSON_AddNumberToObject(o, "uid", f->meta.uid) ||
                            !cJSON_AddNumberToObject(o, "gid", f->meta.gid))
                                return -ENOMEM;
                }
        }

        text = cJSON_Print(root);
        if (!text)
                return -ENOMEM;
        size_t n = strlen(text);
        char *t = realloc(text, n + 2);
        if (!t)
                return -ENOMEM;
        text = t;
        text[n++] = '\n';
        text[n] = '\0';
        /* the originals may hold secrets (proxy credentials in daemon.json): root only, also over an older 0644 file */
        return write_file_atomic(path, text, n, FILE_MODE(0600), 0);
}
