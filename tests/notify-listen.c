/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notify-listen - the receiving end of sd_notify(), as systemd is for a Type=notify service: the tests
 * start wstuned with NOTIFY_SOCKET pointing here and read what it told systemd (READY=1, RELOADING=1,
 * STATUS=...).
 *
 *   notify-listen PATH
 *
 * Binds a datagram socket at PATH (which must not exist) and prints every message it receives as one
 * line, its fields separated by " | " instead of newlines, flushed at once. Runs until SIGTERM or SIGINT
 * (exit 0), or at most LISTEN_MAX_SEC, so a test that died cannot leave it behind for long. Exit 1 on any
 * error, with a message. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define LISTEN_MAX_SEC 600

static void on_signal(int sig) {
        _exit(0);
}

int main(int argc, char *argv[]) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char buf[4096];
        int fd;

        if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
                fprintf(stderr, "Usage: notify-listen PATH (shorter than %zu bytes)\n", sizeof sa.sun_path);
                return 1;
        }
        strcpy(sa.sun_path, argv[1]);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        alarm(LISTEN_MAX_SEC);

        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "notify-listen: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        for (;;) {
                ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        fprintf(stderr, "notify-listen: recv: %s\n", strerror(errno));
                        return 1;
                }
                while (n > 0 && buf[n - 1] == '\n')
                        n--;
                buf[n] = '\0';
                for (char *p = buf; *p; p++)
                        if (*p == '\n')
                                fputs(" | ", stdout);
                        else
                                fputc(*p, stdout);
                fputc('\n', stdout);
                fflush(stdout);
        }
}
