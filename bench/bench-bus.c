/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-bus.c - bus load on wstuned: C client processes (fork) at once, each making N calls with a fixed
 * mix over its own sd-bus connection to the system bus (DBUS_SYSTEM_BUS_ADDRESS: the sandbox's private
 * bus), timing every call from send to reply with CLOCK_MONOTONIC. run-bus-bench.sh runs it.
 *
 * Mixes, each a fixed pattern of 20 calls that every client walks from its own offset:
 *   mixed   8 Get of the keys given (40 %), 4 Verify (20 %), 4 Properties.Get of State, ActiveProfile,
 *           Pressure, PendingKeys and 2 Properties.GetAll (30 %), 2 Apply of "ws-server" (10 %), which
 *           must be refused: the program refuses to run it as root, so every Apply is an unprivileged
 *           caller's (AccessDenied without polkit on the bus);
 *   ping    org.freedesktop.DBus.Peer.Ping on the daemon: the floor of a call through the broker to
 *           the daemon and back, with no work in the daemon;
 *   broker  org.freedesktop.DBus.GetId on the broker itself: one hop, no daemon.
 * Calls are pipelined (sd_bus_call_async, --window calls in flight per client) or, with --window=0,
 * synchronous (sd_bus_call: one in flight, as wstunectl and busctl make them).
 *
 * Each client first makes --warmup untimed calls, then all wait for one another and start together.
 * Output, tab-separated, for run-bus-bench.sh:
 *   total  CALLS  WALL_S  CALLS_PER_S  [daemon_cpu_us=  broker_cpu_us=]   (CPU per call, schedstat)
 *   kind   KIND  N  MEDIAN_US  P90_US  P99_US  MEAN_US      (KIND: each call kind, and "all")
 *   error  NAME  COUNT                                       (every error reply, by name)
 * Lines starting with '#' are notes. Figures only: the exit status says whether the load ran (errors
 * in replies are counted, not failures). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "bench-stats.h"
#include "bus-errors.h"
#include "util/util.h"

#define PATTERN_LEN 20
#define ERROR_NAMES_MAX 8
#define ERROR_NAME_LEN 128
#define CLIENTS_MAX 64
#define WINDOW_MAX 256
#define CALL_TIMEOUT_USEC (30 * UINT64_C(1000000))

typedef enum CallKind {
        CALL_GET,
        CALL_VERIFY,
        CALL_PROPERTY,
        CALL_GETALL,
        CALL_APPLY,
        CALL_PING,
        CALL_BROKER,
        _CALL_KIND_MAX,
        _CALL_KIND_INVALID = -EINVAL,
} CallKind;

static const char *const call_kind_table[_CALL_KIND_MAX] = {
        [CALL_GET] = "get",           [CALL_VERIFY] = "verify", [CALL_PROPERTY] = "property",
        [CALL_GETALL] = "getall",     [CALL_APPLY] = "apply",   [CALL_PING] = "ping",
        [CALL_BROKER] = "broker",
};


#define G CALL_GET
#define V CALL_VERIFY
#define P CALL_PROPERTY
#define A CALL_GETALL
#define X CALL_APPLY
/* 8 Get, 4 Verify, 4 property, 2 GetAll, 2 Apply: spread out, so a window holds a bit of everything. */
static const CallKind pattern_mixed[PATTERN_LEN] = { G, V, P, G, X, G, P, V, G, A, G, P, V, G, X, G, P, V, G, A };
#undef G
#undef V
#undef P
#undef A
#undef X

static const char *const properties[] = { "State", "ActiveProfile", "Pressure", "PendingKeys" };

/* What one client leaves for the parent, in memory shared across fork(). */
typedef struct ClientResult {
        uint64_t start_ns, end_ns;
        size_t n_error_names, errors_unnamed;
        char error_names[ERROR_NAMES_MAX][ERROR_NAME_LEN];
        size_t error_counts[ERROR_NAMES_MAX];
        size_t errors_other; /* names beyond ERROR_NAMES_MAX */
} ClientResult;

typedef struct Shared {
        ClientResult clients[CLIENTS_MAX];
        /* then, per client, n latencies (µs) and n kinds */
} Shared;

typedef struct Client {
        sd_bus *bus;
        size_t index, n, next, done, in_flight;
        bool timed;
        double *latency_us;
        uint8_t *kinds;
        ClientResult *result;
        unsigned property;
        int error; /* a failure of the connection, not an error reply */
} Client;

typedef struct Pending {
        Client *client;
        uint64_t sent_ns;
        size_t index;
        CallKind kind;
} Pending;

