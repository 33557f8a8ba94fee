/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-poll.c - the cost of one drift-poll cycle: manager_poll() over 20 real per-network-namespace keys,
 * next to its floor, 20 plain open/read/close of the same /proc/sys files.
 *
 * The Manager is the daemon's own core (libwstuned-core), built as the unit tests build it: a scratch root
 * for /etc and /var holding a profile "bench", and the kernel root "/", so the keys are the real /proc/sys
 * files of the network namespace the program runs in. The profile asks for exactly the values the keys
 * hold when the program starts, so applying it writes nothing and every poll finds every key in place: a
 * cycle is the steady state of the daemon, one pread() per key plus the comparison. It still must run in
 * a throwaway network namespace (`unshare -n`, or the sandbox's): it refuses to run (exit 77) in the
 * initial one, and it never writes a key outside --writer.
 *
 * Modes:
 *   (default)          time N cycles of each series, interleaved in rounds, and print a table;
 *   --cycles=K         run exactly K polls, print nothing: for `valgrind --tool=callgrind`, where the
 *                      difference between K=1000 and K=0 is the cost of 1000 cycles without the start-up;
 *   --floor-cycles=K   the same for the floor (20 open/read/close);
 *   --pread-cycles=K   the same for 20 pread() on kept descriptors;
 *   --write-profile=F  write the profile (these keys at their current values) to F for the real daemon;
 *   --writer=KEY --value=V --rate=HZ --seconds=S
 *                      the other writer of the fight scenario: set one of the bench keys to V, HZ times a
 *                      second for S seconds (bounded), on absolute deadlines.
 * Figures only: the exit status says whether the measurement ran. */
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "bench-stats.h"
#include "bus-manager.h"
#include "journal.h"
#include "manager.h"
#include "sysctl.h"
#include "util/util.h"

#define BENCH_PROFILE "bench"
#define READ_SIZE 256         /* the floor's buffer: larger than any value of the bench keys */
#define DAEMON_READ_SIZE 4095 /* what sysctl_read_fd() asks of the kernel */
#define ROUNDS 10
#define EXIT_SKIP 77
#define MIN(a, b) ((a) < (b) ? (a) : (b))

/* Per-network-namespace keys (net->core, net->ipv4, net->ipv6 sysctls) that a fresh namespace has. The
 * fight writer may set only these. */
static const char *const bench_keys[] = {
        "net.core.somaxconn",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.tcp_tw_reuse",
        "net.ipv4.tcp_max_syn_backlog",
        "net.ipv4.tcp_syn_retries",
        "net.ipv4.tcp_synack_retries",
        "net.ipv4.tcp_retries2",
        "net.ipv4.tcp_max_tw_buckets",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
        "net.ipv4.tcp_slow_start_after_idle",
        "net.ipv4.tcp_mtu_probing",
        "net.ipv4.tcp_notsent_lowat",
        "net.ipv4.tcp_timestamps",
        "net.ipv6.bindv6only",
};
#define N_KEYS ELEMENTSOF(bench_keys)

typedef enum Mode {
        MODE_TIME,
        MODE_CYCLES,
        MODE_FLOOR_CYCLES,
        MODE_PREAD_CYCLES,
        MODE_WRITE_PROFILE,
        MODE_WRITER,
} Mode;

static Mode arg_mode = MODE_TIME;
static size_t arg_n = 20000;
static size_t arg_warmup = 1000;
static size_t arg_cycles = 0;
static size_t arg_cold = 50;
static uint64_t arg_cold_ms = 100;
static const char *arg_profile_file = NULL;
static const char *arg_writer_key = NULL;
static const char *arg_writer_value = NULL;
static double arg_rate = 100;
static double arg_seconds = 60;

typedef struct Bench {
        char *paths[N_KEYS];  /* /proc/sys/... */
        char *values[N_KEYS]; /* normalised, at start */
        int fds[N_KEYS];      /* kept open for the pread series; the Manager keeps its own */
        char *root;           /* scratch tree for /etc and /var */
        Manager *m;
} Bench;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}

/* Recent kernels give the initial network namespace a fixed inode number (PROC_NET_INIT_INO). */
#define NET_NS_INIT_INO UINT64_C(0xEFFFFFF9)

/* Whether /proc/self/net/dev lists no interface but lo: what a namespace made by `unshare -n` has, and
 * what a host namespace never has (it would have no network). */
