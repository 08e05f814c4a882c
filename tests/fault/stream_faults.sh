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
#                    no broken video under the real name, no temporary file.
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

echo "stream_faults: $passed passed, $failed failed"
[ $failed -eq 0 ]
