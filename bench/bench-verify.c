/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-verify.c - latency figures for wstuned, measured with CLOCK_MONOTONIC. Three modes:
 *   bus    in-process D-Bus round trips with public sd-bus: Verify, and the floors Peer.Ping and one
 *          /proc/sys read (open/read/close, and pread on a kept fd);
 *   exec   a whole command run M times (fork, execvp, waitpid; output to /dev/null);
 *   start  a daemon started M times with NOTIFY_SOCKET: launch → READY=1, then SIGTERM.
 * Each measurement is one tab-separated line for run-bench.sh to tabulate:
 *   what  n  median  p99  mean  unit  [key=value ...]
 * Lines starting with '#' are notes. Figures only: the exit status says whether the measurement ran. */
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "bench-stats.h"
#include "bus-errors.h"
#include "util/util.h"

#define PROC_SYS_PROBE "/proc/sys/net/core/somaxconn"
#define START_TIMEOUT_NS (5 * UINT64_C(1000000000))

typedef enum Mode {
        MODE_BUS,
        MODE_EXEC,
        MODE_START,
        _MODE_MAX,
        _MODE_INVALID = -EINVAL,
} Mode;

static const char *const mode_table[_MODE_MAX] = {
        [MODE_BUS] = "bus",
        [MODE_EXEC] = "exec",
        [MODE_START] = "start",
};

DEFINE_TRIVIAL_CLEANUP_FUNC(FILE *, fclose);

static size_t arg_n = 0; /* 0: the mode's default */
static size_t arg_warmup = SIZE_MAX;
static const char *arg_name = NULL;
static pid_t arg_daemon_pid = 0;

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
}


static void print_row(const char *what, size_t n, const Stats *s, const char *unit, const char *extra) {
        printf("%s\t%zu\t%.2f\t%.2f\t%.2f\t%s%s%s\n", what, n, s->median, s->p99, s->mean, unit,
               extra ? "\t" : "", strempty(extra));
        fflush(stdout);
}

/* CPU time a process has spent, in ns (first field of schedstat), or 0 when unknown. */
static uint64_t cpu_ns(pid_t pid) {
        char path[64], buf[128];
        _cleanup_close_ int fd = -1;
        ssize_t k;

        if (pid <= 0)
                return 0;
        snprintf(path, sizeof path, "/proc/%d/schedstat", (int) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        k = read(fd, buf, sizeof buf - 1);
        if (k <= 0)
                return 0;
        buf[k] = '\0';
        return strtoull(buf, NULL, 10);
}

/* One sample of what is being measured; returns negative errno on failure. */
typedef int (*Probe)(void *userdata);

typedef struct Series {
        const char *what;
        Probe probe;
        void *userdata;
        pid_t daemon_pid; /* > 0: the process that answers, whose CPU time is accounted */
        double *samples;  /* µs */
        size_t n;
        uint64_t daemon_cpu_ns;
} Series;

#define ROUNDS 10

static int series_run(Series *s, size_t count) {
        uint64_t cpu0 = cpu_ns(s->daemon_pid);

        for (size_t i = 0; i < count; i++) {
                uint64_t t0 = now_ns();
                int r = s->probe(s->userdata);
                uint64_t t1 = now_ns();
                if (r < 0)
                        return r;
                s->samples[s->n++] = (double) (t1 - t0) / 1e3;
        }
        uint64_t cpu1 = cpu_ns(s->daemon_pid);
        if (cpu0 > 0 && cpu1 >= cpu0)
                s->daemon_cpu_ns += cpu1 - cpu0;
        return 0;
}

/* Warm every series up, then take n samples of each in ROUNDS rounds of one block per series, and
 * print one row per series. Rounds put a slow phase of the machine (another process, a frequency
 * change) on every series alike, so the difference between series (Verify over Ping) holds. The
 * daemon's CPU time per call splits a round trip into the daemon's work and everything else (broker,
 * scheduling, client); within a block it is exact up to the block's ends. */
static int measure(Series *series, size_t n_series, size_t n, size_t warmup) {
        int r = 0;

        for (size_t j = 0; j < n_series; j++) {
                series[j].samples = calloc(n, sizeof(double));
                if (!series[j].samples) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t i = 0; i < warmup; i++)
                        if ((r = series[j].probe(series[j].userdata)) < 0)
                                goto out;
        }
        for (size_t round = 0; round < ROUNDS; round++)
                for (size_t j = 0; j < n_series; j++)
                        if ((r = series_run(&series[j], n * (round + 1) / ROUNDS - n * round / ROUNDS)) < 0)
                                goto out;

        for (size_t j = 0; j < n_series; j++) {
                char extra[64];
                Stats st = stats_compute(series[j].samples, n);
                if (series[j].daemon_pid > 0)
                        snprintf(extra, sizeof extra, "daemon_cpu_us=%.2f",
                                 (double) series[j].daemon_cpu_ns / 1e3 / (double) n);
                print_row(series[j].what, n, &st, "us", series[j].daemon_pid > 0 ? extra : NULL);
        }
out:
        for (size_t j = 0; j < n_series; j++)
                free(series[j].samples);
        return r;
}

