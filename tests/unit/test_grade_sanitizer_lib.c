/* test_grade_sanitizer_lib.c - sanitizer summaries that always name
 * something useful (issue 10, point 5).
 *
 * The reports are real ones, cut to what the parser reads, from the planted
 * cases of tests/grade/planted/ (GCC 12's libsanitizer, Debian 12's libcurl
 * without symbols); POOL is where planted_evidence.sh now grades them.
 * Before, the first three gave "memcmp() at
 * sanitizer_common_interceptors.inc:891", "curl_share_init() ... run_style()
 * at drive_fetch.c:80" (the grader's own driver) and "in an unknown place".
 */
#include <criterion/criterion.h>

#include <string.h>

#include "grade.h"

#define POOL "build/planted-evidence/no-share-locks/11-fetch-pool/fetch_pool.c"

/* no-share-locks: the share handle without its lock functions. */
static const char curl_race[] =
    "WARNING: ThreadSanitizer: data race (pid=19695)\n"
    "  Read of size 8 at 0x7b1000002068 by thread T4:\n"
    "    #0 memcmp ../../../../src/libsanitizer/sanitizer_common/"
    "sanitizer_common_interceptors.inc:891 (libtsan.so.2+0x63d04)\n"
    "    #1 memcmp ../../../../src/libsanitizer/sanitizer_common/"
    "sanitizer_common_interceptors.inc:887 (libtsan.so.2+0x63d04)\n"
    "    #2 <null> <null> (libcurl.so.4+0x3035e)\n"
    "\n"
    "  Previous write of size 8 at 0x7b1000002068 by thread T3:\n"
    "    #0 malloc ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:647 "
    "(libtsan.so.2+0x3ebb8)\n"
    "    #1 <null> <null> (libcurl.so.4+0x2ffdb)\n"
    "\n"
    "  Location is heap block of size 64 at 0x7b1000002040 allocated by thread T3:\n"
    "    #0 malloc ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:647 "
    "(libtsan.so.2+0x3ebb8)\n"
    "    #1 <null> <null> (libcurl.so.4+0x2ffdb)\n"
    "\n"
    "  Thread T4 (tid=19700, running) created by main thread at:\n"
    "    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001 "
    "(libtsan.so.2+0x5e686)\n"
    "    #1 fetch_pool_run " POOL ":83 (races+0x7998)\n"
    "    #2 run_style tests/grade/drive_fetch.c:80 (races+0x897f)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race (/lib/x86_64-linux-gnu/libcurl.so.4+0x3035e) \n";

Test(grade_sanitizer_lib, a_race_inside_libcurl_says_what_it_means)
{
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_tsan_parse(curl_race, POOL, buf, sizeof buf), 1);
    cr_expect(strstr(buf, "memcmp") == NULL && strstr(buf, ".inc") == NULL,
              "the sanitizer's interceptor is no place to look: %s", buf);
    cr_expect(strstr(buf, "read in libcurl (thread T4)") != NULL, "%s", buf);
    cr_expect(strstr(buf, "CURLSHOPT_LOCKFUNC") != NULL, "no likely cause: %s", buf);
    cr_expect(strstr(buf, "threads started in fetch_pool_run() at fetch_pool.c:83") != NULL,
              "no line of the participant's: %s", buf);
}

/* share-leak, reported with fast_unwind_on_malloc=0 (grade.c). */
static const char share_leak[] =
    "==32599==ERROR: LeakSanitizer: detected memory leaks\n"
    "\n"
    "Direct leak of 240 byte(s) in 1 object(s) allocated from:\n"
    "    #0 0x7f838ecb83b7 in __interceptor_calloc ../../../../src/libsanitizer/asan/"
    "asan_malloc_linux.cpp:77\n"
    "    #1 0x7f838ebaebb3 in curl_share_init (/lib/x86_64-linux-gnu/libcurl.so.4+0x5dbb3)\n"
    "    #2 0x55c6367a3b60 in fetch_pool_run " POOL ":70\n"
    "    #3 0x55c6367a6e0c in run_style tests/grade/drive_fetch.c:80\n"
    "    #4 0x55c6367a8277 in fetch_run tests/grade/drive_fetch.c:112\n"
    "\n"
    "Indirect leak of 736 byte(s) in 1 object(s) allocated from:\n"
    "    #0 0x7f838ecb89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/"
    "asan_malloc_linux.cpp:69\n"
    "    #1 0x7f838eb81058  (/lib/x86_64-linux-gnu/libcurl.so.4+0x30058)\n"
    "\n"
    "SUMMARY: AddressSanitizer: 1138 byte(s) leaked in 5 allocation(s).\n";

