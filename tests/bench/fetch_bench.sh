#!/bin/sh
# fetch_bench.sh - how far does waiting in parallel go? The fetch styles
# against curl's own parallel mode, on the embedded comic server (loopback).
#
# Three measurements, each against its target:
#  1. 1,000 URLs that each take 100 ms to answer: fetch-multi and fetch-events
#     finish within 2x one latency (200 ms), and no slower than
#     `curl --parallel --parallel-max 300` fetching the same URLs, side by
#     side in one run.
#  2. fetch-events holds 10,000 transfers in flight on one thread (URLs that
#     answer after 3 s) without an error; its peak memory (maximum resident
#     set size, /usr/bin/time -v) and peak in-flight count (run log) are
#     printed.
#  3. The comic reader over 200 feeds (a feed, then a HEAD of its comic page,
#     100 ms mean latency): every concurrent style finishes in under 3x the
#     longest chain of dependent requests (build/bench/fetch_comics).
#
#   tests/bench/fetch_bench.sh [--strict] [--skip-10k]
#
#   --strict     exit 1 if a target is missed (default: report only, exit 0)
#   --skip-10k   leave out measurement 2 (it needs 20,000 file descriptors)
#
# The binaries are build/retreat and build/bench/fetch_comics, or $RETREAT
# and $FETCH_COMICS. Needs curl (Debian package curl). Everything runs on
# 127.0.0.1; the servers started here are stopped on exit.
set -eu

strict=0
skip10k=0
while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
    --strict) strict=1 ;;
    --skip-10k) skip10k=1 ;;
    -h | --help)
        sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "fetch_bench.sh: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

top=$(cd "$(dirname "$0")/../.." && pwd)
retreat=${RETREAT:-$top/build/retreat}
comics=${FETCH_COMICS:-$top/build/bench/fetch_comics}
for bin in "$retreat" "$comics"; do
    if [ ! -x "$bin" ]; then
        echo "fetch_bench.sh: $bin not found: run 'make' and 'make bench-tools' first" >&2
        exit 2
    fi
done
if ! command -v curl >/dev/null; then
    echo "fetch_bench.sh: curl not found (Debian package curl; 'make deps')" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/fetch-bench-XXXXXX")
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

missed=0
verdict() { # verdict OK|MISSED text
    echo "  -> $1: $2"
    [ "$1" = OK ] || missed=1
}

