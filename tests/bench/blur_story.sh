#!/bin/sh
# blur_story.sh - the story the bar chart of demo.mp4 tells, as ratios with
# PASS or MISS, measured in one run (same machine, same minute).
#
# Runs `retreat bench --csv` for every blur style with 2 threads at sigma 5
# on the workshop photos (the eight camera-size photos of src/core/photos.h,
# the default of `retreat bench` and `make demo`), each style its fastest of --repeat runs,
# taken in turns. Then checks, side by side (issue 9, point 5):
#
#   blur share   linear's blur phase is at least half its wall time
#   pool         at least 1.8x linear
#   rows         at least 1.6x linear, and, beside it, what Amdahl's law
#                allows rows on these photos: its bands split the blur, but
#                decode and encode stay on one thread
#   one photo    rows beats pool on the largest photo file alone: pool has one
#                image for two threads, rows splits it (the lesson of 06)
#   fast         faster than pool (exercise 08 beats the best exact style)
#   expert       faster than every other style (beyond the ladder)
#
#   tests/bench/blur_story.sh [--strict] [--repeat N] [--sigma S] [PHOTO...]
#
#   --strict     exit 1 if a target is missed (default: report only, exit 0)
#   --repeat N   runs per style (default 3)
#   --sigma S    blur strength (default 5, the workshop's)
#   PHOTO...     other photos (default: the workshop photos)
#
# The retreat binary is build/retreat, or $RETREAT. The figures are only as
# good as the machine is quiet: look at the CPU column - a concurrent style
# well under 200% was not given both cores (under 150%, a NOTE says so).
set -eu

strict=0
repeat=3
sigma=5
while [ $# -gt 0 ]; do
    case $1 in
    --strict) strict=1 ;;
    --repeat)
        repeat=${2:-}
        shift
        ;;
    --sigma)
        sigma=${2:-}
        shift
        ;;
    -h | --help)
        sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "blur_story.sh: unknown option '$1' (try --help)" >&2
        exit 2
        ;;
    *) break ;;
    esac
    shift
done

top=$(cd "$(dirname "$0")/../.." && pwd)
retreat=${RETREAT:-$top/build/retreat}
if [ ! -x "$retreat" ]; then
    echo "blur_story.sh: $retreat not found: run 'make' first, or set RETREAT" >&2
    exit 2
fi

csv=$(mktemp "${TMPDIR:-/tmp}/blur-story-XXXXXX.csv")
one=$(mktemp "${TMPDIR:-/tmp}/blur-story-one-XXXXXX.csv")
trap 'rm -f "$csv" "$one"' EXIT
echo "blur_story: ${#:-0} photos (0: the workshop photos), sigma $sigma, 2 threads, best of $repeat runs," \
    "$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$retreat" bench --csv --threads 2 --sigma "$sigma" --repeat "$repeat" "$@" >"$csv"

# The largest photo of the set (by file size), for the one-photo run.
largest=$("$retreat" bench --list "$@" | while IFS= read -r f; do
    printf '%s\t%s\n' "$(wc -c <"$f")" "$f"
done | sort -rn | head -n 1 | cut -f 2-)
"$retreat" bench --csv --threads 2 --sigma "$sigma" --repeat "$repeat" \
    --style pool --style rows "$largest" >"$one"
echo "one photo: $(basename "$largest")"

# CSV columns: style,exercise,images,blurred,failed,decode_s,blur_s,encode_s,
#              wall_s,speedup,mpix_per_s,cpu_percent,workers,at_once
awk -F, -v strict="$strict" '
FNR == 1 { file++; next }
file == 2 { one[$1] = $9 + 0; next }
{
    n++
    name[n] = $1; wall[$1] = $9 + 0; blur[$1] = $7 + 0; cpu[$1] = $12 + 0
    if ($5 + 0 > 0) {
        printf "  FAIL  %s: %s images failed\n", $1, $5
        missed++
    }
}
function verdict(ok) {
    if (!ok)
        missed++
    return ok ? "PASS" : "MISS"
}
function need(style) {
    if (!(style in wall) || wall[style] <= 0) {
        printf "  MISS  no run of %s in the table\n", style
        missed++
        return 0
    }
    return 1
}
END {
    printf "  %-9s %8s %8s %6s\n", "style", "wall s", "vs linear", "CPU"
    for (i = 1; i <= n; i++)
        printf "  %-9s %8.3f %8.2fx %5.0f%%\n", name[i], wall[name[i]],
            (wall[name[i]] > 0 && ("linear" in wall)) ? wall["linear"] / wall[name[i]] : 0,
            cpu[name[i]]
    print ""
    # A concurrent style given both cores shows 150% or more; well under
    # that, the machine was busy and the ratios below say little. Not rows:
    # its second thread waits while the first decodes and encodes (Amdahl),
    # so it stays under 150% by design.
    starved = ""
    for (i = 1; i <= n; i++)
        if (name[i] != "linear" && name[i] != "rows" && cpu[name[i]] < 150)
            starved = starved " " name[i]
    if (starved != "")
        printf "  NOTE  starved (CPU under 150%%):%s - another process had a core; measure again\n\n", starved
    if (need("linear")) {
        share = blur["linear"] / wall["linear"]
        printf "  %s  linear: blur phase %.0f%% of its wall time (target >= 50%%)\n",
            verdict(share >= 0.5), 100 * share
    }
    if (need("linear") && need("pool")) {
        r = wall["linear"] / wall["pool"]
        printf "  %s  pool: %.2fx linear (target >= 1.8x)\n", verdict(r >= 1.8), r
    }
    if (need("linear") && need("rows")) {
        r = wall["linear"] / wall["rows"]
        # Amdahl: only the blur is split; decode and encode stay serial.
        bound = wall["linear"] / (wall["linear"] - blur["linear"] / 2)
        printf "  %s  rows: %.2fx linear (target >= 1.6x; Amdahl allows rows %.2fx here)\n",
            verdict(r >= 1.6), r, bound
        if (blur["rows"] > 0)
            printf "  info  rows: blur phase %.2fx as fast as linear'"'"'s\n",
                blur["linear"] / blur["rows"]
    }
    if (("pool" in one) && ("rows" in one) && one["rows"] > 0) {
        r = one["pool"] / one["rows"]
        printf "  %s  one photo: rows %.2fx pool (target > 1x: bands use both cores)\n",
            verdict(r > 1), r
    } else {
        printf "  MISS  no one-photo run of pool and rows\n"
        missed++
    }
    if (need("fast") && need("pool")) {
        r = wall["pool"] / wall["fast"]
        printf "  %s  fast: %.2fx pool (target > 1x: exercise 08 beats the exact styles)\n",
            verdict(r > 1), r
    }
    if (need("expert")) {
        best = 0
        for (i = 1; i <= n; i++)
            if (name[i] != "expert" && (best == 0 || wall[name[i]] < best)) {
                best = wall[name[i]]; rival = name[i]
            }
        r = best > 0 ? best / wall["expert"] : 0
        printf "  %s  expert: %.2fx the fastest other style, %s (target > 1x)\n",
            verdict(r > 1), r, rival
    }
    print ""
    printf "  %d target(s) missed\n", missed
    if (missed > 0 && strict == 1)
        exit 1
}' "$csv" "$one"
