/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-manager.c - the D-Bus vtable and its handlers. Handlers only translate between the bus and the
 * manager: validate arguments, authorize, call the manager, reply, publish property changes. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "bus-errors.h"
#include "bus-manager.h"
#include "plan.h"
#include "polkit.h"
#include "service.h"
#include "version.h"
#include "watch.h"

#define APPLY_FLAG_DRY_RUN UINT64_C(1)
#define APPLY_FLAGS_ALL APPLY_FLAG_DRY_RUN
#define PLAN_OPTIONS_MAX 64u /* entries in Plan's options: 7 names, each may come more than once */

/* sd-bus refuses text that is not UTF-8 or holds a noncharacter, and a reply or an error it cannot build is
 * never sent: the caller waits for its timeout, or gets a bare "Invalid argument". Text from files and the
 * kernel (values, descriptions, key names, paths, and the manager's messages that quote them) goes on the bus
 * through bus_text(), which writes such bytes as \xNN; *copy is what the caller frees. */
static const char *bus_text(const char *s, char **copy) {
        if (!s || bus_string_is_valid(s))
                return s;
        *copy = utf8_escape_invalid(s);
        return *copy ?: "";
}

static int error_set(sd_bus_error *error, const char *name, const char *message) {
        _cleanup_free_ char *copy = NULL;
        return sd_bus_error_set(error, name, bus_text(message, &copy));
}

static int error_setf(sd_bus_error *error, const char *name, const char *fmt, ...) _printf_(3, 4);
static int error_setf(sd_bus_error *error, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *message = NULL;
        va_list ap;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&message, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        return error_set(error, name, message);
}

/* The sender of a call, looked up only when a row holds values that only root may see. */
typedef struct BusCaller {
        Manager *manager;
        sd_bus_message *call;
} BusCaller;

static int bus_caller_lookup(void *userdata, uid_t *ret_uid) {
        BusCaller *c = userdata;
        return bus_caller_uid(c->manager, c->call, ret_uid);
}

#define BUS_CALLER(bc) ((Caller) { .root = -1, .lookup = bus_caller_lookup, .userdata = &(bc) })

/* The rows of report; a secret row goes to a caller other than root without its values, and with
 * hidden_state (when not NULL) as its last column. */