static size_t arg_clients = 4;
static size_t arg_n = 25000;
static size_t arg_warmup = 500;
static size_t arg_window = 8;
static const char *arg_mix = "mixed";
static CallKind arg_pattern[PATTERN_LEN]; /* set from the mix in parse_argv() */
static pid_t arg_daemon_pid = 0, arg_broker_pid = 0;
static char **arg_keys = NULL; /* points into argv */

static uint64_t now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000000) + (uint64_t) ts.tv_nsec;
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

static int new_call(Client *c, CallKind kind, sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        switch (kind) {
        case CALL_GET:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   WSTUNED_BUS_INTERFACE, "Get");
                if (r >= 0)
                        r = sd_bus_message_append_strv(m, arg_keys);
                break;
        case CALL_VERIFY:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   WSTUNED_BUS_INTERFACE, "Verify");
                break;
        case CALL_PROPERTY:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   "org.freedesktop.DBus.Properties", "Get");
                if (r >= 0)
                        r = sd_bus_message_append(m, "ss", WSTUNED_BUS_INTERFACE,
                                                  properties[c->property++ % ELEMENTSOF(properties)]);
                break;
        case CALL_GETALL:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   "org.freedesktop.DBus.Properties", "GetAll");
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", WSTUNED_BUS_INTERFACE);
                break;
        case CALL_APPLY:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   WSTUNED_BUS_INTERFACE, "Apply");
                if (r >= 0)
                        r = sd_bus_message_append(m, "st", "ws-server", UINT64_C(0));
                break;
        case CALL_PING:
                r = sd_bus_message_new_method_call(c->bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                                   "org.freedesktop.DBus.Peer", "Ping");
                break;
        case CALL_BROKER:
                r = sd_bus_message_new_method_call(c->bus, &m, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                   "org.freedesktop.DBus", "GetId");
                break;
        default:
                r = -EINVAL;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

static void count_error(ClientResult *res, const sd_bus_error *e) {
        if (!e || !e->name) {
                res->errors_unnamed++;
                return;
        }
        for (size_t i = 0; i < res->n_error_names; i++)
                if (streq(res->error_names[i], e->name)) {
                        res->error_counts[i]++;
                        return;
                }
        if (res->n_error_names >= ERROR_NAMES_MAX) {
                res->errors_other++;
                return;
        }
        snprintf(res->error_names[res->n_error_names], ERROR_NAME_LEN, "%s", e->name);
        res->error_counts[res->n_error_names++] = 1;
}

static void record(Client *c, size_t index, CallKind kind, uint64_t sent_ns, const sd_bus_error *e) {
        uint64_t t = now_ns();

        c->done++;
        if (!c->timed)
                return;
        c->latency_us[index] = (double) (t - sent_ns) / 1e3;
        c->kinds[index] = (uint8_t) kind;
        if (e)
                count_error(c->result, e);
}

static int on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        Client *c = p->client;

        record(c, p->index, p->kind, p->sent_ns,
               sd_bus_message_is_method_error(reply, NULL) ? sd_bus_message_get_error(reply) : NULL);
        c->in_flight--;
        p->client = NULL; /* free for the next call */
        return 0;
}

static CallKind next_kind(Client *c) {
        return arg_pattern[(c->next + c->index * 5) % PATTERN_LEN];
}

/* n calls, at most `window` in flight, replies handled as they come. */
static int run_pipelined(Client *c, size_t n, Pending *pending) {
        int r;

        c->next = c->done = c->in_flight = 0;
        c->n = n;
        while (c->done < n) {
                while (c->in_flight < arg_window && c->next < n) {
                        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
                        Pending *p = NULL;

                        for (size_t i = 0; i < arg_window && !p; i++)
                                if (!pending[i].client)
                                        p = &pending[i];
                        if (!p)
                                return -EPROTO;
                        *p = (Pending) { .client = c, .index = c->next, .kind = next_kind(c) };
                        r = new_call(c, p->kind, &m);
                        if (r < 0)
                                return r;
                        p->sent_ns = now_ns();
                        r = sd_bus_call_async(c->bus, NULL, m, on_reply, p, CALL_TIMEOUT_USEC);
                        if (r < 0)
                                return r;
                        c->next++;
                        c->in_flight++;
                }
                r = sd_bus_process(c->bus, NULL);
                if (r < 0)
                        return r;
                if (r > 0)
                        continue;
                r = sd_bus_wait(c->bus, UINT64_MAX);
                if (r < 0 && r != -EINTR)
                        return r;
        }
        return 0;
}

