/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wstunectl.c - the command-line client of wstuned. Every verb is one or two calls on io.wstune.wstuned1
 * over the system bus (public sd-bus only); the answer is printed as an aligned table or, with --json,
 * as one JSON document. The exit status tells scripts what happened: see EXIT STATUS in wstunectl(1). */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <time.h>
#include <wchar.h>

#include "bus-errors.h"
#include "json.h"
#include "util/util.h"
#include "version.h"

#define APPLY_FLAG_DRY_RUN UINT64_C(1)
#define ROW_COLUMNS_MAX 4u

typedef enum ExitStatus {
        EXIT_STATUS_OK = 0,          /* success; verify: everything holds */
        EXIT_STATUS_PROBLEMS = 1,    /* verify found problems, apply/revert/reload had failed items */
        EXIT_STATUS_FAILURE = 2,     /* usage error or any other failure */
        EXIT_STATUS_UNREACHABLE = 3, /* the bus or wstuned on it cannot be reached */
        EXIT_STATUS_DENIED = 4,      /* access denied */
} ExitStatus;

static bool arg_json = false;
static bool arg_no_pager = false;
static bool arg_dry_run = false;
static bool arg_color = false;
static uint64_t arg_interval_usec = 0; /* top: 0 is the default, TOP_INTERVAL_USEC_DEFAULT */
static uint64_t arg_iterations = 0;    /* top: 0 is no limit */

/* plan: the connection target, the role, and the options given (NAN / unset: the daemon's default) */
typedef struct PlanArgs {
        uint64_t connections; /* 0: not given */
        const char *role;
        bool explain;
        double nat_entries, utilization, ramp, burst, connection_lifetime, time_wait;
        bool fd_overhead_set;
        uint32_t fd_overhead;
} PlanArgs;

static PlanArgs arg_plan = {
        .role = "server",
        .nat_entries = NAN,
        .utilization = NAN,
        .ramp = NAN,
        .burst = NAN,
        .connection_lifetime = NAN,
        .time_wait = NAN,
};
static pid_t pager_pid = 0;

#define ANSI_RED "\x1b[0;1;31m"
#define ANSI_GREEN "\x1b[0;1;32m"
#define ANSI_YELLOW "\x1b[0;1;33m"
#define ANSI_BOLD "\x1b[0;1;39m"
#define ANSI_NORMAL "\x1b[0m"
#define ANSI_HOME_CLEAR "\x1b[H\x1b[2J"

static bool isempty(const char *s) {
        return !s || !s[0];
}

static bool startswith(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Write s to f (unless f is NULL) and return its width in terminal columns. Control characters become
 * '?', so strings from the bus cannot move the cursor or change colours. Bytes that do not decode (no
 * UTF-8 locale at all) pass through and count one column each. */
static size_t text_put(FILE *f, const char *s) {
        mbstate_t state = {};
        size_t width = 0, n = strlen(s);

        while (n > 0) {
                unsigned char c = (unsigned char) *s;
                wchar_t wc;
                size_t k;
                int w;

                if (c < 0x20 || c == 0x7f) {
                        k = 1;
                        w = -1;
                } else if (c < 0x80) {
                        k = 1;
                        w = 1;
                } else {
                        k = mbrtowc(&wc, s, n, &state);
                        if (k == (size_t) -1 || k == (size_t) -2 || k == 0) {
                                memset(&state, 0, sizeof state);
                                k = 1;
                                w = 1;
                        } else
                                w = wcwidth(wc); /* -1 for C1 controls and other non-printables */
                }

                if (w < 0) {
                        if (f)
                                fputc('?', f);
                        width++;
                } else {
                        if (f)
                                fwrite(s, 1, k, f);
                        width += (size_t) w;
                }
                s += k;
                n -= k;
        }
        return width;
}

/* ---- errors ---- */

static int log_oom(void) {
        fprintf(stderr, "wstunectl: out of memory\n");
        return EXIT_STATUS_FAILURE;
}

/* One line on stderr: a message from the bus passes through text_put(), so it cannot break the line. */
static void log_message(const char *prefix, const char *message) {
        fprintf(stderr, "wstunectl: %s", prefix);
        text_put(stderr, message);
        fputc('\n', stderr);
}

static int log_unreachable(const char *reason) {
        log_message("cannot reach wstuned (" WSTUNED_BUS_NAME ") on the system bus: ", reason);
        return EXIT_STATUS_UNREACHABLE;
}

/* Nobody owns the bus name. wstuned is not bus-activatable (a stopped wstuned stays stopped until systemd
 * starts it), so the bus answers ServiceUnknown, or NameHasNoOwner for a call that asked not to start it. */
static bool error_is_not_running(const sd_bus_error *error) {
        return sd_bus_error_has_names(error, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER);
}

/* Bus errors that mean nobody answers for wstuned: nobody owns its name, a (local, admin-made) activation
 * failed, the connection broke, or the daemon never replied. */
static bool error_is_unreachable(const sd_bus_error *error, int r) {
        static const char *const names[] = {
                SD_BUS_ERROR_SERVICE_UNKNOWN,
                SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                SD_BUS_ERROR_NO_REPLY,
                SD_BUS_ERROR_TIMEOUT,
                SD_BUS_ERROR_DISCONNECTED,
        };
        static const int errnos[] = {
                ECONNREFUSED, ECONNRESET, ENOTCONN, ETIMEDOUT, EPIPE, ESHUTDOWN,
        };

        if (sd_bus_error_is_set(error)) {
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (sd_bus_error_has_name(error, names[i]))
                                return true;
                if (startswith(error->name, "org.freedesktop.DBus.Error.Spawn."))
                        return true;
                /* Any other named error came from the bus or the daemon: it is not about reachability. */
                if (!startswith(error->name, "System.Error."))
                        return false;
        }
        for (size_t i = 0; i < ELEMENTSOF(errnos); i++)
                if (r == -errnos[i])
                        return true;
        return false;
}

/* Report a failed call on one line and return the exit status it stands for. */
static int log_call_error(const char *method, const sd_bus_error *error, int r) {
        const char *message = sd_bus_error_is_set(error) ? error->message ?: error->name : strerror(-r);

        if (error_is_not_running(error)) {
                fprintf(stderr, "wstunectl: wstuned is not running (systemctl start wstuned)\n");
                return EXIT_STATUS_UNREACHABLE;
        }
        if (error_is_unreachable(error, r))
                return log_unreachable(message);

        if (sd_bus_error_has_names(error, WSTUNED_ERROR_ACCESS_DENIED, SD_BUS_ERROR_ACCESS_DENIED,
                                   SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED)) {
                /* The daemon's messages start with "Access denied: " themselves; say it once. */
                if (strncasecmp(message, "Access denied: ", 15) == 0)
                        message += 15;
                log_message("access denied: ", message);
                return EXIT_STATUS_DENIED;
        }

        /* InvalidProfile, NoSuchProfile, NoSuchKey, InvalidArgs: the daemon's message names the value. */
        if (sd_bus_error_is_set(error))
                log_message("", message);
        else
                fprintf(stderr, "wstunectl: %s failed: %s\n", method, message);
        return EXIT_STATUS_FAILURE;
}

static int log_parse_error(const char *method, int r) {
        if (r == -ENOMEM)
                return log_oom();
        fprintf(stderr, "wstunectl: unexpected reply to %s: %s\n", method, strerror(-r));
        return EXIT_STATUS_FAILURE;
}

/* ---- rows of strings, as the daemon returns them ---- */

/* The strings belong to the reply message they were read from. */
typedef struct Rows {
        size_t n_columns;
        const char **cells; /* n * n_columns, row by row */
        size_t n, allocated;
} Rows;

static void rows_done(Rows *rows) {
        free(rows->cells);
        rows->cells = NULL;
        rows->n = rows->allocated = 0;
}

static int rows_add(Rows *rows, const char *const *cells) {
        if (rows->n >= rows->allocated) {
                size_t allocated = rows->allocated ? rows->allocated * 2 : 16;
                const char **grown = reallocarray(rows->cells, allocated, rows->n_columns * sizeof(char *));
                if (!grown)
                        return -ENOMEM;
                rows->cells = grown;
                rows->allocated = allocated;
        }
        memcpy(rows->cells + rows->n * rows->n_columns, cells, rows->n_columns * sizeof(char *));
        rows->n++;
        return 0;
}

static const char *const *rows_get(const Rows *rows, size_t i) {
        return rows->cells + i * rows->n_columns;
}

/* Read an array of structs of n_columns strings, a(ssss) or a(sss), from m. */
static int rows_read(sd_bus_message *m, size_t n_columns, Rows *ret) {
        _cleanup_(rows_done) Rows rows = { .n_columns = n_columns };
        char contents[ROW_COLUMNS_MAX + 1], type[ROW_COLUMNS_MAX + 3];
        const char *cells[ROW_COLUMNS_MAX];
        int r;

        if (n_columns < 1 || n_columns > ROW_COLUMNS_MAX)
                return -EINVAL;
        memset(contents, 's', n_columns);
        contents[n_columns] = '\0';
        snprintf(type, sizeof type, "(%s)", contents);

        r = sd_bus_message_enter_container(m, 'a', type);
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'r', contents)) > 0) {
                for (size_t i = 0; i < n_columns; i++) {
                        r = sd_bus_message_read_basic(m, 's', &cells[i]);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
                r = rows_add(&rows, cells);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;

        *ret = rows;
        rows = (Rows) {};
        return 0;
}

/* How a column is called in the table header and in JSON, whether its cells are coloured by value, and whether
 * they may carry a note after the value (a key's state: "ok (also set to 1 by /etc/sysctl.d/x.conf:3)"), which
 * JSON gives as a "note" member of its own. */
typedef struct Column {
        const char *header;
        const char *field;
        bool colored;
        bool noted;
} Column;

static const Column key_columns[] = {
        { .header = "KEY", .field = "key" },
        { .header = "CURRENT", .field = "current" },
        { .header = "DESIRED", .field = "desired" },
        { .header = "STATE", .field = "state", .colored = true, .noted = true },
};

static const Column change_columns[] = {
        { .header = "ITEM", .field = "item" },
        { .header = "OLD", .field = "old" },
        { .header = "NEW", .field = "new" },
        { .header = "RESULT", .field = "result", .colored = true },
};

static const Column finding_columns[] = {
        { .header = "ITEM", .field = "item" },
        { .header = "EXPECTED", .field = "expected" },
        { .header = "ACTUAL", .field = "actual" },
        { .header = "VERDICT", .field = "verdict", .colored = true, .noted = true },
};

static const Column profile_columns[] = {
        { .header = "NAME", .field = "name" },
        { .header = "DESCRIPTION", .field = "description" },
        { .header = "PATH", .field = "path" },
};

/* Text only: in JSON the figures are numbers (json_add_pressure()). */
static const Column pressure_columns[] = {
        { .header = "RESOURCE", .field = "resource" },
        { .header = "LEVEL", .field = "level", .colored = true },
        { .header = "USE", .field = "use" },
        { .header = "USED", .field = "used" },
        { .header = "LIMIT", .field = "limit" },
        { .header = "NOTE", .field = "note" },
};

/* ---- text output ---- */

static const struct {
        const char *value;
        const char *color;
} value_colors[] = {
        { "ok", ANSI_GREEN },          { "set", ANSI_GREEN },       { "restore", ANSI_GREEN },
        { "would-set", ANSI_YELLOW },  { "would-restore", ANSI_YELLOW },
        { "pending", ANSI_YELLOW },    { "drifted", ANSI_RED },     { "fighting", ANSI_RED },
        { "degraded", ANSI_RED },      { "inactive", ANSI_YELLOW },
        { "warn", ANSI_YELLOW },       { "critical", ANSI_RED }, /* pressure levels */
};

/* The note wstuned puts after a key's state when a sysctl.d file sets the key to another value. */
#define STATE_NOTE_START " (also set "

/* The length of the value without such a note. */
static size_t state_length(const char *value) {
        const char *note = strstr(value, STATE_NOTE_START);
        size_t n = note ? (size_t) (note - value) : strlen(value);

        return note && value[strlen(value) - 1] == ')' ? n : strlen(value);
}

/* Whether a state or verdict is value, a note after it aside. */
static bool state_is(const char *state, const char *value) {
        size_t n = state_length(state);
        return strlen(value) == n && strncmp(state, value, n) == 0;
}

static const char *value_color(const char *value) {
        if (!arg_color)
                return NULL;
        if (startswith(value, "error") || startswith(value, "lowers:"))
                return ANSI_RED;
        for (size_t i = 0; i < ELEMENTSOF(value_colors); i++)
                if (state_is(value, value_colors[i].value))
                        return value_colors[i].color;
        return NULL;
}

/* stdout is a terminal that understands ANSI escape sequences. */
static bool terminal_has_ansi(void) {
        const char *term = getenv("TERM");

        return term && !streq(term, "dumb") && isatty(STDOUT_FILENO);
}

static const char *cell_text(const char *s) {
        return isempty(s) ? "-" : s;
}

static void cell_print(const char *text, const char *color, size_t pad) {
        if (color)
                fputs(color, stdout);
        size_t width = text_put(stdout, text);
        if (color)
                fputs(ANSI_NORMAL, stdout);
        for (; pad > width; pad--)
                fputc(' ', stdout);
}

/* An aligned table: a header row, columns two spaces apart, no padding after the last column. An optional
 * marker column ('*' or ' ') goes first; marked[i] says whether row i gets the '*'. */
static int table_print(const Column *columns, const Rows *rows, const bool *marked) {
        _cleanup_free_ size_t *widths = calloc(rows->n_columns, sizeof(size_t));
        size_t n = rows->n_columns;

        if (!widths)
                return -ENOMEM;
        for (size_t c = 0; c < n; c++) {
                widths[c] = text_put(NULL, columns[c].header);
                for (size_t i = 0; i < rows->n; i++) {
                        size_t w = text_put(NULL, cell_text(rows_get(rows, i)[c]));
                        if (w > widths[c])
                                widths[c] = w;
                }
        }

        if (marked)
                fputs("  ", stdout);
        for (size_t c = 0; c < n; c++) {
                cell_print(columns[c].header, arg_color ? ANSI_BOLD : NULL, c + 1 < n ? widths[c] : 0);
                if (c + 1 < n)
                        fputs("  ", stdout);
        }
        fputc('\n', stdout);

        for (size_t i = 0; i < rows->n; i++) {
                const char *const *cells = rows_get(rows, i);
                if (marked)
                        fputs(marked[i] ? "* " : "  ", stdout);
                for (size_t c = 0; c < n; c++) {
                        const char *text = cell_text(cells[c]);
                        cell_print(text, columns[c].colored ? value_color(text) : NULL,
                                   c + 1 < n ? widths[c] : 0);
                        if (c + 1 < n)
                                fputs("  ", stdout);
                }
                fputc('\n', stdout);
        }
        return 0;
}

/* ---- JSON output ---- */

/* The daemon reports absent values (a missing key, no desired value, no profile) as "": JSON says null. */
static cJSON *json_string_or_null(const char *s) {
        return isempty(s) ? cJSON_CreateNull() : cJSON_CreateString(s);
}

/* A 64-bit figure as its digits: a double holds integers exactly only up to 2^53, and fs.file-max is often
 * 2^63-1. */
static cJSON *json_u64(uint64_t v) {
        char buf[sizeof "18446744073709551615"];

        snprintf(buf, sizeof buf, "%" PRIu64, v);
        return cJSON_CreateRaw(buf);
}

/* Add item to object; item is freed when that fails. */
static int json_add(cJSON *object, const char *name, cJSON *item) {
        if (!item)
                return -ENOMEM;
        if (!cJSON_AddItemToObject(object, name, item)) {
                cJSON_Delete(item);
                return -ENOMEM;
        }
        return 0;
}

static int json_append(cJSON *array, cJSON *item) {
        if (!item)
                return -ENOMEM;
        if (!cJSON_AddItemToArray(array, item)) {
                cJSON_Delete(item);
                return -ENOMEM;
        }
        return 0;
}

/* An array with one object per row, fields named by columns; active[i], when given, adds "active". */
static int json_add_rows(cJSON *object, const char *name, const Column *columns, const Rows *rows,
                         const bool *active) {
        _cleanup_json_ cJSON *array = cJSON_CreateArray();
        int r;

        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < rows->n; i++) {
                _cleanup_json_ cJSON *row = cJSON_CreateObject();
                if (!row)
                        return -ENOMEM;
                for (size_t c = 0; c < rows->n_columns; c++) {
                        const char *cell = rows_get(rows, i)[c];
                        if (columns[c].noted && cell) {
                                /* "ok (also set to 1 by F:L)": "state": "ok", "note": "also set to 1 by F:L" */
                                size_t n = state_length(cell), len = strlen(cell);
                                _cleanup_free_ char *value = strndup(cell, n);
                                _cleanup_free_ char *note = cell[n] ? strndup(cell + n + 2, len - n - 3) : NULL;
                                if (!value || (cell[n] && !note))
                                        return -ENOMEM;
                                r = json_add(row, columns[c].field, json_string_or_null(value));
                                if (r >= 0)
                                        r = json_add(row, "note", note ? cJSON_CreateString(note) : cJSON_CreateNull());
                        } else
                                r = json_add(row, columns[c].field, json_string_or_null(cell));
                        if (r < 0)
                                return r;
                }
                if (active && (r = json_add(row, "active", cJSON_CreateBool(active[i]))) < 0)
                        return r;
                r = json_append(array, TAKE_PTR(row));
                if (r < 0)
                        return r;
        }
        return json_add(object, name, TAKE_PTR(array));
}

