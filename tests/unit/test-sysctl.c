/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-sysctl.c - key names, value normalisation, integer comparison, matching, /proc/sys file I/O. */
#include "sysctl.h"
#include "test-helpers.h"

/* 128 bytes, the longest name accepted */
#define NAME_128 "net.core." \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define PATH_128 "net/core/" \
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

typedef struct KeyCase {
        const char *key;
        const char *path; /* expected path, NULL when the key must be rejected */
        const char *name; /* dot form of path */
        const char *reason;
} KeyCase;

static const KeyCase key_cases[] = {
        /* dot form and slash form name the same file */
        { "net.core.somaxconn", "net/core/somaxconn", "net.core.somaxconn" },
        { "net/core/somaxconn", "net/core/somaxconn", "net.core.somaxconn" },
        { "kernel.pid_max", "kernel/pid_max", "kernel.pid_max" },
        { "a.b", "a/b", "a.b" },
        /* a VLAN interface: in dot form '/' stands for the '.' in the name, as with sysctl(8) */
        { "net.ipv4.conf.eth0/100.rp_filter", "net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter" },
        { "net/ipv4/conf/eth0.100/rp_filter", "net/ipv4/conf/eth0.100/rp_filter", "net.ipv4.conf.eth0/100.rp_filter" },
        { "net.ipv6.conf.br0/10/20.forwarding", "net/ipv6/conf/br0.10.20/forwarding", "net.ipv6.conf.br0/10/20.forwarding" },
        /* the first separator decides the form */
        { "net/ipv4/conf/a.b.c/x", "net/ipv4/conf/a.b.c/x", "net.ipv4.conf.a/b/c.x" },
        /* "..." is a file name, not a way up */
        { "net/.../x", "net/.../x", "net.///.x" },
        /* bytes above 0x7f are allowed (UTF-8 interface names) */
        { "net.ipv4.conf.\xc3\xa9th0.rp_filter", "net/ipv4/conf/\xc3\xa9th0/rp_filter", "net.ipv4.conf.\xc3\xa9th0.rp_filter" },
        { NAME_128, PATH_128, NAME_128 },

        { "", NULL, NULL, "empty key name" },
        { NAME_128 "a", NULL, NULL, "key name too long" },
        { "/net/core/somaxconn", NULL, NULL, "absolute path; give the name relative to /proc/sys" },
        { "/proc/sys/net/core/somaxconn", NULL, NULL, "absolute path; give the name relative to /proc/sys" },
        { "somaxconn", NULL, NULL, "key name must have at least two segments (e.g. net.core.somaxconn)" },
        { "net.core..somaxconn", NULL, NULL, "empty segment in key name" },
        { "net//core", NULL, NULL, "empty segment in key name" },
        { ".net.core", NULL, NULL, "empty segment in key name" },
        { "net.core.", NULL, NULL, "empty segment in key name" },
        { "net/core/", NULL, NULL, "empty segment in key name" },
        { ".", NULL, NULL, "empty segment in key name" },
        { "..", NULL, NULL, "empty segment in key name" },
        { "../../etc/shadow", NULL, NULL, "empty segment in key name" },
        { "net/../../etc/shadow", NULL, NULL, "'.' or '..' segment in key name" },
        { "net/./core", NULL, NULL, "'.' or '..' segment in key name" },
        { "net/core/..", NULL, NULL, "'.' or '..' segment in key name" },
        { "net./.core", NULL, NULL, "'.' or '..' segment in key name" },  /* dot form of net/./core */
        { "net.//.core", NULL, NULL, "'.' or '..' segment in key name" }, /* dot form of net/../core */
        { "net.core.some thing", NULL, NULL, "whitespace or control character in key name" },
        { "net.core.somaxconn\n", NULL, NULL, "whitespace or control character in key name" },
        { "net.core\tx", NULL, NULL, "whitespace or control character in key name" },
        { "net.core.\x01", NULL, NULL, "whitespace or control character in key name" },
        { "net.core.\x1b[0m", NULL, NULL, "whitespace or control character in key name" },
        { "net.core.x\x7f", NULL, NULL, "whitespace or control character in key name" },
};

START_TEST(test_key_to_path) {
        const KeyCase *c = &key_cases[_i];
        _cleanup_free_ char *path = NULL, *name = NULL;
        const char *reason = NULL;
        int r;

        r = sysctl_key_to_path(c->key, &path, &reason);
        if (!c->path) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_pstr_eq(reason, c->reason);
                ck_assert_ptr_null(path);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_str_eq(path, c->path);
        name = sysctl_path_to_name(path);
        ck_assert_str_eq(name, c->name);

        /* the dot form names the same file again */
        _cleanup_free_ char *again = NULL;
        ck_assert_int_eq(sysctl_key_to_path(name, &again, &reason), 0);
        ck_assert_str_eq(again, c->path);
}
END_TEST

