/* fetch_retry.h - transfers backing off before a retry, in a multi loop.
 *
 * A multi-interface style (exercises 12 and 13) drives every chain from one
 * thread. When fetch_xfer_done() sets up a retry that must wait
 * (fetch_xfer_wait_ms() > 0), the handle cannot go straight back into the
 * multi handle: it is held, and put back when its backoff is over. Both
 * exercises need exactly that bookkeeping, and it is not what they teach, so
 * it lives here once:
 *
 *     size_t waiting = 0;   // how many xfers are held
 *     ...
 *     } else if (fetch_xfer_done(x, rc) == 1) {
 *         if (fetch_xfer_wait_ms(x) > 0)
 *             fetch_retry_hold(x, &waiting);
 *         else
 *             curl_multi_add_handle(multi, x->easy);
 *     }
 *     ...
 *     long timeout = fetch_retry_add_due(multi, xs, count, &waiting);
 *     curl_multi_poll(multi, NULL, 0, (int)timeout, NULL);   // or epoll_wait
 *
 * A held xfer is marked in its `user` field, which a style using these
 * functions must leave alone. Not thread-safe: one loop owns the xfers.
 */
#ifndef RETREAT_FETCH_RETRY_H
#define RETREAT_FETCH_RETRY_H

#include <stddef.h>

#include "fetch.h"

/* The longest a loop should sleep when nothing is held (ms): a bound, so a
 * loop that forgot a wake-up still comes round. */
#define FETCH_RETRY_IDLE_MS 1000

/* Holds x (not in any multi handle) until its backoff is over; counts it in
 * *waiting. */
void fetch_retry_hold(struct fetch_xfer *x, size_t *waiting);

/* 1 if x is held by fetch_retry_hold. */
int fetch_retry_held(const struct fetch_xfer *x);

/* Puts every held xfer of xs[0..count) whose backoff is over back into
 * multi (curl_multi_add_handle), counting it off *waiting. Returns the ms
 * until the next held one is due, at most FETCH_RETRY_IDLE_MS: how long the
 * loop may sleep before calling again. */
long fetch_retry_add_due(CURLM *multi, struct fetch_xfer *xs, size_t count, size_t *waiting);

#endif