/* One document on one line: scripts read it with jq or python3 -m json.tool. */
static int json_print(const cJSON *doc) {
        _cleanup_free_ char *text = cJSON_PrintUnformatted(doc);
        if (!text)
                return -ENOMEM;
        fputs(text, stdout);
        fputc('\n', stdout);
        return 0;
}

/* ---- pager ---- */

/* What sudo, doas and pkexec leave in the environment of the program they start as another user. Their
 * presence says that whoever types into the pager may not be the user it runs as. */
static const char *const pager_elevation_env[] = { "SUDO_UID", "SUDO_USER", "DOAS_USER", "PKEXEC_UID" };

/* 1 for "1", "yes", "true", "on" (any case, and the one-letter forms), 0 for their opposites, -EINVAL
 * for anything else. */
static int parse_boolean(const char *s) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(s, yes[i]) == 0)
                        return 1;
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (strcasecmp(s, no[i]) == 0)
                        return 0;
        return -EINVAL;
}

/* Secure mode, as systemctl has it since CVE-2023-26604: a pager started with more privileges than the
 * person at the keyboard hands them a shell with those privileges (less's "!sh", "v", "|"). So under root,
 * sudo and the like, or a set-uid/set-gid start, only less runs, with LESSSECURE=1, which disables those
 * commands. WSTUNECTL_PAGERSECURE=0 or =1 decides instead; a value that is not a boolean means secure.
 * secure_getenv(): a set-uid start ignores the variable, and is secure. */
static bool pager_secure_mode(void) {
        const char *e = secure_getenv("WSTUNECTL_PAGERSECURE");

        if (e) {
                int b = parse_boolean(e);
                if (b >= 0)
                        return b;
                fputs("wstunectl: WSTUNECTL_PAGERSECURE=\"", stderr);
                text_put(stderr, e);
                fputs("\" is not a boolean; using the secure pager\n", stderr);
                return true;
        }
        if (geteuid() == 0 || geteuid() != getuid() || getegid() != getgid())
                return true;
        for (size_t i = 0; i < ELEMENTSOF(pager_elevation_env); i++)
                if (getenv(pager_elevation_env[i]))
                        return true;
        return false;
}

/* The pager child when there is no pager to start: copy the output through as it is. */
static _Noreturn void pager_copy_through(void) {
        char buf[4096];
        ssize_t k;

        while ((k = read(STDIN_FILENO, buf, sizeof buf)) > 0)
                if (write(STDOUT_FILENO, buf, (size_t) k) != k)
                        _exit(EXIT_FAILURE);
        _exit(EXIT_SUCCESS);
}

/* Like systemctl: when stdout is a terminal, pipe it into a pager. The pager is started only once there is
 * something to show, so errors stay on the terminal. Outside secure mode that is $PAGER (through sh -c),
 * or less, or more; in secure mode (see above) $PAGER is not trusted (it may come from the user's
 * environment, kept by sudo -E or env_keep) and only less is started: when there is none, the output is
 * copied through as it is, never into more, which knows no secure mode. An empty $PAGER or "cat" turns
 * paging off in both modes, since nothing is started then. */
