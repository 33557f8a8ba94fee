/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.h - wstuned as a systemd service: signals, reloads announced to systemd, the status line. */
#pragma once

#include "manager.h"

/* SIGTERM and SIGINT end the event loop (exit status 0); SIGHUP reloads, as service_reload() does. */
int service_add_signals(Manager *m);

/* Re-read the settings and apply the active profile again (manager_reload()), with RELOADING=1 before and
 * READY=1 after, so that systemd shows the unit reloading meanwhile. The drift poll takes the new interval.
 * Same arguments and result as manager_reload(), which leaves the active profile as it was on failure. */
int service_reload(Manager *m, uid_t caller, Report *changes, char **ret_error);

/* Send STATUS= (manager_summary()) to systemd when it changed since the last call. */
void service_publish_status(Manager *m);