static int append_report(sd_bus_message *reply, const Report *report, Caller *caller, const char *hidden_state) {
        int r = sd_bus_message_open_container(reply, 'a', "(ssss)");
        if (r < 0)
                return r;
        for (size_t i = 0; i < report->n; i++) {
                char *const *c = report->rows[i].col;
                char *copy[4] = {};
                bool hide = report->rows[i].secret && !caller_is_root(caller);
                r = sd_bus_message_append(reply, "(ssss)", bus_text(c[0], &copy[0]),
                                          hide ? "" : bus_text(c[1], &copy[1]), hide ? "" : bus_text(c[2], &copy[2]),
                                          hide && hidden_state ? hidden_state : bus_text(c[3], &copy[3]));
                for (size_t j = 0; j < ELEMENTSOF(copy); j++)
                        free(copy[j]);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static int reply_report(sd_bus_message *call, const Report *report, Caller *caller, const char *hidden_state) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r = sd_bus_message_new_method_return(call, &reply);
        if (r < 0)
                return r;
        r = append_report(reply, report, caller, hidden_state);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Map a manager error to a named bus error. */
static int bus_error_from_manager(sd_bus_error *error, int r, const char *message) {
        _cleanup_free_ char *copy = NULL;
        const char *msg = bus_text(message ?: strerror(-r), &copy);

        switch (r) {
        case -EINVAL:
        case -EFBIG:
        case -E2BIG:
                return sd_bus_error_set(error, WSTUNED_ERROR_INVALID_PROFILE, msg);
        case -ENOENT:
                return sd_bus_error_set(error, WSTUNED_ERROR_NO_SUCH_PROFILE, msg);
        case -EPROTONOSUPPORT:
                return sd_bus_error_set(error, WSTUNED_ERROR_NEWER_STATE, msg);
        default:
                return sd_bus_error_set_errnof(error, r, "%s", msg);
        }
}

static int method_get(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *message = NULL;
        _cleanup_(report_done) Report entries = {};
        const char *keys[MANAGER_GET_KEYS_MAX + 1];
        size_t n = 0;
        int r;

        /* The keys stay in the message, and reading stops past the cap: sd_bus_message_read_strv() copies
         * every string of the array first, quadratic in their number (100,000 keys held the daemon 1.3 s,
         * a million longer than a caller's timeout) and leaving the heap grown. */
        r = sd_bus_message_enter_container(call, 'a', "s");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;
                r = sd_bus_message_read_basic(call, 's', &key);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                if (n == MANAGER_GET_KEYS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "too many keys: at most %u",
                                                 MANAGER_GET_KEYS_MAX);
                keys[n++] = key;
        }
        keys[n] = NULL;
        r = sd_bus_message_exit_container(call);
        if (r < 0)
                return r;

        BusCaller bc = { m, call };
        Caller caller = BUS_CALLER(bc);
        r = manager_get(m, (char *const *) keys, &caller, &entries, &message);
        if (r == -EINVAL || r == -E2BIG)
                return error_set(error, SD_BUS_ERROR_INVALID_ARGS, message);
        if (r == -ENOENT)
                return error_set(error, WSTUNED_ERROR_NO_SUCH_KEY, message);
        if (r < 0)
                return r;
        r = reply_report(call, &entries, &caller, "denied");
        bus_manager_publish(m); /* Get reads the keys, their states may have moved */
        return r;
}

static int method_apply(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_free_ char *message = NULL;
        _cleanup_(report_done) Report changes = {};
        const char *name;
        uint64_t flags;
        char shown[QUOTED_MAX];
        uid_t uid;
        int r;

        r = sd_bus_message_read(call, "st", &name, &flags);
        if (r < 0)
                return r;
        if (name[0] && !profile_name_is_valid(name))
                return error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                  "invalid profile name \"%s\": use 1-%u of A-Z a-z 0-9 _ . -",
                                  utf8_quote(name, shown, sizeof shown), PROFILE_NAME_MAX);
        if (flags & ~APPLY_FLAGS_ALL)
                return error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "unknown flags 0x%" PRIx64,
                                         flags & ~APPLY_FLAGS_ALL);
        if (!name[0] && !m->profile)
                return error_set(error, WSTUNED_ERROR_NO_SUCH_PROFILE, "no active profile; name one");

        r = bus_verify_manage(m, call, &uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = manager_apply(m, name, flags & APPLY_FLAG_DRY_RUN, uid, &changes, &message);
        if (r < 0)
                return bus_error_from_manager(error, r, message);
        (void) watch_files(m);
        Caller caller = { .root = uid == 0 };
        r = reply_report(call, &changes, &caller, NULL);
        bus_manager_publish(m);
        return r;
}

static int method_verify(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(report_done) Report findings = {};
        int r;

        BusCaller bc = { m, call };
        Caller caller = BUS_CALLER(bc);
        bool ok = manager_verify(m, &caller, &findings);
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "b", ok);
        if (r >= 0)
                r = append_report(reply, &findings, &caller, NULL);
        if (r < 0)
                return r;
        r = sd_bus_send(NULL, reply, NULL);
        bus_manager_publish(m);
        return r;
}

