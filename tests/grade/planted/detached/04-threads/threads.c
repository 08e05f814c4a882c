/* PLANTED (tests/grade/planted/README): the threads are detached, not
 * joined: the function returns (and frees the jobs) while they still run.
 *
 *
 * The simplest way to use every core: start a thread for each item, then wait
 * for all of them. Threads share the address space, so each one writes its
 * result straight into b->results[i] - no pipes, no copies. No two threads
 * touch the same item, so no lock is needed either.
 *
 * The cost: a thread per item, however many items. A thousand photos means a
 * thousand threads, each with its own stack, all fighting over two cores and
 * all holding a decoded image in memory at once. Exercise 05 fixes that.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ladder.h"

/* What one thread needs to know: its own copy, never a shared loop variable. */
struct job {
    const struct blur_batch *b;
    size_t index;
};

static void *work(void *arg)
{
    const struct job *job = arg;
    batch_process(job->b, job->index);
    return NULL;
}

int threads_run(const struct blur_batch *b)
{
    pthread_t *tids = calloc(b->count ? b->count : 1, sizeof *tids);
    struct job *jobs = calloc(b->count ? b->count : 1, sizeof *jobs);
    if (tids == NULL || jobs == NULL) {
        free(tids);
        free(jobs);
        return -1;
    }

    size_t started = 0;
    for (; started < b->count; started++) {
        jobs[started] = (struct job){b, started};
        if (pthread_create(&tids[started], NULL, work, &jobs[started]) != 0)
            break; /* out of threads: join those we have, fail the rest */
    }
    for (size_t i = 0; i < started; i++)
        pthread_detach(tids[i]); /* PLANTED: not joined */
    for (size_t i = started; i < b->count; i++)
        batch_fail(b, i, "could not start a thread for this image");

    free(tids);
    free(jobs);
    return started > 0 || b->count == 0 ? 0 : -1;
}
