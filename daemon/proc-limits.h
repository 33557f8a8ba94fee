/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* proc-limits.h - running processes' open-file limits: /proc/PID/limits, cgroup, status and cmdline
 * parsers, a scan of /proc for named processes and services, and a cheap re-read of one PID. */
#pragma once

#include <stdbool.h>
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
 * keeps its tree in count: cgroup v2 "0::PATH", and v1 "N:name=systemd:PATH" only when there is no v2 line or
 * it reads "0::/" (a legacy host; on a hybrid host systemd keeps both trees alike). Other v1 controllers may
 * be arranged differently and are ignored. The v2 line wins because a user cannot move a process into a
 * cgroup the user does not own in either version, but v1 lacks v2's rule that the user must also own the
 * common ancestor of both cgroups: a user with a unit delegated to them (Delegate=yes, User=) could move
 * any of their processes into it there.
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

/* The "Uid:" line of /proc/PID/status. */
typedef struct ProcUids {
        uid_t real, effective, saved, fs;
} ProcUids;

/* Parse the content of /proc/PID/status: the first line that starts with "Uid:", then four decimal fields
 * separated by blanks (the kernel uses tabs), each 0..4294967294 ((uid_t) -1 is no uid); anything after the
 * fourth on that line is ignored. A process cannot forge the line with its name: the "Name:" line
 * escapes a newline as "\n". -EINVAL when the line is missing or malformed; *ret is left alone then. */
int proc_status_parse_uids(const char *buf, ProcUids *ret);

/* Whether the content of /proc/PID/cmdline (size bytes: arguments separated by NULs, the last one's NUL
 * possibly cut off) holds an argument after argv[0] that starts with prefix. */
bool proc_cmdline_has_arg(const char *buf, size_t size, const char *prefix);

/* A process name to look for, and what a process of that name must be to count. Any user can give a
 * process any name (exec a copy of a program under that name, or PR_SET_NAME), so a name alone proves
 * nothing: by default only root's processes count. */
typedef struct ProcName {
        /* as in /proc/PID/comm; a longer name matches the 15 bytes the kernel keeps */
        const char *comm;
        /* false: only when its real and effective uid are 0 (proc_status_parse_uids()) */
        bool any_owner;
        /* NULL: in any unit or none; else its unit (proc_cgroup_unit()) must be one of these */
        const char *const *units;
        /* NULL, or only with an argument that starts with this (in the first 64 KiB of its cmdline) */
        const char *arg;
} ProcName;

typedef struct ProcMatch {
        pid_t pid;
        char comm[PROC_COMM_MAX + 1]; /* /proc/PID/comm, cut to the kernel's 15 bytes */
        char *unit;                   /* NULL when not in a system service */
        uint64_t start_time;          /* /proc/PID/stat's starttime: with the PID, names this process */
        uint64_t soft, hard;          /* Max open files; UINT64_MAX is unlimited */
} ProcMatch;

void proc_matches_free(ProcMatch *m, size_t n);

/* Scan proc_root (normally "/proc"; tests pass a scratch tree built like it) for processes that one of names
 * (n_names of them) accepts, or whose unit (proc_cgroup_unit()) is in units (may be NULL): every process of a
 * listed unit counts, whatever its owner, since only root can move a process into a system unit's cgroup.
 * Every matching PID is reported (the main process of a unit and its helpers alike; the caller decides).
 * Kernel threads and zombies are skipped, and so are PIDs that vanish during the scan.
 *
 * This reads /proc/PID/comm of every process (and /proc/PID/cgroup when units are given). Only a process
 * whose name or unit matched has its status, cgroup, cmdline, stat and limits read, all through its own
 * /proc/PID directory: what is judged is one process, even if it exits and its PID is reused meanwhile.
 * The caller runs the scan rarely and caches the result; proc_read_nofile() re-reads one PID cheaply.
 *
 * *ret is sorted by PID. Returns 0, or 1 when more than PROC_FIND_MAX processes matched (the lowest PIDs are
 * kept). Errors: those of opening proc_root; -EINVAL when a matching process's limits or status cannot be
 * parsed. */
int proc_find(const char *proc_root, const ProcName *names, size_t n_names, char *const *units, ProcMatch **ret,
              size_t *ret_n);

/* Re-read one PID's nofile limits from proc_root/PID/limits: -ESRCH when the process is gone. The PID may
 * have been reused by another process since it was found: proc_match_refresh() tells. */
int proc_read_nofile(const char *proc_root, pid_t pid, uint64_t *ret_soft, uint64_t *ret_hard);

/* Re-read the nofile limits of a process proc_find() found, into m: 0, or -ESRCH when it has exited (also
 * when it is a zombie now) or its PID belongs to another process (another start time). Whatever that one's
 * name, owner or limits, m keeps saying what the scan accepted, never the newcomer's limits. */
int proc_match_refresh(const char *proc_root, ProcMatch *m);