static int method_list_profiles(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        ProfileInfo *infos = NULL;
        size_t n = 0;
        int r;

        r = profile_list((const char *const *) m->paths.profile_dirs, &infos, &n);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                char *copy[3] = {};
                r = sd_bus_message_append(reply, "(sss)", bus_text(infos[i].name, &copy[0]),
                                          bus_text(infos[i].description, &copy[1]), bus_text(infos[i].path, &copy[2]));
                for (size_t j = 0; j < ELEMENTSOF(copy); j++)
                        free(copy[j]);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        profile_info_free_many(infos, n);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Plan's options: each a{sv} entry names a PlanOptions field and must carry the field's type. */
static int read_plan_option(sd_bus_message *call, PlanOptions *o, sd_bus_error *error) {
        static const struct {
                const char *name;
                size_t offset;
        } doubles[] = {
                { "nat_entries", offsetof(PlanOptions, nat_entries) },
                { "utilization", offsetof(PlanOptions, utilization) },
                { "ramp", offsetof(PlanOptions, ramp) },
                { "burst", offsetof(PlanOptions, burst) },
                { "connection_lifetime", offsetof(PlanOptions, connection_lifetime) },
                { "time_wait", offsetof(PlanOptions, time_wait) },
        };
        const char *name, *contents;
        char type, shown[QUOTED_MAX];
        int r;

        r = sd_bus_message_read(call, "s", &name);
        if (r < 0)
                return r;
        r = sd_bus_message_peek_type(call, &type, &contents);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(doubles); i++) {
                if (!streq(name, doubles[i].name))
                        continue;
                if (!streq(contents, "d"))
                        return error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "option %s must be a double (d), not %s",
                                                 name, contents);
                return sd_bus_message_read(call, "v", "d", (double *) ((char *) o + doubles[i].offset));
        }
        if (streq(name, "fd_overhead")) {
                uint32_t v;
                if (!streq(contents, "u"))
                        return error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "option fd_overhead must be an unsigned integer (u), not %s", contents);
                r = sd_bus_message_read(call, "v", "u", &v);
                o->fd_overhead = v;
                return r;
        }
        return error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "unknown option \"%s\"", utf8_quote(name, shown, sizeof shown));
}

static int append_plan(sd_bus_message *reply, const Plan *plan) {
        int r = sd_bus_message_append(reply, "s", plan->profile_json);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(reply, 'a', "(sssds)");
        for (size_t i = 0; r >= 0 && i < plan->n_items; i++) {
                const PlanItem *it = &plan->items[i];
                r = sd_bus_message_append(reply, "(sssds)", it->key, it->value, it->formula, it->use, strempty(it->note));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_append_strv(reply, plan->warnings);
        return r;
}

static int method_plan(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_free_ char *message = NULL;
        _cleanup_(plan_machine_done) PlanMachine machine = {};
        _cleanup_(plan_done) Plan plan = {};
        const char *role;
        char shown[QUOTED_MAX];
        uint32_t connections;
        PlanOptions o;
        PlanRole rl;
        int r;

        r = sd_bus_message_read(call, "us", &connections, &role);
        if (r < 0)
                return r;
        rl = plan_role_from_string(role);
        if (rl < 0)
                return error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "role \"%s\" is not \"server\" or \"client\"",
                                  utf8_quote(role, shown, sizeof shown));
        plan_options_init(&o, rl);
        o.connections = connections;
        r = sd_bus_message_enter_container(call, 'a', "{sv}");
        if (r < 0)
                return r;
        for (size_t n = 0; (r = sd_bus_message_enter_container(call, 'e', "sv")) > 0; n++) {
                if (n == PLAN_OPTIONS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "too many options: at most %u",
                                                 PLAN_OPTIONS_MAX);
                r = read_plan_option(call, &o, error);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(call);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(call);
        if (r < 0)
                return r;

        plan_machine_read(m->paths.kernel_root, &machine);
        r = plan_compute(&o, &machine, &plan, &message);
        if (r == -EINVAL)
                return error_set(error, SD_BUS_ERROR_INVALID_ARGS, message);
        if (r < 0)
                return r;
        r = sd_bus_message_new_method_return(call, &reply);
        if (r >= 0)
                r = append_plan(reply, &plan);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Revert and Reload: authorize, run the manager operation, reply with its changes. */
static int method_privileged(sd_bus_message *call, Manager *m, sd_bus_error *error,
                             int (*operation)(Manager *m, uid_t caller, Report *changes, char **ret_error)) {
        _cleanup_free_ char *message = NULL;
        _cleanup_(report_done) Report changes = {};
        uid_t uid;
        int r;

        r = bus_verify_manage(m, call, &uid, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        r = operation(m, uid, &changes, &message);
        if (r < 0)
                return bus_error_from_manager(error, r, message);
        (void) watch_files(m);
        Caller caller = { .root = uid == 0 };
        r = reply_report(call, &changes, &caller, NULL);
        bus_manager_publish(m);
        return r;
}

static int method_revert(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_privileged(call, userdata, error, manager_revert);
}

static int method_reload(sd_bus_message *call, void *userdata, sd_bus_error *error) {
        return method_privileged(call, userdata, error, service_reload);
}

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", WSTUNED_VERSION);
}

static int property_get_active_profile(sd_bus *bus, const char *path, const char *interface, const char *property,
                                       sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->profile ? m->profile->name : "");
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", manager_state_to_string(manager_state(m)));
}

static int property_get_pending_keys(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        _cleanup_strv_free_ char **pending = NULL;
        int r = manager_pending_keys(m, &pending);
        if (r < 0)
                return r;
        for (char **p = pending; *p; p++) {
                char *copy = NULL;
                if (bus_text(*p, &copy) != *p) {
                        if (!copy)
                                return -ENOMEM;
                        free(*p);
                        *p = copy;
                }
        }
        return sd_bus_message_append_strv(reply, pending);
}

static int property_get_drift_corrections(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "t", m->drift_corrections);
}

