/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* fuzz-bus.c - the D-Bus API as a client reaches it: method calls built from the input (see fuzz-bus.h for
 * the program format) sent to the daemon's real vtable, and the replies checked.
 *
 * Each input gets a fresh world: a scratch tree (<scratch>/root, both the root prefix and the kernel root,
 * with a small /proc/sys, /proc/meminfo and nothing in /etc), a Manager on it as the daemon builds one, and
 * a socketpair with sd-bus on both ends: the server end anonymous, in server mode, with the Manager object
 * registered (bus_manager_add_object(), no bus name: there is no bus daemon), the client end a plain
 * connection. Calls go out with sd_bus_call_async() and both ends are driven with sd_bus_process() in
 * this one thread until the reply is in. The caller over a socketpair is this process: as root, Apply,
 * Revert and Reload are authorised (polkit's fast path) and write into the scratch tree, which is why it
 * is made again for every input; as another user they are denied, also a reply.
 *
 * Between calls the program may change the world as the daemon's surroundings do: write a kernel value
 * (drift, a module adding nf_conntrack_max) or a file an admin edits (a profile in /etc/wstuned/profiles,
 * the settings, daemon.json, a limits drop-in, the state file), run the drift poll and the limit-file
 * repair (what the timers and inotify run), or restart the daemon on the same files. A crash there is a
 * finding as much as in a handler, and so is a restart that cannot read the state.json the daemon wrote.
 *
 * A call that sd-bus refuses to build (invalid UTF-8, an invalid object path or signature) is not sent:
 * that is sd-bus's input check, counted as rejected. Every call sent must get a reply within
 * REPLY_TIMEOUT_SEC: a method return with the signature the API declares for it, or an error whose name is
 * one of the API's or sd-bus's own. An errno-named error (System.Error.*), or InvalidArgs saying only
 * "Invalid argument", means a handler returned an errno it did not map: a finding too.
 *
 * The scratch directory lives in $TMPDIR, else /dev/shm (tmpfs: the atomic writes fsync), else /tmp, and is
 * removed at exit; a crash leaves it behind. FUZZ_BUS_STATS=1 prints what the calls came to at exit. */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>

#include "bus-errors.h"
#include "bus-manager.h"
#include "fuzz-bus.h"
#include "fuzz.h"
#include "journal.h"
#include "limits-apply.h"
#include "manager.h"
#include "polkit.h"

#define REPLY_TIMEOUT_SEC 10
#define VARIANT_DEPTH_MAX 4

static char *scratch, *root, *profiles;

static struct {
        unsigned long calls, rejected, returns, errors, events;
} stats;

/* What "the kernel" holds at the start of every input; nf_conntrack is not loaded (its key is missing). */
static const char *const kernel_files[][2] = {
        { "proc/sys/net/core/somaxconn", "4096\n" },
        { "proc/sys/net/ipv4/tcp_max_syn_backlog", "2048\n" },
        { "proc/sys/net/ipv4/ip_local_port_range", "32768\t60999\n" },
        { "proc/sys/net/ipv4/tcp_fin_timeout", "60\n" },
        { "proc/sys/net/ipv4/tcp_tw_reuse", "2\n" },
        { "proc/sys/net/ipv4/tcp_syncookies", "1\n" },
        { "proc/sys/net/ipv4/conf/eth0.100/rp_filter", "2\n" },
        { "proc/sys/kernel/perf_event_paranoid", "2\n" },
        { "proc/sys/fs/nr_open", "1048576\n" },
        { "proc/sys/fs/file-max", "9223372036854775807\n" },
        { "proc/sys/fs/file-nr", "1024\t0\t9223372036854775807\n" },
        { "proc/meminfo", "MemTotal:        4014244 kB\nMemFree:          123456 kB\n" },
};

/* The vendor profiles, besides the shipped ones; written once. */
static const char *const profile_files[][2] = {
        { "server.json",
          "{ \"description\": \"fuzz server\", \"sysctl\": {\n"
          "  \"net.core.somaxconn\": { \"value\": 8192, \"match\": \"at-least\" },\n"
          "  \"net.ipv4.tcp_max_syn_backlog\": { \"value\": 4096, \"policy\": \"raise-only\" },\n"
          "  \"net.ipv4.ip_local_port_range\": \"10000\\t65000\",\n"
          "  \"net/ipv4/tcp_fin_timeout\": { \"value\": 15, \"policy\": \"warn\" },\n"
          "  \"net.ipv4.tcp_tw_reuse\": { \"value\": 1, \"policy\": \"ignore\" },\n"
          "  \"net.ipv4.conf.eth0/100.rp_filter\": 1,\n"
          "  \"net.netfilter.nf_conntrack_max\": { \"value\": 262144, \"match\": \"at-least\" } },\n"
          "  \"watch\": { \"conntrack\": { \"warn\": 0.5, \"critical\": 0.8 } } }\n" },
        { "client.json",
          "{ \"sysctl\": { \"net.core.somaxconn\": 1024, \"net.ipv4.tcp_tw_reuse\": 1 },\n"
          "  \"limits\": { \"nofile\": 2000000, \"raise_nr_open\": true, \"layers\": [\"pam\"] } }\n" },
        { "broken.json", "{ \"sysctl\": { \"net.core.somaxconn\": } }\n" },
};

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static void rm_rf(const char *path) {
        (void) nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static void write_file(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *path = NULL, *parent = NULL;

        fuzz_check(asprintf(&path, "%s/%s", dir, rel) >= 0, "asprintf");
        parent = strdup(path);
        fuzz_check(parent, "strdup");
        *strrchr(parent, '/') = '\0';
        fuzz_check(mkdir_parents(parent, 0755) >= 0, "mkdir %s: %m", parent);
        fuzz_check(write_file_atomic(path, content, strlen(content), FILE_MODE(0644), 0) >= 0, "write %s", path);
}

static void copy_shipped(const char *name) {
        _cleanup_free_ char *from = NULL, *rel = NULL, *content = NULL;

        fuzz_check(asprintf(&from, "%s/%s.json", SHIPPED_PROFILES_DIR, name) >= 0, "asprintf");
        fuzz_check(read_file_full(from, 65536, &content, NULL) >= 0, "read %s", from);
        fuzz_check(asprintf(&rel, "%s.json", name) >= 0, "asprintf");
        write_file(profiles, rel, content);
}

static void cleanup_scratch(void) {
        if (scratch)
                rm_rf(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        const char *tmp = getenv("TMPDIR");
        struct stat st;

        /* never the host journal; the messages are still formatted */
        log_set_target(LOG_TARGET_NULL);
        if (!tmp || !tmp[0])
                tmp = stat("/dev/shm", &st) >= 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0 ? "/dev/shm"
                                                                                                      : "/tmp";
        fuzz_check(asprintf(&scratch, "%s/wstuned-fuzz-bus-XXXXXX", tmp) >= 0 && mkdtemp(scratch), "mkdtemp in %s: %m",
                   tmp);
        atexit(cleanup_scratch);
        fuzz_check(asprintf(&root, "%s/root", scratch) >= 0 && asprintf(&profiles, "%s/profiles", scratch) >= 0,
                   "asprintf");
        for (size_t i = 0; i < ELEMENTSOF(profile_files); i++)
                write_file(profiles, profile_files[i][0], profile_files[i][1]);
        copy_shipped("ws-server");
        copy_shipped("ws-client");
        return 0;
}

/* Per input, so cheaper than write_file(): the directories once each, the files without fsync and rename. */
static void tree_reset(void) {
        static const char *const dirs[] = { "proc/sys/net/core", "proc/sys/net/ipv4/conf/eth0.100", "proc/sys/kernel",
                                            "proc/sys/fs" };

        rm_rf(root);
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                _cleanup_free_ char *path = NULL;
                fuzz_check(asprintf(&path, "%s/%s", root, dirs[i]) >= 0, "asprintf");
                fuzz_check(mkdir_parents(path, 0755) >= 0, "mkdir %s", path);
        }
        for (size_t i = 0; i < ELEMENTSOF(kernel_files); i++) {
                _cleanup_free_ char *path = NULL;
                fuzz_check(asprintf(&path, "%s/%s", root, kernel_files[i][0]) >= 0, "asprintf");
                _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                size_t n = strlen(kernel_files[i][1]);
                fuzz_check(fd >= 0 && write(fd, kernel_files[i][1], n) == (ssize_t) n, "write %s: %m", path);
        }
}

/* The input, read front to back; past its end every byte is 0. */
typedef struct Reader {
        const uint8_t *p;
        size_t left;
} Reader;

static uint8_t read_u8(Reader *r) {
        if (r->left == 0)
                return 0;
        r->left--;
        return *r->p++;
}

static void read_bytes(Reader *r, void *buf, size_t n) {
        size_t k = MIN(n, r->left);

        memset(buf, 0, n);
        memcpy(buf, r->p, k);
        r->p += k;
        r->left -= k;
}

static size_t read_count(Reader *r) {
        size_t n = read_u8(r);

        if (n == 0xff) {
                uint8_t b[2];
                read_bytes(r, b, sizeof b);
                n = b[0] | (size_t) b[1] << 8;
        }
        return MIN(n, (size_t) BUS_ARRAY_MAX);
}

/* A string of the input, NUL-terminated; *ret_len counts its bytes, NULs inside included. */
static char *read_string_n(Reader *r, size_t *ret_len) {
        uint8_t n = read_u8(r);
        size_t len = n;
        char *s;

        if (n >= BUS_STRING_WORDS && n != 0xff) {
                size_t w = n - BUS_STRING_WORDS;
                s = strdup(w < ELEMENTSOF(bus_words) ? bus_words[w] : "");
                fuzz_check(s, "strdup");
                *ret_len = strlen(s);
                return s;
        }
        if (n == 0xff) {
                uint8_t b[2];
                read_bytes(r, b, sizeof b);
                len = b[0] | (size_t) b[1] << 8;
        }
        len = MIN(len, r->left);
        s = malloc(len + 1);
        fuzz_check(s, "malloc");
        read_bytes(r, s, len);
        s[len] = '\0';
        *ret_len = len;
        return s;
}

static char *read_string(Reader *r) {
        size_t len;
        return read_string_n(r, &len);
}

/* One call being built: the first append sd-bus refuses marks it rejected, the rest is still read (so the
 * next call starts where it should) but not appended. */
typedef struct Call {
        sd_bus_message *m;
        bool rejected;
} Call;

static void call_result(Call *c, int r) {
        if (r < 0)
                c->rejected = true;
}

static void append_basic(Call *c, char type, const void *v) {
        if (!c->rejected)
                call_result(c, sd_bus_message_append_basic(c->m, type, v));
}

static void append_string(Call *c, char type, Reader *r) {
        _cleanup_free_ char *s = read_string(r);
        append_basic(c, type, s);
}

static void append_strings(Call *c, Reader *r) {
        size_t n = read_count(r);

        if (!c->rejected)
                call_result(c, sd_bus_message_open_container(c->m, 'a', "s"));
        for (size_t i = 0; i < n; i++)
                append_string(c, 's', r);
        if (!c->rejected)
                call_result(c, sd_bus_message_close_container(c->m));
}

static const char *const variant_signatures[_BUS_VARIANT_MAX] = {
        [BUS_VARIANT_STRING] = "s", [BUS_VARIANT_U32] = "u",  [BUS_VARIANT_DOUBLE] = "d",
        [BUS_VARIANT_U64] = "t",    [BUS_VARIANT_I32] = "i",  [BUS_VARIANT_BOOL] = "b",
        [BUS_VARIANT_BYTE] = "y",   [BUS_VARIANT_STRINGS] = "as", [BUS_VARIANT_VARIANT] = "v",
};

static void append_variant(Call *c, Reader *r, unsigned depth) {
        BusVariant t = (BusVariant) (read_u8(r) % _BUS_VARIANT_MAX);
        uint8_t b[8] __attribute__((aligned(8)));

        if (t == BUS_VARIANT_VARIANT && depth >= VARIANT_DEPTH_MAX)
                t = BUS_VARIANT_U32;
        if (!c->rejected)
                call_result(c, sd_bus_message_open_container(c->m, 'v', variant_signatures[t]));
        switch (t) {
        case BUS_VARIANT_STRING:
                append_string(c, 's', r);
                break;
        case BUS_VARIANT_U32:
        case BUS_VARIANT_I32:
        case BUS_VARIANT_BOOL: {
                uint32_t v;
                read_bytes(r, b, 4);
                memcpy(&v, b, sizeof v);
                if (t == BUS_VARIANT_BOOL)
                        v &= 1;
                append_basic(c, variant_signatures[t][0], &v);
                break;
        }
        case BUS_VARIANT_DOUBLE:
        case BUS_VARIANT_U64:
                read_bytes(r, b, 8);
                append_basic(c, variant_signatures[t][0], b);
                break;
        case BUS_VARIANT_BYTE:
                b[0] = read_u8(r);
                append_basic(c, 'y', b);
                break;
        case BUS_VARIANT_STRINGS:
                append_strings(c, r);
                break;
        case BUS_VARIANT_VARIANT:
                append_variant(c, r, depth + 1);
                break;
        case _BUS_VARIANT_MAX:
                break;
        }
        if (!c->rejected)
                call_result(c, sd_bus_message_close_container(c->m));
}

static void append_arg(Call *c, BusOp op, Reader *r) {
        uint8_t b[8] __attribute__((aligned(8)));

        switch (op) {
        case BUS_OP_STRING:
                append_string(c, 's', r);
                break;
        case BUS_OP_U32:
        case BUS_OP_I32:
                read_bytes(r, b, 4);
                append_basic(c, op == BUS_OP_U32 ? 'u' : 'i', b);
                break;
        case BUS_OP_U64:
        case BUS_OP_DOUBLE:
                read_bytes(r, b, 8);
                append_basic(c, op == BUS_OP_U64 ? 't' : 'd', b);
                break;
        case BUS_OP_BOOL: {
                int v = read_u8(r) & 1;
                append_basic(c, 'b', &v);
                break;
        }
        case BUS_OP_BYTE:
                b[0] = read_u8(r);
                append_basic(c, 'y', b);
                break;
        case BUS_OP_STRINGS:
                append_strings(c, r);
                break;
        case BUS_OP_DICT: {
                size_t n = read_count(r);
                if (!c->rejected)
                        call_result(c, sd_bus_message_open_container(c->m, 'a', "{sv}"));
                for (size_t i = 0; i < n; i++) {
                        if (!c->rejected)
                                call_result(c, sd_bus_message_open_container(c->m, 'e', "sv"));
                        append_string(c, 's', r);
                        append_variant(c, r, 0);
                        if (!c->rejected)
                                call_result(c, sd_bus_message_close_container(c->m));
                }
                if (!c->rejected)
                        call_result(c, sd_bus_message_close_container(c->m));
                break;
        }
        case BUS_OP_VARIANT:
                append_variant(c, r, 0);
                break;
        case BUS_OP_OBJECT_PATH:
                append_string(c, 'o', r);
                break;
        case BUS_OP_SIGNATURE:
                append_string(c, 'g', r);
                break;
        case BUS_OP_BYTES: {
                size_t n = read_count(r);
                _cleanup_free_ uint8_t *bytes = malloc(n ?: 1);
                fuzz_check(bytes, "malloc");
                read_bytes(r, bytes, n);
                if (!c->rejected)
                        call_result(c, sd_bus_message_append_array(c->m, 'y', bytes, n));
                break;
        }
        case BUS_OP_STRUCT: {
                _cleanup_free_ char *s = read_string(r);
                read_bytes(r, b, 4);
                if (!c->rejected)
                        call_result(c, sd_bus_message_open_container(c->m, 'r', "su"));
                append_basic(c, 's', s);
                append_basic(c, 'u', b);
                if (!c->rejected)
                        call_result(c, sd_bus_message_close_container(c->m));
                break;
        }
        case BUS_OP_TUPLES: {
                size_t n = read_count(r);
                if (!c->rejected)
                        call_result(c, sd_bus_message_open_container(c->m, 'a', "(ssss)"));
                for (size_t i = 0; i < n; i++) {
                        if (!c->rejected)
                                call_result(c, sd_bus_message_open_container(c->m, 'r', "ssss"));
                        for (size_t j = 0; j < 4; j++)
                                append_string(c, 's', r);
                        if (!c->rejected)
                                call_result(c, sd_bus_message_close_container(c->m));
                }
                if (!c->rejected)
                        call_result(c, sd_bus_message_close_container(c->m));
                break;
        }
        case BUS_OP_END:
        case _BUS_OP_MAX:
                break;
        }
}

typedef struct Method {
        const char *interface, *member;
        const char *reply_signature; /* of a method return */
} Method;

static const Method methods[_BUS_CALL_MAX] = {
        [BUS_CALL_GET] = { WSTUNED_BUS_INTERFACE, "Get", "a(ssss)" },
        [BUS_CALL_APPLY] = { WSTUNED_BUS_INTERFACE, "Apply", "a(ssss)" },
        [BUS_CALL_VERIFY] = { WSTUNED_BUS_INTERFACE, "Verify", "ba(ssss)" },
        [BUS_CALL_LIST_PROFILES] = { WSTUNED_BUS_INTERFACE, "ListProfiles", "a(sss)" },
        [BUS_CALL_PLAN] = { WSTUNED_BUS_INTERFACE, "Plan", "sa(sssds)as" },
        [BUS_CALL_REVERT] = { WSTUNED_BUS_INTERFACE, "Revert", "a(ssss)" },
        [BUS_CALL_RELOAD] = { WSTUNED_BUS_INTERFACE, "Reload", "a(ssss)" },
        [BUS_CALL_PROPERTY_GET] = { "org.freedesktop.DBus.Properties", "Get", "v" },
        [BUS_CALL_PROPERTY_GET_ALL] = { "org.freedesktop.DBus.Properties", "GetAll", "a{sv}" },
        [BUS_CALL_PROPERTY_SET] = { "org.freedesktop.DBus.Properties", "Set", "" },
        [BUS_CALL_INTROSPECT] = { "org.freedesktop.DBus.Introspectable", "Introspect", "s" },
        [BUS_CALL_PING] = { "org.freedesktop.DBus.Peer", "Ping", "" },
        [BUS_CALL_ANY] = {},
};

/* The daemon as one input sees it: the Manager with the server end of the bus, and the client end. */
typedef struct World {
        Manager *m;
        sd_bus *client;
        uint64_t clock_offset; /* how far BUS_CALL_POLL moved the clock on */
        bool state_written;    /* the input wrote state.json itself (it may well be unreadable) */
} World;

/* The errors a reply may carry: the API's own and what sd-bus answers for calls it refuses itself. */
static bool error_is_expected(const char *name) {
        static const char *const names[] = {
                WSTUNED_ERROR_INVALID_PROFILE,
                WSTUNED_ERROR_NO_SUCH_PROFILE,
                WSTUNED_ERROR_NO_SUCH_KEY,
                WSTUNED_ERROR_ACCESS_DENIED,
                SD_BUS_ERROR_INVALID_ARGS,
                SD_BUS_ERROR_UNKNOWN_METHOD,
                SD_BUS_ERROR_UNKNOWN_OBJECT,
                SD_BUS_ERROR_UNKNOWN_INTERFACE,
                SD_BUS_ERROR_UNKNOWN_PROPERTY,
                SD_BUS_ERROR_PROPERTY_READ_ONLY,
                SD_BUS_ERROR_LIMITS_EXCEEDED,
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(name, names[i]))
                        return true;
        return false;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        *(sd_bus_message **) userdata = sd_bus_message_ref(m);
        return 0;
}

/* Run both ends until the reply is in. Nothing in this process blocks the server, so a call that is still
 * unanswered once both ends are idle for REPLY_TIMEOUT_SEC never will be: a hang. */
static sd_bus_message *wait_reply(sd_bus *server, sd_bus *client, sd_bus_message **reply, const char *what) {
        while (!*reply) {
                int a = sd_bus_process(server, NULL), b = sd_bus_process(client, NULL);

                fuzz_check(a >= 0 && b >= 0, "%s: sd_bus_process: %s", what, strerror(-(a < 0 ? a : b)));
                if (a > 0 || b > 0)
                        continue;
                struct pollfd p[2] = {
                        { .fd = sd_bus_get_fd(server), .events = (short) sd_bus_get_events(server) },
                        { .fd = sd_bus_get_fd(client), .events = (short) sd_bus_get_events(client) },
                };
                int n = poll(p, ELEMENTSOF(p), REPLY_TIMEOUT_SEC * 1000);
                fuzz_check(n != 0, "%s: no reply within %d s", what, REPLY_TIMEOUT_SEC);
                fuzz_check(n > 0 || errno == EINTR, "poll: %m");
        }
        return *reply;
}

static void run_call(sd_bus *server, sd_bus *client, BusCall kind, uint8_t kind_byte, Reader *r) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        _cleanup_free_ char *path = NULL, *interface = NULL, *member = NULL;
        const Method *method = &methods[kind];
        Call c = {};
        int ret;

        if (kind == BUS_CALL_ANY) {
                path = read_string(r);
                interface = read_string(r);
                member = read_string(r);
        }
        ret = sd_bus_message_new_method_call(client, &c.m, NULL, path ?: WSTUNED_BUS_PATH,
                                             kind == BUS_CALL_ANY ? (interface[0] ? interface : NULL)
                                                                  : method->interface,
                                             member ?: method->member);
        if (ret < 0) /* an invalid path, interface or member name */
                c.rejected = true;
        else
                (void) sd_bus_message_set_allow_interactive_authorization(c.m, kind_byte & 0x80);

        for (unsigned i = 0; i < BUS_ARGS_MAX; i++) {
                BusOp op = (BusOp) (read_u8(r) % _BUS_OP_MAX);
                if (op == BUS_OP_END)
                        break;
                append_arg(&c, op, r);
        }

        stats.calls++;
        if (!c.rejected)
                call_result(&c, sd_bus_call_async(client, &slot, c.m, on_reply, &reply, 0));
        c.m = sd_bus_message_unref(c.m);
        if (c.rejected) {
                stats.rejected++;
                return;
        }

        const char *what = member ?: method->member;
        wait_reply(server, client, &reply, what);
        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                fuzz_check(e && e->name && e->name[0], "%s: error reply without a name", what);
                fuzz_check(error_is_expected(e->name), "%s: unexpected error %s: %s", what, e->name,
                           strempty(e->message));
                /* InvalidArgs with strerror(EINVAL) is a handler's own -EINVAL passed through unnamed (a reply
                 * sd-bus refused to build, say), not a verdict on the arguments */
                fuzz_check(!streq(e->name, SD_BUS_ERROR_INVALID_ARGS) || !streq_ptr(e->message, strerror(EINVAL)),
                           "%s: %s: %s", what, e->name, e->message);
                stats.errors++;
                return;
        }
        fuzz_check(sd_bus_message_get_type(reply, &kind_byte) >= 0 && kind_byte == SD_BUS_MESSAGE_METHOD_RETURN,
                   "%s: reply of type %u", what, kind_byte);
        if (kind != BUS_CALL_ANY)
                fuzz_check(streq(strempty(sd_bus_message_get_signature(reply, true)), method->reply_signature),
                           "%s: reply signature \"%s\", the API says \"%s\"", what,
                           strempty(sd_bus_message_get_signature(reply, true)), method->reply_signature);
        stats.returns++;
}

