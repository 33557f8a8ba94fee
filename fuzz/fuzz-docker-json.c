/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-docker-json.c - the merge of default-ulimits.nofile into an admin's /etc/docker/daemon.json
 * (limits_merge_docker_json) and the check that a file carries it (limits_file_holds), with fixed limits.
 *
 * The input is the old file as read: not NUL-terminated. What limit-files.h promises is checked on every
 * merge that succeeds: the result holds the limits, merging it again changes nothing, and apart from the
 * nofile entries the document is the old one (same members in the same order, same values). */
#include <cjson/cJSON.h>
#include <strings.h>

#include "fuzz.h"
#include "limit-files.h"

static const ProfileLimits limits = {
        .present = true,
        .nofile_soft = 100000,
        .nofile_hard = 200000,
        .layers = 1u << LIMIT_LAYER_DOCKER,
};

/* As limit-files.h defines "the nofile entry": key "nofile" or member "Name" "nofile", in any case. */
static bool entry_is_nofile(const cJSON *e) {
        if (e->string && strcasecmp(e->string, "nofile") == 0)
                return true;
        for (const cJSON *c = cJSON_IsObject(e) ? e->child : NULL; c; c = c->next)
                if (c->string && strcasecmp(c->string, "Name") == 0 && cJSON_IsString(c) &&
                    strcasecmp(c->valuestring, "nofile") == 0)
                        return true;
        return false;
}

/* The document without default-ulimits' nofile entries, and without a default-ulimits left empty that the
 * old document did not have. */
static cJSON *without_nofile(const char *text, size_t size, bool drop_empty) {
        cJSON *root = cJSON_ParseWithLength(text, size);
        cJSON *u;

        if (!root)
                return NULL;
        u = cJSON_GetObjectItemCaseSensitive(root, "default-ulimits");
        if (cJSON_IsObject(u)) {
                for (cJSON *c = u->child, *next; c; c = next) {
                        next = c->next;
                        if (entry_is_nofile(c))
                                cJSON_Delete(cJSON_DetachItemViaPointer(u, c));
                }
                if (drop_empty && !u->child)
                        cJSON_Delete(cJSON_DetachItemViaPointer(root, u));
        }
        return root;
}

/* Equal values with the members in the same order: cJSON_Compare() looks members up by name, which pairs a
 * repeated name with its first occurrence. Numbers compare as cJSON reads them, from the same text. */
static bool json_equal(const cJSON *a, const cJSON *b) {
        if ((a->type & 0xff) != (b->type & 0xff) || !streq_ptr(a->string, b->string))
                return false;
        if (cJSON_IsNumber(a))
                return a->valuedouble == b->valuedouble ||
                       (a->valuedouble != a->valuedouble && b->valuedouble != b->valuedouble);
        if (cJSON_IsString(a))
                return streq(a->valuestring, b->valuestring);
        if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
                const cJSON *x = a->child, *y = b->child;
                for (; x && y; x = x->next, y = y->next)
                        if (!json_equal(x, y))
                                return false;
                return !x && !y;
        }
        return true;
}

static void check_kept(const uint8_t *data, size_t size, const char *merged) {
        _cleanup_free_ char *text = fuzz_text(data, size);
        cJSON *old = cJSON_ParseWithLength(text, size), *a, *b;
        bool had_ulimits;

        if (!old) /* blank: a new document */
                return;
        had_ulimits = cJSON_GetObjectItemCaseSensitive(old, "default-ulimits");
        cJSON_Delete(old);

        a = without_nofile(text, size, false);
        b = without_nofile(merged, strlen(merged), !had_ulimits);
        fuzz_check(a && b, "old or merged document does not parse");
        fuzz_check(json_equal(a, b), "the merge changed more than the nofile entry:\n%s\n---\n%s", text,
                   merged);
        cJSON_Delete(a);
        cJSON_Delete(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *merged = NULL, *again = NULL, *error = NULL, *error2 = NULL;
        int r;

        (void) limits_file_holds(LIMIT_FILE_DOCKER_JSON, (const char *) data, size, &limits, "fuzz");

        r = limits_merge_docker_json((const char *) data, size, "daemon.json", &limits, &merged, &error);
        if (r < 0) {
                fuzz_check(error || r == -ENOMEM, "merge failed (%s) without a message", strerror(-r));
                fuzz_check(!merged, "merge failed but returned a document");
                return 0;
        }
        size_t n = strlen(merged);
        fuzz_check(n > 0 && merged[n - 1] == '\n', "merged document does not end in a newline");
        fuzz_check(limits_file_holds(LIMIT_FILE_DOCKER_JSON, merged, n, &limits, "fuzz"),
                   "merged document does not hold the limits:\n%s", merged);

        r = limits_merge_docker_json(merged, n, "daemon.json", &limits, &again, &error2);
        fuzz_check(r >= 0, "merging the merged document failed: %s", strempty(error2));
        fuzz_check(streq(merged, again), "merging twice is not merging once:\n%s\n---\n%s", merged, again);

        check_kept(data, size, merged);
        return 0;
}
