/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-proc-limits.c - /proc/PID/limits, cgroup, status and cmdline parsers, the process scan on a scratch
 * tree (who counts: owner, unit, arguments) and on the real /proc (this test and children with a lowered
 * limit or another uid). */
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "proc-limits.h"
#include "test-helpers.h"

#define STRV(...) ((char *[]) { __VA_ARGS__, NULL })

/* /proc/self/limits as Linux 6.18 prints it ("%-25s %-20s %-20s %-10s"), around the "Max open files" row. */
#define LIMITS_HEAD \
        "Limit                     Soft Limit           Hard Limit           Units     \n" \
        "Max cpu time              unlimited            unlimited            seconds   \n" \
        "Max file size             unlimited            unlimited            bytes     \n" \
        "Max data size             unlimited            unlimited            bytes     \n" \
        "Max stack size            8388608              unlimited            bytes     \n" \
        "Max core file size        0                    unlimited            bytes     \n" \
        "Max resident set          unlimited            unlimited            bytes     \n" \
        "Max processes             96365                96365                processes \n"
#define LIMITS_TAIL \
        "Max locked memory         8388608              8388608              bytes     \n" \
        "Max address space         unlimited            unlimited            bytes     \n" \
        "Max file locks            unlimited            unlimited            locks     \n" \
        "Max pending signals       96365                96365                signals   \n" \
        "Max msgqueue size         819200               819200               bytes     \n" \
        "Max nice priority         0                    0                    \n" \
        "Max realtime priority     0                    0                    \n" \
        "Max realtime timeout      unlimited            unlimited            us        \n"
#define LIMITS(row) LIMITS_HEAD row LIMITS_TAIL

#define UNLIMITED UINT64_MAX

typedef struct LimitsCase {
        const char *text;
        int ret;
        uint64_t soft, hard;
} LimitsCase;

static const LimitsCase limits_cases[] = {
        /* `cat /proc/self/limits` on the machine these tests were written on, byte for byte */
        { LIMITS("Max open files            20000                20000                files     \n"), 0, 20000, 20000 },
        { LIMITS("Max open files            1024                 524288               files     \n"), 0, 1024, 524288 },
        { LIMITS("Max open files            unlimited            unlimited            files     \n"), 0, UNLIMITED, UNLIMITED },
        { LIMITS("Max open files            512                  unlimited            files     \n"), 0, 512, UNLIMITED },
        { LIMITS("Max open files            0                    0                    files     \n"), 0, 0, 0 },
        /* a value as wide as its column leaves a single space */
        { LIMITS("Max open files            18446744073709551614 18446744073709551614 files     \n"), 0,
          UINT64_MAX - 1, UINT64_MAX - 1 },
        { LIMITS("Max open files            2147483584           2147483584           files     \n"), 0,
          2147483584, 2147483584 },
        /* not the kernel's widths: the row is found by name, then two fields */
        { "Max open files 7 8", 0, 7, 8 },
        { "Max open files\t7\t8\tfiles\n", 0, 7, 8 },
        { "Max open files 7 8\n", 0, 7, 8 },
        { "Max open files 00010 8", 0, 10, 8 },
        { "Max open filesX 1 2\nMax open files 3 4\n", 0, 3, 4 },          /* another row's name */
        { "Limit Max open files 1 2\nMax open files 5 6\n", 0, 5, 6 }, /* the name starts the line */
        { LIMITS_HEAD LIMITS_TAIL "Max open files            9 10\n", 0, 9, 10 }, /* any position */

        /* missing row */
        { LIMITS_HEAD LIMITS_TAIL, -EINVAL },
        { "", -EINVAL },
        { "\n\n", -EINVAL },
        { "Max open filesX 1 2\n", -EINVAL },
        { " Max open files 1 2\n", -EINVAL },
        { "max open files 1 2\n", -EINVAL },
        { "Max open  files 1 2\n", -EINVAL },
        { "Max open files", -EINVAL },
        /* garbage */
        { "\x01\xff\xfe garbage \x7f\n", -EINVAL },
        { "Limit Soft Limit Hard Limit Units\n", -EINVAL },
        /* malformed row */
        { LIMITS("Max open files            1024\n"), -EINVAL },
        { LIMITS("Max open files            \n"), -EINVAL },
        { "Max open files 1024\n2048 files\n", -EINVAL }, /* the fields are on one line */
        { "Max open files abc 1024 files\n", -EINVAL },
        { "Max open files 1024 abc files\n", -EINVAL },
        { "Max open files -1 1024 files\n", -EINVAL },
        { "Max open files +1 1024 files\n", -EINVAL },
        { "Max open files 1024x 1024 files\n", -EINVAL },
        { "Max open files 0x400 1024 files\n", -EINVAL },
        { "Max open files 1,024 1024 files\n", -EINVAL },
        { "Max open files 1024 18446744073709551616 files\n", -EINVAL }, /* past 64 bits */
        { "Max open files 99999999999999999999999 1 files\n", -EINVAL },
        { "Max open files unlimitedx 1 files\n", -EINVAL },
        { "Max open files Unlimited unlimited files\n", -EINVAL },
        { "Max open files infinity unlimited files\n", -EINVAL },
        /* a malformed row is not skipped in favour of a later one */
        { "Max open files x y\nMax open files 1 2\n", -EINVAL },
};

START_TEST(test_limits_parse) {
        const LimitsCase *c = &limits_cases[_i];
        uint64_t soft = 42, hard = 43;

        ck_assert_int_eq(proc_limits_parse_nofile(c->text, &soft, &hard), c->ret);
        if (c->ret < 0) {
                /* outputs are left alone on failure */
                ck_assert_uint_eq(soft, 42);
                ck_assert_uint_eq(hard, 43);
                return;
        }
        ck_assert_uint_eq(soft, c->soft);
        ck_assert_uint_eq(hard, c->hard);
}
END_TEST

typedef struct CgroupCase {
        const char *text;
        const char *unit; /* NULL: -ENOENT */
} CgroupCase;

/* A cgroup v1 (legacy) host: only name=systemd counts, other controllers may be arranged differently. */
#define V1_OTHERS \
        "12:pids:/system.slice/other.service\n" \
        "11:memory:/process_api/bbc5a233fbae76ec80d867e1f9bc489a\n" \
        "4:cpu,cpuacct:/system.slice/other.service\n"

