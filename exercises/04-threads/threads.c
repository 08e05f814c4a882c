/* threads.c - exercise 04: blur a batch with one thread per image.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 4`;
 * `make hint 4` gives a nudge. The function is declared in solutions/ladder.h.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ladder.h"

/* What one thread needs to know. Give every thread its own job: a pointer to
 * a loop variable would change under the thread's feet. */
struct job {
    const struct blur_batch *b;
    size_t index;
};

/* The thread's body: pthread_create() calls it with the job's address. */
static void *work(void *arg)
{
    const struct job *job = arg;
    /* TODO 1: process the job's item with batch_process(). */
    (void)job;
    return NULL;
}

int threads_run(const struct blur_batch *b)
{
    /* TODO 2: allocate b->count pthread_t and b->count struct job.
     * TODO 3: fill job i and pthread_create() thread i with work and &jobs[i],
     *         for every i - *all* of them before you join any.
     * TODO 4: pthread_join() every thread you started, then free. If a
     *         pthread_create() fails, batch_fail() the items left over. */

    (void)b; /* TODO: remove these two lines once you use b and work */
    (void)work;
    return 0;
}
