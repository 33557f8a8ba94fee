/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* wstunectl.c - the command-line client of wstuned. Every verb is one or two calls on io.wstune.wstuned1
 * over the system bus (public sd-bus only); the answer is printed as an aligned table or, with --json,
 * as one JSON document. The exit status tells scripts what happened: see EXIT STATUS in wstunectl(1). */
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <wchar.h>

#include "bus-errors.h"
#include "config.h"
#include "json.h"
#include "util/util.h"

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
static pid_t pager_pid = 0;

#define ANSI_RED "\x1b[0;1;31m"
#define ANSI_GREEN "\x1b[0;1;32m"
#define ANSI_YELLOW "\x1b[0;1;33m"
#define ANSI_BOLD "\x1b[0;1;39m"
#define ANSI_NORMAL "\x1b[0m"

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

/* Bus errors that mean nobody answers for wstuned: no owner and no activatable service, activation
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

/* How a column is called in the table header and in JSON, and whether its cells are coloured by value. */
typedef struct Column {
        const char *header;
        const char *field;
        bool colored;
} Column;

static const Column key_columns[] = {
        { .header = "KEY", .field = "key" },
        { .header = "CURRENT", .field = "current" },
        { .header = "DESIRED", .field = "desired" },
        { .header = "STATE", .field = "state", .colored = true },
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
        { .header = "VERDICT", .field = "verdict", .colored = true },
};

static const Column profile_columns[] = {
        { .header = "NAME", .field = "name" },
        { .header = "DESCRIPTION", .field = "description" },
        { .header = "PATH", .field = "path" },
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
};

