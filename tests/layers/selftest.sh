#!/bin/sh
# selftest.sh - check_layers.py must fail on the arrows it exists to forbid.
# Each case plants one wrong #include in a scratch copy of the source folders
# and expects the check to name that file and fail; the untouched copy must
# pass. Usage: tests/layers/selftest.sh
set -u
cd "$(dirname "$0")/../.."
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
failed=0

fresh() {
    rm -rf "$work/tree" && mkdir -p "$work/tree/src" &&
        cp -R src/core src/tools src/cli "$work/tree/src/" &&
        cp -R solutions exercises "$work/tree/"
}

# expect_fail FILE LINE: plant LINE at the top of FILE, the check must fail
# and name FILE.
expect_fail() {
    fresh
    printf '%s\n' "$2" | cat - "$work/tree/$1" > "$work/planted" && mv "$work/planted" "$work/tree/$1"
    if out=$(python3 tests/layers/check_layers.py "$work/tree"); then
        echo "selftest: FAILED: '$2' in $1 was not caught"; failed=1
    elif ! printf '%s\n' "$out" | grep -q "^$1:1:"; then
        echo "selftest: FAILED: '$2' in $1 was caught but not named:"; echo "$out"; failed=1
    fi
}

fresh
python3 tests/layers/check_layers.py "$work/tree" > /dev/null ||
    { echo "selftest: FAILED: the untouched tree does not pass"; failed=1; }
expect_fail src/core/blur.c '#include "ladder.h"'     # core -> solutions
expect_fail src/core/img.c '#include "grade.h"'       # core -> tools
expect_fail src/tools/show.c '#include "ladder.h"'    # tools -> solutions
expect_fail src/tools/grade.c '#include "styles.h"'   # tools -> cli
expect_fail solutions/05-pool/pool.c '#include "show.h"'  # solutions -> tools
expect_fail exercises/05-pool/pool.c '#include "commands.h"'  # exercise -> cli
expect_fail src/core/err.c '#include "support.h"'     # a test header: in no layer
[ $failed -eq 0 ] && echo "check-layers selftest: 7 planted arrows caught, clean tree passes"
exit $failed
