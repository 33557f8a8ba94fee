/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.c - wstuned as a systemd service (Type=notify): what systemctl shows and what a signal means.
 *
 * A reload, from the Reload call (which `systemctl reload` makes through ExecReload=wstunectl reload) or
 * from SIGHUP, is framed by RELOADING=1 and READY=1: systemd shows the unit "reloading" meanwhile, and
 * the service manager of systemd 253 and later can tell when it is over. STATUS= follows the profile and
 * its state: bus_manager_publish() calls service_publish_status() after every change it announces, so
 * `systemctl status wstuned` shows the current state, not the one at start. */
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "bus-manager.h"
#include "journal.h"
#include "service.h"
#include "watch.h"

int service_reload(Manager *m, uid_t caller, Report *changes, char **ret_error) {
        struct timespec ts;
        int r;

        /* MONOTONIC_USEC: systemd 253+ matches the reload to its request with it; 252 ignores it. */
        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        (void) sd_notifyf(false, "RELOADING=1\nMONOTONIC_USEC=%llu",
                          (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000);
        r = manager_reload(m, caller, changes, ret_error);
        (void) watch_reschedule(m); /* the settings may name another poll interval */
        (void) watch_files(m);
        (void) sd_notify(false, "READY=1");
        return r;
}

void service_publish_status(Manager *m) {
        _cleanup_free_ char *summary = NULL;

        if (manager_summary(m, &summary) < 0 || streq_ptr(summary, m->published_summary))
                return;
        (void) sd_notifyf(false, "STATUS=%s", summary);
        free(m->published_summary);
        m->published_summary = TAKE_PTR(summary);
}

/* SIGHUP: the reload an administrator expects from a daemon. Nobody waits for an answer, so the outcome
 * goes to the journal; the entries of the Apply it makes name the sender's uid as the caller. */
static int on_sighup(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL, *summary = NULL;
        int r;

        log_info("Reloading on SIGHUP from PID %u (uid %u)", si->ssi_pid, si->ssi_uid);
        r = service_reload(m, si->ssi_uid, &changes, &error);
        bus_manager_publish(m);
        if (r < 0) {
                log_warning("Reload on SIGHUP failed: %s", error ?: strerror(-r));
                return 0;
        }
        (void) manager_summary(m, &summary);
        log_info("Reloaded on SIGHUP: %s", strempty(summary));
        return 0;
}

int service_add_signals(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        /* No handler: the loop exits with status 0. */
        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL)) < 0)
                return r;
        return sd_event_add_signal(m->event, NULL, SIGHUP, on_sighup, m);
}
