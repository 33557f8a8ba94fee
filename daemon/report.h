/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* report.h - rows of four strings: what Get, Apply, Verify and Revert return over the bus. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define REPORT_ROWS_MAX 8192u

typedef struct Row {
        char *col[4];
        bool secret; /* columns 1 and 2 hold values that only root may see (caller.h) */
} Row;

typedef struct Report {
        Row *rows;
        size_t n, allocated;
} Report;

/* Appends a row; NULL columns become "". -E2BIG past REPORT_ROWS_MAX. */
int report_add(Report *r, const char *a, const char *b, const char *c, const char *d);
/* The same for a row whose values (b and c) only root may see: the bus hides them from anyone else. */
int report_add_secret(Report *r, bool secret, const char *a, const char *b, const char *c, const char *d);
void report_done(Report *r);
