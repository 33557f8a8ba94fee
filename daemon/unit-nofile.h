/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* unit-nofile.h - a systemd service's own LimitNOFILE=, read from its unit file and drop-ins the way systemd
 * reads them, so the docker layer can tell whether its drop-in would lower the limit a unit ships with. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UNIT_NOFILE_INFINITY UINT64_MAX /* LimitNOFILE=infinity (RLIM_INFINITY) */
#define UNIT_NOFILE_STRING_MAX 48u      /* "18446744073709551614:18446744073709551614" and the NUL fit */
#define UNIT_FILE_SIZE_MAX (1024u * 1024u) /* bytes of one unit file or drop-in read */
#define UNIT_DROPINS_MAX 256u              /* drop-in names looked at for one unit */

typedef struct UnitNofile {
        bool set;            /* LimitNOFILE= assigned; else the service runs with DefaultLimitNOFILE= */
        uint64_t soft, hard; /* UNIT_NOFILE_INFINITY for infinity */
} UnitNofile;

/* One LimitNOFILE= value (n bytes at s, need not be NUL-terminated) as systemd's rlimit parser takes it:
 * "infinity", "N" (soft and hard), "SOFT:HARD"; numbers as strtoull() reads them with base 0 after optional
 * blanks, or with a "0b"/"0o" prefix; "N:" is "N". -EINVAL for anything else (an empty value too), -ERANGE
 * for a number at or above 2^64-1 or below 0, -EILSEQ for a soft limit above the hard one. */
int unit_nofile_value_parse(const char *s, size_t n, uint64_t *ret_soft, uint64_t *ret_hard);

/* Apply the LimitNOFILE= assignments in the [Service] sections of one unit file or drop-in (size bytes at buf)
 * to *nofile, in order, as systemd does: the last valid one wins, an invalid one is ignored (systemd logs and
 * ignores it), comment lines (# or ;) and other sections and keys are skipped, a line ending in a backslash
 * continues on the next one. Returns how many assignments were taken; -EINVAL for text with a NUL byte. */
int unit_nofile_parse(const char *buf, size_t size, UnitNofile *nofile);

/* soft and hard as systemctl show prints LimitNOFILE=: "infinity", "N" when both are equal, else "S:H" (either
 * may be "infinity"). Returns buf, which holds UNIT_NOFILE_STRING_MAX bytes. */
char *unit_nofile_format(uint64_t soft, uint64_t hard, char *buf);

/* Whether ours takes either limit of own below what own has: a drop-in that would lower the unit's limit. */
bool unit_nofile_lowers(const UnitNofile *ours, const UnitNofile *own);

/* Where unit's file is, under root (NULL or "/": the real system), in systemd's unit search path: the first of
 * /etc/systemd/system, /run/systemd/system, /usr/local/lib/systemd/system, /lib/systemd/system and
 * /usr/lib/systemd/system that has it. *ret_path (may be NULL) gets the full path. -ENOENT when none has it,
 * -ERFKILL when the first one is masked (a link to /dev/null, or empty). */
int unit_file_find(const char *root, const char *unit, char **ret_path);

/* unit's own LimitNOFILE= under root: its unit file, then its drop-ins (NAME.d/ and service.d/ *.conf in every
 * directory of the search path; of the same name, the one in the earlier directory; a link to /dev/null
 * masks that name) in the order of their names, as systemd merges them. ours is the absolute path (as on the
 * real system) of wstuned's own drop-in: *ret_own gets what the unit has without it, *ret_with_ours (may be
 * NULL) what it has with it, where it is. Errors as unit_file_find(); others (-EFBIG, -E2BIG past
 * UNIT_DROPINS_MAX names, -EINVAL for a file with a NUL byte…) when a file cannot be read. */
int unit_nofile_load(const char *root, const char *unit, const char *ours, UnitNofile *ret_own,
                     UnitNofile *ret_with_ours);
