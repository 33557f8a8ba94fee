/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit-stub.c - a stand-in for polkitd on the sandbox's bus, for test-polkit-limits.sh. The real polkitd
 * cannot keep a check open without an authentication agent; this one owns org.freedesktop.PolicyKit1 and
 * answers CheckAuthorization by the uid of the subject's bus name:
 *
 *   --hold=UID       never: the check stays open until cancelled, like a dialog nobody answers;
 *   --allow=UID      authorized, --delay-ms=MS later (default 300);
 *   anyone else      not authorized, at once.
 *
 * CancelCheckAuthorization ends a held check with polkit's Cancelled error. As in polkitd, a cancellation
 * id may be used by only one check in flight per caller. Every event is a line in --log=FILE, written at
 * once:
 *
 *   check uid=UID id=CANCELLATION_ID subject=NAME held|allowed|denied|duplicate
 *   cancel id=CANCELLATION_ID held|unknown
 *
 * Runs until SIGTERM or SIGINT. The bus is the system bus (DBUS_SYSTEM_BUS_ADDRESS); the bus policy must
 * let it own the name. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "util/util.h"

#define HELD_MAX 1024u
#define UID_UNSET ((uid_t) -1)
#define ERROR_CANCELLED "org.freedesktop.PolicyKit1.Error.Cancelled"
#define ERROR_NOT_UNIQUE "org.freedesktop.PolicyKit1.Error.CancellationIdNotUnique"
#define ERROR_FAILED "org.freedesktop.PolicyKit1.Error.Failed"

typedef struct Held {
        sd_bus_message *call;
        char *caller; /* who asked: the mechanism's unique name */
        char *id;
} Held;

static Held held[HELD_MAX];
static size_t n_held;
static FILE *log_file;
static uid_t arg_hold = UID_UNSET, arg_allow = UID_UNSET;
static uint64_t arg_delay_usec = 300 * 1000;
static sd_event *event;

static void held_drop(size_t i) {
        sd_bus_message_unref(held[i].call);
        free(held[i].caller);
        free(held[i].id);
        held[i] = held[--n_held];
}

static int reply_authorized(sd_bus_message *call, bool authorized) {
        return sd_bus_reply_method_return(call, "(bba{ss})", authorized, false, 0);
}

static int allow_later(sd_event_source *s, uint64_t usec, void *userdata) {
        (void) reply_authorized(userdata, true);
        return 0;
}

static void message_unref(void *p) {
        sd_bus_message_unref(p);
}

/* The uid of the subject's unique name, as polkitd finds it: from the broker. */
static int subject_uid(sd_bus *bus, const char *name, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r;

        r = sd_bus_get_name_creds(bus, name, SD_BUS_CREDS_EUID | SD_BUS_CREDS_UID, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, ret);
        if (r < 0)
                r = sd_bus_creds_get_uid(creds, ret);
        return r;
}

/* The "name" of a ("system-bus-name", {"name": <s>}) subject. */
static int read_subject(sd_bus_message *m, const char **ret_name) {
        const char *kind, *key, *name = NULL;
        int r;

        r = sd_bus_message_enter_container(m, 'r', "sa{sv}");
        if (r >= 0)
                r = sd_bus_message_read(m, "s", &kind);
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read(m, "s", &key);
                if (r >= 0 && streq(key, "name"))
                        r = sd_bus_message_read(m, "v", "s", &name);
                else if (r >= 0)
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        if (!streq(kind, "system-bus-name") || !name)
                return -EINVAL;
        *ret_name = name;
        return 0;
}

static void log_check(uid_t uid, const char *id, const char *subject, const char *verdict) {
        fprintf(log_file, "check uid=%u id=%s subject=%s %s\n", (unsigned) uid, id, subject, verdict);
}

