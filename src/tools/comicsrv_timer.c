/* comicsrv_timer.c - the one thread that wakes delayed requests.
 *
 * A slow server must not cost a thread per waiting request: ten thousand
 * delayed feeds would be ten thousand stacks. Instead a waiting request is
 * *suspended* (libmicrohttpd stops polling its socket) and its connection is
 * put in a min-heap ordered by the time it is due. This thread sleeps until
 * the earliest one is due, then resumes it; libmicrohttpd calls the request's
 * handler again and the answer goes out.
 *
 * MHD_resume_connection is called outside our lock, so the lock never nests
 * inside libmicrohttpd's own.
 */
#include "comicsrv_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

/* --- The heap ------------------------------------------------------------ */

static void heap_swap(struct comicsrv_wait *a, struct comicsrv_wait *b)
{
    struct comicsrv_wait tmp = *a;
    *a = *b;
    *b = tmp;
}

static int heap_push(struct comicsrv_timer *t, struct comicsrv_wait w)
{
    if (t->len == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct comicsrv_wait *heap = realloc(t->heap, cap * sizeof *heap);
        if (heap == NULL)
            return -1;
        t->heap = heap;
        t->cap = cap;
    }
    size_t i = t->len++;
    t->heap[i] = w;
    while (i > 0 && t->heap[(i - 1) / 2].due_ns > t->heap[i].due_ns) {
        heap_swap(&t->heap[(i - 1) / 2], &t->heap[i]);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct comicsrv_wait heap_pop(struct comicsrv_timer *t)
{
    struct comicsrv_wait top = t->heap[0];
    t->heap[0] = t->heap[--t->len];
    for (size_t i = 0;;) {
        size_t l = 2 * i + 1, r = l + 1, min = i;
        if (l < t->len && t->heap[l].due_ns < t->heap[min].due_ns)
            min = l;
        if (r < t->len && t->heap[r].due_ns < t->heap[min].due_ns)
            min = r;
        if (min == i)
            break;
        heap_swap(&t->heap[i], &t->heap[min]);
        i = min;
    }
    return top;
}

/* --- The thread ---------------------------------------------------------- */

#define RESUME_BATCH 256 /* connections resumed per wake-up, outside the lock */

static void *timer_main(void *arg)
{
    struct comicsrv_timer *t = arg;
    struct MHD_Connection *due[RESUME_BATCH];

    pthread_mutex_lock(&t->lock);
    for (;;) {
        /* Collect what is due (everything, when stopping). */
        size_t n = 0;
        uint64_t now = clock_now_ns();
        while (n < RESUME_BATCH && t->len > 0 && (t->stopping || t->heap[0].due_ns <= now))
            due[n++] = heap_pop(t).conn;

        if (n > 0) {
            pthread_mutex_unlock(&t->lock);
            for (size_t k = 0; k < n; k++)
                MHD_resume_connection(due[k]);
            pthread_mutex_lock(&t->lock);
            continue;
        }
        if (t->stopping)
            break;
        if (t->len == 0) {
            pthread_cond_wait(&t->wake, &t->lock);
        } else {
            uint64_t when = t->heap[0].due_ns;
            struct timespec ts = {.tv_sec = (time_t)(when / 1000000000u),
                                  .tv_nsec = (long)(when % 1000000000u)};
            pthread_cond_timedwait(&t->wake, &t->lock, &ts);
        }
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

int comicsrv_timer_start(struct comicsrv_timer *t, struct err *err)
{
    memset(t, 0, sizeof *t);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC); /* the clock of clock_now_ns */
    pthread_cond_init(&t->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&t->lock, NULL);
    int rc = pthread_create(&t->thread, NULL, timer_main, t);
    if (rc != 0) {
        pthread_cond_destroy(&t->wake);
        pthread_mutex_destroy(&t->lock);
        return err_set(err, "comic server: cannot start the timer thread: %s", strerror(rc));
    }
    return 0;
}

void comicsrv_timer_delay(struct comicsrv_timer *t, struct MHD_Connection *conn, unsigned ms)
{
    MHD_suspend_connection(conn);
    struct comicsrv_wait w = {.due_ns = clock_now_ns() + (uint64_t)ms * 1000000u, .conn = conn};

    pthread_mutex_lock(&t->lock);
    /* Out of memory or shutting down: answer now rather than never. */
    int queued = !t->stopping && heap_push(t, w) == 0;
    if (queued && t->heap[0].conn == conn)
        pthread_cond_signal(&t->wake); /* the new earliest: the thread must sleep less */
    pthread_mutex_unlock(&t->lock);
    if (!queued)
        MHD_resume_connection(conn);
}

void comicsrv_timer_stop(struct comicsrv_timer *t)
{
    pthread_mutex_lock(&t->lock);
    t->stopping = 1;
    pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
}

void comicsrv_timer_free(struct comicsrv_timer *t)
{
    free(t->heap);
    pthread_cond_destroy(&t->wake);
    pthread_mutex_destroy(&t->lock);
}
