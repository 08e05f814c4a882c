#!/bin/bash
# stream_faults.sh - `retreat stream` rendering to a file: signals, full disk.
#
#     tests/fault/stream_faults.sh RETREAT WORK_DIR
#
# retreat stream promises (src/cli/cmd_stream.c) that Ctrl-C or SIGTERM ends a
# render cleanly: encoders flushed, trailer written, the file renamed into
# place, so what was rendered so far plays. And it writes to NAME.tmp-PID
# until then, so a failed render never leaves a broken NAME.mp4. The cases:
#
#   sigint, sigterm  the signal at a random moment of a small render: it must
#                    end within 10 s and leave either no video or one that
#                    ffprobe reads to the end with a video stream and a
#                    duration; no temporary file may be left;
#   fsize            a 64 KiB file-size limit, SIGXFSZ ignored (EFBIG, as on a
#                    full disk): a non-zero exit, a message naming the file,
#                    no broken video under the real name, no temporary file;
#   class            --class against python3's http.server on the loopback,
#                    serving tests/stream/class: a whole video, the state and
#                    both run logs fetched;
#   class-down       the same URL with no server: exit 1 naming the URL, no
#                    video;
#   class-bad        a state that is an HTML error page: exit 1, "not valid
#                    JSON", no video.
#
# Needs ffprobe (Debian package ffmpeg, in TEST_DEBS). The run log rendered
# comes from a small `retreat blur` run made first.
# Exit status: 0 if every case passed, 1 otherwise.
set -u
RETREAT=$(realpath "$1")
WORK=$2
HERE=$(dirname "$0")
TOP=$(realpath "$HERE/../..")
passed=0 failed=0