typedef struct VerifyProbe {
        sd_bus *bus;
        int ok;            /* of the last call */
        size_t n_findings; /* of the last call */
} VerifyProbe;

/* A Verify call as a client makes it: call, then read the whole reply. */
static int probe_verify(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        VerifyProbe *v = userdata;
        const char *item, *expected, *actual, *verdict;
        int r;

        r = sd_bus_call_method(v->bus, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, "Verify",
                               &error, &reply, NULL);
        if (r < 0) {
                fprintf(stderr, "Verify failed: %s\n", error.message ?: strerror(-r));
                return r;
        }
        v->n_findings = 0;
        r = sd_bus_message_read(reply, "b", &v->ok);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(ssss)");
        while (r >= 0 && (r = sd_bus_message_read(reply, "(ssss)", &item, &expected, &actual, &verdict)) > 0)
                v->n_findings++;
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                fprintf(stderr, "Cannot parse the Verify reply: %s\n", strerror(-r));
                return r;
        }
        return 0;
}

static int probe_ping(void *userdata) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(userdata, WSTUNED_BUS_NAME, "/", "org.freedesktop.DBus.Peer", "Ping", &error,
                               &reply, NULL);
        if (r < 0)
                fprintf(stderr, "Ping failed: %s\n", error.message ?: strerror(-r));
        return r;
}

/* What every sysctl(8) and a daemon without cached fds do per key. */
static int probe_proc_sys_read(void *userdata) {
        _cleanup_close_ int fd = -1;
        char buf[64];

        fd = open(PROC_SYS_PROBE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        if (read(fd, buf, sizeof buf) < 0)
                return -errno;
        return 0;
}

static int probe_proc_sys_pread(void *userdata) {
        char buf[64];

        if (pread(*(int *) userdata, buf, sizeof buf, 0) < 0)
                return -errno;
        return 0;
}

static int run_bus(void) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_close_ int fd = -1;
        VerifyProbe verify = {};
        size_t n = arg_n ?: 2000, warmup = arg_warmup != SIZE_MAX ? arg_warmup : 200;
        int r;

        /* Honours DBUS_SYSTEM_BUS_ADDRESS, so the sandbox's private bus is used. */
        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "Cannot connect to the system bus: %s\n", strerror(-r));
                return r;
        }
        verify.bus = bus;

        r = probe_verify(&verify);
        if (r < 0)
                return r;
        printf("# Verify: ok=%s, %zu findings\n", verify.ok ? "true" : "false", verify.n_findings);

        fd = open(PROC_SYS_PROBE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;

        pid_t daemon = arg_daemon_pid;
        Series series[] = {
                { .what = "verify", .probe = probe_verify, .userdata = &verify, .daemon_pid = daemon },
                { .what = "ping", .probe = probe_ping, .userdata = bus, .daemon_pid = daemon },
                { .what = "procsys-read", .probe = probe_proc_sys_read },
                { .what = "procsys-pread", .probe = probe_proc_sys_pread, .userdata = &fd },
        };
        return measure(series, ELEMENTSOF(series), n, warmup);
}