static sd_bus *bus_new(int fd, bool server) {
        sd_bus *bus = NULL;
        sd_id128_t id = SD_ID128_MAKE(77, 73, 74, 75, 6e, 65, 64, 66, 75, 7a, 7a, 62, 75, 73, 00, 01);

        fuzz_check(sd_bus_new(&bus) >= 0, "sd_bus_new");
        fuzz_check(sd_bus_set_fd(bus, fd, fd) >= 0, "sd_bus_set_fd");
        if (server) {
                fuzz_check(sd_bus_set_server(bus, true, id) >= 0, "sd_bus_set_server");
                fuzz_check(sd_bus_set_anonymous(bus, true) >= 0, "sd_bus_set_anonymous");
        }
        fuzz_check(sd_bus_start(bus) >= 0, "sd_bus_start");
        return bus;
}

/* What the daemon does at start, on the scratch tree: load settings and state, apply the chosen profile,
 * take the bus. */
static void world_start(World *w) {
        int fds[2];

        fuzz_check(manager_new(&w->m) >= 0, "manager_new");
        fuzz_check(paths_init(&w->m->paths, root, root, profiles) >= 0, "paths_init");
        manager_startup(w->m);
        /* what the daemon wrote, it reads back: manager_startup() moves an unreadable state.json aside */
        if (!w->state_written) {
                _cleanup_free_ char *broken = NULL;
                fuzz_check(asprintf(&broken, "%s.broken", w->m->paths.state_file) >= 0, "asprintf");
                fuzz_check(access(broken, F_OK) < 0, "the daemon cannot read the state.json it wrote");
        }

        fuzz_check(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) >= 0, "socketpair: %m");
        w->m->bus = bus_new(fds[0], true);
        w->client = bus_new(fds[1], false);
        fuzz_check(bus_manager_add_object(w->m) >= 0, "bus_manager_add_object");
}

