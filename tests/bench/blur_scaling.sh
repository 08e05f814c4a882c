#!/bin/sh
# blur_scaling.sh - do the concurrent blur styles really use two cores?
#
# Runs `retreat bench --csv` for linear, pool and rows with 2 threads, in one
# run (same machine, same minute), on 10 images: the five workshop photos,
# each twice, upscaled 2x so that there is enough work per image for the
# timing to mean something. The three styles run 3 times, taking turns, and
# each one's fastest run counts. Prints each style's wall time and speedup
# over linear against the target: pool and rows at least 1.7x on 2 cores.
#
#   tests/bench/blur_scaling.sh [--strict] [--keep] [--repeat N] [--sigma S]
#
#   --strict     exit 1 if a target is missed (default: report only, exit 0)
#   --keep       keep the images and the CSV (their folder is printed)
#   --repeat N   runs per style (default 3)
#   --sigma S    blur strength (default 5, the workshop's). A larger sigma
#                makes the blur a larger share of the work; rows, whose
#                row passes cost a little more than the whole-image blur,
#                then trails pool a little more.
#
# The retreat binary is build/retreat, or $RETREAT. Needs ffmpeg to upscale.
# The figures are only as good as the machine is quiet: on a shared box, run
# it when nothing else is compiling, and look at the CPU column - a style that
# shows well under 200% was not given both cores.
set -eu

strict=0
keep=0
repeat=3
sigma=5
while [ $# -gt 0 ]; do
    arg=$1
    shift
    case $arg in
    --strict) strict=1 ;;
    --keep) keep=1 ;;
    --repeat)
        repeat=${1:-}
        shift || true
        ;;
    --sigma)
        sigma=${1:-}
        shift || true
        ;;
    -h | --help)
        sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "blur_scaling.sh: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

top=$(cd "$(dirname "$0")/../.." && pwd)
retreat=${RETREAT:-$top/build/retreat}
target=1.7
if [ ! -x "$retreat" ]; then
    echo "blur_scaling.sh: $retreat not found: run 'make' first, or set RETREAT" >&2
    exit 2
fi
if ! command -v ffmpeg >/dev/null; then
    echo "blur_scaling.sh: ffmpeg not found (Debian package ffmpeg; 'make deps')" >&2
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/blur-scaling-XXXXXX")
if [ "$keep" = 1 ]; then
    echo "keeping images and CSV in $work"
else
    trap 'rm -rf "$work"' EXIT
fi

# Two 2x-upscaled JPEG copies of every workshop photo. JPEG, because the
# results are written as the inputs are named, and stb's PNG encoder would
# make the (serial in some styles) encode phase dominate the blur.
for photo in "$top"/workshop/images/*.png "$top"/workshop/images/*.jpg; do
    name=$(basename "${photo%.*}")
    for copy in 1 2; do
        ffmpeg -nostdin -loglevel error -i "$photo" -vf "scale=iw*2:ih*2" -q:v 3 \
            "$work/$name-$copy.jpg"
    done
done
count=$(find "$work" -name "*.jpg" | wc -l)

echo "blur_scaling: $count images (2x workshop photos), sigma $sigma, 2 threads, best of" \
    "$repeat runs, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$retreat" bench --csv --threads 2 --sigma "$sigma" --repeat "$repeat" \
    --style linear --style pool --style rows "$work"/*.jpg >"$work/bench.csv"

# CSV columns: style,exercise,images,blurred,failed,decode_s,blur_s,encode_s,
#              wall_s,speedup,mpix_per_s,cpu_percent,workers,at_once
awk -F, -v target="$target" -v strict="$strict" '
NR == 1 { next }
{
    verdict = "(baseline)"
    if ($1 != "linear") {
        verdict = ($10 + 0 >= target) ? "PASS" : "MISS"
        if (verdict == "MISS")
            missed++
    }
    if ($5 + 0 > 0) {
        verdict = "FAIL (" $5 " images failed)"
        missed++
    }
    printf "  %-7s wall %6.3f s (decode %5.3f, blur %6.3f, encode %5.3f)  speedup %4.2fx" \
        "  target >= %.1fx  CPU %4.0f%%  %s\n", $1, $9, $6, $7, $8, $10,
        (($1 == "linear") ? 1 : target), $12, verdict
}
END {
    if (missed > 0 && strict == 1)
        exit 1
}' "$work/bench.csv"
