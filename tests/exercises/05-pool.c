/* 05-pool.c - the tests of exercise 05: pool_run(), b->threads workers.
 *
 *   correct     every output matches blur_gauss();
 *   errors      bad inputs fail one by one, with a message naming the file;
 *   concurrent  the run log shows two images blurred at once, on distinct
 *               threads;
 *   workers     never more threads than b->threads, however many images.
 */
#include <criterion/criterion.h>

#include "ladder.h"
#include "support.h"

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_correct(pool_run, "pool", "05", 2, &err) == 0, "%s", err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_errors(pool_run, "pool", 2, &err) == 0, "%s", err.msg);
}

Test(concurrent, two_blurs_at_once, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    int rc = support_concurrent(pool_run, "pool", &f, 2, "blur", 2, &err);
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
        cr_assert(support_run_style(&run, pool_run, "pool", &f, SUPPORT_SIGMA, threads, &err) == 0,
                  "%s", err.msg);
        int rc = support_check_workers(&run, &f, NULL, (size_t)threads, &err);
        support_run_free(&run);
        cr_expect(rc == 0, "with b->threads = %d: %s", threads, err.msg);
    }
    support_files_free(&f);
}