static void pager_open(void) {
        const char *pager;
        bool secure, less_secure;
        int fds[2];
        pid_t pid;

        if (arg_no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;
        pager = secure_getenv("PAGER");
        if (pager && (!pager[0] || streq(pager, "cat")))
                return;
        secure = pager_secure_mode();
        if (secure)
                pager = NULL;
        /* Root gets LESSSECURE=1 even when WSTUNECTL_PAGERSECURE=0 lets $PAGER run: should that be less,
         * its shell escapes stay closed. */
        less_secure = secure || geteuid() == 0;

        if (pipe2(fds, O_CLOEXEC) < 0)
                return;

        fflush(stdout);
        pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return;
        }
        if (pid == 0) {
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                /* Close our copy of the write end now, not only at exec: the copy below must see EOF. */
                if (fds[0] != STDIN_FILENO)
                        close(fds[0]);
                close(fds[1]);
                /* F: quit when it fits on one screen, R: pass colours, X: leave the screen as it is,
                 * M: long prompt, K: quit on ^C. LESSSECURE_ALLOW (newer less) would open the
                 * disabled commands again one by one. Without the environment, no pager. */
                if (setenv("LESS", "FRXMK", 0) < 0 ||
                    (less_secure && (setenv("LESSSECURE", "1", 1) < 0 || unsetenv("LESSSECURE_ALLOW") < 0)))
                        pager_copy_through();
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                if (!secure)
                        execlp("more", "more", (char *) NULL);
                pager_copy_through();
        }

        if (dup2(fds[1], STDOUT_FILENO) < 0) {
                close(fds[0]);
                close(fds[1]);
                (void) waitpid(pid, NULL, 0);
                return;
        }
        close(fds[0]);
        close(fds[1]);
        pager_pid = pid;
}

static void pager_close(void) {
        if (pager_pid <= 0)
                return;
        fflush(stdout);
        /* The pager sees the end of its input only when our last copy of the pipe is gone. */
        close(STDOUT_FILENO);
        while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        pager_pid = 0;
}

/* ---- bus calls ---- */

static int call_method(sd_bus *bus, const char *method, sd_bus_error *error, sd_bus_message **ret_reply,
                       const char *types, ...) {
        va_list ap;
        int r;

        va_start(ap, types);
        r = sd_bus_call_methodv(bus, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, method,
                                error, ret_reply, types, ap);
        va_end(ap);
        return r;
}

/* A method call on wstuned. follow: top after its first refresh, which waits for wstuned as monitor does;
 * its calls also ask the bus not to start wstuned, should an administrator have made it activatable. */
static int method_call_new(sd_bus *bus, const char *interface, const char *method, bool follow,
                           sd_bus_message **ret) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, interface, method);
        if (r >= 0 && follow)
                r = sd_bus_message_set_auto_start(m, 0);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

/* log_call_error(), except that when following, an unreachable wstuned is for the caller to show. */
static int call_error(const char *method, const sd_bus_error *error, int r, bool follow) {
        if (follow && error_is_unreachable(error, r))
                return EXIT_STATUS_UNREACHABLE;
        return log_call_error(method, error, r);
}

/* Call Get(keys) and read its entries. Returns an exit status. */
static int call_get(sd_bus *bus, char **keys, bool follow, sd_bus_message **ret_reply, Rows *ret_rows) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        int r;

        for (char **k = keys; k && *k; k++)
                if (!utf8_is_valid(*k)) {
                        fprintf(stderr, "wstunectl: invalid key name (not UTF-8)\n");
                        return EXIT_STATUS_FAILURE;
                }

        r = method_call_new(bus, WSTUNED_BUS_INTERFACE, "Get", follow, &call);
        if (r >= 0)
                r = sd_bus_message_append_strv(call, keys);
        if (r < 0)
                return log_call_error("Get", &error, r);
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return call_error("Get", &error, r, follow);
        r = rows_read(reply, ELEMENTSOF(key_columns), ret_rows);
        if (r < 0)
                return log_parse_error("Get", r);
        *ret_reply = TAKE_PTR(reply);
        return EXIT_STATUS_OK;
}

static int get_active_profile(sd_bus *bus, char **ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property_string(bus, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE,
                                       "ActiveProfile", &error, ret);
        if (r < 0)
                return log_call_error("ActiveProfile", &error, r);
        return EXIT_STATUS_OK;
}

/* ---- verbs ---- */

/* One resource of the Pressure property; the strings stay in the message. */
typedef struct Pressure {
        const char *resource;
        const char *level;
        double ratio;
        uint64_t used, limit;
} Pressure;

typedef struct Properties {
        const char *version;
        const char *active_profile;
        const char *state;
        char **pending_keys;
        uint64_t conntrack_entries, conntrack_max, conntrack_drops;
        Pressure *pressure;
        size_t n_pressure;
} Properties;

static void properties_done(Properties *p) {
        p->pending_keys = strv_free(p->pending_keys);
        p->pressure = mfree(p->pressure);
        p->n_pressure = 0;
}

/* The properties that are one basic value, and where each goes. */
static const struct {
        const char *name;
        const char *signature;
        size_t offset;
} basic_properties[] = {
        { "Version", "s", offsetof(Properties, version) },
        { "ActiveProfile", "s", offsetof(Properties, active_profile) },
        { "State", "s", offsetof(Properties, state) },
        { "ConntrackEntries", "t", offsetof(Properties, conntrack_entries) },
        { "ConntrackMax", "t", offsetof(Properties, conntrack_max) },
        { "ConntrackDrops", "t", offsetof(Properties, conntrack_drops) },
};

/* The Pressure property's variant, a(ssdtt). */
static int pressure_read(sd_bus_message *m, Properties *p) {
        Pressure row;
        int r;

        r = sd_bus_message_enter_container(m, 'v', "a(ssdtt)");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "(ssdtt)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_read(m, "(ssdtt)", &row.resource, &row.level, &row.ratio, &row.used,
                                        &row.limit)) > 0) {
                Pressure *grown = reallocarray(p->pressure, p->n_pressure + 1, sizeof(Pressure));
                if (!grown)
                        return -ENOMEM;
                p->pressure = grown;
                p->pressure[p->n_pressure++] = row;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* The variant of the property called name. */
static int property_read(sd_bus_message *m, const char *name, Properties *p) {
        int r;

        for (size_t i = 0; i < ELEMENTSOF(basic_properties); i++)
                if (streq(name, basic_properties[i].name))
                        return sd_bus_message_read(m, "v", basic_properties[i].signature,
                                                   (uint8_t *) p + basic_properties[i].offset);
        if (streq(name, "Pressure"))
                return pressure_read(m, p);
        if (!streq(name, "PendingKeys"))
                return sd_bus_message_skip(m, "v");
        r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_read_strv(m, &p->pending_keys);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* Read the GetAll answer a{sv}; strings stay in the message. Unknown properties are skipped. */
static int properties_read(sd_bus_message *m, Properties *p) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                r = sd_bus_message_read_basic(m, 's', &name);
                if (r >= 0)
                        r = property_read(m, name, p);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

/* What status shows: one GetAll (the pressure figures with the rest, all from one sample) and one Get. */
typedef struct Status {
        sd_bus_message *properties_reply, *get_reply; /* the strings below belong to these */
        Properties p;
        Rows entries;
} Status;

static void status_done(Status *s) {
        rows_done(&s->entries);
        properties_done(&s->p);
        s->get_reply = sd_bus_message_unref(s->get_reply);
        s->properties_reply = sd_bus_message_unref(s->properties_reply);
}

/* Returns an exit status; follow as for method_call_new(). */
static int status_fetch(sd_bus *bus, bool follow, Status *ret) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
        _cleanup_(status_done) Status s = {};
        int r;

        r = method_call_new(bus, "org.freedesktop.DBus.Properties", "GetAll", follow, &call);
        if (r >= 0)
                r = sd_bus_message_append(call, "s", WSTUNED_BUS_INTERFACE);
        if (r < 0)
                return log_call_error("GetAll", &error, r);
        r = sd_bus_call(bus, call, 0, &error, &s.properties_reply);
        if (r < 0)
                return call_error("GetAll", &error, r, follow);
        r = properties_read(s.properties_reply, &s.p);
        if (r < 0)
                return log_parse_error("GetAll", r);

        r = call_get(bus, NULL, follow, &s.get_reply, &s.entries);
        if (r != EXIT_STATUS_OK)
                return r;
        *ret = s;
        s = (Status) {};
        return EXIT_STATUS_OK;
}

/* "pressure": [{resource, level, ratio, used, limit}], figures as numbers. */
static int json_add_pressure(cJSON *doc, const Properties *p) {
        _cleanup_json_ cJSON *array = cJSON_CreateArray();
        int r;

        if (!array)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_pressure; i++) {
                const Pressure *pr = &p->pressure[i];
                _cleanup_json_ cJSON *row = cJSON_CreateObject();

                if (!row)
                        return -ENOMEM;
                if ((r = json_add(row, "resource", json_string_or_null(pr->resource))) < 0 ||
                    (r = json_add(row, "level", json_string_or_null(pr->level))) < 0 ||
                    (r = json_add(row, "ratio", cJSON_CreateNumber(pr->ratio))) < 0 ||
                    (r = json_add(row, "used", json_u64(pr->used))) < 0 ||
                    (r = json_add(row, "limit", json_u64(pr->limit))) < 0 ||
                    (r = json_append(array, TAKE_PTR(row))) < 0)
                        return r;
        }
        return json_add(doc, "pressure", TAKE_PTR(array));
}

/* Add the fields of status --json to doc. */
static int status_json_add(cJSON *doc, const Status *s) {
        const Properties *p = &s->p;
        _cleanup_json_ cJSON *pending = cJSON_CreateArray(), *conntrack = cJSON_CreateObject();
        int r;

        if (!pending || !conntrack)
                return -ENOMEM;
        for (char **k = p->pending_keys; k && *k; k++)
                if ((r = json_append(pending, cJSON_CreateString(*k))) < 0)
                        return r;
        if ((r = json_add(conntrack, "entries", json_u64(p->conntrack_entries))) < 0 ||
            (r = json_add(conntrack, "max", json_u64(p->conntrack_max))) < 0 ||
            (r = json_add(conntrack, "drops", json_u64(p->conntrack_drops))) < 0)
                return r;
        if ((r = json_add(doc, "version", json_string_or_null(p->version))) < 0 ||
            (r = json_add(doc, "active_profile", json_string_or_null(p->active_profile))) < 0 ||
            (r = json_add(doc, "state", json_string_or_null(p->state))) < 0 ||
            (r = json_add(doc, "pending_keys", TAKE_PTR(pending))) < 0 ||
            (r = json_add_rows(doc, "entries", key_columns, &s->entries, NULL)) < 0 ||
            (r = json_add_pressure(doc, p)) < 0 || (r = json_add(doc, "conntrack", TAKE_PTR(conntrack))) < 0)
                return r;
        return 0;
}

