/* fetch_threads.c - exercise 10, reference: one thread per URL.
 *
 * Each URL gets a thread that runs its chain with blocking easy calls, so
 * every request waits at the same time and the run takes about as long as
 * the slowest chain. Two things make libcurl safe here: curl_global_init()
 * runs once, before any thread starts, and every handle is used by one
 * thread only (CURLOPT_NOSIGNAL is set by fetch_xfer_init: no signals).
 */
#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "ladder.h"

struct task {
    const struct fetch_job *job;
    size_t index;
};

static void *fetch_one(void *arg)
{
    struct task *t = arg;
    struct fetch_xfer x;
    if (fetch_xfer_init(&x, t->job, t->index) == 0) {
        int more;
        do {
            clock_sleep_ms((unsigned)fetch_xfer_wait_ms(&x));
            more = fetch_xfer_done(&x, curl_easy_perform(x.easy));
        } while (more);
    }
    fetch_xfer_cleanup(&x);
    return NULL;
}

int fetch_threads_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0) /* before the first thread: not thread-safe */
        return -1;

    pthread_t *threads = calloc(job->count ? job->count : 1, sizeof *threads);
    struct task *tasks = calloc(job->count ? job->count : 1, sizeof *tasks);
    if (threads == NULL || tasks == NULL) {
        free(threads);
        free(tasks);
        return -1;
    }

    /* Each thread gets its own argument: a pointer to the loop variable
     * would change under its feet. */
    size_t started = 0;
    for (; started < job->count; started++) {
        tasks[started] = (struct task){job, started};
        if (pthread_create(&threads[started], NULL, fetch_one, &tasks[started]) != 0)
            break;
    }
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);

    free(threads);
    free(tasks);
    return started == job->count ? 0 : -1;
}
