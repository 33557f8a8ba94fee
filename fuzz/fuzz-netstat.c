/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-netstat.c - the /proc text parsers of the pressure sampler, all four on every input (NUL-terminated,
 * as read_file_full() gives it): netstat_parse_listen() (/proc/net/netstat), sockstat_parse()
 * (/proc/net/sockstat), file_nr_parse() (/proc/sys/fs/file-nr) and port_range_parse()
 * (net.ipv4.ip_local_port_range), then the ratios of what parsed.
 *
 * Checked as netstat.h promises: a failure is -EINVAL and leaves the output alone, a port range is 1..65535
 * with lo <= hi and its size returned, unused fds never exceed allocated ones, and the ratios are finite and
 * not negative. */
#include <math.h>

#include "fuzz.h"
#include "netstat.h"

#define POISON UINT64_C(0x5a5a5a5a5a5a5a5a)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_text(data, size);
        ListenCounters lc = { POISON, POISON, POISON, POISON };
        SockStat ss = { POISON, POISON, POISON, POISON };
        FileNr fnr = { POISON, POISON, POISON };
        uint32_t lo = 0x5a5a, hi = 0x5a5a;
        double ratio;
        int r;

        r = netstat_parse_listen(text, &lc);
        fuzz_check(r == 0 || r == -EINVAL, "netstat_parse_listen: %d", r);
        if (r < 0)
                fuzz_check(lc.listen_overflows == POISON && lc.listen_drops == POISON &&
                                   lc.req_q_full_drop == POISON && lc.req_q_full_do_cookies == POISON,
                           "netstat_parse_listen failed but wrote its output");

        r = sockstat_parse(text, &ss);
        fuzz_check(r == 0 || r == -EINVAL, "sockstat_parse: %d", r);
        if (r < 0)
                fuzz_check(ss.tcp_inuse == POISON && ss.tcp_tw == POISON && ss.tcp_orphan == POISON &&
                                   ss.sockets_used == POISON,
                           "sockstat_parse failed but wrote its output");

        r = file_nr_parse(text, &fnr);
        fuzz_check(r == 0 || r == -EINVAL, "file_nr_parse: %d", r);
        if (r < 0)
                fuzz_check(fnr.allocated == POISON && fnr.unused == POISON && fnr.max == POISON,
                           "file_nr_parse failed but wrote its output");
        else {
                fuzz_check(fnr.unused <= fnr.allocated, "unused %llu above allocated %llu",
                           (unsigned long long) fnr.unused, (unsigned long long) fnr.allocated);
                ratio = fds_ratio(&fnr);
                fuzz_check(isfinite(ratio) && ratio >= 0, "fds_ratio %g", ratio);
        }

        r = port_range_parse(text, &lo, &hi);
        fuzz_check(r > 0 || r == -EINVAL, "port_range_parse: %d", r);
        if (r < 0)
                fuzz_check(lo == 0x5a5a && hi == 0x5a5a, "port_range_parse failed but wrote its output");
        else
                fuzz_check(lo >= 1 && lo <= hi && hi <= 65535 && (uint32_t) r == hi - lo + 1, "range %u-%u, %d ports",
                           lo, hi, r);
        ratio = ports_ratio(&ss, lo, hi);
        fuzz_check(isfinite(ratio) && ratio >= 0, "ports_ratio %g", ratio);
        return 0;
}
