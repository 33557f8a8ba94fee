/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit.c - asynchronous polkit checks for privileged bus calls.
 *
 * Root goes ahead at once. Anyone else gets a CheckAuthorization call to polkit with the subject
 * ("system-bus-name", {"name": sender}) - a PID subject would be racy. The method handler returns
 * without replying; when polkit answers, the verdict is stored on an AuthQuery keyed by the original
 * message and that message is queued again with sd_bus_enqueue_for_read(), so the handler runs a
 * second time, finds the verdict and acts or refuses. When polkit is not on the bus, non-root callers
 * are refused.
 *
 * Polkit may hold a check as long as it likes (an authentication dialog nobody answers), so the checks
 * in flight are capped twice: AUTH_QUERIES_PER_UID_MAX per caller uid, so that one user whose checks
 * polkit holds locks out only himself, and AUTH_QUERIES_MAX in all, a memory bound that takes several
 * users to reach. A caller over either cap gets LimitsExceeded at once.
 *
 * A check is dropped when its caller leaves the bus: nobody is left to answer, and it would keep its
 * place under the caps. Every check carries its own cancellation id; dropping it calls polkit's
 * CancelCheckAuthorization with that id (polkit then closes the dialog) and releases the reply slot,
 * so polkit's late answer finds no callback. Polkit answers most checks within milliseconds, so a
 * caller is watched only once its check has waited AUTH_WATCH_DELAY_USEC (one timer for all checks):
 * then a match on NameOwnerChanged for its unique name, and a GetNameOwner sent behind the AddMatch,
 * which the broker handles in order, catches a caller that left before the match was in place. At
 * exit every check still in flight is cancelled and its caller told so.
 *
 * Who the caller is comes from the broker (GetConnectionCredentials), a synchronous round trip during
 * which the daemon serves nobody else. A connection's uid is fixed when it connects and the bus never
 * hands a unique name out twice, so the last few answers are kept (a small ring): a client that calls
 * again, and the second pass of a call after polkit answered, cost no round trip. */
#include <inttypes.h>
#include <stdio.h>

#include "bus-errors.h"
#include "polkit.h"

#define POLKIT_SERVICE "org.freedesktop.PolicyKit1"
#define POLKIT_PATH "/org/freedesktop/PolicyKit1/Authority"
#define POLKIT_INTERFACE "org.freedesktop.PolicyKit1.Authority"
#define AUTH_WATCH_DELAY_USEC (1000u * 1000u)
#define AUTH_WATCH_ACCURACY_USEC (100u * 1000u)

_Static_assert(AUTH_QUERIES_PER_UID_MAX * 8 <= AUTH_QUERIES_MAX, "one uid must not fill the global cap");

struct AuthQuery {
        Manager *manager;
        sd_bus_message *call;
        sd_bus_slot *slot;       /* CheckAuthorization, until polkit answers */
        sd_bus_slot *gone_slot;  /* the match on the caller's NameOwnerChanged, once watched */
        sd_bus_slot *owner_slot; /* GetNameOwner of the caller, sent behind the AddMatch */
        uid_t uid;
        uint64_t since; /* CLOCK_MONOTONIC µs when the check was sent */
        bool watched;
        char cancel_id[32];
        int verdict; /* -EINPROGRESS while polkit thinks, then 1 = yes, 0 = no */
        char *reason;
        AuthQuery *next;
};

static void auth_query_free(AuthQuery *q) {
        if (!q)
                return;
        sd_bus_slot_unref(q->slot);
        sd_bus_slot_unref(q->gone_slot);
        sd_bus_slot_unref(q->owner_slot);
        sd_bus_message_unref(q->call);
        free(q->reason);
        free(q);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(AuthQuery *, auth_query_free);

static void auth_query_unlink(Manager *m, AuthQuery *q) {
        for (AuthQuery **i = &m->auth_queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        m->n_auth_queries--;
                        return;
                }
}

/* Tell polkit to stop the check (and close its dialog). Nothing waits for the answer, and a polkit that is
 * not running holds no check, so the call does not start one. */
static void polkit_cancel(AuthQuery *q) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *cancel = NULL;
        int r;

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(q->call), &cancel, POLKIT_SERVICE,
                                           POLKIT_PATH, POLKIT_INTERFACE, "CancelCheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(cancel, "s", q->cancel_id);
        if (r >= 0)
                r = sd_bus_message_set_expect_reply(cancel, false);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(cancel, false);
        if (r >= 0)
                (void) sd_bus_send(NULL, cancel, NULL);
}

/* The caller left the bus: cancel its check and forget it (freeing the slot drops polkit's late answer).
 * A check polkit has answered already is left alone: its call is queued for its second pass, which must
 * find it. */
static void auth_query_abandon(AuthQuery *q) {
        if (q->verdict != -EINPROGRESS)
                return;
        polkit_cancel(q);
        auth_query_unlink(q->manager, q);
        auth_query_free(q);
}

