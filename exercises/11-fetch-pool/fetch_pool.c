/* fetch_pool.c - exercise 11: a bounded pool of worker threads.
 *
 * Read README.md in this folder first. You write fetch_pool_run(): start
 * job->threads workers; each takes the next URL not yet taken (a counter
 * behind a mutex) and runs its chain, until none are left.
 *
 * The workers share a libcurl share handle that caches DNS answers, so that
 * a host is resolved once for the whole pool. libcurl does not lock a share
 * handle by itself: you give it lock and unlock callbacks.
 *
 * Grade it with `make exercise 11`.
 */
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "ladder.h"

struct pool {
    const struct fetch_job *job;
    CURLSH *share;
    pthread_mutex_t share_lock; /* guards the share handle's DNS cache */
    pthread_mutex_t next_lock;  /* guards next */
    size_t next;                /* the first URL nobody has taken yet */
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr)
{
    (void)h, (void)data, (void)access, (void)userptr;
    /* TODO: lock the pool's share_lock (userptr is the struct pool). */
}

static void share_unlock(CURL *h, curl_lock_data data, void *userptr)
{
    (void)h, (void)data, (void)userptr;
    /* TODO: unlock it. */
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    (void)p;
    /* TODO: loop: under next_lock take the next index (or stop when all are
     * taken); run that URL's chain as in exercise 09, with
     * curl_easy_setopt(x.easy, CURLOPT_SHARE, p->share) after
     * fetch_xfer_init succeeded. */
    return NULL;
}

int fetch_pool_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;

    struct pool p = {.job = job};
    /* TODO: curl_share_init(); init both mutexes; share CURL_LOCK_DATA_DNS
     * (CURLSHOPT_SHARE) with share_lock, share_unlock and &p as
     * CURLSHOPT_LOCKFUNC, CURLSHOPT_UNLOCKFUNC and CURLSHOPT_USERDATA. */

    /* TODO: start job->threads workers (at least 1) and join them. */

    /* TODO: curl_share_cleanup() - only once no easy handle uses it -, then
     * destroy the mutexes and free what you allocated. */
    (void)p, (void)worker, (void)share_lock, (void)share_unlock;
    return 0;
}
