/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* json.h - strict JSON parsing for the daemon's own files, and the cJSON cleanup helper. Only parsers
 * and JSON writers (state.c, wstunectl's --json) include this header. */
#pragma once

#include <cjson/cJSON.h>
#include <stddef.h>

#include "util/util.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(cJSON *, cJSON_Delete);
#define _cleanup_json_ _cleanup_(cJSON_Deletep)

/* Parse buf (size bytes, NUL-terminated at buf[size]) as exactly one JSON value: trailing data,
 * NUL bytes, "\u0000" escapes and invalid UTF-8 are rejected. Messages start with origin and
 * carry the line and column of the problem. */
int json_parse_strict(const char *buf, size_t size, const char *origin, cJSON **ret, char **ret_error);

/* Integral JSON number exactly representable as a double (|n| <= 2^53). */
bool json_get_integer(const cJSON *item, long long *ret);

/* Reject members of obj not named in allowed (NULL-terminated). Returns the first unknown one. */
const cJSON *json_find_unknown_member(const cJSON *obj, const char *const *allowed);

/* The first member of obj whose name repeats an earlier one, or NULL. */
const cJSON *json_find_duplicate_member(const cJSON *obj);
