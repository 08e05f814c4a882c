/* fetch_linear.c - exercise 09: fetch every feed, one after another.
 *
 * Read README.md in this folder first. You write fetch_linear_run(): for
 * each URL of the job, run its chain of requests (the feed, then a HEAD of
 * the newest comic's page) with libcurl's easy interface, one URL at a time.
 *
 * src/core/fetch.h does the parts that are the same in every style: setting up
 * the easy handle safely, retries, parsing the feed, the run log, the
 * result and the on_open call. Your loop decides only *when* each request
 * runs - here: one after the other.
 *
 * Grade it with `make exercise 9`.
 */
#include "clock.h"
#include "ladder.h"

int fetch_linear_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;

    for (size_t i = 0; i < job->count; i++) {
        /* TODO: declare a struct fetch_xfer and set it up for URL i with
         * fetch_xfer_init(). If that fails, the item is already reported as
         * failed: skip to the cleanup, do not stop the loop. */

        /* TODO: while the chain goes on: wait fetch_xfer_wait_ms() (a retry's
         * backoff, usually 0) with clock_sleep_ms(), perform the request with
         * curl_easy_perform(x.easy) and pass its CURLcode to
         * fetch_xfer_done(), which returns 1 while there is another request
         * to perform. */

        /* TODO: fetch_xfer_cleanup() - always, also after a failed init. */
    }
    return 0;
}
