/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* test-util.c - util/: path joining, file reading with a cap, atomic replace, UTF-8 and quoting, positions. */
#include <sys/stat.h>

#include "test-helpers.h"
#include "util/util.h"

typedef struct JoinCase {
        const char *root, *path, *expected;
} JoinCase;

static const JoinCase join_cases[] = {
        { NULL, "/etc/wstuned", "/etc/wstuned" },
        { "", "/etc/wstuned", "/etc/wstuned" },
        { "/", "/etc/wstuned", "/etc/wstuned" },
        { "/tmp/r", "/etc/wstuned", "/tmp/r/etc/wstuned" },
        { "/tmp/r/", "/etc/wstuned", "/tmp/r/etc/wstuned" },
        { "/tmp/r///", "/proc/sys", "/tmp/r/proc/sys" },
        { "/tmp/r", "var/lib", "/tmp/r/var/lib" },
        { "relative", "/etc", "relative/etc" },
};

START_TEST(test_path_join_root) {
        const JoinCase *c = &join_cases[_i];
        _cleanup_free_ char *p = path_join_root(c->root, c->path);

        ck_assert_str_eq(p, c->expected);
}
END_TEST

typedef struct Utf8Case {
        const char *s;
        bool valid;
        bool nonchar; /* valid UTF-8 that sd-bus refuses: bus_string_is_valid() is false */
} Utf8Case;

static const Utf8Case utf8_cases[] = {
        { "", true },
        { "net.core.somaxconn", true },
        { "\xc3\xa9", true },                  /* é */
        { "\xe2\x82\xac", true },              /* € */
        { "\xf0\x9f\x98\x80", true },          /* U+1F600 */
        { "\xf4\x8f\xbf\xbd", true },          /* U+10FFFD, the last character */
        { "\xed\x9f\xbf", true },              /* U+D7FF, just below the surrogates */
        { "\xee\x80\x80", true },              /* U+E000, just above them */
        { "\xef\xbf\xbd", true },              /* U+FFFD, the replacement character */
        { "\xef\xb7\x8f", true },              /* U+FDCF, just below the noncharacters */
        { "\xef\xb7\xb0", true },              /* U+FDF0, just above them */
        { "\x7f", true },
        /* noncharacters: valid UTF-8, but sd-bus refuses them (a reply or error holding one is never sent) */
        { "\xef\xbf\xbf", true, true },       /* U+FFFF */
        { "\xef\xbf\xbe", true, true },       /* U+FFFE */
        { "\xef\xb7\x90", true, true },       /* U+FDD0 */
        { "\xef\xb7\xaf", true, true },       /* U+FDEF */
        { "\xf0\x9f\xbf\xbe", true, true },   /* U+1FFFE */
        { "\xf4\x8f\xbf\xbf", true, true },   /* U+10FFFF, the last code point */
        { "\x80", false },                     /* lone continuation byte */
        { "a\xbf", false },
        { "\xc3", false },                     /* truncated at the end */
        { "\xc3(", false },                    /* bad continuation */
        { "a\xe2\x82", false },
        { "\xe2\x82\xac\x80", false },         /* stray continuation after a full sequence */
        { "\xc0\xaf", false },                 /* overlong '/' */
        { "\xc1\xbf", false },
        { "\xe0\x80\xaf", false },             /* overlong '/' in three bytes */
        { "\xe0\x9f\xbf", false },             /* overlong U+07FF */
        { "\xf0\x80\x80\xaf", false },         /* overlong '/' in four bytes */
        { "\xf0\x8f\xbf\xbf", false },         /* overlong U+FFFF */
        { "\xed\xa0\x80", false },             /* U+D800, surrogate */
        { "\xed\xbf\xbf", false },             /* U+DFFF, surrogate */
        { "\xf4\x90\x80\x80", false },         /* U+110000 */
        { "\xf5\x80\x80\x80", false },
        { "\xf8\x88\x80\x80\x80", false },     /* five-byte form */
        { "\xfe", false },
        { "\xff", false },
};

START_TEST(test_utf8_is_valid) {
        const Utf8Case *c = &utf8_cases[_i];

        ck_assert_msg(utf8_is_valid(c->s) == c->valid, "case %d: expected %s", _i, c->valid ? "valid" : "invalid");
        ck_assert_msg(bus_string_is_valid(c->s) == (c->valid && !c->nonchar), "case %d: sd-bus would %s it", _i,
                      c->valid && !c->nonchar ? "take" : "refuse");
}
END_TEST

