/* fetch_threads.c - exercise 10: one thread per feed.
 *
 * Read README.md in this folder first. You write fetch_threads_run(): start
 * one pthread per URL; each runs that URL's chain with blocking easy calls,
 * exactly like one turn of exercise 09's loop. Then wait for all of them.
 *
 * Two libcurl rules for threads: curl_global_init() is not thread-safe, so
 * fetch_global_init() must run before the first thread starts; and an easy
 * handle belongs to one thread at a time (each xfer has its own).
 *
 * Grade it with `make exercise 10`.
 */
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "ladder.h"

/* What one thread needs to know. */
struct task {
    const struct fetch_job *job;
    size_t index;
};

static void *fetch_one(void *arg)
{
    struct task *t = arg;
    (void)t;
    /* TODO: run URL t->index's chain: fetch_xfer_init, then perform and
     * fetch_xfer_done while it returns 1 (after fetch_xfer_wait_ms), then
     * fetch_xfer_cleanup. */
    return NULL;
}

int fetch_threads_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0) /* before any thread: not thread-safe */
        return -1;

    /* TODO: allocate job->count pthread_t and job->count struct task (one
     * argument per thread: a pointer to a loop variable would change under
     * the thread's feet). */

    /* TODO: start a thread running fetch_one for every URL; if
     * pthread_create fails, stop starting more (and return -1 at the end). */

    /* TODO: join every thread you started, free what you allocated. */
    (void)job, (void)fetch_one;
    return 0;
}
