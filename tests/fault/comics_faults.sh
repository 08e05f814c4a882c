#!/bin/bash
# comics_faults.sh - `retreat comics` and its read state: signals, full disk,
# an unwritable folder.
#
#     tests/fault/comics_faults.sh RETREAT WORK_DIR
#
# `retreat comics --print` fetches feeds from a local `retreat serve`
# (127.0.0.1, a free port, started and stopped here) and records what it
# printed in its read state, a file it rewrites atomically (readstate.h). The
# state must never be lost or half-written, whatever happens to the run:
#
#   sigint, sigterm  the signal while the feeds are still coming in (the
#                    server delays them): the run must end within 5 s, and
#                    the state file must be the old one or a new whole one,
#                    every line an http URL; no temporary file left;
#   fsize            no room to write the state (a 0-block file-size limit,
#                    SIGXFSZ ignored: EFBIG as on a full disk): a message
#                    naming the state file, no crash, the old state unchanged
#                    and no temporary file left;
#   readonly         the state's folder not writable (as user nobody when
#                    root): the same.
#
# Exit status: 0 if every case passed, 1 otherwise.
set -u
RETREAT=$(realpath "$1")
WORK=$(realpath -m "$2")
passed=0 failed=0

rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
chmod 755 "$WORK"
set -m
exec 2> "$WORK/shell.log"

pass() { echo "  pass: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }

# The server: 6 comics, each feed delayed 0.1-2.1 x 800 ms.
"$RETREAT" serve --port 0 --count 6 --latency 800 --jitter 0 > "$WORK/serve.txt" &
server=$!
trap 'kill $server 2> /dev/null' EXIT
for _ in $(seq 1 50); do grep -q '^serving' "$WORK/serve.txt" && break; sleep 0.1; done
base=$(sed -n 's|^serving .* at \(http://[^/]*\)/feeds.txt|\1|p' "$WORK/serve.txt")
[ -n "$base" ] || { echo "  FAIL: retreat serve did not start"; cat "$WORK/serve.txt"; exit 1; }
for i in 0 1 2 3 4 5; do echo "$base/feed/$i.xml"; done > "$WORK/feeds.txt"

# An old state, from a run that read comic 0 (and an unrelated line).
OLD="https://example.org/read-long-ago.html"
old_state() { mkdir -p "$(dirname "$1")" && printf '%s\n' "$OLD" > "$1"; }

# state_ok FILE: a whole state file: every line an http(s) URL or a '#'
# comment, ends in \n, and the old line still there.
state_ok() {
    [ -f "$1" ] || return 1
    [ -z "$(tail -c 1 "$1")" ] || return 1
    ! grep -qv '^\(https\?://\|#\)' "$1" || return 1
    grep -qxF "$OLD" "$1"
}

# --- sigint, sigterm -------------------------------------------------------------
RANDOM=${SEED:-$$}
for sig in INT TERM; do
    state="$WORK/$sig/read.txt"
    old_state "$state"
    delay_ms=$((200 + RANDOM % 1200))
    "$RETREAT" comics --print --state "$state" "$WORK/feeds.txt" > "$WORK/$sig.out" 2> "$WORK/$sig.log" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if [ $sig = INT ]; then kill -INT -- "-$pid"; else kill -TERM "$pid"; fi
    t0=$(date +%s%N)
    for _ in $(seq 1 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2> /dev/null; then
        kill -KILL -- "-$pid"
        fail "sig${sig,,}: still running 5 s after SIG$sig"
        continue
    fi
    wait "$pid"
    status=$?
    took=$((($(date +%s%N) - t0) / 1000000))
    left=$(ls "$WORK/$sig" | grep -vc '^read.txt$')
    if ! state_ok "$state"; then
        fail "sig${sig,,}: the state file is damaged:"; sed 's/^/    /' "$state"
    elif [ "$left" -ne 0 ]; then
        fail "sig${sig,,}: files left beside the state: $(ls "$WORK/$sig" | tr '\n' ' ')"
    else
        printed=$(grep -c . "$WORK/$sig.out")
        pass "sig${sig,,}: SIG$sig after $delay_ms ms: exit $status after $took ms, $printed comics printed, state of $(wc -l < "$state") lines is whole"
    fi
done

# check NAME STATUS LOG STATE SUM: a failed save is reported, exits 1 (the
# comics opened now would open again next time) and leaves the old state alone.
check() {
    local name=$1 status=$2 log=$3 state=$4 sum=$5
    if [ "$status" -gt 128 ]; then
        fail "$name: killed by signal $((status - 128)) instead of reporting the error"
    elif [ "$status" -ne 1 ]; then
        fail "$name: exit $status, expected 1 for a state that could not be saved"
    elif ! grep -q "read.txt" "$log"; then
        fail "$name: no message naming the state file:"; sed 's/^/    /' "$log"
    elif [ "$(md5sum < "$state")" != "$sum" ]; then
        fail "$name: the old state was changed"
    elif [ "$(ls "$(dirname "$state")" | grep -vc '^read.txt$')" -ne 0 ]; then
        fail "$name: a temporary file was left beside the state"
    else
        pass "$name: exit $status, '$(grep -m1 'read.txt' "$log" | cut -c1-120)'"
    fi
}

# --- fsize: EFBIG when saving ----------------------------------------------------
state="$WORK/fsize/read.txt"
old_state "$state"
sum=$(md5sum < "$state")
# Through pipes: the limit would stop the output going to files as well.
(trap '' XFSZ; ulimit -f 0; exec "$RETREAT" comics --print --state "$state" "$WORK/feeds.txt") \
    2>&1 > >(cat > "$WORK/fsize.out") | cat > "$WORK/fsize.log"
check fsize "${PIPESTATUS[0]}" "$WORK/fsize.log" "$state" "$sum"

# --- readonly: the state's folder cannot be written ------------------------------
state="$WORK/readonly/read.txt"
old_state "$state"
chmod 755 "$WORK/readonly" && chmod 644 "$state" && chmod 555 "$WORK/readonly"
sum=$(md5sum < "$state")
as_user=""
[ "$(id -u)" -eq 0 ] && as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
$as_user "$RETREAT" comics --print --state "$state" "$WORK/feeds.txt" \
    > "$WORK/readonly.out" 2> "$WORK/readonly.log"
check readonly $? "$WORK/readonly.log" "$state" "$sum"

echo "comics_faults: $passed passed, $failed failed"
[ $failed -eq 0 ]
