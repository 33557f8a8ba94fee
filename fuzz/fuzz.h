/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz.h - what the fuzz targets share: the libFuzzer entry points and a check that aborts.
 *
 * Each target is one LLVMFuzzerTestOneInput(). With -Dfuzz=true it is linked with libFuzzer
 * (-fsanitize=fuzzer); in every build it is also linked with fuzz-replay.c, a main() that feeds it the
 * files of a corpus, so the plain and ASan builds run every target on its seed corpus (meson suite fuzz). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional: run once before the first input. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the code under test promises (in its header) that the input broke: a finding, like a crash.
 * abort() makes libFuzzer save the input as a crash-* artifact. */
#define fuzz_check(cond, ...)                                                                   \
        do {                                                                                    \
                if (!(cond)) {                                                                  \
                        fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                           \
                        fputc('\n', stderr);                                                    \
                        abort();                                                                \
                }                                                                               \
        } while (0)

/* The input as a NUL-terminated string of exactly size bytes plus the NUL, in its own allocation so
 * AddressSanitizer sees a read past the end; the parsers of text files want the NUL. */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                abort();
        if (size > 0)
                memcpy(s, data, size);
        s[size] = '\0';
        return s;
}