void auth_queries_free(Manager *m) {
        while (m->auth_queries) {
                AuthQuery *q = m->auth_queries;
                m->auth_queries = q->next;
                if (q->verdict == -EINPROGRESS)
                        polkit_cancel(q);
                (void) sd_bus_reply_method_errorf(q->call, SD_BUS_ERROR_FAILED,
                                                  "wstuned is stopping; %s was not carried out",
                                                  sd_bus_message_get_member(q->call));
                auth_query_free(q);
        }
        m->n_auth_queries = 0;
        m->auth_watch_source = sd_event_source_disable_unref(m->auth_watch_source);
        for (size_t i = 0; i < CALLER_UIDS_MAX; i++)
                m->caller_uids[i].sender = mfree(m->caller_uids[i].sender);
}

static int auth_queries_on_exit(sd_event_source *s, void *userdata) {
        auth_queries_free(userdata);
        return 0;
}

int auth_queries_attach_event(Manager *m) {
        _cleanup_(sd_event_source_unrefp) sd_event_source *s = NULL;
        int r;

        /* Exit sources run by priority: this one before sd-bus's, which flushes and closes the bus. */
        r = sd_event_add_exit(m->event, &s, auth_queries_on_exit, m);
        if (r >= 0)
                r = sd_event_source_set_priority(s, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_event_source_set_floating(s, true);
        return r;
}

static int caller_gone(sd_bus_message *signal, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;

        if (sd_bus_message_read(signal, "sss", &name, &old_owner, &new_owner) < 0 || new_owner[0])
                return 0;
        auth_query_abandon(userdata);
        return 0;
}

static int caller_owner(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;

        q->owner_slot = sd_bus_slot_unref(q->owner_slot);
        if (sd_bus_error_has_name(sd_bus_message_get_error(reply), SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                auth_query_abandon(q);
        return 0;
}

/* Without this, sd-bus closes the connection when the broker refuses the match (too many of them). The
 * check then goes on unwatched. */
static int caller_watch_installed(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        return 0;
}

static void auth_query_watch(AuthQuery *q) {
        sd_bus *bus = sd_bus_message_get_bus(q->call);
        const char *sender = sd_bus_message_get_sender(q->call);
        _cleanup_free_ char *match = NULL;

        q->watched = true;
        if (asprintf(&match,
                     "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                     "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'",
                     sender) < 0)
                return;
        if (sd_bus_add_match_async(bus, &q->gone_slot, match, caller_gone, caller_watch_installed, q) < 0)
                return;
        (void) sd_bus_call_method_async(bus, &q->owner_slot, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "GetNameOwner", caller_owner, q, "s", sender);
}

/* Watch the callers of the checks that waited long enough; sleep until the next one has. */
static int auth_watch_due(sd_event_source *s, uint64_t now, void *userdata) {
        Manager *m = userdata;
        uint64_t next = UINT64_MAX;

        for (AuthQuery *q = m->auth_queries; q; q = q->next) {
                if (q->watched || q->verdict != -EINPROGRESS)
                        continue;
                if (q->since + AUTH_WATCH_DELAY_USEC <= now)
                        auth_query_watch(q);
                else
                        next = MIN(next, q->since + AUTH_WATCH_DELAY_USEC);
        }
        if (next != UINT64_MAX && sd_event_source_set_time(s, next) >= 0)
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* Queries are made in time order, so an armed timer is due no later than the new one. */
static void auth_watch_schedule(Manager *m, AuthQuery *q) {
        int enabled = SD_EVENT_OFF;

        if (!m->event) {
                auth_query_watch(q);
                return;
        }
        if (!m->auth_watch_source) {
                if (sd_event_add_time(m->event, &m->auth_watch_source, CLOCK_MONOTONIC,
                                      q->since + AUTH_WATCH_DELAY_USEC, AUTH_WATCH_ACCURACY_USEC,
                                      auth_watch_due, m) < 0) {
                        auth_query_watch(q);
                        return;
                }
                (void) sd_event_source_set_enabled(m->auth_watch_source, SD_EVENT_ONESHOT);
                return;
        }
        (void) sd_event_source_get_enabled(m->auth_watch_source, &enabled);
        if (enabled != SD_EVENT_OFF)
                return;
        if (sd_event_source_set_time(m->auth_watch_source, q->since + AUTH_WATCH_DELAY_USEC) < 0 ||
            sd_event_source_set_enabled(m->auth_watch_source, SD_EVENT_ONESHOT) < 0)
                auth_query_watch(q);
}

static int polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        /* Answered: whether the caller is still there no longer matters. */
        q->gone_slot = sd_bus_slot_unref(q->gone_slot);
        q->owner_slot = sd_bus_slot_unref(q->owner_slot);

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                q->verdict = 0;
                /* sd-bus gave up waiting (its method call timeout), polkit may still be asking. */
                if (sd_bus_error_has_name(e, SD_BUS_ERROR_NO_REPLY))
                        polkit_cancel(q);
                if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER))
                        q->reason = strdup("polkit is not available, so only root may do this");
                else if (asprintf(&q->reason, "polkit check failed: %s", e->message ?: e->name) < 0)
                        q->reason = NULL;
        } else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                q->verdict = r >= 0 && authorized;
                if (r < 0 && asprintf(&q->reason, "unexpected answer from polkit: %s", strerror(-r)) < 0)
                        q->reason = NULL;
        }

        /* Run the original call again; its handler now finds the verdict. */
        r = sd_bus_message_rewind(q->call, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->call), q->call);
        if (r < 0) {
                Manager *m = q->manager;
                (void) sd_bus_reply_method_errorf(q->call, SD_BUS_ERROR_FAILED, "cannot process call: %s",
                                                  strerror(-r));
                auth_query_unlink(m, q);
                auth_query_free(q);
        }
        return 0;
}

