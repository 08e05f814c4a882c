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
    struct err err = {0};
    cr_expect(support_test_correct(linear_run, "linear", "02", 1, &err) == 0, "%s", err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    cr_expect(support_test_errors(linear_run, "linear", 1, &err) == 0, "%s", err.msg);
}
