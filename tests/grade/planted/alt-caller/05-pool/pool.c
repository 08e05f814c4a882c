/* ALTERNATIVE (tests/grade/planted/README): a correct pool in which the calling thread is
 * one of the b->threads workers.
 *
 *
 * b->threads workers share one queue: the index of the next item nobody has
 * taken yet. A worker takes an index under the mutex, lets go of the mutex,
 * and only then does the slow part, so the lock is held for a few
 * instructions and never while blurring. When the index passes the end, the
 * worker returns. However many images there are, there are never more than
 * b->threads threads, and never more than b->threads images in memory.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ladder.h"

struct pool {
    const struct blur_batch *b;
    pthread_mutex_t lock; /* guards next */
    size_t next;          /* the first item no worker has taken */
};

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next;
        if (i < p->b->count)
            p->next++;
        pthread_mutex_unlock(&p->lock);

        if (i >= p->b->count)
            return NULL; /* the queue is empty: this worker is done */
        batch_process(p->b, i);
    }
}

int pool_run(const struct blur_batch *b)
{
    int n = b->threads < 1 ? 1 : b->threads;
    if ((size_t)n > b->count && b->count > 0)
        n = (int)b->count; /* a worker without an item would only start and stop */
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    if (tids == NULL)
        return -1;

    struct pool p = {.b = b, .next = 0};
    pthread_mutex_init(&p.lock, NULL);
    int started = 0;
    while (started < n - 1 && pthread_create(&tids[started], NULL, worker, &p) == 0)
        started++;
    worker(&p); /* the caller's thread is a worker too */
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);

    pthread_mutex_destroy(&p.lock);
    free(tids);
    return 0;
}
