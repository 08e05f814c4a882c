#!/bin/sh
# planted_evidence.sh - does each mistake of issue 10 fail the check that
# should catch it, with a message that names the cause?
#
# Each case is a patch, tests/grade/planted/NAME--NN-name.patch (see its
# README), against the current reference solution solutions/NN-name/: the
# script copies that folder to $BUILD/planted-evidence/NAME/NN-name/, applies
# the patch there, grades the copy with
# `retreat grade --dir $BUILD/planted-evidence/NAME N` and checks that the
# card has the expected line: the failed check, and words of the explanation.
# A patch that no longer applies fails loudly, naming its case.
#
# Two planted cases are left out on purpose, because their failure is a
# matter of chance and this script must not be: split-take (REPEAT=20 finds
# it; see docs/GRADING.md) and detached--14-capstone (the sanitizer sees the
# freed channel only if a worker touches it before the process ends).
#
# The alt-* patches are correct alternatives (an atomic_fetch_add counter, the
# calling thread as a worker, curl_multi_wait): every check must pass.
#
# Usage: tests/grade/planted_evidence.sh [BUILD]   (from the top of the tree;
# about 6 minutes on two cores). Exits 1 if any card is not as expected.
set -u
BUILD=${1:-build}
RETREAT=$BUILD/retreat
P=tests/grade/planted
SCRATCH=$BUILD/planted-evidence
failures=0

# planted NAME N: copies solutions/NN-name/ to $SCRATCH/NAME/NN-name/, applies
# $P/NAME--NN-name.patch there and prints $SCRATCH/NAME, the folder for
# `retreat grade --dir`; says which case and fails if the patch does not apply.
planted() {
    name=$1 n=$(printf '%02d' "$2")
    sol=$(ls -d solutions/"$n"-*/ 2>/dev/null | head -n 1)
    sol=${sol%/}
    ex=${sol#solutions/}
    patchfile=$P/$name--$ex.patch
    dir=$SCRATCH/$name/$ex
    if [ -z "$sol" ] || [ ! -f "$patchfile" ]; then
        echo "planted_evidence.sh: ✗ $name: no $P/$name--$n-*.patch for solutions/$n-*/" >&2
        return 1
    fi
    rm -rf "$dir" && mkdir -p "$dir" && cp -R "$sol"/. "$dir"/ || return 1
    # The patch names solutions/NN-name/FILE.c: -p2 leaves FILE.c.
    if ! patch -s --batch --no-backup-if-mismatch -p2 -d "$dir" < "$patchfile" >&2; then
        echo "planted_evidence.sh: ✗ $name: $patchfile does not apply to $sol/:" \
             "the solution changed shape; re-make the patch (see $P/README)" >&2
        return 1
    fi
    printf '%s\n' "$SCRATCH/$name"
}

# expect NAME N CHECK PATTERN: the card of the NAME patch, exercise N, fails CHECK
# and its text (joined into one line) matches the grep -E PATTERN.
expect() {
    name=$1 n=$2 check=$3 pattern=$4
    dir=$(planted "$name" "$n") || { failures=$((failures + 1)); return; }
    card=$("$RETREAT" grade --build "$BUILD" --dir "$dir" "$n" 2>&1)
    # The card wraps long lines: join each check's lines into one.
    joined=$(printf '%s\n' "$card" | awk '
        /^  (✓|✗|·|-) / { if (line != "") print line; line = $0; next }
        /^                / { sub(/^ +/, " "); line = line $0; next }
        { if (line != "") print line; line = "" }
        END { if (line != "") print line }')
    if printf '%s\n' "$joined" | grep -E "^  ✗ $check " | grep -Eq -e "$pattern"; then
        echo "planted_evidence.sh: ✓ $name: $(printf '%s\n' "$joined" | grep -E "^  ✗ $check " | cut -c1-160)"
    else
        printf '%s\n' "$card"
        echo "planted_evidence.sh: ✗ $name: no failed '$check' line matching '$pattern' above"
        failures=$((failures + 1))
    fi
}

expect lock-held 5 concurrent 'only one worker was ever inside.*(lock held while blurring|called your function|no other worker)'
expect direct 5 concurrent 'did you call the work function directly'
expect join-each 4 concurrent 'joined right after it is started'
# Which test meets the shared index first is up to the scheduler: 'correct'
# or 'errors' fails with the explanation, the other may only say PENDING.
expect shared-index 4 '(correct|errors)' '(decoded twice|decoded [0-9]+ times|no image decoded at all|not &i of the loop)'
expect one-at-a-time 12 concurrent 'one after another.*queued rather than ran together'
expect drop-failed 12 errors 'never reached fetch_xfer_done'
expect done-before-remove 12 correct 'curl_multi_remove_handle\(\) first'
expect read-after-remove 12 correct 'CURLMsg was read after curl_multi_remove_handle'
expect busy-loop 12 concurrent 'of CPU in .*busy loop'
expect share-cleanup-early 11 correct 'curl_share_cleanup\(\) was called while'
expect no-share-locks 11 races 'libcurl.*CURLSHOPT_LOCKFUNC'
expect share-leak 11 memory 'curl_share_init\(\) from fetch_pool_run\(\) at fetch_pool.c:[0-9]+'
# detached: what the sanitizers see first is up to the scheduler. Seen in
# CI: a worker touching its freed job ('memory': "was it joined?", named by
# thread); the worker's allocation left behind when the process ended first
# ('memory': allocated in work()); a race between the main thread and a
# worker ('races', naming thread T1) with 'memory' not judged because no
# item completed. Each is evidence that points at the unjoined threads; the
# script must not depend on which one comes.
expect detached 4 '(memory|races)' '(was it joined|thread T[0-9]+|allocated in work\(\) at threads\.c:[0-9]+)'

# passes NAME N: a correct alternative the checks must not reject.
passes() {
    name=$1 n=$2
    dir=$(planted "$name" "$n") || { failures=$((failures + 1)); return; }
    card=$("$RETREAT" grade --build "$BUILD" --dir "$dir" "$n" 2>&1)
    if printf '%s\n' "$card" | grep -q "all [0-9]* checks pass"; then
        echo "planted_evidence.sh: ✓ $name: every check passes"
    else
        printf '%s\n' "$card"
        echo "planted_evidence.sh: ✗ $name: a correct alternative failed (card above)"
        failures=$((failures + 1))
    fi
}

passes alt-atomic 5
passes alt-caller 5
passes alt-wait 12

if [ "$failures" -ne 0 ]; then
    echo "planted_evidence.sh: $failures card(s) not as expected"
    exit 1
fi
echo "planted_evidence.sh: every planted mistake failed its check, with its cause"