/* n calls, each waiting for its reply. */
static int run_synchronous(Client *c, size_t n) {
        int r;

        c->done = 0;
        for (c->next = 0; c->next < n; c->next++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
                _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
                CallKind kind = next_kind(c);

                r = new_call(c, kind, &m);
                if (r < 0)
                        return r;
                uint64_t t0 = now_ns();
                r = sd_bus_call(c->bus, m, CALL_TIMEOUT_USEC, &error, &reply);
                if (r < 0 && !sd_bus_error_is_set(&error))
                        return r; /* the connection failed, not the call */
                record(c, c->next, kind, t0, r < 0 ? &error : NULL);
        }
        return 0;
}

static int run_calls(Client *c, size_t n, Pending *pending) {
        return arg_window > 0 ? run_pipelined(c, n, pending) : run_synchronous(c, n);
}

/* One client process: connect, warm up, tell the parent, wait for the start, run, leave the figures. */
static int client_main(Client *c, int ready_fd, int go_fd) {
        _cleanup_free_ Pending *pending = NULL;
        char byte = 0;
        int r;

        pending = calloc(arg_window ?: 1, sizeof(Pending));
        if (!pending)
                return -ENOMEM;
        /* Honours DBUS_SYSTEM_BUS_ADDRESS, so the sandbox's private bus is used. */
        r = sd_bus_open_system(&c->bus);
        if (r < 0) {
                fprintf(stderr, "client %zu: cannot connect to the system bus: %s\n", c->index, strerror(-r));
                return r;
        }
        c->timed = false;
        r = run_calls(c, arg_warmup, pending);
        if (r < 0) {
                fprintf(stderr, "client %zu: warm-up failed: %s\n", c->index, strerror(-r));
                return r;
        }
        if (write(ready_fd, &byte, 1) != 1)
                return -errno;
        close(ready_fd); /* so the parent sees the end of the pipe once every client is ready or gone */
        while (read(go_fd, &byte, 1) < 0)
                if (errno != EINTR)
                        return -errno;

        c->timed = true;
        c->result->start_ns = now_ns();
        r = run_calls(c, arg_n, pending);
        c->result->end_ns = now_ns();
        if (r < 0)
                fprintf(stderr, "client %zu: load failed after %zu calls: %s\n", c->index, c->done, strerror(-r));
        c->bus = sd_bus_flush_close_unref(c->bus);
        return r;
}

static void print_kind(const char *what, double *v, size_t n) {
        if (n == 0)
                return;
        Stats s = stats_compute(v, n);
        printf("kind\t%s\t%zu\t%.1f\t%.1f\t%.1f\t%.1f\n", what, n, s.median, s.p90, s.p99, s.mean);
}

/* Latencies by kind and overall, and every error reply by name, over all clients. */
static int report(const Shared *shared, const double *latency_us, const uint8_t *kinds, uint64_t daemon_cpu,
                  uint64_t broker_cpu) {
        size_t total = arg_clients * arg_n, other = 0, unnamed = 0;
        uint64_t start = UINT64_MAX, end = 0;
        _cleanup_free_ double *all = NULL, *one = NULL;

        all = memdup(latency_us, total * sizeof(double));
        one = calloc(total ?: 1, sizeof(double));
        if (!all || !one)
                return -ENOMEM;
        for (size_t i = 0; i < arg_clients; i++) {
                start = MIN(start, shared->clients[i].start_ns);
                end = MAX(end, shared->clients[i].end_ns);
        }
        double wall = (double) (end - start) / 1e9;
        printf("total\t%zu\t%.3f\t%.0f", total, wall, wall > 0 ? (double) total / wall : 0.0);
        if (arg_daemon_pid > 0)
                printf("\tdaemon_cpu_us=%.2f", (double) daemon_cpu / 1e3 / (double) total);
        if (arg_broker_pid > 0)
                printf("\tbroker_cpu_us=%.2f", (double) broker_cpu / 1e3 / (double) total);
        printf("\n");

        for (CallKind k = 0; k < _CALL_KIND_MAX; k++) {
                size_t n = 0;
                for (size_t i = 0; i < total; i++)
                        if (kinds[i] == k)
                                one[n++] = latency_us[i];
                print_kind(call_kind_table[k], one, n);
        }
        print_kind("all", all, total);

        /* The same name may be in several clients' tables. */
        for (size_t i = 0; i < arg_clients; i++) {
                const ClientResult *c = &shared->clients[i];
                for (size_t j = 0; j < c->n_error_names; j++) {
                        bool seen = false;
                        for (size_t h = 0; h < i && !seen; h++)
                                for (size_t e = 0; e < shared->clients[h].n_error_names; e++)
                                        seen = seen || streq(shared->clients[h].error_names[e], c->error_names[j]);
                        if (seen)
                                continue;
                        size_t count = 0;
                        for (size_t h = i; h < arg_clients; h++)
                                for (size_t e = 0; e < shared->clients[h].n_error_names; e++)
                                        if (streq(shared->clients[h].error_names[e], c->error_names[j]))
                                                count += shared->clients[h].error_counts[e];
                        printf("error\t%s\t%zu\n", c->error_names[j], count);
                }
                other += c->errors_other;
                unnamed += c->errors_unnamed;
        }
        if (other > 0)
                printf("error\t(more names)\t%zu\n", other);
        if (unnamed > 0)
                printf("error\t(no name)\t%zu\n", unnamed);
        fflush(stdout);
        return 0;
}