static int method_check(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *subject, *action, *id, *caller = sd_bus_message_get_sender(m);
        uint32_t flags;
        uid_t uid;
        int r;

        r = read_subject(m, &subject);
        if (r < 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "expected a system-bus-name subject");
        r = sd_bus_message_read(m, "s", &action);
        if (r >= 0)
                r = sd_bus_message_skip(m, "a{ss}");
        if (r >= 0)
                r = sd_bus_message_read(m, "us", &flags, &id);
        if (r < 0)
                return r;
        r = subject_uid(sd_bus_message_get_bus(m), subject, &uid);
        if (r < 0)
                return sd_bus_error_setf(error, ERROR_FAILED, "cannot find the uid of %s: %s", subject,
                                         strerror(-r));

        if (id[0])
                for (size_t i = 0; i < n_held; i++)
                        if (streq(held[i].id, id) && streq_ptr(held[i].caller, caller)) {
                                log_check(uid, id, subject, "duplicate");
                                return sd_bus_error_setf(error, ERROR_NOT_UNIQUE,
                                                         "cancellation id %s is already in use", id);
                        }

        if (uid == arg_hold) {
                if (n_held >= HELD_MAX)
                        return sd_bus_error_set(error, ERROR_FAILED, "the stub holds too many checks");
                held[n_held] = (Held) { .call = sd_bus_message_ref(m), .caller = strdup(caller ?: ""),
                                        .id = strdup(id) };
                if (!held[n_held].caller || !held[n_held].id)
                        return -ENOMEM;
                n_held++;
                log_check(uid, id, subject, "held");
                return 1;
        }
        if (uid == arg_allow) {
                sd_event_source *s = NULL;
                r = sd_event_add_time_relative(event, &s, CLOCK_MONOTONIC, arg_delay_usec, 0, allow_later,
                                               sd_bus_message_ref(m));
                if (r < 0) {
                        sd_bus_message_unref(m);
                        return r;
                }
                (void) sd_event_source_set_destroy_callback(s, message_unref);
                (void) sd_event_source_set_floating(s, true);
                sd_event_source_unref(s);
                log_check(uid, id, subject, "allowed");
                return 1;
        }
        log_check(uid, id, subject, "denied");
        return reply_authorized(m, false);
}

static int method_cancel(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *id, *caller = sd_bus_message_get_sender(m);
        int r;

        r = sd_bus_message_read(m, "s", &id);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_held; i++)
                if (streq(held[i].id, id) && streq_ptr(held[i].caller, caller)) {
                        fprintf(log_file, "cancel id=%s held\n", id);
                        (void) sd_bus_reply_method_errorf(held[i].call, ERROR_CANCELLED,
                                                          "The authentication was cancelled");
                        held_drop(i);
                        return sd_bus_reply_method_return(m, NULL);
                }
        fprintf(log_file, "cancel id=%s unknown\n", id);
        return sd_bus_error_setf(error, ERROR_FAILED, "no check with cancellation id %s", id);
}

static const sd_bus_vtable authority_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD("CheckAuthorization", "(sa{sv})sa{ss}us", "(bba{ss})", method_check,
                      SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("CancelCheckAuthorization", "s", "", method_cancel, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

static int parse_uid(const char *s, uid_t *ret) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || end == s || *end || v >= UID_UNSET)
                return -EINVAL;
        *ret = (uid_t) v;
        return 0;
}

static int parse_argv(int argc, char *argv[], const char **ret_log) {
        static const struct option options[] = {
                { "hold", required_argument, NULL, 'H' },
                { "allow", required_argument, NULL, 'A' },
                { "delay-ms", required_argument, NULL, 'd' },
                { "log", required_argument, NULL, 'l' },
                {},
        };
        char *end;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                switch (c) {
                case 'H':
                        if (parse_uid(optarg, &arg_hold) < 0)
                                return -EINVAL;
                        break;
                case 'A':
                        if (parse_uid(optarg, &arg_allow) < 0)
                                return -EINVAL;
                        break;
                case 'd':
                        errno = 0;
                        arg_delay_usec = strtoull(optarg, &end, 10) * 1000;
                        if (errno || end == optarg || *end)
                                return -EINVAL;
                        break;
                case 'l':
                        *ret_log = optarg;
                        break;
                default:
                        return -EINVAL;
                }
        return optind == argc && *ret_log ? 0 : -EINVAL;
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const char *log_path = NULL;
        sigset_t mask;
        int r;

        if (parse_argv(argc, argv, &log_path) < 0) {
                fprintf(stderr, "Usage: polkit-stub --log=FILE [--hold=UID] [--allow=UID] [--delay-ms=MS]\n");
                return 2;
        }
        log_file = fopen(log_path, "ae");
        if (!log_file) {
                fprintf(stderr, "polkit-stub: cannot open %s: %m\n", log_path);
                return 1;
        }
        setvbuf(log_file, NULL, _IOLBF, 0);

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        r = sd_event_default(&event);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
        if (r >= 0)
                r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
        if (r >= 0)
                r = sd_bus_open_system(&bus);
        if (r >= 0)
                r = sd_bus_add_object_vtable(bus, NULL, "/org/freedesktop/PolicyKit1/Authority",
                                             "org.freedesktop.PolicyKit1.Authority", authority_vtable, NULL);
        if (r >= 0)
                r = sd_bus_request_name(bus, "org.freedesktop.PolicyKit1", 0);
        if (r >= 0)
                r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_loop(event);
        if (r < 0)
                fprintf(stderr, "polkit-stub: %s\n", strerror(-r));

        while (n_held > 0)
                held_drop(n_held - 1);
        if (bus)
                (void) sd_bus_detach_event(bus);
        event = sd_event_unref(event);
        fclose(log_file);
        return r < 0 ? 1 : 0;
}