static const CgroupCase cgroup_cases[] = {
        /* cgroup v2 */
        { "0::/system.slice/docker.service\n", "docker.service" },
        { "0::/system.slice/docker.service", "docker.service" },
        { "0::/system.slice/containerd.service\n", "containerd.service" },
        /* a unit's own subtree: the unit is the first non-slice segment, as systemd has it */
        { "0::/system.slice/docker.service/sub/deeper\n", "docker.service" },
        { "0::/system.slice/containerd.service/k8s.io/x.scope\n", "containerd.service" },
        { "0::/system.slice/wsd.service/worker.service\n", "wsd.service" },
        /* nested slices, templates, scopes */
        { "0::/system.slice/system-ws.slice/ws@8080.service\n", "ws@8080.service" },
        { "0::/system.slice/docker-4f1c2a9d.scope\n", "docker-4f1c2a9d.scope" },
        { "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-ab12.scope\n",
          "cri-containerd-ab12.scope" },
        { "0::/init.scope\n", "init.scope" },
        { "0::/machine.slice/systemd-nspawn@c1.service/payload/system.slice/nginx.service\n",
          "systemd-nspawn@c1.service" },
        { "0::/system.slice/sys-devices-x\\x2dy.service\n", "sys-devices-x\\x2dy.service" },
        /* systemd escapes names that clash with cgroupfs files */
        { "0::/system.slice/_cpu.service\n", "cpu.service" },
        /* cgroup v1, with and without the v2 line */
        { "1:name=systemd:/system.slice/x.service\n", "x.service" },
        { V1_OTHERS "1:name=systemd:/system.slice/containerd.service\n", "containerd.service" },
        { V1_OTHERS "1:name=systemd:/system.slice/containerd.service\n0::/\n", "containerd.service" },
        { "3:cpu,name=systemd:/system.slice/y.service\n", "y.service" },
        /* hybrid: both say the same; the v2 line is read first */
        { "1:name=systemd:/system.slice/a.service\n0::/system.slice/b.service\n", "b.service" },
        { "0::/\n1:name=systemd:/system.slice/a.service\n", "a.service" },
        /* a test's own subtree: the slices are skipped, whatever their names */
        { "0::/wstuned-test-42.slice/system.slice/docker.service\n", "docker.service" },
        { "0::/\n9:name=systemd:/wstuned-test-42.slice/system.slice/docker.service\n", "docker.service" },

        /* user sessions and user managers: no system unit to restart */
        { "0::/user.slice/user-0.slice/session-1.scope\n", NULL },
        { "0::/user.slice/user-1000.slice/user@1000.service/app.slice/ws.service\n", NULL },
        { "0::/user.slice/user-1000.slice/user@1000.service/init.scope\n", NULL },
        { "1:name=systemd:/user.slice/user-0.slice/session-3.scope\n0::/\n", NULL },
        /* v2 has the process somewhere else: v1 is not asked (a user may move their processes into a unit
         * delegated to them there) */
        { "1:name=systemd:/system.slice/deleg.service\n0::/user.slice/user-1000.slice/session-2.scope\n", NULL },
        { "0::/other\n1:name=systemd:/system.slice/a.service\n", NULL },
        { "0::/system.slice\n1:name=systemd:/system.slice/a.service\n", NULL },
        /* no unit */
        { "0::/\n", NULL },
        { "0::/wstuned-test.42/system.slice/docker.service\n", NULL },
        { "0::/system.slice\n", NULL },
        { "0::/system.slice/\n", NULL },
        { "0::/docker/4f1c2a9d\n", NULL },             /* Docker's cgroupfs driver */
        { "0::/system.slice/docker/4f1c2a9d.scope\n", NULL },
        { "0::/system.slice/.service\n", NULL },
        { "0::/system.slice/_.scope\n", NULL },
        { "0::/system.slice/a b.service\n", NULL },
        { "0::/system.slice/a\xc3\xa9.service\n", NULL },
        { "0::/system.slice/docker.service (deleted)\n", NULL },
        { "0::/system.slice/x.socket\n", NULL },
        { "0::system.slice/x.service\n", NULL },       /* not absolute */
        { V1_OTHERS, NULL },                            /* other controllers do not count */
        { V1_OTHERS "0::/\n", NULL },
        { "4:memory:/process_api/bbc5a233fbae76ec80d867e1f9bc489a\n0::/\n", NULL },
        { "1:name=elogind:/system.slice/x.service\n", NULL },
        { "1:xname=systemd:/system.slice/x.service\n", NULL },
        { "00::/system.slice/x.service\n", NULL },
        { "0:cpu:/system.slice/x.service\n", NULL },
        { "0:/system.slice/x.service\n", NULL },
        { "/system.slice/x.service\n", NULL },
        { "", NULL },
        { "\n\n", NULL },
        { "garbage \x01\xff\n", NULL },
};

