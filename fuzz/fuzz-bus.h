/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-bus.h - the input format of fuzz-bus: a small program of up to BUS_CALLS_MAX method calls, each made
 * of typed arguments. Shared by the target (fuzz-bus.c) and the seed writer (make-seeds.c).
 *
 *   program  := step*                     (stops at the end of the input or after BUS_CALLS_MAX steps)
 *   step     := kind arg* BUS_OP_END       a method call
 *             | BUS_CALL_KERNEL file string         the world changes: a file is written ("" removes it;
 *                                                   NULs inside are written too)
 *             | BUS_CALL_POLL byte                  the drift poll and the limit-file repair run
 *             | BUS_CALL_RESTART                    the daemon restarts on the same files
 *   kind     := byte: low 4 bits % _BUS_CALL_MAX pick the method; bit 7 sets allow-interactive-authorization;
 *               BUS_CALL_ANY is followed by three strings: path, interface ("" = none), member
 *   file     := byte, % the number of files in the target's bus_files[]
 *   poll byte:= bit 0: only the pending keys; bits 1-7: seconds the clock moves on first
 *   arg      := op payload               (op % _BUS_OP_MAX)
 *   string   := byte n: n < BUS_STRING_WORDS raw bytes follow (embedded NULs cut the string); n == 0xff: a
 *               16-bit little-endian length, then that many bytes; otherwise word n - BUS_STRING_WORDS of the
 *               target's list of meaningful strings (profile and key names, option and property names)
 *   count    := byte n; n == 0xff: a 16-bit little-endian count (capped by the target)
 *   variant  := type byte (% _BUS_VARIANT_MAX), then the value of that type
 *
 * Past the end of the input every byte reads as 0, so a cut program still ends its call. */
#pragma once

#include <stdint.h>

#define BUS_CALLS_MAX 16
#define BUS_ARGS_MAX 32        /* arguments of one call */
#define BUS_ARRAY_MAX 4096     /* elements of one array: above MANAGER_GET_KEYS_MAX on purpose */
#define BUS_STRING_WORDS 0xc0  /* string bytes below this are raw lengths, from it dictionary words */

typedef enum BusCall {
        BUS_CALL_GET,
        BUS_CALL_APPLY,
        BUS_CALL_VERIFY,
        BUS_CALL_LIST_PROFILES,
        BUS_CALL_PLAN,
        BUS_CALL_REVERT,
        BUS_CALL_RELOAD,
        BUS_CALL_PROPERTY_GET,     /* org.freedesktop.DBus.Properties */
        BUS_CALL_PROPERTY_GET_ALL,
        BUS_CALL_PROPERTY_SET,
        BUS_CALL_INTROSPECT,
        BUS_CALL_PING,             /* org.freedesktop.DBus.Peer */
        BUS_CALL_ANY,              /* path, interface and member from the input */
        BUS_CALL_KERNEL,           /* not calls: events between them */
        BUS_CALL_POLL,
        BUS_CALL_RESTART,
        _BUS_CALL_MAX,
} BusCall;

typedef enum BusOp {
        BUS_OP_END,
        BUS_OP_STRING,       /* s: string */
        BUS_OP_U32,          /* u: 4 bytes */
        BUS_OP_U64,          /* t: 8 bytes */
        BUS_OP_DOUBLE,       /* d: 8 bytes, NaN and infinities included */
        BUS_OP_BOOL,         /* b: 1 byte, low bit */
        BUS_OP_I32,          /* i: 4 bytes */
        BUS_OP_BYTE,         /* y: 1 byte */
        BUS_OP_STRINGS,      /* as: count, strings */
        BUS_OP_DICT,         /* a{sv}: count, then (string, variant) pairs */
        BUS_OP_VARIANT,      /* v: variant */
        BUS_OP_OBJECT_PATH,  /* o: string (sd-bus refuses one that is not a path) */
        BUS_OP_SIGNATURE,    /* g: string */
        BUS_OP_BYTES,        /* ay: count, bytes */
        BUS_OP_STRUCT,       /* (su): string, 4 bytes */
        BUS_OP_TUPLES,       /* a(ssss): count, four strings each: a reply's type sent as an argument */
        _BUS_OP_MAX,
} BusOp;

typedef enum BusVariant {
        BUS_VARIANT_STRING,
        BUS_VARIANT_U32,
        BUS_VARIANT_DOUBLE,
        BUS_VARIANT_U64,
        BUS_VARIANT_I32,
        BUS_VARIANT_BOOL,
        BUS_VARIANT_BYTE,
        BUS_VARIANT_STRINGS,
        BUS_VARIANT_VARIANT, /* a variant in a variant, at most a few deep */
        _BUS_VARIANT_MAX,
} BusVariant;

/* The dictionary of meaningful strings, at most 0xff - BUS_STRING_WORDS of them. Append only: the seed
 * corpus refers to them by index. */
static const char *const bus_words[] = {
        "",
        "server",
        "client",
        "ws-server",
        "ws-client",
        "broken",
        "missing",
        "net.core.somaxconn",
        "net/core/somaxconn",
        "net.ipv4.ip_local_port_range",
        "net.netfilter.nf_conntrack_max",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.conf.eth0/100.rp_filter",
        "fs.nr_open",
        "net.core",
        "net..core",
        "../../etc/passwd",
        "io.wstune.wstuned1.Manager",
        "org.freedesktop.DBus.Properties",
        "org.freedesktop.DBus.Introspectable",
        "org.freedesktop.DBus.Peer",
        "/io/wstune/wstuned1",
        "/",
        "Version",
        "ActiveProfile",
        "State",
        "PendingKeys",
        "DriftCorrections",
        "ConntrackEntries",
        "ConntrackMax",
        "ConntrackDrops",
        "Pressure",
        "nat_entries",
        "utilization",
        "ramp",
        "burst",
        "connection_lifetime",
        "time_wait",
        "fd_overhead",
        "Get",
        "Apply",
        "Verify",
        "ListProfiles",
        "Plan",
        "Revert",
        "Reload",
        "GetAll",
        "Set",
        "Introspect",
        "Ping",
        "kernel.perf_event_paranoid",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_tw_reuse",
        "fuzz",
};

/* The files BUS_CALL_KERNEL writes, relative to the scratch root: kernel values another writer changes or a
 * module adds, and the files an admin edits. Append only, as bus_words. */
static const char *const bus_files[] = {
        "proc/sys/net/core/somaxconn",
        "proc/sys/net/ipv4/ip_local_port_range",
        "proc/sys/net/ipv4/ip_local_reserved_ports",
        "proc/sys/net/netfilter/nf_conntrack_max",
        "proc/sys/fs/nr_open",
        "proc/sys/fs/file-max",
        "proc/sys/net/ipv4/tcp_fin_timeout",
        "etc/wstuned/profiles/fuzz.json",
        "etc/wstuned/wstuned.json",
        "etc/docker/daemon.json",
        "etc/security/limits.d/90-wstuned.conf",
        "var/lib/wstuned/state.json",
        "proc/meminfo",
        /* a process Verify looks at (a profile's limits.processes and .services): any user can name a process
         * and, in a delegated cgroup subtree, choose its cgroup path */
        "proc/4242/comm",
        "proc/4242/stat",
        "proc/4242/cgroup",
        "proc/4242/limits",
        "proc/4242/cmdline",
        "proc/4242/status", /* whose it is: a process found by name counts only as root's */
};
