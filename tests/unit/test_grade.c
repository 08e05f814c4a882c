/* test_grade.c - the grader's parts that need no exercise: running a program
 * under a timeout and an output cap, Criterion's (broken) JSON report, the
 * sanitizer reports, the card and the progress file. The report samples are
 * real output of Criterion 2.4.1 and GCC 12's sanitizers, shortened. */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"

/* --- grade_proc -------------------------------------------------------------- */

Test(grade_proc, keeps_output_and_exit_status)
{
    char *argv[] = {"sh", "-c", "echo out; echo err >&2; exit 7", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 7);
    cr_expect_eq(p.signal, 0);
    cr_expect_eq(p.timed_out, 0);
    cr_expect(strstr(p.output, "out\n") != NULL && strstr(p.output, "err\n") != NULL, "got: %s",
              p.output);
    char buf[128];
    cr_expect_eq(grade_proc_describe(&p, 10, buf, sizeof buf), 0, "described as: %s", buf);
    grade_proc_free(&p);
}

Test(grade_proc, passes_the_extra_environment)
{
    char *argv[] = {"sh", "-c", "echo \"[$GRADE_TEST]\"", NULL};
    char *env[] = {"GRADE_TEST=hello", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, env, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_str_eq(p.output, "[hello]\n");
    grade_proc_free(&p);
}

/* A program that sleeps past its timeout - and leaves a grandchild sleeping
 * too - is killed with its whole group, soon after the timeout. */
Test(grade_proc, a_sleeper_is_killed_with_its_group_after_the_timeout)
{
    char *argv[] = {"sh", "-c", "sleep 30 & echo $!; sleep 30; echo never", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 1, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.timed_out, 1);
    cr_expect_eq(p.status, -1);
    cr_expect_geq(p.seconds, 0.9, "killed before its timeout, after %.2f s", p.seconds);
    /* The grandchild is gone (or a zombie waiting for init), not sleeping on. */
    char stat_path[64], stat[256] = "";
    cr_assert_gt(atoi(p.output), 1, "no pid printed: %s", p.output);
    snprintf(stat_path, sizeof stat_path, "/proc/%d/stat", atoi(p.output));
    FILE *f = fopen(stat_path, "r");
    if (f != NULL) {
        cr_expect_not_null(fgets(stat, sizeof stat, f));
        fclose(f);
        cr_expect_not_null(strstr(stat, ") Z "), "the grandchild lives on: %s", stat);
    }
    cr_expect_null(strstr(p.output, "never"));
    char buf[128];
    cr_expect_gt(grade_proc_describe(&p, 1, buf, sizeof buf), 0);
    cr_expect_str_eq(buf, "no result after 1 s: a deadlock or an endless loop?");
    grade_proc_free(&p);
}

Test(grade_proc, a_crash_is_reported_by_its_signal)
{
    char *argv[] = {"sh", "-c", "kill -SEGV $$", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.signal, SIGSEGV);
    cr_expect_eq(p.timed_out, 0);
    char buf[128];
    grade_proc_describe(&p, 10, buf, sizeof buf);
    cr_expect(strstr(buf, "crashed: Segmentation fault") != NULL, "got: %s", buf);
    grade_proc_free(&p);
}

/* Megabytes of output: the first cap bytes are kept, the rest counted, and
 * the program is never blocked on a full pipe. */
Test(grade_proc, output_over_the_cap_is_truncated)
{
    char *argv[] = {"head", "-c", "3000000", "/dev/zero", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1000, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 0);
    cr_expect_eq(p.len, 1000);
    cr_expect_eq(p.dropped, 3000000 - 1000);
    grade_proc_free(&p);
}

Test(grade_proc, a_missing_program_exits_127_with_a_message)
{
    char *argv[] = {"/nonexistent/grader-test", NULL};
    struct grade_proc p;
    struct err err = {0};
    cr_assert_eq(grade_proc_run(argv, NULL, 10, 1024, &p, &err), 0, "%s", err.msg);
    cr_expect_eq(p.status, 127);
    cr_expect(strstr(p.output, "/nonexistent/grader-test: cannot run") != NULL, "got: %s",
              p.output);
    grade_proc_free(&p);
}

/* --- Criterion's report -------------------------------------------------------- */

/* Criterion 2.4.1 verbatim: the quotes, the tab and the backslash in the
 * messages are not escaped; a two-line message is two elements. */
static const char criterion_report[] =
    "{\n"
    "  \"id\": \"Criterion v2.4.1\",\n"
    "  \"test_suites\": [\n"
    "    {\n"
    "      \"name\": \"errors\",\n"
    "      \"passed\": 0,\n"
    "      \"failed\": 2,\n"
    "      \"errored\": 2,\n"
    "      \"skipped\": 0,\n"
    "      \"tests\": [\n"
    "        {\n"
    "          \"name\": \"hangs\",\n"
    "          \"assertions\": 0,\n"
    "          \"status\": \"ERRORED\",\n"
    "          \"messages\": [\"The test timed out.\"]\n"
    "        },\n"
    "        {\n"
    "          \"name\": \"crashes\",\n"
    "          \"assertions\": 0,\n"
    "          \"status\": \"ERRORED\",\n"
    "          \"messages\": [\"The test crashed.\"]\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"correct\",\n"
    "      \"passed\": 1,\n"
    "      \"failed\": 1,\n"
    "      \"errored\": 0,\n"
    "      \"skipped\": 0,\n"
    "      \"tests\": [\n"
    "        {\n"
    "          \"name\": \"blurs_each_image\",\n"
    "          \"assertions\": 2,\n"
    "          \"status\": \"FAILED\",\n"
    "          \"messages\": [\n"
    "            \"tests/exercises/05-pool.c:50: second failure\",\n"
    "            \"tests/exercises/05-pool.c:42: image \"3.png\" differs at (4, 7):\",\n"
    "            \"  got 12\tand \\d, expected 13\"\n"
    "          ]\n"
    "        },\n"
    "        {\n"
    "          \"name\": \"keeps_sizes\",\n"
    "          \"assertions\": 1,\n"
    "          \"status\": \"PASSED\"\n"
    "        }\n"
    "      ]\n"
    "    }\n"
    "  ]\n"
    "}\n";

Test(grade_criterion, reads_the_unescaped_report_of_criterion_2_4)
{
    struct grade_suite *suites;
    size_t count;
    struct err err = {0};
    cr_assert_eq(grade_criterion_parse(criterion_report, &suites, &count, &err), 0, "%s", err.msg);
    cr_assert_eq(count, 2);

    const struct grade_suite *correct = grade_criterion_find(suites, count, "correct");
    cr_assert_not_null(correct);
    cr_expect_eq(correct->tests, 2);
    cr_expect_eq(correct->passed, 1);
    cr_expect_eq(correct->failed, 1);
    cr_expect_str_eq(correct->failing_test, "blurs_each_image");
    /* The first failure (listed last), both its lines, without the test's
     * file and line, and a note that there is more. */
    cr_expect_str_eq(correct->message,
                     "image \"3.png\" differs at (4, 7): got 12\tand \\d, expected 13 (and more)");

    const struct grade_suite *errors = grade_criterion_find(suites, count, "errors");
    cr_assert_not_null(errors);
    cr_expect_eq(errors->timed_out, 1);
    cr_expect_eq(errors->crashed, 1);
    cr_expect_null(grade_criterion_find(suites, count, "races"));
    free(suites);
}

Test(grade_criterion, a_truncated_report_is_an_error_not_a_pass)
{
    struct grade_suite *suites;
    size_t count;
    struct err err = {0};
    char half[200];
    snprintf(half, sizeof half, "%.*s", 150, criterion_report);
    cr_expect_eq(grade_criterion_parse(half, &suites, &count, &err), -1);
    cr_expect(strstr(err.msg, "not valid JSON") != NULL, "got: %s", err.msg);
    cr_expect_eq(grade_criterion_parse("{\"id\": 1}", &suites, &count, &err), -1);
    cr_expect(strstr(err.msg, "test_suites") != NULL, "got: %s", err.msg);
}

/* --- Sanitizer reports ------------------------------------------------------------ */

static const char tsan_report[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=7004)\n"
    "  Read of size 8 at 0x7ffd330b4360 by thread T2:\n"
    "    #0 memcpy ../../../../src/libsanitizer/sanitizer_common/x.inc:827 (libtsan.so.2+0x1)\n"
    "    #1 worker exercises/05-pool/pool.c:26 (races+0x63b7)\n"
    "    #2 <null> <null> (libc.so.6+0x89133)\n"
    "\n"
    "  Previous write of size 8 at 0x7ffd330b4360 by thread T1:\n"
    "    #0 worker exercises/05-pool/pool.c:28 (races+0x63f7)\n"
    "\n"
    "  Location is stack of main thread.\n"
    "\n"
    "  Thread T2 (tid=7022, running) created by main thread at:\n"
    "    #0 pthread_create ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:1001\n"
    "    #1 pool_run exercises/05-pool/pool.c:49 (races+0x6500)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race exercises/05-pool/pool.c:26 in worker\n"
    "==================\n"
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=7004)\n"
    "  Write of size 4 at 0x55 by main thread:\n"
    "    #0 main tests/grade/main.c:71 (races+0x5e9c)\n"
    "SUMMARY: ThreadSanitizer: data race tests/grade/main.c:71 in main\n"
    "==================\n"
    "ThreadSanitizer: reported 2 warnings\n";