static int status_print_json(const Status *s) {
        _cleanup_json_ cJSON *doc = cJSON_CreateObject();
        int r;

        if (!doc)
                return -ENOMEM;
        r = status_json_add(doc, s);
        return r < 0 ? r : json_print(doc);
}

/* The cells of one pressure row that are not strings from the message. An absent resource has no
 * figures: its cells stay empty and print as "-". */
typedef struct PressureCells {
        char use[16], used[24], limit[24], note[32];
} PressureCells;

static void pressure_cells_format(const Properties *p, const Pressure *pr, PressureCells *ret) {
        double percent = pr->ratio * 100.0;

        *ret = (PressureCells) {};
        if (streq(pr->level, "absent"))
                return;
        /* Some use, not none: "0.0%" would say none. */
        if (percent > 0 && percent < 0.05)
                snprintf(ret->use, sizeof ret->use, "<0.1%%");
        else
                snprintf(ret->use, sizeof ret->use, "%.1f%%", percent);
        snprintf(ret->used, sizeof ret->used, "%" PRIu64, pr->used);
        snprintf(ret->limit, sizeof ret->limit, "%" PRIu64, pr->limit);
        if (streq(pr->resource, "conntrack"))
                snprintf(ret->note, sizeof ret->note, "drops %" PRIu64, p->conntrack_drops);
}

static int pressure_table_print(const Properties *p) {
        _cleanup_(rows_done) Rows rows = { .n_columns = ELEMENTSOF(pressure_columns) };
        _cleanup_free_ PressureCells *cells = calloc(p->n_pressure ?: 1, sizeof(PressureCells));
        int r;

        if (!cells)
                return -ENOMEM;
        for (size_t i = 0; i < p->n_pressure; i++) {
                const Pressure *pr = &p->pressure[i];
                PressureCells *c = &cells[i];

                pressure_cells_format(p, pr, c);
                const char *row[] = { pr->resource, pr->level, c->use, c->used, c->limit, c->note };
                _Static_assert(ELEMENTSOF(row) == ELEMENTSOF(pressure_columns), "a cell for each column");
                r = rows_add(&rows, row);
                if (r < 0)
                        return r;
        }
        return table_print(pressure_columns, &rows, NULL);
}

/* The daemon's state, the managed keys, then the pressure table (when the daemon has one). */
static int status_print_text(const Status *s) {
        const Properties *p = &s->p;
        const char *state = cell_text(p->state), *color = value_color(state);
        int r;

        printf("       Version: ");
        text_put(stdout, cell_text(p->version));
        printf("\nActive profile: ");
        text_put(stdout, cell_text(p->active_profile));
        printf("\n         State: %s", color ?: "");
        text_put(stdout, state);
        printf("%s\n  Pending keys: ", color ? ANSI_NORMAL : "");
        if (strv_length(p->pending_keys) == 0)
                fputs("-", stdout);
        for (char **k = p->pending_keys; k && *k; k++) {
                if (k != p->pending_keys)
                        fputs(", ", stdout);
                text_put(stdout, *k);
        }
        fputs("\n\n", stdout);

        if (s->entries.n == 0)
                printf("no managed keys\n");
        else if ((r = table_print(key_columns, &s->entries, NULL)) < 0)
                return r;
        if (p->n_pressure == 0)
                return 0;
        fputc('\n', stdout);
        return pressure_table_print(p);
}

static int verb_status(sd_bus *bus, char **args) {
        _cleanup_(status_done) Status s = {};
        int r;

        r = status_fetch(bus, false, &s);
        if (r != EXIT_STATUS_OK)
                return r;

        pager_open();
        r = arg_json ? status_print_json(&s) : status_print_text(&s);
        return r < 0 ? log_oom() : EXIT_STATUS_OK;
}

static int verb_get(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(rows_done) Rows entries = {};
        int r;

        r = call_get(bus, args, false, &reply, &entries);
        if (r != EXIT_STATUS_OK)
                return r;

        pager_open();
        if (arg_json) {
                _cleanup_json_ cJSON *doc = cJSON_CreateObject();
                if (!doc)
                        return log_oom();
                r = json_add_rows(doc, "entries", key_columns, &entries, NULL);
                if (r >= 0)
                        r = json_print(doc);
        } else if (entries.n == 0) {
                printf("no managed keys\n");
                r = 0;
        } else
                r = table_print(key_columns, &entries, NULL);
        return r < 0 ? log_oom() : EXIT_STATUS_OK;
}

/* Print the changes an Apply, Revert or Reload reply carries. Exit status 1 when an item failed. */
static int print_changes(const char *method, sd_bus_message *reply, int dry_run) {
        _cleanup_(rows_done) Rows changes = {};
        bool failed = false;
        int r;

        r = rows_read(reply, ELEMENTSOF(change_columns), &changes);
        if (r < 0)
                return log_parse_error(method, r);
        for (size_t i = 0; i < changes.n; i++)
                if (startswith(rows_get(&changes, i)[3], "error"))
                        failed = true;

        pager_open();
        if (arg_json) {
                _cleanup_json_ cJSON *doc = cJSON_CreateObject();
                if (!doc)
                        return log_oom();
                r = 0;
                if (dry_run >= 0)
                        r = json_add(doc, "dry_run", cJSON_CreateBool(dry_run));
                if (r >= 0)
                        r = json_add_rows(doc, "changes", change_columns, &changes, NULL);
                if (r >= 0)
                        r = json_print(doc);
        } else if (changes.n == 0) {
                printf("nothing to change\n");
                r = 0;
        } else
                r = table_print(change_columns, &changes, NULL);
        if (r < 0)
                return log_oom();
        return failed ? EXIT_STATUS_PROBLEMS : EXIT_STATUS_OK;
}

static int verb_apply(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        const char *profile = args[0] ?: "";
        int r;

        if (!utf8_is_valid(profile)) {
                fprintf(stderr, "wstunectl: invalid profile name (not UTF-8)\n");
                return EXIT_STATUS_FAILURE;
        }
        r = call_method(bus, "Apply", &error, &reply, "st", profile, arg_dry_run ? APPLY_FLAG_DRY_RUN : 0);
        if (r < 0)
                return log_call_error("Apply", &error, r);
        return print_changes("Apply", reply, arg_dry_run);
}

static int verb_revert(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call_method(bus, "Revert", &error, &reply, NULL);
        if (r < 0)
                return log_call_error("Revert", &error, r);
        return print_changes("Revert", reply, -1);
}

static int verb_reload(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = call_method(bus, "Reload", &error, &reply, NULL);
        if (r < 0)
                return log_call_error("Reload", &error, r);
        return print_changes("Reload", reply, -1);
}

static int verb_verify(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(rows_done) Rows findings = {};
        _cleanup_free_ char *profile = NULL;
        size_t failed = 0;
        int ok, r;

        r = call_method(bus, "Verify", &error, &reply, NULL);
        if (r < 0)
                return log_call_error("Verify", &error, r);
        r = sd_bus_message_read(reply, "b", &ok);
        if (r >= 0)
                r = rows_read(reply, ELEMENTSOF(finding_columns), &findings);
        if (r < 0)
                return log_parse_error("Verify", r);
        r = get_active_profile(bus, &profile);
        if (r != EXIT_STATUS_OK)
                return r;
        for (size_t i = 0; i < findings.n; i++)
                if (!state_is(rows_get(&findings, i)[3], "ok"))
                        failed++;

        pager_open();
        if (arg_json) {
                _cleanup_json_ cJSON *doc = cJSON_CreateObject();
                if (!doc)
                        return log_oom();
                r = json_add(doc, "ok", cJSON_CreateBool(ok));
                if (r >= 0)
                        r = json_add(doc, "profile", json_string_or_null(profile));
                if (r >= 0)
                        r = json_add_rows(doc, "findings", finding_columns, &findings, NULL);
                if (r >= 0)
                        r = json_print(doc);
                if (r < 0)
                        return log_oom();
        } else {
                if (findings.n > 0 && table_print(finding_columns, &findings, NULL) < 0)
                        return log_oom();
                if (ok) {
                        printf("%sOK%s: profile ", arg_color ? ANSI_GREEN : "",
                               arg_color ? ANSI_NORMAL : "");
                        text_put(stdout, cell_text(profile));
                        printf(" holds\n");
                } else if (isempty(profile))
                        printf("%sFAILED%s: no profile is active\n", arg_color ? ANSI_RED : "",
                               arg_color ? ANSI_NORMAL : "");
                else
                        printf("%sFAILED%s: %zu of %zu items do not hold\n", arg_color ? ANSI_RED : "",
                               arg_color ? ANSI_NORMAL : "", failed, findings.n);
        }
        return ok ? EXIT_STATUS_OK : EXIT_STATUS_PROBLEMS;
}

static int verb_profiles(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(rows_done) Rows profiles = {};
        _cleanup_free_ char *active = NULL;
        _cleanup_free_ bool *marked = NULL;
        int r;

        r = call_method(bus, "ListProfiles", &error, &reply, NULL);
        if (r < 0)
                return log_call_error("ListProfiles", &error, r);
        r = rows_read(reply, ELEMENTSOF(profile_columns), &profiles);
        if (r < 0)
                return log_parse_error("ListProfiles", r);
        r = get_active_profile(bus, &active);
        if (r != EXIT_STATUS_OK)
                return r;

        marked = calloc(profiles.n ?: 1, sizeof(bool));
        if (!marked)
                return log_oom();
        for (size_t i = 0; i < profiles.n; i++)
                marked[i] = !isempty(active) && streq(rows_get(&profiles, i)[0], active);

        pager_open();
        if (arg_json) {
                _cleanup_json_ cJSON *doc = cJSON_CreateObject();
                if (!doc)
                        return log_oom();
                r = json_add(doc, "active_profile", json_string_or_null(active));
                if (r >= 0)
                        r = json_add_rows(doc, "profiles", profile_columns, &profiles, marked);
                if (r >= 0)
                        r = json_print(doc);
        } else if (profiles.n == 0) {
                printf("no profiles\n");
                r = 0;
        } else
                r = table_print(profile_columns, &profiles, marked);
        return r < 0 ? log_oom() : EXIT_STATUS_OK;
}

/* ---- plan ---- */