static int run(void) {
        size_t total = arg_clients * arg_n;
        size_t size = sizeof(Shared) + total * (sizeof(double) + 1);
        pid_t pids[CLIENTS_MAX] = {};
        int ready[2] = { -1, -1 }, go[2] = { -1, -1 }, r = 0;
        char byte;

        for (size_t i = 0; i < PATTERN_LEN; i++)
                if (arg_pattern[i] == CALL_APPLY && geteuid() == 0) {
                        fprintf(stderr, "bench-bus: the %s mix makes Apply calls, which must be refused: run it as "
                                        "an unprivileged user (setpriv --reuid=nobody ...)\n",
                                arg_mix);
                        return -EPERM;
                }

        Shared *shared = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (shared == MAP_FAILED)
                return -errno;
        double *latency_us = (double *) (shared + 1);
        uint8_t *kinds = (uint8_t *) (latency_us + total);
        memset(kinds, 0xff, total);

        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
                r = -errno;
                goto finish;
        }
        printf("# %s mix, %zu clients x %zu calls (%zu untimed first), %s\n", arg_mix, arg_clients, arg_n,
               arg_warmup, arg_window > 0 ? "pipelined" : "synchronous");
        fflush(stdout);

        for (size_t i = 0; i < arg_clients; i++) {
                pids[i] = fork();
                if (pids[i] < 0) {
                        r = -errno;
                        goto finish;
                }
                if (pids[i] == 0) {
                        Client c = {
                                .index = i,
                                .latency_us = latency_us + i * arg_n,
                                .kinds = kinds + i * arg_n,
                                .result = &shared->clients[i],
                        };
                        close(ready[0]);
                        close(go[1]);
                        _exit(client_main(&c, ready[1], go[0]) < 0 ? EXIT_FAILURE : EXIT_SUCCESS);
                }
        }
        close(ready[1]);
        close(go[0]);
        ready[1] = go[0] = -1;

        /* Every client connected and warmed up: start them together. A client that failed closes its end
         * early, and the count comes up short. */
        size_t n_ready = 0;
        while (n_ready < arg_clients) {
                ssize_t k = read(ready[0], &byte, 1);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k <= 0)
                        break;
                n_ready++;
        }
        uint64_t daemon_cpu = cpu_ns(arg_daemon_pid), broker_cpu = cpu_ns(arg_broker_pid);
        close(go[1]);
        go[1] = -1;

        size_t failed = 0;
        for (size_t i = 0; i < arg_clients; i++) {
                int status;
                while (waitpid(pids[i], &status, 0) < 0)
                        if (errno != EINTR) {
                                r = -errno;
                                goto finish;
                        }
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        failed++;
        }
        daemon_cpu = cpu_ns(arg_daemon_pid) - daemon_cpu;
        broker_cpu = cpu_ns(arg_broker_pid) - broker_cpu;
        if (failed > 0) {
                fprintf(stderr, "bench-bus: %zu of %zu clients failed\n", failed, arg_clients);
                r = -EPROTO;
                goto finish;
        }
        for (size_t i = 0; i < total; i++)
                if (kinds[i] >= _CALL_KIND_MAX) {
                        fprintf(stderr, "bench-bus: call %zu has no reply recorded\n", i);
                        r = -EPROTO;
                        goto finish;
                }
        r = report(shared, latency_us, kinds, daemon_cpu, broker_cpu);
finish:
        for (size_t i = 0; i < 2; i++) {
                if (ready[i] >= 0)
                        close(ready[i]);
                if (go[i] >= 0)
                        close(go[i]);
        }
        munmap(shared, size);
        return r;
}

