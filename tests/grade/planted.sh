#!/bin/sh
# planted.sh - does the grader catch what it says it catches?
#
# Plants one bug at a time in a copy of a reference solution (the pool, 05,
# unless said), grades the copy with `retreat grade --dir`, and checks that
# the card has the line that bug deserves:
#
#   race     the lock around the shared index removed   -> ✗ races  data race
#   leak     40 bytes allocated per item, never freed   -> ✗ memory leak
#   broken   a call to an undeclared function           -> ✗ builds
#   chatty   megabytes of printf from the workers       -> still ✓ correct, ✓ memory
#   dead     a worker returns holding the lock          -> ✗ correct: a deadlock, where
#            each thread waits (pthread_mutex_lock at pool.c:25, held by a thread
#            that has ended); races and memory still run, and stop on their own
#   barrier  06 rows: thread 1 leaves before a barrier         -> ✗ correct: pthread_barrier_wait
#   big      malloc and touch 10 GiB                    -> ✗ memory: asked for 10 GiB; limit 2 GiB
#   setsid   a worker's child leaves with setsid()      -> ✗ memory: left 1 process running;
#            and no process of it survives the grade
#   bomb     every item forks 40 sleeping children      -> ✗ correct: over the process limit;
#            and none of them survives the grade
#   skeleton the untouched 01 skeleton (returns at once) -> - memory: not judged, no ✓
#
# A hang is found by the lack of progress (GRADE_STALL_S, 10 s), not by a
# clock: the planted deadlocks hang forever, so the card cannot come out
# any other way.
#
# Usage: tests/grade/planted.sh [BUILD] [CASE...]   (from the top of the
# tree; make check-grader runs them all). Exits 1 if any card is not as
# expected.
set -u
BUILD=${1:-build}
[ $# -gt 0 ] && shift
ONLY="$*"
RETREAT=$BUILD/retreat
DIR=$BUILD/planted
failures=0

# plant NAME EXERCISE SED-ARGS...: DIR/NAME/NN-name/FILE, the solution edited by sed.
plant() {
    name=$1
    ex=$2
    shift 2
    src=$(ls solutions/"$ex"/*.c | head -1)
    mkdir -p "$DIR/$name/$ex"
    sed "$@" "$src" >"$DIR/$name/$ex/$(basename "$src")"
    if cmp -s "$src" "$DIR/$name/$ex/$(basename "$src")"; then
        echo "planted.sh: could not plant '$name': $src changed shape; update the sed"
        exit 1
    fi
}

wanted() {
    [ -z "$ONLY" ] && return 0
    case " $ONLY " in *" $1 "*) return 0 ;; esac
    return 1
}

# expect NAME N LINE...: grades the copy as exercise N; every LINE (a grep -E
# pattern) must match a line of the card (wrapped lines joined first).
expect() {
    name=$1
    n=$2
    shift 2
    wanted "$name" || return 0
    card=$("$RETREAT" grade --build "$BUILD" --dir "$DIR/$name" "$n" 2>&1)
    flat=$(printf '%s\n' "$card" | awk '/^                [^ ]/ { sub(/^ +/, " "); printf "%s", $0; next }
                                         { printf "\n%s", $0 } END { print "" }')
    for line in "$@"; do
        if ! printf '%s\n' "$flat" | grep -Eq -e "$line"; then
            printf '%s\n' "$card"
            echo "planted.sh: ✗ $name: no line matching '$line' on the card above"
            failures=$((failures + 1))
            return
        fi
    done
    echo "planted.sh: ✓ $name: $(printf '%s\n' "$flat" | grep -E -e "$1" | head -1 | sed 's/^ *//')"
}

# run_files NAME VERDICT: the card of the last expect names its run log and
# that log's trace; the log ends with the end mark of the exercise and its
# verdict (docs/RUNLOG.md), and the trace is Chrome Trace Event JSON.
run_files() {
    wanted "$1" || return 0
    log=$(printf '%s\n' "$card" | sed -n 's/^ *run log: *//p')
    trace=$(printf '%s\n' "$card" | sed -n 's/^ *trace: *\([^ ]*\).*/\1/p')
    if [ -z "$log" ] || [ -z "$trace" ]; then
        echo "planted.sh: ✗ $1: the card names no run log or no trace"
        failures=$((failures + 1))
    elif ! tail -n 1 "$log" | grep -q "\"phase\":\"end\".*\"detail\":\"$2\""; then
        echo "planted.sh: ✗ $1: $log does not end with the end mark '$2': $(tail -n 1 "$log")"
        failures=$((failures + 1))
    elif ! grep -q '"traceEvents"' "$trace" || ! grep -q '"ph": *"X"' "$trace"; then
        echo "planted.sh: ✗ $1: $trace is not a trace with slices"
        failures=$((failures + 1))
    else
        echo "planted.sh: ✓ $1: run log ends '$2', trace $trace"
    fi
}

# none_left NAME COMM: no process named COMM (prctl PR_SET_NAME in the plant)
# may be alive after the grade.
none_left() {
    wanted "$1" || return 0
    left=$(pgrep -x "$2" | wc -l)
    if [ "$left" -gt 0 ]; then
        echo "planted.sh: ✗ $1: $left process(es) '$2' survived the grade"
        pkill -KILL -x "$2"
        failures=$((failures + 1))
    else
        echo "planted.sh: ✓ $1: no process '$2' survived the grade"
    fi
}

rm -rf "$DIR"
# The pool's worker, for reference (solutions/05-pool/pool.c):
#     pthread_mutex_lock(&p->lock);            line 25
#     size_t i = p->next;
#     if (i < p->b->count) ...
#     pthread_mutex_unlock(&p->lock);
#     if (i >= p->b->count) return NULL;
#     batch_process(p->b, i);
plant race 05-pool -e 's/pthread_mutex_lock(&p->lock);//' -e 's/pthread_mutex_unlock(&p->lock);//'
plant leak 05-pool -e 's/^\( *\)batch_process(p->b, i);/&\n\1volatile char *junk = malloc(40);\n\1junk[0] = 1;/'
plant broken 05-pool -e 's/^\( *\)batch_process(p->b, i);/\1batch_process_all(p->b, i);/'
plant chatty 05-pool -e 's/^#include <stdlib.h>/#include <stdio.h>\n&/' \
    -e 's/^\( *\)batch_process(p->b, i);/&\n\1for (int k = 0; k < 20000; k++)\n\1    printf("item %zu says %d\\n", i, k);/'
plant dead 05-pool \
    -e 's/^\( *\)if (i < p->b->count)$/\1if (i >= p->b->count)\n\1    return NULL; \/* planted: returns holding the lock *\/\n&/'
plant barrier 06-rows \
    -e 's|^\( *\)if (job->done)$|\1if (job->done \|\| me->t == 1) /* planted: thread 1 leaves before any barrier */|'
plant big 05-pool -e 's/^#include <stdlib.h>/#include <string.h>\n&/' \
    -e 's/^\( *\)batch_process(p->b, i);/&\n\1char *big = malloc(10ull << 30); \/* planted: 10 GiB *\/\n\1memset(big, 1, 10ull << 30);\n\1free(big);/'
plant setsid 05-pool -e 's/^#include <stdlib.h>/#include <sys\/prctl.h>\n#include <unistd.h>\n&/' \
    -e 's/^\( *\)batch_process(p->b, i);/&\n\1if (i == 0 \&\& fork() == 0) { \/* planted: a child that leaves *\/\n\1    setsid();\n\1    prctl(PR_SET_NAME, "planted-setsid");\n\1    sleep(120);\n\1    _exit(0);\n\1}/'
plant bomb 05-pool -e 's/^#include <stdlib.h>/#include <sys\/prctl.h>\n#include <unistd.h>\n&/' \
    -e 's/^\( *\)batch_process(p->b, i);/&\n\1for (int k = 0; k < 40; k++) \/* planted: 40 children an item *\/\n\1    if (fork() == 0) {\n\1        prctl(PR_SET_NAME, "planted-bomb");\n\1        sleep(120);\n\1        _exit(0);\n\1    }/'

mkdir -p "$DIR/skeleton/01-kernel" && cp exercises/01-kernel/kernel.c "$DIR/skeleton/01-kernel/"

expect race 5 '✗ races +data race.*pool\.c:[0-9]+' '✓ correct'
expect leak 5 '✗ memory +leak: .*allocated in worker\(\) at pool\.c:[0-9]+' '✓ races'
run_files leak '1 check failed'
expect broken 5 '✗ builds +.*pool\.c:[0-9]+: undefined reference to .batch_process_all' \
    '- correct +not run'
expect chatty 5 '✓ correct' '✓ memory' '✓ races'
expect dead 5 '✗ correct +no progress for 1[0-9] s .*a deadlock\?' \
    'thread [0-9]+ waits in pthread_mutex_lock at pool\.c:25 for a mutex held by a thread that has ended' \
    'waits in pthread_join at pool\.c:[0-9]+' \
    '✗ races +no progress for' '✗ memory +no progress for' '- speedup +not timed: an earlier step hung'
expect barrier 6 '✗ correct +no progress for 1[0-9] s .*a deadlock\?' \
    'wait(s)? in pthread_barrier_wait at rows\.c:[0-9]+' '✗ races ' '✗ memory +no progress for'
expect big 5 '✗ memory +your program asked for 10 GiB at once \(in worker\(\) at pool\.c:[0-9]+\); the limit is 2 GiB'
expect setsid 5 '✗ memory +your program left 1 process running after it returned'
none_left setsid planted-setsid
expect bomb 5 '✗ correct +stopped after .*your program ran [0-9]+ processes at once; the limit is 64'
none_left bomb planted-bomb
expect skeleton 1 "- memory +no report, but not judged while 'correct' fails" '✗ correct'

if [ "$failures" -gt 0 ]; then
    echo "planted.sh: $failures planted bug(s) not reported as they should be"
    exit 1
fi
echo "planted.sh: ok: every planted bug is on its card"
