/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* state-dump - print a wstuned state file as lines a shell test can compare, for the crash test.
 *
 *   state-dump FILE
 *
 * Parses FILE with the daemon's own strict parser (state_parse(): one JSON value, nothing after it,
 * known fields only), then prints
 *   active NAME | active -
 *   sysctl PATH VALUE                      one per baseline entry
 *   file PATH MODE CONTENT | file PATH -   one per file baseline (MODE octal, "-": it did not exist)
 * CONTENT with "\" written "\\", newline "\n" and tab "\t", so every entry is one line. A missing
 * FILE prints "missing". Exit 1 with the parser's message when the file does not parse. */
#include <stdio.h>

#include "state.h"
#include "util/util.h"

static void print_escaped(const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        fputs("\\\\", stdout);
                        break;
                case '\n':
                        fputs("\\n", stdout);
                        break;
                case '\t':
                        fputs("\\t", stdout);
                        break;
                default:
                        putchar(*s);
                }
}

int main(int argc, char *argv[]) {
        _cleanup_(state_done) State s = {};
        _cleanup_free_ char *buf = NULL, *error = NULL;
        size_t size;
        int r;

        if (argc != 2) {
                fprintf(stderr, "Usage: state-dump FILE\n");
                return 2;
        }
        r = read_file_full(argv[1], STATE_SIZE_MAX, &buf, &size);
        if (r == -ENOENT) {
                puts("missing");
                return 0;
        }
        if (r < 0) {
                fprintf(stderr, "state-dump: %s: %s\n", argv[1], strerror(-r));
                return 1;
        }
        r = state_parse(argv[1], buf, size, &s, &error);
        if (r < 0) {
                fprintf(stderr, "state-dump: %s\n", error ?: strerror(-r));
                return 1;
        }

        printf("active %s\n", s.active_profile ?: "-");
        for (size_t i = 0; i < s.n_baseline; i++)
                printf("sysctl %s %s\n", s.baseline[i].path, s.baseline[i].value);
        for (size_t i = 0; i < s.n_files; i++) {
                printf("file %s ", s.files[i].path);
                if (s.files[i].content) {
                        printf("%o ", (unsigned) s.files[i].meta.mode);
                        print_escaped(s.files[i].content);
                } else
                        putchar('-');
                putchar('\n');
        }
        return 0;
}
