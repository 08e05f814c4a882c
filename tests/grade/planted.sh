#!/bin/sh
# planted.sh - does the grader catch what it says it catches?
#
# Plants one bug at a time in a copy of the reference pool (exercise 05),
# grades the copy with `retreat grade --dir`, and checks that the card has
# the line that bug deserves:
#
#   race     the lock around the shared index removed   -> ✗ races  data race
#   leak     40 bytes allocated per item, never freed   -> ✗ memory leak
#   broken   a call to an undeclared function           -> ✗ builds
#   chatty   megabytes of printf from the workers       -> still ✓ correct, ✓ memory
#
# The hang (a deadlock, killed after the timeout) is covered by the unit tests
# of grade_proc with a sleeping program: here it would cost 90 s.
#
# Usage: tests/grade/planted.sh [BUILD]   (from the top of the tree; make
# check-grader runs it). Exits 1 if any card is not as expected.
set -u
BUILD=${1:-build}
RETREAT=$BUILD/retreat
SRC=solutions/05-pool/pool.c
DIR=$BUILD/planted
failures=0

# plant NAME SED-ARGS...: DIR/NAME/05-pool/pool.c, the solution edited by sed.
plant() {
    name=$1
    shift
    mkdir -p "$DIR/$name/05-pool"
    sed "$@" "$SRC" >"$DIR/$name/05-pool/pool.c"
    if cmp -s "$SRC" "$DIR/$name/05-pool/pool.c"; then
        echo "planted.sh: could not plant '$name': $SRC changed shape; update the sed"
        exit 1
    fi
}

# expect NAME LINE...: grades the copy; every LINE (a grep -E pattern) must
# match a line of the card.
expect() {
    name=$1
    shift
    card=$("$RETREAT" grade --build "$BUILD" --dir "$DIR/$name" 5 2>&1)
    for line in "$@"; do
        if ! printf '%s\n' "$card" | grep -Eq -e "$line"; then
            printf '%s\n' "$card"
            echo "planted.sh: ✗ $name: no line matching '$line' on the card above"
            failures=$((failures + 1))
            return
        fi
    done
    echo "planted.sh: ✓ $name: $(printf '%s\n' "$card" | grep -E -e "$1" | head -1 | sed 's/^ *//')"
}

rm -rf "$DIR"
plant race -e 's/pthread_mutex_lock(&p->lock);//' -e 's/pthread_mutex_unlock(&p->lock);//'
plant leak -e 's/^\( *\)batch_process(p->b, i);/&\n\1volatile char *junk = malloc(40);\n\1junk[0] = 1;/'
plant broken -e 's/^\( *\)batch_process(p->b, i);/\1batch_process_all(p->b, i);/'
plant chatty -e 's/^#include <stdlib.h>/#include <stdio.h>\n&/' \
    -e 's/^\( *\)batch_process(p->b, i);/&\n\1for (int k = 0; k < 20000; k++)\n\1    printf("item %zu says %d\\n", i, k);/'

expect race '✗ races +data race.*pool\.c:[0-9]+' '✓ correct'
expect leak '✗ memory +leak: .*allocated in worker\(\) at pool\.c:[0-9]+' '✓ races'
expect broken '✗ builds +.*pool\.c:[0-9]+: undefined reference to .batch_process_all' \
    '- correct +not run'
expect chatty '✓ correct' '✓ memory' '✓ races'

if [ "$failures" -gt 0 ]; then
    echo "planted.sh: $failures planted bug(s) not reported as they should be"
    exit 1
fi
echo "planted.sh: ok: every planted bug is on its card"