static bool netns_has_only_lo(void) {
        char line[512];
        unsigned n = 0;
        bool only_lo = true;
        FILE *f = fopen("/proc/self/net/dev", "re");

        if (!f)
                return false;
        while (fgets(line, sizeof line, f))
                if (n++ >= 2) { /* two header lines */
                        const char *name = line + strspn(line, " ");
                        if (strncmp(name, "lo:", 3) != 0)
                                only_lo = false;
                }
        fclose(f);
        return only_lo;
}

/* 1 when this process may be in the initial network namespace, 0 when it is certainly not, and why in
 * *ret_why. PID 1's namespace is the reference; where its link cannot be read (a container runtime as
 * PID 1 refuses even root here), a namespace is accepted as throwaway only when its inode is not the
 * fixed one of the initial namespace and it has no interface besides lo. */
static int netns_is_initial(const char **ret_why) {
        char self[64], init[64];
        struct stat st;
        ssize_t a, b;

        a = readlink("/proc/self/ns/net", self, sizeof self - 1);
        if (a < 0 || stat("/proc/self/ns/net", &st) < 0) {
                *ret_why = "cannot read /proc/self/ns/net";
                return 1;
        }
        self[a] = '\0';
        if ((uint64_t) st.st_ino == NET_NS_INIT_INO) {
                *ret_why = "this is the initial one";
                return 1;
        }
        b = readlink("/proc/1/ns/net", init, sizeof init - 1);
        if (b >= 0) {
                init[b] = '\0';
                *ret_why = "this is PID 1's";
                return streq(self, init);
        }
        *ret_why = "PID 1's cannot be read and this one has interfaces besides lo";
        return !netns_has_only_lo();
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

#define BENCH_NULL { .fds = { [0 ... N_KEYS - 1] = -1 } }

static void bench_done(Bench *b) {
        b->m = manager_free(b->m);
        for (size_t i = 0; i < N_KEYS; i++) {
                free(b->paths[i]);
                free(b->values[i]);
                closep(&b->fds[i]);
        }
        if (b->root)
                (void) nftw(b->root, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        free(b->root);
}

/* Every bench key's path and current value. */
static int bench_read_keys(Bench *b) {
        for (size_t i = 0; i < N_KEYS; i++) {
                _cleanup_free_ char *rel = NULL;
                const char *reason;
                int r;

                r = sysctl_key_to_path(bench_keys[i], &rel, &reason);
                if (r < 0)
                        return r;
                if (asprintf(&b->paths[i], "/proc/sys/%s", rel) < 0) {
                        b->paths[i] = NULL;
                        return -ENOMEM;
                }
                r = sysctl_read(b->paths[i], &b->values[i]);
                if (r < 0) {
                        fprintf(stderr, "Cannot read %s: %s\n", bench_keys[i], strerror(-r));
                        return r;
                }
        }
        return 0;
}

/* The profile: every key at the value it has now. Values are what the kernel printed, normalised: digits
 * and single spaces; anything that would need escaping in JSON is refused rather than escaped. */
static int profile_json(const Bench *b, char **ret, size_t *ret_size) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f;

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("{\n  \"description\": \"bench-poll: 20 per-namespace keys at the values they hold\",\n"
              "  \"sysctl\": {\n",
              f);
        for (size_t i = 0; i < N_KEYS; i++) {
                if (strpbrk(b->values[i], "\"\\") || strlen(b->values[i]) > SYSCTL_VALUE_MAX) {
                        fclose(f);
                        fprintf(stderr, "Unexpected value of %s: \"%s\"\n", bench_keys[i], b->values[i]);
                        return -EINVAL;
                }
                fprintf(f, "    \"%s\": \"%s\"%s\n", bench_keys[i], b->values[i], i + 1 < N_KEYS ? "," : "");
        }
        fputs("  }\n}\n", f);
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        *ret_size = size;
        return 0;
}

static int write_profile(const Bench *b, const char *path) {
        _cleanup_free_ char *json = NULL;
        size_t size;
        int r;

        r = profile_json(b, &json, &size);
        if (r < 0)
                return r;
        r = write_file_atomic(path, json, size, FILE_MODE(0644), 0);
        return r < 0 ? r : 0;
}

/* The Manager on a scratch tree, with "bench" applied. A dry run first: if applying would write anything
 * (a key changed since it was read), stop before writing. */
static int bench_manager_new(Bench *b) {
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *profiles = NULL, *profile = NULL, *var = NULL, *error = NULL;
        const char *tmp = getenv("TMPDIR");
        int r;

        if (asprintf(&b->root, "%s/bench-poll.XXXXXX", tmp && tmp[0] ? tmp : "/tmp") < 0) {
                b->root = NULL;
                return -ENOMEM;
        }
        if (!mkdtemp(b->root)) {
                r = -errno;
                free(b->root);
                b->root = NULL;
                return r;
        }
        if (asprintf(&profiles, "%s/etc/wstuned/profiles", b->root) < 0 ||
            asprintf(&profile, "%s/" BENCH_PROFILE ".json", profiles) < 0 ||
            asprintf(&var, "%s/var/lib", b->root) < 0)
                return -ENOMEM;
        if ((r = mkdir_parents(profiles, 0755)) < 0 || (r = mkdir_parents(var, 0755)) < 0)
                return r;
        r = write_profile(b, profile);
        if (r < 0)
                return r;

        r = manager_new(&b->m);
        if (r < 0)
                return r;
        r = paths_init(&b->m->paths, b->root, "/", profiles);
        if (r < 0)
                return r;
        r = manager_apply(b->m, BENCH_PROFILE, true, 0, &changes, &error);
        if (r < 0) {
                fprintf(stderr, "Cannot load the bench profile: %s\n", error ?: strerror(-r));
                return r;
        }
        if (changes.n > 0) {
                fprintf(stderr, "Applying would change %s (%s → %s): a key moved since it was read\n",
                        changes.rows[0].col[0], changes.rows[0].col[1], changes.rows[0].col[2]);
                return -EBUSY;
        }
        r = manager_apply(b->m, BENCH_PROFILE, false, 0, NULL, &error);
        if (r < 0) {
                fprintf(stderr, "Cannot apply the bench profile: %s\n", error ?: strerror(-r));
                return r;
        }
        if (b->m->n_keys != N_KEYS)
                return -EINVAL;
        for (size_t i = 0; i < b->m->n_keys; i++)
                if (b->m->keys[i].state != KEY_STATE_OK || b->m->keys[i].fd < 0) {
                        fprintf(stderr, "%s is %s after apply\n", b->m->keys[i].spec->name,
                                key_state_to_string(b->m->keys[i].state));
                        return -EINVAL;
                }
        return 0;
}

static int bench_open_fds(Bench *b) {
        for (size_t i = 0; i < N_KEYS; i++) {
                b->fds[i] = open(b->paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (b->fds[i] < 0)
                        return -errno;
        }
        return 0;
}

/* One cycle of a series; negative errno on failure. */
typedef int (*Cycle)(Bench *b);

/* What the poll timer's manager_poll() does, with a timer's arguments. */
static int cycle_poll(Bench *b) {
        return manager_poll(b->m, now_ns() / 1000u, 0, false) == 0 ? 0 : -ENOENT;
}

/* The timer's whole work: the poll, then the PropertiesChanged bookkeeping (no bus here, so no message). */
static int cycle_poll_publish(Bench *b) {
        int r = cycle_poll(b);
        bus_manager_publish(b->m);
        return r;
}

/* What sysctl(8), or a daemon without kept descriptors, does for each key. */
static int cycle_floor(Bench *b) {
        char buf[READ_SIZE];

        for (size_t i = 0; i < N_KEYS; i++) {
                int fd = open(b->paths[i], O_RDONLY | O_CLOEXEC | O_NOCTTY);
                if (fd < 0)
                        return -errno;
                ssize_t k = read(fd, buf, sizeof buf);
                int e = errno;
                close(fd);
                if (k < 0)
                        return -e;
                if ((size_t) k >= sizeof buf)
                        return -EFBIG;
        }
        return 0;
}

static int pread_all(Bench *b, size_t size) {
        char buf[DAEMON_READ_SIZE];

        for (size_t i = 0; i < N_KEYS; i++) {
                ssize_t k = pread(b->fds[i], buf, size, 0);
                if (k < 0)
                        return -errno;
                if ((size_t) k >= size)
                        return -EFBIG;
        }
        return 0;
}

static int cycle_pread(Bench *b) {
        return pread_all(b, READ_SIZE);
}

static int cycle_pread_daemon_size(Bench *b) {
        return pread_all(b, DAEMON_READ_SIZE);
}

typedef struct Series {
        const char *what;
        Cycle cycle;
        double *samples; /* µs per cycle */
        size_t n;
} Series;


/* printf's widths count bytes; µ and × are two. */
static void print_padded(const char *s, size_t width) {
        size_t w = 0;
        for (const char *p = s; *p; p++)
                w += ((unsigned char) *p & 0xc0) != 0x80;
        printf("%s%*s", s, (int) (width > w ? width - w : 0), "");
}

static int series_run(Bench *b, Series *s, size_t count) {
        for (size_t i = 0; i < count; i++) {
                uint64_t t0 = now_ns();
                int r = s->cycle(b);
                uint64_t t1 = now_ns();
                if (r < 0)
                        return r;
                s->samples[s->n++] = (double) (t1 - t0) / 1e3;
        }
        return 0;
}

/* As the daemon meets them: one cycle after arg_cold_ms asleep, when caches and TLB hold other work. Poll
 * and floor alternate, so both wake up alike. Reuses the sample buffers of the two series. */
static int run_cold(Bench *b, Series *poll, Series *floor, size_t count) {
        struct timespec pause = {
                .tv_sec = (time_t) (arg_cold_ms / 1000),
                .tv_nsec = (long) (arg_cold_ms % 1000) * 1000000,
        };
        Series *both[] = { poll, floor };
        Stats st[2];
        int r;

        poll->n = floor->n = 0;
        for (size_t i = 0; i < count; i++)
                for (size_t j = 0; j < ELEMENTSOF(both); j++) {
                        (void) nanosleep(&pause, NULL);
                        if ((r = series_run(b, both[j], 1)) < 0)
                                return r;
                }
        for (size_t j = 0; j < ELEMENTSOF(both); j++)
                st[j] = stats_compute(both[j]->samples, count);
        printf("after %llu ms asleep (cold caches, as the daemon's timer meets them), %zu cycles each:\n",
               (unsigned long long) arg_cold_ms, count);
        for (size_t j = 0; j < ELEMENTSOF(both); j++) {
                print_padded(both[j]->what, 42);
                printf(" %7.2f µs %7.2f µs %7.2f µs %7.3f µs %7.2f×\n", st[j].median, st[j].p99, st[j].mean,
                       st[j].median / (double) N_KEYS, st[1].median > 0 ? st[j].median / st[1].median : 0);
        }
        return 0;
}

/* Warm every series up, then take n cycles of each in ROUNDS rounds of one block per series, so a slow
 * phase of the machine falls on every series alike and the ratios hold. */
static int run_time(Bench *b) {
        Series series[] = {
                { .what = "manager_poll(), 20 keys", .cycle = cycle_poll },
                { .what = "  + bus_manager_publish() (= poll timer)", .cycle = cycle_poll_publish },
                { .what = "floor: 20 × open/read/close", .cycle = cycle_floor },
                { .what = "ref: 20 × pread, kept fds, 256 B", .cycle = cycle_pread },
                { .what = "ref: 20 × pread, kept fds, 4095 B", .cycle = cycle_pread_daemon_size },
        };
        Stats st[ELEMENTSOF(series)];
        size_t n = arg_n;
        int r = 0;

        for (size_t j = 0; j < ELEMENTSOF(series); j++) {
                series[j].samples = calloc(n, sizeof(double));
                if (!series[j].samples) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < arg_warmup; i++)
                        if ((r = series[j].cycle(b)) < 0)
                                goto out;
        }
        for (size_t round = 0; round < ROUNDS; round++)
                for (size_t j = 0; j < ELEMENTSOF(series); j++) {
                        size_t block = n * (round + 1) / ROUNDS - n * round / ROUNDS;
                        if ((r = series_run(b, &series[j], block)) < 0)
                                goto out;
                }

        if (b->m->drift_corrections > 0 || manager_state(b->m) != MANAGER_STATE_OK)
                printf("# note: a key drifted during the run (another writer?): %llu corrections, state %s\n",
                       (unsigned long long) b->m->drift_corrections,
                       manager_state_to_string(manager_state(b->m)));

        for (size_t j = 0; j < ELEMENTSOF(series); j++)
                st[j] = stats_compute(series[j].samples, n);
        const Stats *floor = &st[2], *pread_floor = &st[3];
        printf("drift-poll cycle over %zu keys: %zu cycles per series after %zu warm-up, %d rounds; per cycle\n",
               N_KEYS, n, arg_warmup, ROUNDS);
        size_t col = printf("keys:");
        for (size_t i = 0; i < N_KEYS; i++) {
                if (col + 1 + strlen(bench_keys[i]) > 105)
                        col = printf("\n     ") - 1;
                col += printf(" %s", bench_keys[i]);
        }
        printf("\n");
        print_padded("what", 42);
        printf(" %10s %10s %10s %10s %8s %8s\n", "median", "p99", "mean", "per key", "/floor", "/pread");
        for (size_t j = 0; j < ELEMENTSOF(series); j++) {
                print_padded(series[j].what, 42);
                printf(" %7.2f µs %7.2f µs %7.2f µs %7.3f µs %7.2f× %7.2f×\n", st[j].median, st[j].p99, st[j].mean,
                       st[j].median / (double) N_KEYS, floor->median > 0 ? st[j].median / floor->median : 0,
                       pread_floor->median > 0 ? st[j].median / pread_floor->median : 0);
        }
        printf("target: manager_poll() ≤ 2× the floor (median %.2f µs → ≤ %.2f µs): %s\n", floor->median,
               2 * floor->median, st[0].median <= 2 * floor->median ? "met" : "NOT met");
        if (arg_cold > 0)
                r = run_cold(b, &series[0], &series[2], MIN(arg_cold, n));
out:
        for (size_t j = 0; j < ELEMENTSOF(series); j++)
                free(series[j].samples);
        return r;
}

static int run_cycles(Bench *b, Cycle cycle, size_t count) {
        for (size_t i = 0; i < count; i++) {
                int r = cycle(b);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The other writer of the fight: value written with one write(2) each, like `echo V >/proc/sys/...`. */
static int run_writer(Bench *b) {
        _cleanup_free_ char *value = NULL;
        const char *path = NULL, *reason;
        size_t count, failed = 0;
        int r;

        for (size_t i = 0; i < N_KEYS; i++)
                if (streq(arg_writer_key, bench_keys[i]))
                        path = b->paths[i];
        if (!path) {
                fprintf(stderr, "--writer: %s is not one of the bench keys\n", arg_writer_key);
                return -EINVAL;
        }
        r = sysctl_value_normalize(arg_writer_value, &value, &reason);
        if (r < 0) {
                fprintf(stderr, "--value: %s\n", reason);
                return r;
        }
        if (!(arg_rate > 0 && arg_rate <= 10000 && arg_seconds >= 0 && arg_seconds <= 86400)) {
                fprintf(stderr, "--rate must be in (0, 10000], --seconds in [0, 86400]\n");
                return -EINVAL;
        }

        count = (size_t) (arg_rate * arg_seconds + 0.5);
        uint64_t period = (uint64_t) (1e9 / arg_rate), start = now_ns();
        for (size_t i = 0; i < count; i++) {
                uint64_t at = start + i * period;
                struct timespec ts = {
                        .tv_sec = (time_t) (at / 1000000000u),
                        .tv_nsec = (long) (at % 1000000000u),
                };
                while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
                        ;
                if (sysctl_write(path, value) < 0)
                        failed++;
        }
        printf("# writer: %zu writes of %s=%s in %.2f s, %zu failed\n", count, arg_writer_key, value,
               (double) (now_ns() - start) / 1e9, failed);
        return 0;
}

static void help(void) {
        printf("Usage: bench-poll [OPTIONS]\n\n"
               "Cost of one drift-poll cycle over %zu per-namespace keys next to 20 open/read/close.\n"
               "Runs only outside the initial network namespace (e.g. under `unshare -n`).\n\n"
               "  -n --samples=N        cycles per series (default %zu)\n"
               "     --warmup=N         warm-up cycles per series (default %zu)\n"
               "     --cold=N           then N cycles of poll and floor, each after a pause\n"
               "                        (default %zu; 0: none)\n"
               "     --cold-ms=MS       that pause (default %llu)\n"
               "     --cycles=K         run K polls, print nothing (for callgrind)\n"
               "     --floor-cycles=K   run K floor cycles, print nothing\n"
               "     --pread-cycles=K   run K cycles of 20 pread on kept fds, print nothing\n"
               "     --write-profile=F  write the bench profile (current values) to F\n"
               "     --writer=KEY --value=V [--rate=HZ] [--seconds=S]\n"
               "                        set KEY (a bench key) to V, HZ times a second (100) for S s (60)\n"
               "  -h --help             this text\n",
               N_KEYS, arg_n, arg_warmup, arg_cold, (unsigned long long) arg_cold_ms);
}

static int parse_size(const char *s, size_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v > SIZE_MAX / sizeof(double))
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

static int parse_double(const char *s, double *ret) {
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno != 0 || end == s || *end != '\0')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_WARMUP = 0x100,
                ARG_COLD,
                ARG_COLD_MS,
                ARG_CYCLES,
                ARG_FLOOR_CYCLES,
                ARG_PREAD_CYCLES,
                ARG_WRITE_PROFILE,
                ARG_WRITER,
                ARG_VALUE,
                ARG_RATE,
                ARG_SECONDS,
        };
        static const struct option options[] = {
                { "samples", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, ARG_WARMUP },
                { "cold", required_argument, NULL, ARG_COLD },
                { "cold-ms", required_argument, NULL, ARG_COLD_MS },
                { "cycles", required_argument, NULL, ARG_CYCLES },
                { "floor-cycles", required_argument, NULL, ARG_FLOOR_CYCLES },
                { "pread-cycles", required_argument, NULL, ARG_PREAD_CYCLES },
                { "write-profile", required_argument, NULL, ARG_WRITE_PROFILE },
                { "writer", required_argument, NULL, ARG_WRITER },
                { "value", required_argument, NULL, ARG_VALUE },
                { "rate", required_argument, NULL, ARG_RATE },
                { "seconds", required_argument, NULL, ARG_SECONDS },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c, r = 0;

        while ((c = getopt_long(argc, argv, "hn:", options, NULL)) >= 0) {
                switch (c) {
                case 'n':
                        r = parse_size(optarg, &arg_n);
                        if (r >= 0 && arg_n == 0)
                                r = -EINVAL;
                        break;
                case ARG_WARMUP:
                        r = parse_size(optarg, &arg_warmup);
                        break;
                case ARG_COLD:
                        r = parse_size(optarg, &arg_cold);
                        break;
                case ARG_COLD_MS: {
                        size_t ms;
                        r = parse_size(optarg, &ms);
                        if (r >= 0 && (ms == 0 || ms > 10000))
                                r = -EINVAL;
                        arg_cold_ms = ms;
                        break;
                }
                case ARG_CYCLES:
                case ARG_FLOOR_CYCLES:
                case ARG_PREAD_CYCLES:
                        arg_mode = c == ARG_CYCLES         ? MODE_CYCLES
                                   : c == ARG_FLOOR_CYCLES ? MODE_FLOOR_CYCLES
                                                           : MODE_PREAD_CYCLES;
                        r = parse_size(optarg, &arg_cycles);
                        break;
                case ARG_WRITE_PROFILE:
                        arg_mode = MODE_WRITE_PROFILE;
                        arg_profile_file = optarg;
                        break;
                case ARG_WRITER:
                        arg_mode = MODE_WRITER;
                        arg_writer_key = optarg;
                        break;
                case ARG_VALUE:
                        arg_writer_value = optarg;
                        break;
                case ARG_RATE:
                        r = parse_double(optarg, &arg_rate);
                        break;
                case ARG_SECONDS:
                        r = parse_double(optarg, &arg_seconds);
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
                if (r < 0) {
                        fprintf(stderr, "bench-poll: invalid value \"%s\"\n", optarg);
                        return r;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "bench-poll: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        if (arg_mode == MODE_WRITER && !arg_writer_value) {
                fprintf(stderr, "bench-poll: --writer needs --value\n");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        _cleanup_(bench_done) Bench b = BENCH_NULL;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        /* The keys are real: never in the host's namespace, even though only --writer writes. */
        const char *why;
        if (netns_is_initial(&why)) {
                printf("SKIP: bench-poll runs only in a throwaway network namespace (unshare -n): %s\n", why);
                return EXIT_SKIP;
        }
        /* apply logs one line; keep it out of the host's journal */
        log_set_target(LOG_TARGET_STDERR);

        r = bench_read_keys(&b);
        if (r < 0)
                goto fail;

        switch (arg_mode) {
        case MODE_WRITE_PROFILE:
                r = write_profile(&b, arg_profile_file);
                break;
        case MODE_WRITER:
                r = run_writer(&b);
                break;
        default:
                r = bench_manager_new(&b);
                if (r >= 0)
                        r = bench_open_fds(&b);
                if (r < 0)
                        break;
                switch (arg_mode) {
                case MODE_CYCLES:
                        r = run_cycles(&b, cycle_poll, arg_cycles);
                        break;
                case MODE_FLOOR_CYCLES:
                        r = run_cycles(&b, cycle_floor, arg_cycles);
                        break;
                case MODE_PREAD_CYCLES:
                        r = run_cycles(&b, cycle_pread, arg_cycles);
                        break;
                default:
                        r = run_time(&b);
                }
        }
        if (r >= 0)
                return EXIT_SUCCESS;
fail:
        fprintf(stderr, "bench-poll: %s\n", strerror(-r));
        return EXIT_FAILURE;
}