Test(grade_sanitizer_lib, a_leaked_share_handle_names_the_call_and_the_line)
{
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_asan_parse(share_leak, POOL, buf, sizeof buf), 1);
    cr_expect(strncmp(buf,
                      "leak: 240 bytes allocated by curl_share_init() from fetch_pool_run() at "
                      "fetch_pool.c:70 were never freed",
                      90) == 0,
              "got: %s", buf);
    cr_expect(strstr(buf, "curl_share_cleanup()") != NULL, "no meaning: %s", buf);
}

/* The same leak as the fast unwinder saw it: no participant frame at all.
 * The library call is named, never the grader's driver. */
Test(grade_sanitizer_lib, without_the_participants_frame_the_library_call_not_the_driver)
{
    static const char report[] =
        "Direct leak of 240 byte(s) in 1 object(s) allocated from:\n"
        "    #0 0x7f676c4b83b7 in __interceptor_calloc ../../../../src/libsanitizer/asan/"
        "asan_malloc_linux.cpp:77\n"
        "    #1 0x7f676c32dbb3 in curl_share_init (/lib/x86_64-linux-gnu/libcurl.so.4+0x5dbb3)\n"
        "    #2 0x561de4e32e0c in run_style tests/grade/drive_fetch.c:80\n"
        "    #3 0x561de4e2d764 in main tests/grade/main.c:51\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_asan_parse(report, POOL, buf, sizeof buf), 1);
    cr_expect(strstr(buf, "drive_fetch") == NULL && strstr(buf, "run_style") == NULL, "%s", buf);
    cr_expect(strstr(buf, "curl_share_init() in libcurl") != NULL, "%s", buf);
    cr_expect(strstr(buf, "curl_share_cleanup()") != NULL, "%s", buf);
}

/* Our own library's frame, with what it holds. */
Test(grade_sanitizer_lib, a_leak_in_our_library_says_what_it_holds)
{
    static const char report[] =
        "Direct leak of 4096 byte(s) in 1 object(s) allocated from:\n"
        "    #0 0x7f in __interceptor_realloc ../../../../src/libsanitizer/asan/x.cpp:85\n"
        "    #1 0x55 in on_body src/core/fetch.c:130\n"
        "    #2 0x7f  (/lib/x86_64-linux-gnu/libcurl.so.4+0x2f1c0)\n"
        "    #3 0x7f in curl_easy_perform (/lib/x86_64-linux-gnu/libcurl.so.4+0x4b2a0)\n"
        "    #4 0x55 in run_style tests/grade/drive_fetch.c:80\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_asan_parse(report, POOL, buf, sizeof buf), 1);
    cr_expect(strstr(buf, "on_body() at fetch.c:130") != NULL, "%s", buf);
    cr_expect(strstr(buf, "fetch_xfer_cleanup()") != NULL, "%s", buf);
}

/* detached/04-threads: the report is cut short - the process ended while
 * the worker was still writing it. */