typedef struct EscapeCase {
        const char *s, *expected;
} EscapeCase;

static const EscapeCase escape_cases[] = {
        { "", "" },
        { "vm", "vm" },
        { "a\xff" "b", "a\\xff" "b" },
        { "\xc3\xa9", "\xc3\xa9" },                     /* é stays */
        { "\xc3", "\\xc3" },                           /* truncated at the end */
        { "\xc3(", "\\xc3(" },                         /* bad continuation: the lead byte alone */
        { "\xc0\xaf", "\\xc0\\xaf" },                  /* overlong '/' */
        { "\xed\xa0\x80", "\\xed\\xa0\\x80" },         /* surrogate */
        { "\xe2\x82\xac\x80", "\xe2\x82\xac\\x80" },    /* stray continuation after € */
        { "\xff\xfe\xfd", "\\xff\\xfe\\xfd" },          /* four times as long: the most */
        { "\xef\xbf\xbf", "\\xef\\xbf\\xbf" },         /* U+FFFF: valid UTF-8, but sd-bus refuses it */
        { "\xef\xbf\xbd", "\xef\xbf\xbd" },               /* U+FFFD stays */
};

START_TEST(test_utf8_escape_invalid) {
        const EscapeCase *c = &escape_cases[_i];
        _cleanup_free_ char *e = utf8_escape_invalid(c->s);

        ck_assert_str_eq(e, c->expected);
        ck_assert(bus_string_is_valid(e));
}
END_TEST

typedef struct QuoteCase {
        const char *s;
        size_t size;
        const char *expected;
} QuoteCase;

