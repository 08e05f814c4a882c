/* PLANTED (tests/grade/planted/README): a busy loop: curl_multi_perform()
 * over and over, no curl_multi_poll().
 *
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
#include "fetch.h"

/* Marks an xfer in its `user` field as waiting for its backoff to end. */
static char waiting_mark;

/* Puts back every waiting handle whose backoff is over; returns how long
 * until the next one is due (1000 ms when none waits). */
static long add_due(CURLM *multi, struct fetch_xfer *xs, size_t count, size_t *waiting)
{
    long next = 1000;
    for (size_t i = 0; i<count && * waiting> 0; i++) {
        if (xs[i].user != &waiting_mark)
            continue;
        long ms = fetch_xfer_wait_ms(&xs[i]);
        if (ms == 0) {
            xs[i].user = NULL;
            (*waiting)--;
            curl_multi_add_handle(multi, xs[i].easy);
        } else if (ms < next) {
            next = ms;
        }
    }
    return next;
}

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
                x->user = &waiting_mark;
                waiting++;
            } else {
                curl_multi_add_handle(multi, x->easy);
            }
        }

        long timeout = add_due(multi, xs, job->count, &waiting);
        if (active > 0)
            (void)timeout; /* PLANTED: no curl_multi_poll, spin */
    }

    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(multi);
    free(xs);
    return 0;
}
