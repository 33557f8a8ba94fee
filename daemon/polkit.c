/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* polkit.c - asynchronous polkit checks for privileged bus calls.
 *
 * Root goes ahead at once. Anyone else gets a CheckAuthorization call to polkit with the subject
 * ("system-bus-name", {"name": sender}) - a PID subject would be racy. The method handler returns
 * without replying; when polkit answers, the verdict is stored on an AuthQuery keyed by the original
 * message and that message is queued again with sd_bus_enqueue_for_read(), so the handler runs a
 * second time, finds the verdict and acts or refuses. When polkit is not on the bus, non-root callers
 * are refused. The number of queries in flight is capped.
 *
 * Who the caller is comes from the broker (GetConnectionCredentials), a synchronous round trip during
 * which the daemon serves nobody else. A connection's uid is fixed when it connects and the bus never
 * hands a unique name out twice, so the last few answers are kept (a small ring): a client that calls
 * again, and the second pass of a call after polkit answered, cost no round trip. */
#include "bus-errors.h"
#include "polkit.h"

struct AuthQuery {
        Manager *manager;
        sd_bus_message *call;
        sd_bus_slot *slot;
        int verdict; /* -EINPROGRESS while polkit thinks, then 1 = yes, 0 = no */
        char *reason;
        AuthQuery *next;
};

static void auth_query_free(AuthQuery *q) {
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->call);
        free(q->reason);
        free(q);
}

static void auth_query_unlink(Manager *m, AuthQuery *q) {
        for (AuthQuery **i = &m->auth_queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        m->n_auth_queries--;
                        return;
                }
}

void auth_queries_free(Manager *m) {
        while (m->auth_queries) {
                AuthQuery *q = m->auth_queries;
                m->auth_queries = q->next;
                auth_query_free(q);
        }
        m->n_auth_queries = 0;
        for (size_t i = 0; i < CALLER_UIDS_MAX; i++)
                m->caller_uids[i].sender = mfree(m->caller_uids[i].sender);
}

static int polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        AuthQuery *q = userdata;
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                q->verdict = 0;
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
        const char *sender;
        uid_t uid;
        int r;

        r = bus_caller_uid(m, call, &uid);
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot identify the caller: %s", strerror(-r));
        *ret_uid = uid;
        if (uid == 0)
                return 1;

        for (AuthQuery *q = m->auth_queries; q; q = q->next) {
                if (q->call != call)
                        continue;
                if (q->verdict == -EINPROGRESS)
                        return 0;
                auth_query_unlink(m, q);
                int verdict = q->verdict;
                if (!verdict)
                        r = sd_bus_error_setf(error, WSTUNED_ERROR_ACCESS_DENIED,
                                              "Access denied: %s needs root or polkit authorization for %s%s%s",
                                              sd_bus_message_get_member(call), WSTUNED_POLKIT_ACTION_MANAGE,
                                              q->reason ? "; " : "", strempty(q->reason));
                auth_query_free(q);
                return verdict ? 1 : r;
        }

        if (m->n_auth_queries >= AUTH_QUERIES_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "too many authorization requests in flight (%u)", AUTH_QUERIES_MAX);

        sender = sd_bus_message_get_sender(call);
        if (!sender)
                return sd_bus_error_set(error, WSTUNED_ERROR_ACCESS_DENIED, "Access denied: caller has no bus name");

        r = sd_bus_message_new_method_call(sd_bus_message_get_bus(call), &pk, "org.freedesktop.PolicyKit1",
                                           "/org/freedesktop/PolicyKit1/Authority",
                                           "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(pk, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          WSTUNED_POLKIT_ACTION_MANAGE, 0,
                                          sd_bus_message_get_allow_interactive_authorization(call) ? 1u : 0u, "");
        if (r < 0)
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit: %s", strerror(-r));

        AuthQuery *q = calloc(1, sizeof(AuthQuery));
        if (!q)
                return -ENOMEM;
        *q = (AuthQuery) { .manager = m, .call = sd_bus_message_ref(call), .verdict = -EINPROGRESS };
        r = sd_bus_call_async(sd_bus_message_get_bus(call), &q->slot, pk, polkit_reply, q, 0);
        if (r < 0) {
                auth_query_free(q);
                return sd_bus_error_set_errnof(error, r, "cannot ask polkit: %s", strerror(-r));
        }
        q->next = m->auth_queries;
        m->auth_queries = q;
        m->n_auth_queries++;
        return 0;
}
