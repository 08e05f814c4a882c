/* rows.c - exercise 06: one image at a time, its rows split in bands over
 * threads, which meet at a barrier between the two passes of the blur.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 6`;
 * `make hint 6` gives a nudge. The function is declared in solutions/ladder.h.
 *
 * What is here already: what the threads share (struct rows_job), thread
 * 0's chores before and after an image (prepare, finish), recording how a
 * band's pass went (band_report), and starting the threads. What is yours:
 * a band's pass, the barrier between the passes, the loop of threads
 * 1 .. n-1, and thread 0's loop over the images.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "path.h"

/* What band t reports about the current image. Only thread t writes it
 * (during the passes); thread 0 resets it before the first barrier and reads
 * it after the last one. */
struct rows_band {
    int failed;
    struct err err; /* why, if failed */
};

/* What the threads share. Thread 0 writes the image's fields before the
 * first barrier; between the first and the last, everyone reads them and
 * writes only its own band's rows of tmp and out, and its own bands[t]. */
struct rows_job {
    const struct blur_batch *b;
    pthread_mutex_t gate;      /* held while the threads are being started */
    pthread_barrier_t barrier; /* for the nthreads threads */
    int nthreads;              /* threads that really run, known once the gate opens */
    struct blur_kernel kernel;
    struct rows_band *bands; /* bands[t], t < nthreads */
    int done;                /* no image left: the threads return */

    /* The current image. */
    size_t item;
    struct img in, out;
    float *tmp;      /* the horizontal result, kept from image to image */
    size_t tmp_size; /* floats tmp can hold */
};

struct rows_thread {
    struct rows_job *job;
    int t; /* which band: 1 .. nthreads - 1 (thread 0 is the caller) */
    pthread_t tid;
};

/* Makes tmp big enough for the current image. It is kept from one image to
 * the next, and grown with realloc(), which on Linux moves a big block's
 * pages to a larger place instead of copying them: memory is handed out
 * page by page on first touch (a page fault each 4 KB), so a fresh float
 * buffer for every camera photo (144 MB for 12 megapixels) cost more than
 * the blur saved, and a grown one costs only its new pages. */
static int tmp_fit(struct rows_job *job, struct err *err)
{
    size_t need = (size_t)job->in.width * job->in.height * job->in.channels;
    if (need <= job->tmp_size)
        return 0;
    float *grown = realloc(job->tmp, need * sizeof *grown);
    if (grown == NULL)
        return err_set(err, "out of memory for a %dx%d image's floats", job->in.width,
                       job->in.height);
    job->tmp = grown;
    job->tmp_size = need;
    return 0;
}

/* Thread 0: decode item i and allocate what its blur needs. Returns -1 (the
 * item failed, recorded) if it cannot be blurred. */
static int prepare(struct rows_job *job, size_t i)
{
    struct err err;
    job->item = i;
    if (batch_decode(job->b, i, &job->in) != 0)
        return -1; /* batch_decode recorded why */
    if (img_alloc_like(&job->out, &job->in, &err) != 0 || tmp_fit(job, &err) != 0) {
        err_prefix(&err, "%s: ", job->b->inputs[i]);
        batch_fail(job->b, i, err.msg);
        img_free(&job->in);
        img_free(&job->out);
        return -1;
    }
    memset(job->bands, 0, sizeof *job->bands * (size_t)job->nthreads);
    return 0;
}

/* Thread 0, after the last barrier: write the image if every band did its
 * passes, and free it. */
static void finish(struct rows_job *job)
{
    int t = 0;
    while (t < job->nthreads && !job->bands[t].failed)
        t++;
    if (t == job->nthreads) {
        batch_encode(job->b, job->item, &job->out);
    } else {
        err_prefix(&job->bands[t].err, "%s: ", job->b->inputs[job->item]);
        batch_fail(job->b, job->item, job->bands[t].err.msg);
    }
    img_free(&job->in);
    img_free(&job->out);
}

/* Ends band t's "blur" span: a success, or a failure, whose first reason
 * the band keeps for finish(). */
static void band_report(struct rows_job *job, int t, struct runlog_span *s, int rc,
                        const struct err *err)
{
    if (rc == 0) {
        runlog_end(job->b->log, s);
        return;
    }
    runlog_fail(job->b->log, s, err->msg);
    if (!job->bands[t].failed)
        job->bands[t].err = *err;
    job->bands[t].failed = 1;
}

/* One pass over band t of the current image, timed as a "blur" span. With
 * more threads than rows some bands are empty: nothing to do. */