Test(grade_sanitizer, tsan_race_names_both_accesses_in_the_participants_file)
{
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_tsan_parse(tsan_report, "exercises/05-pool/pool.c", buf, sizeof buf), 2);
    cr_expect_str_eq(buf, "data race on a local variable of main thread: read in worker() at "
                          "pool.c:26 (thread T2) and earlier write in worker() at pool.c:28 "
                          "(thread T1)");
}

Test(grade_sanitizer, tsan_global_and_other_warning_kinds)
{
    static const char report[] =
        "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=1)\n"
        "  Cycle in lock order graph: M1 (0x1) => M2 (0x2) => M1\n"
        "\n"
        "  Mutex M2 acquired here while holding mutex M1 in main thread:\n"
        "    #0 pthread_mutex_lock ../../../../src/libsanitizer/tsan/x.inc:4324 "
        "(libtsan.so.2+0x1)\n"
        "    #1 take exercises/07-pipeline/pipeline.c:88 (races+0x2)\n"
        "SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) in take\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_tsan_parse(report, "exercises/07-pipeline/pipeline.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "lock-order-inversion (potential deadlock): take() at pipeline.c:88");

    static const char global[] = "WARNING: ThreadSanitizer: data race (pid=2)\n"
                                 "  Write of size 4 at 0x5 by thread T1:\n"
                                 "    #0 w /tmp/r.c:5 (r+0x11cf)\n"
                                 "  Previous write of size 4 at 0x5 by thread T2:\n"
                                 "    #0 w /tmp/r.c:5 (r+0x11f3)\n"
                                 "  Location is global 'counter' of size 4 at 0x5 (r+0x405c)\n";
    cr_expect_eq(grade_tsan_parse(global, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "data race on global 'counter': write in w() at r.c:5 (thread T1) "
                          "and earlier write in w() at r.c:5 (thread T2)");

    cr_expect_eq(grade_tsan_parse("grade: done 4 of 4\n", "x.c", buf, sizeof buf), 0);
}

