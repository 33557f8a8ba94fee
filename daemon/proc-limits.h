/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc-limits.h - running processes' open-file limits: /proc/PID/limits and /proc/PID/cgroup parsers, a
 * scan of /proc for named processes and services, and a cheap re-read of one PID. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PROC_FIND_MAX 256      /* most processes proc_find() returns */
#define PROC_COMM_MAX 15       /* the kernel's comm length (TASK_COMM_LEN without the NUL) */
#define PROC_UNIT_NAME_MAX 255 /* longest systemd unit name */

/* Parse the content of /proc/PID/limits: the soft and hard value of the "Max open files" row, "unlimited"
 * as UINT64_MAX. The row is found by its name at the start of a line, then two whitespace-separated fields
 * (the kernel pads its columns to fixed widths; nothing here depends on them). -EINVAL when the row is
 * missing or a field is not a decimal number or "unlimited". */
int proc_limits_parse_nofile(const char *buf, uint64_t *ret_soft, uint64_t *ret_hard);

/* The systemd system unit a process belongs to, from the content of /proc/PID/cgroup. Only the lines systemd
 * keeps its tree in count: cgroup v2 "0::PATH" first, then v1 "N:name=systemd:PATH" (legacy and hybrid
 * hosts, where the v2 line reads "0::/"); other v1 controllers may be arranged differently and are ignored.
 *
 * The unit is chosen as systemd does it (cg_path_get_unit(), what `systemctl status PID` shows): skip the
 * leading "*.slice" segments, and the next segment is the unit when it ends in ".service" or ".scope".
 * Deeper segments are the unit's own subtree and do not change the answer, so
 * "/system.slice/containerd.service/k8s.io/x.scope" belongs to containerd.service: that is the unit a
 * restart acts on.
 *
 * Nothing under "/user.slice" is a unit here: a login session's scope (session-1.scope) or a user manager
 * (user@1000.service and its user units) is not a system service the admin can restart to pick up a new
 * limit, so such processes are reported by name and PID only.
 *
 * -ENOENT when no line names a unit (the root cgroup, a slice, Docker's cgroupfs driver "/docker/ID", a
 * name that is not a valid unit name). */
int proc_cgroup_unit(const char *buf, char **ret_unit);

typedef struct ProcMatch {
        pid_t pid;
        char comm[PROC_COMM_MAX + 1]; /* /proc/PID/comm, cut to the kernel's 15 bytes */
        char *unit;                   /* NULL when not in a system service */
        uint64_t soft, hard;          /* Max open files; UINT64_MAX is unlimited */
} ProcMatch;

void proc_matches_free(ProcMatch *m, size_t n);

/* Scan proc_root (normally "/proc"; tests pass a scratch tree built like it) for processes whose comm is in
 * names or whose unit (proc_cgroup_unit()) is in units; either list may be NULL. A name longer than 15 bytes
 * matches the comm the kernel cuts it to ("containerd-shim-runc-v2" is "containerd-shim"). Every matching
 * PID is reported (the main process of a unit and its helpers alike; the caller decides). Kernel threads and
 * zombies are skipped, and so are PIDs that vanish during the scan.
 *
 * This reads /proc/PID/comm of every process (and /proc/PID/cgroup when units are given), so the caller
 * runs it rarely and caches the result; proc_read_nofile() re-reads one PID cheaply.
 *
 * *ret is sorted by PID. Returns 0, or 1 when more than PROC_FIND_MAX processes matched (the lowest PIDs are
 * kept). Errors: those of opening proc_root; -EINVAL when a matching process's limits cannot be parsed. */
int proc_find(const char *proc_root, char *const *names, char *const *units, ProcMatch **ret, size_t *ret_n);

/* Re-read one PID's nofile limits from proc_root/PID/limits: -ESRCH when the process is gone. The PID may
 * have been reused by another process since it was found; callers that care compare comm again. */
int proc_read_nofile(const char *proc_root, pid_t pid, uint64_t *ret_soft, uint64_t *ret_hard);
