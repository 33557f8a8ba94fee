/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-netstat.c - the /proc text parsers, all of them on every input (NUL-terminated, as read_file_full()
 * gives it): those of the pressure sampler, netstat_parse_listen() (/proc/net/netstat), sockstat_parse()
 * (/proc/net/sockstat), file_nr_parse() (/proc/sys/fs/file-nr) and port_range_parse()
 * (net.ipv4.ip_local_port_range), then the ratios of what parsed; and those Verify runs on other processes'
 * files, proc_limits_parse_nofile() (/proc/PID/limits), proc_cgroup_unit() (/proc/PID/cgroup, whose paths
 * a user can choose in a delegated subtree), proc_status_parse_uids() (/proc/PID/status) and
 * proc_cmdline_has_arg() (/proc/PID/cmdline, the input with its NULs).
 *
 * Checked as netstat.h and proc-limits.h promise: a failure is -EINVAL (-ENOENT: no unit) and leaves the
 * output alone, a port range is 1..65535 with lo <= hi and its size returned, unused fds never exceed
 * allocated ones, the ratios are finite and not negative, and a unit is a .service or .scope name of at most
 * PROC_UNIT_NAME_MAX bytes without '/'. */
#include <math.h>

#include "fuzz.h"
#include "netstat.h"
#include "proc-limits.h"

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

        uint64_t soft = POISON, hard = POISON;
        r = proc_limits_parse_nofile(text, &soft, &hard);
        fuzz_check(r == 0 || r == -EINVAL, "proc_limits_parse_nofile: %d", r);
        if (r < 0)
                fuzz_check(soft == POISON && hard == POISON, "proc_limits_parse_nofile failed but wrote its output");

        _cleanup_free_ char *unit = NULL;
        r = proc_cgroup_unit(text, &unit);
        fuzz_check(r == 0 || r == -ENOENT || r == -ENOMEM, "proc_cgroup_unit: %d", r);
        if (r == 0) {
                size_t n = strlen(unit);
                fuzz_check(n > 0 && n <= PROC_UNIT_NAME_MAX && !strchr(unit, '/') &&
                                   ((n > 8 && streq(unit + n - 8, ".service")) || (n > 6 && streq(unit + n - 6, ".scope"))),
                           "unit \"%s\"", unit);
        } else
                fuzz_check(!unit, "proc_cgroup_unit failed but returned a unit");

        ProcUids uids = { 0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a, 0x5a5a5a5a };
        r = proc_status_parse_uids(text, &uids);
        fuzz_check(r == 0 || r == -EINVAL, "proc_status_parse_uids: %d", r);
        if (r < 0)
                fuzz_check(uids.real == 0x5a5a5a5a && uids.effective == 0x5a5a5a5a && uids.saved == 0x5a5a5a5a &&
                                   uids.fs == 0x5a5a5a5a,
                           "proc_status_parse_uids failed but wrote its output");
        else
                fuzz_check(uids.real != (uid_t) -1 && uids.effective != (uid_t) -1 && uids.saved != (uid_t) -1 &&
                                   uids.fs != (uid_t) -1,
                           "uid -1 taken");

        /* what it finds must be there: an argument after the first NUL starting with the prefix */
        static const char prefix[] = "--default-ulimit";
        if (proc_cmdline_has_arg((const char *) data, size, prefix)) {
                const char *nul = memchr(data, '\0', size);
                bool found = false;
                fuzz_check(nul, "an argument found without an argv[0]");
                for (const char *p = nul + 1; !found && p + strlen(prefix) <= (const char *) data + size; p++)
                        found = p[-1] == '\0' && memcmp(p, prefix, strlen(prefix)) == 0;
                fuzz_check(found, "proc_cmdline_has_arg found an argument that is not there");
        }
        return 0;
}