static int plan_append_options(sd_bus_message *m) {
        const struct {
                const char *name;
                double value;
        } doubles[] = {
                { "nat_entries", arg_plan.nat_entries },
                { "utilization", arg_plan.utilization },
                { "ramp", arg_plan.ramp },
                { "burst", arg_plan.burst },
                { "connection_lifetime", arg_plan.connection_lifetime },
                { "time_wait", arg_plan.time_wait },
        };
        int r = sd_bus_message_open_container(m, 'a', "{sv}");

        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(doubles); i++)
                if (!isnan(doubles[i].value))
                        r = sd_bus_message_append(m, "{sv}", doubles[i].name, "d", doubles[i].value);
        if (r >= 0 && arg_plan.fd_overhead_set)
                r = sd_bus_message_append(m, "{sv}", "fd_overhead", "u", arg_plan.fd_overhead);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        return r;
}

typedef struct PlanRow {
        const char *item, *value, *formula, *note;
        double use;
} PlanRow;

/* One line per value: item = value: formula (use at the target; the machine's note). */
static void plan_explain(FILE *f, const PlanRow *rows, size_t n, char **warnings) {
        for (size_t i = 0; i < n; i++) {
                const PlanRow *p = &rows[i];
                fprintf(f, "%s = %s: %s", p->item, p->value, p->formula);
                if (p->use >= 0)
                        fprintf(f, " (%.1f%% used at %" PRIu64 " connections)", p->use * 100, arg_plan.connections);
                if (!isempty(p->note))
                        fprintf(f, "; %s", p->note);
                fputc('\n', f);
        }
        STRV_FOREACH(w, warnings)
                fprintf(f, "%swarning%s: %s\n", arg_color ? ANSI_YELLOW : "", arg_color ? ANSI_NORMAL : "", *w);
}

static int plan_print_json(const char *profile, const PlanRow *rows, size_t n, char **warnings) {
        _cleanup_json_ cJSON *doc = cJSON_CreateObject(), *parsed = cJSON_Parse(profile);
        cJSON *explanation = cJSON_CreateArray(), *list = cJSON_CreateArray();
        int r;

        if (!doc || !parsed || !explanation || !list) {
                cJSON_Delete(explanation);
                cJSON_Delete(list);
                return -ENOMEM;
        }
        r = json_add(doc, "profile", TAKE_PTR(parsed));
        for (size_t i = 0; r >= 0 && i < n; i++) {
                cJSON *o = cJSON_CreateObject();
                r = json_append(explanation, o);
                if (r >= 0)
                        r = json_add(o, "item", cJSON_CreateString(rows[i].item));
                if (r >= 0)
                        r = json_add(o, "value", cJSON_CreateString(rows[i].value));
                if (r >= 0)
                        r = json_add(o, "formula", cJSON_CreateString(rows[i].formula));
                if (r >= 0)
                        r = json_add(o, "use", rows[i].use >= 0 ? cJSON_CreateNumber(rows[i].use) : cJSON_CreateNull());
                if (r >= 0)
                        r = json_add(o, "note", json_string_or_null(isempty(rows[i].note) ? NULL : rows[i].note));
        }
        STRV_FOREACH(w, warnings)
                if (r >= 0)
                        r = json_append(list, cJSON_CreateString(*w));
        if (r >= 0)
                r = json_add(doc, "explanation", TAKE_PTR(explanation));
        else
                cJSON_Delete(explanation);
        if (r >= 0)
                r = json_add(doc, "warnings", TAKE_PTR(list));
        else
                cJSON_Delete(list);
        if (r >= 0)
                r = json_print(doc);
        return r;
}

/* The profile goes to stdout, ready to be saved; the explanation (--explain) and warnings to stderr. */
static int verb_plan(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        _cleanup_strv_free_ char **warnings = NULL;
        _cleanup_free_ PlanRow *rows = NULL;
        const char *profile;
        size_t n = 0, allocated = 0;
        int r;

        if (arg_plan.connections == 0) {
                fprintf(stderr, "wstunectl: plan needs --connections N; see wstunectl --help\n");
                return EXIT_STATUS_FAILURE;
        }
        r = method_call_new(bus, WSTUNED_BUS_INTERFACE, "Plan", false, &call);
        if (r >= 0)
                r = sd_bus_message_append(call, "us", (uint32_t) arg_plan.connections, arg_plan.role);
        if (r >= 0)
                r = plan_append_options(call);
        if (r < 0)
                return log_oom();
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return log_call_error("Plan", &error, r);

        r = sd_bus_message_read(reply, "s", &profile);
        if (r >= 0)
                r = sd_bus_message_enter_container(reply, 'a', "(sssds)");
        while (r >= 0) {
                PlanRow row;
                r = sd_bus_message_read(reply, "(sssds)", &row.item, &row.value, &row.formula, &row.use, &row.note);
                if (r <= 0)
                        break;
                if (n == allocated) {
                        PlanRow *more = realloc(rows, (allocated = allocated * 2 + 8) * sizeof(PlanRow));
                        if (!more)
                                return log_oom();
                        rows = more;
                }
                rows[n++] = row;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, &warnings);
        if (r < 0)
                return log_parse_error("Plan", r);

        if (arg_json)
                return plan_print_json(profile, rows, n, warnings) < 0 ? log_oom() : EXIT_STATUS_OK;
        if (arg_plan.explain)
                plan_explain(stderr, rows, n, NULL);
        plan_explain(stderr, NULL, 0, warnings);
        printf("%s\n", profile);
        return EXIT_STATUS_OK;
}

/* ---- event loops: monitor and top ---- */

/* Any signal of the bus daemon about wstuned's name: taken, given up, or passed on. */
#define MATCH_NAME_OWNER_CHANGED                                                  \
        "type='signal',sender='org.freedesktop.DBus',path='/org/freedesktop/DBus'," \
        "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" WSTUNED_BUS_NAME "'"

/* End the loop with an exit status; returns 0 so that callbacks can return it. */
static int event_exit(sd_event *event, int status) {
        (void) sd_event_exit(event, status);
        return 0;
}

/* The reader of our pipe is gone ("wstunectl monitor | head -n 1"): stop now, not at the next event. */
static int on_stdout_hangup(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        return event_exit(sd_event_source_get_event(s), EXIT_STATUS_OK);
}

/* sd-bus delivers the loss of the connection as a local Disconnected signal. */
static int on_message(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        if (!sd_bus_message_is_signal(message, "org.freedesktop.DBus.Local", "Disconnected"))
                return 0;
        fprintf(stderr, "wstunectl: lost the connection to the system bus\n");
        return event_exit(userdata, EXIT_STATUS_UNREACHABLE);
}

/* The loop of monitor and top: SIGINT and SIGTERM end it with 0, so does the reader of stdout going away,
 * and losing the bus ends it with 3. Returns an exit status. */
static int event_loop_new(sd_bus *bus, sd_event **ret) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        sigset_t mask;
        int r;

        r = sd_event_new(&event);
        if (r < 0) {
                fprintf(stderr, "wstunectl: cannot create an event loop: %s\n", strerror(-r));
                return EXIT_STATUS_FAILURE;
        }
        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        /* Blocked signals reach the signalfd even when the shell started us with SIGINT ignored (cmd &).
         * No handler: the loop exits with status 0. */
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL)) < 0 ||
            (r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL)) < 0) {
                fprintf(stderr, "wstunectl: cannot watch for SIGINT and SIGTERM: %s\n",
                        strerror(r < 0 ? -r : errno));
                return EXIT_STATUS_FAILURE;
        }

        /* A pipe, a socket or a terminal can be watched; for a regular file or /dev/null this fails, and
         * there is no reader to lose. */
        (void) sd_event_add_io(event, NULL, STDOUT_FILENO, EPOLLERR | EPOLLHUP, on_stdout_hangup, NULL);

        r = sd_bus_add_filter(bus, NULL, on_message, event);
        if (r < 0)
                return log_oom();
        *ret = TAKE_PTR(event);
        return EXIT_STATUS_OK;
}

/* Run the loop with the bus attached to it; returns the exit status it ended with. */
static int event_loop_run(sd_bus *bus, sd_event *event) {
        int r;

        r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0) {
                fprintf(stderr, "wstunectl: cannot attach the bus to the event loop: %s\n", strerror(-r));
                return EXIT_STATUS_FAILURE;
        }
        r = sd_event_loop(event);
        /* The bus lets go of the loop before the loop goes. */
        (void) sd_bus_detach_event(bus);
        if (r < 0) {
                fprintf(stderr, "wstunectl: event loop failed: %s\n", strerror(-r));
                return EXIT_STATUS_FAILURE;
        }
        return r;
}

/* The local time, "12:00:01.234". */
static void local_time_put(void) {
        struct timespec ts;
        struct tm tm;
        char buf[sizeof "HH:MM:SS"];

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        if (!localtime_r(&ts.tv_sec, &tm) || strftime(buf, sizeof buf, "%H:%M:%S", &tm) == 0)
                strcpy(buf, "??:??:??");
        printf("%s.%03ld", buf, ts.tv_nsec / 1000000);
}

