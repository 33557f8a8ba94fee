/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* watch.h - what makes wstuned look at its keys again: the drift poll timer and kernel uevents. */
#pragma once

#include "manager.h"

/* Start the poll timer (settings.poll_interval_ms) and the uevent listener. A uevent socket that cannot
 * be opened is logged and leaves the timer as the only safety net. */
int watch_start(Manager *m);

/* Watch the active profile's limit files again (after Apply, Revert, Reload). */
int watch_files(Manager *m);

/* Apply a new poll interval after the settings changed. */
int watch_reschedule(Manager *m);

void watch_stop(Manager *m);
