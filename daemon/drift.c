/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drift.c - fight detection for drift correction (see drift.h). Pure logic: no I/O, no clock. */
#include "drift.h"

static unsigned corrections_since(const FightTracker *f, uint64_t since) {
        unsigned n = 0;
        for (unsigned i = 0; i < f->n_recent; i++)
                if (f->recent[i] >= since)
                        n++;
        return n;
}

static void record(FightTracker *f, uint64_t now) {
        f->recent[f->next] = now;
        f->next = (f->next + 1) % FIGHT_CORRECTIONS_MAX;
        if (f->n_recent < FIGHT_CORRECTIONS_MAX)
                f->n_recent++;
}

bool fight_backing_off(const FightTracker *f, uint64_t now) {
        return f->backoff_until > now;
}

FightVerdict fight_check(FightTracker *f, const FightSettings *s, uint64_t now) {
        uint64_t since = now > s->window_usec ? now - s->window_usec : 0;
        unsigned allowed = s->corrections;

        if (fight_backing_off(f, now))
                return FIGHT_WAIT;

        if (f->rounds > 0) {
                if (now - f->backoff_until <= s->window_usec) {
                        /* probation: one correction since the back-off ended is fine, two are not */
                        if (since < f->backoff_until)
                                since = f->backoff_until;
                        allowed = 1;
                } else
                        f->rounds = 0; /* it held long enough: forgive */
        }

        if (corrections_since(f, since) + 1 > allowed) {
                f->backoff_usec = f->rounds == 0 ? s->backoff_usec
                                  : f->backoff_usec >= s->backoff_max_usec / 2 ? s->backoff_max_usec
                                                                               : f->backoff_usec * 2;
                if (f->backoff_usec > s->backoff_max_usec)
                        f->backoff_usec = s->backoff_max_usec;
                f->backoff_until = now + f->backoff_usec;
                f->rounds++;
                f->n_recent = f->next = 0;
                return FIGHT_BACK_OFF;
        }

        record(f, now);
        return FIGHT_CORRECT;
}
