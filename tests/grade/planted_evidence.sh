#!/bin/sh
# planted_evidence.sh - does each mistake of issue 10 fail the check that
# should catch it, with a message that names the cause?
#
# Grades every copy in tests/grade/planted/ (see its README) with
# `retreat grade --dir` and checks that the card has the expected line: the
# failed check, and words of the explanation. Two planted cases are left
# out on purpose, because their failure is a matter of chance and this
# script must not be: split-take (REPEAT=20 finds it; see docs/GRADING.md)
# and detached/14-capstone (the sanitizer sees the freed channel only if a
# worker touches it before the process ends).
#
# The alt-* copies are correct alternatives (an atomic_fetch_add counter, the
# calling thread as a worker, curl_multi_wait): every check must pass.
#
# Usage: tests/grade/planted_evidence.sh [BUILD]   (from the top of the tree;
# about 6 minutes on two cores). Exits 1 if any card is not as expected.
set -u
BUILD=${1:-build}
RETREAT=$BUILD/retreat
P=tests/grade/planted
failures=0

# expect NAME N CHECK PATTERN: the card of $P/NAME, exercise N, fails CHECK
# and its text (joined into one line) matches the grep -E PATTERN.
expect() {
    name=$1 n=$2 check=$3 pattern=$4
    card=$("$RETREAT" grade --build "$BUILD" --dir "$P/$name" "$n" 2>&1)
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
expect detached 4 memory '(was it joined|thread T[0-9]+)'

# passes NAME N: a correct alternative the checks must not reject.
passes() {
    name=$1 n=$2
    card=$("$RETREAT" grade --build "$BUILD" --dir "$P/$name" "$n" 2>&1)
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