START_TEST(test_cgroup_unit) {
        const CgroupCase *c = &cgroup_cases[_i];
        _cleanup_free_ char *unit = NULL;
        int r;

        r = proc_cgroup_unit(c->text, &unit);
        if (!c->unit) {
                ck_assert_int_eq(r, -ENOENT);
                ck_assert_ptr_null(unit);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_str_eq(unit, c->unit);
}
END_TEST

/* 255 bytes is the longest unit name. */
START_TEST(test_cgroup_unit_long) {
        char name[PROC_UNIT_NAME_MAX + 2], text[PROC_UNIT_NAME_MAX + 64];
        _cleanup_free_ char *unit = NULL;

        memset(name, 'a', PROC_UNIT_NAME_MAX - strlen(".service"));
        strcpy(name + PROC_UNIT_NAME_MAX - strlen(".service"), ".service");
        ck_assert_uint_eq(strlen(name), PROC_UNIT_NAME_MAX);
        snprintf(text, sizeof text, "0::/system.slice/%s/sub\n", name);
        ck_assert_int_eq(proc_cgroup_unit(text, &unit), 0);
        ck_assert_str_eq(unit, name);

        memset(name, 'a', PROC_UNIT_NAME_MAX + 1 - strlen(".service"));
        strcpy(name + PROC_UNIT_NAME_MAX + 1 - strlen(".service"), ".service");
        snprintf(text, sizeof text, "0::/system.slice/%s\n", name);
        unit = mfree(unit);
        ck_assert_int_eq(proc_cgroup_unit(text, &unit), -ENOENT);
        ck_assert_ptr_null(unit);
}
END_TEST

/* /proc/self/status as Linux 6.18 prints it, up to the lines after "Uid:". */
#define STATUS_HEAD "Name:\tdockerd\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t812\nNgid:\t0\nPid:\t812\n" \
        "PPid:\t1\nTracerPid:\t0\n"
#define STATUS_TAIL "Gid:\t0\t0\t0\t0\nFDSize:\t256\nGroups:\t \nNStgid:\t812\n"
#define STATUS(uid) STATUS_HEAD "Uid:\t" uid "\n" STATUS_TAIL

typedef struct StatusCase {
        const char *text;
        int ret;
        ProcUids uids;
} StatusCase;

static const StatusCase status_cases[] = {
        { STATUS("0\t0\t0\t0"), 0, { 0, 0, 0, 0 } },
        { STATUS("1000\t1000\t1000\t1000"), 0, { 1000, 1000, 1000, 1000 } },
        /* a set-user-ID root program run by a user, and one that has set its real uid too */
        { STATUS("1000\t0\t0\t0"), 0, { 1000, 0, 0, 0 } },
        { STATUS("0\t0\t1000\t0"), 0, { 0, 0, 1000, 0 } },
        { STATUS("65534\t65534\t65534\t65534"), 0, { 65534, 65534, 65534, 65534 } },
        { STATUS("4294967294\t1\t2\t3"), 0, { 4294967294u, 1, 2, 3 } },
        /* not the kernel's separators, or the line alone */
        { "Uid: 1 2 3 4\n", 0, { 1, 2, 3, 4 } },
        { "Uid:\t1 \t2\t 3\t4", 0, { 1, 2, 3, 4 } },
        { "Uid:\t1\t2\t3\t4\t\n", 0, { 1, 2, 3, 4 } },
        { "Uid:\t1\t2\t3\t4 5\n", 0, { 1, 2, 3, 4 } }, /* what follows the fourth is not read */
        { "Uid:\t007\t2\t3\t4\n", 0, { 7, 2, 3, 4 } },
        /* the first line that starts with "Uid:" */
        { "Uid:\t5\t6\t7\t8\nUid:\t0\t0\t0\t0\n", 0, { 5, 6, 7, 8 } },
        { STATUS_HEAD STATUS_TAIL "Uid:\t9\t9\t9\t9\n", 0, { 9, 9, 9, 9 } },
        /* the name a process chose, escaped as the kernel does: no line of its own */
        { "Name:\tx\\nUid:\t0\t0\t0\t0\nUid:\t1000\t1000\t1000\t1000\n", 0, { 1000, 1000, 1000, 1000 } },

        /* missing */
        { "", -EINVAL },
        { STATUS_HEAD STATUS_TAIL, -EINVAL },
        { "Name:\tx\\nUid:\t0\t0\t0\t0\n", -EINVAL },
        { " Uid:\t0\t0\t0\t0\n", -EINVAL },
        { "uid:\t0\t0\t0\t0\n", -EINVAL },
        { "Uids:\t0\t0\t0\t0\n", -EINVAL },
        { "Gid:\t0\t0\t0\t0\n", -EINVAL },
        /* malformed: a malformed line is not skipped for a later one */
        { "Uid:\n", -EINVAL },
        { "Uid:", -EINVAL },
        { "Uid:0\t0\t0\t0\n", -EINVAL },
        { "Uid:\t0\t0\t0\n", -EINVAL },
        { "Uid:\t0\t0\t0\nGid:\t0\n", -EINVAL },
        { "Uid:\t0\t0\t0\t\n", -EINVAL },
        { "Uid:\t0\t0\t0\t0x\n", -EINVAL },
        { "Uid:\t-1\t0\t0\t0\n", -EINVAL },
        { "Uid:\t+0\t0\t0\t0\n", -EINVAL },
        { "Uid:\t0x0\t0\t0\t0\n", -EINVAL },
        { "Uid:\t4294967295\t0\t0\t0\n", -EINVAL }, /* (uid_t) -1 */
        { "Uid:\t4294967296\t0\t0\t0\n", -EINVAL },
        { "Uid:\t99999999999999999999999\t0\t0\t0\n", -EINVAL },
        { "Uid:\t0,\t0\t0\t0\n", -EINVAL },
        { "Uid:\troot\troot\troot\troot\n", -EINVAL },
        { "Uid:\t\x01\xff\t0\t0\t0\n", -EINVAL },
};

START_TEST(test_status_parse) {
        const StatusCase *c = &status_cases[_i];
        ProcUids uids = { 42, 43, 44, 45 };

        ck_assert_int_eq(proc_status_parse_uids(c->text, &uids), c->ret);
        if (c->ret < 0) {
                /* left alone on failure */
                ck_assert_uint_eq(uids.real, 42);
                ck_assert_uint_eq(uids.effective, 43);
                ck_assert_uint_eq(uids.saved, 44);
                ck_assert_uint_eq(uids.fs, 45);
                return;
        }
        ck_assert_uint_eq(uids.real, c->uids.real);
        ck_assert_uint_eq(uids.effective, c->uids.effective);
        ck_assert_uint_eq(uids.saved, c->uids.saved);
        ck_assert_uint_eq(uids.fs, c->uids.fs);
}
END_TEST

/* cmdline as the kernel gives it: NUL-separated, sizes given (the strings hold NULs). */
#define CMDLINE(s) .cmdline = s, .cmdline_size = sizeof(s) - 1

typedef struct CmdlineCase {
        const char *cmdline;
        size_t cmdline_size;
        bool has;
} CmdlineCase;

static const CmdlineCase cmdline_cases[] = {
        { CMDLINE("/usr/bin/dockerd\0--default-ulimit\0nofile=1024:2048\0"), true },
        { CMDLINE("/usr/bin/dockerd\0-H\0fd://\0--default-ulimit=nofile=1024:2048\0"), true },
        { CMDLINE("dockerd\0--default-ulimit"), true }, /* the last NUL cut off */
        { CMDLINE("dockerd\0--default-ulimits\0"), true }, /* a prefix */
        { CMDLINE("/usr/bin/dockerd\0-H\0fd://\0--containerd=/run/containerd/containerd.sock\0"), false },
        { CMDLINE("--default-ulimit\0"), false },             /* argv[0] is not an argument */
        { CMDLINE("--default-ulimit"), false },
        { CMDLINE("dockerd\0--default-ulimi\0"), false },
        { CMDLINE("dockerd\0--default-ulimi"), false },
        { CMDLINE("dockerd\0 --default-ulimit\0"), false },
        { CMDLINE("dockerd --default-ulimit nofile=1:2\0"), false }, /* one argument with spaces */
        { CMDLINE("dockerd\0\0--DEFAULT-ULIMIT\0"), false },
        { CMDLINE("dockerd\0\0\0"), false },
        { CMDLINE(""), false }, /* a zombie's */
};

START_TEST(test_cmdline_has_arg) {
        const CmdlineCase *c = &cmdline_cases[_i];

        ck_assert_int_eq(proc_cmdline_has_arg(c->cmdline, c->cmdline_size, "--default-ulimit"), c->has);
}
END_TEST

#define ROOT_UIDS "0\t0\t0\t0"

/* A fake /proc/PID: NULL leaves a file out (but see uids). */
typedef struct FakeProc {
        const char *pid;
        const char *comm; /* the content of comm, newline added */
        char state;
        unsigned flags;
        const char *cgroup;
        const char *nofile; /* "SOFT HARD" for a kernel-format limits file, or raw content after '=' */
        const char *uids;   /* the fields of status's "Uid:" line; NULL: root's, with comm; "-": no status */
        const char *cmdline;
        size_t cmdline_size;
} FakeProc;

static const FakeProc fake_procs[] = {
        { "1", "systemd", 'S', 0x400100, "0::/init.scope\n", "1024 524288" },
        { "2", "kthreadd", 'S', 0x208040, "0::/\n", "1024 4096" },
        { "13", "kworker/R-mm_percpu_wq", 'I', 0x4208060, "0::/\n", "1024 4096" },
        { "100", "dockerd", 'S', 0x400100, "0::/system.slice/docker.service\n", "1024 524288" },
        { "200", "containerd", 'S', 0x400100, "0::/system.slice/containerd.service\n", "unlimited unlimited" },
        { "250", "containerd-shim", 'S', 0x400100, "0::/system.slice/containerd.service\n", "1048576 1048576" },
        /* a service that runs as its own user */
        { "300", "ws-server", 'S', 0x400100, "0::/system.slice/ws.service\n", "65536 65536", "998\t998\t998\t998" },
        { "301", "ws-worker", 'R', 0x400140, "0::/system.slice/ws.service\n", "4096 4096", "998\t998\t998\t998" },
        { "400", "bash", 'S', 0x400100, "0::/user.slice/user-0.slice/session-1.scope\n", "1024 4096" },
        { "500", "dockerd", 'Z', 0x40040c, "0::/system.slice/docker.service\n", "1024 524288" }, /* zombie */
        { "600", "dockerd", 'S', 0x400100, "0::/system.slice/docker.service\n", NULL }, /* vanished */
        { "700" },                                                                       /* vanished */
        { "800", "dockerd", 'S', 0x400100, "0::/system.slice/docker.service\n", "=" },  /* reaped mid-read */
        { "1000", "docker", 'S', 0x400100, "0::/\n", "8 16" },
        { "1001", "wstuned", 'S', 0x400100, "0::/system.slice/a b.service\n", "64 128" },
        /* any user can name a process anything */
        { "1100", "dockerd", 'S', 0x400100, "0::/user.slice/user-1000.slice/session-2.scope\n", "512 512",
          "1000\t1000\t1000\t1000" },
        { "1101", "ws-server", 'S', 0x400100, "0::/user.slice/user-1000.slice/session-2.scope\n", "512 512",
          "1000\t1000\t1000\t1000" },
        /* root's dockerd outside docker.service: not the one the docker layer configures */
        { "1102", "dockerd", 'S', 0x400100, "0::/system.slice/docker-4f1c2a9d.scope\n", "256 256" },
        /* not processes */
        { "1a", "dockerd", 'S', 0, "0::/system.slice/docker.service\n", "1 1" },
        { "0123", "dockerd", 'S', 0, "0::/system.slice/docker.service\n", "1 1" },
        { "0", "dockerd", 'S', 0, "0::/system.slice/docker.service\n", "1 1" },
        { "99999999999", "dockerd", 'S', 0, "0::/system.slice/docker.service\n", "1 1" },
        { "self", "dockerd", 'S', 0, "0::/system.slice/docker.service\n", "1 1" },
};

static char *limits_text(const char *nofile) {
        char soft[32], hard[32], *text;

        if (nofile[0] == '=')
                return strdup(nofile + 1);
        ck_assert_int_eq(sscanf(nofile, "%31s %31s", soft, hard), 2);
        ck_assert_int_ge(asprintf(&text, "%s%-25s %-20s %-20s %-10s\n%s", LIMITS_HEAD, "Max open files", soft,
                                  hard, "files", LIMITS_TAIL),
                         0);
        return text;
}

static void fake_proc_write(const char *root, const FakeProc *p) {
        _cleanup_free_ char *dir = path_in(root, p->pid), *comm = NULL, *stat = NULL, *limits = NULL;

        make_dirs(dir);
        if (p->comm) {
                ck_assert_int_ge(asprintf(&comm, "%s\n", p->comm), 0);
                tree_write(dir, "comm", comm);
                /* the kernel cuts comm to 15 bytes in stat for processes, kernel threads show more */
                ck_assert_int_ge(asprintf(&stat,
                                          "%s (%.64s) %c 1 %s %s 0 -1 %u 120 0 0 0 0 0 0 0 20 0 1 0 25 0 0 "
                                          "18446744073709551615 0 0 0 0 0 0 0 2147483647 0 1 0 0 0 0 0 0 "
                                          "0 0 0 0 0 0 0 0 0 0 0\n",
                                          p->pid, p->comm, p->state, p->pid, p->pid, p->flags),
                                 0);
                tree_write(dir, "stat", stat);
        }
        if (p->cgroup)
                tree_write(dir, "cgroup", p->cgroup);
        if (p->comm && !streq_ptr(p->uids, "-")) {
                _cleanup_free_ char *status = NULL;
                ck_assert_int_ge(asprintf(&status, "Name:\t%s\nUmask:\t0022\nState:\t%c\nTgid:\t%s\nNgid:\t0\n"
                                                   "Pid:\t%s\nPPid:\t1\nTracerPid:\t0\nUid:\t%s\n" STATUS_TAIL,
                                          p->comm, p->state, p->pid, p->pid, p->uids ?: ROOT_UIDS),
                                 0);
                tree_write(dir, "status", status);
        }
        if (p->cmdline)
                tree_write_n(dir, "cmdline", p->cmdline, p->cmdline_size);
        if (p->nofile) {
                limits = limits_text(p->nofile);
                tree_write(dir, "limits", limits);
        }
}

static char *fake_proc_tree(void) {
        char *root = scratch_dir_new();

        for (size_t i = 0; i < ELEMENTSOF(fake_procs); i++)
                fake_proc_write(root, &fake_procs[i]);
        /* a PID-named regular file or symlink is not a process directory either */
        tree_write(root, "999", "dockerd\n");
        _cleanup_free_ char *link = path_in(root, "4242"), *sys = path_in(root, "sys/kernel");
        ck_assert_int_eq(symlink("100", link), 0);
        make_dirs(sys);
        return root;
}

static void format_limit(FILE *f, uint64_t v) {
        if (v == UINT64_MAX)
                fputs("unlimited", f);
        else
                fprintf(f, "%" PRIu64, v);
}

/* "PID COMM UNIT SOFT/HARD, …", "-" for no unit. */
static char *matches_format(const ProcMatch *m, size_t n) {
        char *s = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&s, &size);

        ck_assert_ptr_nonnull(f);
        for (size_t i = 0; i < n; i++) {
                fprintf(f, "%s%d %s %s ", i > 0 ? ", " : "", (int) m[i].pid, m[i].comm, m[i].unit ?: "-");
                format_limit(f, m[i].soft);
                fputc('/', f);
                format_limit(f, m[i].hard);
        }
        fclose(f);
        return s;
}

