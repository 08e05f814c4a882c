#!/bin/sh
# check_report.sh - does a log contain a sanitizer report that counts?
#
#     tests/asan/check_report.sh LOG
#
# `make test-asan` runs the Criterion unit tests under ASan + UBSan; Criterion
# exits 0 even when LeakSanitizer reports a leak, so the verdict is read from
# the output instead. Every AddressSanitizer error and every UBSan "runtime
# error:" counts. A leak counts unless *all* the frames that allocated it are
# inside libcriterion.so itself: Criterion 2.4.1's runner leaks 48 bytes per
# object in its parent process (calloc under criterion_run_all_tests, no test
# code on the stack), which no change to retreat can fix. A leak from a test
# or from retreat always has one of their frames on the stack, so it still
# counts (the C library's start-up frames below main are neutral). The
# leaks left out are listed, so they stay visible.
#
# Exit status: 0 if nothing counts, 1 if something does (printed).
awk '
    function flush() {
        if (block == "") return
        if (ours || !criterion) { counted = counted block "\n"; n++ }
        else ignored = ignored block "\n"
        block = ""
    }
    /ERROR: AddressSanitizer|runtime error:/ { flush(); counted = counted $0 "\n"; n++; next }
    /^(Direct|Indirect) leak of / { flush(); block = $0; ours = 0; criterion = 0; next }
    block != "" && /^ *#[0-9]+ / {
        block = block "\n" $0
        if ($1 == "#0") next                   # the allocator itself
        if ($0 ~ /libcriterion\.so/) criterion = 1
        else if ($0 !~ / in (_start|__libc_start_call_main|__libc_start_main_impl) /) ours = 1
        next
    }
    block != "" { flush() }
    END {
        flush()
        if (ignored != "")
            printf "check_report: left out, leaked by Criterion'"'"'s own runner:\n%s", ignored
        if (n > 0) { printf "check_report: %d sanitizer report(s) that count:\n%s", n, counted; exit 1 }
    }
' "$1"
