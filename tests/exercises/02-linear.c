/* 02-linear.c - the tests of exercise 02: linear_run(), one image at a time.
 *
 *   correct  every output matches blur_gauss() of its input;
 *   errors   three bad inputs among the good ones each fail with a message
 *            naming the file, and every good one is still done.
 */
#include <criterion/criterion.h>

#include "ladder.h"
#include "support.h"

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("02", &tolerance, &err) == 0, "%s", err.msg);
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, linear_run, "linear", &f, SUPPORT_SIGMA, 1, &err) == 0, "%s",
              err.msg);
    int rc = support_check_outputs(&run, &f, tolerance, 0, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 1, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, linear_run, "linear", &f, SUPPORT_SIGMA, 1, &err) == 0, "%s",
              err.msg);
    int rc = support_check_errors(&run, &f, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}
