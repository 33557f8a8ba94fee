/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bus-call.c - one D-Bus method call made from the command line, for the integration tests. Like
 * `busctl call`, but it prints the error's NAME (busctl prints only its message), and it can send what
 * sd-bus refuses to build: strings that are not UTF-8 or hold a NUL, hand-marshalled on a raw connection,
 * to show that the broker itself refuses them.
 *
 *   bus-call DEST PATH INTERFACE MEMBER [SIGNATURE [ARGUMENT...]]
 *     Arguments as busctl(1) takes them: an array is its element count, then the elements; a variant its
 *     signature, then its value; struct and dict entry fields in order. Doubles take nan, inf and -inf.
 *     A string argument "@N*TEXT" is TEXT repeated N times (one argv string is at most 128 KiB, so a
 *     1 MB string cannot be given as it is); an array count "@N" makes N elements, all from the one
 *     element's arguments that follow (argv cannot hold a million of them).
 *     Prints "reply SIGNATURE" (exit 0) or "error NAME: MESSAGE" (exit 1).
 *
 *   bus-call --raw-get HEX
 *     Connects to the bus itself (AUTH EXTERNAL, Hello) and sends io.wstune.wstuned1.Manager.Get with
 *     one key whose bytes are HEX, unchecked. Prints "reply", "error NAME" or "disconnected" (the broker
 *     closed the connection without an answer, as it does with a malformed message).
 *
 * Exit 2 with a line on stderr when the call could not be made at all. The bus is the system bus
 * (DBUS_SYSTEM_BUS_ADDRESS). A call times out after 10 s, or BUS_CALL_TIMEOUT_SEC seconds: a 32 MB message
 * to a daemon under memcheck on a busy machine takes longer. */
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>

#include "bus-errors.h"
#include "util/util.h"

#define CALL_TIMEOUT_USEC (10 * UINT64_C(1000000))
#define RAW_TIMEOUT_MS 10000
#define RAW_MESSAGE_MAX (1024 * 1024)

/* Length of the first complete type in s, 0 when there is none. */
static size_t complete_type_length(const char *s) {
        switch (s[0]) {
        case '\0':
        case ')':
        case '}':
                return 0;
        case 'a': {
                size_t k = complete_type_length(s + 1);
                return k ? 1 + k : 0;
        }
        case '(':
        case '{': {
                char close = s[0] == '(' ? ')' : '}';
                size_t i = 1;
                while (s[i] != close) {
                        size_t k = complete_type_length(s + i);
                        if (k == 0)
                                return 0;
                        i += k;
                }
                return i + 1;
        }
        default:
                return 1;
        }
}

static const char *next_arg(char ***args) {
        const char *a = **args;
        if (a)
                (*args)++;
        return a;
}

/* "@N*TEXT": TEXT repeated N times; anything else as it is. */
static char *expand_string(const char *a) {
        unsigned long long n;
        int used = 0;

        if (sscanf(a, "@%llu*%n", &n, &used) != 1 || used == 0 || n > 64 * 1024 * 1024)
                return strdup(a);
        const char *text = a + used;
        size_t len = strlen(text);
        if (len == 0 || n > SIZE_MAX / len - 1)
                return NULL;
        char *s = malloc(n * len + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < n; i++)
                memcpy(s + i * len, text, len);
        s[n * len] = '\0';
        return s;
}