static const QuoteCase quote_cases[] = {
        { "", 8, "" },
        { "ws-server", 10, "ws-server" },                      /* fits exactly with its NUL */
        { "ws-server", 9, "ws-se..." },                        /* one byte too long: cut to size - 4 */
        { "abcdefgh", 4, "..." },                              /* nothing of it fits */
        { "abc\xc3\xa9xyz", 8, "abc..." },                    /* é would be cut in half: it goes */
        { "abcd\xc3\xa9xyz", 8, "abcd..." },                  /* é starts at the cut */
        { "ab\xc3\xa9xyzw", 8, "ab\xc3\xa9..." },              /* é fits whole */
        { "ab\xf0\x9f\x98\x80xyz", 8, "ab..." },               /* U+1F600, four bytes, cut after two */
        { "a\xf0\x9f\x98\x80xyzw", 9, "a\xf0\x9f\x98\x80..." }, /* it fits */
        { "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 8, "\xe2\x82\xac..." },
};

START_TEST(test_utf8_quote) {
        const QuoteCase *c = &quote_cases[_i];
        char buf[QUOTED_MAX];

        ck_assert_uint_le(c->size, sizeof buf);
        ck_assert_str_eq(utf8_quote(c->s, buf, c->size), c->expected);
        ck_assert_uint_lt(strlen(buf), c->size);
        ck_assert(utf8_is_valid(buf));
}
END_TEST

START_TEST(test_utf8_quote_long) {
        _cleanup_free_ char *s = malloc(1024 * 1024 + 1);
        char buf[QUOTED_MAX];

        ck_assert_ptr_nonnull(s);
        /* 'a' then 2-byte characters: every cut point falls inside one at some offset */
        for (size_t shift = 0; shift < 2; shift++) {
                size_t n = 0;
                for (size_t i = 0; i < shift; i++)
                        s[n++] = 'a';
                while (n + 2 <= 1024 * 1024) {
                        s[n++] = (char) 0xc3;
                        s[n++] = (char) 0xb8; /* ø */
                }
                s[n] = '\0';
                utf8_quote(s, buf, sizeof buf);
                ck_assert(utf8_is_valid(buf));
                ck_assert_uint_ge(strlen(buf), QUOTED_MAX - 5);
                ck_assert_uint_le(strlen(buf), QUOTED_MAX - 1);
                ck_assert_str_eq(buf + strlen(buf) - 3, "...");
        }
}
END_TEST

typedef struct PositionCase {
        const char *buf;
        size_t offset;
        unsigned line, column;
} PositionCase;

static const PositionCase position_cases[] = {
        { "abc", 0, 1, 1 },
        { "abc", 2, 1, 3 },
        { "a\nb", 1, 1, 2 },
        { "a\nb", 2, 2, 1 },
        { "a\nbc", 4, 2, 3 },
        { "\n\n\n", 3, 4, 1 },
        { "\tx", 1, 1, 2 }, /* a tab is one column */
        { "ab", 10, 1, 3 }, /* stops at the NUL */
};

START_TEST(test_text_position) {
        const PositionCase *c = &position_cases[_i];
        unsigned line = 0, column = 0;

        text_position(c->buf, c->offset, &line, &column);
        ck_assert_uint_eq(line, c->line);
        ck_assert_uint_eq(column, c->column);
}
END_TEST

START_TEST(test_strv) {
        _cleanup_strv_free_ char **l = NULL;

        ck_assert_uint_eq(strv_length(l), 0);
        ck_assert(!strv_contains(l, "a"));
        ck_assert_int_eq(strv_push(&l, strdup("a")), 0);
        ck_assert_int_eq(strv_push(&l, strdup("b")), 0);
        ck_assert_uint_eq(strv_length(l), 2);
        ck_assert_str_eq(l[0], "a");
        ck_assert_str_eq(l[1], "b");
        ck_assert_ptr_null(l[2]);
        ck_assert(strv_contains(l, "b"));
        ck_assert(!strv_contains(l, "c"));
        ck_assert_ptr_null(strv_free(TAKE_PTR(l)));
        ck_assert_ptr_null(strv_free(NULL));
}
END_TEST

START_TEST(test_errorf) {
        _cleanup_free_ char *e = NULL;

        ck_assert_int_eq(errorf(NULL, -EINVAL, "ignored %d", 1), -EINVAL);
        ck_assert_int_eq(errorf(&e, -ENOENT, "first %s", "message"), -ENOENT);
        ck_assert_str_eq(e, "first message");
        /* a second error replaces the first (and frees it: see the ASan build) */
        ck_assert_int_eq(errorf(&e, -EFBIG, "%s:%u:%u: second", "f", 2u, 3u), -EFBIG);
        ck_assert_str_eq(e, "f:2:3: second");
}
END_TEST

START_TEST(test_read_file_full) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *ten = path_in(dir, "ten"), *empty = path_in(dir, "empty"), *big = path_in(dir, "big");
        _cleanup_free_ char *missing = path_in(dir, "missing");
        char *buf = NULL;
        size_t size = 99;

        tree_write(dir, "ten", "0123456789");
        tree_write(dir, "empty", "");

        /* exactly max bytes is fine, one more is -EFBIG */
        ck_assert_int_eq(read_file_full(ten, 10, &buf, &size), 0);
        ck_assert_uint_eq(size, 10);
        ck_assert_str_eq(buf, "0123456789");
        free(TAKE_PTR(buf));
        ck_assert_int_eq(read_file_full(ten, 9, &buf, &size), -EFBIG);
        ck_assert_ptr_null(buf);
        ck_assert_int_eq(read_file_full(ten, 0, &buf, NULL), -EFBIG);

        ck_assert_int_eq(read_file_full(empty, 0, &buf, &size), 0);
        ck_assert_uint_eq(size, 0);
        ck_assert_str_eq(buf, "");
        free(TAKE_PTR(buf));

        ck_assert_int_eq(read_file_full(missing, 10, &buf, &size), -ENOENT);
        ck_assert_int_eq(read_file_full(dir, 10, &buf, &size), -EISDIR);
        ck_assert_ptr_null(buf);

        /* several buffer growths; content and size come back intact, NUL-terminated */
        _cleanup_free_ char *data = malloc(100001);
        ck_assert_ptr_nonnull(data);
        for (size_t i = 0; i < 100000; i++)
                data[i] = (char) ('a' + i % 26);
        data[100000] = '\0';
        tree_write(dir, "big", data);
        ck_assert_int_eq(read_file_full(big, 100000, &buf, &size), 0);
        ck_assert_uint_eq(size, 100000);
        ck_assert_uint_eq(strlen(buf), 100000);
        ck_assert_int_eq(memcmp(buf, data, 100000), 0);
        free(TAKE_PTR(buf));
        ck_assert_int_eq(read_file_full(big, 99999, &buf, &size), -EFBIG);
        ck_assert_int_eq(read_file_full(big, 65536, &buf, &size), -EFBIG);
        ck_assert_ptr_null(buf);
}
END_TEST