int bus_caller_uid(Manager *m, sd_bus_message *call, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(call);
        uid_t uid;
        int r;

        /* Only unique names (":1.42"): a well-known name can move to another connection. */
        bool unique = sender && sender[0] == ':';
        for (size_t i = 0; unique && i < CALLER_UIDS_MAX; i++)
                if (streq_ptr(m->caller_uids[i].sender, sender)) {
                        *ret = m->caller_uids[i].uid;
                        return 0;
                }

        r = sd_bus_query_sender_creds(call, SD_BUS_CREDS_EUID | SD_BUS_CREDS_AUGMENT, &creds);
        if (r < 0)
                return r;
        r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (unique) {
                char *copy = strdup(sender);
                if (copy) {
                        unsigned i = m->caller_uids_next++ % CALLER_UIDS_MAX;
                        free(m->caller_uids[i].sender);
                        m->caller_uids[i].sender = copy;
                        m->caller_uids[i].uid = uid;
                }
        }
        *ret = uid;
        return 0;
}

int bus_verify_manage(Manager *m, sd_bus_message *call, uid_t *ret_uid, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *pk = NULL;
        _cleanup_(auth_query_freep) AuthQuery *q = NULL;
        unsigned n_uid = 0;
        const char *sender;
        uid_t uid;
        int r;

        r = bus_caller_uid(m, call, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot identify the caller: %s", strerror(-r));
        *ret_uid = uid;
        if (uid == 0)
                return 1;

        for (AuthQuery *i = m->auth_queries; i; i = i->next) {
                if (i->call != call) {
                        n_uid += i->uid == uid;
                        continue;
                }
                if (i->verdict == -EINPROGRESS)
                        return 0;
                auth_query_unlink(m, i);
                int verdict = i->verdict;
                if (!verdict)
                        r = sd_bus_error_setf(error, WSTUNED_ERROR_ACCESS_DENIED,
                                              "Access denied: %s needs root or polkit authorization for %s%s%s",
                                              sd_bus_message_get_member(call), WSTUNED_POLKIT_ACTION_MANAGE,
                                              i->reason ? "; " : "", strempty(i->reason));
                auth_query_free(i);
                return verdict ? 1 : r;
        }

        sender = sd_bus_message_get_sender(call);
        if (!sender)
                return sd_bus_error_set(error, WSTUNED_ERROR_ACCESS_DENIED, "Access denied: caller has no bus name");

        if (n_uid >= AUTH_QUERIES_PER_UID_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "too many authorization requests in flight for this caller's user "
                                         "(uid %u, at most %u): polkit has not answered its earlier ones",
                                         (unsigned) uid, AUTH_QUERIES_PER_UID_MAX);
        if (m->n_auth_queries >= AUTH_QUERIES_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "too many authorization requests in flight (%u)", AUTH_QUERIES_MAX);

        q = calloc(1, sizeof(AuthQuery));
        if (!q)
                return -ENOMEM;
        *q = (AuthQuery) {
                .manager = m,
                .call = sd_bus_message_ref(call),
                .uid = uid,
                .since = now_usec(),
                .verdict = -EINPROGRESS,
        };
        /* Unique among our checks in flight, as polkit wants it, and never used twice. */
        (void) snprintf(q->cancel_id, sizeof q->cancel_id, "wstuned-%" PRIu64, ++m->auth_serial);

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(call), &pk, POLKIT_SERVICE, POLKIT_PATH,
                                           POLKIT_INTERFACE, "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          WSTUNED_POLKIT_ACTION_MANAGE, 0,
                                          sd_bus_message_get_allow_interactive_authorization(call) ? 1u : 0u,
                                          q->cancel_id);
        if (r >= 0)
                r = sd_bus_call_async(sd_bus_message_get_bus(call), &q->slot, pk, polkit_reply, q, 0);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit: %s", strerror(-r));

        AuthQuery *added = TAKE_PTR(q);
        added->next = m->auth_queries;
        m->auth_queries = added;
        m->n_auth_queries++;
        auth_watch_schedule(m, added);
        return 0;
}