Test(grade_sanitizer, leak_points_at_the_allocation_in_the_participants_file)
{
    static const char report[] =
        "==10965==ERROR: LeakSanitizer: detected memory leaks\n"
        "\n"
        "Direct leak of 40 byte(s) in 1 object(s) allocated from:\n"
        "    #0 0x7f43ca2b89cf in __interceptor_malloc ../../../../src/libsanitizer/asan/"
        "asan_malloc_linux.cpp:69\n"
        "    #1 0x5589daf46400 in worker_args exercises/05-pool/pool.c:30\n"
        "    #2 0x5589daf4643e in pool_run exercises/05-pool/pool.c:52\n"
        "\n"
        "SUMMARY: AddressSanitizer: 40 byte(s) leaked in 1 allocation(s).\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_asan_parse(report, "exercises/05-pool/pool.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "leak: 40 bytes allocated in worker_args() at pool.c:30 were never "
                          "freed (in all: 40 byte(s) leaked in 1 allocation(s).)");
}

Test(grade_sanitizer, use_after_free_and_undefined_behaviour)
{
    static const char uaf[] =
        "==13052==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x5 bp 0x7\n"
        "READ of size 4 at 0x602000000010 thread T0\n"
        "    #0 0x564a9c3cf246 in chan_recv exercises/07-pipeline/pipeline.c:61\n"
        "    #1 0x7fa3e7445249 in __libc_start_call_main "
        "../sysdeps/nptl/libc_start_call_main.h:58\n"
        "\n"
        "freed by thread T0 here:\n"
        "    #0 0x7fa3e7eb76a8 in __interceptor_free ../../../../src/libsanitizer/asan/x.cpp:52\n";
    char buf[GRADE_TEXT_MAX];
    cr_expect_eq(grade_asan_parse(uaf, "exercises/07-pipeline/pipeline.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "heap-use-after-free: READ of size 4 in chan_recv() at pipeline.c:61");

    static const char ub[] = "grade: done 1 of 4\n"
                             "exercises/01-kernel/kernel.c:12:5: runtime error: signed integer "
                             "overflow: 2147483647 + 1 cannot be represented in type 'int'\n";
    cr_expect_eq(grade_asan_parse(ub, "exercises/01-kernel/kernel.c", buf, sizeof buf), 1);
    cr_expect_str_eq(buf, "undefined behaviour at kernel.c:12: signed integer overflow: "
                          "2147483647 + 1 cannot be represented in type 'int'");

    cr_expect_eq(grade_asan_parse("grade: done 4 of 4\n", "x.c", buf, sizeof buf), 0);
}

/* --- The card ------------------------------------------------------------------------ */

static const struct exercise pool = {.number = 5,
                                     .id = "05-pool",
                                     .name = "pool",
                                     .track = "blur",
                                     .file = "pool.c",
                                     .checks = (1u << CHECK_CORRECT) | (1u << CHECK_ERRORS) |
                                               (1u << CHECK_SPEEDUP),
                                     .tolerance = 0,
                                     .timeout = 90,
                                     .hint = "h"};

Test(grade_card, suites_become_lines_that_teach)
{
    struct grade_card card = {.ex = &pool};
    struct grade_suite ok = {.name = "correct", .tests = 3, .passed = 3};
    struct grade_suite hung = {
        .name = "errors", .tests = 2, .failed = 1, .timed_out = 1, .failing_test = "bad_file"};
    struct grade_suite wrong = {.name = "correct",
                                .tests = 1,
                                .failed = 1,
                                .failing_test = "blurs",
                                .message = "image 3 differs at (1, 2)"};
    grade_card_add_suite(&card, CHECK_CORRECT, &ok, 90);
    grade_card_add_suite(&card, CHECK_ERRORS, &hung, 90);
    grade_card_add_suite(&card, CHECK_CORRECT, &wrong, 90);
    grade_card_add_suite(&card, CHECK_WORKERS, NULL, 90);
    cr_assert_eq(card.count, 4);
    cr_expect_eq(card.lines[0].mark, GRADE_PASS);
    cr_expect_eq(card.lines[1].mark, GRADE_FAIL);
    cr_expect(strstr(card.lines[1].text, "no result after 90 s: a deadlock or an endless loop?"),
              "got: %s", card.lines[1].text);
    cr_expect_str_eq(card.lines[2].text, "blurs: image 3 differs at (1, 2)");
    cr_expect_eq(card.lines[3].mark, GRADE_FAIL, "a check without tests must not pass");
    cr_expect_eq(grade_card_failures(&card), 3);
}

Test(grade_card, prints_marks_a_legend_and_what_to_do_next)
{
    struct grade_card card = {.ex = &pool, .source = "exercises/05-pool/pool.c"};
    grade_card_add(&card, CHECK_CORRECT, GRADE_PASS, "fine");
    grade_card_add(&card, CHECK_ERRORS, GRADE_FAIL, "missing.png was not reported");
    grade_card_add(&card, CHECK_SPEEDUP, GRADE_INFO, "1.8x");
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    grade_card_print(out, &card, 0);
    fclose(out);
    cr_expect(strstr(text, "✓ correct") != NULL, "%s", text);
    cr_expect(strstr(text, "✗ errors      missing.png was not reported") != NULL, "%s", text);
    cr_expect(strstr(text, "· speedup") != NULL, "%s", text);
    cr_expect(strstr(text, "✓ passed  ✗ failed") != NULL, "no legend: %s", text);
    cr_expect(strstr(text, "1 of 2 checks pass") != NULL, "%s", text);
    cr_expect(strstr(text, "fix 'errors' first") != NULL, "%s", text);
    cr_expect_null(strchr(text, '\033'), "colour without a terminal");
    free(text);

    out = open_memstream(&text, &len);
    grade_card_print(out, &card, 1);
    fclose(out);
    cr_expect(strstr(text, "\033[31m✗") != NULL, "no red cross: %s", text);
    free(text);
}

Test(grade_card, a_build_error_is_shown_as_the_compiler_wrote_it)
{
    struct grade_card card = {.ex = &pool, .source = "exercises/05-pool/pool.c"};
    snprintf(card.build_error, sizeof card.build_error,
             "pool.c:3:5: error: expected ';'\n    3 |     x\n      |     ^");
    grade_card_add(&card, CHECK_CORRECT, GRADE_SKIP, "not run: it does not build");
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    grade_card_print(out, &card, 0);
    fclose(out);
    cr_expect(strstr(text, "✗ builds      pool.c:3:5: error: expected ';'\n        3 |     x\n") !=
                  NULL,
              "%s", text);
    cr_expect(strstr(text, "- correct     not run") != NULL, "%s", text);
    cr_expect(strstr(text, "does not compile") != NULL, "%s", text);
    cr_expect_eq(grade_card_failures(&card), 1);
    free(text);
}

/* --- .progress ------------------------------------------------------------------------ */

Test(grade_progress, records_and_reads_back_the_last_grade)
{
    char path[] = "/tmp/retreat-progress-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    unlink(path);

    struct exercise list[2] = {pool, pool};
    list[1].number = 6;
    snprintf(list[1].id, sizeof list[1].id, "06-rows");
    int passed[2];
    struct err err = {0};
    cr_assert_eq(grade_progress_read(path, list, 2, passed, &err), 0, "%s", err.msg);
    cr_expect(passed[0] == -1 && passed[1] == -1, "a missing file is no progress");

    cr_assert_eq(grade_progress_record(path, &list[0], 0, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_record(path, &list[1], 1, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_record(path, &list[0], 1, &err), 0, "%s", err.msg);
    cr_assert_eq(grade_progress_read(path, list, 2, passed, &err), 0, "%s", err.msg);
    cr_expect_eq(passed[0], 1);
    cr_expect_eq(passed[1], 1);

    /* One line per exercise, however often it was graded. */
    FILE *f = fopen(path, "r");
    int lines = 0;
    for (int c; (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    cr_expect_eq(lines, 2);
    unlink(path);
}