static int append_basic(sd_bus_message *m, char type, const char *a) {
        char *end = NULL;
        errno = 0;

        switch (type) {
        case 's':
        case 'o':
        case 'g': {
                _cleanup_free_ char *s = expand_string(a);
                if (!s)
                        return -ENOMEM;
                return sd_bus_message_append_basic(m, type, s);
        }
        case 'b': {
                int v = streq(a, "true") || streq(a, "1");
                if (!v && !streq(a, "false") && !streq(a, "0"))
                        return -EINVAL;
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'd': {
                double v = strtod(a, &end);
                if (errno || end == a || *end)
                        return -EINVAL;
                return sd_bus_message_append_basic(m, type, &v);
        }
        case 'y':
        case 'q':
        case 'u':
        case 't': {
                if (a[0] == '-')
                        return -EINVAL;
                uint64_t v = strtoull(a, &end, 0);
                if (errno || end == a || *end)
                        return -EINVAL;
                uint8_t y = (uint8_t) v;
                uint16_t q = (uint16_t) v;
                uint32_t u = (uint32_t) v;
                return sd_bus_message_append_basic(m, type, type == 'y' ? (void *) &y : type == 'q' ? (void *) &q
                                                                           : type == 'u' ? (void *) &u
                                                                                         : (void *) &v);
        }
        case 'n':
        case 'i':
        case 'x': {
                int64_t v = strtoll(a, &end, 0);
                if (errno || end == a || *end)
                        return -EINVAL;
                int16_t n = (int16_t) v;
                int32_t i = (int32_t) v;
                return sd_bus_message_append_basic(m, type, type == 'n' ? (void *) &n : type == 'i' ? (void *) &i
                                                                                                : (void *) &v);
        }
        default:
                return -EINVAL;
        }
}

/* Append the values of every complete type in signature (len bytes of it), taking arguments from args. */
static int append_args(sd_bus_message *m, const char *signature, size_t len, char ***args) {
        int r;

        for (size_t i = 0; i < len;) {
                size_t k = complete_type_length(signature + i);
                if (k == 0 || i + k > len)
                        return -EINVAL;
                _cleanup_free_ char *type = strndup(signature + i, k);
                if (!type)
                        return -ENOMEM;
                i += k;

                const char *a;
                switch (type[0]) {
                case 'a': {
                        unsigned long long n;
                        char *end;
                        a = next_arg(args);
                        if (!a)
                                return -EINVAL;
                        /* "@N": N elements, all made from the one element's arguments that follow */
                        bool repeat = a[0] == '@';
                        errno = 0;
                        n = strtoull(a + repeat, &end, 10);
                        if (errno || end == a + repeat || *end || (repeat && n == 0))
                                return -EINVAL;
                        char **first = *args;
                        r = sd_bus_message_open_container(m, 'a', type + 1);
                        for (unsigned long long j = 0; r >= 0 && j < n; j++) {
                                if (repeat)
                                        *args = first;
                                r = append_args(m, type + 1, k - 1, args);
                        }
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        break;
                }
                case 'v':
                        a = next_arg(args);
                        if (!a)
                                return -EINVAL;
                        r = sd_bus_message_open_container(m, 'v', a);
                        if (r >= 0)
                                r = append_args(m, a, strlen(a), args);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        break;
                case '(':
                case '{': {
                        _cleanup_free_ char *inner = strndup(type + 1, k - 2);
                        if (!inner)
                                return -ENOMEM;
                        r = sd_bus_message_open_container(m, type[0] == '(' ? 'r' : 'e', inner);
                        if (r >= 0)
                                r = append_args(m, inner, k - 2, args);
                        if (r >= 0)
                                r = sd_bus_message_close_container(m);
                        break;
                }
                default:
                        a = next_arg(args);
                        if (!a)
                                return -EINVAL;
                        r = append_basic(m, type[0], a);
                }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int call(char **argv) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                fprintf(stderr, "bus-call: cannot connect to the system bus: %s\n", strerror(-r));
                return 2;
        }
        r = sd_bus_message_new_method_call(bus, &m, argv[0], argv[1], argv[2], argv[3]);
        if (r >= 0 && argv[4]) {
                char **args = argv + 5;
                r = append_args(m, argv[4], strlen(argv[4]), &args);
                if (r >= 0 && *args)
                        r = -E2BIG;
        }
        if (r < 0) {
                fprintf(stderr, "bus-call: cannot build the call from the arguments: %s\n", strerror(-r));
                return 2;
        }
        uint64_t timeout = CALL_TIMEOUT_USEC;
        const char *seconds = getenv("BUS_CALL_TIMEOUT_SEC");
        if (seconds) {
                char *end;
                unsigned long n = strtoul(seconds, &end, 10);
                if (end != seconds && !*end && n > 0 && n <= 3600)
                        timeout = n * UINT64_C(1000000);
        }
        r = sd_bus_call(bus, m, timeout, &error, &reply);
        if (r < 0 && !sd_bus_error_is_set(&error)) {
                fprintf(stderr, "bus-call: the call failed: %s\n", strerror(-r));
                return 2;
        }
        if (r < 0) {
                printf("error %s: %s\n", error.name, strempty(error.message));
                return 1;
        }
        printf("reply %s\n", strempty(sd_bus_message_get_signature(reply, true)));
        return 0;
}

/* A growing little-endian D-Bus message. */
typedef struct Raw {
        uint8_t buf[RAW_MESSAGE_MAX];
        size_t n;
        bool overflow;
} Raw;

static void raw_put(Raw *w, const void *p, size_t k) {
        if (w->n + k > sizeof w->buf) {
                w->overflow = true;
                return;
        }
        memcpy(w->buf + w->n, p, k);
        w->n += k;
}

static void raw_align(Raw *w, size_t a) {
        static const uint8_t zero[8] = {};
        raw_put(w, zero, (a - w->n % a) % a);
}

static void raw_u8(Raw *w, uint8_t v) {
        raw_put(w, &v, 1);
}

static void raw_u32(Raw *w, uint32_t v) {
        raw_align(w, 4);
        raw_put(w, &v, 4); /* x86 and friends: the machine's order is little-endian, as the header says */
}

static void raw_string(Raw *w, const void *s, size_t len) {
        raw_u32(w, (uint32_t) len);
        raw_put(w, s, len);
        raw_u8(w, 0);
}

static void raw_field(Raw *w, uint8_t code, char type, const char *value) {
        raw_align(w, 8);
        raw_u8(w, code);
        raw_u8(w, 1);
        raw_u8(w, (uint8_t) type);
        raw_u8(w, 0);
        if (type == 'g') {
                raw_u8(w, (uint8_t) strlen(value));
                raw_put(w, value, strlen(value) + 1);
        } else
                raw_string(w, value, strlen(value));
}

/* A method call: the header fields, then body (already marshalled from offset 0, 8-aligned) appended. */
static void raw_method_call(Raw *w, uint32_t serial, const char *dest, const char *path, const char *interface,
                            const char *member, const char *signature, const Raw *body) {
        size_t fields_len_at;

        w->n = 0;
        raw_u8(w, 'l');
        raw_u8(w, 1); /* METHOD_CALL */
        raw_u8(w, 0);
        raw_u8(w, 1); /* protocol version */
        raw_u32(w, (uint32_t) (body ? body->n : 0));
        raw_u32(w, serial);
        fields_len_at = w->n;
        raw_u32(w, 0);
        raw_field(w, 1, 'o', path);
        raw_field(w, 2, 's', interface);
        raw_field(w, 3, 's', member);
        raw_field(w, 6, 's', dest);
        if (signature)
                raw_field(w, 8, 'g', signature);
        uint32_t fields_len = (uint32_t) (w->n - fields_len_at - 4);
        memcpy(w->buf + fields_len_at, &fields_len, 4);
        raw_align(w, 8);
        if (body)
                raw_put(w, body->buf, body->n);
}

static int write_all(int fd, const void *p, size_t n) {
        while (n > 0) {
                ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return -errno;
                p = (const uint8_t *) p + k;
                n -= (size_t) k;
        }
        return 0;
}

/* Read exactly n bytes; 0 on EOF before them (the peer hung up). */
static int read_all(int fd, void *p, size_t n) {
        while (n > 0) {
                struct pollfd pfd = { .fd = fd, .events = POLLIN };
                int r = poll(&pfd, 1, RAW_TIMEOUT_MS);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        return -errno;
                if (r == 0)
                        return -ETIMEDOUT;
                ssize_t k = recv(fd, p, n, 0);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0)
                        return errno == ECONNRESET ? 0 : -errno;
                if (k == 0)
                        return 0;
                p = (uint8_t *) p + k;
                n -= (size_t) k;
        }
        return 1;
}

