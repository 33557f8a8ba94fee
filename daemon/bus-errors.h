/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-errors.h - the daemon's named D-Bus errors. */
#pragma once

#define WSTUNED_BUS_NAME "io.wstune.wstuned1"
#define WSTUNED_BUS_PATH "/io/wstune/wstuned1"
#define WSTUNED_BUS_INTERFACE "io.wstune.wstuned1.Manager"

#define WSTUNED_ERROR_INVALID_PROFILE "io.wstune.wstuned1.Error.InvalidProfile"
#define WSTUNED_ERROR_NO_SUCH_PROFILE "io.wstune.wstuned1.Error.NoSuchProfile"
#define WSTUNED_ERROR_NO_SUCH_KEY "io.wstune.wstuned1.Error.NoSuchKey"
#define WSTUNED_ERROR_ACCESS_DENIED "io.wstune.wstuned1.Error.AccessDenied"
/* Apply and Revert while the state file is a newer wstuned's (after a downgrade). */
#define WSTUNED_ERROR_NEWER_STATE "io.wstune.wstuned1.Error.NewerState"
