/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* journal.c - structured journal entries: the event table and sd_journal_sendv. */
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <syslog.h>
#include <systemd/sd-journal.h>

#include "journal.h"

typedef struct EventKind {
        const char *message_id;
        int priority;
} EventKind;

static const EventKind event_table[_EVENT_MAX] = {
        [EVENT_PROFILE_APPLIED] = { WSTUNED_MESSAGE_PROFILE_APPLIED, LOG_INFO },
        [EVENT_KEY_CHANGED] = { WSTUNED_MESSAGE_KEY_CHANGED, LOG_NOTICE },
        [EVENT_KEY_FAILED] = { WSTUNED_MESSAGE_KEY_FAILED, LOG_ERR },
        [EVENT_KEY_PENDING] = { WSTUNED_MESSAGE_KEY_PENDING, LOG_NOTICE },
        [EVENT_VERIFY_FAILED] = { WSTUNED_MESSAGE_VERIFY_FAILED, LOG_WARNING },
        [EVENT_PROFILE_INVALID] = { WSTUNED_MESSAGE_PROFILE_INVALID, LOG_ERR },
        [EVENT_PROFILE_REVERTED] = { WSTUNED_MESSAGE_PROFILE_REVERTED, LOG_NOTICE },
        [EVENT_KEY_RESTORED] = { WSTUNED_MESSAGE_KEY_RESTORED, LOG_NOTICE },
        [EVENT_DRIFT_CORRECTED] = { WSTUNED_MESSAGE_DRIFT_CORRECTED, LOG_WARNING },
        [EVENT_DRIFT_REPORTED] = { WSTUNED_MESSAGE_DRIFT_REPORTED, LOG_ERR },
        [EVENT_KEY_APPLIED_LATE] = { WSTUNED_MESSAGE_KEY_APPLIED_LATE, LOG_NOTICE },
        [EVENT_KEY_FIGHTING] = { WSTUNED_MESSAGE_KEY_FIGHTING, LOG_CRIT },
        [EVENT_FILE_WRITTEN] = { WSTUNED_MESSAGE_FILE_WRITTEN, LOG_NOTICE },
        [EVENT_FILE_RESTORED] = { WSTUNED_MESSAGE_FILE_RESTORED, LOG_NOTICE },
        [EVENT_FILE_FAILED] = { WSTUNED_MESSAGE_FILE_FAILED, LOG_ERR },
        [EVENT_PRESSURE_CONNTRACK] = { WSTUNED_MESSAGE_PRESSURE_CONNTRACK, LOG_WARNING },
        [EVENT_PRESSURE_BACKLOG] = { WSTUNED_MESSAGE_PRESSURE_BACKLOG, LOG_WARNING },
        [EVENT_PRESSURE_PORTS] = { WSTUNED_MESSAGE_PRESSURE_PORTS, LOG_WARNING },
        [EVENT_PRESSURE_FDS] = { WSTUNED_MESSAGE_PRESSURE_FDS, LOG_WARNING },
        [EVENT_CONNTRACK_DROPS] = { WSTUNED_MESSAGE_CONNTRACK_DROPS, LOG_ERR },
        [EVENT_BACKLOG_DROPS] = { WSTUNED_MESSAGE_BACKLOG_DROPS, LOG_ERR },
        [EVENT_CONNTRACK_GROWN] = { WSTUNED_MESSAGE_CONNTRACK_GROWN, LOG_NOTICE },
        [EVENT_CONNTRACK_GROWTH_FAILED] = { WSTUNED_MESSAGE_CONNTRACK_GROWTH_FAILED, LOG_ERR },
        [EVENT_STATE_NEWER] = { WSTUNED_MESSAGE_STATE_NEWER, LOG_ERR },
        [EVENT_FILE_SKIPPED] = { WSTUNED_MESSAGE_FILE_SKIPPED, LOG_INFO },
};

static LogTarget log_target = LOG_TARGET_JOURNAL;

void log_set_target(LogTarget t) {
        log_target = t;
}

LogTarget log_target_from_string(const char *s) {
        if (streq(s, "journal"))
                return LOG_TARGET_JOURNAL;
        if (streq(s, "stderr"))
                return LOG_TARGET_STDERR;
        return _LOG_TARGET_INVALID;
}

