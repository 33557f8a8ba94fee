/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* metrics-sample.c - print metrics_render() of one case of metrics-samples.h, for test-promtool.sh.
 * "metrics-sample --list" prints the case names, one a line. */
#include <stdio.h>

#include "metrics-samples.h"

int main(int argc, char **argv) {
        if (argc != 2) {
                fprintf(stderr, "usage: %s --list | CASE\n", argv[0]);
                return 2;
        }
        for (size_t i = 0; i < ELEMENTSOF(metrics_samples); i++) {
                if (streq(argv[1], "--list")) {
                        puts(metrics_samples[i].name);
                        continue;
                }
                if (!streq(argv[1], metrics_samples[i].name))
                        continue;

                _cleanup_free_ char *text = NULL;
                MetricsInput in;
                PressureState s;
                int r;

                metrics_samples[i].fill(&in, &s);
                r = metrics_render(&in, &text);
                if (r < 0) {
                        fprintf(stderr, "metrics_render(%s): %s\n", argv[1], strerror(-r));
                        return 1;
                }
                fputs(text, stdout);
                return fflush(stdout) == 0 ? 0 : 1;
        }
        if (streq(argv[1], "--list"))
                return 0;
        fprintf(stderr, "%s: no case %s\n", argv[0], argv[1]);
        return 2;
}
