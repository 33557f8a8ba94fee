/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-unit-nofile.c - a unit file or drop-in read for its LimitNOFILE= (unit_nofile_parse), the value parser
 * on the whole input (unit_nofile_value_parse), and the docker layer's decision on what it found
 * (limits_unit_wanted), with fixed profile limits.
 *
 * The input is the file as read: not NUL-terminated. Checked on every input: a NUL byte is refused and
 * nothing else is; a limit taken has soft <= hard and reads back from its own format; the drop-in the layer
 * wants never lowers the unit's limit, carries at least the profile's, renders and reads back as itself;
 * when it wants none, the unit's own limit is at least the profile's. */
#include <inttypes.h>

#include "fuzz.h"
#include "limit-files.h"
#include "unit-nofile.h"

static const ProfileLimits limits = {
        .present = true,
        .nofile_soft = 100000,
        .nofile_hard = 200000,
        .layers = 1u << LIMIT_LAYER_DOCKER,
};

static void check_wanted(const UnitNofile *own) {
        _cleanup_free_ char *text = NULL;
        ProfileLimits out;
        UnitNofile ours = {};

        int r = limits_unit_wanted(&limits, own, &out);
        fuzz_check(r == 0 || r == 1, "limits_unit_wanted: %d", r);
        if (r == 0) {
                fuzz_check(own->set && own->soft >= limits.nofile_soft && own->hard >= limits.nofile_hard,
                           "no drop-in, yet the unit's limit is below the profile's");
                return;
        }
        fuzz_check(out.nofile_soft >= limits.nofile_soft && out.nofile_hard >= limits.nofile_hard &&
                           out.nofile_soft <= out.nofile_hard,
                   "wanted %" PRIu64 ":%" PRIu64, out.nofile_soft, out.nofile_hard);
        r = limits_render(LIMIT_FILE_DOCKER_UNIT, &out, "fuzz", &text);
        fuzz_check(r == 0, "the wanted drop-in cannot be rendered: %d", r);
        fuzz_check(unit_nofile_parse(text, strlen(text), &ours) == 1, "the rendered drop-in does not read back");
        fuzz_check(ours.soft == out.nofile_soft && ours.hard == out.nofile_hard, "the drop-in reads back otherwise");
        fuzz_check(!unit_nofile_lowers(&ours, own), "the wanted drop-in lowers the unit's limit");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        const char *text = (const char *) data;
        char buf[UNIT_NOFILE_STRING_MAX];
        UnitNofile n = {};
        uint64_t soft = 7, hard = 7, s2, h2;
        bool nul = size > 0 && memchr(text, '\0', size);

        int r = unit_nofile_parse(text, size, &n);
        fuzz_check(nul ? r == -EINVAL : r >= 0, "unit_nofile_parse: %d", r);
        fuzz_check(r > 0 || !n.set, "no assignment taken, yet a limit set");
        if (n.set) {
                fuzz_check(n.soft <= n.hard, "soft above hard");
                unit_nofile_format(n.soft, n.hard, buf);
                fuzz_check(unit_nofile_value_parse(buf, strlen(buf), &s2, &h2) == 0 && s2 == n.soft && h2 == n.hard,
                           "\"%s\" does not read back", buf);
        }
        check_wanted(&n);

        r = unit_nofile_value_parse(text, size, &soft, &hard);
        if (r < 0)
                fuzz_check((r == -EINVAL || r == -ERANGE || r == -EILSEQ) && soft == 7 && hard == 7,
                           "value parser: %d, or output touched", r);
        else
                fuzz_check(soft <= hard, "value parser: soft above hard");
        return 0;
}