command -v ffprobe > /dev/null || { echo "  FAIL: ffprobe is missing (apt-get install ffmpeg)"; exit 1; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
set -m # the render in its own process group, with SIGINT not ignored
exec 2> "$WORK/shell.log"

pass() { echo "  pass: $1"; passed=$((passed + 1)); }
fail() { echo "  FAIL: $1"; failed=$((failed + 1)); }

# A run log to render: two photos, two styles.
for style in linear pool; do
    "$RETREAT" blur --style $style --sigma 2 -o "$WORK/blurred" --run-log "$WORK/run.jsonl" \
        "$TOP/workshop/images/rocket.jpg" "$TOP/workshop/images/chelsea.png" > /dev/null ||
        { echo "  FAIL: could not make a run log with retreat blur"; exit 1; }
done
RENDER=(stream --run-log "$WORK/run.jsonl" --size 320x180 --duration 120 --photos "$TOP/workshop/images")

# whole FILE: ffprobe reads the whole file and finds a video with a duration.
whole() {
    ffprobe -v error -count_packets -select_streams v:0 \
        -show_entries stream=nb_read_packets:format=duration -of csv=p=0 "$1" \
        > "$WORK/probe.txt" 2>&1 || return 1
    [ -s "$WORK/probe.txt" ] && ! grep -qi 'error\|invalid' "$WORK/probe.txt"
}

# --- sigint, sigterm ---------------------------------------------------------
RANDOM=${SEED:-$$}
for sig in INT TERM; do
    out="$WORK/$sig.mp4"
    delay_ms=$((300 + RANDOM % 1200))
    "$RETREAT" "${RENDER[@]}" -o "$out" > "$WORK/$sig.out" 2> "$WORK/$sig.log" &
    pid=$!
    sleep "$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))"
    if [ $sig = INT ]; then kill -INT -- "-$pid"; else kill -TERM "$pid"; fi
    t0=$(date +%s%N)
    for _ in $(seq 1 100); do kill -0 "$pid" 2> /dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2> /dev/null; then
        kill -KILL -- "-$pid"
        fail "sig${sig,,}: still rendering 10 s after SIG$sig"
        continue
    fi
    wait "$pid"
    status=$?
    took=$((($(date +%s%N) - t0) / 1000000))
    left=$(ls "$WORK" | grep -c "^$sig.mp4.tmp")
    if [ "$left" -ne 0 ]; then
        fail "sig${sig,,}: a temporary file was left: $(ls "$WORK" | grep "^$sig.mp4.tmp")"
    elif [ -e "$out" ] && ! whole "$out"; then
        fail "sig${sig,,}: $out does not play to the end: $(head -c 300 "$WORK/probe.txt")"
    else
        what="no video"; [ -e "$out" ] && what="a whole video ($(tr '\n' ' ' < "$WORK/probe.txt"))"
        pass "sig${sig,,}: SIG$sig after $delay_ms ms: exit $status after $took ms, $what"
    fi
done

# --- fsize: EFBIG ------------------------------------------------------------
out="$WORK/fsize.mp4"
(trap '' XFSZ; ulimit -f 64; exec "$RETREAT" "${RENDER[@]}" -o "$out") \
    > "$WORK/fsize.out" 2> "$WORK/fsize.log"
status=$?
left=$(ls "$WORK" | grep -c '^fsize.mp4.tmp')
if [ $status -eq 0 ] || [ $status -gt 128 ]; then
    fail "fsize: exit status $status, expected an error exit"
elif ! grep -q 'fsize.mp4' "$WORK/fsize.log"; then
    fail "fsize: no message naming the file:"; sed 's/^/    /' "$WORK/fsize.log"
elif [ "$left" -ne 0 ]; then
    fail "fsize: a temporary file was left behind"
elif [ -e "$out" ] && ! whole "$out"; then
    fail "fsize: a broken $out was left under the real name"
else
    pass "fsize: exit $status, '$(grep -m1 'fsize.mp4' "$WORK/fsize.log" | cut -c1-110)'"
fi

# --- class, class-down, class-bad: --class against a loopback server ----------
# python3's http.server serves the fixture (tests/stream/class: api/state and
# two run logs) on a port the kernel picks; we wait for the line in which it
# says which, not for a fixed time.
serve() { # serve DIR: starts the server, sets SERVER and URL
    python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$1" > "$WORK/http.log" 2>&1 &
    SERVER=$!
    URL=
    for _ in $(seq 1 100); do
        URL=$(sed -n 's/.*port \([0-9]*\).*/http:\/\/127.0.0.1:\1/p' "$WORK/http.log" | head -1)
        [ -n "$URL" ] && return 0
        kill -0 $SERVER 2> /dev/null || break
        sleep 0.1
    done
    return 1
}
unserve() { kill $SERVER 2> /dev/null; wait $SERVER 2> /dev/null; }
trap 'unserve' EXIT
no_video() { ! ls "$WORK" | grep -q "^$1"; }

if ! serve "$TOP/tests/stream/class"; then
    fail "class: python3 -m http.server did not start: $(head -c 300 "$WORK/http.log")"
else
    out="$WORK/class.mp4"
    "$RETREAT" stream --class "$URL/" --size 320x180 -o "$out" > "$WORK/class.out" 2> "$WORK/class.log"
    status=$?
    if [ $status -ne 0 ]; then
        fail "class: exit $status:"; sed 's/^/    /' "$WORK/class.log"
    elif ! grep -q "class $URL/api/state: 4 participants" "$WORK/class.log"; then
        fail "class: the state was not announced:"; sed 's/^/    /' "$WORK/class.log"
    elif ! grep -q 'GET /api/run/17/runlog' "$WORK/http.log" ||
         ! grep -q 'GET /api/run/18/runlog' "$WORK/http.log"; then
        fail "class: the pass and race run logs were not fetched:"; sed 's/^/    /' "$WORK/http.log"
    elif ! whole "$out"; then
        fail "class: $out does not play to the end"
    else
        pass "class: $(tr '\n' ' ' < "$WORK/probe.txt")from $URL"
    fi
    unserve

    # The same URL, now that nobody listens there.
    "$RETREAT" stream --class "$URL" --size 320x180 -o "$WORK/down.mp4" > /dev/null 2> "$WORK/down.log"
    status=$?
    if [ $status -ne 1 ] || ! grep -q "$URL/api/state" "$WORK/down.log" || ! no_video down.mp4; then
        fail "class-down: exit $status, expected 1, the URL named and no video:"
        sed 's/^/    /' "$WORK/down.log"
    else
        pass "class-down: exit 1, '$(grep -m1 api/state "$WORK/down.log" | cut -c1-100)'"
    fi
fi

# A server that answers the state with a proxy's error page.
mkdir -p "$WORK/badclass/api" && echo '<html>502 Bad Gateway</html>' > "$WORK/badclass/api/state"
if serve "$WORK/badclass"; then
    "$RETREAT" stream --class "$URL" --size 320x180 -o "$WORK/bad.mp4" > /dev/null 2> "$WORK/bad.log"
    status=$?
    if [ $status -ne 1 ] || ! grep -q 'api/state: not valid JSON' "$WORK/bad.log" ||
       ! no_video bad.mp4; then
        fail "class-bad: exit $status, expected 1 naming the bad state, no video:"
        sed 's/^/    /' "$WORK/bad.log"
    else
        pass "class-bad: exit 1, '$(grep -m1 'not valid' "$WORK/bad.log" | cut -c1-100)'"
    fi
    unserve
else
    fail "class-bad: the server did not start"
fi

echo "stream_faults: $passed passed, $failed failed"
[ $failed -eq 0 ]