static void help(void) {
        printf("Usage: bench-bus [OPTIONS] [KEY...]\n\n"
               "Bus load on %s: concurrent client processes making calls with a fixed mix;\n"
               "throughput, latency per call kind (µs) and error replies by name, tab-separated.\n"
               "KEY...: the keys each Get asks for (none: every key of the active profile).\n\n"
               "  -c --clients=N       client processes (default 4, at most %u)\n"
               "  -n --count=N         timed calls per client (default 25000)\n"
               "  -w --warmup=N        untimed calls per client first (default 500)\n"
               "  -W --window=N        calls in flight per client (default 8, at most %u);\n"
               "                       0: synchronous calls\n"
               "  -m --mix=MIX         mixed (default: Get, Verify, properties, Apply), or one kind\n"
               "                       alone: get, verify, property, getall, apply, ping, broker\n"
               "     --daemon-pid=PID  also report the daemon's CPU time per call\n"
               "     --broker-pid=PID  also report the broker's CPU time per call\n"
               "  -h --help            this text\n",
               WSTUNED_BUS_NAME, CLIENTS_MAX, WINDOW_MAX);
}

static int parse_size(const char *s, size_t max, size_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v > max)
                return -EINVAL;
        *ret = (size_t) v;
        return 0;
}

/* "mixed", or one call kind alone. */
static int mix_parse(const char *s) {
        if (streq(s, "mixed")) {
                memcpy(arg_pattern, pattern_mixed, sizeof arg_pattern);
                arg_mix = s;
                return 0;
        }
        for (CallKind k = 0; k < _CALL_KIND_MAX; k++)
                if (streq(s, call_kind_table[k])) {
                        for (size_t i = 0; i < PATTERN_LEN; i++)
                                arg_pattern[i] = k;
                        arg_mix = s;
                        return 0;
                }
        return -EINVAL;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_DAEMON_PID = 0x100, ARG_BROKER_PID };
        static const struct option options[] = {
                { "clients", required_argument, NULL, 'c' },
                { "count", required_argument, NULL, 'n' },
                { "warmup", required_argument, NULL, 'w' },
                { "window", required_argument, NULL, 'W' },
                { "mix", required_argument, NULL, 'm' },
                { "daemon-pid", required_argument, NULL, ARG_DAEMON_PID },
                { "broker-pid", required_argument, NULL, ARG_BROKER_PID },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        size_t v;
        int c;

        memcpy(arg_pattern, pattern_mixed, sizeof arg_pattern);
        while ((c = getopt_long(argc, argv, "hc:n:w:W:m:", options, NULL)) >= 0)
                switch (c) {
                case 'c':
                        if (parse_size(optarg, CLIENTS_MAX, &arg_clients) < 0 || arg_clients == 0) {
                                fprintf(stderr, "bench-bus: --clients: \"%s\" is not 1-%u\n", optarg, CLIENTS_MAX);
                                return -EINVAL;
                        }
                        break;
                case 'n':
                        if (parse_size(optarg, 10000000, &arg_n) < 0 || arg_n == 0) {
                                fprintf(stderr, "bench-bus: --count: \"%s\" is not 1-10000000\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'w':
                        if (parse_size(optarg, 10000000, &arg_warmup) < 0) {
                                fprintf(stderr, "bench-bus: --warmup: \"%s\" is not a count\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case 'W':
                        if (parse_size(optarg, WINDOW_MAX, &arg_window) < 0) {
                                fprintf(stderr, "bench-bus: --window: \"%s\" is not 0-%u\n", optarg, WINDOW_MAX);
                                return -EINVAL;
                        }
                        break;
                case 'm':
                        if (mix_parse(optarg) < 0) {
                                fprintf(stderr, "bench-bus: --mix: \"%s\" is not mixed or a call kind\n", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_DAEMON_PID:
                case ARG_BROKER_PID:
                        if (parse_size(optarg, INT32_MAX, &v) < 0 || v == 0) {
                                fprintf(stderr, "bench-bus: \"%s\" is not a pid\n", optarg);
                                return -EINVAL;
                        }
                        *(c == ARG_DAEMON_PID ? &arg_daemon_pid : &arg_broker_pid) = (pid_t) v;
                        break;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        arg_keys = argv + optind;
        return 1;
}

int main(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        r = run();
        if (r < 0) {
                fprintf(stderr, "bench-bus: %s\n", strerror(-r));
                return EXIT_FAILURE;
        }
        return EXIT_SUCCESS;
}
