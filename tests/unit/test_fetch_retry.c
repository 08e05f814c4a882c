/* test_fetch_retry.c - holding xfers through their backoff (fetch_retry.h).
 *
 * The xfers here are bare easy handles that are never performed: what is
 * checked is which ones go back into the multi handle, and the count. */
#include <criterion/criterion.h>

#include "clock.h"
#include "fetch_retry.h"

#define NXFERS 4

static int in_multi(CURLM *multi, CURL *easy)
{
    /* Adding a handle that is already in the multi handle is refused. */
    CURLMcode rc = curl_multi_add_handle(multi, easy);
    if (rc == CURLM_OK)
        curl_multi_remove_handle(multi, easy);
    return rc == CURLM_ADDED_ALREADY;
}

Test(fetch_retry, due_xfers_go_back_the_others_stay_held)
{
    CURLM *multi = curl_multi_init();
    cr_assert_not_null(multi);
    struct fetch_xfer xs[NXFERS] = {{0}};
    uint64_t now = clock_now_ns(), hour = 3600ull * 1000000000u;
    size_t waiting = 0;
    for (int i = 0; i < NXFERS; i++) {
        xs[i].easy = curl_easy_init();
        cr_assert_not_null(xs[i].easy);
    }
    /* 0: not held at all; 1: due already; 2 and 3: due in an hour. */
    xs[1].start_after_ns = 0;
    xs[2].start_after_ns = now + hour;
    xs[3].start_after_ns = now + hour;
    for (int i = 1; i < NXFERS; i++)
        fetch_retry_hold(&xs[i], &waiting);
    cr_expect_eq(waiting, 3);
    cr_expect_not(fetch_retry_held(&xs[0]));
    cr_expect(fetch_retry_held(&xs[2]));

    long next = fetch_retry_add_due(multi, xs, NXFERS, &waiting);
    cr_expect_eq(waiting, 2);
    cr_expect_not(fetch_retry_held(&xs[1]));
    cr_expect(in_multi(multi, xs[1].easy), "the due xfer was not put back");
    cr_expect_not(in_multi(multi, xs[0].easy), "an xfer never held was added");
    cr_expect_not(in_multi(multi, xs[2].easy), "an xfer an hour early was added");
    cr_expect(fetch_retry_held(&xs[2]) && fetch_retry_held(&xs[3]));
    /* An hour away: sleep no longer than the idle bound, and not zero. */
    cr_expect_eq(next, FETCH_RETRY_IDLE_MS);

    /* Both due now: both go back, and with none held the idle bound. */
    xs[2].start_after_ns = xs[3].start_after_ns = 0;
    cr_expect_eq(fetch_retry_add_due(multi, xs, NXFERS, &waiting), FETCH_RETRY_IDLE_MS);
    cr_expect_eq(waiting, 0);
    cr_expect(in_multi(multi, xs[3].easy));

    for (int i = 0; i < NXFERS; i++) {
        curl_multi_remove_handle(multi, xs[i].easy);
        curl_easy_cleanup(xs[i].easy);
    }
    curl_multi_cleanup(multi);
}