static size_t align_to(size_t v, size_t a) {
        return (v + a - 1) / a * a;
}

/* The reply serial and error name of a received message (header fields at 16 .. 16 + fields_len). */
static int raw_parse_fields(const uint8_t *b, size_t end, uint32_t *ret_reply_serial, char *ret_error,
                            size_t error_size) {
        size_t p = 16;

        while (p < end) {
                p = align_to(p, 8);
                if (p + 2 > end)
                        return -EBADMSG;
                uint8_t code = b[p++], siglen = b[p++];
                if (siglen != 1 || p + 2 > end)
                        return -EBADMSG;
                char type = (char) b[p];
                p += 2;
                uint32_t v;
                switch (type) {
                case 'u':
                        p = align_to(p, 4);
                        if (p + 4 > end)
                                return -EBADMSG;
                        memcpy(&v, b + p, 4);
                        p += 4;
                        if (code == 5)
                                *ret_reply_serial = v;
                        break;
                case 's':
                case 'o':
                        p = align_to(p, 4);
                        if (p + 4 > end)
                                return -EBADMSG;
                        memcpy(&v, b + p, 4);
                        if (p + 4 + v + 1 > end)
                                return -EBADMSG;
                        if (code == 4)
                                snprintf(ret_error, error_size, "%.*s", (int) v, (const char *) b + p + 4);
                        p += 4 + v + 1;
                        break;
                case 'g':
                        p += 1 + b[p] + 1;
                        break;
                default:
                        return -EBADMSG;
                }
        }
        return 0;
}

static int hex_decode(const char *hex, Raw *ret) {
        size_t n = strlen(hex);

        if (n % 2)
                return -EINVAL;
        ret->n = 0;
        for (size_t i = 0; i < n; i += 2) {
                unsigned v;
                if (sscanf(hex + i, "%2x", &v) != 1)
                        return -EINVAL;
                raw_u8(ret, (uint8_t) v);
        }
        return ret->overflow ? -E2BIG : 0;
}

