/* fetch_retry.c - holding transfers through their retry backoff; see fetch_retry.h.
 *
 * A linear scan of the xfers on every turn of the loop: the loops that use
 * it already look at every finished transfer, retries are rare, and the
 * scan stops as soon as no xfer is held. A heap ordered by due time would
 * matter only with many thousands of retries at once.
 */
#include "fetch_retry.h"

/* The mark in fetch_xfer.user of a held xfer: its address is unique. */
static const char held_mark;

void fetch_retry_hold(struct fetch_xfer *x, size_t *waiting)
{
    x->user = (void *)&held_mark;
    (*waiting)++;
}

int fetch_retry_held(const struct fetch_xfer *x)
{
    return x->user == &held_mark;
}

long fetch_retry_add_due(CURLM *multi, struct fetch_xfer *xs, size_t count, size_t *waiting)
{
    long next = FETCH_RETRY_IDLE_MS;
    /* Written "!= 0", not "> 0": clang-format reads "i < count && *waiting > 0"
     * as a template argument list and mangles it. */
    for (size_t i = 0; i < count && *waiting != 0; i++) {
        if (!fetch_retry_held(&xs[i]))
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
