/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* tcp-hold - open TCP connections over loopback and hold them, for the pressure tests and benchmarks.
 *
 *   tcp-hold [--addr A] --port P [--backlog B] [--no-accept] [--connect-only] [--no-wait] [-n N]
 *
 * Listens on A:P (default 127.0.0.1) with backlog B (default 4096) and connects N clients to it with
 * non-blocking connect(), then prints "ready N" once all N are established and accepted. --no-accept
 * leaves the connections in the accept queue (those that do not fit keep retrying their SYN) and does not
 * wait for them. --connect-only connects to an existing listener instead of making one; --no-wait prints
 * "ready" as soon as every connect() was issued.
 * Then it holds everything until SIGTERM or SIGINT arrives, and exits 0; after HOLD_MAX_SEC it gives up
 * by itself, so a test that died cannot leave it behind for long. The descriptor limit is raised to its
 * hard limit first. Exit 1 on any error, with a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ESTABLISH_TIMEOUT_SEC 60
#define HOLD_MAX_SEC 900

static const char *arg_addr = "127.0.0.1";
static unsigned arg_port, arg_backlog = 4096, arg_n;
static bool arg_accept = true, arg_connect_only, arg_wait = true;

static int die(const char *what) {
        fprintf(stderr, "tcp-hold: %s: %s\n", what, strerror(errno));
        exit(1);
}

static struct sockaddr_in target(void) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) arg_port) };
        if (inet_pton(AF_INET, arg_addr, &sa.sin_addr) != 1) {
                fprintf(stderr, "tcp-hold: bad address %s\n", arg_addr);
                exit(1);
        }
        return sa;
}

static int parse_args(int argc, char *argv[]) {
        static const struct option options[] = {
                { "addr", required_argument, NULL, 'a' },     { "port", required_argument, NULL, 'p' },
                { "backlog", required_argument, NULL, 'b' },  { "no-accept", no_argument, NULL, 'A' },
                { "connect-only", no_argument, NULL, 'C' },   { "no-wait", no_argument, NULL, 'W' },
                {},
        };
        int c;

        while ((c = getopt_long(argc, argv, "n:", options, NULL)) >= 0)
                switch (c) {
                case 'a':
                        arg_addr = optarg;
                        break;
                case 'p':
                        arg_port = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'b':
                        arg_backlog = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                case 'A':
                        arg_accept = false;
                        break;
                case 'C':
                        arg_connect_only = true;
                        break;
                case 'W':
                        arg_wait = false;
                        break;
                case 'n':
                        arg_n = (unsigned) strtoul(optarg, NULL, 10);
                        break;
                default:
                        return -1;
                }
        if (!arg_accept)
                arg_wait = false; /* they would wait for an accept() that never comes */
        if (arg_port == 0 || arg_port > 65535 || optind != argc) {
                fprintf(stderr, "usage: tcp-hold [--addr A] --port P [--backlog B] [--no-accept] [--connect-only] "
                                "[--no-wait] [-n N]\n");
                return -1;
        }
        return 0;
}

static void raise_nofile(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
        }
}

static int listener(void) {
        struct sockaddr_in sa = target();
        int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket");
        (void) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, (struct sockaddr *) &sa, sizeof sa) < 0)
                die("bind");
        if (listen(fd, (int) arg_backlog) < 0)
                die("listen");
        return fd;
}

static int client(void) {
        struct sockaddr_in sa = target();
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

        if (fd < 0)
                die("socket (client)");
        if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
                die("connect");
        return fd;
}

static bool established(int fd) {
        int err = 0;
        socklen_t len = sizeof err;
        struct pollfd p = { .fd = fd, .events = POLLOUT };

        if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLOUT))
                return false;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
                errno = err;
                die("connect (completion)");
        }
        return true;
}

/* Accept what is waiting and check the clients until all N are established, or time out. */
static void establish(int lfd, const int *clients) {
        unsigned accepted = 0, done = 0;
        time_t deadline = time(NULL) + ESTABLISH_TIMEOUT_SEC;

        while ((arg_accept && lfd >= 0 && accepted < arg_n) || (arg_wait && done < arg_n)) {
                if (time(NULL) > deadline) {
                        fprintf(stderr, "tcp-hold: only %u accepted, %u established after %d s\n", accepted, done,
                                ESTABLISH_TIMEOUT_SEC);
                        exit(1);
                }
                while (arg_accept && lfd >= 0 && accepted < arg_n) {
                        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
                        if (fd < 0) {
                                if (errno != EAGAIN)
                                        die("accept");
                                break;
                        }
                        accepted++;
                }
                while (arg_wait && done < arg_n && established(clients[done]))
                        done++;
                (void) poll(NULL, 0, 1);
        }
}

int main(int argc, char *argv[]) {
        sigset_t mask;
        int lfd = -1, *clients;

        if (parse_args(argc, argv) < 0)
                return 2;
        raise_nofile();
        /* SIGTERM and SIGINT end the hold through sigtimedwait below */
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        if (!arg_connect_only)
                lfd = listener();
        clients = calloc(arg_n ?: 1, sizeof(int));
        if (!clients)
                die("calloc");
        for (unsigned i = 0; i < arg_n; i++)
                clients[i] = client();
        establish(lfd, clients);
        printf("ready %u\n", arg_n);
        fflush(stdout);

        struct timespec hold = { .tv_sec = HOLD_MAX_SEC };
        if (sigtimedwait(&mask, NULL, &hold) < 0 && errno == EAGAIN) {
                fprintf(stderr, "tcp-hold: nobody stopped me within %d s, leaving\n", HOLD_MAX_SEC);
                return 1;
        }
        return 0;
}
