/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* journal.h - structured journal entries, one MESSAGE_ID per kind of event (see units/wstuned.catalog). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* The ids below are documented, with the fix, in units/wstuned.catalog. Never reuse or change one. */
#define WSTUNED_MESSAGE_PROFILE_APPLIED "55841ee5573641d1a7ad00a4ae2c8247"
#define WSTUNED_MESSAGE_KEY_CHANGED "ba4bc392b2e64bfcb868d97b7f26fa8a"
#define WSTUNED_MESSAGE_KEY_FAILED "0168f05dbda94bae9ecbd80d3b9c7602"
#define WSTUNED_MESSAGE_KEY_PENDING "5adcae1b9cad4eb49bb39a74aa2f8ded"
#define WSTUNED_MESSAGE_VERIFY_FAILED "a3da757be6dd4deb8704bf765cbf732a"
#define WSTUNED_MESSAGE_PROFILE_INVALID "c6222455683e4330a2647dc99bb23d54"
#define WSTUNED_MESSAGE_PROFILE_REVERTED "6a6f255c6362407d8d92c0ea91536e6f"
#define WSTUNED_MESSAGE_KEY_RESTORED "211ac8d7c9d24384ad30a9d10b14f6d0"
#define WSTUNED_MESSAGE_DRIFT_CORRECTED "4d1026356712415eb75df6f19aa77f26"
#define WSTUNED_MESSAGE_DRIFT_REPORTED "56d958f194dc4f5e9000125787d1b492"
#define WSTUNED_MESSAGE_KEY_APPLIED_LATE "99dd800884584a318e00b28dc1fd9986"
#define WSTUNED_MESSAGE_KEY_FIGHTING "d5847d83f12448149bfd388d1a1b202e"
#define WSTUNED_MESSAGE_FILE_WRITTEN "b5d81cc8bf78477d9a9958cf6777d4c6"
#define WSTUNED_MESSAGE_FILE_RESTORED "5869775bceb844288925bb63cf5a1a5e"
#define WSTUNED_MESSAGE_FILE_FAILED "0953d7ae45d94e91a470a2f0c38a6e21"
#define WSTUNED_MESSAGE_PRESSURE_CONNTRACK "2754f60395594e1c8be376a09964d3b9"
#define WSTUNED_MESSAGE_PRESSURE_BACKLOG "6fec6c14d2c54798b21ebae115f22e38"
#define WSTUNED_MESSAGE_PRESSURE_PORTS "fc7e055b15ca464c8dadff126e494088"
#define WSTUNED_MESSAGE_PRESSURE_FDS "e8e54680968241d3b180b2b134d7f3d3"
#define WSTUNED_MESSAGE_CONNTRACK_DROPS "90ac82adab1f4a4ba3b0a1a858dd3328"
#define WSTUNED_MESSAGE_BACKLOG_DROPS "f043b7204e0c4003a5aac28301a04f7a"
#define WSTUNED_MESSAGE_CONNTRACK_GROWN "def8b70b9a984ddcaa75131d7c88accd"
#define WSTUNED_MESSAGE_CONNTRACK_GROWTH_FAILED "84fad67e72ce431a968371aea3bd48d3"
#define WSTUNED_MESSAGE_STATE_NEWER "b97596b38eeb44039e80dbcba9c09243"
#define WSTUNED_MESSAGE_FILE_SKIPPED "de1933c9a8a44f5cafe23c54f688896f"

typedef enum LogEvent {
        EVENT_PROFILE_APPLIED,
        EVENT_KEY_CHANGED,
        EVENT_KEY_FAILED,
        EVENT_KEY_PENDING,
        EVENT_VERIFY_FAILED,
        EVENT_PROFILE_INVALID,
        EVENT_PROFILE_REVERTED,
        EVENT_KEY_RESTORED,
        EVENT_DRIFT_CORRECTED,
        EVENT_DRIFT_REPORTED,
        EVENT_KEY_APPLIED_LATE,
        EVENT_KEY_FIGHTING,
        EVENT_FILE_WRITTEN,
        EVENT_FILE_RESTORED,
        EVENT_FILE_FAILED,
        EVENT_PRESSURE_CONNTRACK, /* a resource's pressure level changed: one event per resource, in */
        EVENT_PRESSURE_BACKLOG,   /* PressureResource order */
        EVENT_PRESSURE_PORTS,
        EVENT_PRESSURE_FDS,
        EVENT_CONNTRACK_DROPS,    /* a conntrack drop counter went up */
        EVENT_BACKLOG_DROPS,      /* a listen drop counter went up */
        EVENT_CONNTRACK_GROWN,
        EVENT_CONNTRACK_GROWTH_FAILED,
        EVENT_STATE_NEWER, /* state.json is a newer wstuned's: left alone, nothing applied */
        EVENT_FILE_SKIPPED, /* a limit file the docker layer leaves out: it would lower a unit's limit */
        _EVENT_MAX,
} LogEvent;

/* Structured fields of an event; NULL / -1 members are left out. */
typedef struct EventFields {
        const char *profile;
        const char *key;
        const char *expected;
        const char *actual;
        const char *action; /* what wstuned did about a drift: corrected, reported, backed-off */
        uint64_t delay_usec; /* applied-late: time from the trigger to the write; 0 = none */
        int error;      /* positive errno, 0 = none */
        uid_t caller;   /* (uid_t) -1 = none */
        const char *resource; /* pressure: conntrack, backlog, ports, fds */
        const char *level;    /* pressure: ok, warn, critical, absent */
        const char *ratio;    /* pressure: used / limit, formatted */
        const char *counter;  /* drop counter that went up */
        uint64_t delta;       /* by how much; 0 = none */
        const char *conflict_file; /* the sysctl.d file that sets the key to the value found */
        unsigned conflict_line;    /* its line; 0 = none */
        int priority;         /* overrides the event's priority when > 0 */
} EventFields;

#define EVENT_FIELDS(...) (&(const EventFields) { .caller = (uid_t) -1, __VA_ARGS__ })

typedef enum LogTarget {
        LOG_TARGET_JOURNAL,
        LOG_TARGET_STDERR,
        LOG_TARGET_NULL, /* messages are formatted, then dropped: for the fuzzers, never from the command line */
        _LOG_TARGET_MAX,
        _LOG_TARGET_INVALID = -22,
} LogTarget;

void log_set_target(LogTarget t);
LogTarget log_target_from_string(const char *s);

/* One structured entry with the event's MESSAGE_ID and priority; the message is formatted from fmt. */
void log_event(LogEvent event, const EventFields *fields, const char *fmt, ...) _printf_(3, 4);

/* Plain messages for start-up and internal errors. */
void log_full(int priority, const char *fmt, ...) _printf_(2, 3);
#define log_error(...) log_full(3, __VA_ARGS__)
#define log_warning(...) log_full(4, __VA_ARGS__)
#define log_notice(...) log_full(5, __VA_ARGS__)
#define log_info(...) log_full(6, __VA_ARGS__)