/* proc_find() with a list of names that all take the same owner rule. */
static int find(const char *proc_root, char *const *names, bool any_owner, char *const *units, ProcMatch **ret,
                size_t *ret_n) {
        ProcName list[8];
        size_t n = 0;

        for (char *const *s = names; s && *s; s++) {
                ck_assert_uint_lt(n, ELEMENTSOF(list));
                list[n++] = (ProcName) { .comm = *s, .any_owner = any_owner };
        }
        return proc_find(proc_root, names ? list : NULL, n, units, ret, ret_n);
}

typedef struct FindCase {
        char *const *names, *const *units;
        const char *expected;
        bool any_owner;
} FindCase;

static const FindCase find_cases[] = {
        /* root's dockerd in docker.service, in a container's scope, but not a user's */
        { STRV("dockerd", "containerd"), NULL,
          "100 dockerd docker.service 1024/524288, 200 containerd containerd.service unlimited/unlimited, "
          "1102 dockerd docker-4f1c2a9d.scope 256/256" },
        { STRV("dockerd"), NULL,
          "100 dockerd docker.service 1024/524288, 1100 dockerd - 512/512, 1102 dockerd docker-4f1c2a9d.scope 256/256",
          true },
        /* a long name matches the comm the kernel cuts it to */
        { STRV("containerd-shim-runc-v2"), NULL, "250 containerd-shim containerd.service 1048576/1048576" },
        { STRV("containerd-shim"), NULL, "250 containerd-shim containerd.service 1048576/1048576" },
        { STRV("containerd-shim-"), NULL, "250 containerd-shim containerd.service 1048576/1048576" },
        { STRV("containerd-shi"), NULL, "" },
        /* a unit's processes count whoever runs them; by name only root's, unless any owner will do */
        { NULL, STRV("ws.service"),
          "300 ws-server ws.service 65536/65536, 301 ws-worker ws.service 4096/4096" },
        { STRV("ws-server"), NULL, "" },
        { STRV("ws-server"), NULL, "300 ws-server ws.service 65536/65536, 1101 ws-server - 512/512", true },
        { STRV("dockerd"), STRV("containerd.service"),
          "100 dockerd docker.service 1024/524288, 200 containerd containerd.service unlimited/unlimited, "
          "250 containerd-shim containerd.service 1048576/1048576, 1102 dockerd docker-4f1c2a9d.scope 256/256" },
        { STRV("ws-server"), STRV("ws.service"),
          "300 ws-server ws.service 65536/65536, 301 ws-worker ws.service 4096/4096" }, /* each PID once */
        { STRV("ws-server"), STRV("ws.service"),
          "300 ws-server ws.service 65536/65536, 301 ws-worker ws.service 4096/4096, 1101 ws-server - 512/512", true },
        { NULL, STRV("docker.service", "init.scope"),
          "1 systemd init.scope 1024/524288, 100 dockerd docker.service 1024/524288" },
        /* a process outside any system unit */
        { STRV("bash"), NULL, "400 bash - 1024/4096" },
        { STRV("wstuned"), NULL, "1001 wstuned - 64/128" },
        { NULL, STRV("session-1.scope"), "" },
        { NULL, STRV("session-2.scope"), "" },
        /* names match whole: "docker" is not "dockerd" */
        { STRV("docker"), NULL, "1000 docker - 8/16" },
        { STRV("docke"), NULL, "" },
        { STRV("Dockerd"), NULL, "" },
        /* kernel threads, however they are named */
        { STRV("kthreadd", "kworker/R-mm_percpu_wq", "kworker/R-mm_pe"), NULL, "" },
        { STRV("kthreadd", "kworker/R-mm_percpu_wq", "kworker/R-mm_pe"), NULL, "", true },
        { NULL, STRV("nothing.service"), "" },
        { STRV("nothing"), NULL, "" },
        { (char *[]) { NULL }, (char *[]) { NULL }, "" },
        { NULL, NULL, "" },
};