# Starts `retreat serve` on a free port with the given comic count; sets
# $base to http://127.0.0.1:PORT once it answers.
serve() {
    [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
    "$retreat" serve --port 0 --count "$1" --latency 100 --jitter 0 >"$work/serve.out" 2>&1 &
    server=$!
    base=
    for _ in $(seq 50); do
        base=$(sed -n 's|^serving .* at \(http://[^/]*\)/feeds.txt$|\1|p' "$work/serve.out")
        [ -n "$base" ] && return 0
        sleep 0.1
    done
    echo "fetch_bench.sh: retreat serve did not start:" >&2
    cat "$work/serve.out" >&2
    exit 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The "wall time" line of `retreat fetch`, in milliseconds.
wall_ms() { awk '/^wall time/ { printf "%d", $3 * 1000 }' "$1"; }

# --- 1. 1,000 URLs at 100 ms: the multi styles against curl --parallel --------
echo "1. 1000 URLs, each answered after 100 ms"
serve 1000
: >"$work/urls.txt"
: >"$work/curl.cfg"
for i in $(seq 0 999); do
    url="$base/feed/$i.xml?latency=100"
    echo "$url" >>"$work/urls.txt"
    printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >>"$work/curl.cfg"
done
"$retreat" fetch --style fetch-events --urls "$work/urls.txt" >/dev/null 2>&1 || true # warm-up

# Each contender runs 3 times, taking turns; its fastest run counts. The
# styles are timed twice: from inside (the style's own wall time, for the
# 2x-latency target) and from outside (the whole process, like curl's). curl
# gets --parallel-immediate: without it, curl queues transfers on the first
# connection hoping to multiplex them (HTTP/2), and against an HTTP/1.1
# server they then run one after another.
best() { [ -z "$1" ] || [ "$2" -lt "$1" ] && echo "$2" || echo "$1"; }
ms_fetch_multi= ms_fetch_events= ps_fetch_multi= ps_fetch_events= ms_curl= failed=0
for _ in 1 2 3; do
    for style in fetch-multi fetch-events; do
        t0=$(now_ms)
        "$retreat" fetch --style "$style" --urls "$work/urls.txt" >"$work/$style.out" 2>&1 ||
            failed=$((failed + $(awk '/^failed/ { print $2 }' "$work/$style.out")))
        t1=$(now_ms)
        var=$(echo $style | tr - _)
        eval "ms_$var=\$(best \"\$ms_$var\" $(wall_ms "$work/$style.out"))"
        eval "ps_$var=\$(best \"\$ps_$var\" $((t1 - t0)))"
    done
    t0=$(now_ms)
    curl --parallel --parallel-immediate --parallel-max 300 --silent --no-progress-meter \
        --fail -K "$work/curl.cfg" 2>"$work/curl.err" || failed=$((failed + 1))
    ms_curl=$(best "$ms_curl" $(($(now_ms) - t0)))
done
printf '  %-34s %8s %10s\n' "fastest of 3 runs" "style_ms" "process_ms"
printf '  %-34s %8d %10d\n' "retreat fetch --style fetch-multi" "$ms_fetch_multi" "$ps_fetch_multi"
printf '  %-34s %8d %10d\n' "retreat fetch --style fetch-events" "$ms_fetch_events" "$ps_fetch_events"
printf '  %-34s %8s %10d\n' "curl --parallel-max 300" "-" "$ms_curl"
[ "$failed" = 0 ] || verdict MISSED "$failed failed transfers or runs"
for style in multi events; do
    eval "ms=\$ms_fetch_$style ps=\$ps_fetch_$style"
    if [ "$ms" -le 200 ]; then
        verdict OK "fetch-$style took ${ms} ms <= 2 x 100 ms"
    else
        verdict MISSED "fetch-$style took ${ms} ms (target: <= 2 x 100 ms)"
    fi
    if [ "$ps" -le "$ms_curl" ]; then
        verdict OK "fetch-$style's process took ${ps} ms <= curl's ${ms_curl} ms"
    else
        verdict MISSED "fetch-$style's process took ${ps} ms (target: <= curl's ${ms_curl} ms)"
    fi
done

# --- 2. 10,000 transfers in flight on one thread --------------------------------
if [ "$skip10k" = 0 ]; then
    echo "2. fetch-events, 10000 URLs in flight at once (each answered after 3 s)"
    serve 10000
    : >"$work/urls10k.txt"
    for i in $(seq 0 9999); do
        echo "$base/feed/$i.xml?latency=3000" >>"$work/urls10k.txt"
    done
    /usr/bin/time -v "$retreat" fetch --style fetch-events --timeout 60000 \
        --urls "$work/urls10k.txt" >"$work/10k.out" 2>"$work/10k.err" || true
    failed=$(awk '/^failed/ { print $2 }' "$work/10k.out")
    peak=$(awk '/^peak inflight/ { print $3 }' "$work/10k.out")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/10k.err")
    echo "  wall $(wall_ms "$work/10k.out") ms, failed ${failed:-?}, peak in flight ${peak:-?}," \
        "peak memory ${rss:-?} KiB"
    if [ "${failed:-1}" = 0 ] && [ "${peak:-0}" -ge 10000 ]; then
        verdict OK "10000 transfers in flight at once, none failed"
    else
        verdict MISSED "expected 10000 in flight and 0 failed"
        grep -m 3 'retreat fetch:' "$work/10k.err" | sed 's/^/     /' || true
    fi
fi

# --- 3. The comic reader: chains of dependent requests --------------------------
echo "3. comic reader, 200 feeds: feed + HEAD each, 100 ms mean latency"
[ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
server=
"$comics" 200 100 >"$work/comics.out" 2>&1 || true
sed 's/^/  /' "$work/comics.out"
for style in fetch-multi fetch-events fetch-threads; do
    x=$(awk -v s="$style" '$1 == s { print $4 }' "$work/comics.out")
    if [ -n "$x" ] && awk -v x="$x" 'BEGIN { exit !(x < 3) }'; then
        verdict OK "$style finished in ${x}x the longest chain (< 3x)"
    else
        verdict MISSED "$style: ${x:-no result}x the longest chain (target < 3x)"
    fi
done

if [ "$missed" = 1 ] && [ "$strict" = 1 ]; then
    exit 1
fi
exit 0
