/* 12-fetch-multi.c - the tests of exercise 12: fetch_multi_run().
 *
 * Suites are the check names of exercises/exercises.txt:
 *   correct    every feed's newest comic is found and its page checked;
 *   errors     bad URLs each fail with the URL and a reason, a 503 is
 *              retried, and a total deadline cuts a slow feed only;
 *   concurrent the run log shows requests in flight at the same time;
 *   order      comics open as they become ready: with feeds listed slowest
 *              first, a fast feed listed late is opened before a slow one.
 */
#include <criterion/criterion.h>

#include "fetch.h"
#include "support_fetch.h"

#define STYLE fetch_multi_run, "fetch-multi"

Test(correct, newest_comics, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_correct(STYLE, 1, &err) == 0, "%s", err.msg);
}

Test(errors, bad_urls, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_errors(STYLE, 1, &err) == 0, "%s", err.msg);
}

Test(errors, deadline, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_deadline(STYLE, 1, &err) == 0, "%s", err.msg);
}

Test(concurrent, in_flight_together, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_concurrent(STYLE, 1, 6, 1, &err) == 0, "%s", err.msg);
}

Test(order, as_they_become_ready, .timeout = 30)
{
    struct err err = {0};
    cr_expect(support_fetch_test_order(STYLE, 1, &err) == 0, "%s", err.msg);
}
