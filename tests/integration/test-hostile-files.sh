#!/bin/bash
# test-hostile-files.sh - what another local user, or an odd file at a managed path, can do to the files the
# root daemon reads and writes. The state directory is root's alone (0700, state.json 0600, also where an
# older version left them 0755/0644), so the original of a 0600 daemon.json with a proxy password is not
# readable through it. In the metrics directory's parent, which belongs to another user (as
# /var/lib/prometheus belongs to the prometheus user; here: nobody), that user cannot redirect the write
# through a symbolic link (directory or file), choose its mode, or make the daemon block with a FIFO; the
# default setup still gives node_exporter a readable file. A FIFO at a limit file or in a profile
# directory does not hang the daemon; a symbolic link at daemon.json is refused with a clear error and
# left as it is; owner, group and mode of a replaced file are kept and restored.
. "$(dirname "$0")/preamble.sh" "$0" "$@"

E=$SB_ROOT/etc
STATE_DIR=$SB_ROOT/var/lib/wstuned
PROM=$SB_ROOT/var/lib/prometheus
METRICS_DIR=$PROM/node-exporter
METRICS=$METRICS_DIR/wstuned.prom
JSON=$E/docker/daemon.json
PAM=$E/security/limits.d/90-wstuned.conf
PASSWORD=s3cret-proxy-password
# the daemon answers within 2 s (a FIFO would block it in open() for good)
answers() { timeout 2 busctl --system call io.wstune.wstuned1 /io/wstune/wstuned1 org.freedesktop.DBus.Peer Ping >/dev/null; }
WCTL=$WSTUNED_BUILD/client/wstunectl
mode_owner() { stat -c '%a %U:%G %F' "$1"; }
metrics_written_after() { [ -f "$METRICS" ] && [ ! -L "$METRICS" ] && [ "$(stat -c %Y "$METRICS")" -ge "$1" ]; }
metrics_is_roots() { [ -f "$METRICS" ] && [ ! -L "$METRICS" ] && [ "$(stat -c %u "$METRICS")" = 0 ]; }

# What an older version left: the state directory 0755 and state.json 0644.
mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
printf '{ "version": 1, "active_profile": null }\n' >"$STATE_DIR/state.json"
chmod 644 "$STATE_DIR/state.json"
# The metrics directory as Debian's prometheus-node-exporter makes it: /var/lib/prometheus belongs to the
# prometheus user (here nobody), node-exporter/ inside it to root, 0755.
mkdir -p "$METRICS_DIR" "$E/logrotate.d"
chown nobody:nogroup "$PROM"
chmod 755 "$PROM" "$METRICS_DIR"
# daemon.json 0640 root:adm with a proxy password
mkdir -p "$E/docker"
printf '{\n    "proxies": { "http-proxy": "http://user:%s@proxy:3128" }\n}\n' "$PASSWORD" >"$JSON"
chown root:adm "$JSON"
chmod 640 "$JSON"
cp -p "$JSON" "$SB/daemon.json.orig"
cat >"$E/wstuned/profiles/lim.json" <<'JSON'
{ "limits": { "nofile": 4096 } }
JSON
printf '{ "poll_interval_ms": 200, "metrics_interval_ms": 1000 }\n' >"$E/wstuned/wstuned.json"

wstuned_start || exit 1

# --- 2: the state is root's alone
check_eq "state directory made 0700 at start" "700" "$(stat -c %a "$STATE_DIR")"
check_eq "state.json made 0600 at start" "600" "$(stat -c %a "$STATE_DIR/state.json")"
check_rc "apply lim" 0 wstunectl apply lim
check_match "the original daemon.json is in the baseline" "$PASSWORD" "$(cat "$STATE_DIR/state.json")"
check_eq "state.json 0600 after the apply" "600 root:root regular file" "$(mode_owner "$STATE_DIR/state.json")"
check_rc "nobody cannot read the state" 1 as_nobody cat "$STATE_DIR/state.json"
check_eq "no file readable by nobody holds the password" "" \
        "$(as_nobody grep -rls "$PASSWORD" "$SB_ROOT/var" "$SB_ROOT/etc" 2>/dev/null)"

# --- 6: owner, group and mode of a replaced file are kept, and restored by Revert
check_match "daemon.json written" "nofile" "$(cat "$JSON")"
check_eq "daemon.json keeps owner, group and mode" "640 root:adm regular file" "$(mode_owner "$JSON")"
check_eq "a new file is 0644 whatever the umask" "644 root:root regular file" "$(mode_owner "$PAM")"
check_rc "revert" 0 wstunectl revert
check_eq "revert: the original bytes" "" "$(cmp "$JSON" "$SB/daemon.json.orig" 2>&1)"
check_eq "revert: the original owner, group and mode" "640 root:adm regular file" "$(mode_owner "$JSON")"
check_rc "apply lim again" 0 wstunectl apply lim

# --- 3: the metrics file in the default setup: a regular file node_exporter (another user) can read
within 10 metrics_written_after 0
check_eq "metrics file 0644 root's" "644 root:root regular file" "$(mode_owner "$METRICS")"
check_rc "nobody (node_exporter) reads it" 0 as_nobody grep -q '^wstuned_' "$METRICS"