static const char *value_color(const char *value) {
        if (!arg_color)
                return NULL;
        if (startswith(value, "error"))
                return ANSI_RED;
        for (size_t i = 0; i < ELEMENTSOF(value_colors); i++)
                if (streq(value, value_colors[i].value))
                        return value_colors[i].color;
        return NULL;
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
                        r = json_add(row, columns[c].field, json_string_or_null(rows_get(rows, i)[c]));
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

/* Like systemctl: when stdout is a terminal, pipe it into $PAGER (or less, or more). The pager is started
 * only once there is something to show, so errors stay on the terminal. */
static void pager_open(void) {
        const char *pager = getenv("PAGER");
        int fds[2];
        pid_t pid;

        if (arg_no_pager || pager_pid > 0 || !isatty(STDOUT_FILENO))
                return;
        if (pager && (!pager[0] || streq(pager, "cat")))
                return;
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
                 * M: long prompt, K: quit on ^C. */
                setenv("LESS", "FRXMK", 0);
                if (pager)
                        execl("/bin/sh", "sh", "-c", pager, (char *) NULL);
                execlp("less", "less", (char *) NULL);
                execlp("more", "more", (char *) NULL);
                /* No pager at all: copy the output through as it is. */
                char buf[4096];
                ssize_t k;
                while ((k = read(STDIN_FILENO, buf, sizeof buf)) > 0)
                        if (write(STDOUT_FILENO, buf, (size_t) k) != k)
                                _exit(EXIT_FAILURE);
                _exit(EXIT_SUCCESS);
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

/* Call Get(keys) and read its entries. Returns an exit status. */
static int call_get(sd_bus *bus, char **keys, sd_bus_message **ret_reply, Rows *ret_rows) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL, *reply = NULL;
        int r;

        for (char **k = keys; k && *k; k++)
                if (!utf8_is_valid(*k)) {
                        fprintf(stderr, "wstunectl: invalid key name (not UTF-8)\n");
                        return EXIT_STATUS_FAILURE;
                }

        r = sd_bus_message_new_method_call(bus, &call, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH,
                                           WSTUNED_BUS_INTERFACE, "Get");
        if (r >= 0)
                r = sd_bus_message_append_strv(call, keys);
        if (r < 0)
                return log_call_error("Get", &error, r);
        r = sd_bus_call(bus, call, 0, &error, &reply);
        if (r < 0)
                return log_call_error("Get", &error, r);
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

typedef struct Properties {
        const char *version;
        const char *active_profile;
        const char *state;
        char **pending_keys;
} Properties;

static void properties_done(Properties *p) {
        p->pending_keys = strv_free(p->pending_keys);
}

/* Read the GetAll answer a{sv}; strings stay in the message. Unknown properties are skipped. */
static int properties_read(sd_bus_message *m, Properties *p) {
        const char *name;
        int r;

        r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
                const char **target = NULL;

                r = sd_bus_message_read_basic(m, 's', &name);
                if (r < 0)
                        return r;
                if (streq(name, "Version"))
                        target = &p->version;
                else if (streq(name, "ActiveProfile"))
                        target = &p->active_profile;
                else if (streq(name, "State"))
                        target = &p->state;

                if (target)
                        r = sd_bus_message_read(m, "v", "s", target);
                else if (streq(name, "PendingKeys")) {
                        r = sd_bus_message_enter_container(m, 'v', "as");
                        if (r >= 0)
                                r = sd_bus_message_read_strv(m, &p->pending_keys);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(m);
}

static int status_print_json(const Properties *p, const Rows *entries) {
        _cleanup_json_ cJSON *doc = cJSON_CreateObject();
        _cleanup_json_ cJSON *pending = cJSON_CreateArray();
        int r;

        if (!doc || !pending)
                return -ENOMEM;
        for (char **k = p->pending_keys; k && *k; k++)
                if ((r = json_append(pending, cJSON_CreateString(*k))) < 0)
                        return r;
        if ((r = json_add(doc, "version", json_string_or_null(p->version))) < 0 ||
            (r = json_add(doc, "active_profile", json_string_or_null(p->active_profile))) < 0 ||
            (r = json_add(doc, "state", json_string_or_null(p->state))) < 0 ||
            (r = json_add(doc, "pending_keys", TAKE_PTR(pending))) < 0 ||
            (r = json_add_rows(doc, "entries", key_columns, entries, NULL)) < 0)
                return r;
        return json_print(doc);
}

static int status_print_text(const Properties *p, const Rows *entries) {
        const char *state = cell_text(p->state), *color = value_color(state);

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

        if (entries->n == 0) {
                printf("no managed keys\n");
                return 0;
        }
        return table_print(key_columns, entries, NULL);
}

static int verb_status(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *props = NULL, *reply = NULL;
        _cleanup_(properties_done) Properties p = {};
        _cleanup_(rows_done) Rows entries = {};
        int r;

        r = sd_bus_call_method(bus, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, "org.freedesktop.DBus.Properties",
                               "GetAll", &error, &props, "s", WSTUNED_BUS_INTERFACE);
        if (r < 0)
                return log_call_error("GetAll", &error, r);
        r = properties_read(props, &p);
        if (r < 0)
                return log_parse_error("GetAll", r);

        r = call_get(bus, NULL, &reply, &entries);
        if (r != EXIT_STATUS_OK)
                return r;

        pager_open();
        r = arg_json ? status_print_json(&p, &entries) : status_print_text(&p, &entries);
        return r < 0 ? log_oom() : EXIT_STATUS_OK;
}

static int verb_get(sd_bus *bus, char **args) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(rows_done) Rows entries = {};
        int r;

        r = call_get(bus, args, &reply, &entries);
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
                if (!streq(rows_get(&findings, i)[3], "ok"))
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
               "\n"
               "Options:\n"
               "  -h --help           Show this help\n"
               "     --version        Show the version\n"
               "     --json           Print one JSON document instead of a table\n"
               "     --no-pager       Do not pipe the output into a pager\n"
               "     --dry-run        With apply: show what would change, change nothing\n"
               "\n"
               "Exit status: 0 ok, 1 verify or apply found problems, 2 usage or other error,\n"
               "3 wstuned not reachable, 4 access denied. See wstunectl(1).\n");
}

/* Returns 1 to go on, 0 to exit successfully (--help, --version), -EINVAL on a usage error. */
static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_PAGER,
                ARG_DRY_RUN,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "json", no_argument, NULL, ARG_JSON },
                { "no-pager", no_argument, NULL, ARG_NO_PAGER },
                { "dry-run", no_argument, NULL, ARG_DRY_RUN },
                {},
        };
        int c;

        /* Options may follow the verb ("apply ws-server --dry-run"): getopt permutes argv. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
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
        const char *term = getenv("TERM");

        if (getenv("NO_COLOR"))
                return false;
        if (!term || streq(term, "dumb"))
                return false;
        return isatty(STDOUT_FILENO);
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