/* "time": now in UTC with microseconds, "2026-11-27T11:00:01.234567Z". */
static int json_add_time(cJSON *doc) {
        struct timespec ts;
        struct tm tm;
        char buf[sizeof "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" + 16];
        size_t n;

        (void) clock_gettime(CLOCK_REALTIME, &ts);
        if (!gmtime_r(&ts.tv_sec, &tm) || (n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
                return -EINVAL;
        snprintf(buf + n, sizeof buf - n, ".%06ldZ", ts.tv_nsec / 1000);
        return json_add(doc, "time", cJSON_CreateString(buf));
}

/* ---- monitor ---- */

/* monitor subscribes and waits; it never calls wstuned except to read a property that a PropertiesChanged
 * signal only invalidated. So it runs while wstuned is down too, and it keeps following when systemd
 * restarts the daemon: the bus daemon checks a match's sender (a well-known name) against the name's
 * owner when it routes each signal, so the matches hold for every later owner, and NameOwnerChanged tells
 * when the owner comes and goes. SIGINT/SIGTERM end it with 0, losing the bus itself with 3.
 *
 * Each event is one line, written as soon as it arrives: stdout is line-buffered and flushed after every
 * line, and there is no pager. A failed write ends the loop (main() reports it); the reader of a pipe going
 * away ends it with 0. */

#define WSTUNED_SIGNAL_DRIFTED "Drifted"
#define WSTUNED_SIGNAL_PRESSURE_CHANGED "PressureChanged"

typedef struct Monitor {
        sd_event *event;
} Monitor;

/* End the loop with an exit status; returns 0 so that callbacks can return it. */
static int monitor_exit(Monitor *m, int status) {
        return event_exit(m->event, status);
}

/* A message that does not read as documented: say so on stderr and go on with the next one. */
static int monitor_ignore(sd_bus_message *message, int r) {
        const char *member = sd_bus_message_get_member(message);

        fprintf(stderr, "wstunectl: ignoring a malformed %s %s (signature \"%s\"): %s\n",
                member ?: "reply to", member ? "signal" : "Get",
                strempty(sd_bus_message_get_signature(message, 1)), strerror(-r));
        return 0;
}

/* Every text line starts with the local time of the event, "12:00:01.234". */
static void monitor_line_begin(void) {
        local_time_put();
        fputc(' ', stdout);
}

static int monitor_line_end(Monitor *m) {
        fputc('\n', stdout);
        if (fflush(stdout) != 0 || ferror(stdout))
                return monitor_exit(m, EXIT_STATUS_FAILURE);
        return 0;
}

/* A JSON event object with "time" (UTC, microseconds) and "event". */
static cJSON *monitor_json_new(const char *event) {
        _cleanup_json_ cJSON *doc = cJSON_CreateObject();

        if (!doc || json_add_time(doc) < 0 || json_add(doc, "event", cJSON_CreateString(event)) < 0)
                return NULL;
        return TAKE_PTR(doc);
}

static int monitor_json_print(Monitor *m, const cJSON *doc) {
        if (json_print(doc) < 0)
                return monitor_exit(m, log_oom());
        if (fflush(stdout) != 0 || ferror(stdout))
                return monitor_exit(m, EXIT_STATUS_FAILURE);
        return 0;
}

static int on_drifted(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        const char *key, *expected, *actual, *action;
        int r;

        r = sd_bus_message_read(message, "ssss", &key, &expected, &actual, &action);
        if (r < 0)
                return monitor_ignore(message, r);

        if (arg_json) {
                _cleanup_json_ cJSON *doc = monitor_json_new("drifted");
                if (!doc || json_add(doc, "key", json_string_or_null(key)) < 0 ||
                    json_add(doc, "expected", json_string_or_null(expected)) < 0 ||
                    json_add(doc, "actual", json_string_or_null(actual)) < 0 ||
                    json_add(doc, "action", json_string_or_null(action)) < 0)
                        return monitor_exit(m, log_oom());
                return monitor_json_print(m, doc);
        }

        /* The value found, then the profile's; the action says whether wstuned set it back. */
        monitor_line_begin();
        fputs("drifted ", stdout);
        text_put(stdout, cell_text(key));
        fputc(' ', stdout);
        text_put(stdout, cell_text(actual));
        fputs(" -> ", stdout);
        text_put(stdout, cell_text(expected));
        fputs(" (", stdout);
        text_put(stdout, cell_text(action));
        fputc(')', stdout);
        return monitor_line_end(m);
}

static int on_pressure_changed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        const char *resource, *level;
        double ratio;
        int r;

        r = sd_bus_message_read(message, "ssd", &resource, &level, &ratio);
        if (r < 0)
                return monitor_ignore(message, r);

        if (arg_json) {
                _cleanup_json_ cJSON *doc = monitor_json_new("pressure");
                if (!doc || json_add(doc, "resource", json_string_or_null(resource)) < 0 ||
                    json_add(doc, "level", json_string_or_null(level)) < 0 ||
                    json_add(doc, "ratio", cJSON_CreateNumber(ratio)) < 0)
                        return monitor_exit(m, log_oom());
                return monitor_json_print(m, doc);
        }

        monitor_line_begin();
        fputs("pressure ", stdout);
        text_put(stdout, cell_text(resource));
        fputc(' ', stdout);
        text_put(stdout, cell_text(level));
        printf(" %g", ratio);
        return monitor_line_end(m);
}

/* A basic value from m as JSON (a file descriptor as null). Returns 1 when a value was read, 0 at the end
 * of an array. */
static int basic_read_json(sd_bus_message *m, char type, cJSON **ret) {
        union {
                uint8_t y;
                int b;
                int16_t n;
                uint16_t q;
                int32_t i;
                uint32_t u;
                int64_t x;
                uint64_t t;
                double d;
                int h;
                const char *s;
        } v;
        cJSON *item;
        int r;

        r = sd_bus_message_read_basic(m, type, &v);
        if (r <= 0)
                return r;
        switch (type) {
        case 'y': item = cJSON_CreateNumber(v.y); break;
        case 'b': item = cJSON_CreateBool(v.b); break;
        case 'n': item = cJSON_CreateNumber(v.n); break;
        case 'q': item = cJSON_CreateNumber(v.q); break;
        case 'i': item = cJSON_CreateNumber(v.i); break;
        case 'u': item = cJSON_CreateNumber(v.u); break;
        case 'x': item = cJSON_CreateNumber((double) v.x); break;
        case 't': item = cJSON_CreateNumber((double) v.t); break;
        case 'd': item = cJSON_CreateNumber(v.d); break;
        case 'h': item = cJSON_CreateNull(); break;
        default: item = cJSON_CreateString(v.s); break;
        }
        if (!item)
                return -ENOMEM;
        *ret = item;
        return 1;
}

static bool type_is_basic(char type) {
        return type && strchr("ybnqiuxtdhsog", type);
}

/* The value of a property, a variant, as JSON: a basic type or an array of one (the daemon's properties
 * are s, as and t). Anything else is skipped and reads as NULL. An empty string, which the daemon uses for
 * "none" (no active profile), becomes JSON null, as in the other verbs. */
static int variant_read_json(sd_bus_message *m, cJSON **ret) {
        _cleanup_json_ cJSON *value = NULL;
        const char *contents;
        int r;

        r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(m, 'v', contents);
        if (r < 0)
                return r;

        if (type_is_basic(contents[0]) && !contents[1]) {
                r = basic_read_json(m, contents[0], &value);
                if (r == 0)
                        r = -EBADMSG;
                if (r < 0)
                        return r;
                if (cJSON_IsString(value) && isempty(cJSON_GetStringValue(value))) {
                        cJSON_Delete(value);
                        value = cJSON_CreateNull();
                        if (!value)
                                return -ENOMEM;
                }
        } else if (contents[0] == 'a' && type_is_basic(contents[1]) && !contents[2]) {
                cJSON *item;

                value = cJSON_CreateArray();
                if (!value)
                        return -ENOMEM;
                r = sd_bus_message_enter_container(m, 'a', contents + 1);
                if (r < 0)
                        return r;
                while ((r = basic_read_json(m, contents[1], &item)) > 0)
                        if ((r = json_append(value, item)) < 0)
                                return r;
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        } else {
                r = sd_bus_message_skip(m, contents);
                if (r < 0)
                        return r;
        }

        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(value);
        return 0;
}

/* A JSON value as text: strings filtered, arrays joined with ", " as in status, null as "-". */
static void value_put(const cJSON *value, bool colored) {
        if (cJSON_IsString(value)) {
                const char *text = cell_text(cJSON_GetStringValue(value));
                cell_print(text, colored ? value_color(text) : NULL, 0);
        } else if (cJSON_IsNumber(value)) {
                double d = cJSON_GetNumberValue(value);
                /* Counters (DriftCorrections) are whole numbers: no exponent for them. */
                if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double) (int64_t) d)
                        printf("%" PRIi64, (int64_t) d);
                else
                        printf("%g", d);
        } else if (cJSON_IsBool(value))
                fputs(cJSON_IsTrue(value) ? "yes" : "no", stdout);
        else if (cJSON_IsArray(value) && cJSON_GetArraySize(value) > 0) {
                const cJSON *item;
                cJSON_ArrayForEach(item, value) {
                        if (item != value->child)
                                fputs(", ", stdout);
                        value_put(item, false);
                }
        } else
                fputc('-', stdout);
}

/* One property change: "state degraded" (the name in lower case with dashes) or, with --json,
 * {"event":"property","name":"State","value":"degraded"}. Takes value (NULL: a type not shown). */
static int monitor_property(Monitor *m, const char *name, cJSON *value_in) {
        _cleanup_json_ cJSON *value = value_in;
        _cleanup_free_ char *label = NULL;
        size_t n = 0;

        if (arg_json) {
                _cleanup_json_ cJSON *doc = monitor_json_new("property");
                if (!doc || json_add(doc, "name", cJSON_CreateString(name)) < 0 ||
                    json_add(doc, "value", value ? TAKE_PTR(value) : cJSON_CreateNull()) < 0)
                        return monitor_exit(m, log_oom());
                return monitor_json_print(m, doc);
        }

        label = malloc(2 * strlen(name) + 1);
        if (!label)
                return monitor_exit(m, log_oom());
        for (const char *c = name; *c; c++) {
                if (*c >= 'A' && *c <= 'Z') {
                        if (c != name)
                                label[n++] = '-';
                        label[n++] = (char) (*c - 'A' + 'a');
                } else
                        label[n++] = *c;
        }
        label[n] = '\0';

        monitor_line_begin();
        text_put(stdout, label);
        fputc(' ', stdout);
        value_put(value, streq(name, "State"));
        return monitor_line_end(m);
}

typedef struct PropertyGet {
        Monitor *monitor;
        char name[];
} PropertyGet;

static int on_property_get(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PropertyGet *get = userdata;
        cJSON *value = NULL;
        int r;

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *error = sd_bus_message_get_error(reply);
                fputs("wstunectl: cannot read ", stderr);
                text_put(stderr, get->name);
                log_message(": ", error->message ?: error->name);
                return 0;
        }
        r = variant_read_json(reply, &value);
        if (r == -ENOMEM)
                return monitor_exit(get->monitor, log_oom());
        if (r < 0)
                return monitor_ignore(reply, r);
        return monitor_property(get->monitor, get->name, value);
}

/* A property that was only invalidated: ask for its value and print it when the answer comes. */
static int monitor_property_fetch(Monitor *m, sd_bus *bus, const char *name) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ PropertyGet *get = malloc(sizeof(PropertyGet) + strlen(name) + 1);
        int r;

        if (!get)
                return -ENOMEM;
        get->monitor = m;
        strcpy(get->name, name);
        r = sd_bus_call_method_async(bus, &slot, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                     "org.freedesktop.DBus.Properties", "Get", on_property_get, get, "ss",
                                     WSTUNED_BUS_INTERFACE, name);
        if (r < 0)
                return r;
        /* The bus owns the pending call and frees get with it, answered or not. */
        (void) sd_bus_slot_set_destroy_callback(slot, free);
        TAKE_PTR(get);
        return sd_bus_slot_set_floating(slot, 1);
}

