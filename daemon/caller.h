/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* caller.h - whom a read is for. Root gets every value; any other caller only what it could read itself,
 * which for a sysctl means a file readable by everyone (sysctl_fd_is_public()). Who the caller is costs a
 * round trip to the bus broker, so it is asked only when a key that is not public comes up. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

typedef struct Caller {
        int root; /* 1 root, 0 someone else, -1 not known yet: lookup() says */
        int (*lookup)(void *userdata, uid_t *ret_uid);
        void *userdata;
} Caller;

#define CALLER_ROOT ((Caller) { .root = 1 })
#define CALLER_UNPRIVILEGED ((Caller) { .root = 0 })

/* A caller whose uid cannot be found is not root. */
static inline bool caller_is_root(Caller *c) {
        if (c->root < 0) {
                uid_t uid;
                c->root = c->lookup && c->lookup(c->userdata, &uid) >= 0 && uid == 0;
        }
        return c->root > 0;
}