START_TEST(test_find) {
        const FindCase *c = &find_cases[_i];
        _cleanup_free_ char *root = fake_proc_tree(), *got = NULL;
        ProcMatch *m = NULL;
        size_t n = 99;

        ck_assert_int_eq(find(root, c->names, c->any_owner, c->units, &m, &n), 0);
        got = matches_format(m, n);
        ck_assert_str_eq(got, c->expected);
        proc_matches_free(m, n);
}
END_TEST

/* What one process must be to count: its owner, its unit, its arguments, against one ProcName. Each case is a
 * scratch /proc with that one process, PID 10, named dockerd, 100/200 open files. */
typedef struct CountCase {
        const char *uids;    /* as FakeProc has them */
        const char *cgroup;
        const char *cmdline; /* NULL: none */
        size_t cmdline_size;
        bool any_owner;
        bool in_units;       /* the docker layer's dockerd: only in docker.service */
        bool with_arg;       /* only with --default-ulimit */
        bool counted;
} CountCase;

#define DOCKER_SERVICE "0::/system.slice/docker.service\n"
#define USER_UIDS "1000\t1000\t1000\t1000"

static const CountCase count_cases[] = {
        /* owner: real and effective uid 0 */
        { .cgroup = DOCKER_SERVICE, .counted = true },
        { .uids = USER_UIDS, .cgroup = DOCKER_SERVICE },
        { .uids = "1000\t0\t0\t0", .cgroup = DOCKER_SERVICE }, /* a set-user-ID root program run by a user */
        { .uids = "0\t1000\t0\t1000", .cgroup = DOCKER_SERVICE },
        { .uids = "0\t0\t1000\t1000", .cgroup = DOCKER_SERVICE, .counted = true },
        { .uids = "65534\t65534\t65534\t65534", .cgroup = "0::/\n" },
        { .uids = "-", .cgroup = DOCKER_SERVICE }, /* no status: gone */
        { .uids = USER_UIDS, .cgroup = DOCKER_SERVICE, .any_owner = true, .counted = true },
        { .uids = USER_UIDS, .cgroup = "0::/user.slice/user-1000.slice/session-2.scope\n", .any_owner = true,
          .counted = true },
        { .uids = "-", .cgroup = DOCKER_SERVICE, .any_owner = true, .counted = true }, /* not read */

        /* unit */
        { .cgroup = DOCKER_SERVICE, .in_units = true, .counted = true },
        { .cgroup = "0::/system.slice/docker.service/sub\n", .in_units = true, .counted = true },
        { .cgroup = "0::/custom.slice/docker.service\n", .in_units = true, .counted = true },
        { .cgroup = "0::/wstuned-test-42.slice/system.slice/docker.service\n", .in_units = true, .counted = true },
        { .cgroup = "1:name=systemd:/system.slice/docker.service\n0::/\n", .in_units = true, .counted = true },
        { .cgroup = "0::/\n", .in_units = true },
        { .cgroup = "0::/\n1:name=systemd:/\n", .in_units = true },
        { .cgroup = "0::/system.slice/containerd.service\n", .in_units = true },
        { .cgroup = "0::/system.slice/other.service\n", .in_units = true },
        { .cgroup = "0::/system.slice/docker-4f1c2a9d.scope\n", .in_units = true }, /* docker-in-docker */
        { .cgroup = "0::/system.slice/docker.socket\n", .in_units = true },
        { .cgroup = "0::/user.slice/user-0.slice/session-1.scope\n", .in_units = true },
        { .cgroup = "0::/user.slice/user-1000.slice/user@1000.service/app.slice/docker.service\n", .in_units = true },
        { .cgroup = "0::/machine.slice/systemd-nspawn@c1.service/payload/system.slice/docker.service\n",
          .in_units = true },
        { .cgroup = "0::/lxc.payload.c1/system.slice/docker.service\n", .in_units = true },
        { .cgroup = "0::/wstuned-test.42/system.slice/docker.service\n", .in_units = true },
        /* v1 moved, v2 not: v2 decides */
        { .cgroup = "1:name=systemd:/system.slice/docker.service\n0::/user.slice/user-1000.slice/session-2.scope\n",
          .in_units = true },
        { .uids = USER_UIDS, .cgroup = "0::/user.slice/user-1000.slice/session-2.scope\n", .any_owner = true,
          .in_units = true },
        { .uids = USER_UIDS, .cgroup = DOCKER_SERVICE, .in_units = true },

        /* arguments */
        { .cgroup = DOCKER_SERVICE, CMDLINE("/usr/bin/dockerd\0--default-ulimit\0nofile=1024:2048\0"), .in_units = true,
          .with_arg = true, .counted = true },
        { .cgroup = DOCKER_SERVICE, CMDLINE("/usr/bin/dockerd\0-H\0fd://\0"), .in_units = true, .with_arg = true },
        { .cgroup = DOCKER_SERVICE, .in_units = true, .with_arg = true }, /* no cmdline: gone */
        { .uids = USER_UIDS, .cgroup = DOCKER_SERVICE, CMDLINE("dockerd\0--default-ulimit\0nofile=1:2\0"),
          .in_units = true, .with_arg = true },
        { .cgroup = "0::/\n", CMDLINE("dockerd\0--default-ulimit\0nofile=1:2\0"), .in_units = true, .with_arg = true },
        { .cgroup = "0::/\n", CMDLINE("dockerd\0--default-ulimit\0nofile=1:2\0"), .with_arg = true, .counted = true },
};