static void band_pass(struct rows_job *job, int t, int vertical)
{
    /* TODO 1: band t of n = job->nthreads is rows [y0, y1) with
     *         y0 = t * h / n and y1 = (t + 1) * h / n, h = job->in.height
     *         (compute in long: no overflow). If it is empty, return. Else:
     *           runlog_begin(&s, job->b->style, path_base_name(<the input's path>),
     *                        (long)job->item, "blur");
     *         then blur_rows_h(&job->in, job->tmp, &job->kernel, y0, y1, &err),
     *         or, if vertical, blur_rows_v(job->tmp, &job->out, ...), and
     *         band_report(job, t, &s, rc, &err). */
    (void)job;
    (void)t;
    (void)vertical;
    (void)band_report;
}

/* Band t's share of the current image: every thread calls it, between the
 * first and the last barrier. If a horizontal pass failed, some rows of tmp
 * are garbage: the vertical passes blur it all the same (no thread has to
 * decide anything), and finish() throws the result away. */
static void blur_band(struct rows_job *job, int t)
{
    /* TODO 2: band t's horizontal pass (band_pass), then wait at
     *         job->barrier until every thread has done its own, then band
     *         t's vertical pass. */
    (void)job;
    (void)t;
    (void)band_pass;
}

/* Threads 1 .. n-1: a band of every image, until thread 0 says there is none
 * left. */
static void *band_thread(void *arg)
{
    struct rows_thread *me = arg;
    struct rows_job *job = me->job;
    /* Wait until every thread that could be started is, and nthreads is
     * known: taking the gate's mutex makes the starter's writes visible. */
    pthread_mutex_lock(&job->gate);
    pthread_mutex_unlock(&job->gate);
    if (job->done)
        return NULL; /* there is no barrier */
    /* TODO 3: for every image: wait at the barrier (thread 0 has the next
     *         image ready, or has set job->done); return NULL if job->done;
     *         blur_band(job, me->t); wait at the barrier (every row of the
     *         output is written, so thread 0 may encode it). */
    return NULL;
}

int rows_run(const struct blur_batch *b)
{
    int want = b->threads >= 1 ? b->threads : 1;
    struct rows_job job = {.b = b};
    struct rows_thread *threads = calloc((size_t)want, sizeof *threads);
    job.bands = calloc((size_t)want, sizeof *job.bands);
    struct err err;
    if (threads == NULL || job.bands == NULL) {
        free(threads);
        free(job.bands);
        return -1;
    }
    if (blur_kernel_init(&job.kernel, b->sigma, &err) != 0) {
        for (size_t i = 0; i < b->count; i++) { /* a bad sigma: every image's problem */
            struct err mine = err;
            err_prefix(&mine, "%s: ", b->inputs[i]);
            batch_fail(b, i, mine.msg);
        }
        free(threads);
        free(job.bands);
        return 0;
    }

    /* A barrier for n threads waits for n arrivals, so n must be the number
     * of threads that really run, and pthread_create can fail. So: start
     * them behind a closed gate, count them, then set up the barrier. */
    pthread_mutex_init(&job.gate, NULL);
    pthread_mutex_lock(&job.gate);
    int n = 1; /* this thread is thread 0 */
    for (; n < want; n++) {
        threads[n] = (struct rows_thread){.job = &job, .t = n};
        if (pthread_create(&threads[n].tid, NULL, band_thread, &threads[n]) != 0)
            break; /* fewer threads: wider bands, the same picture */
    }
    job.nthreads = n;
    int rc = pthread_barrier_init(&job.barrier, NULL, (unsigned)n) == 0 ? 0 : -1;
    job.done = rc != 0;              /* no barrier: the threads return at once */
    pthread_mutex_unlock(&job.gate); /* go */

    /* TODO 4: thread 0 (this one), while rc == 0, for each image i:
     *         prepare(&job, i), and if that fails, go on to the next image
     *         (without a barrier: the others are waiting for an image);
     *         else wait at the barrier (image i is ready), blur_band(&job, 0),
     *         wait at the barrier (every row is written), finish(&job).
     *         Then, if rc == 0: set job.done = 1 and wait at the barrier
     *         once more, so that the others see it and return. */
    (void)prepare;
    (void)finish;
    (void)blur_band;
    for (int t = 1; t < n; t++)
        pthread_join(threads[t].tid, NULL);
    if (rc == 0)
        pthread_barrier_destroy(&job.barrier);
    pthread_mutex_destroy(&job.gate);
    blur_kernel_free(&job.kernel);
    free(threads);
    free(job.bands);
    free(job.tmp);
    return rc;
}
