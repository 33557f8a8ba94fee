/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* plan.c - the capacity planner. Every value comes from one formula over the target connection count:
 *
 *   conntrack   entries = C x k (k entries per connection: 4 through Docker NAT, 2 for a client)
 *               nf_conntrack_max = next power of two >= entries / U; buckets = max / 4
 *   backlog     slots = ramp x burst (SYNs that arrive while the application catches up)
 *               somaxconn = tcp_max_syn_backlog = slots / U, rounded up to a multiple of 1024
 *   ports       (client) needed = C + C x time_wait / lifetime (connections in TIME_WAIT hold their port)
 *               range size = needed / U, ending at 65535, not below 1024, reserved ports not counted
 *   fds         nofile = (C + overhead) / U, rounded up to a multiple of 1024
 *
 * U is the target utilisation (0.75: the table is planned to be 75% full at the target, which is where
 * wstuned's conntrack pressure warns). Powers of two only where the kernel hashes (the conntrack table and
 * its buckets). Values that keep a higher current setting are "at-least". */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "json.h"
#include "netstat.h"
#include "plan.h"
#include "pressure.h"
#include "util/util.h"

#define PORT_MIN 1024u   /* below: privileged ports, never ephemeral */
#define PORT_MAX 65535u
#define BACKLOG_STEP 1024u
#define NOFILE_STEP 1024u
#define CONNTRACK_MEMORY_PERCENT_MAX 10.0 /* as conntrack growth's default ceiling */
#define KERNEL_INT_MAX ((uint64_t) INT_MAX) /* nf_conntrack_max, somaxconn and friends are ints */

static const char *const role_names[_PLAN_ROLE_MAX] = {
        [PLAN_ROLE_SERVER] = "server",
        [PLAN_ROLE_CLIENT] = "client",
};

const char *plan_role_to_string(PlanRole r) {
        return r >= 0 && r < _PLAN_ROLE_MAX ? role_names[r] : NULL;
}

PlanRole plan_role_from_string(const char *s) {
        for (PlanRole r = 0; r < _PLAN_ROLE_MAX; r++)
                if (streq(role_names[r], s))
                        return r;
        return _PLAN_ROLE_INVALID;
}

void plan_options_init(PlanOptions *o, PlanRole role) {
        *o = (PlanOptions) {
                .role = role,
                .nat_entries = role == PLAN_ROLE_CLIENT ? 2 : 4,
                .utilization = 0.75,
                .ramp = 100,
                .burst = 10,
                .connection_lifetime = 60,
                .time_wait = 60,
                .fd_overhead = 1600,
        };
}

int plan_options_check(const PlanOptions *o, char **ret_error) {
        if (o->role < 0 || o->role >= _PLAN_ROLE_MAX)
                return errorf(ret_error, -EINVAL, "role must be \"server\" or \"client\"");
        if (o->connections < 1 || o->connections > PLAN_CONNECTIONS_MAX)
                return errorf(ret_error, -EINVAL, "connections %" PRIu64 " is outside 1..%u", o->connections,
                              PLAN_CONNECTIONS_MAX);
        if (!(o->utilization > 0 && o->utilization <= 1))
                return errorf(ret_error, -EINVAL, "utilization %g is outside (0, 1]", o->utilization);
        if (!(o->nat_entries >= 1 && o->nat_entries <= 16))
                return errorf(ret_error, -EINVAL, "nat_entries %g is outside 1..16", o->nat_entries);
        if (!(o->ramp > 0 && o->ramp <= 1e7))
                return errorf(ret_error, -EINVAL, "ramp %g is outside (0, 10000000] connections per second",
                              o->ramp);
        if (!(o->burst > 0 && o->burst <= 3600))
                return errorf(ret_error, -EINVAL, "burst %g is outside (0, 3600] seconds", o->burst);
        if (!(o->connection_lifetime > 0 && o->connection_lifetime <= 1e9))
                return errorf(ret_error, -EINVAL, "connection_lifetime %g is outside (0, 1000000000] seconds",
                              o->connection_lifetime);
        if (!(o->time_wait >= 0 && o->time_wait <= 3600))
                return errorf(ret_error, -EINVAL, "time_wait %g is outside 0..3600 seconds", o->time_wait);
        if (o->fd_overhead > 10000000)
                return errorf(ret_error, -EINVAL, "fd_overhead %" PRIu64 " is above 10000000", o->fd_overhead);
        return 0;
}

