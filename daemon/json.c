/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.c - strict JSON parsing on top of cJSON, which by itself accepts trailing garbage. */
#include "json.h"

int json_parse_strict(const char *buf, size_t size, const char *origin, cJSON **ret, char **ret_error) {
        const char *end = NULL;
        unsigned line, column;

        /* cJSON stops at a NUL and turns "\u0000" into one, silently truncating strings. */
        const char *nul = memchr(buf, '\0', size);
        if (nul) {
                text_position(buf, (size_t) (nul - buf), &line, &column);
                return errorf(ret_error, -EINVAL, "%s:%u:%u: NUL byte in file", origin, line, column);
        }
        for (const char *p = buf; (p = strstr(p, "\\u0000")); p++) {
                /* an escaped backslash before it makes it literal text, not an escape */
                size_t backslashes = 0;
                for (const char *q = p; q > buf && q[-1] == '\\'; q--)
                        backslashes++;
                if (backslashes % 2 == 0) {
                        text_position(buf, (size_t) (p - buf), &line, &column);
                        return errorf(ret_error, -EINVAL, "%s:%u:%u: \\u0000 is not allowed in strings", origin,
                                      line, column);
                }
        }
        if (!utf8_is_valid(buf)) {
                return errorf(ret_error, -EINVAL, "%s: file is not valid UTF-8", origin);
        }

        /* With require_null_terminated, cJSON wants the terminating NUL inside the length. */
        cJSON *j = cJSON_ParseWithLengthOpts(buf, size + 1, &end, 1);
        if (!j) {
                size_t off = end && end >= buf && end <= buf + size ? (size_t) (end - buf) : 0;
                /* Where a member name is expected, cJSON points one byte past the offending one. */
                if (off > 0 && !strchr(" \t\r\n", buf[off - 1])) {
                        size_t p = off - 1;
                        while (p > 0 && strchr(" \t\r\n", buf[p - 1]))
                                p--;
                        if (p > 0 && (buf[p - 1] == '{' || buf[p - 1] == ','))
                                off--;
                }
                const char *what = "syntax error";
                /* a complete value followed by more text */
                cJSON *value_only = cJSON_ParseWithLengthOpts(buf, size + 1, NULL, 0);
                if (value_only) {
                        what = "unexpected data after the JSON value";
                        cJSON_Delete(value_only);
                }
                text_position(buf, off, &line, &column);
                return errorf(ret_error, -EINVAL, "%s:%u:%u: %s", origin, line, column, what);
        }
        *ret = j;
        return 0;
}

bool json_get_integer(const cJSON *item, long long *ret) {
        if (!cJSON_IsNumber(item))
                return false;
        double d = item->valuedouble;
        /* Strictly inside ±2^53: beyond, neighbouring integers round to the same double. NaN fails
         * the comparisons; the range check comes first so the cast is defined. */
        if (!(d > -9007199254740992.0 && d < 9007199254740992.0) || (double) (long long) d != d)
                return false;
        *ret = (long long) d;
        return true;
}

const cJSON *json_find_unknown_member(const cJSON *obj, const char *const *allowed) {
        const cJSON *c;

        cJSON_ArrayForEach(c, obj) {
                bool found = false;
                for (const char *const *a = allowed; *a; a++)
                        if (streq(c->string, *a))
                                found = true;
                if (!found)
                        return c;
        }
        return NULL;
}

const cJSON *json_find_duplicate_member(const cJSON *obj) {
        for (const cJSON *c = obj ? obj->child : NULL; c; c = c->next)
                for (const cJSON *d = obj->child; d != c; d = d->next)
                        if (streq(c->string, d->string))
                                return c;
        return NULL;
}