#define FIELDS_MAX 20

static void iov_add(struct iovec *iov, char **bufs, size_t *n, const char *fmt, ...) _printf_(4, 5);
static void iov_add(struct iovec *iov, char **bufs, size_t *n, const char *fmt, ...) {
        va_list ap;
        char *s;

        if (*n >= FIELDS_MAX)
                return;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        if (!s)
                return;
        bufs[*n] = s;
        iov[*n] = (struct iovec) { .iov_base = s, .iov_len = strlen(s) };
        (*n)++;
}

void log_event(LogEvent event, const EventFields *f, const char *fmt, ...) {
        const EventKind *kind = &event_table[event];
        int priority = f->priority > 0 ? f->priority : kind->priority;
        _cleanup_free_ char *message = NULL;
        struct iovec iov[FIELDS_MAX];
        char *bufs[FIELDS_MAX];
        size_t n = 0;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);
        if (!message)
                return;

        if (log_target == LOG_TARGET_STDERR) {
                fprintf(stderr, "<%d> %s [%s]\n", priority, message, kind->message_id);
                return;
        }
        if (log_target == LOG_TARGET_NULL)
                return;

        iov_add(iov, bufs, &n, "MESSAGE=%s", message);
        iov_add(iov, bufs, &n, "MESSAGE_ID=%s", kind->message_id);
        iov_add(iov, bufs, &n, "PRIORITY=%d", priority);
        iov_add(iov, bufs, &n, "SYSLOG_IDENTIFIER=%s", "wstuned");
        if (f->profile)
                iov_add(iov, bufs, &n, "WSTUNED_PROFILE=%s", f->profile);
        if (f->key)
                iov_add(iov, bufs, &n, "WSTUNED_KEY=%s", f->key);
        if (f->expected)
                iov_add(iov, bufs, &n, "WSTUNED_EXPECTED=%s", f->expected);
        if (f->actual)
                iov_add(iov, bufs, &n, "WSTUNED_ACTUAL=%s", f->actual);
        if (f->action)
                iov_add(iov, bufs, &n, "WSTUNED_ACTION=%s", f->action);
        if (f->delay_usec > 0)
                iov_add(iov, bufs, &n, "WSTUNED_DELAY_USEC=%llu", (unsigned long long) f->delay_usec);
        if (f->caller != (uid_t) -1)
                iov_add(iov, bufs, &n, "WSTUNED_CALLER_UID=%u", (unsigned) f->caller);
        if (f->error > 0)
                iov_add(iov, bufs, &n, "ERRNO=%d", f->error);
        if (f->resource)
                iov_add(iov, bufs, &n, "WSTUNED_RESOURCE=%s", f->resource);
        if (f->level)
                iov_add(iov, bufs, &n, "WSTUNED_LEVEL=%s", f->level);
        if (f->ratio)
                iov_add(iov, bufs, &n, "WSTUNED_RATIO=%s", f->ratio);
        if (f->counter)
                iov_add(iov, bufs, &n, "WSTUNED_COUNTER=%s", f->counter);
        if (f->delta > 0)
                iov_add(iov, bufs, &n, "WSTUNED_DELTA=%llu", (unsigned long long) f->delta);
        if (f->conflict_file)
                iov_add(iov, bufs, &n, "WSTUNED_CONFLICT_FILE=%s", f->conflict_file);
        if (f->conflict_line > 0)
                iov_add(iov, bufs, &n, "WSTUNED_CONFLICT_LINE=%u", f->conflict_line);

        (void) sd_journal_sendv(iov, (int) n);
        for (size_t i = 0; i < n; i++)
                free(bufs[i]);
}

void log_full(int priority, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&message, fmt, ap) < 0)
                message = NULL;
        va_end(ap);
        if (!message)
                return;

        if (log_target == LOG_TARGET_STDERR)
                fprintf(stderr, "<%d> %s\n", priority, message);
        else if (log_target == LOG_TARGET_JOURNAL)
                (void) sd_journal_send("MESSAGE=%s", message, "PRIORITY=%i", priority, "SYSLOG_IDENTIFIER=wstuned",
                                       NULL);
}