uint64_t plan_next_pow2(uint64_t n) {
        uint64_t p = 1;

        while (p < n) {
                if (p > UINT64_MAX / 2)
                        return 0;
                p *= 2;
        }
        return p;
}

uint64_t plan_round_up(uint64_t n, uint64_t step) {
        if (n > UINT64_MAX - (step - 1))
                return UINT64_MAX;
        return (n + step - 1) / step * step;
}

/* ceil(x) of a non-negative double, UINT64_MAX from 2^64 up: a tiny utilisation or connection lifetime (both
 * only need to be above 0) makes the quotients huge or infinite, and converting a double out of range is
 * undefined (x86 gives 0: a table of 1 entry planned for any load). The callers refuse UINT64_MAX as too
 * large for the kernel. */
static uint64_t ceil_u64(double x) {
        double c = ceil(x - 1e-9); /* 15000 * 4 / 0.75 is 80000.00000000001 in binary */

        if (!(c < 18446744073709551616.0))
                return UINT64_MAX;
        return c > 0 ? (uint64_t) c : 0;
}

static uint64_t add_u64(uint64_t a, uint64_t b) {
        return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int plan_usable_ports(uint32_t lo, uint32_t hi, const char *reserved, uint32_t *ret) {
        uint32_t usable = hi >= lo ? hi - lo + 1 : 0;
        const char *p = reserved ?: "";

        while (*p) {
                uint64_t a, b;
                size_t n;

                while (*p == ',' || isspace((unsigned char) *p))
                        p++;
                if (!*p)
                        break;
                n = strspn(p, "0123456789");
                if (parse_u64_digits(p, n, &a) < 0)
                        return -EINVAL;
                p += n;
                b = a;
                if (*p == '-') {
                        p++;
                        n = strspn(p, "0123456789");
                        if (parse_u64_digits(p, n, &b) < 0)
                                return -EINVAL;
                        p += n;
                }
                if (a > b || b > PORT_MAX || (*p && *p != ',' && !isspace((unsigned char) *p)))
                        return -EINVAL;
                uint64_t from = MAX(a, (uint64_t) lo), to = MIN(b, (uint64_t) hi);
                if (from <= to)
                        usable -= (uint32_t) (to - from + 1);
        }
        *ret = usable;
        return 0;
}

static uint64_t read_u64(const char *root, const char *path) {
        _cleanup_free_ char *full = NULL, *buf = NULL;
        uint64_t v;

        if (asprintf(&full, "%s/%s", root, path) < 0 || read_file_full(full, 4096, &buf, NULL) < 0)
                return 0;
        if (parse_u64_digits(buf, strcspn(buf, "\n"), &v) < 0)
                return 0;
        return v;
}

void plan_machine_read(const char *kernel_root, PlanMachine *ret) {
        _cleanup_free_ char *path = NULL, *range = NULL;
        const char *root = kernel_root ?: "";
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);

        *ret = (PlanMachine) { .cpus = cpus > 0 ? (unsigned) cpus : 0, .memory_bytes = meminfo_total(root) };
        ret->nr_open = read_u64(root, "proc/sys/fs/nr_open");
        ret->file_max = read_u64(root, "proc/sys/fs/file-max");
        ret->conntrack_max = read_u64(root, "proc/sys/net/netfilter/nf_conntrack_max");
        ret->conntrack_buckets = read_u64(root, "proc/sys/net/netfilter/nf_conntrack_buckets");
        ret->somaxconn = read_u64(root, "proc/sys/net/core/somaxconn");
        ret->syn_backlog = read_u64(root, "proc/sys/net/ipv4/tcp_max_syn_backlog");

        if (asprintf(&path, "%s/proc/sys/net/ipv4/ip_local_port_range", root) >= 0 &&
            read_file_full(path, 4096, &range, NULL) >= 0)
                (void) port_range_parse(range, &ret->port_lo, &ret->port_hi);

        free(path);
        path = NULL;
        if (asprintf(&path, "%s/proc/sys/net/ipv4/ip_local_reserved_ports", root) >= 0 &&
            read_file_full(path, 64 * 1024, &ret->reserved_ports, NULL) >= 0)
                ret->reserved_ports[strcspn(ret->reserved_ports, "\n")] = '\0';
}

