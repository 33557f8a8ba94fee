/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-sockdiag.c - the inet_diag dump reply parsers, sockdiag_parse_listeners() and
 * sockdiag_parse_destinations() into a fresh DestinationTable, both on every input, and endpoint_format()
 * of what they found. The input is one datagram; the sequence number and port id expected are the first
 * message's, as in fuzz-conntrack.c.
 *
 * Checked besides memory safety: the return value is one sockdiag.h lists; a failed parse leaves the fill
 * and the table as they were; a successful one adds exactly its return value to the listeners seen and to
 * the table's total. */
#include <linux/netlink.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "sockdiag.h"

static bool error_is_listed(int r) {
        return r == -EBADMSG || r == -EPROTO || r == -ESRCH || r == -ERANGE || r == -ENOMEM || (r < 0 && r >= -4095);
}

static void check_format(const Endpoint *e) {
        char buf[ENDPOINT_STRING_MAX];

        fuzz_check(endpoint_format(e, buf) == buf && strlen(buf) < ENDPOINT_STRING_MAX, "endpoint text");
        fuzz_check(e->family == 0 || e->family == AF_INET || e->family == AF_INET6, "family %d",
                   e->family);
}

static void fuzz_listeners(const uint8_t *data, size_t size, uint32_t seq, uint32_t portid) {
        /* a listener seen in an earlier datagram: the fold must compare against it */
        const ListenFill start = { .local = { .family = AF_INET, .addr = { 10, 0, 0, 1 }, .port = 80 },
                                   .queued = 3,
                                   .backlog = 128,
                                   .listeners = 1 };
        ListenFill f = start;
        bool done = false;
        int r;

        r = sockdiag_parse_listeners(data, size, seq, portid, &f, &done);
        fuzz_check(r >= 0 || error_is_listed(r), "sockdiag_parse_listeners: %d", r);
        if (r <= 0)
                fuzz_check(endpoint_compare(&f.local, &start.local) == 0 && f.queued == start.queued &&
                                   f.backlog == start.backlog && f.listeners == start.listeners,
                           "sockdiag_parse_listeners returned %d but changed the fill", r);
        else
                fuzz_check(f.listeners == start.listeners + (unsigned) r, "%u listeners after %d more",
                           f.listeners, r);
        check_format(&f.local);
}

static void fuzz_destinations(const uint8_t *data, size_t size, uint32_t seq, uint32_t portid) {
        _cleanup_(destination_table_freep) DestinationTable *t = NULL;
        const Endpoint earlier = { .family = AF_INET6, .addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, .port = 443 };
        DestinationCount before, after;
        bool done = false;
        int r;

        fuzz_check(destination_table_new(&t) >= 0, "destination_table_new");
        fuzz_check(destination_table_add(t, &earlier) >= 0, "destination_table_add");
        destination_table_top(t, &before);

        r = sockdiag_parse_destinations(data, size, seq, portid, t, &done);
        fuzz_check(r >= 0 || error_is_listed(r), "sockdiag_parse_destinations: %d", r);
        destination_table_top(t, &after);
        if (r < 0 && r != -ENOMEM)
                fuzz_check(after.total == before.total && destination_table_size(t) == 1,
                           "sockdiag_parse_destinations returned %d but counted sockets", r);
        if (r >= 0)
                fuzz_check(after.total == before.total + (uint64_t) r, "total %llu after %d more than %llu",
                           (unsigned long long) after.total, r, (unsigned long long) before.total);
        fuzz_check(after.sockets <= after.total && destination_table_size(t) <= after.total, "top %llu of %llu",
                   (unsigned long long) after.sockets, (unsigned long long) after.total);
        check_format(&after.remote);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint32_t seq = 4242, portid = 31337;

        if (size >= sizeof(struct nlmsghdr)) {
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) data;
                seq = nlh->nlmsg_seq;
                portid = nlh->nlmsg_pid;
        }
        fuzz_listeners(data, size, seq, portid);
        fuzz_destinations(data, size, seq, portid);
        return 0;
}
