#!/bin/sh
# watch.sh - `make watch N` leaves nothing behind when make is killed.
#
# make watch loops: grade, then inotifywait on the exercise's folder. Killed
# with SIGKILL (not Ctrl-C, which reaches the whole terminal group), make
# cannot pass anything on; its recipe's shell must notice on its own and end,
# with its inotifywait. The test starts `make watch 1`, waits for its
# "watching" line, kills make, and waits for the inotifywait on
# exercises/01-kernel to go - at most WAIT_S seconds, a bound for a broken
# build, not a timing (the loop looks every 2 s).
#
# Usage: tests/grade/watch.sh [BUILD]   (make check-grader runs it)
set -u
BUILD=${1:-build}
WAIT_S=60
LOG=$BUILD/watch-test.log
command -v inotifywait >/dev/null || { echo "watch.sh: needs inotifywait (inotify-tools)"; exit 1; }

watchers() { pgrep -f "inotifywait .*exercises/01-kernel" | wc -l; }
if [ "$(watchers)" -gt 0 ]; then
    echo "watch.sh: an inotifywait on exercises/01-kernel is already running; stop it first"
    exit 1
fi

make --no-print-directory BUILD="$BUILD" watch 1 >"$LOG" 2>&1 &
make_pid=$!
i=0
until grep -q '^watching ' "$LOG"; do
    i=$((i + 1))
    if [ $i -gt $((WAIT_S * 10)) ] || ! kill -0 $make_pid 2>/dev/null; then
        cat "$LOG"
        echo "watch.sh: ✗ make watch 1 never got to its 'watching' line"
        kill $make_pid 2>/dev/null
        exit 1
    fi
    sleep 0.1
done
kill -KILL $make_pid
wait $make_pid 2>/dev/null
i=0
while [ "$(watchers)" -gt 0 ]; do
    i=$((i + 1))
    if [ $i -gt $((WAIT_S * 10)) ]; then
        echo "watch.sh: ✗ inotifywait still watching exercises/01-kernel after make was killed"
        pkill -f "inotifywait .*exercises/01-kernel"
        exit 1
    fi
    sleep 0.1
done
echo "watch.sh: ✓ make watch killed: its inotifywait ended too"