static int wait_child(pid_t pid, int *ret_status) {
        while (waitpid(pid, ret_status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return 0;
}

/* Exit status as a shell reports it: the code, or 128 + the signal. */
static int status_code(int status) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static pid_t spawn(char *const argv[], int out_fd, int err_fd) {
        pid_t pid = fork();
        if (pid != 0)
                return pid < 0 ? -errno : pid;
        if (dup2(out_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
            dup2(err_fd, STDERR_FILENO) < 0)
                _exit(127);
        execvp(argv[0], argv);
        _exit(127);
}

static int run_exec(char *const argv[]) {
        _cleanup_free_ double *samples = NULL;
        _cleanup_close_ int devnull = -1;
        size_t n = arg_n ?: 300, warmup = arg_warmup != SIZE_MAX ? arg_warmup : 5, failed = 0;
        int status, first_code, r;
        char extra[64];

        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        samples = calloc(n, sizeof(double));
        if (devnull < 0 || !samples)
                return devnull < 0 ? -errno : -ENOMEM;

        /* One untimed run that may speak on stderr, so a broken command is seen, not timed. */
        pid_t pid = spawn(argv, devnull, STDERR_FILENO);
        if (pid < 0 || (r = wait_child(pid, &status)) < 0)
                return pid < 0 ? pid : r;
        first_code = status_code(status);
        if (first_code == 127) {
                fprintf(stderr, "Cannot run %s\n", argv[0]);
                return -ENOENT;
        }

        for (size_t i = 0; i < warmup + n; i++) {
                uint64_t t0 = now_ns();
                pid = spawn(argv, devnull, devnull);
                if (pid < 0)
                        return pid;
                if ((r = wait_child(pid, &status)) < 0)
                        return r;
                uint64_t t1 = now_ns();
                if (i < warmup)
                        continue;
                samples[i - warmup] = (double) (t1 - t0) / 1e6;
                if (status_code(status) != first_code)
                        failed++;
        }

        snprintf(extra, sizeof extra, "exit=%d\tother_exit=%zu", first_code, failed);
        Stats s = stats_compute(samples, n);
        print_row(arg_name ?: argv[0], n, &s, "ms", extra);
        return 0;
}

static long rss_kb(pid_t pid) {
        char path[64], line[128];
        long kb = -1;

        snprintf(path, sizeof path, "/proc/%d/status", (int) pid);
        _cleanup_(fclosep) FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        while (fgets(line, sizeof line, f))
                if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
                        break;
        return kb;
}

/* Whether a datagram of sd_notify(3) says READY=1 (newline-separated assignments). */
static bool notify_says_ready(char *msg) {
        for (char *line = strtok(msg, "\n"); line; line = strtok(NULL, "\n"))
                if (streq(line, "READY=1"))
                        return true;
        return false;
}

/* Wait for READY=1 from pid on fd. Returns 0, -ETIMEDOUT, or -ECHILD when the daemon exited first. */
static int wait_ready(int fd, pid_t pid, int *ret_status) {
        uint64_t deadline = now_ns() + START_TIMEOUT_NS;
        char buf[4096];

        for (;;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r = poll(&p, 1, 100);
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r > 0) {
                        ssize_t k = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
                        if (k < 0 && errno != EAGAIN && errno != EINTR)
                                return -errno;
                        if (k > 0) {
                                buf[k] = '\0';
                                if (notify_says_ready(buf))
                                        return 0;
                        }
                        continue;
                }
                if (waitpid(pid, ret_status, WNOHANG) == pid)
                        return -ECHILD;
                if (now_ns() > deadline)
                        return -ETIMEDOUT;
        }
}

static void drain(int fd) {
        char buf[4096];
        while (recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
                ;
}

/* Start the daemon once: time from fork until it sends READY=1, its RSS at that point, then stop it
 * with SIGTERM, which must end it with status 0. */
static int start_once(char *const argv[], int notify_fd, int devnull, double *ret_ms, double *ret_rss_kb) {
        int status = 0, r;

        drain(notify_fd);
        uint64_t t0 = now_ns();
        pid_t pid = spawn(argv, devnull, STDERR_FILENO);
        if (pid < 0)
                return pid;
        r = wait_ready(notify_fd, pid, &status);
        uint64_t t1 = now_ns();
        if (r == -ECHILD) {
                fprintf(stderr, "%s exited with status %d before READY=1\n", argv[0], status_code(status));
                return r;
        }
        if (r < 0) {
                kill(pid, SIGKILL);
                (void) wait_child(pid, &status);
                return r;
        }
        *ret_ms = (double) (t1 - t0) / 1e6;
        *ret_rss_kb = (double) rss_kb(pid);

        kill(pid, SIGTERM);
        r = wait_child(pid, &status);
        if (r < 0)
                return r;
        if (status_code(status) != 0) {
                fprintf(stderr, "%s stopped with status %d on SIGTERM\n", argv[0], status_code(status));
                return -EPROTO;
        }
        return 0;
}

/* Start the daemon n times. wstuned sends READY=1 after its RequestName call returned, so this is
 * also launch → bus name. The daemon's stderr stays visible. */
static int run_start(char *const argv[]) {
        _cleanup_free_ double *samples = NULL, *rss = NULL;
        _cleanup_close_ int fd = -1, devnull = -1;
        char dir[] = "/tmp/bench-notify.XXXXXX", extra[64];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = arg_n ?: 30, warmup = arg_warmup != SIZE_MAX ? arg_warmup : 0;
        int r = 0;

        samples = calloc(n, sizeof(double));
        rss = calloc(n, sizeof(double));
        devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (!samples || !rss || devnull < 0)
                return devnull < 0 ? -errno : -ENOMEM;
        if (!mkdtemp(dir))
                return -errno;
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/notify", dir);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0 ||
            setenv("NOTIFY_SOCKET", sa.sun_path, 1) < 0)
                r = -errno;
        for (size_t i = 0; r >= 0 && i < warmup; i++)
                r = start_once(argv, fd, devnull, &samples[0], &rss[0]);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = start_once(argv, fd, devnull, &samples[i], &rss[i]);
        (void) unlink(sa.sun_path);
        (void) rmdir(dir);
        if (r < 0)
                return r;

        double first = samples[0];
        Stats rss_stats = stats_compute(rss, n);
        snprintf(extra, sizeof extra, "rss_kb=%.0f\tfirst_ms=%.2f", rss_stats.median, first);
        Stats s = stats_compute(samples, n);
        print_row(arg_name ?: "start", n, &s, "ms", extra);
        return 0;
}

static void help(void) {
        printf("Usage: bench-verify [OPTIONS] bus\n"
               "       bench-verify [OPTIONS] exec|start [--] COMMAND [ARGS...]\n\n"
               "Latency figures for wstuned (median, p99, mean), one tab-separated line each.\n\n"
               "  bus    Verify and Peer.Ping round trips to %s, /proc/sys reads (µs)\n"
               "  exec   run COMMAND repeatedly, output to /dev/null (ms)\n"
               "  start  start the daemon COMMAND with NOTIFY_SOCKET until READY=1, then SIGTERM (ms)\n\n"
               "  -n --count=N        samples (default: bus 2000, exec 300, start 30)\n"
               "  -w --warmup=N       untimed runs first (default: bus 200, exec 5, start 0)\n"
               "     --name=NAME      first column of the output line (exec, start)\n"
               "     --daemon-pid=PID also report the daemon's CPU time per call (bus)\n"
               "  -h --help           this text\n",
               WSTUNED_BUS_NAME);
}

static int parse_size(const char *s, size_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v > 10000000)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

static int parse_argv(int argc, char *argv[], Mode *ret_mode) {
        enum { ARG_NAME = 0x100, ARG_DAEMON_PID };
        static const struct option options[] = {
                { "count", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, 'w' },
                { "name", required_argument, NULL, ARG_NAME },
                { "daemon-pid", required_argument, NULL, ARG_DAEMON_PID },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        size_t v;
        int c;

        /* '+': stop at the mode, so the command's own options stay its own. */
        while ((c = getopt_long(argc, argv, "+hn:w:", options, NULL)) >= 0)
                switch (c) {
                case 'n':
                        if (parse_size(optarg, &arg_n) < 0 || arg_n == 0) {
                                fprintf(stderr, "bench-verify: --count: \"%s\" is not a count 1-10000000\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_size(optarg, &arg_warmup) < 0) {
                                fprintf(stderr, "bench-verify: --warmup: \"%s\" is not a count\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_NAME:
                        arg_name = optarg;
                        break;
                case ARG_DAEMON_PID:
                        if (parse_size(optarg, &v) < 0 || v == 0) {
                                fprintf(stderr, "bench-verify: --daemon-pid: \"%s\" is not a pid\n", optarg);
                                return -EINVAL;
                        }
                        arg_daemon_pid = (pid_t) v;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }

        if (optind >= argc) {
                fprintf(stderr, "bench-verify: no mode given (bus, exec, start)\n");
                return -EINVAL;
        }
        *ret_mode = _MODE_INVALID;
        for (Mode m = 0; m < _MODE_MAX; m++)
                if (streq(argv[optind], mode_table[m]))
                        *ret_mode = m;
        if (*ret_mode < 0) {
                fprintf(stderr, "bench-verify: unknown mode \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        optind++;
        if (optind < argc && streq(argv[optind], "--"))
                optind++;
        if ((*ret_mode == MODE_BUS) != (optind >= argc)) {
                fprintf(stderr, "bench-verify: %s\n",
                        *ret_mode == MODE_BUS ? "bus takes no command" : "no command given");
                return -EINVAL;
        }
        return 1;
}

int main(int argc, char *argv[]) {
        Mode mode;
        int r;

        r = parse_argv(argc, argv, &mode);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        switch (mode) {
        case MODE_BUS:
                r = run_bus();
                break;
        case MODE_EXEC:
                r = run_exec(argv + optind);
                break;
        case MODE_START:
                r = run_start(argv + optind);
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0) {
                fprintf(stderr, "bench-verify %s: %s\n", mode_table[mode], strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
