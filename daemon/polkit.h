/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit.h - authorization of privileged bus calls: root, or polkit's CheckAuthorization. */
#pragma once

#include <systemd/sd-bus.h>

#include "manager.h"

#define WSTUNED_POLKIT_ACTION_MANAGE "io.wstune.wstuned1.manage"
#define AUTH_QUERIES_MAX 64u        /* checks in flight in all */
#define AUTH_QUERIES_PER_UID_MAX 8u /* checks in flight for one caller uid */

/* The effective uid of the sender of call, from the bus broker (remembered for the last few senders). */
int bus_caller_uid(Manager *m, sd_bus_message *call, uid_t *ret);

/* May the sender of call manage wstuned? Returns 1 when it may go ahead now, 0 when a polkit query is
 * in flight (the call is dispatched again when the answer arrives, and this returns its verdict),
 * or a negative errno with error set (AccessDenied, LimitsExceeded). *ret_uid is the caller. */
int bus_verify_manage(Manager *m, sd_bus_message *call, uid_t *ret_uid, sd_bus_error *error);

/* At exit: cancel the checks in flight (their callers get an error), drop them and the remembered callers. */
void auth_queries_free(Manager *m);

/* Run auth_queries_free() when m->event exits, while the bus connection is still open to carry the
 * cancellations and errors. Call after sd_bus_attach_event(). */
int auth_queries_attach_event(Manager *m);