START_TEST(test_write_file_atomic) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *path = path_in(dir, "state.json"), *content = NULL, *names = NULL;
        struct stat st;

        /* a new file gets the content and exactly the mode asked for */
        ck_assert_int_eq(write_file_atomic(path, "hello\n", 6, FILE_MODE(0640), 0), 1);
        content = tree_read(dir, "state.json");
        ck_assert_str_eq(content, "hello\n");
        free(TAKE_PTR(content));
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0640);

        /* same content: nothing written, the inode stays */
        ino_t ino = st.st_ino;
        ck_assert_int_eq(write_file_atomic(path, "hello\n", 6, FILE_MODE(0644), WRITE_FILE_KEEP_META), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_ino, ino);

        /* a prefix of the old content is a change (and a shorter file) */
        ck_assert_int_eq(write_file_atomic(path, "hell", 4, FILE_MODE(0640), 0), 1);
        content = tree_read(dir, "state.json");
        ck_assert_str_eq(content, "hell");
        free(TAKE_PTR(content));

        /* a longer content too */
        ck_assert_int_eq(write_file_atomic(path, "hello world", 11, FILE_MODE(0640), 0), 1);
        content = tree_read(dir, "state.json");
        ck_assert_str_eq(content, "hello world");
        free(TAKE_PTR(content));

        /* with WRITE_FILE_KEEP_META the owner and mode of the file it replaces win over the ones asked for;
         * the file is replaced, not rewritten in place (the old inode is still in use while the new one is
         * made) */
        ck_assert_int_eq(chmod(path, 0600), 0);
        ck_assert_int_eq(chown(path, 4321, 4322), 0);
        ck_assert_int_eq(stat(path, &st), 0);
        ino = st.st_ino;
        ck_assert_int_eq(write_file_atomic(path, "x", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), 1);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0600);
        ck_assert_uint_eq(st.st_uid, 4321);
        ck_assert_uint_eq(st.st_gid, 4322);
        ck_assert_uint_ne(st.st_ino, ino);

        /* without it, the same content in another mode or owner is written again (state.json 0644 -> 0600) */
        ck_assert_int_eq(write_file_atomic(path, "x", 1, FILE_MODE(0600), 0), 0);
        ck_assert_int_eq(write_file_atomic(path, "x", 1, (FileMeta) { .uid = 0, .gid = 0, .mode = 0600 }, 0), 1);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_uid, 0);
        ck_assert_int_eq(write_file_atomic(path, "x", 1, FILE_MODE(0640), 0), 1);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0640);

        /* the umask does not shape the mode */
        mode_t old_umask = umask(0077);
        ck_assert_int_eq(write_file_atomic(path, "y", 1, FILE_MODE(0644), 0), 1);
        umask(old_umask);
        ck_assert_int_eq(stat(path, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0644);

        /* empty content */
        ck_assert_int_eq(write_file_atomic(path, "", 0, FILE_MODE(0644), 0), 1);
        ck_assert_int_eq(write_file_atomic(path, "", 0, FILE_MODE(0644), 0), 0);
        content = tree_read(dir, "state.json");
        ck_assert_str_eq(content, "");

        /* no temporary file left behind */
        names = dir_list(dir);
        ck_assert_str_eq(names, "state.json");
}
END_TEST

START_TEST(test_write_file_atomic_failures) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *sub = path_in(dir, "sub"), *missing = path_in(dir, "no/such/file"), *names = NULL;

        ck_assert_int_eq(write_file_atomic(missing, "x", 1, FILE_MODE(0644), 0), -ENOENT);

        /* a directory is not replaced, and no temporary file is left */
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        ck_assert_int_eq(write_file_atomic(sub, "x", 1, FILE_MODE(0644), 0), -EISDIR);
        names = dir_list(dir);
        ck_assert_str_eq(names, "sub");
}
END_TEST

/* What another user who owns a directory on the way (the prometheus user owns /var/lib/prometheus, above
 * the metrics directory) can put in root's way: a symbolic link for the directory or the file, a FIFO, a
 * file of its own whose mode would be taken over. None of them redirects, blocks or shapes the write. */
