/* fetch_multi.c - exercise 12, reference: one thread, every transfer at once.
 *
 * The multi interface is C's counterpart of async/await: add every easy
 * handle to one multi handle, then loop - curl_multi_perform() moves every
 * transfer as far as it can without blocking, curl_multi_poll() sleeps until
 * some socket is ready (or a timeout), curl_multi_info_read() says which
 * transfers have finished. Nobody blocks on one response; one thread waits
 * for all of them, and the run takes about as long as the slowest chain.
 *
 * When a transfer finishes, its chain goes on: fetch_xfer_done() sets up the
 * next request on the same handle, and the handle goes back into the multi
 * handle - at once, or once its retry backoff is over ("waiting").
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
    for (size_t i = 0; i < job->count; i++) {
        if (fetch_xfer_init(&xs[i], job, i) != 0) {
            fetch_xfer_cleanup(&xs[i]);
            continue;
        }
        curl_multi_add_handle(multi, xs[i].easy);
        active++;
    }

    while (active > 0) {
        int running;
        curl_multi_perform(multi, &running);

        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct fetch_xfer *x;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = m->data.result; /* m dies with the remove below */
            curl_multi_remove_handle(multi, x->easy);
            if (fetch_xfer_done(x, rc) == 0) {
                fetch_xfer_cleanup(x); /* chain over: free its handle now */
                active--;
            } else if (fetch_xfer_wait_ms(x) > 0) {
                fetch_retry_hold(x, &waiting);
            } else {
                curl_multi_add_handle(multi, x->easy);
            }
        }

        long timeout = fetch_retry_add_due(multi, xs, job->count, &waiting);
        if (active > 0)
            curl_multi_poll(multi, NULL, 0, (int)timeout, NULL);
    }

    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(multi);
    free(xs);
    return 0;
}