static const ConntrackStats *conntrack_stats(const Manager *m) {
        return &m->pressure.previous.conntrack;
}

static int property_get_conntrack_entries(sd_bus *bus, const char *path, const char *interface,
                                          const char *property, sd_bus_message *reply, void *userdata,
                                          sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", conntrack_stats(userdata)->entries);
}

static int property_get_conntrack_max(sd_bus *bus, const char *path, const char *interface, const char *property,
                                      sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "t", conntrack_stats(userdata)->max);
}

/* Packets of new connections conntrack refused or evicted room for: drop + early_drop + insert_failed. */
static int property_get_conntrack_drops(sd_bus *bus, const char *path, const char *interface, const char *property,
                                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        const ConntrackStats *ct = conntrack_stats(userdata);
        return sd_bus_message_append(reply, "t", ct->drop + ct->early_drop + ct->insert_failed);
}

static int property_get_pressure(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(ssdtt)");
        if (r < 0)
                return r;
        for (PressureResource i = 0; i < _PRESSURE_RESOURCE_MAX; i++) {
                const ResourceState *rs = &m->pressure.resources[i];
                r = sd_bus_message_append(reply, "(ssdtt)", pressure_resource_to_string(i),
                                          pressure_level_to_string(rs->level), rs->ratio, rs->used, rs->limit);
                if (r < 0)
                        return r;
        }
        return sd_bus_message_close_container(reply);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Get", SD_BUS_ARGS("as", keys), SD_BUS_RESULT("a(ssss)", entries), method_get,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Apply", SD_BUS_ARGS("s", profile, "t", flags), SD_BUS_RESULT("a(ssss)", changes),
                                method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Verify", SD_BUS_NO_ARGS, SD_BUS_RESULT("b", ok, "a(ssss)", findings),
                                method_verify, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListProfiles", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sss)", profiles),
                                method_list_profiles, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Plan", SD_BUS_ARGS("u", connections, "s", role, "a{sv}", options),
                                SD_BUS_RESULT("s", profile, "a(sssds)", explanation, "as", warnings), method_plan,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Revert", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssss)", changes), method_revert,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Reload", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssss)", changes), method_reload,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ActiveProfile", "s", property_get_active_profile, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PendingKeys", "as", property_get_pending_keys, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("DriftCorrections", "t", property_get_drift_corrections, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        /* sampled every poll interval: read on demand, announced by PressureChanged, not PropertiesChanged */
        SD_BUS_PROPERTY("ConntrackEntries", "t", property_get_conntrack_entries, 0, 0),
        SD_BUS_PROPERTY("ConntrackMax", "t", property_get_conntrack_max, 0, 0),
        SD_BUS_PROPERTY("ConntrackDrops", "t", property_get_conntrack_drops, 0, 0),
        SD_BUS_PROPERTY("Pressure", "a(ssdtt)", property_get_pressure, 0, 0),
        SD_BUS_SIGNAL_WITH_ARGS("Drifted", SD_BUS_ARGS("s", key, "s", expected, "s", actual, "s", action), 0),
        SD_BUS_SIGNAL_WITH_ARGS("PressureChanged", SD_BUS_ARGS("s", resource, "s", level, "d", ratio), 0),
        SD_BUS_VTABLE_END,
};

/* sd-bus answers the standard interfaces' calls itself, reading the arguments it needs and ignoring any after
 * them: Introspect("x") got the XML, Ping(1) a reply. A filter runs before that and refuses such a call with
 * the error sd-bus gives for a wrong signature on the vtable's own methods. */
