/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-sysctld.c - sysctld_parse() on any bytes: the input is split at its first two "\n--\n" separators into up
 * to three files (an admin's, the image's, the distribution's), parsed in that order, then looked up for the keys
 * the shipped profiles manage and for every key the files name.
 *
 * Checked as sysctl-d.h promises: every assignment's key is non-empty path form (no leading or trailing '/', no
 * empty segment), a pattern exactly when it holds a glob character; its file is one of the files parsed and its
 * line within the file; no key appears twice; a lookup returns an assignment with a value, for a non-glob key the
 * key's own when there is one. */
#include "fuzz.h"
#include "sysctl-d.h"

static const char *const managed[] = {
        "net/netfilter/nf_conntrack_max", "net/core/somaxconn", "net/ipv4/tcp_max_syn_backlog",
        "net/ipv4/tcp_syncookies",        "net/ipv4/ip_local_port_range", "net/ipv4/conf/eth0.100/rp_filter",
        "fs/nr_open",                     "fs/file-max",
};

static void check_lookup(const SysctldConfig *c, const char *path) {
        const SysctldAssignment *a = sysctld_lookup(c, path);

        if (!a)
                return;
        fuzz_check(a->value, "lookup of %s returned a -key line", path);
        for (size_t i = 0; i < c->n_assignments; i++)
                if (!c->assignments[i].glob && streq(c->assignments[i].key, path))
                        fuzz_check(a == &c->assignments[i], "%s: a pattern won over the key's own line", path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = fuzz_text(data, size);
        static const char *const paths[] = { "/etc/sysctl.d/10-a.conf", "/etc/sysctl.d/60-image.conf",
                                             "/usr/lib/sysctl.d/99-dist.conf" };
        SysctldFile files[3] = {};
        SysctldConfig c = {};
        size_t n = 0, lines[3] = {};
        char *p = text, *end = text + size;

        while (n < 3) {
                char *sep = n < 2 ? memmem(p, (size_t) (end - p), "\n--\n", 4) : NULL;
                size_t len = sep ? (size_t) (sep - p) + 1 : (size_t) (end - p);
                files[n] = (SysctldFile) { .path = (char *) paths[n], .content = p, .size = len };
                for (size_t i = 0; i < len; i++)
                        lines[n] += p[i] == '\n' || p[i] == '\0';
                n++;
                if (!sep)
                        break;
                p = sep + 4;
        }

        if (sysctld_parse(files, n, &c) < 0)
                return 0;
        fuzz_check(c.n_assignments <= SYSCTLD_ASSIGNMENTS_MAX, "%zu assignments", c.n_assignments);
        for (size_t i = 0; i < c.n_assignments; i++) {
                const SysctldAssignment *a = &c.assignments[i];
                size_t f = 0;

                fuzz_check(a->key[0] && a->key[0] != '/' && a->key[strlen(a->key) - 1] != '/' && !strstr(a->key, "//"),
                           "key \"%s\" is not path form", a->key);
                fuzz_check(a->glob == !!strpbrk(a->key, "*?["), "key \"%s\": glob %d", a->key, a->glob);
                while (f < n && !streq(a->file, paths[f]))
                        f++;
                fuzz_check(f < n, "file %s was not parsed", a->file);
                fuzz_check(a->line >= 1 && a->line <= lines[f] + 1, "%s:%u beyond its %zu lines", a->file, a->line,
                           lines[f]);
                for (size_t j = 0; j < i; j++)
                        fuzz_check(!streq(c.assignments[j].key, a->key), "key \"%s\" twice", a->key);
        }
        for (size_t i = 0; i < ELEMENTSOF(managed); i++)
                check_lookup(&c, managed[i]);
        for (size_t i = 0; i < c.n_assignments; i++)
                if (!c.assignments[i].glob)
                        check_lookup(&c, c.assignments[i].key);
        sysctld_config_done(&c);
        return 0;
}
