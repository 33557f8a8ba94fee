/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-manager.h - the io.wstune.wstuned1.Manager object on the bus. */
#pragma once

#include "manager.h"

/* Register the object on m->bus and take the bus name. */
int bus_manager_attach(Manager *m);
/* Only register the object, for a bus without a bus daemon (a direct connection: fuzz/fuzz-bus.c). */
int bus_manager_add_object(Manager *m);

/* Send PropertiesChanged for whatever changed since the last call, and the new status line to systemd. */
void bus_manager_publish(Manager *m);

/* The Drifted signal: a managed key was found with another value; action is what wstuned did about it
 * (corrected, reported, backed-off). Nothing when not on a bus. */
void bus_manager_emit_drifted(Manager *m, const char *key, const char *expected, const char *actual,
                              const char *action);

/* The PressureChanged signal: a resource's pressure level changed. */
void bus_manager_emit_pressure_changed(Manager *m, const char *resource, const char *level, double ratio);
