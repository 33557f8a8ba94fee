/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.c - rows of four strings. The rows go onto the bus, which refuses a string that is not UTF-8 (and
 * with it the whole reply): a value that is not, read from the kernel, is kept with its bad bytes as \xNN. */
#include "report.h"
#include "util/util.h"

int report_add(Report *r, const char *a, const char *b, const char *c, const char *d) {
        return report_add_secret(r, false, a, b, c, d);
}

int report_add_secret(Report *r, bool secret, const char *a, const char *b, const char *c, const char *d) {
        const char *src[4] = { a, b, c, d };
        Row row = { .secret = secret };

        if (!r)
                return 0;
        if (r->n >= REPORT_ROWS_MAX)
                return -E2BIG;
        if (r->n == r->allocated) {
                size_t want = r->allocated ? r->allocated * 2 : 16;
                Row *rows = realloc(r->rows, want * sizeof(Row));
                if (!rows)
                        return -ENOMEM;
                r->rows = rows;
                r->allocated = want;
        }
        for (size_t i = 0; i < 4; i++) {
                const char *v = strempty(src[i]);
                row.col[i] = utf8_is_valid(v) ? strdup(v) : utf8_escape_invalid(v);
                if (!row.col[i]) {
                        for (size_t j = 0; j < i; j++)
                                free(row.col[j]);
                        return -ENOMEM;
                }
        }
        r->rows[r->n++] = row;
        return 0;
}

void report_done(Report *r) {
        for (size_t i = 0; i < r->n; i++)
                for (size_t j = 0; j < 4; j++)
                        free(r->rows[i].col[j]);
        free(r->rows);
        *r = (Report) {};
}