static void world_stop(World *w) {
        w->client = sd_bus_close_unref(w->client); /* no flush: a client that never sent would wait for its authentication */
        auth_queries_free(w->m);
        w->m->bus = sd_bus_close_unref(w->m->bus);
        w->m = manager_free(w->m);
}

/* BUS_CALL_KERNEL: one of bus_files gets the content from the input, or goes away. */
static void world_write(World *w, Reader *r) {
        const char *rel = bus_files[read_u8(r) % ELEMENTSOF(bus_files)];
        size_t n;
        _cleanup_free_ char *content = read_string_n(r, &n), *path = NULL, *dir = NULL;

        fuzz_check(asprintf(&path, "%s/%s", root, rel) >= 0, "asprintf");
        if (strstr(rel, "state.json"))
                w->state_written = true;
        if (n == 0) {
                (void) unlink(path);
                return;
        }
        dir = strdup(path);
        fuzz_check(dir, "strdup");
        *strrchr(dir, '/') = '\0';
        fuzz_check(mkdir_parents(dir, 0755) >= 0, "mkdir %s: %m", dir);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        fuzz_check(fd >= 0 && write(fd, content, n) == (ssize_t) n, "write %s: %m", path);
}

/* BUS_CALL_POLL: what the poll timer and the repair timer do (watch.c), without the pressure sampler, which
 * asks the real kernel over netlink. */
