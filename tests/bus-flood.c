/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-flood.c - many callers of Apply at once, for test-polkit-limits.sh. Opens N connections to the system
 * bus (DBUS_SYSTEM_BUS_ADDRESS), each a caller of its own, and makes one io.wstune.wstuned1.Manager.Apply
 * (PROFILE, 0) call on each, with a timeout of an hour. Prints a line per answer as it comes:
 *
 *   I reply
 *   I error NAME: MESSAGE
 *
 * (I: the connection, 0 to N-1). It then stays, every connection open, until killed: calls the daemon holds
 * stay in flight, and killing it makes all N callers leave the bus at once.
 *
 *   bus-flood N PROFILE
 *
 * Exit 2 with a line on stderr when a connection or a call could not be made. */
#include <stdio.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-errors.h"
#include "util/util.h"

#define CONNECTIONS_MAX 500u
#define CALL_TIMEOUT_USEC (3600 * UINT64_C(1000000))

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        unsigned i = (unsigned) (uintptr_t) userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);

        if (e)
                printf("%u error %s: %s\n", i, e->name, strempty(e->message));
        else
                printf("%u reply\n", i);
        fflush(stdout);
        return 0;
}

int main(int argc, char *argv[]) {
        static sd_bus *buses[CONNECTIONS_MAX];
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        unsigned long n;
        char *end;
        int r;

        errno = 0;
        n = argc == 3 ? strtoul(argv[1], &end, 10) : 0;
        if (argc != 3 || errno || end == argv[1] || *end || n == 0 || n > CONNECTIONS_MAX) {
                fprintf(stderr, "Usage: bus-flood N PROFILE (N: 1-%u)\n", CONNECTIONS_MAX);
                return 2;
        }
        r = sd_event_default(&event);
        if (r < 0) {
                fprintf(stderr, "bus-flood: %s\n", strerror(-r));
                return 2;
        }
        for (unsigned i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

                r = sd_bus_open_system(&buses[i]);
                if (r >= 0)
                        r = sd_bus_attach_event(buses[i], event, SD_EVENT_PRIORITY_NORMAL);
                if (r >= 0)
                        r = sd_bus_message_new_method_call(buses[i], &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                           WSTUNED_BUS_INTERFACE, "Apply");
                if (r >= 0)
                        r = sd_bus_message_append(m, "st", argv[2], UINT64_C(0));
                if (r >= 0)
                        r = sd_bus_call_async(buses[i], NULL, m, on_reply, (void *) (uintptr_t) i,
                                              CALL_TIMEOUT_USEC);
                if (r < 0) {
                        fprintf(stderr, "bus-flood: call %u: %s\n", i, strerror(-r));
                        return 2;
                }
        }
        r = sd_event_loop(event); /* returns only on failure: nothing calls sd_event_exit() */
        fprintf(stderr, "bus-flood: the event loop ended: %s\n", strerror(-r));
        return 2;
}
