/* 03-processes.c - the tests of exercise 03: processes_run(), forked workers.
 *
 *   correct     every output matches blur_gauss(): the results made in the
 *               children reach the parent;
 *   errors      bad inputs fail one by one, with a message naming the file;
 *   concurrent  the run log shows two images blurred at once, in distinct
 *               processes;
 *   workers     no more worker processes than b->threads.
 */
#include <criterion/criterion.h>

#include "ladder.h"
#include "support.h"

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_correct(processes_run, "processes", "03", 2, &err) == 0, "%s", err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_errors(processes_run, "processes", 2, &err) == 0, "%s", err.msg);
}

Test(concurrent, two_blurs_at_once, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    int rc = support_concurrent(processes_run, "processes", &f, 2, "blur", 2, &err);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

/* With fewer workers allowed than images, and with just one. */
Test(workers, at_most_threads, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    for (int threads = 1; threads <= 3; threads += 2) {
        struct support_run run;
        cr_assert(support_run_style(&run, processes_run, "processes", &f, SUPPORT_SIGMA, threads,
                                    &err) == 0,
                  "%s", err.msg);
        int rc = support_check_workers(&run, &f, NULL, (size_t)threads, &err);
        support_run_free(&run);
        cr_expect(rc == 0, "with b->threads = %d: %s", threads, err.msg);
    }
    support_files_free(&f);
}
