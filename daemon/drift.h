/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drift.h - fight detection: when another writer keeps undoing a correction, stop and back off. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#define FIGHT_CORRECTIONS_MAX 64u

typedef struct FightSettings {
        unsigned corrections; /* more corrections than this within window is a fight */
        uint64_t window_usec;
        uint64_t backoff_usec;     /* first back-off; doubles each round */
        uint64_t backoff_max_usec; /* ceiling of the back-off */
} FightSettings;

/* Per key. All times are CLOCK_MONOTONIC microseconds. */
typedef struct FightTracker {
        uint64_t recent[FIGHT_CORRECTIONS_MAX]; /* ring of the last corrections */
        unsigned n_recent, next;
        uint64_t backoff_until; /* not enforcing before this; 0 = never backed off */
        uint64_t backoff_usec;  /* length of the current/last back-off */
        unsigned rounds;        /* back-offs in a row */
} FightTracker;

typedef enum FightVerdict {
        FIGHT_CORRECT,  /* go ahead and correct */
        FIGHT_BACK_OFF, /* a fight: do not correct, back off from now (a new round) */
        FIGHT_WAIT,     /* backing off: leave the key alone */
} FightVerdict;

/* A correction is needed now: may wstuned make it? Records it when the answer is FIGHT_CORRECT and starts
 * a back-off round on FIGHT_BACK_OFF.
 *
 * Normally more than s->corrections corrections within s->window_usec make a fight. After a back-off
 * ends, the key is on probation for one window: one correction is allowed, a second one means the other
 * writer is still there, and the next back-off is twice as long (up to backoff_max_usec). A correction
 * after the probation window starts afresh. */
FightVerdict fight_check(FightTracker *f, const FightSettings *s, uint64_t now);

bool fight_backing_off(const FightTracker *f, uint64_t now);
