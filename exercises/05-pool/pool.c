/* pool.c - exercise 05: blur a batch with a pool of b->threads workers.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 5`;
 * `make hint 5` gives a nudge. The function is declared in solutions/ladder.h.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ladder.h"

/* What all the workers share: the batch and the queue. The queue is just the
 * index of the first item nobody has taken yet. */
struct pool {
    const struct blur_batch *b;
    pthread_mutex_t lock; /* guards next */
    size_t next;
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    /* TODO 1: loop: lock p->lock, take i = p->next and advance it if
     *         i < p->b->count, unlock; stop when i has reached the end;
     *         otherwise batch_process(p->b, i). Do not hold the lock while
     *         processing - that would make the pool one worker again. */
    (void)p;
    return NULL;
}

int pool_run(const struct blur_batch *b)
{
    /* TODO 2: a struct pool on the stack, its mutex initialised with
     *         pthread_mutex_init().
     * TODO 3: start b->threads threads running worker(&pool) (fewer if
     *         there are fewer items), join them all, destroy the mutex. */

    (void)b; /* TODO: remove these two lines once you use b and worker */
    (void)worker;
    return 0;
}