START_TEST(test_find_count) {
        const CountCase *c = &count_cases[_i];
        static const char *const docker_service[] = { "docker.service", NULL };
        _cleanup_free_ char *root = scratch_dir_new(), *got = NULL;
        ProcName name = { .comm = "dockerd", .any_owner = c->any_owner, .units = c->in_units ? docker_service : NULL,
                          .arg = c->with_arg ? "--default-ulimit" : NULL };
        ProcMatch *m = NULL;
        size_t n = 99;

        fake_proc_write(root, &(FakeProc) { "10", "dockerd", 'S', 0x400100, c->cgroup, "100 200", c->uids, c->cmdline,
                                            c->cmdline_size });
        ck_assert_int_eq(proc_find(root, &name, 1, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, c->counted);
        if (c->counted)
                ck_assert_int_eq(m[0].pid, 10);
        proc_matches_free(m, n);
}
END_TEST

/* The docker layer's question on one tree: a user's dockerd, root's outside docker.service, root's in it. Only
 * the last one counts, for Verify and for the --default-ulimit check alike; a unit listed for its own sake
 * counts whoever runs its processes. */
START_TEST(test_find_docker) {
        static const char *const docker_service[] = { "docker.service", NULL };
        static const char args[] = "/usr/bin/dockerd\0--default-ulimit\0nofile=1024:2048\0";
        _cleanup_free_ char *root = scratch_dir_new(), *got = NULL;
        ProcName dockerd = { .comm = "dockerd", .units = docker_service };
        ProcMatch *m = NULL;
        size_t n = 0;

        fake_proc_write(root, &(FakeProc) { "20", "dockerd", 'S', 0x400100,
                                            "0::/user.slice/user-1000.slice/session-2.scope\n", "1024 1024", USER_UIDS,
                                            args, sizeof args - 1 });
        fake_proc_write(root, &(FakeProc) { "21", "dockerd", 'S', 0x400100, "0::/\n1:name=systemd:/\n", "1024 1024",
                                            NULL, args, sizeof args - 1 });
        fake_proc_write(root, &(FakeProc) { "22", "dockerd", 'S', 0x400100, "0::/system.slice/ws.service\n", "1024 1024",
                                            NULL, args, sizeof args - 1 });
        fake_proc_write(root, &(FakeProc) { "23", "dockerd", 'S', 0x400100,
                                            "0::/system.slice/ws.service\n", "1024 1024", USER_UIDS, args,
                                            sizeof args - 1 });
        ck_assert_int_eq(proc_find(root, &dockerd, 1, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
        dockerd.arg = "--default-ulimit";
        ck_assert_int_eq(proc_find(root, &dockerd, 1, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);

        fake_proc_write(root, &(FakeProc) { "30", "dockerd", 'S', 0x400100, "0::/system.slice/docker.service\n",
                                            "4096 8192", NULL, args, sizeof args - 1 });
        ck_assert_int_eq(proc_find(root, &dockerd, 1, NULL, &m, &n), 0);
        got = matches_format(m, n);
        ck_assert_str_eq(got, "30 dockerd docker.service 4096/8192");
        proc_matches_free(m, n);

        /* ws.service listed: both its processes, root's and the user's */
        got = mfree(got);
        ck_assert_int_eq(proc_find(root, &dockerd, 1, STRV("ws.service"), &m, &n), 0);
        got = matches_format(m, n);
        ck_assert_str_eq(got, "22 dockerd ws.service 1024/1024, 23 dockerd ws.service 1024/1024, "
                              "30 dockerd docker.service 4096/8192");
        proc_matches_free(m, n);
}
END_TEST

START_TEST(test_find_errors) {
        _cleanup_free_ char *root = scratch_dir_new(), *missing = path_in(root, "missing"), *file = NULL;
        ProcMatch *m = NULL;
        size_t n = 0;

        ck_assert_int_eq(find(missing, STRV("dockerd"), false, NULL, &m, &n), -ENOENT);
        tree_write(root, "file", "");
        file = path_in(root, "file");
        ck_assert_int_eq(find(file, STRV("dockerd"), false, NULL, &m, &n), -ENOTDIR);
        /* an empty list still needs a /proc */
        ck_assert_int_eq(proc_find(missing, NULL, 0, NULL, &m, &n), -ENOENT);

        /* a limits file the kernel would not write fails the scan rather than hide the process */
        fake_proc_write(root, &(FakeProc) { "10", "dockerd", 'S', 0, "0::/\n", "=Max open files many\n" });
        ck_assert_int_eq(find(root, STRV("dockerd"), false, NULL, &m, &n), -EINVAL);
        ck_assert_int_eq(find(root, STRV("other"), false, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_ptr_null(m);

        /* so does a status file the kernel would not write, once its owner is asked about */
        fake_proc_write(root, &(FakeProc) { "11", "ws-go", 'S', 0, "0::/\n", "1 2", "root" });
        ck_assert_int_eq(find(root, STRV("ws-go"), false, NULL, &m, &n), -EINVAL);
        ck_assert_int_eq(find(root, STRV("ws-go"), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 1);
        proc_matches_free(m, n);
}
END_TEST

/* A cgroup file that cannot be read whole (the kernel's ENAMETOOLONG for a path past PATH_MAX, here a file
 * past the buffer) means no unit; the process is still found by name. */
START_TEST(test_find_cgroup_too_long) {
        _cleanup_free_ char *root = scratch_dir_new(), *cgroup = malloc(70 * 1024), *got = NULL;
        ProcMatch *m = NULL;
        size_t n = 0;

        ck_assert_ptr_nonnull(cgroup);
        strcpy(cgroup, "0::/system.slice/ws.service/");
        memset(cgroup + strlen(cgroup), 'a', 70 * 1024 - strlen(cgroup) - 2);
        strcpy(cgroup + 70 * 1024 - 2, "\n");
        fake_proc_write(root, &(FakeProc) { "10", "ws-server", 'S', 0, cgroup, "1 2" });

        ck_assert_int_eq(find(root, STRV("ws-server"), false, NULL, &m, &n), 0);
        got = matches_format(m, n);
        ck_assert_str_eq(got, "10 ws-server - 1/2");
        proc_matches_free(m, n);
        ck_assert_int_eq(proc_find(root, NULL, 0, STRV("ws.service"), &m, &n), 0);
        ck_assert_uint_eq(n, 0);
}
END_TEST

/* More matches than PROC_FIND_MAX: the lowest PIDs, sorted, and 1. Created highest first, as a scratch
 * directory has no order. */
START_TEST(test_find_cap) {
        _cleanup_free_ char *root = scratch_dir_new();
        ProcMatch *m = NULL;
        size_t n = 0;

        for (int i = PROC_FIND_MAX + 4; i >= 0; i--) {
                char pid[16];
                snprintf(pid, sizeof pid, "%d", 5000 + i);
                fake_proc_write(root, &(FakeProc) { pid, "x", 'S', 0, "0::/\n", "1 2" });
        }
        ck_assert_int_eq(find(root, STRV("x"), false, NULL, &m, &n), 1);
        ck_assert_uint_eq(n, PROC_FIND_MAX);
        for (size_t i = 0; i < n; i++)
                ck_assert_int_eq(m[i].pid, 5000 + (int) i);
        proc_matches_free(m, n);

        /* exactly full is not truncated */
        for (int i = PROC_FIND_MAX + 4; i >= PROC_FIND_MAX; i--) {
                char pid[16];
                snprintf(pid, sizeof pid, "%d", 5000 + i);
                _cleanup_free_ char *dir = path_in(root, pid);
                rm_rf(dir);
        }
        ck_assert_int_eq(find(root, STRV("x"), false, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, PROC_FIND_MAX);
        proc_matches_free(m, n);
}
END_TEST

typedef struct ReadCase {
        pid_t pid;
        int ret;
        uint64_t soft, hard;
} ReadCase;

static const ReadCase read_cases[] = {
        { 100, 0, 1024, 524288 },
        { 200, 0, UNLIMITED, UNLIMITED },
        { 500, 0, 1024, 524288 }, /* a zombie still has its limits; only the scan leaves it out */
        { 600, -ESRCH },          /* no limits file */
        { 700, -ESRCH },          /* empty directory */
        { 800, -ESRCH },          /* empty limits: reaped between open() and read() */
        { 4243, -ESRCH },         /* no directory */
        { 0, -EINVAL },
        { -1, -EINVAL },
};

START_TEST(test_read_nofile) {
        const ReadCase *c = &read_cases[_i];
        _cleanup_free_ char *root = fake_proc_tree();
        uint64_t soft = 42, hard = 43;

        ck_assert_int_eq(proc_read_nofile(root, c->pid, &soft, &hard), c->ret);
        if (c->ret < 0) {
                ck_assert_uint_eq(soft, 42);
                return;
        }
        ck_assert_uint_eq(soft, c->soft);
        ck_assert_uint_eq(hard, c->hard);
}
END_TEST

START_TEST(test_read_nofile_garbage) {
        _cleanup_free_ char *root = scratch_dir_new(), *dir = path_in(root, "11/limits");
        uint64_t soft, hard;

        tree_write(root, "10/limits", "Max open files\n");
        ck_assert_int_eq(proc_read_nofile(root, 10, &soft, &hard), -EINVAL);
        make_dirs(dir);
        ck_assert_int_eq(proc_read_nofile(root, 11, &soft, &hard), -EISDIR);
}
END_TEST

static uint64_t rlim_to_u64(rlim_t v) {
        return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t) v;
}

/* A process found once is re-read only while it is the same one: its start time (stat's 22nd field) says so. */
START_TEST(test_match_refresh) {
        _cleanup_free_ char *root = scratch_dir_new(), *dir = NULL;
        ProcMatch *m = NULL;
        size_t n = 0;

        fake_proc_write(root, &(FakeProc) { "10", "ws-go", 'S', 0x400100, "0::/\n", "1024 4096" });
        ck_assert_int_eq(find(root, STRV("ws-go"), false, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_uint_eq(m[0].start_time, 25);

        /* the same process with a raised limit */
        fake_proc_write(root, &(FakeProc) { "10", "ws-go", 'S', 0x400100, "0::/\n", "65536 65536" });
        ck_assert_int_eq(proc_match_refresh(root, &m[0]), 0);
        ck_assert_uint_eq(m[0].soft, 65536);
        ck_assert_uint_eq(m[0].hard, 65536);

        /* another process under that PID (a user's, with a low limit, started at tick 26): not read */
        fake_proc_write(root, &(FakeProc) { "10", "ws-go", 'S', 0x400100, "0::/\n", "8 8", USER_UIDS });
        _cleanup_free_ char *stat = tree_read(root, "10/stat");
        char *start = strstr(stat, " 25 0 0 18446744073709551615");
        ck_assert_ptr_nonnull(start);
        memcpy(start, " 26", 3);
        tree_write(root, "10/stat", stat);
        ck_assert_int_eq(proc_match_refresh(root, &m[0]), -ESRCH);
        ck_assert_uint_eq(m[0].soft, 65536);

        /* a zombie, then gone */
        fake_proc_write(root, &(FakeProc) { "10", "ws-go", 'Z', 0x400100, "0::/\n", "8 8" });
        ck_assert_int_eq(proc_match_refresh(root, &m[0]), -ESRCH);
        dir = path_in(root, "10");
        rm_rf(dir);
        ck_assert_int_eq(proc_match_refresh(root, &m[0]), -ESRCH);
        ck_assert_uint_eq(m[0].soft, 65536);

        m[0].pid = 0;
        ck_assert_int_eq(proc_match_refresh(root, &m[0]), -EINVAL);
        proc_matches_free(m, n);
}
END_TEST

/* The real /proc: this process, after lowering its own soft limit. */
START_TEST(test_read_nofile_self) {
        struct rlimit rl;
        uint64_t soft, hard;

        if (getenv("WSTUNED_MEMCHECK")) {
                printf("SKIP: %s: memcheck emulates RLIMIT_NOFILE, /proc/PID/limits shows the real one\n", __func__);
                return;
        }
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
        rl.rlim_cur = 100;
        ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
        ck_assert_uint_eq(rl.rlim_cur, 100);

        ck_assert_int_eq(proc_read_nofile("/proc", getpid(), &soft, &hard), 0);
        ck_assert_uint_eq(soft, 100);
        ck_assert_uint_eq(hard, rlim_to_u64(rl.rlim_max));

        /* larger than any pid_max (PID_MAX_LIMIT is 4194304) */
        ck_assert_int_eq(proc_read_nofile("/proc", INT_MAX, &soft, &hard), -ESRCH);
}
END_TEST

/* The real /proc: a child with a comm of its own and a lowered soft limit is found by name; as a zombie it
 * is not; once reaped it is gone. */
START_TEST(test_find_child) {
        pid_t parent = getpid(), child;
        char comm[PROC_COMM_MAX + 1], c;
        int ready[2];
        struct rlimit rl;
        ProcMatch *m = NULL;
        size_t n = 0;
        uint64_t soft, hard;

        if (getenv("WSTUNED_MEMCHECK")) {
                printf("SKIP: %s: memcheck emulates RLIMIT_NOFILE, /proc/PID/limits shows the real one\n", __func__);
                return;
        }
        ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
        snprintf(comm, sizeof comm, "wstp-%d", (int) parent);
        ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);

        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                /* never outlive a failed test */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                if (prctl(PR_SET_NAME, comm) < 0)
                        _exit(EXIT_FAILURE);
                rl.rlim_cur = 77;
                if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
                        _exit(EXIT_FAILURE);
                if (write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        close(ready[1]);
        ck_assert_int_eq(read(ready[0], &c, 1), 1);
        close(ready[0]);

        ck_assert_int_eq(find("/proc", STRV(comm, "no-such-comm"), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(m[0].pid, child);
        ck_assert_str_eq(m[0].comm, comm);
        ck_assert_uint_eq(m[0].soft, 77);
        ck_assert_uint_eq(m[0].hard, rlim_to_u64(rl.rlim_max));

        ck_assert_int_eq(proc_read_nofile("/proc", child, &soft, &hard), 0);
        ck_assert_uint_eq(soft, 77);
        ck_assert_uint_eq(hard, rlim_to_u64(rl.rlim_max));
        ProcMatch found = { .pid = child, .start_time = m[0].start_time };
        ck_assert_int_eq(proc_match_refresh("/proc", &found), 0);
        ck_assert_uint_eq(found.soft, 77);
        found.start_time++;
        ck_assert_int_eq(proc_match_refresh("/proc", &found), -ESRCH);
        proc_matches_free(m, n);

        /* dead but not reaped */
        siginfo_t si;
        ck_assert_int_eq(kill(child, SIGKILL), 0);
        ck_assert_int_eq(waitid(P_PID, (id_t) child, &si, WEXITED | WNOWAIT), 0);
        ck_assert_int_eq(find("/proc", STRV(comm), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);

        found.start_time--;
        ck_assert_int_eq(proc_match_refresh("/proc", &found), -ESRCH); /* a zombie */

        ck_assert_int_eq(waitpid(child, NULL, 0), child);
        ck_assert_int_eq(proc_read_nofile("/proc", child, &soft, &hard), -ESRCH);
        ck_assert_int_eq(proc_match_refresh("/proc", &found), -ESRCH);
        ck_assert_int_eq(find("/proc", STRV(comm), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
}
END_TEST

/* The real /proc: a child that gave up root is found by a name only when any owner will do, its status shows
 * its uid, and a name that looks like a "Uid:" line does not change that. */
START_TEST(test_find_child_owner) {
        pid_t parent = getpid(), child;
        char comm[PROC_COMM_MAX + 1], c;
        int ready[2], go[2];
        ProcMatch *m = NULL;
        size_t n = 0;
        ProcUids uids;

        if (geteuid() != 0) {
                printf("SKIP: %s needs root (a child that changes its uid)\n", __func__);
                return;
        }
        snprintf(comm, sizeof comm, "wsto-%d", (int) parent);
        ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
        ck_assert_int_eq(pipe2(go, O_CLOEXEC), 0);

        child = fork();
        ck_assert_int_ge(child, 0);
        if (child == 0) {
                /* a change of uid clears the parent-death signal: set it after */
                if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
                        _exit(EXIT_FAILURE);
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(EXIT_FAILURE);
                if (prctl(PR_SET_NAME, comm) < 0 || write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                if (read(go[0], &c, 1) != 1 || prctl(PR_SET_NAME, "x\nUid:\t0\t0\t0\t0") < 0 ||
                    write(ready[1], "x", 1) != 1)
                        _exit(EXIT_FAILURE);
                for (;;)
                        pause();
        }
        close(ready[1]);
        close(go[0]);
        ck_assert_int_eq(read(ready[0], &c, 1), 1);

        ck_assert_int_eq(find("/proc", STRV(comm), false, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(find("/proc", STRV(comm), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 1);
        ck_assert_int_eq(m[0].pid, child);
        proc_matches_free(m, n);

        ck_assert_int_eq(write(go[1], "x", 1), 1);
        ck_assert_int_eq(read(ready[0], &c, 1), 1);
        char rel[32];
        snprintf(rel, sizeof rel, "%d/status", (int) child);
        _cleanup_free_ char *status = tree_read("/proc", rel);
        ck_assert_ptr_nonnull(status);
        ck_assert_msg(strstr(status, "Name:\tx\\nUid:"), "status: %s", status);
        ck_assert_int_eq(proc_status_parse_uids(status, &uids), 0);
        ck_assert_uint_eq(uids.real, 65534);
        ck_assert_uint_eq(uids.effective, 65534);

        ck_assert_int_eq(kill(child, SIGKILL), 0);
        ck_assert_int_eq(waitpid(child, NULL, 0), child);
}
END_TEST

/* The real /proc: kernel threads are never reported, by any name. */
START_TEST(test_find_kthreads) {
        ProcMatch *m = NULL;
        size_t n = 0;

        _cleanup_free_ char *comm = tree_read("/proc", "2/comm");

        /* In a PID namespace (a container) PID 2 is no kernel thread; the scratch tree covers the rule. */
        if (!comm || !streq(comm, "kthreadd\n"))
                return;
        ck_assert_int_eq(find("/proc", STRV("kthreadd"), false, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
        ck_assert_int_eq(find("/proc", STRV("kthreadd"), true, NULL, &m, &n), 0);
        ck_assert_uint_eq(n, 0);
}
END_TEST

static Suite *proc_limits_suite(void) {
        Suite *s = suite_create("proc-limits");
        TCase *tc;

        tc = tcase_create("parsers");
        tcase_add_loop_test(tc, test_limits_parse, 0, ELEMENTSOF(limits_cases));
        tcase_add_loop_test(tc, test_cgroup_unit, 0, ELEMENTSOF(cgroup_cases));
        tcase_add_test(tc, test_cgroup_unit_long);
        tcase_add_loop_test(tc, test_status_parse, 0, ELEMENTSOF(status_cases));
        tcase_add_loop_test(tc, test_cmdline_has_arg, 0, ELEMENTSOF(cmdline_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("scratch");
        tcase_add_loop_test(tc, test_find, 0, ELEMENTSOF(find_cases));
        tcase_add_loop_test(tc, test_find_count, 0, ELEMENTSOF(count_cases));
        tcase_add_test(tc, test_find_docker);
        tcase_add_test(tc, test_find_errors);
        tcase_add_test(tc, test_find_cgroup_too_long);
        tcase_add_test(tc, test_find_cap);
        tcase_add_loop_test(tc, test_read_nofile, 0, ELEMENTSOF(read_cases));
        tcase_add_test(tc, test_read_nofile_garbage);
        tcase_add_test(tc, test_match_refresh);
        suite_add_tcase(s, tc);

        tc = tcase_create("proc");
        tcase_add_test(tc, test_read_nofile_self);
        tcase_add_test(tc, test_find_child);
        tcase_add_test(tc, test_find_child_owner);
        tcase_add_test(tc, test_find_kthreads);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(proc_limits_suite());
}
