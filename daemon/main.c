/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* main.c - wstuned: arguments and setup, then the event loop. */
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "bus-errors.h"
#include "bus-manager.h"
#include "config.h"
#include "journal.h"
#include "manager.h"
#include "polkit.h"
#include "service.h"
#include "version.h"
#include "watch.h"

static const char *arg_root = NULL;
static const char *arg_kernel_root = NULL;
static const char *arg_profiles_dir = NULL;
static bool arg_restore_files = false;

static void help(void) {
        printf("Usage: wstuned [OPTIONS]\n\n"
               "Applies a kernel tuning profile and serves %s on the system bus.\n\n"
               "  --root=DIR          prefix for /etc, /var and the shipped profiles (default /)\n"
               "  --kernel-root=DIR   prefix for /proc (default /)\n"
               "  --profiles-dir=DIR  shipped profiles (default %s/profiles under --root)\n"
               "  --log-target=T      journal (default) or stderr\n"
               "  --restore-files     put the limit files back as they were before wstuned and exit\n"
               "                      (package removal, with the daemon stopped)\n"
               "  --version           print the version\n"
               "  -h --help           this text\n",
               WSTUNED_BUS_NAME, WSTUNED_PKGDATADIR);
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_ROOT = 0x100, ARG_KERNEL_ROOT, ARG_PROFILES_DIR, ARG_LOG_TARGET, ARG_RESTORE_FILES, ARG_VERSION };
        static const struct option options[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "kernel-root", required_argument, NULL, ARG_KERNEL_ROOT },
                { "profiles-dir", required_argument, NULL, ARG_PROFILES_DIR },
                { "log-target", required_argument, NULL, ARG_LOG_TARGET },
                { "restore-files", no_argument, NULL, ARG_RESTORE_FILES },
                { "version", no_argument, NULL, ARG_VERSION },
                { "help", no_argument, NULL, 'h' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT:
                        arg_root = optarg;
                        break;
                case ARG_KERNEL_ROOT:
                        arg_kernel_root = optarg;
                        break;
                case ARG_PROFILES_DIR:
                        arg_profiles_dir = optarg;
                        break;
                case ARG_LOG_TARGET: {
                        LogTarget t = log_target_from_string(optarg);
                        if (t < 0) {
                                fprintf(stderr, "wstuned: --log-target: \"%s\" is not journal or stderr\n", optarg);
                                return -EINVAL;
                        }
                        log_set_target(t);
                        break;
                }
                case ARG_RESTORE_FILES:
                        arg_restore_files = true;
                        break;
                case ARG_VERSION:
                        printf("wstuned %s\n", WSTUNED_VERSION);
                        return 0;
                case 'h':
                        help();
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                fprintf(stderr, "wstuned: unexpected argument \"%s\"\n", argv[optind]);
                return -EINVAL;
        }
        return 1;
}

/* --restore-files: the package's prerm, on removal, once the daemon is stopped. The limit files outlive the
 * daemon otherwise: a PAM limit above the fs.nr_open that a reboot without wstuned puts back locks users out,
 * and a daemon.json wstuned created would stay on a host without it. */
static int restore_files(void) {
        _cleanup_(manager_freep) Manager *m = NULL;
        _cleanup_(report_done) Report changes = {};
        _cleanup_free_ char *error = NULL;
        int r;

        r = manager_new(&m);
        if (r < 0)
                return r;
        r = paths_init(&m->paths, arg_root, arg_kernel_root, arg_profiles_dir);
        if (r < 0)
                return r;
        r = manager_restore_files(m, &changes, &error);
        if (r < 0) {
                fprintf(stderr, "wstuned: cannot read %s: %s\n", m->paths.state_file, error ?: strerror(-r));
                return r;
        }
        for (size_t i = 0; i < changes.n; i++)
                printf("%s: %s\n", changes.rows[i].col[0], changes.rows[i].col[3]);
        if (r > 0) {
                fprintf(stderr, "wstuned: %d limit file%s not restored; the baseline in %s keeps %s\n", r,
                        r == 1 ? "" : "s", m->paths.state_file, r == 1 ? "its original" : "their originals");
                return -EIO;
        }
        return 0;
}

static int run(void) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        /* A caller decides how large a bus message is (up to the broker's limit, 128 MiB). glibc's malloc
         * raises its mmap threshold to the largest block freed so far, so after one large message the next
         * ones land on the heap, which keeps their pages: a fixed threshold gives every large buffer back
         * when it is freed, and the daemon's memory stays at its working size. */
        (void) mallopt(M_MMAP_THRESHOLD, 128 * 1024);

        r = manager_new(&m);
        if (r < 0)
                return r;
        r = paths_init(&m->paths, arg_root, arg_kernel_root, arg_profiles_dir);
        if (r < 0)
                return r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        /* Before the start-up apply: a SIGHUP meanwhile waits for the loop instead of ending the daemon. */
        r = service_add_signals(m);
        if (r < 0)
                return r;
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                return r;

        /* Values first, so they are in place as early as possible and before anyone can ask. */
        manager_startup(m);

        r = sd_bus_open_system(&m->bus);
        if (r < 0) {
                log_error("Cannot connect to the system bus: %s", strerror(-r));
                goto out;
        }
        r = bus_manager_attach(m);
        if (r < 0) {
                log_error("Cannot publish %s on the system bus: %s", WSTUNED_BUS_NAME, strerror(-r));
                goto out;
        }
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                goto out;
        r = auth_queries_attach_event(m);
        if (r < 0)
                goto out;
        /* If the bus goes away, leave with a failure and let systemd restart us. */
        r = sd_bus_set_exit_on_disconnect(m->bus, true);
        if (r < 0)
                goto out;
        r = watch_start(m);
        if (r < 0) {
                log_error("Cannot start the drift watch: %s", strerror(-r));
                goto out;
        }

        /* STATUS= went out with the first bus_manager_publish(); service.c keeps it current. */
        (void) sd_notify(false, "READY=1");
        log_info("wstuned %s ready: profile %s, state %s", WSTUNED_VERSION, m->profile ? m->profile->name : "(none)",
                 manager_state_to_string(manager_state(m)));

        r = sd_event_loop(m->event);
        (void) sd_notify(false, "STOPPING=1");
out:
        watch_stop(m);
        auth_queries_free(m);
        if (m->bus) {
                sd_bus_flush(m->bus);
                m->bus = sd_bus_flush_close_unref(m->bus);
        }
        m->event = sd_event_unref(m->event);
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (arg_restore_files)
                return restore_files() < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

        r = run();
        if (r < 0) {
                log_error("wstuned failed: %s", strerror(-r));
                return EXIT_FAILURE;
        }
        return r; /* the event loop's exit code: 0 on SIGTERM, 1 when the bus went away */
}
