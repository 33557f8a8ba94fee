/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-pressure.c - the cost of one pressure sample: sampler_read() as the daemon's poll timer calls it,
 * and its parts alone, against the real kernel of the network namespace the program runs in (kernel root
 * "", so /proc is this namespace's). run-pressure-bench.sh runs it at 0, 10k and 50k connections.
 *
 * The series, each timed per call with CLOCK_MONOTONIC:
 *   sample        sampler_read() with the default watch settings, but the ports' warn level raised to
 *                 1000 % (the highest a profile allows), so the per-destination count never runs in it;
 *   conntrack     conntrack_read_stats(): the GET_STATS and GET_STATS_CPU requests;
 *   listen        sockdiag_listen_fill(): the LISTEN-only sock_diag dumps, IPv4 and IPv6;
 *   proc          the four /proc files the sampler reads (netstat, sockstat, ip_local_port_range, file-nr),
 *                 read and parsed the way sampler.c does;
 *   destinations  sockdiag_top_destination() over the namespace's ip_local_port_range: the dump the sampler
 *                 adds above the ports' warn level, at most every 10 s. It walks the sockets, so it has its
 *                 own, smaller sample count;
 *   walk          the same dump over local port 1 alone, which no socket has: the kernel still walks every
 *                 socket and runs the filter on it, but sends nothing (a server whose sockets are all
 *                 inbound, on its listening ports, pays this when its ports reach the warn level).
 * The four regular series run interleaved in rounds after a warm-up, so a slow phase of the machine falls
 * on all of them alike; then the two destination dumps; then sampler_read() after a pause, as the daemon's
 * once-a-second timer meets it (cold caches). User and system CPU per call come from getrusage() over each
 * series (tick-based split: an estimate).
 *
 * --cycles=K runs exactly K calls of one series (--what) after the same set-up and prints nothing: for
 * `valgrind --tool=callgrind`, where (run of K - run of 0) / K is the user-space instructions per call.
 * Reads only: it changes nothing, wherever it runs. Figures only: the exit status says whether it ran. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "bench-stats.h"
#include "journal.h"
#include "netstat.h"
#include "sampler.h"
#include "util/util.h"

#define ROUNDS 10
#define PROC_FILE_MAX (64u * 1024u) /* as sampler.c */
#define PORTS_WARN_OFF 1000.0       /* percent: the highest a profile allows */

typedef enum Series {
        SERIES_SAMPLE,
        SERIES_CONNTRACK,
        SERIES_LISTEN,
        SERIES_PROC,
        SERIES_DESTINATIONS,
        SERIES_WALK,
        SERIES_COLD,
        _SERIES_MAX,
        _SERIES_INVALID = -22,
} Series;

#define SERIES_REGULAR (SERIES_PROC + 1) /* the ones timed interleaved */

static const char *const series_names[_SERIES_MAX] = {
        [SERIES_SAMPLE] = "sample",
        [SERIES_CONNTRACK] = "conntrack",
        [SERIES_LISTEN] = "listen",
        [SERIES_PROC] = "proc",
        [SERIES_DESTINATIONS] = "destinations",
        [SERIES_WALK] = "walk",
        [SERIES_COLD] = "cold-sample",
};

static const char *const series_titles[_SERIES_MAX] = {
        [SERIES_SAMPLE] = "sampler_read() (the daemon's sample)",
        [SERIES_CONNTRACK] = "  conntrack_read_stats() (2 ctnetlink)",
        [SERIES_LISTEN] = "  sockdiag_listen_fill() (LISTEN dumps)",
        [SERIES_PROC] = "  /proc: netstat, sockstat, range, file-nr",
        [SERIES_DESTINATIONS] = "sockdiag_top_destination() (ports ≥ warn)",
        [SERIES_WALK] = "  same over port 1 only (walk, none sent)",
        [SERIES_COLD] = "sampler_read() after a pause (cold)",
};

static size_t arg_n = 10000;
static size_t arg_warmup = 1000;
static size_t arg_destinations = 50;
static size_t arg_cold = 20;
static uint64_t arg_cold_ms = 100;
static size_t arg_cycles = SIZE_MAX; /* SIZE_MAX: time the series instead */
static Series arg_what = SERIES_SAMPLE;
static bool arg_tsv = false;

typedef struct Bench {
        Sampler sampler;
        WatchSettings watch;
        PressureSample first; /* what the set-up's sample saw */
        DestinationCount destinations;
        int error; /* the first error of a part, reported once */
} Bench;

typedef struct Timing {
        double *samples; /* µs per call */
        size_t n;
        bool have_cpu;          /* no for a series with pauses: the split of so little CPU means nothing */
        double user_us, sys_us; /* summed over the series */
} Timing;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

static void cpu_us(double *ret_user, double *ret_sys) {
        struct rusage ru = {};

        (void) getrusage(RUSAGE_THREAD, &ru);
        *ret_user = (double) ru.ru_utime.tv_sec * 1e6 + (double) ru.ru_utime.tv_usec;
        *ret_sys = (double) ru.ru_stime.tv_sec * 1e6 + (double) ru.ru_stime.tv_usec;
}

/* The /proc part of a sample, as sampler.c reads it: each file whole, then its parser. */
static int call_proc(void) {
        _cleanup_free_ char *netstat = NULL, *sockstat = NULL, *range = NULL, *file_nr = NULL;
        ListenCounters listen;
        SockStat socks;
        FileNr files;
        uint32_t lo, hi;
        int r;

        r = read_file_full("/proc/net/netstat", PROC_FILE_MAX, &netstat, NULL);
        if (r < 0 || (r = netstat_parse_listen(netstat, &listen)) < 0)
                return r;
        r = read_file_full("/proc/net/sockstat", PROC_FILE_MAX, &sockstat, NULL);
        if (r < 0 || (r = sockstat_parse(sockstat, &socks)) < 0)
                return r;
        r = read_file_full("/proc/sys/net/ipv4/ip_local_port_range", PROC_FILE_MAX, &range, NULL);
        if (r < 0 || (r = port_range_parse(range, &lo, &hi)) < 0)
                return r;
        r = read_file_full("/proc/sys/fs/file-nr", PROC_FILE_MAX, &file_nr, NULL);
        if (r < 0 || (r = file_nr_parse(file_nr, &files)) < 0)
                return r;
        return 0;
}

/* One call of a series; negative errno when a part failed (the sample itself never fails). */
static int call(Bench *b, Series what) {
        PressureSample sample;
        ConntrackStats stats;
        ListenFill fill;

        switch (what) {
        case SERIES_SAMPLE:
        case SERIES_COLD:
                sampler_read(&b->sampler, &b->watch, now_usec(), &sample);
                return sample.have_destinations ? -EBUSY : 0;
        case SERIES_CONNTRACK:
                return conntrack_read_stats(b->sampler.conntrack, b->sampler.proc_sys, &stats);
        case SERIES_LISTEN:
                return b->sampler.sockdiag ? sockdiag_listen_fill(b->sampler.sockdiag, &fill) : -ENOTCONN;
        case SERIES_PROC:
                return call_proc();
        case SERIES_DESTINATIONS:
                if (!b->sampler.sockdiag)
                        return -ENOTCONN;
                return sockdiag_top_destination(b->sampler.sockdiag, (uint16_t) b->first.port_lo,
                                                (uint16_t) b->first.port_hi, &b->destinations);
        case SERIES_WALK: {
                DestinationCount none;
                int r;

                if (!b->sampler.sockdiag)
                        return -ENOTCONN;
                r = sockdiag_top_destination(b->sampler.sockdiag, 1, 1, &none);
                return r < 0 ? r : none.total > 0 ? -EEXIST : 0;
        }
        default:
                return -EINVAL;
        }
}

static int run_block(Bench *b, Series what, Timing *t, size_t count, uint64_t pause_ms) {
        const struct timespec pause = { .tv_sec = (time_t) (pause_ms / 1000u),
                                        .tv_nsec = (long) (pause_ms % 1000u) * 1000000L };
        double u0, s0, u1, s1;
        int r;

        cpu_us(&u0, &s0);
        for (size_t i = 0; i < count; i++) {
                if (pause_ms > 0) {
                        /* the pause's own CPU is next to nothing and lands outside the timed call */
                        (void) nanosleep(&pause, NULL);
                }
                uint64_t t0 = now_ns();
                r = call(b, what);
                uint64_t t1 = now_ns();
                if (r < 0)
                        return r;
                t->samples[t->n++] = (double) (t1 - t0) / 1000.0;
        }
        cpu_us(&u1, &s1);
        t->have_cpu = pause_ms == 0;
        t->user_us += u1 - u0;
        t->sys_us += s1 - s0;
        return 0;
}

static const char *series_error(Series what, int r) {
        static char buf[160];

        if (r == -EBUSY)
                return "the per-destination count ran inside the sample (ports above the raised warn level)";
        if (r == -EEXIST)
                return "a socket has local port 1: the walk series would count it";
        snprintf(buf, sizeof buf, "%s failed: %s", series_names[what], strerror(-r));
        return buf;
}

static void print_series(Series what, Timing *t, const char *extra) {
        Stats s = stats_compute(t->samples, t->n);
        char user[32] = "-", sys[32] = "-";

        if (t->have_cpu) {
                snprintf(user, sizeof user, "%.1f", t->user_us / (double) t->n);
                snprintf(sys, sizeof sys, "%.1f", t->sys_us / (double) t->n);
        }
        if (arg_tsv) {
                printf("%s\t%zu\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s%s%s\n", series_names[what], t->n, s.median, s.p90,
                       s.p99, s.mean, user, sys, extra ? "\t" : "", strempty(extra));
                return;
        }
        /* pad by characters, not bytes: the titles hold UTF-8 */
        const char *title = series_titles[what];
        size_t width = 0;
        for (const char *p = title; *p; p++)
                width += (*p & 0xc0) != 0x80;
        printf("%s%*s %9.1f %9.1f %9.1f %9.1f %7s %7s%s%s\n", title, (int) (width < 44 ? 44 - width : 0), "",
               s.median, s.p90, s.p99, s.mean, user, sys, extra ? "  " : "", strempty(extra));
}

static void print_facts(const Bench *b) {
        const PressureSample *p = &b->first;
        double ports = p->have_sockstat ? ports_ratio(&p->sockstat, p->port_lo, p->port_hi) * 100.0 : 0;

        if (arg_tsv) {
                printf("facts\tconntrack_entries=%llu\tconntrack_max=%llu\tfrom_netlink=%d\ttcp_inuse=%llu\t"
                       "tcp_tw=%llu\tlisteners=%u\tport_lo=%u\tport_hi=%u\tports_percent=%.1f\tports_warn=%.0f\n",
                       (unsigned long long) p->conntrack.entries, (unsigned long long) p->conntrack.max,
                       p->conntrack.from_netlink, (unsigned long long) p->sockstat.tcp_inuse,
                       (unsigned long long) p->sockstat.tcp_tw, p->backlog.listeners, p->port_lo, p->port_hi,
                       ports, b->watch.thresholds[PRESSURE_PORTS].warn);
                return;
        }
        printf("the sample sees: conntrack %llu entries of %llu%s; TCP sockets in use %llu, time-wait %llu; "
               "%u listeners;\n",
               (unsigned long long) p->conntrack.entries, (unsigned long long) p->conntrack.max,
               !p->conntrack.present ? " (nf_conntrack not loaded)"
               : p->conntrack.from_netlink ? " (ctnetlink)"
                                           : " (/proc/sys fallback)",
               (unsigned long long) p->sockstat.tcp_inuse, (unsigned long long) p->sockstat.tcp_tw,
               p->backlog.listeners);
        printf("  ports %.1f %% of %u-%u; the ports' warn level is raised to %.0f %% for the sample series, so the\n"
               "  per-destination count stays out of them (it is timed on its own below)\n",
               ports, p->port_lo, p->port_hi, b->watch.thresholds[PRESSURE_PORTS].warn);
}

static int run_time(Bench *b) {
        Timing t[_SERIES_MAX] = {};
        size_t counts[_SERIES_MAX] = {
                [SERIES_SAMPLE] = arg_n,
                [SERIES_CONNTRACK] = arg_n,
                [SERIES_LISTEN] = arg_n,
                [SERIES_PROC] = arg_n,
                [SERIES_DESTINATIONS] = arg_destinations,
                [SERIES_WALK] = arg_destinations,
                [SERIES_COLD] = arg_cold,
        };
        char extra[128];
        Series what = SERIES_SAMPLE;
        int r = 0;

        for (Series j = 0; j < _SERIES_MAX; j++) {
                t[j].samples = calloc(counts[j] ?: 1, sizeof(double));
                if (!t[j].samples) {
                        r = -ENOMEM;
                        goto out;
                }
        }
        for (what = 0; what < SERIES_REGULAR; what++)
                for (size_t i = 0; i < arg_warmup; i++)
                        if ((r = call(b, what)) < 0)
                                goto out;
        for (size_t round = 0; round < ROUNDS; round++)
                for (what = 0; what < SERIES_REGULAR; what++) {
                        size_t block = arg_n * (round + 1) / ROUNDS - arg_n * round / ROUNDS;
                        if ((r = run_block(b, what, &t[what], block, 0)) < 0)
                                goto out;
                }
        for (what = SERIES_DESTINATIONS; what <= SERIES_WALK; what++)
                if (arg_destinations > 0 && ((r = call(b, what)) < 0 || /* one warm-up */
                                             (r = run_block(b, what, &t[what], arg_destinations, 0)) < 0))
                        goto out;
        what = SERIES_COLD;
        if ((r = run_block(b, what, &t[what], arg_cold, arg_cold_ms)) < 0)
                goto out;

        if (!arg_tsv) {
                printf("pressure sample: %zu calls per series after %zu warm-up, %d rounds; %zu of each "
                       "destination dump; wall µs per call\n",
                       arg_n, arg_warmup, ROUNDS, arg_destinations);
                print_facts(b);
                /* "≈" is 3 bytes and one column: padded by hand */
                printf("%-44s %9s %9s %9s %9s %s\n", "what", "median", "p90", "p99", "mean", "  user≈    sys≈");
        } else
                print_facts(b);
        for (Series j = 0; j < _SERIES_MAX; j++) {
                const char *e = NULL;

                if (j == SERIES_DESTINATIONS) {
                        char remote[ENDPOINT_STRING_MAX];
                        snprintf(extra, sizeof extra,
                                 arg_tsv ? "total=%llu\ttop=%llu\tremote=%s" : "%llu sockets in the range, %llu to %s",
                                 (unsigned long long) b->destinations.total,
                                 (unsigned long long) b->destinations.sockets,
                                 endpoint_format(&b->destinations.remote, remote));
                        e = extra;
                } else if (j == SERIES_COLD) {
                        snprintf(extra, sizeof extra, arg_tsv ? "pause_ms=%llu" : "after %llu ms asleep",
                                 (unsigned long long) arg_cold_ms);
                        e = extra;
                }
                if (t[j].n > 0)
                        print_series(j, &t[j], e);
        }
        r = 0;
out:
        if (r < 0)
                fprintf(stderr, "bench-pressure: %s\n", series_error(what, r));
        for (Series j = 0; j < _SERIES_MAX; j++)
                free(t[j].samples);
        return r;
}

static int run_cycles(Bench *b, Series what, size_t count) {
        for (size_t i = 0; i < count; i++) {
                int r = call(b, what);
                if (r < 0) {
                        fprintf(stderr, "bench-pressure: %s\n", series_error(what, r));
                        return r;
                }
        }
        return 0;
}

static int bench_init(Bench *b) {
        int r;

        r = sampler_init(&b->sampler, "");
        if (r < 0)
                return r;
        watch_settings_init(&b->watch);
        /* Only the sample series are kept below it; the destination count is a series of its own. */
        b->watch.thresholds[PRESSURE_PORTS].warn = PORTS_WARN_OFF;
        sampler_read(&b->sampler, &b->watch, now_usec(), &b->first);
        if (!b->first.have_sockstat || b->first.port_lo == 0 || b->first.port_hi > UINT16_MAX) {
                fprintf(stderr, "bench-pressure: cannot read /proc/net/sockstat or ip_local_port_range\n");
                return -EIO;
        }
        if (b->first.have_destinations)
                return -EBUSY;
        return 0;
}

static void help(void) {
        printf("Usage: bench-pressure [OPTIONS]\n\n"
               "Cost of one pressure sample (sampler_read()) and of its parts, in this network namespace.\n\n"
               "  -n --samples=N          calls per regular series (default %zu)\n"
               "     --warmup=N           warm-up calls per regular series (default %zu)\n"
               "     --destinations=N     calls of each destination dump (default %zu; 0: none)\n"
               "     --cold=N             sampler_read() calls after a pause each (default %zu)\n"
               "     --cold-ms=MS         that pause (default %llu)\n"
               "     --tsv                tab-separated rows: what n median p90 p99 mean user sys [extra]\n"
               "     --cycles=K           run K calls of one series, print nothing (for callgrind)\n"
               "     --what=SERIES        that series: sample, conntrack, listen, proc, destinations, walk\n"
               "  -h --help               this text\n",
               arg_n, arg_warmup, arg_destinations, arg_cold, (unsigned long long) arg_cold_ms);
}

static int parse_size(const char *s, size_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > SIZE_MAX / sizeof(double) / 2)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

static Series series_from_string(const char *s) {
        for (Series j = 0; j < SERIES_COLD; j++)
                if (streq(s, series_names[j]))
                        return j;
        return _SERIES_INVALID;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_WARMUP = 0x100,
                ARG_DESTINATIONS,
                ARG_COLD,
                ARG_COLD_MS,
                ARG_TSV,
                ARG_CYCLES,
                ARG_WHAT,
        };
        static const struct option options[] = {
                { "samples", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, ARG_WARMUP },
                { "destinations", required_argument, NULL, ARG_DESTINATIONS },
                { "cold", required_argument, NULL, ARG_COLD },
                { "cold-ms", required_argument, NULL, ARG_COLD_MS },
                { "tsv", no_argument, NULL, ARG_TSV },
                { "cycles", required_argument, NULL, ARG_CYCLES },
                { "what", required_argument, NULL, ARG_WHAT },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        size_t ms;
        int c, r;

        while ((c = getopt_long(argc, argv, "n:h", options, NULL)) >= 0) {
                r = 0;
                switch (c) {
                case 'n':
                        r = parse_size(optarg, &arg_n);
                        if (r >= 0 && arg_n == 0)
                                r = -EINVAL;
                        break;
                case ARG_WARMUP:
                        r = parse_size(optarg, &arg_warmup);
                        break;
                case ARG_DESTINATIONS:
                        r = parse_size(optarg, &arg_destinations);
                        break;
                case ARG_COLD:
                        r = parse_size(optarg, &arg_cold);
                        break;
                case ARG_COLD_MS:
                        r = parse_size(optarg, &ms);
                        if (r >= 0 && ms > 10000)
                                r = -EINVAL;
                        arg_cold_ms = ms;
                        break;
                case ARG_TSV:
                        arg_tsv = true;
                        break;
                case ARG_CYCLES:
                        r = parse_size(optarg, &arg_cycles);
                        break;
                case ARG_WHAT:
                        arg_what = series_from_string(optarg);
                        if (arg_what < 0)
                                r = -EINVAL;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "bench-pressure: invalid value \"%s\"\n", optarg);
                        return r;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "bench-pressure: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        Bench b = {};
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        /* the sampler logs a source it cannot read; keep that out of the host's journal */
        log_set_target(LOG_TARGET_STDERR);

        r = bench_init(&b);
        if (r >= 0)
                r = arg_cycles != SIZE_MAX ? run_cycles(&b, arg_what, arg_cycles) : run_time(&b);
        else
                fprintf(stderr, "bench-pressure: set-up failed: %s\n",
                        r == -EBUSY ? series_error(SERIES_SAMPLE, r) : strerror(-r));
        sampler_done(&b.sampler);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
