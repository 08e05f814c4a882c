/* PLANTED (tests/grade/planted/README): curl_share_cleanup() before the
 * workers are joined.
 *
 *
 * One thread per URL does not scale to ten thousand URLs; job->threads
 * workers that each take the next URL from a shared counter do. The workers
 * share one thing through libcurl: a share handle holding the DNS cache, so
 * a host is looked up once, not once per thread. libcurl does not lock a
 * share handle itself; we give it a lock and an unlock function.
 *
 * Connections are not shared: each worker keeps its own easy handle per
 * chain, and so its own connections (see the README for why).
 */
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "fetch.h"

struct pool {
    const struct fetch_job *job;
    CURLSH *share;
    pthread_mutex_t share_lock; /* guards the share handle's DNS cache */
    pthread_mutex_t next_lock;  /* guards next */
    size_t next;                /* the first URL nobody has taken yet */
};

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userptr)
{
    (void)h, (void)data, (void)access;
    pthread_mutex_lock(&((struct pool *)userptr)->share_lock);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userptr)
{
    (void)h, (void)data;
    pthread_mutex_unlock(&((struct pool *)userptr)->share_lock);
}

static void *worker(void *arg)
{
    struct pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->next_lock);
        size_t i = p->next < p->job->count ? p->next++ : p->job->count;
        pthread_mutex_unlock(&p->next_lock);
        if (i == p->job->count)
            return NULL;

        struct fetch_xfer x;
        if (fetch_xfer_init(&x, p->job, i) == 0) {
            curl_easy_setopt(x.easy, CURLOPT_SHARE, p->share);
            int more;
            do {
                clock_sleep_ms((unsigned)fetch_xfer_wait_ms(&x));
                more = fetch_xfer_done(&x, curl_easy_perform(x.easy));
            } while (more);
        }
        fetch_xfer_cleanup(&x);
    }
}

int fetch_pool_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;

    struct pool p = {.job = job};
    p.share = curl_share_init();
    if (p.share == NULL)
        return -1;
    pthread_mutex_init(&p.share_lock, NULL);
    pthread_mutex_init(&p.next_lock, NULL);
    curl_share_setopt(p.share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(p.share, CURLSHOPT_LOCKFUNC, share_lock);
    curl_share_setopt(p.share, CURLSHOPT_UNLOCKFUNC, share_unlock);
    curl_share_setopt(p.share, CURLSHOPT_USERDATA, &p);

    int n = job->threads > 0 ? job->threads : 1;
    pthread_t *threads = calloc((size_t)n, sizeof *threads);
    int started = 0;
    while (threads != NULL && started < n &&
           pthread_create(&threads[started], NULL, worker, &p) == 0)
        started++;
    curl_share_cleanup(p.share); /* PLANTED: the workers still run */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);

    pthread_mutex_destroy(&p.share_lock);
    pthread_mutex_destroy(&p.next_lock);
    free(threads);
    return started > 0 ? 0 : -1;
}
