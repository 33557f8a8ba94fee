/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* plan.h - the capacity planner: a profile derived from a target connection count and a role, every value
 * with its formula, inputs and the utilisation it gives at the target load. Pure computation: the machine's
 * facts come in a PlanMachine the caller reads (plan_machine_read()). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum PlanRole {
        PLAN_ROLE_SERVER, /* accepts the connections, behind Docker NAT by default */
        PLAN_ROLE_CLIENT, /* opens them: a load generator */
        _PLAN_ROLE_MAX,
        _PLAN_ROLE_INVALID = -22,
} PlanRole;

const char *plan_role_to_string(PlanRole r);
PlanRole plan_role_from_string(const char *s);

#define PLAN_CONNECTIONS_MAX 100000000u /* 10^8: beyond it every table overflows the kernel's int limits */

typedef struct PlanOptions {
        uint64_t connections;       /* target concurrent connections */
        PlanRole role;
        double nat_entries;         /* conntrack entries per connection (server 4: Docker NAT; client 2) */
        double utilization;         /* share of each table the target load may use, in (0, 1]; default 0.75 */
        double ramp;                /* new connections per second while ramping up; default 100 */
        double burst;               /* seconds of ramp the SYN and accept queues must absorb; default 10 */
        double connection_lifetime; /* seconds a client connection lives; default 60 */
        double time_wait;           /* seconds a closed client connection holds its port; default 60 */
        uint64_t fd_overhead;       /* descriptors besides the connections (Docker, agents, system); 1600 */
} PlanOptions;

/* The defaults of a role; connections 0 (to be set). */
void plan_options_init(PlanOptions *o, PlanRole role);
/* Check the options: -EINVAL with a message naming the bad value. */
int plan_options_check(const PlanOptions *o, char **ret_error);

/* What the machine has, read by plan_machine_read(); 0 (or -1 for counts) = unknown, not checked. */
typedef struct PlanMachine {
        uint64_t memory_bytes;
        unsigned cpus;
        uint64_t nr_open;              /* fs.nr_open */
        uint64_t file_max;             /* fs.file-max */
        uint64_t conntrack_max;        /* current values of the keys the plan sets */
        uint64_t conntrack_buckets;
        uint64_t somaxconn;
        uint64_t syn_backlog;
        uint32_t port_lo, port_hi;
        char *reserved_ports;          /* net.ipv4.ip_local_reserved_ports, "" for none */
} PlanMachine;

/* Read the facts under kernel_root (NULL = /); missing files leave their field unknown. */
void plan_machine_read(const char *kernel_root, PlanMachine *ret);
void plan_machine_done(PlanMachine *m);

typedef struct PlanItem {
        char *key;         /* "net.netfilter.nf_conntrack_max", "limits.nofile" */
        char *value;       /* as the profile has it */
        char *formula;     /* how the value follows from the inputs, with the numbers */
        double use;        /* the share of the value used at the target load; < 0 when it has no use */
        char *note;        /* the machine's view: "current 262144 is higher: at-least keeps it", or NULL */
} PlanItem;

typedef struct Plan {
        PlanItem *items;
        size_t n_items;
        char **warnings;     /* where the machine cannot back the plan; NULL-terminated, may be NULL */
        char *profile_json;  /* a valid profile (profile_parse() accepts it) */
} Plan;

void plan_done(Plan *p);

/* Plan for o on machine m. -EINVAL (bad options, or a value past what the kernel can hold) with *ret_error
 * naming it; -ENOMEM. */
int plan_compute(const PlanOptions *o, const PlanMachine *m, Plan *ret, char **ret_error);

/* Rounding helpers, exposed for the tests: the next power of two >= n (1 for 0; 0 on overflow), and n
 * rounded up to a multiple of step (UINT64_MAX on overflow). */
uint64_t plan_next_pow2(uint64_t n);
uint64_t plan_round_up(uint64_t n, uint64_t step);
/* How many ports of lo..hi the reserved list ("a,b-c,...") leaves usable. -EINVAL for a malformed list. */
int plan_usable_ports(uint32_t lo, uint32_t hi, const char *reserved, uint32_t *ret);