# the directory's owner swaps node-exporter/ for a link to /etc/logrotate.d: nothing lands there
as_nobody mv "$METRICS_DIR" "$PROM/node-exporter.moved"
as_nobody ln -s "$E/logrotate.d" "$METRICS_DIR"
sleep 2.5
check_eq "directory link: nothing written where it points" "" "$(ls -A "$E/logrotate.d")"
check_rc "directory link: the daemon answers" 0 answers
check_match "directory link: the error names the link" "symbolic link is in the way" "$(sb_journal -o cat)"
as_nobody rm "$METRICS_DIR"
as_nobody mv "$PROM/node-exporter.moved" "$METRICS_DIR"

# a directory of the user's own with a link at the file's name, pointing at a 0666 file
printf 'root data\n' >"$SB/target"
chmod 666 "$SB/target"
as_nobody mv "$METRICS_DIR" "$PROM/node-exporter.moved"
as_nobody mkdir "$METRICS_DIR"
as_nobody ln -s "$SB/target" "$METRICS"
sleep 2.5
check_eq "file link: its target is untouched" "root data" "$(cat "$SB/target")"
check_eq "file link: the link is still a link (not written through)" "symbolic link" "$(stat -c %F "$METRICS")"
check_rc "file link: the daemon answers" 0 answers

# a FIFO at the file's name: the daemon neither blocks nor writes into it, and no file takes the user's mode
as_nobody rm "$METRICS"
as_nobody mkfifo -m 666 "$METRICS"
sleep 2.5
check_rc "FIFO: the daemon answers" 0 answers
check_rc "FIFO: Verify answers" 0 timeout 5 "$WCTL" verify --no-pager
check_eq "FIFO: still a FIFO, nothing written into it" "fifo" "$(stat -c %F "$METRICS")"
# a file of the user's own, mode 0666: root's new file does not take its mode or owner over
as_nobody rm "$METRICS"
as_nobody sh -c "umask 0; echo theirs >'$METRICS'"
within 10 metrics_is_roots
check_eq "a planted 0666 file: replaced by root's 0644 file" "644 root:root regular file" "$(mode_owner "$METRICS")"
as_nobody rm -rf "$METRICS_DIR"
as_nobody mv "$PROM/node-exporter.moved" "$METRICS_DIR"
rm -f "$METRICS"
within 10 metrics_is_roots
check_eq "back to the default: written again, 0644" "644 root:root regular file" "$(mode_owner "$METRICS")"

# --- 6: a FIFO at a limit file and in a profile directory
mkdir -p "$(dirname "$PAM")"
rm -f "$PAM"
mkfifo "$PAM"
check_rc "FIFO at a limit file: apply answers (exit 1: that file failed)" 1 timeout 10 "$WCTL" apply lim --no-pager
check_match "FIFO at a limit file: clear error" "90-wstuned.conf.*not a regular file" "$OUT"
check_rc "FIFO at a limit file: Verify answers" 1 timeout 10 "$WCTL" verify --no-pager
check_match "FIFO at a limit file: Verify row" "90-wstuned.conf.*error: not a regular file" "$OUT"
rm -f "$PAM"
mkfifo "$E/wstuned/profiles/fifo.json"
check_rc "FIFO in a profile directory: profiles answers" 0 timeout 10 "$WCTL" profiles --no-pager
check_match "FIFO in a profile directory: listed with the reason" "fifo.*not a regular file" "$OUT"
check_rc "FIFO in a profile directory: apply of it fails at once (invalid profile: exit 2)" 2 timeout 10 "$WCTL" apply fifo
check_match "FIFO in a profile directory: apply names it" "fifo.json: not a regular file" "$OUT"
rm -f "$E/wstuned/profiles/fifo.json"
check_rc "the daemon still answers" 0 answers

# --- 6: a symbolic link at daemon.json is refused with a clear error and left as it is
check_rc "revert" 0 wstunectl revert
mv "$JSON" "$E/docker/real.json"
ln -s real.json "$JSON"
check_rc "daemon.json a link: apply reports that file (exit 1)" 1 wstunectl apply lim --no-pager
check_match "daemon.json a link: clear error" "daemon.json.*symbolic link is in the way" "$OUT"
check_eq "daemon.json a link: still the link" "real.json" "$(readlink "$JSON")"
check_eq "daemon.json a link: its target untouched" "" "$(cmp "$E/docker/real.json" "$SB/daemon.json.orig" 2>&1)"
check_rc "revert" 0 wstunectl revert
check_eq "revert leaves the link" "real.json" "$(readlink "$JSON")"

# --- 6: without CAP_CHOWN (the shipped unit's bounding set) a root:adm file cannot keep its group: it is
# left as it is, with an error that says why; a root:root file is replaced as usual
check_rc "revert" 0 wstunectl revert
rm "$JSON"
mv "$E/docker/real.json" "$JSON"
wstuned_stop
WSTUNED_WRAPPER="setpriv --bounding-set=-chown -- ${WSTUNED_WRAPPER:-}" wstuned_start || exit 1
check_rc "without CAP_CHOWN: apply reports daemon.json (exit 1)" 1 wstunectl apply lim --no-pager
check_match "without CAP_CHOWN: the error says why" \
        "daemon.json.*cannot keep its owner and group 0:$(getent group adm | cut -d: -f3): that needs CAP_CHOWN" "$OUT"
check_eq "without CAP_CHOWN: daemon.json untouched" "" "$(cmp "$JSON" "$SB/daemon.json.orig" 2>&1)"
check_eq "without CAP_CHOWN: owner, group and mode untouched" "640 root:adm regular file" "$(mode_owner "$JSON")"
check_match "without CAP_CHOWN: the root:root files are written" "nofile" "$(cat "$PAM")"
check_rc "revert" 0 wstunectl revert

check_host_unchanged
test_finish
