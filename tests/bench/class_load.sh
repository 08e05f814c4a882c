#!/bin/sh
# class_load.sh - a room's worth of load on `retreat class` (issue 12, item 7).
#
#   tests/bench/class_load.sh [RETREAT [PARTICIPANTS [CARDS]]]
#       (default build/retreat 200 14; builds build/bench/class_load if needed)
#
# Starts `retreat class` on loopback with a scratch database, then
# build/bench/class_load (tests/bench/class_load.c): PARTICIPANTS simulated
# participants, all at once, each posting CARDS grade cards with run logs one
# after another. The loop is bounded and ends by itself. Reports:
#   - sent / accepted / refused / failed posts, and whether any was lost: the
#     server's own count of runs (its newest run number, from api/state) must
#     equal the posts sent;
#   - p50 and p99 post latency;
#   - the server's peak memory (VmHWM of /proc/PID/status);
#   - the frames `retreat stream --class` (rendering live meanwhile) had to
#     repeat or drop, against a target of under 1%.
# PASS when nothing is lost; latency and memory are figures, not targets (a
# shared machine makes timings noisy: compare runs on one machine).
#
# The participants' rate limit (30 in a burst) is above 14 cards each, so
# no post is refused for it; see class_load.c.
set -eu

RETREAT=${1:-build/retreat}
PARTICIPANTS=${2:-200}
CARDS=${3:-14}
LOAD=build/bench/class_load
[ -x "$RETREAT" ] || { echo "class_load: FAIL: no $RETREAT (build it first)"; exit 1; }
[ -x "$LOAD" ] || make --no-print-directory -s "$LOAD" || { echo "class_load: FAIL: cannot build $LOAD"; exit 1; }

tmp=$(mktemp -d /tmp/retreat-class-load-XXXXXX)
server=
stream=
cleanup() {
    [ -n "$stream" ] && kill "$stream" 2>/dev/null || true
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$RETREAT" class --port 0 --db "$tmp/class.db" > "$tmp/out" 2> "$tmp/err" &
server=$!
i=0
until grep -q "press Ctrl-C" "$tmp/out" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 200 ] || { echo "class_load: FAIL: retreat class did not start"; cat "$tmp/err"; exit 1; }
    sleep 0.1
done
url=$(sed -n 's/^join: make join //p' "$tmp/out")

# While the posts arrive, `retreat stream --class` renders the class live
# (paced to the wall clock, as on Twitch: an empty --watch folder makes the
# show live) into a file; its last line counts the frames it had to repeat
# or drop to keep time (target: under 1% of frames).
mkdir "$tmp/watch"
"$RETREAT" stream --class "$url" --watch "$tmp/watch" -o "$tmp/class.mp4" \
    > "$tmp/stream.out" 2> "$tmp/stream.err" &
stream=$!
i=0
until grep -q "frame " "$tmp/stream.err" 2>/dev/null; do
    i=$((i + 1))
    [ $i -le 300 ] || { echo "class_load: FAIL: retreat stream did not start"; cat "$tmp/stream.err"; exit 1; }
    sleep 0.1
done

echo "class_load: $PARTICIPANTS participants x $CARDS cards against $url"
status=0
"$LOAD" "$url" "$PARTICIPANTS" "$CARDS" > "$tmp/load.txt" || status=$?
cat "$tmp/load.txt"

sent=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$tmp/load.txt")
runs=$(curl -s "${url}api/state" | sed -n 's/.*"recent":\[{"run":\([0-9]*\),.*/\1/p')
hwm=$(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$server/status")
rss=$(sed -n 's/^VmRSS:[[:space:]]*//p' "/proc/$server/status")
db=$(du -k "$tmp/class.db" "$tmp/class.db-wal" 2>/dev/null | awk '{s += $1} END {print s}')
echo "server: runs stored ${runs:-?}, peak memory (VmHWM) $hwm, now (VmRSS) $rss, database ${db} KiB"

# Let the stream draw the final state for a refresh period, then stop it.
sleep 12
kill -INT "$stream"
wait "$stream" || true
frames=$(grep "frame " "$tmp/stream.err" | tail -n 1)
echo "stream: ${frames#retreat stream: }"
late=$(echo "$frames" | sed -n 's/.*frame \([0-9]*\),.* \([0-9]*\) repeated, \([0-9]*\) dropped.*/\1 \2 \3/p')
set -- $late
if [ $# -eq 3 ] && [ "$1" -gt 0 ]; then
    echo "stream: $(( ($2 + $3) * 1000 / $1 )) per mille of frames repeated or dropped (target < 10)"
    [ $(( ($2 + $3) * 100 )) -lt "$1" ] || { echo "class_load: MISS: the stream fell behind"; status=1; }
else
    echo "class_load: MISS: no frame count from the stream"; status=1
fi

kill -INT "$server"
wait "$server" || true
server=

if [ "$status" -eq 0 ] && [ "${runs:-0}" = "$sent" ]; then
    echo "class_load: PASS: no upload lost ($sent sent, $runs stored)"
else
    echo "class_load: MISS: $sent sent, ${runs:-?} stored, load exit status $status"
    exit 1
fi
