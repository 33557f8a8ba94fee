/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-replay.c - main() for the replay build of a fuzz target: feeds every file named on the command line,
 * and every file of every directory named there, to LLVMFuzzerTestOneInput() once, in name order. This is how
 * the plain and ASan builds (gcc, no libFuzzer) run each target over its seed corpus, and how a crash-*
 * artifact is reproduced under gdb or valgrind. Each input sits in a buffer of its exact size, as libFuzzer
 * gives it, so AddressSanitizer catches a read past its end. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv) {
        return 0;
}

static int run_file(const char *path) {
        _cleanup_free_ char *buf = NULL;
        _cleanup_free_ uint8_t *data = NULL;
        size_t size;
        int r;

        /* 16 MiB: far above every target's own cap, so the caps are what is tested */
        r = read_file_full(path, 16u * 1024u * 1024u, &buf, &size);
        if (r < 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(-r));
                return r;
        }
        data = memdup(buf, size);
        if (!data)
                return -ENOMEM;
        LLVMFuzzerTestOneInput(data, size);
        return 0;
}

static int file_filter(const struct dirent *d) {
        return d->d_name[0] != '.';
}

int main(int argc, char *argv[]) {
        unsigned files = 0, failed = 0;

        LLVMFuzzerInitialize(&argc, &argv);
        if (argc < 2) {
                fprintf(stderr, "Usage: %s FILE|DIRECTORY...\n", argv[0]);
                return EXIT_FAILURE;
        }
        for (int i = 1; i < argc; i++) {
                struct stat st;
                struct dirent **names;
                int n;

                if (stat(argv[i], &st) < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        failed++;
                        continue;
                }
                if (!S_ISDIR(st.st_mode)) {
                        failed += run_file(argv[i]) < 0;
                        files++;
                        continue;
                }
                n = scandir(argv[i], &names, file_filter, alphasort);
                if (n < 0) {
                        fprintf(stderr, "%s: %m\n", argv[i]);
                        failed++;
                        continue;
                }
                for (int j = 0; j < n; j++) {
                        _cleanup_free_ char *path = NULL;
                        if (asprintf(&path, "%s/%s", argv[i], names[j]->d_name) < 0)
                                return EXIT_FAILURE;
                        failed += run_file(path) < 0;
                        files++;
                        free(names[j]);
                }
                free(names);
        }
        printf("%s: %u inputs run, %u unreadable\n", argv[0], files, failed);
        /* a corpus that is empty or missing means the test tested nothing */
        return files > 0 && failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
