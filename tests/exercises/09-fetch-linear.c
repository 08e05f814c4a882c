/* 09-fetch-linear.c - the tests of exercise 09: fetch_linear_run().
 *
 * Suites are the check names of exercises/exercises.txt:
 *   correct  every feed's newest comic is found and its page checked;
 *   errors   bad URLs (404, 500, malformed, redirect loop, too large, refused,
 *            not http) each fail with the URL and a reason, a 503 is retried,
 *            and a total deadline cuts a slow feed without losing the others.
 * No order suite: in list order is exactly what this style does.
 */
#include <criterion/criterion.h>

#include "fetch.h"
#include "support_fetch.h"

Test(correct, newest_comics, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_correct(fetch_linear_run, "fetch-linear", 1, &err) == 0, "%s",
              err.msg);
}

Test(errors, bad_urls, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_errors(fetch_linear_run, "fetch-linear", 1, &err) == 0, "%s",
              err.msg);
}

Test(errors, deadline, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_deadline(fetch_linear_run, "fetch-linear", 1, &err) == 0, "%s",
              err.msg);
}