START_TEST(test_write_file_atomic_hostile) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *owned = path_in(dir, "prometheus"), *target = path_in(dir, "logrotate.d"),
                            *swapped = path_in(dir, "prometheus/node-exporter"),
                            *through_dir = path_in(dir, "prometheus/node-exporter/wstuned.prom"),
                            *real_dir = path_in(dir, "prometheus/real"),
                            *file = path_in(dir, "prometheus/real/wstuned.prom"),
                            *fifo = path_in(dir, "prometheus/real/fifo.prom"),
                            *secret = path_in(dir, "secret"), *names = NULL, *content = NULL;
        struct stat st;

        ck_assert_int_eq(mkdir(owned, 0755), 0);
        ck_assert_int_eq(mkdir(target, 0755), 0);
        ck_assert_int_eq(mkdir(real_dir, 0755), 0);
        ck_assert_int_eq(chown(owned, 65534, 65534), 0);

        /* the directory swapped for a link: -ELOOP, nothing created where it points */
        ck_assert_int_eq(symlink(target, swapped), 0);
        ck_assert_int_eq(write_file_atomic(through_dir, "m", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), -ELOOP);
        names = dir_list(target);
        ck_assert_str_eq(names, "");
        free(TAKE_PTR(names));
        ck_assert_int_eq(mkdir_parents(through_dir, 0755), -ELOOP);
        ck_assert_int_eq(read_file_nofollow(through_dir, 100, &content, NULL, NULL), -ELOOP);

        /* the file is a link to a file of mode 0666: -ELOOP, the link and its target untouched */
        tree_write(dir, "secret", "root's");
        ck_assert_int_eq(chmod(secret, 0666), 0);
        ck_assert_int_eq(symlink(secret, file), 0);
        ck_assert_int_eq(write_file_atomic(file, "m", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), -ELOOP);
        ck_assert_str_eq(file_error_to_string(-ELOOP),
                         "a symbolic link is in the way (wstuned does not write through links)");
        content = tree_read(dir, "secret");
        ck_assert_str_eq(content, "root's");
        free(TAKE_PTR(content));
        ck_assert_int_eq(lstat(file, &st), 0);
        ck_assert(S_ISLNK(st.st_mode));
        ck_assert_int_eq(unlink(file), 0);

        /* a FIFO: refused at once, neither read nor written; read_file_full() does not block on one either */
        ck_assert_int_eq(mkfifo(fifo, 0666), 0);
        ck_assert_int_eq(write_file_atomic(fifo, "m", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), -EBADFD);
        ck_assert_str_eq(file_error_to_string(-EBADFD), "not a regular file");
        ck_assert_int_eq(read_file_full(fifo, 100, &content, NULL), -EBADFD);
        ck_assert_int_eq(read_file_nofollow(fifo, 100, &content, NULL, NULL), -EBADFD);

        /* a file that another user put into its own directory does not choose the mode or owner */
        ck_assert_int_eq(chown(real_dir, 65534, 65534), 0);
        tree_write(dir, "prometheus/real/wstuned.prom", "theirs");
        ck_assert_int_eq(chmod(file, 0666), 0);
        ck_assert_int_eq(chown(file, 65534, 65534), 0);
        ck_assert_int_eq(write_file_atomic(file, "m", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), 1);
        ck_assert_int_eq(stat(file, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0644);
        ck_assert_uint_eq(st.st_uid, 0);
        /* root's own file there keeps an admin's mode (0640 root:prometheus) */
        ck_assert_int_eq(chmod(file, 0640), 0);
        ck_assert_int_eq(chown(file, 0, 65534), 0);
        ck_assert_int_eq(write_file_atomic(file, "n", 1, FILE_MODE(0644), WRITE_FILE_KEEP_META), 1);
        ck_assert_int_eq(stat(file, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0640);
        ck_assert_uint_eq(st.st_gid, 65534);

        /* a planted file or link at a temporary name is never opened: creation is exclusive, with another name */
        names = dir_list(real_dir);
        ck_assert_str_eq(names, "fifo.prom wstuned.prom");
}
END_TEST

/* Leftovers of a write_file_atomic() killed before its rename(): ".#" + the name + six characters of
 * mkstemp()'s alphabet. Nothing else goes, not even what looks close (an admin's "daemon.json.backup"). */
typedef struct CleanupCase {
        const char *name;
        bool removed;
} CleanupCase;

static const CleanupCase cleanup_cases[] = {
        { ".#state.jsonAb12Cd", true },
        { ".#state.json000000", true },
        { ".#state.jsonzzzzzz", true },
        { "state.json", false },             /* the file itself */
        { ".#state.jsonAb12C", false },      /* five characters */
        { ".#state.jsonAb12Cde", false },    /* seven */
        { ".#state.jsonAb-2Cd", false },     /* not mkstemp's alphabet */
        { ".#state.json.Ab12C", false },
        { ".#other.jsonAb12Cd", false },     /* another file's */
        { ".#tate.jsonAb12Cdx", false },
        { "#state.jsonAb12Cd", false },
        { "state.json.Ab12Cd", false },      /* the older naming, which an admin's backup could match */
        { ".#state.jsonAb12Cd~", false },
};

START_TEST(test_write_file_atomic_cleanup) {
        const CleanupCase *c = &cleanup_cases[_i];
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *path = path_in(dir, "state.json");

        tree_write(dir, c->name, "x");
        ck_assert_int_eq(write_file_atomic_cleanup(path), c->removed ? 1 : 0);
        ck_assert_msg(tree_exists(dir, c->name) != c->removed, "%s: %s", c->name, c->removed ? "kept" : "removed");
}
END_TEST

START_TEST(test_write_file_atomic_cleanup_only_files) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *path = path_in(dir, "state.json"), *sub = path_in(dir, ".#state.jsonDir123"),
                            *link = path_in(dir, ".#state.jsonLnk123"), *names = NULL;

        /* a directory or a symbolic link of that name is not a temporary file of ours */
        ck_assert_int_eq(mkdir(sub, 0755), 0);
        ck_assert_int_eq(symlink("state.json", link), 0);
        tree_write(dir, ".#state.jsonAAAAAA", "x");
        tree_write(dir, ".#state.jsonBBBBBB", "y");
        tree_write(dir, "state.json", "{}");
        ck_assert_int_eq(write_file_atomic_cleanup(path), 2);
        names = dir_list(dir);
        ck_assert_str_eq(names, ".#state.jsonDir123 .#state.jsonLnk123 state.json");

        /* a directory that does not exist has nothing to clean */
        _cleanup_free_ char *missing = path_in(dir, "no/such/file");
        ck_assert_int_eq(write_file_atomic_cleanup(missing), 0);
}
END_TEST

