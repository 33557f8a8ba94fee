/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-stats.h - median, p90, p99 and mean of timing samples, shared by the benchmarks. */
#pragma once

#include <stdlib.h>

typedef struct Stats {
        double median, p90, p99, mean;
} Stats;

static inline int compare_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

/* Sorts v. Median of the two middle samples; p90 and p99 by nearest rank, so with 100 samples p99 is
 * the largest but one, never an interpolation between samples. */
static inline Stats stats_compute(double *v, size_t n) {
        Stats s = {};
        double sum = 0;

        if (n == 0)
                return s;
        qsort(v, n, sizeof(double), compare_double);
        for (size_t i = 0; i < n; i++)
                sum += v[i];
        s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
        s.p90 = v[(n * 90 + 99) / 100 - 1];
        s.p99 = v[(n * 99 + 99) / 100 - 1];
        s.mean = sum / (double) n;
        return s;
}