typedef struct NormalizeCase {
        const char *in;
        const char *out; /* NULL: rejected with reason */
        const char *reason;
} NormalizeCase;

#define S64 "1234567890123456789012345678901234567890123456789012345678901234"
#define S256 S64 S64 S64 S64

static const NormalizeCase normalize_cases[] = {
        { "1", "1" },
        { "4096\n", "4096" },
        { "10000 65000", "10000 65000" },
        { "10000\t65000", "10000 65000" },           /* tabs are spaces */
        { "  10000 \t\t 65000 \n", "10000 65000" }, /* runs collapse, ends are trimmed */
        { "\t\n x \n\t", "x" },
        { "4096 87380 6291456", "4096 87380 6291456" },
        { "a  b   c", "a b c" },
        { "0016384", "0016384" },                    /* only whitespace changes */
        { "-1", "-1" },
        { "\xc3\xa9", "\xc3\xa9" },
        { S256, S256 },                              /* 256 bytes is the limit */
        { "  " S256 "\n\n", S256 },                  /* the limit applies after normalisation */
        { "", NULL, "empty value" },
        { " \t\n ", NULL, "empty value" },
        { S256 "1", NULL, "value too long" },
        { "1\r", NULL, "control character in value" },
        { "1\x0b" "2", NULL, "control character in value" },
        { "1\f", NULL, "control character in value" },
        { "\x7f", NULL, "control character in value" },
        { "\x1b[31m", NULL, "control character in value" },
};

START_TEST(test_value_normalize) {
        const NormalizeCase *c = &normalize_cases[_i];
        _cleanup_free_ char *out = NULL;
        const char *reason = NULL;
        int r;

        r = sysctl_value_normalize(c->in, &out, &reason);
        if (!c->out) {
                ck_assert_int_eq(r, -EINVAL);
                ck_assert_pstr_eq(reason, c->reason);
                ck_assert_ptr_null(out);
                return;
        }
        ck_assert_int_eq(r, 0);
        ck_assert_str_eq(out, c->out);
}
END_TEST

typedef struct IntegerCase {
        const char *s;
        bool integer;
} IntegerCase;

static const IntegerCase integer_cases[] = {
        { "0", true },
        { "-1", true },
        { "007", true },
        { "-0", true },
        { "18446744073709551616", true }, /* any magnitude */
        { "", false },
        { "-", false },
        { "+1", false },
        { "--1", false },
        { "1-", false },
        { "1 2", false },
        { "1.0", false },
        { " 1", false },
        { "0x10", false },
        { "1e3", false },
};

START_TEST(test_value_is_integer) {
        const IntegerCase *c = &integer_cases[_i];

        ck_assert_msg(sysctl_value_is_integer(c->s) == c->integer, "\"%s\": expected %s", c->s,
                      c->integer ? "an integer" : "not an integer");
}
END_TEST

typedef struct CompareCase {
        const char *a, *b;
        int sign;
} CompareCase;

static const CompareCase compare_cases[] = {
        { "0", "0", 0 },
        { "-0", "0", 0 },
        { "0", "-0", 0 },
        { "-000", "0", 0 },
        { "007", "7", 0 },
        { "000000000000000000000000001", "1", 0 },
        { "0010", "9", 1 },
        { "9", "10", -1 },
        { "-1", "0", -1 },
        { "0", "-1", 1 },
        { "-5", "-10", 1 },
        { "-10", "-5", -1 },
        { "-10", "-10", 0 },
        { "-010", "-9", -1 },
        { "2147483647", "2147483648", -1 },
        { "9223372036854775807", "9223372036854775808", -1 },   /* past long long */
        { "18446744073709551616", "18446744073709551615", 1 },  /* past unsigned long long */
        { "99999999999999999999999999", "100000000000000000000000000", -1 },
        { "-99999999999999999999999999", "-100000000000000000000000000", 1 },
        { "9223372036854775808", "-9223372036854775809", 1 },
};

static int sign(int x) {
        return (x > 0) - (x < 0);
}

START_TEST(test_integer_compare) {
        const CompareCase *c = &compare_cases[_i];

        ck_assert_int_eq(sign(sysctl_integer_compare(c->a, c->b)), c->sign);
        ck_assert_int_eq(sign(sysctl_integer_compare(c->b, c->a)), -c->sign);
}
END_TEST

