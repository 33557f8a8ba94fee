/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-conntrack.c - the ctnetlink stats reply parsers, conntrack_parse_global() and conntrack_parse_cpu(),
 * both on every input. The input is one datagram as recv() returns it; the sequence number and port id the
 * parsers expect are the first message's, so a reply captured from the kernel is a seed as it is, and a
 * mismatch can still be made in any later message.
 *
 * Checked besides memory safety: the return value is one conntrack.h lists, *stats is untouched when the
 * parse fails, and a parse that succeeds without a stats message changes nothing but *ret_done. */
#include <linux/netlink.h>

#include "conntrack.h"
#include "fuzz.h"

static bool error_is_listed(int r) {
        /* the kernel's own errors (an NLMSG_ERROR or NLMSG_DONE) are any errno, 1..4095 */
        return r == -EBADMSG || r == -EPROTO || r == -ESRCH || r == -ERANGE || (r < 0 && r >= -4095);
}

/* Field by field: the padding after the two bools need not survive a struct copy. */
static bool stats_equal(const ConntrackStats *a, const ConntrackStats *b) {
        return a->present == b->present && a->from_netlink == b->from_netlink && a->entries == b->entries &&
               a->max == b->max && a->found == b->found && a->invalid == b->invalid && a->insert == b->insert &&
               a->insert_failed == b->insert_failed && a->drop == b->drop && a->early_drop == b->early_drop &&
               a->error == b->error && a->search_restart == b->search_restart &&
               a->clash_resolve == b->clash_resolve && a->chaintoolong == b->chaintoolong;
}

static void check(const char *what, int r, const ConntrackStats *before, const ConntrackStats *after) {
        fuzz_check(r >= 0 || error_is_listed(r), "%s: %d", what, r);
        if (r <= 0)
                fuzz_check(stats_equal(before, after), "%s returned %d but changed the stats", what,
                           r);
        else
                fuzz_check(after->present && after->from_netlink, "%s: %d messages but not present", what, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint32_t seq = 4242, portid = 31337;
        /* fields set, so that a parser that drops or zeroes them shows */
        const ConntrackStats start = { .entries = 7, .max = 8, .found = 1, .drop = 2, .chaintoolong = 3 };
        ConntrackStats s;
        bool done = false;
        int r;

        if (size >= sizeof(struct nlmsghdr)) {
                const struct nlmsghdr *nlh = (const struct nlmsghdr *) data;
                seq = nlh->nlmsg_seq;
                portid = nlh->nlmsg_pid;
        }

        s = start;
        r = conntrack_parse_global(data, size, seq, portid, &s);
        check("conntrack_parse_global", r, &start, &s);

        s = start;
        r = conntrack_parse_cpu(data, size, seq, portid, &s, &done);
        check("conntrack_parse_cpu", r, &start, &s);
        return 0;
}
