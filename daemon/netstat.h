/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* netstat.h - socket and file-descriptor pressure: parsers for /proc/net/netstat, /proc/net/sockstat,
 * /proc/sys/fs/file-nr and net.ipv4.ip_local_port_range, and the ratios the pressure levels use.
 *
 * The parsers take the NUL-terminated content of the file and fill a typed struct; they never open a file,
 * so the caller reads (read_file_full()) and caps the size. On failure the outputs are left alone. Only
 * meminfo_total(), at the end, reads its file itself. */
#pragma once

#include <stdint.h>

/* /proc/net/netstat: pairs of lines "TcpExt: Name1 Name2 ...\nTcpExt: v1 v2 ...". The counters are found
 * by header name, not by column, since kernels add columns in the middle. A counter an older kernel does
 * not have is 0. -EINVAL when there is no TcpExt pair, or the pair is malformed: a header line not followed
 * by its value line, a different number of names and values, a value that is not a decimal 64-bit number,
 * or a counter named twice. Other sections (IpExt, MPTcpExt) are not looked at. */
typedef struct ListenCounters {
        uint64_t listen_overflows;     /* ListenOverflows: accept queue full */
        uint64_t listen_drops;         /* ListenDrops: every SYN dropped on a listener, overflows included */
        uint64_t req_q_full_drop;      /* TCPReqQFullDrop: SYN queue full, no syncookies */
        uint64_t req_q_full_do_cookies; /* TCPReqQFullDoCookies: SYN queue full, answered with a syncookie */
} ListenCounters;

int netstat_parse_listen(const char *buf, ListenCounters *ret);

/* /proc/net/snmp's "Tcp:" pair: ActiveOpens, the connect() calls that made a socket (each takes a local port
 * of the ephemeral range unless bound first). Other columns may be negative (MaxConn is -1). -EINVAL as
 * netstat_parse_listen(). */
int snmp_parse_active_opens(const char *buf, uint64_t *ret);

/* /proc/net/sockstat: "sockets: used N" and "TCP: inuse N orphan N tw N alloc N mem N". On current kernels
 * inuse, tw and "sockets: used" count the reader's network namespace (orphan is host-wide), so the daemon
 * sees the namespace it runs in: a fresh `unshare -n` shows "sockets: used 0". Both lines are required, and inuse, orphan and tw in the TCP line;
 * keys this parser does not know are skipped. -EINVAL when a line is missing or malformed (odd number of
 * fields, a value that is not a decimal 64-bit number, a key given twice). */
typedef struct SockStat {
        uint64_t tcp_inuse, tcp_tw, tcp_orphan, sockets_used;
} SockStat;

int sockstat_parse(const char *buf, SockStat *ret);

/* /proc/sys/fs/file-nr: "allocated\tunused\tmax\n". Any run of spaces or tabs separates the fields and the
 * trailing newline is optional; exactly three decimal numbers. -EINVAL otherwise, and when unused exceeds
 * allocated (the kernel prints 0 for unused since 2.6). */
typedef struct FileNr {
        uint64_t allocated, unused, max;
} FileNr;

int file_nr_parse(const char *buf, FileNr *ret);

/* net.ipv4.ip_local_port_range: "lo\thi\n" (spaces or tabs, trailing newline optional, exactly two fields).
 * Returns the number of ports (hi - lo + 1, at least 1); -EINVAL when lo > hi or either is out of 1..65535.
 * lo == hi is one port, as the kernel accepts it. */
int port_range_parse(const char *buf, uint32_t *ret_lo, uint32_t *ret_hi);

/* Ratios for the pressure levels; they may exceed 1 and are never NaN or infinite.
 * Local ports in use: (tcp_inuse + tcp_tw) / (hi - lo + 1). This counts every TCP socket of the namespace
 * (listeners and accepted ones too), an upper bound on the ephemeral ports taken; 0 for a range
 * port_range_parse() would reject.
 * File descriptors: (allocated - unused) / max; with max 0 it is 1 when any file is open, else 0. */
double ports_ratio(const SockStat *s, uint32_t lo, uint32_t hi);
double fds_ratio(const FileNr *f);

/* MemTotal of <kernel_root>/proc/meminfo in bytes (kernel_root NULL or "" for /); 0 when it cannot be read. */
uint64_t meminfo_total(const char *kernel_root);
