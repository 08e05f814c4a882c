/* 04-threads.c - the tests of exercise 04: threads_run(), a thread per image.
 *
 *   correct     every output matches blur_gauss();
 *   errors      bad inputs fail one by one, with a message naming the file;
 *   concurrent  the run log shows two images blurred at once, on distinct
 *               threads.
 */
#include <criterion/criterion.h>

#include "ladder.h"
#include "support.h"

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_correct(threads_run, "threads", "04", 2, &err) == 0, "%s", err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_errors(threads_run, "threads", 2, &err) == 0, "%s", err.msg);
}

Test(concurrent, two_blurs_at_once, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    int rc = support_concurrent(threads_run, "threads", &f, 2, "blur", 2, &err);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}
