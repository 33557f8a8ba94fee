/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* watch.c - the drift poll timer and the uevent listener, feeding manager_poll().
 *
 * Every poll_interval_ms the timer re-reads each managed key (one pread() on a kept descriptor each).
 * Kernel uevents for a loaded module or a new network device make the daemon re-check only the pending
 * keys, at once: that is how nf_conntrack_max gets its value within milliseconds of Docker loading
 * nf_conntrack. The kernel may announce a device before its sysctls exist, so while keys stay pending
 * after a uevent, a short settle timer checks again a few times (20, 100, 500 ms).
 *
 * The limit files are watched with inotify on their directories. Any change of one of them (an editor's
 * write, a rename into place, a deletion; wstuned's own writes too) arms a short timer, and then every
 * file that lost its content is written again. Own writes find nothing to do. */
#include <sys/stat.h>

#include "bus-manager.h"
#include "journal.h"
#include "limits-apply.h"
#include "pressure-watch.h"
#include "uevent.h"
#include "watch.h"

static const uint64_t settle_delays_usec[] = { 20000, 100000, 500000 };

static uint64_t poll_interval_usec(const Manager *m) {
        return m->settings.poll_interval_ms * 1000u;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        uint64_t now;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        if (m->profile) {
                manager_poll(m, now, 0, false);
                bus_manager_publish(m);
        }
        pressure_watch_sample(m, now);
        /* a fixed period from the last due time, so the slack does not add up */
        uint64_t next = usec + poll_interval_usec(m);
        if (next <= now)
                next = now + poll_interval_usec(m);
        (void) sd_event_source_set_time(s, next);
        return sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
}

static void arm_settle(Manager *m) {
        if (m->settle_attempts >= ELEMENTSOF(settle_delays_usec))
                return;
        (void) sd_event_source_set_time_relative(m->settle_source, settle_delays_usec[m->settle_attempts++]);
        (void) sd_event_source_set_enabled(m->settle_source, SD_EVENT_ONESHOT);
}

/* Re-check pending keys; trigger is when the uevent arrived, which the late-apply delay counts from. */
static void recheck_pending(Manager *m, uint64_t trigger) {
        if (!m->profile)
                return;
        size_t pending = manager_poll(m, trigger, trigger, true);
        bus_manager_publish(m);
        if (pending > 0)
                arm_settle(m);
}

static int on_settle(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        recheck_pending(m, m->uevent_usec);
        return 0;
}

static int on_uevent(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        bool relevant = false;
        uint64_t now;
        int r;

        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        /* drain the socket: one burst of events is one re-check */
        while ((r = uevent_receive(fd)) != -EAGAIN) {
                if (r == -ENOBUFS || r > 0)
                        relevant = true;
                else if (r < 0) {
                        log_warning("Reading kernel uevents failed: %s", strerror(-r));
                        break;
                }
        }
        if (relevant) {
                m->settle_attempts = 0;
                m->uevent_usec = now;
                recheck_pending(m, now);
        }
        return 0;
}

#define REPAIR_DELAY_USEC 100000u /* let an editor finish its write-and-rename */

static int on_repair(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (limits_repair(m) > 0) {
                (void) watch_files(m); /* a directory may have been removed and made again */
                bus_manager_publish(m);
        }
        return 0;
}

static int on_file_event(sd_event_source *s, const struct inotify_event *event, void *userdata) {
        Manager *m = userdata;

        if (!m->repair_source)
                return 0;
        /* one check a moment after the last event, for a burst of them */
        (void) sd_event_source_set_time_relative(m->repair_source, REPAIR_DELAY_USEC);
        return sd_event_source_set_enabled(m->repair_source, SD_EVENT_ONESHOT);
}

/* One watched directory, and the inode it was when the watch was made: a directory removed and made again
 * needs a new watch, one that is still the same keeps its own (tearing watches down and making them again
 * on every repair would open a window in which an edit goes unseen). */
typedef struct FileWatch {
        char *dir;
        dev_t dev;
        ino_t ino;
        sd_event_source *source;
} FileWatch;

static void file_watch_done(FileWatch *w) {
        sd_event_source_disable_unref(w->source);
        free(w->dir);
        *w = (FileWatch) {};
}

static void file_watches_free(Manager *m) {
        for (size_t i = 0; i < m->n_file_watches; i++)
                file_watch_done(&m->file_watches[i]);
        free(m->file_watches);
        m->file_watches = NULL;
        m->n_file_watches = 0;
}

static bool file_watch_current(const FileWatch *w, char **dirs) {
        struct stat st;

        return strv_contains(dirs, w->dir) && stat(w->dir, &st) >= 0 && st.st_dev == w->dev && st.st_ino == w->ino;
}

int watch_files(Manager *m) {
        _cleanup_strv_free_ char **dirs = NULL;
        size_t kept = 0;
        int r;

        if (!m->event)
                return 0;
        r = limits_watch_dirs(m, &dirs);
        if (r < 0)
                return r;

        /* keep the watches that still stand for their directory, drop the others */
        for (size_t i = 0; i < m->n_file_watches; i++) {
                if (file_watch_current(&m->file_watches[i], dirs))
                        m->file_watches[kept++] = m->file_watches[i];
                else
                        file_watch_done(&m->file_watches[i]);
        }
        m->n_file_watches = kept;

        size_t n = strv_length(dirs);
        FileWatch *watches = realloc(m->file_watches, MAX(n, (size_t) 1) * sizeof(FileWatch));
        if (!watches)
                return -ENOMEM;
        m->file_watches = watches;
        for (size_t i = 0; i < n; i++) {
                FileWatch *w = &m->file_watches[m->n_file_watches];
                struct stat st;
                bool watched = false;

                for (size_t j = 0; j < m->n_file_watches && !watched; j++)
                        watched = streq(m->file_watches[j].dir, dirs[i]);
                if (watched)
                        continue;
                *w = (FileWatch) { .dir = strdup(dirs[i]) };
                if (!w->dir)
                        return -ENOMEM;
                r = stat(w->dir, &st);
                if (r >= 0)
                        r = sd_event_add_inotify(m->event, &w->source, w->dir,
                                                 IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB,
                                                 on_file_event, m);
                else
                        r = -errno;
                if (r < 0) {
                        log_warning("Cannot watch %s, changes of the limit files there are found only by "
                                    "Verify: %s",
                                    w->dir, strerror(-r));
                        file_watch_done(w);
                        continue;
                }
                w->dev = st.st_dev;
                w->ino = st.st_ino;
                m->n_file_watches++;
        }
        return 0;
}

int watch_start(Manager *m) {
        int r, fd;

        r = sd_event_add_time_relative(m->event, &m->poll_source, CLOCK_MONOTONIC, poll_interval_usec(m),
                                       poll_interval_usec(m) / 20, on_poll, m);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->settle_source, CLOCK_MONOTONIC, UINT64_MAX / 2, 1000,
                                       on_settle, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->settle_source, SD_EVENT_OFF);
        r = sd_event_add_time_relative(m->event, &m->repair_source, CLOCK_MONOTONIC, UINT64_MAX / 2, 10000,
                                       on_repair, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(m->repair_source, SD_EVENT_OFF);
        r = watch_files(m);
        if (r < 0)
                return r;
        r = pressure_watch_start(m);
        if (r < 0)
                return r;
        pressure_watch_sample(m, now_usec()); /* the properties hold figures from the start */

        fd = uevent_open();
        if (fd < 0) {
                log_warning("Cannot listen to kernel uevents, late keys are found by the poll only: %s",
                            strerror(-fd));
                return 0;
        }
        r = sd_event_add_io(m->event, &m->uevent_source, fd, EPOLLIN, on_uevent, m);
        if (r < 0) {
                close(fd);
                return r;
        }
        return sd_event_source_set_io_fd_own(m->uevent_source, true);
}

int watch_reschedule(Manager *m) {
        if (!m->poll_source)
                return 0;
        (void) sd_event_source_set_time_accuracy(m->poll_source, poll_interval_usec(m) / 20);
        int r = sd_event_source_set_time_relative(m->poll_source, poll_interval_usec(m));
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(m->poll_source, SD_EVENT_ONESHOT);
}

void watch_stop(Manager *m) {
        file_watches_free(m);
        m->repair_source = sd_event_source_disable_unref(m->repair_source);
        m->poll_source = sd_event_source_disable_unref(m->poll_source);
        m->settle_source = sd_event_source_disable_unref(m->settle_source);
        m->uevent_source = sd_event_source_disable_unref(m->uevent_source);
}
