/* fetch_multi.c - exercise 12: one thread, every transfer at once.
 *
 * Read README.md in this folder first. You write the loop of
 * fetch_multi_run(): every chain's easy handle is in one multi handle, and
 * one thread moves them all along - C's counterpart of async/await.
 *
 *     curl_multi_perform     do whatever can be done now, without blocking
 *     curl_multi_info_read   which transfers have finished?
 *     curl_multi_poll        sleep until a socket is ready (or a timeout)
 *
 * When a transfer finishes, remove its handle from the multi handle and call
 * fetch_xfer_done(): if it returns 1, the chain's next request (or a retry)
 * is set up on the same handle - add it back, now or once its backoff is
 * over. The backoff part is the library's (fetch_retry.h): fetch_retry_hold()
 * a handle that must wait, and fetch_retry_add_due() puts it back when due.
 *
 * Grade it with `make exercise 12`.
 */
#include <stdlib.h>

#include "clock.h"
#include "ladder.h"
#include "fetch_retry.h"

int fetch_multi_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;
    struct fetch_xfer *xs = calloc(job->count ? job->count : 1, sizeof *xs);
    CURLM *multi = curl_multi_init();
    if (xs == NULL || multi == NULL) {
        free(xs);
        curl_multi_cleanup(multi);
        return -1;
    }

    size_t active = 0, waiting = 0; /* chains not over; of those, backing off */
    /* TODO: fetch_xfer_init every URL into xs[i]; add the ones that started
     * to the multi handle (curl_multi_add_handle) and count them in active;
     * fetch_xfer_cleanup the ones that did not. */

    while (active > 0) {
        /* TODO: curl_multi_perform. */

        /* TODO: for every CURLMSG_DONE message from curl_multi_info_read:
         * find the xfer (curl_easy_getinfo CURLINFO_PRIVATE), keep
         * msg->data.result, curl_multi_remove_handle, then fetch_xfer_done:
         *   0 -> the chain is over: fetch_xfer_cleanup it, active--;
         *   1 -> if fetch_xfer_wait_ms > 0, hold it for its backoff
         *        (fetch_retry_hold(x, &waiting)), else add it back at once. */

        long timeout = fetch_retry_add_due(multi, xs, job->count, &waiting);
        /* TODO: curl_multi_poll for at most timeout ms. */
        (void)timeout;
        break; /* TODO: remove this once the loop can end by itself */
    }

    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(multi);
    free(xs);
    return 0;
}