static void world_poll(World *w, Reader *r) {
        uint8_t b = read_u8(r);

        w->clock_offset += (uint64_t) (b >> 1) * 1000000u;
        if (w->m->profile)
                (void) manager_poll(w->m, now_usec() + w->clock_offset, 0, b & 1);
        (void) limits_repair(w->m);
        bus_manager_publish(w->m);
        /* deliver what was published, so a signal the client cannot take shows */
        while (sd_bus_process(w->m->bus, NULL) > 0 || sd_bus_process(w->client, NULL) > 0)
                ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        World w = {};
        Reader r = { data, size };

        tree_reset();
        world_start(&w);
        for (unsigned i = 0; i < BUS_CALLS_MAX && (i == 0 || r.left > 0); i++) {
                uint8_t kind_byte = read_u8(&r);
                BusCall kind = (BusCall) ((kind_byte & 0x0f) % _BUS_CALL_MAX);

                switch (kind) {
                case BUS_CALL_KERNEL:
                        world_write(&w, &r);
                        stats.events++;
                        break;
                case BUS_CALL_POLL:
                        world_poll(&w, &r);
                        stats.events++;
                        break;
                case BUS_CALL_RESTART:
                        world_stop(&w);
                        world_start(&w);
                        stats.events++;
                        break;
                default:
                        run_call(w.m->bus, w.client, kind, kind_byte, &r);
                }
        }
        world_stop(&w);
        return 0;
}

static void print_stats(void) {
        fprintf(stderr, "fuzz-bus: %lu calls: %lu rejected by sd-bus, %lu method returns, %lu errors; %lu events\n",
                stats.calls, stats.rejected, stats.returns, stats.errors, stats.events);
}

__attribute__((constructor)) static void stats_at_exit(void) {
        const char *e = getenv("FUZZ_BUS_STATS");
        if (e && streq(e, "1"))
                atexit(print_stats);
}