Test(grade_sanitizer_lib, a_worker_faulting_after_free_was_not_joined)
{
    static const char cut[] =
        "=================================================================\n"
        "==19602==ERROR: AddressSanitizer: heap-use-after-free on address 0x6060000005e8 at pc "
        "0x555b9c783595 bp 0x7fabbb7fc2c0 sp 0x7fabbb7fc2b8\n"
        "READ of size 8 at 0x6060000005e8 thread T3\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_asan_parse(cut, "exercises/04-threads/threads.c", buf, sizeof buf), 1);
    cr_expect(strstr(buf, "thread T3") != NULL, "%s", buf);
    cr_expect(strstr(buf, "a thread still ran after its data was freed: was it joined?") != NULL,
              "%s", buf);

    static const char segv[] =
        "==7==ERROR: AddressSanitizer: SEGV on unknown address 0x7f3a5c000010 (pc 0x7f3a6e1b2c3d "
        "bp 0x7f3a5bffe8d0 sp 0x7f3a5bffe890 T2)\n"
        "==7==The signal is caused by a READ memory access.\n"
        "    #0 0x7f3a6e1b2c3d  (/lib/x86_64-linux-gnu/libcurl.so.4+0x3c3d)\n";
    cr_assert_eq(grade_asan_parse(segv, "exercises/14-capstone/capstone.c", buf, sizeof buf), 1);
    cr_expect(strstr(buf, "SEGV in thread T2") != NULL, "%s", buf);
    cr_expect(strstr(buf, "was it joined?") != NULL, "%s", buf);

    /* A fault in the main thread is not that. */
    static const char main_segv[] =
        "==7==ERROR: AddressSanitizer: SEGV on unknown address 0x000000000000 (pc 0x55 bp 0x7 sp "
        "0x7 T0)\n"
        "    #0 0x55 in pool_run exercises/05-pool/pool.c:40\n";
    cr_assert_eq(grade_asan_parse(main_segv, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "SEGV: in pool_run() at pool.c:40");
}

/* UBSan's view of the same mistake in exercise 14: a struct pointer into
 * freed and reused memory. */
Test(grade_sanitizer_lib, a_misaligned_struct_pointer_is_explained)
{
    static const char ub[] =
        "exercises/14-capstone/capstone.c:61:18: runtime error: member access within misaligned "
        "address 0x2d6f6c6c6568 for type 'struct capstone_job', which requires 8 byte alignment\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_asan_parse(ub, "exercises/14-capstone/capstone.c", buf, sizeof buf), 1);
    cr_expect(strstr(buf, "capstone.c:61") != NULL, "%s", buf);
    cr_expect(strstr(buf, "was it joined?") != NULL, "%s", buf);
}

/* detached/14-capstone under ThreadSanitizer: a worker crashes after the
 * channel it waits on was freed. TSan names the thread by its kernel id. */
Test(grade_sanitizer_lib, a_tsan_segv_in_a_worker_was_not_joined)
{
    static const char segv[] =
        "grade: done 4 of 5\n"
        "==13769==ERROR: ThreadSanitizer: SEGV on unknown address (pc 0x7f06dd890c1f bp "
        "0x7b0800015ba0 sp 0x7f06ce13ac40 T13773)\n"
        "==13769==The signal is caused by a READ memory access.\n"
        "    #0 <null> <null> (libc.so.6+0x8ac1f)\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_tsan_parse(segv, "exercises/14-capstone/capstone.c", buf, sizeof buf), 1);
    cr_expect(strstr(buf, "SEGV in a thread other than main") != NULL, "%s", buf);
    cr_expect(strstr(buf, "was it joined?") != NULL, "%s", buf);

    static const char main_segv[] =
        "==200==ERROR: ThreadSanitizer: SEGV on unknown address 0x000000000000 (pc 0x1 bp 0x2 "
        "sp 0x3 T200)\n"
        "    #0 pool_run exercises/05-pool/pool.c:40 (races+0x11)\n";
    cr_assert_eq(grade_tsan_parse(main_segv, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "SEGV: in pool_run() at pool.c:40");
}

/* The same crash with a frame in the participant's file: named, and asked. */
Test(grade_sanitizer_lib, a_worker_segv_in_the_participants_code_is_named_and_asked)
{
    static const char segv[] =
        "==13769==ERROR: ThreadSanitizer: SEGV on unknown address 0x000000000010 (pc 0x1 bp 0x2 "
        "sp 0x3 T13773)\n"
        "    #0 blur_comic exercises/14-capstone/capstone.c:69 (races+0x11)\n";
    char buf[GRADE_TEXT_MAX];
    cr_assert_eq(grade_tsan_parse(segv, "exercises/14-capstone/capstone.c", buf, sizeof buf), 1);
    cr_expect(strstr(buf, "in blur_comic() at capstone.c:69") != NULL, "%s", buf);
    cr_expect(strstr(buf, "not joined") != NULL, "%s", buf);
}