static const struct {
        const char *interface, *member, *signature;
} standard_methods[] = {
        { "org.freedesktop.DBus.Peer", "Ping", "" },
        { "org.freedesktop.DBus.Peer", "GetMachineId", "" },
        { "org.freedesktop.DBus.Introspectable", "Introspect", "" },
        { "org.freedesktop.DBus.Properties", "Get", "ss" },
        { "org.freedesktop.DBus.Properties", "GetAll", "s" },
        { "org.freedesktop.DBus.Properties", "Set", "ssv" },
};

static int filter_standard_arguments(sd_bus_message *call, void *userdata, sd_bus_error *ret_error) {
        for (size_t i = 0; i < ELEMENTSOF(standard_methods); i++) {
                if (sd_bus_message_is_method_call(call, standard_methods[i].interface, standard_methods[i].member) <= 0)
                        continue;
                const char *signature = strempty(sd_bus_message_get_signature(call, true));
                if (streq(signature, standard_methods[i].signature))
                        return 0;
                (void) sd_bus_reply_method_errorf(call, SD_BUS_ERROR_INVALID_ARGS,
                                                  "Invalid arguments '%s' to call %s.%s(), expecting '%s'.", signature,
                                                  standard_methods[i].interface, standard_methods[i].member,
                                                  standard_methods[i].signature);
                return 1; /* handled */
        }
        return 0;
}

int bus_manager_add_object(Manager *m) {
        int r = sd_bus_add_filter(m->bus, NULL, filter_standard_arguments, m);
        if (r < 0)
                return r;
        r = sd_bus_add_object_vtable(m->bus, NULL, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, manager_vtable, m);
        if (r < 0)
                return r;
        bus_manager_publish(m); /* remember what the first readers see: the first call announces nothing */
        return 0;
}

int bus_manager_attach(Manager *m) {
        int r = bus_manager_add_object(m);
        if (r < 0)
                return r;
        r = sd_bus_request_name(m->bus, WSTUNED_BUS_NAME, 0);
        return r < 0 ? r : 0;
}

void bus_manager_publish(Manager *m) {
        _cleanup_strv_free_ char **pending = NULL;
        _cleanup_free_ char *joined = NULL;
        const char *changed[5];
        size_t n = 0, len = 0;
        const char *profile = m->profile ? m->profile->name : "";
        ManagerState state = manager_state(m);

        if (manager_pending_keys(m, &pending) < 0)
                return;
        for (char **p = pending; *p; p++)
                len += strlen(*p) + 1;
        joined = calloc(1, len + 1);
        if (!joined)
                return;
        for (char **p = pending; *p; p++)
                strcat(strcat(joined, *p), "\n");

        bool first = m->published_state == _MANAGER_STATE_MAX;
        if (!streq_ptr(m->published_profile, profile)) {
                char *copy = strdup(profile);
                if (!copy)
                        return;
                free(m->published_profile);
                m->published_profile = copy;
                changed[n++] = "ActiveProfile";
        }
        if (m->published_state != state) {
                m->published_state = state;
                changed[n++] = "State";
        }
        if (!streq_ptr(m->published_pending, joined)) {
                free(m->published_pending);
                m->published_pending = TAKE_PTR(joined);
                changed[n++] = "PendingKeys";
        }
        if (m->published_corrections != m->drift_corrections) {
                m->published_corrections = m->drift_corrections;
                changed[n++] = "DriftCorrections";
        }
        changed[n] = NULL;
        if (n > 0 && !first)
                (void) sd_bus_emit_properties_changed_strv(m->bus, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE,
                                                           (char **) changed);
        service_publish_status(m); /* systemctl status shows the same */
}

void bus_manager_emit_drifted(Manager *m, const char *key, const char *expected, const char *actual,
                              const char *action) {
        char *copy[4] = {};

        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, "Drifted", "ssss",
                                          bus_text(key, &copy[0]), bus_text(expected, &copy[1]),
                                          bus_text(actual, &copy[2]), bus_text(action, &copy[3]));
        for (size_t i = 0; i < ELEMENTSOF(copy); i++)
                free(copy[i]);
}

void bus_manager_emit_pressure_changed(Manager *m, const char *resource, const char *level, double ratio) {
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, "PressureChanged", "ssd",
                                          resource, level, ratio);
}