static int on_properties_changed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        Monitor *m = userdata;
        const char *interface, *name;
        int r;

        r = sd_bus_message_read(message, "s", &interface);
        if (r < 0)
                return monitor_ignore(message, r);
        if (!streq(interface, WSTUNED_BUS_INTERFACE))
                return 0;

        r = sd_bus_message_enter_container(message, 'a', "{sv}");
        if (r < 0)
                return monitor_ignore(message, r);
        while ((r = sd_bus_message_enter_container(message, 'e', "sv")) > 0) {
                cJSON *value = NULL;

                r = sd_bus_message_read_basic(message, 's', &name);
                if (r >= 0)
                        r = variant_read_json(message, &value);
                if (r == -ENOMEM)
                        return monitor_exit(m, log_oom());
                if (r < 0)
                        return monitor_ignore(message, r);
                r = monitor_property(m, name, value);
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(message);
                if (r < 0)
                        return monitor_ignore(message, r);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(message);
        if (r < 0)
                return monitor_ignore(message, r);

        r = sd_bus_message_enter_container(message, 'a', "s");
        if (r < 0)
                return monitor_ignore(message, r);
        while ((r = sd_bus_message_read_basic(message, 's', &name)) > 0)
                if (monitor_property_fetch(m, sd_bus_message_get_bus(message), name) < 0)
                        log_message("cannot ask for the value of ", name);
        if (r < 0)
                return monitor_ignore(message, r);
        return 0;
}

/* "wstuned started", "wstuned stopped", "wstuned not running" (at start). */
static int monitor_daemon_event(Monitor *m, const char *event, const char *text) {
        if (arg_json) {
                _cleanup_json_ cJSON *doc = monitor_json_new(event);
                if (!doc)
                        return monitor_exit(m, log_oom());
                return monitor_json_print(m, doc);
        }
        monitor_line_begin();
        fputs(text, stdout);
        return monitor_line_end(m);
}

static int on_name_owner_changed(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;
        int r;

        r = sd_bus_message_read(message, "sss", &name, &old_owner, &new_owner);
        if (r < 0)
                return monitor_ignore(message, r);
        if (!streq(name, WSTUNED_BUS_NAME))
                return 0;
        if (isempty(new_owner))
                return monitor_daemon_event(userdata, "stopped", "wstuned stopped");
        return monitor_daemon_event(userdata, "started", "wstuned started");
}

static int verb_monitor(sd_bus *bus, char **args) {
        static const struct {
                const char *member;
                sd_bus_message_handler_t handler;
        } signals[] = {
                { WSTUNED_SIGNAL_DRIFTED, on_drifted },
                { WSTUNED_SIGNAL_PRESSURE_CHANGED, on_pressure_changed },
        };
        static const struct {
                const char *rule;
                sd_bus_message_handler_t handler;
        } rules[] = {
                { "type='signal',sender='" WSTUNED_BUS_NAME "',path='" WSTUNED_BUS_PATH "',"
                  "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                  "arg0='" WSTUNED_BUS_INTERFACE "'",
                  on_properties_changed },
                { MATCH_NAME_OWNER_CHANGED, on_name_owner_changed },
        };
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        Monitor m = {};
        int has_owner, r;

        /* Scripts read the events as they come: one line, one write. */
        setvbuf(stdout, NULL, _IOLBF, 0);

        r = event_loop_new(bus, &event);
        if (r != EXIT_STATUS_OK)
                return r;
        m.event = event;
        for (size_t i = 0; i < ELEMENTSOF(signals); i++) {
                r = sd_bus_match_signal(bus, NULL, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE,
                                        signals[i].member, signals[i].handler, &m);
                if (r < 0)
                        return log_call_error("AddMatch", &error, r);
        }
        for (size_t i = 0; i < ELEMENTSOF(rules); i++) {
                r = sd_bus_add_match(bus, NULL, rules[i].rule, rules[i].handler, &m);
                if (r < 0)
                        return log_call_error("AddMatch", &error, r);
        }

        /* Asked after the matches are in place, so a start in between is not missed. */
        r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                               "NameHasOwner", &error, &reply, "s", WSTUNED_BUS_NAME);
        if (r < 0)
                return log_call_error("NameHasOwner", &error, r);
        r = sd_bus_message_read(reply, "b", &has_owner);
        if (r < 0)
                return log_parse_error("NameHasOwner", r);

        if (!has_owner)
                (void) monitor_daemon_event(&m, "not-running", "wstuned not running");
        return event_loop_run(bus, event);
}

/* ---- top ---- */

/* top shows what status shows, again and again: every --interval, and at once when a resource changes its
 * pressure level (PressureChanged) or wstuned starts or stops (NameOwnerChanged). Those signals move the
 * refresh timer to "now"; the timer has the lowest priority, so the loop first takes every message the bus
 * has queued, and a burst of signals (all resources at once) makes one refresh.
 *
 * The first refresh is an ordinary status: when wstuned is not running or cannot be reached top ends with 3.
 * After that top follows wstuned as monitor does: it shows "wstuned is not running" while it is away, and
 * whoever takes the name next is shown.
 *
 * On a terminal each refresh redraws the screen (ANSI home and clear, like watch(1)), written in one go;
 * otherwise the refreshes follow each other as blocks, a blank line apart, without escape codes; with
 * --json, one document a line. */

#define TOP_INTERVAL_USEC_DEFAULT UINT64_C(1000000)
#define TOP_INTERVAL_USEC_MIN UINT64_C(100000)
#define TOP_INTERVAL_USEC_MAX (UINT64_C(86400) * 1000000)
#define TOP_TIMER_ACCURACY_USEC UINT64_C(1000)

typedef struct Top {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *timer;
        uint64_t interval_usec;
        uint64_t refreshes;
        bool terminal; /* redraw in place */
} Top;

static void top_done(Top *t) {
        t->timer = sd_event_source_unref(t->timer);
}

/* Refresh at usec (CLOCK_MONOTONIC; 0 for now). */
static int top_schedule(Top *t, uint64_t usec) {
        int r;

        r = sd_event_source_set_time(t->timer, usec);
        if (r >= 0)
                r = sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
        if (r < 0) {
                fprintf(stderr, "wstunectl: cannot set the refresh timer: %s\n", strerror(-r));
                return event_exit(t->event, EXIT_STATUS_FAILURE);
        }
        return 0;
}

/* A header with the interval and the time, then status, or that wstuned is not running (s is NULL). */
static int top_print_text(const Top *t, const Status *s) {
        if (t->terminal)
                fputs(ANSI_HOME_CLEAR, stdout);
        else if (t->refreshes > 0)
                fputc('\n', stdout);
        printf("Every %gs: wstunectl top  ", (double) t->interval_usec / 1e6);
        local_time_put();
        fputs("\n\n", stdout);
        if (!s) {
                fputs("wstuned is not running\n", stdout);
                return 0;
        }
        return status_print_text(s);
}

/* status --json with "time" and "running"; only those two while wstuned is not running. */
static int top_print_json(const Status *s) {
        _cleanup_json_ cJSON *doc = cJSON_CreateObject();
        int r;

        if (!doc)
                return -ENOMEM;
        r = json_add_time(doc);
        if (r >= 0)
                r = json_add(doc, "running", cJSON_CreateBool(s != NULL));
        if (r >= 0 && s)
                r = status_json_add(doc, s);
        return r < 0 ? r : json_print(doc);
}

/* Print one refresh; then end after --iterations of them, or wait for the next. */
static int top_show(Top *t, const Status *s) {
        int r;

        r = arg_json ? top_print_json(s) : top_print_text(t, s);
        if (r < 0)
                return event_exit(t->event, log_oom());
        if (fflush(stdout) != 0 || ferror(stdout))
                return event_exit(t->event, EXIT_STATUS_FAILURE); /* main() reports it */
        if (++t->refreshes == arg_iterations)
                return event_exit(t->event, EXIT_STATUS_OK);
        return top_schedule(t, now_usec() + t->interval_usec);
}

static int on_top_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        _cleanup_(status_done) Status s = {};
        Top *t = userdata;
        int r;

        r = status_fetch(t->bus, true, &s);
        if (r == EXIT_STATUS_UNREACHABLE)
                return top_show(t, NULL);
        if (r != EXIT_STATUS_OK)
                return event_exit(t->event, r);
        return top_show(t, &s);
}

/* PressureChanged, NameOwnerChanged: refresh now. */
static int on_top_wake(sd_bus_message *message, void *userdata, sd_bus_error *ret_error) {
        return top_schedule(userdata, 0);
}

/* The matches and the timer, in place before the first refresh so that no change after it is missed. */
static int top_setup(Top *t) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_match_signal(t->bus, NULL, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE,
                                WSTUNED_SIGNAL_PRESSURE_CHANGED, on_top_wake, t);
        if (r >= 0)
                r = sd_bus_add_match(t->bus, NULL, MATCH_NAME_OWNER_CHANGED, on_top_wake, t);
        if (r < 0)
                return log_call_error("AddMatch", &error, r);

        r = sd_event_add_time(t->event, &t->timer, CLOCK_MONOTONIC, 0, TOP_TIMER_ACCURACY_USEC, on_top_timer,
                              t);
        if (r >= 0)
                r = sd_event_source_set_priority(t->timer, SD_EVENT_PRIORITY_IDLE);
        if (r >= 0)
                r = sd_event_source_set_enabled(t->timer, SD_EVENT_OFF);
        if (r < 0) {
                fprintf(stderr, "wstunectl: cannot create the refresh timer: %s\n", strerror(-r));
                return EXIT_STATUS_FAILURE;
        }
        return EXIT_STATUS_OK;
}

static int verb_top(sd_bus *bus, char **args) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        _cleanup_(status_done) Status s = {};
        /* Declared after event, so it runs first: the timer goes before the loop. */
        _cleanup_(top_done) Top t = {
                .bus = bus,
                .interval_usec = arg_interval_usec ?: TOP_INTERVAL_USEC_DEFAULT,
                .terminal = !arg_json && terminal_has_ansi(),
        };
        int r;

        /* A refresh leaves in one write: a redraw does not flicker, a reader sees whole blocks. */
        setvbuf(stdout, NULL, _IOFBF, 1u << 16);

        r = event_loop_new(bus, &event);
        if (r != EXIT_STATUS_OK)
                return r;
        t.event = event;
        r = top_setup(&t);
        if (r == EXIT_STATUS_OK)
                r = status_fetch(bus, false, &s);
        if (r != EXIT_STATUS_OK)
                return r;
        (void) top_show(&t, &s);
        return event_loop_run(bus, event);
}

/* ---- command line ---- */

typedef struct Verb {
        const char *name;
        size_t max_args;
        int (*run)(sd_bus *bus, char **args);
} Verb;

static const Verb verbs[] = {
        { "status", 0, verb_status },
        { "get", SIZE_MAX, verb_get },
        { "apply", 1, verb_apply },
        { "verify", 0, verb_verify },
        { "profiles", 0, verb_profiles },
        { "revert", 0, verb_revert },
        { "reload", 0, verb_reload },
        { "monitor", 0, verb_monitor },
        { "top", 0, verb_top },
        { "plan", 0, verb_plan },
};