static int raw_get(const char *hex) {
        static Raw key, body, msg;
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        const char *address = getenv("DBUS_SYSTEM_BUS_ADDRESS");
        char line[512], uid[32], auth[128];
        int r;

        if (!address || strncmp(address, "unix:path=", 10) != 0 ||
            strcspn(address + 10, ",") >= sizeof sa.sun_path) {
                fprintf(stderr, "bus-call: --raw-get needs DBUS_SYSTEM_BUS_ADDRESS=unix:path=...\n");
                return 2;
        }
        memcpy(sa.sun_path, address + 10, strcspn(address + 10, ","));
        if (hex_decode(hex, &key) < 0) {
                fprintf(stderr, "bus-call: \"%s\" is not hex\n", hex);
                return 2;
        }

        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                fprintf(stderr, "bus-call: cannot connect to %s: %m\n", sa.sun_path);
                return 2;
        }
        /* AUTH EXTERNAL with our uid, as decimal digits in hex. */
        snprintf(uid, sizeof uid, "%u", (unsigned) geteuid());
        int k = snprintf(auth, sizeof auth, "%cAUTH EXTERNAL ", '\0');
        for (const char *c = uid; *c; c++)
                k += snprintf(auth + k, sizeof auth - (size_t) k, "%02x", (unsigned char) *c);
        k += snprintf(auth + k, sizeof auth - (size_t) k, "\r\n");
        r = write_all(fd, auth, (size_t) k);
        size_t got = 0;
        while (r >= 0 && (got < 2 || memcmp(line + got - 2, "\r\n", 2) != 0) && got < sizeof line - 1) {
                r = read_all(fd, line + got, 1);
                if (r == 0)
                        r = -ECONNRESET;
                got++;
        }
        line[got] = '\0';
        if (r < 0 || strncmp(line, "OK ", 3) != 0) {
                fprintf(stderr, "bus-call: authentication failed: %s\n", r < 0 ? strerror(-r) : line);
                return 2;
        }
        r = write_all(fd, "BEGIN\r\n", 7);

        raw_method_call(&msg, 1, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "Hello",
                        NULL, NULL);
        if (r >= 0)
                r = write_all(fd, msg.buf, msg.n);

        /* Get(as): one key with the given bytes. */
        body.n = 0;
        raw_u32(&body, (uint32_t) (4 + key.n + 1));
        raw_string(&body, key.buf, key.n);
        raw_method_call(&msg, 2, WSTUNED_BUS_NAME, WSTUNED_BUS_PATH, WSTUNED_BUS_INTERFACE, "Get", "as", &body);
        if (msg.overflow || body.overflow) {
                fprintf(stderr, "bus-call: the key is too long\n");
                return 2;
        }
        if (r >= 0)
                r = write_all(fd, msg.buf, msg.n);
        if (r < 0) {
                fprintf(stderr, "bus-call: cannot send: %s\n", strerror(-r));
                return 2;
        }

        /* Messages until the answer to serial 2, or the end of the connection. */
        for (;;) {
                static uint8_t in[RAW_MESSAGE_MAX];
                uint32_t body_len, fields_len, reply_serial = 0;
                char error[256] = "";

                r = read_all(fd, in, 16);
                if (r == 0) {
                        printf("disconnected\n");
                        return 0;
                }
                if (r < 0)
                        break;
                memcpy(&body_len, in + 4, 4);
                memcpy(&fields_len, in + 12, 4);
                size_t total = align_to(16 + (size_t) fields_len, 8) + body_len;
                if (in[0] != 'l' || total > sizeof in) {
                        r = -EBADMSG;
                        break;
                }
                r = read_all(fd, in + 16, total - 16);
                if (r == 0) {
                        printf("disconnected\n");
                        return 0;
                }
                if (r < 0)
                        break;
                r = raw_parse_fields(in, 16 + fields_len, &reply_serial, error, sizeof error);
                if (r < 0)
                        break;
                if (reply_serial != 2)
                        continue;
                if (in[1] == 3)
                        printf("error %s\n", error);
                else
                        printf("reply\n");
                return 0;
        }
        fprintf(stderr, "bus-call: reading from the bus failed: %s\n", strerror(-r));
        return 2;
}

int main(int argc, char *argv[]) {
        if (argc == 3 && streq(argv[1], "--raw-get"))
                return raw_get(argv[2]);
        if (argc < 5 || argv[1][0] == '-') {
                fprintf(stderr, "Usage: bus-call DEST PATH INTERFACE MEMBER [SIGNATURE [ARGUMENT...]]\n"
                                "       bus-call --raw-get HEX\n");
                return 2;
        }
        return call(argv + 1);
}
