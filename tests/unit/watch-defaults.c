/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* watch-defaults.c - print the daemon's default pressure thresholds, "resource warn critical" in percent, one
 * resource a line, so test-alert-rules.sh compares the alert rules with the code rather than a copy. */
#include <stdio.h>

#include "pressure.h"

int main(void) {
        WatchSettings w;

        watch_settings_init(&w);
        for (PressureResource r = 0; r < _PRESSURE_RESOURCE_MAX; r++)
                printf("%s %g %g\n", pressure_resource_to_string(r), w.thresholds[r].warn, w.thresholds[r].critical);
        return fflush(stdout) == 0 ? 0 : 1;
}