static void help(void) {
        printf("wstunectl [OPTIONS...] COMMAND [ARGS...]\n"
               "\n"
               "Query and control wstuned, the kernel tuning daemon.\n"
               "\n"
               "Commands:\n"
               "  status              Show the daemon's state and every managed key (default)\n"
               "  get [KEY...]        Show keys: current and desired value, state\n"
               "  apply [PROFILE]     Apply a profile (default: the active one) and make it active\n"
               "  verify              Check that the active profile holds\n"
               "  profiles            List the available profiles\n"
               "  revert              Restore the values from before wstuned, deactivate the profile\n"
               "  reload              Re-read configuration and profiles, apply the active profile\n"
               "  monitor             Follow drift, pressure and state changes live, one line each\n"
               "  top                 Show status and pressure, refreshed live\n"
               "  plan --connections N [--role server|client]\n"
               "                      Print a profile planned for N connections (see Plan options)\n"
               "\n"
               "Options:\n"
               "  -h --help           Show this help\n"
               "     --version        Show the version\n"
               "     --json           Print JSON instead of a table (monitor, top: one object a line)\n"
               "     --no-pager       Do not pipe the output into a pager\n"
               "     --dry-run        With apply: show what would change, change nothing\n"
               "     --interval SEC   With top: seconds between refreshes, at least 0.1 (default 1)\n"
               "  -n --iterations N   With top: stop after N refreshes\n"
               "\n"
               "Plan options:\n"
               "     --connections N  Concurrent connections to plan for\n"
               "     --role ROLE      server (accepts them, behind Docker NAT; default) or client\n"
               "     --nat-entries K  Conntrack entries per connection (server 4, client 2)\n"
               "     --utilization U  Share of each table used at the target, in (0, 1] (0.75)\n"
               "     --ramp RATE --burst SECONDS\n"
               "                      New connections per second, seconds the queues absorb (100, 10)\n"
               "     --connection-lifetime S --time-wait S\n"
               "                      Client: seconds a connection lives, holds its port after (60, 60)\n"
               "     --fd-overhead N  Descriptors besides the connections (1600)\n"
               "     --explain        Explain every value on stderr: formula, inputs, use\n"
               "\n"
               "Exit status: 0 ok, 1 verify or apply found problems, 2 usage or other error,\n"
               "3 wstuned not reachable, 4 access denied. See wstunectl(1).\n");
}

/* Seconds as "1", "0.5" or "2.25" (no sign, exponent or hex), from 0.1 to a day, in microseconds. */
static int parse_interval(const char *s, uint64_t *ret_usec) {
        char *end;
        double d;

        if (isempty(s) || strspn(s, "0123456789.") != strlen(s))
                return -EINVAL;
        errno = 0;
        d = strtod(s, &end);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        d = d * 1e6 + 0.5;
        if (d < (double) TOP_INTERVAL_USEC_MIN || d > (double) TOP_INTERVAL_USEC_MAX)
                return -ERANGE;
        *ret_usec = (uint64_t) d;
        return 0;
}

/* A plain decimal ("0.75", "100", "1.5"): digits and one dot, no sign, exponent, hex, inf or nan. */
static int parse_decimal(const char *s, double *ret) {
        char *end;

        if (isempty(s) || strspn(s, "0123456789.") != strlen(s) || strchr(s, '.') != strrchr(s, '.'))
                return -EINVAL;
        errno = 0;
        double d = strtod(s, &end);
        if (errno != 0 || *end != '\0')
                return -EINVAL;
        *ret = d;
        return 0;
}

/* Returns 1 to go on, 0 to exit successfully (--help, --version), -EINVAL on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_PAGER,
                ARG_DRY_RUN,
                ARG_INTERVAL,
                ARG_CONNECTIONS,
                ARG_ROLE,
                ARG_NAT_ENTRIES,
                ARG_UTILIZATION,
                ARG_RAMP,
                ARG_BURST,
                ARG_LIFETIME,
                ARG_TIME_WAIT,
                ARG_FD_OVERHEAD,
                ARG_EXPLAIN,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                { "interval", required_argument, NULL, ARG_INTERVAL },
                { "iterations", required_argument, NULL, 'n' },
                { "connections", required_argument, NULL, ARG_CONNECTIONS },
                { "role", required_argument, NULL, ARG_ROLE },
                { "nat-entries", required_argument, NULL, ARG_NAT_ENTRIES },
                { "utilization", required_argument, NULL, ARG_UTILIZATION },
                { "ramp", required_argument, NULL, ARG_RAMP },
                { "burst", required_argument, NULL, ARG_BURST },
                { "connection-lifetime", required_argument, NULL, ARG_LIFETIME },
                { "time-wait", required_argument, NULL, ARG_TIME_WAIT },
                { "fd-overhead", required_argument, NULL, ARG_FD_OVERHEAD },
                { "explain", no_argument, NULL, ARG_EXPLAIN },
                {},
        };
        /* plan's decimal options and where they go */
        double *plan_doubles[] = {
                [ARG_NAT_ENTRIES - ARG_NAT_ENTRIES] = &arg_plan.nat_entries,
                [ARG_UTILIZATION - ARG_NAT_ENTRIES] = &arg_plan.utilization,
                [ARG_RAMP - ARG_NAT_ENTRIES] = &arg_plan.ramp,
                [ARG_BURST - ARG_NAT_ENTRIES] = &arg_plan.burst,
                [ARG_LIFETIME - ARG_NAT_ENTRIES] = &arg_plan.connection_lifetime,
                [ARG_TIME_WAIT - ARG_NAT_ENTRIES] = &arg_plan.time_wait,
        };
        uint64_t u;
        int c;

        /* Options may follow the verb ("apply ws-server --dry-run"): getopt permutes argv. The leading ':'
         * tells a missing argument (':') from an unknown option ('?'). */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":hn:", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("wstunectl %s\n", WSTUNED_VERSION);
                        return 0;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case ARG_NO_PAGER:
                        arg_no_pager = true;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_INTERVAL:
                        if (parse_interval(optarg, &arg_interval_usec) < 0) {
                                fprintf(stderr,
                                        "wstunectl: invalid interval \"%s\": seconds, from 0.1 to 86400\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case 'n':
                        if (parse_u64_digits(optarg, strlen(optarg), &arg_iterations) < 0 ||
                            arg_iterations == 0) {
                                fprintf(stderr,
                                        "wstunectl: invalid number of iterations \"%s\": a whole number, "
                                        "at least 1\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_CONNECTIONS:
                        if (parse_u64_digits(optarg, strlen(optarg), &arg_plan.connections) < 0 ||
                            arg_plan.connections == 0 || arg_plan.connections > UINT32_MAX) {
                                fprintf(stderr, "wstunectl: invalid --connections \"%s\": a whole number, 1 or more\n",
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_ROLE:
                        arg_plan.role = optarg; /* the daemon names a bad one */
                        break;
                case ARG_NAT_ENTRIES ... ARG_TIME_WAIT:
                        if (parse_decimal(optarg, plan_doubles[c - ARG_NAT_ENTRIES]) < 0) {
                                fprintf(stderr, "wstunectl: invalid %s \"%s\": a decimal number\n", argv[optind - 1],
                                        optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_FD_OVERHEAD:
                        if (parse_u64_digits(optarg, strlen(optarg), &u) < 0 || u > UINT32_MAX) {
                                fprintf(stderr, "wstunectl: invalid --fd-overhead \"%s\": a whole number\n", optarg);
                                return -EINVAL;
                        }
                        arg_plan.fd_overhead = (uint32_t) u;
                        arg_plan.fd_overhead_set = true;
                        break;
                case ARG_EXPLAIN:
                        arg_plan.explain = true;
                        break;
                case ':':
                        fprintf(stderr, "wstunectl: option \"%s\" needs an argument; see wstunectl --help\n",
                                argv[optind - 1]);
                        return -EINVAL;
                case '?':
                        if (optopt > 0 && optopt < 0x100)
                                fprintf(stderr, "wstunectl: invalid option -%c; see wstunectl --help\n",
                                        optopt);
                        else
                                fprintf(stderr, "wstunectl: invalid option \"%s\"; see wstunectl --help\n",
                                        argv[optind - 1]);
                        return -EINVAL;
                default:
                        return -EINVAL;
                }
        return 1;
}

static bool color_wanted(void) {
        return !getenv("NO_COLOR") && terminal_has_ansi();
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        const Verb *verb = NULL;
        const char *name;
        char **args;
        size_t n_args;
        int r;

        /* Strings on the bus are always UTF-8: measure them as such even under LANG=C, so that columns
         * line up on today's (UTF-8) terminals. */
        if (!setlocale(LC_CTYPE, "") || !streq(nl_langinfo(CODESET), "UTF-8"))
                (void) setlocale(LC_CTYPE, "C.UTF-8");

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_STATUS_FAILURE : EXIT_STATUS_OK;

        name = optind < argc ? argv[optind] : "status";
        args = optind < argc ? argv + optind + 1 : argv + argc;
        n_args = (size_t) (argv + argc - args);
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        verb = &verbs[i];
        if (!verb) {
                fprintf(stderr, "wstunectl: unknown command \"%s\"; see wstunectl --help\n", name);
                return EXIT_STATUS_FAILURE;
        }
        if (n_args > verb->max_args) {
                fprintf(stderr, "wstunectl: too many arguments for %s; see wstunectl --help\n", verb->name);
                return EXIT_STATUS_FAILURE;
        }
        if (arg_dry_run && verb->run != verb_apply) {
                fprintf(stderr, "wstunectl: --dry-run only goes with apply\n");
                return EXIT_STATUS_FAILURE;
        }
        if ((arg_interval_usec > 0 || arg_iterations > 0) && verb->run != verb_top) {
                fprintf(stderr, "wstunectl: --interval and --iterations only go with top\n");
                return EXIT_STATUS_FAILURE;
        }
        arg_color = !arg_json && color_wanted();

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_unreachable(strerror(-r));

        r = verb->run(bus, args);

        /* A full disk must not pass for success. */
        errno = 0;
        if (fflush(stdout) != 0 || ferror(stdout)) {
                fprintf(stderr, "wstunectl: cannot write output: %s\n",
                        errno > 0 ? strerror(errno) : "I/O error");
                if (r == EXIT_STATUS_OK)
                        r = EXIT_STATUS_FAILURE;
        }
        pager_close();
        return r;
}