START_TEST(test_mkdir_parents) {
        _cleanup_free_ char *dir = scratch_dir_new();
        _cleanup_free_ char *deep = path_in(dir, "var/lib/wstuned");
        _cleanup_free_ char *below_file = path_in(dir, "file/sub");
        struct stat st;

        ck_assert_int_eq(mkdir_parents(deep, 0755), 0);
        ck_assert_int_eq(stat(deep, &st), 0);
        ck_assert(S_ISDIR(st.st_mode));
        /* again: existing directories are fine */
        ck_assert_int_eq(mkdir_parents(deep, 0755), 0);

        tree_write(dir, "file", "x");
        ck_assert_int_eq(mkdir_parents(below_file, 0755), -ENOTDIR);

        /* the mode asked for, whatever the umask */
        _cleanup_free_ char *fresh = path_in(dir, "etc/systemd/system/docker.service.d");
        mode_t old_umask = umask(0077);
        ck_assert_int_eq(mkdir_parents(fresh, 0755), 0);
        umask(old_umask);
        ck_assert_int_eq(stat(fresh, &st), 0);
        ck_assert_uint_eq(st.st_mode & 07777, 0755);
}
END_TEST

static Suite *util_suite(void) {
        Suite *s = suite_create("util");
        TCase *tc;

        tc = tcase_create("strings");
        tcase_add_loop_test(tc, test_path_join_root, 0, ELEMENTSOF(join_cases));
        tcase_add_loop_test(tc, test_utf8_is_valid, 0, ELEMENTSOF(utf8_cases));
        tcase_add_loop_test(tc, test_utf8_escape_invalid, 0, ELEMENTSOF(escape_cases));
        tcase_add_loop_test(tc, test_utf8_quote, 0, ELEMENTSOF(quote_cases));
        tcase_add_test(tc, test_utf8_quote_long);
        tcase_add_loop_test(tc, test_text_position, 0, ELEMENTSOF(position_cases));
        tcase_add_test(tc, test_strv);
        tcase_add_test(tc, test_errorf);
        suite_add_tcase(s, tc);

        tc = tcase_create("files");
        tcase_add_test(tc, test_read_file_full);
        tcase_add_test(tc, test_write_file_atomic);
        tcase_add_test(tc, test_write_file_atomic_failures);
        tcase_add_test(tc, test_write_file_atomic_hostile);
        tcase_add_loop_test(tc, test_write_file_atomic_cleanup, 0, ELEMENTSOF(cleanup_cases));
        tcase_add_test(tc, test_write_file_atomic_cleanup_only_files);
        tcase_add_test(tc, test_mkdir_parents);
        suite_add_tcase(s, tc);
        return s;
}

int main(void) {
        return test_main(util_suite());
}
