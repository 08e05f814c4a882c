/* fetch_linear.c - exercise 09, reference: one URL after another.
 *
 * The plainest use of libcurl's easy interface: curl_easy_perform() sends a
 * request and returns when the whole response is in. Meanwhile this thread
 * does nothing but wait - which is the point of the exercise: time the run and
 * it is the sum of every request's latency, in list order.
 */
#include "clock.h"
#include "ladder.h"

int fetch_linear_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;

    for (size_t i = 0; i < job->count; i++) {
        /* A chain is a feed, then its comic page: each request waits for the
         * one before it. fetch_xfer_done() sets up the next one (or a retry)
         * and returns 1 while there is one to perform. */
        struct fetch_xfer x;
        if (fetch_xfer_init(&x, job, i) == 0) {
            int more;
            do {
                clock_sleep_ms((unsigned)fetch_xfer_wait_ms(&x));
                more = fetch_xfer_done(&x, curl_easy_perform(x.easy));
            } while (more);
        }
        fetch_xfer_cleanup(&x); /* a failed item is already reported: go on */
    }
    return 0;
}