typedef struct MatchCase {
        const char *actual, *desired;
        SysctlMatch match;
        bool matches;
} MatchCase;

#define E SYSCTL_MATCH_EXACT
#define A SYSCTL_MATCH_AT_LEAST

static const MatchCase match_cases[] = {
        { "4096", "4096", E, true },
        { "4096", "4097", E, false },
        { "4097", "4096", E, false },
        { "0016384", "16384", E, true }, /* the same number */
        { "16384", "0016384", E, true },
        { "-0", "0", E, true },
        { "10000 65000", "10000 65000", E, true },
        { "010000 065000", "10000 65000", E, true },
        { "10000 65000", "10000 65001", E, false },
        { "10000 65000", "10000", E, false },
        { "10000", "10000 65000", E, false },
        { "1 2 3", "1 2", E, false },
        { "cubic", "cubic", E, true },
        { "cubic", "reno", E, false },
        { "4096 x", "4096 x", E, true },
        { "", "", E, true },
        { "", "0", E, false },
        { "0", "", E, false },
        { "8192", "4096", E, false },

        { "8192", "4096", A, true },
        { "4096", "4096", A, true },
        { "4095", "4096", A, false },
        { "00004097", "4096", A, true },
        { "18446744073709551616", "4096", A, true },
        { "9999999999999999999", "10000000000000000000", A, false },
        { "-1", "0", A, false },
        { "0", "-1", A, true },
        { "", "4096", A, false },    /* an absent or empty value does not satisfy */
        { "abc", "4096", A, false },
        { "4096 1", "4096", A, false },
};

#undef E
#undef A

START_TEST(test_value_matches) {
        const MatchCase *c = &match_cases[_i];

        ck_assert_msg(sysctl_value_matches(c->actual, c->desired, c->match) == c->matches,
                      "\"%s\" vs %s\"%s\": expected %s", c->actual, c->match == SYSCTL_MATCH_AT_LEAST ? ">=" : "",
                      c->desired, c->matches ? "match" : "no match");
}
END_TEST

START_TEST(test_match_strings) {
        ck_assert_int_eq(sysctl_match_from_string("exact"), SYSCTL_MATCH_EXACT);
        ck_assert_int_eq(sysctl_match_from_string("at-least"), SYSCTL_MATCH_AT_LEAST);
        ck_assert_int_eq(sysctl_match_from_string("at_least"), _SYSCTL_MATCH_INVALID);
        ck_assert_int_eq(sysctl_match_from_string("Exact"), _SYSCTL_MATCH_INVALID);
        ck_assert_int_eq(sysctl_match_from_string(""), _SYSCTL_MATCH_INVALID);
        ck_assert_str_eq(sysctl_match_to_string(SYSCTL_MATCH_EXACT), "exact");
        ck_assert_str_eq(sysctl_match_to_string(SYSCTL_MATCH_AT_LEAST), "at-least");
        ck_assert_ptr_null(sysctl_match_to_string(_SYSCTL_MATCH_MAX));
        ck_assert_ptr_null(sysctl_match_to_string(_SYSCTL_MATCH_INVALID));
}
END_TEST

typedef struct ReadCase {
        const char *content;
        const char *value; /* normalised; control characters from the kernel are kept */
} ReadCase;

static const ReadCase read_cases[] = {
        { "4096\n", "4096" },
        { "32768\t60999\n", "32768 60999" },
        { "4096\t87380\t6291456\n", "4096 87380 6291456" },
        { "", "" },
        { "\n", "" },
        { "a\rb\n", "a\rb" },
};

START_TEST(test_read) {
        const ReadCase *c = &read_cases[_i];
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "key"), *value = NULL;

        tree_write(dir, "key", c->content);
        ck_assert_int_eq(sysctl_read(path, &value), 0);
        ck_assert_str_eq(value, c->value);

        /* the poll's ways, a kept descriptor and normalising in place, give the same */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_free_ char *via_fd = NULL, *again = NULL, *copy = strdup(c->content);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(sysctl_read_fd(fd, &via_fd), 0);
        ck_assert_str_eq(via_fd, c->value);
        ck_assert_int_eq(sysctl_read_fd(fd, &again), 0); /* pread starts at 0 every time */
        ck_assert_str_eq(again, c->value);
        ck_assert_ptr_nonnull(copy);
        ck_assert_uint_eq(sysctl_normalize_in_place(copy), strlen(c->value));
        ck_assert_str_eq(copy, c->value);
}
END_TEST

