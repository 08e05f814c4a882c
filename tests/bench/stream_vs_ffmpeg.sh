#!/bin/sh
# stream_vs_ffmpeg.sh - is `retreat stream` as fast as ffmpeg at the same job?
#
# Renders and encodes the same number of 720p30 frames both ways, alternating
# in one run (same machine, same minute; best of three rounds each), to FLV:
#   retreat  `retreat stream` drawing the show of a real run log (title,
#            photos, timelines, bar charts) and encoding it
#   ffmpeg   ffmpeg's built-in testsrc2 pattern, encoded with the same
#            settings: libx264 veryfast, zerolatency, Main, yuv420p, CBR
#            3000 kbit/s with HRD, a keyframe every 2 s, scenecut off, plus
#            silent 48 kHz stereo AAC
# and prints frames per second of each and their ratio, against the target:
# retreat at least 0.8x ffmpeg. (ffmpeg's pattern is cheap to draw, and comes
# out as YUV; the show costs more per frame and must be converted from RGB,
# and that cost is part of what is measured.) The CPU seconds per 100 frames
# are printed too: on a busy machine wall times jump, CPU times much less.
#
#   tests/bench/stream_vs_ffmpeg.sh [--strict] [--keep] [SECONDS]
#
#   SECONDS    video length of each run (default 20: 600 frames)
#   --strict   exit 1 if the target is missed (default: report only, exit 0)
#   --keep     keep the videos and the run log (their folder is printed)
#
# The retreat binary is build/retreat, or $RETREAT. Needs ffmpeg. The run
# log comes from `retreat bench` on the workshop photos, made first and not
# timed. On a shared box, run it when nothing else is compiling.
set -eu

strict=0
keep=0
seconds=20
for arg in "$@"; do
    case $arg in
    --strict) strict=1 ;;
    --keep) keep=1 ;;
    -h | --help)
        sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    [0-9]*) seconds=$arg ;;
    *)
        echo "stream_vs_ffmpeg.sh: unknown argument '$arg' (try --help)" >&2
        exit 2
        ;;
    esac
done

top=$(cd "$(dirname "$0")/../.." && pwd)
retreat=${RETREAT:-$top/build/retreat}
target=0.8
frames=$((seconds * 30))
[ -x "$retreat" ] || { echo "stream_vs_ffmpeg.sh: $retreat not built (make)" >&2; exit 2; }
command -v ffmpeg >/dev/null || { echo "stream_vs_ffmpeg.sh: needs ffmpeg" >&2; exit 2; }

dir=$(mktemp -d /tmp/retreat-stream-bench-XXXXXX)
if [ $keep = 0 ]; then trap 'rm -rf "$dir"' EXIT; fi

cd "$top"
"$retreat" bench --run-log "$dir/run.jsonl" workshop/images/*.png workshop/images/*.jpg >/dev/null

now() { date +%s.%N; }

run_retreat() {
    "$retreat" stream --run-log "$dir/run.jsonl" --duration "$seconds" -o "$dir/retreat.flv" \
        >"$dir/retreat.txt" 2>&1 || { cat "$dir/retreat.txt" >&2; exit 1; }
}
run_ffmpeg() {
    ffmpeg -v error -y -f lavfi -i "testsrc2=size=1280x720:rate=30" \
        -f lavfi -i "anullsrc=r=48000:cl=stereo" -frames:v "$frames" -shortest \
        -c:v libx264 -preset veryfast -tune zerolatency -profile:v main -pix_fmt yuv420p \
        -b:v 3000k -maxrate 3000k -minrate 3000k -bufsize 3000k -nal-hrd cbr \
        -g 60 -keyint_min 60 -sc_threshold 0 -forced-idr 1 \
        -c:a aac -b:a 128k -f flv "$dir/ffmpeg.flv"
}

# CPU seconds (user + system) used by all children so far: the second line
# of the shell's `times` ("0m1.5s 0m0.2s"). It must run in this shell, not in
# a $(...) subshell, whose children are not ours: hence the file.
cpu() { awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$dir/times"; }

# Three rounds, alternating, keeping each side's best wall time: a burst of
# load from elsewhere on the machine then spoils one round, not the
# comparison. CPU time is summed over the rounds: it is what the work costs,
# whoever else is using the machine.
best_r=999999
best_f=999999
cpu_r=0
cpu_f=0
for round in 1 2 3; do
    times >"$dir/times"; c0=$(cpu)
    t0=$(now); run_retreat; t1=$(now)
    times >"$dir/times"; c1=$(cpu)
    run_ffmpeg; t2=$(now)
    times >"$dir/times"; c2=$(cpu)
    best_r=$(echo "$t0 $t1 $best_r" | awk '{ t = $2 - $1; print (t < $3) ? t : $3 }')
    best_f=$(echo "$t1 $t2 $best_f" | awk '{ t = $2 - $1; print (t < $3) ? t : $3 }')
    cpu_r=$(echo "$c0 $c1 $cpu_r" | awk '{ print $3 + $2 - $1 }')
    cpu_f=$(echo "$c1 $c2 $cpu_f" | awk '{ print $3 + $2 - $1 }')
done

count() {
    ffprobe -v error -select_streams v -count_packets -show_entries stream=nb_read_packets \
        -of csv=p=0 "$1"
}
got_r=$(count "$dir/retreat.flv")
got_f=$(count "$dir/ffmpeg.flv")

awk -v fr="$got_r" -v ff="$got_f" -v tr="$best_r" -v tf="$best_f" -v cr="$cpu_r" -v cf="$cpu_f" \
    -v target="$target" -v strict="$strict" 'BEGIN {
    r = fr / tr; f = ff / tf
    printf "%-8s %7s %8s %9s %10s   (1280x720, 30 fps; wall: best of 3 rounds)\n", \
        "encoder", "frames", "wall s", "frames/s", "CPU s/100f"
    printf "%-8s %7d %8.2f %9.1f %10.2f\n", "retreat", fr, tr, r, cr / 3 / fr * 100
    printf "%-8s %7d %8.2f %9.1f %10.2f\n", "ffmpeg", ff, tf, f, cf / 3 / ff * 100
    ratio = r / f
    ok = ratio >= target
    printf "retreat / ffmpeg: %.2fx frames/s (target >= %.1fx): %s;", ratio, target, ok ? "met" : "MISSED"
    printf " %.2fx by CPU time per frame\n", (cf / ff) / (cr / fr)
    exit (strict && !ok) ? 1 : 0
}'
if [ $keep = 1 ]; then echo "kept in $dir"; fi
