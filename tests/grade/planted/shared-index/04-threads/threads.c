/* PLANTED (tests/grade/planted/README): every thread gets &i of the loop, not its own index.
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

static const struct blur_batch *the_batch;

static void *work(void *arg)
{
    size_t index = *(size_t *)arg; /* PLANTED: the loop's i, read late */
    if (index < the_batch->count) /* (the last threads may read i == count) */
        batch_process(the_batch, index);
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
        the_batch = b;
        if (pthread_create(&tids[started], NULL, work, &started) != 0)
            break; /* out of threads: join those we have, fail the rest */
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    for (size_t i = started; i < b->count; i++)
        batch_fail(b, i, "could not start a thread for this image");

    free(tids);
    free(jobs);
    return started > 0 || b->count == 0 ? 0 : -1;
}