START_TEST(test_read_fd_long) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "key"), *value = NULL;
        _cleanup_free_ char *big = malloc(10001);
        /* 5000 fields "1 ": longer than one 4 KiB pread */
        ck_assert_ptr_nonnull(big);
        for (size_t i = 0; i < 5000; i++)
                memcpy(big + 2 * i, "1\t", 2);
        big[10000] = '\0';
        tree_write(dir, "key", big);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(sysctl_read_fd(fd, &value), 0);
        ck_assert_uint_eq(strlen(value), 9999);
        ck_assert(strncmp(value, "1 1 1", 5) == 0);
}
END_TEST

START_TEST(test_read_errors) {
        _cleanup_free_ char *dir = scratch_dir_new(), *missing = path_in(dir, "missing"), *big = path_in(dir, "big");
        _cleanup_free_ char *data = malloc(64 * 1024 + 2), *value = NULL;

        ck_assert_int_eq(sysctl_read(missing, &value), -ENOENT);
        ck_assert_int_eq(sysctl_read(dir, &value), -EISDIR);
        memset(data, '1', 64 * 1024 + 1);
        data[64 * 1024 + 1] = '\0';
        tree_write(dir, "big", data);
        ck_assert_int_eq(sysctl_read(big, &value), -EFBIG);
        ck_assert_ptr_null(value);
}
END_TEST

START_TEST(test_write) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "key"), *content = NULL, *value = NULL;
        _cleanup_free_ char *missing = path_in(dir, "missing");

        tree_write(dir, "key", "0\n");
        ck_assert_int_eq(sysctl_write(path, "1"), 0);
        content = tree_read(dir, "key");
        ck_assert_int_eq(content[0], '1'); /* no newline is added: "1" or, without truncation, "1\n" */
        ck_assert_int_eq(sysctl_read(path, &value), 0);
        ck_assert_str_eq(value, "1");

        /* no file is created: a key /proc/sys does not have stays absent */
        ck_assert_int_eq(sysctl_write(missing, "1"), -ENOENT);
        ck_assert(!tree_exists(dir, "missing"));
        ck_assert_int_eq(sysctl_write(dir, "1"), -EISDIR);

        /* the error of write(2) itself comes back (stdio would hide it until fclose) */
        ck_assert_int_eq(sysctl_write("/dev/full", "1"), -ENOSPC);
}
END_TEST

/* Regression (fixed): sysctl_write() opens without O_TRUNC. /proc/sys ignores that, but the root-prefixed tree the
 * unit tests (and `--root` runs) use is made of regular files: writing a value shorter than the file
 * leaves the tail of the old one, "4096" over "16384\n" reads back as "40964". The manager then
 * reports ERANGE for a write that worked, and Revert of any key whose original value is shorter than
 * the profile's cannot succeed (see test-manager.c). */
START_TEST(test_write_shorter_value) {
        _cleanup_free_ char *dir = scratch_dir_new(), *path = path_in(dir, "key"), *value = NULL;

        tree_write(dir, "key", "16384\n");
        ck_assert_int_eq(sysctl_write(path, "4096"), 0);
        ck_assert_int_eq(sysctl_read(path, &value), 0);
        ck_assert_str_eq(value, "4096");
}
END_TEST

static Suite *sysctl_suite(void) {
        Suite *s = suite_create("sysctl");
        TCase *tc;

        tc = tcase_create("names");
        tcase_add_loop_test(tc, test_key_to_path, 0, ELEMENTSOF(key_cases));
        suite_add_tcase(s, tc);

        tc = tcase_create("values");
        tcase_add_loop_test(tc, test_value_normalize, 0, ELEMENTSOF(normalize_cases));
        tcase_add_loop_test(tc, test_value_is_integer, 0, ELEMENTSOF(integer_cases));
        tcase_add_loop_test(tc, test_integer_compare, 0, ELEMENTSOF(compare_cases));
        tcase_add_loop_test(tc, test_value_matches, 0, ELEMENTSOF(match_cases));
        tcase_add_test(tc, test_match_strings);
        suite_add_tcase(s, tc);

        tc = tcase_create("files");
        tcase_add_loop_test(tc, test_read, 0, ELEMENTSOF(read_cases));
        tcase_add_test(tc, test_read_errors);
        tcase_add_test(tc, test_read_fd_long);
        tcase_add_test(tc, test_write);
        suite_add_tcase(s, tc);

        /* regressions: bugs these tests found, fixed since */
        tc = tcase_create("regressions");
        tcase_add_test(tc, test_write_shorter_value);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(sysctl_suite());
}