void plan_machine_done(PlanMachine *m) {
        free(m->reserved_ports);
        *m = (PlanMachine) {};
}

void plan_done(Plan *p) {
        for (size_t i = 0; i < p->n_items; i++) {
                free(p->items[i].key);
                free(p->items[i].value);
                free(p->items[i].formula);
                free(p->items[i].note);
        }
        free(p->items);
        strv_free(p->warnings);
        free(p->profile_json);
        *p = (Plan) {};
}

/* The plan under construction: items, warnings, and the profile's sysctl and limits objects. */
typedef struct Builder {
        Plan plan;
        cJSON *sysctl, *limits;
        int error; /* the first allocation failure */
} Builder;

static char *vformat(const char *fmt, va_list ap) _printf_(1, 0);
static char *vformat(const char *fmt, va_list ap) {
        char *s;
        return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

static void warn(Builder *b, const char *fmt, ...) _printf_(2, 3);
static void warn(Builder *b, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        char *s = vformat(fmt, ap);
        va_end(ap);
        if (!s || strv_push(&b->plan.warnings, s) < 0)
                b->error = -ENOMEM;
}

/* Add an item; note may be NULL. The formula is printf-formatted. */
static PlanItem *item_add(Builder *b, const char *key, const char *value, double use, const char *fmt, ...)
        _printf_(5, 6);
static PlanItem *item_add(Builder *b, const char *key, const char *value, double use, const char *fmt, ...) {
        PlanItem *items = realloc(b->plan.items, (b->plan.n_items + 1) * sizeof(PlanItem));
        va_list ap;

        if (!items) {
                b->error = -ENOMEM;
                return NULL;
        }
        b->plan.items = items;
        PlanItem *it = &items[b->plan.n_items++];
        *it = (PlanItem) { .key = strdup(key), .value = strdup(value), .use = use };
        va_start(ap, fmt);
        it->formula = vformat(fmt, ap);
        va_end(ap);
        if (!it->key || !it->value || !it->formula)
                b->error = -ENOMEM;
        return it;
}

static void item_note(Builder *b, PlanItem *it, const char *fmt, ...) _printf_(3, 4);
static void item_note(Builder *b, PlanItem *it, const char *fmt, ...) {
        va_list ap;

        if (!it)
                return;
        va_start(ap, fmt);
        char *s = vformat(fmt, ap);
        va_end(ap);
        if (!s) {
                b->error = -ENOMEM;
                return;
        }
        free(it->note);
        it->note = s;
}

/* A sysctl the profile sets to at least value; the note says when the machine already has more. */
static PlanItem *sysctl_at_least(Builder *b, const char *key, uint64_t value, uint64_t current, double use,
                                 const char *formula) {
        char v[32];
        cJSON *o = cJSON_CreateObject();

        snprintf(v, sizeof v, "%" PRIu64, value);
        if (!o || !cJSON_AddNumberToObject(o, "value", (double) value) ||
            !cJSON_AddStringToObject(o, "match", "at-least") || !cJSON_AddItemToObject(b->sysctl, key, o)) {
                cJSON_Delete(o);
                b->error = -ENOMEM;
                return NULL;
        }
        PlanItem *it = item_add(b, key, v, use, "%s", formula);
        if (current > value)
                item_note(b, it, "current %" PRIu64 " is higher: at-least keeps it", current);
        return it;
}

static PlanItem *sysctl_exact(Builder *b, const char *key, const char *value, const char *formula) {
        cJSON *s = cJSON_CreateString(value);

        if (!s || !cJSON_AddItemToObject(b->sysctl, key, s)) {
                cJSON_Delete(s);
                b->error = -ENOMEM;
                return NULL;
        }
        return item_add(b, key, value, -1, "%s", formula);
}

static const char *mib(uint64_t bytes, char buf[static 32]) {
        snprintf(buf, 32, "%.0f MiB", (double) bytes / (1024.0 * 1024.0));
        return buf;
}

static int plan_conntrack(Builder *b, const PlanOptions *o, const PlanMachine *m, char **ret_error) {
        _cleanup_free_ char *formula = NULL;
        char mem[32], ram[32];
        uint64_t entries = ceil_u64((double) o->connections * o->nat_entries);
        uint64_t needed = ceil_u64((double) entries / o->utilization);
        uint64_t max = plan_next_pow2(needed);

        if (max == 0 || max > KERNEL_INT_MAX)
                return errorf(ret_error, -EINVAL,
                              "%" PRIu64 " conntrack entries at %g utilisation need a table of %" PRIu64
                              ", more than the kernel's nf_conntrack_max can hold (%d)",
                              entries, o->utilization, needed, INT_MAX);
        if (asprintf(&formula,
                     "%" PRIu64 " connections x %g entries = %" PRIu64 "; / %g utilisation = %" PRIu64
                     "; next power of two",
                     o->connections, o->nat_entries, entries, o->utilization, needed) < 0)
                return -ENOMEM;
        PlanItem *it = sysctl_at_least(b, "net.netfilter.nf_conntrack_max", max, m->conntrack_max,
                                       (double) entries / (double) max, formula);
        uint64_t bytes = max * CONNTRACK_ENTRY_BYTES;
        if (m->memory_bytes > 0 && (double) bytes > (double) m->memory_bytes * CONNTRACK_MEMORY_PERCENT_MAX / 100.0)
                warn(b, "nf_conntrack_max %" PRIu64 " can take %s of kernel memory (%u bytes an entry), more than "
                        "%.0f%% of the %s of RAM",
                     max, mib(bytes, mem), CONNTRACK_ENTRY_BYTES, CONNTRACK_MEMORY_PERCENT_MAX,
                     mib(m->memory_bytes, ram));
        else if (it && !it->note)
                item_note(b, it, "a full table takes %s of kernel memory", mib(bytes, mem));

        free(formula);
        formula = NULL;
        if (asprintf(&formula, "%" PRIu64 " / 4: hash chains of 4 entries in a full table (kube-proxy's ratio)",
                     max) < 0)
                return -ENOMEM;
        it = sysctl_at_least(b, "net.netfilter.nf_conntrack_buckets", max / 4, m->conntrack_buckets, -1, formula);
        if (it && !it->note)
                item_note(b, it, "writable in the host's network namespace only");
        return 0;
}

static int plan_backlog(Builder *b, const PlanOptions *o, const PlanMachine *m, char **ret_error) {
        _cleanup_free_ char *formula = NULL;
        uint64_t slots = ceil_u64(o->ramp * o->burst);
        uint64_t needed = ceil_u64((double) slots / o->utilization);
        uint64_t value = plan_round_up(needed, BACKLOG_STEP);

        if (value > KERNEL_INT_MAX)
                return errorf(ret_error, -EINVAL, "a backlog of %" PRIu64 " is more than the kernel can hold (%d)",
                              value, INT_MAX);
        if (asprintf(&formula,
                     "%g connections/s x %g s burst = %" PRIu64 " slots; / %g utilisation = %" PRIu64
                     "; rounded up to a multiple of %u",
                     o->ramp, o->burst, slots, o->utilization, needed, BACKLOG_STEP) < 0)
                return -ENOMEM;
        (void) sysctl_at_least(b, "net.core.somaxconn", value, m->somaxconn, (double) slots / (double) value, formula);
        (void) sysctl_at_least(b, "net.ipv4.tcp_max_syn_backlog", value, m->syn_backlog,
                               (double) slots / (double) value, formula);
        return 0;
}

/* Client ports: the range that holds needed / U ports, ending at 65535. */
static int plan_ports(Builder *b, const PlanOptions *o, const PlanMachine *m, char **ret_error) {
        _cleanup_free_ char *formula = NULL;
        char value[32];
        uint32_t usable, lo, hi = PORT_MAX;
        uint64_t tw = ceil_u64((double) o->connections * o->time_wait / o->connection_lifetime);
        uint64_t needed = add_u64(o->connections, tw);
        uint64_t size = ceil_u64((double) needed / o->utilization);
        int r;

        /* widen downwards until the range holds size usable ports, or reaches 1024 */
        lo = size >= hi - PORT_MIN + 1 ? PORT_MIN : (uint32_t) (hi - size + 1);
        for (;;) {
                r = plan_usable_ports(lo, hi, m->reserved_ports, &usable);
                if (r < 0)
                        return errorf(ret_error, r, "net.ipv4.ip_local_reserved_ports \"%s\" is malformed",
                                      m->reserved_ports);
                if (usable >= size || lo == PORT_MIN)
                        break;
                /* lo > PORT_MIN here: stop at it rather than subtract below it (and wrap around) */
                uint64_t missing = size - usable;
                lo = missing >= lo - PORT_MIN ? PORT_MIN : lo - (uint32_t) missing;
        }
        if (usable == 0)
                return errorf(ret_error, -EINVAL, "net.ipv4.ip_local_reserved_ports \"%s\" leaves no port of %u..%u",
                              m->reserved_ports, PORT_MIN, PORT_MAX);

        /* a wider range the machine has already is kept */
        uint32_t current = 0;
        bool keep = m->port_lo >= PORT_MIN && m->port_hi >= m->port_lo &&
                    plan_usable_ports(m->port_lo, m->port_hi, m->reserved_ports, &current) >= 0 && current >= usable;
        if (keep) {
                lo = m->port_lo;
                hi = m->port_hi;
                usable = current;
        }
        snprintf(value, sizeof value, "%" PRIu32 " %" PRIu32, lo, hi);
        if (asprintf(&formula,
                     "%" PRIu64 " active + %" PRIu64 " x %g s TIME_WAIT / %g s lifetime = %" PRIu64
                     " ports; / %g utilisation = %" PRIu64 " ports, ending at %u",
                     o->connections, o->connections, o->time_wait, o->connection_lifetime, needed, o->utilization, size,
                     PORT_MAX) < 0)
                return -ENOMEM;
        /* a local port is unique per destination address:port, so one range serves each destination */
        uint64_t wanted = MAX(size, needed), destinations = wanted / usable + (wanted % usable != 0);
        PlanItem *it = sysctl_exact(b, "net.ipv4.ip_local_port_range", value, formula);
        if (it) /* spread evenly over the destinations */
                it->use = (double) needed / ((double) usable * (double) destinations);
        if (keep)
                item_note(b, it, "the current range already holds %" PRIu32 " ports: kept; at most %" PRIu32
                                 " connections per destination address:port, %" PRIu64 " destination(s) needed",
                          usable, usable, destinations);
        else
                item_note(b, it, "at most %" PRIu32 " connections per destination address:port (the usable range); %"
                                 PRIu64 " destination(s) needed",
                          usable, destinations);
        if (usable < size)
                warn(b, "%" PRIu64 " ports do not fit in one range (1024..65535 holds %" PRIu32 " usable): spread the "
                        "connections over %" PRIu64 " destination addresses (or source addresses)",
                     size, usable, destinations);
        return 0;
}

static void plan_client_tcp(Builder *b) {
        (void) sysctl_exact(b, "net.ipv4.tcp_tw_reuse", "1",
                            "new outbound connections may take a port still in TIME_WAIT towards the same "
                            "destination (safe with TCP timestamps; outbound only)");
        (void) sysctl_exact(b, "net.ipv4.tcp_fin_timeout", "15",
                            "orphaned sockets leave FIN_WAIT_2 after 15 s instead of 60 and free their port; "
                            "TIME_WAIT itself is fixed at 60 s in the kernel");
}

static void plan_syncookies(Builder *b) {
        (void) sysctl_exact(b, "net.ipv4.tcp_syncookies", "1",
                            "a full SYN queue answers with cookies instead of dropping (RFC 4987)");
}

static int plan_nofile(Builder *b, const PlanOptions *o, const PlanMachine *m, char **ret_error) {
        char value[32];
        uint64_t fds = o->connections + o->fd_overhead;
        uint64_t needed = ceil_u64((double) fds / o->utilization);
        uint64_t nofile = plan_round_up(needed, NOFILE_STEP);

        if (nofile > INT_MAX)
                return errorf(ret_error, -EINVAL, "%" PRIu64 " file descriptors is more than a process can have",
                              nofile);
        snprintf(value, sizeof value, "%" PRIu64, nofile);
        PlanItem *it = item_add(b, "limits.nofile", value, (double) fds / (double) nofile,
                                "%" PRIu64 " connections + %" PRIu64 " overhead = %" PRIu64 " descriptors; / %g "
                                "utilisation = %" PRIu64 "; rounded up to a multiple of %u",
                                o->connections, o->fd_overhead, fds, o->utilization, needed, NOFILE_STEP);
        if (!cJSON_AddNumberToObject(b->limits, "nofile", (double) nofile))
                b->error = -ENOMEM;
        if (m->nr_open > 0 && nofile > m->nr_open) {
                if (!cJSON_AddTrueToObject(b->limits, "raise_nr_open"))
                        b->error = -ENOMEM;
                item_note(b, it, "above fs.nr_open %" PRIu64 ": the profile raises fs.nr_open to it", m->nr_open);
        }
        if (m->file_max > 0 && nofile > m->file_max / 2)
                warn(b, "nofile %" PRIu64 " is more than half of fs.file-max %" PRIu64
                        ": wstuned refuses such a limit; raise fs.file-max first",
                     nofile, m->file_max);
        return 0;
}

static int plan_profile_json(Builder *b, const PlanOptions *o, char **ret) {
        _cleanup_json_ cJSON *root = cJSON_CreateObject();
        _cleanup_free_ char *description = NULL;

        if (!root || asprintf(&description,
                              "Planned for %" PRIu64 " connections as %s: %g conntrack entries each, %.0f%% "
                              "utilisation at the target",
                              o->connections, plan_role_to_string(o->role), o->nat_entries, o->utilization * 100) < 0)
                return -ENOMEM;
        if (!cJSON_AddStringToObject(root, "description", description))
                return -ENOMEM;
        cJSON_AddItemToObject(root, "sysctl", TAKE_PTR(b->sysctl));
        cJSON_AddItemToObject(root, "limits", TAKE_PTR(b->limits));
        *ret = cJSON_Print(root);
        return *ret ? 0 : -ENOMEM;
}

int plan_compute(const PlanOptions *o, const PlanMachine *m, Plan *ret, char **ret_error) {
        Builder b = { .sysctl = cJSON_CreateObject(), .limits = cJSON_CreateObject() };
        int r;

        r = plan_options_check(o, ret_error);
        if (r < 0)
                goto fail;
        r = -ENOMEM;
        if (!b.sysctl || !b.limits)
                goto fail;

        if (o->role == PLAN_ROLE_CLIENT) {
                r = plan_ports(&b, o, m, ret_error);
                if (r < 0)
                        goto fail;
                plan_client_tcp(&b);
        }
        r = plan_conntrack(&b, o, m, ret_error);
        if (r < 0)
                goto fail;
        if (o->role == PLAN_ROLE_SERVER) {
                r = plan_backlog(&b, o, m, ret_error);
                if (r < 0)
                        goto fail;
                plan_syncookies(&b);
        }
        r = plan_nofile(&b, o, m, ret_error);
        if (r < 0)
                goto fail;
        r = b.error;
        if (r < 0)
                goto fail;
        r = plan_profile_json(&b, o, &b.plan.profile_json);
        if (r < 0)
                goto fail;
        *ret = b.plan;
        return 0;
fail:
        cJSON_Delete(b.sysctl);
        cJSON_Delete(b.limits);
        plan_done(&b.plan);
        return r;
}
