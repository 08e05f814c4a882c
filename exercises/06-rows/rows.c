/* rows.c - exercise 06: blur one image at a time, its rows split in bands
 * over b->threads threads that meet at a barrier.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 6`;
 * `make hint 6` gives a nudge. The function is declared in src/ladder.h.
 *
 * What is here already: the state the threads share (struct rows_job), and
 * thread 0's chores before and after each image (prepare, finish). What is
 * yours: the pass over one band, the loop every thread runs, and starting
 * and joining the threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

/* What all the threads share. Thread 0 writes the image fields before the
 * first barrier of each image; the barrier makes them visible to the others,
 * who only read them. */
struct rows_job {
    const struct blur_batch *b;
    pthread_mutex_t gate;      /* held while the threads are being started */
    pthread_barrier_t barrier; /* for the nthreads threads */
    int nthreads;              /* threads that really run, known once the gate opens */
    int quit;                  /* set before the gate opens if there is no barrier */
    struct blur_kernel kernel; /* the same for every image */
    struct err kernel_err;     /* why there is no kernel (bad sigma), if so */
    int kernel_ok;

    /* The current image. */
    size_t item;
    int ready; /* decoded and buffers allocated: the bands may work */
    struct img in, out;
    float *tmp;         /* the horizontal result, kept from one image to the next */
    size_t tmp_samples; /* how many floats tmp holds */
    int *failed;        /* failed[t]: thread t's pass failed ... */
    struct err *errors; /* ... and errors[t] says why */
};

struct rows_thread {
    struct rows_job *job;
    int t; /* 0 .. nthreads - 1: which band */
    pthread_t tid;
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Makes tmp big enough for the current image. It is kept from one image to
 * the next and only grows: fresh memory costs a page fault for every 4 KB,
 * which for a large photo takes longer than its whole horizontal pass. */
static int tmp_reserve(struct rows_job *job, struct err *err)
{
    size_t need = (size_t)job->in.width * job->in.height * job->in.channels;
    if (need <= job->tmp_samples)
        return 0;
    free(job->tmp);
    job->tmp_samples = 0;
    job->tmp = blur_tmp_alloc(&job->in, err);
    if (job->tmp == NULL)
        return -1;
    job->tmp_samples = need;
    return 0;
}

/* Thread 0, before the bands start: decode image i and get its buffers. */
static void prepare(struct rows_job *job, size_t i)
{
    const struct blur_batch *b = job->b;
    struct err err;
    job->item = i;
    job->ready = 0;
    if (batch_decode(b, i, &job->in) != 0)
        return; /* batch_decode recorded why */
    if (!job->kernel_ok) {
        err = job->kernel_err;
    } else if (img_alloc_like(&job->out, &job->in, &err) == 0 && tmp_reserve(job, &err) == 0) {
        job->ready = 1;
        memset(job->failed, 0, sizeof *job->failed * (size_t)job->nthreads);
        return;
    }
    err_prefix(&err, "%s: ", b->inputs[i]);
    batch_fail(b, i, err.msg);
}

/* Thread 0, after the bands are done: write the image, free its pixels. */
static void finish(struct rows_job *job)
{
    if (job->ready) {
        int t = 0;
        while (t < job->nthreads && !job->failed[t])
            t++;
        if (t == job->nthreads) {
            batch_encode(job->b, job->item, &job->out);
        } else {
            err_prefix(&job->errors[t], "%s: ", job->b->inputs[job->item]);
            batch_fail(job->b, job->item, job->errors[t].msg);
        }
    }
    img_free(&job->in);
    img_free(&job->out);
}

/* One pass over band t's rows [t*h/n, (t+1)*h/n), timed as a "blur" span.
 * With more threads than rows some bands are empty: nothing to do. */
static void band_pass(struct rows_job *job, int t, int vertical)
{
    /* TODO 1: band t of n = job->nthreads is rows [y0, y1) with
     *         y0 = t * h / n and y1 = (t + 1) * h / n (compute in long: no
     *         overflow). An empty band (y0 == y1) has nothing to do.
     *         Time the pass as a "blur" span:
     *           runlog_begin(&s, job->b->style, <file name>, job->item, "blur");
     *         then blur_rows_h(&job->in, job->tmp, &job->kernel, y0, y1, ...)
     *         or, if vertical, blur_rows_v(job->tmp, &job->out, ...), with
     *         &job->errors[t] for the message. On success runlog_end();
     *         on failure set job->failed[t] = 1 and runlog_fail(). */
    (void)job;
    (void)t;
    (void)vertical;
    (void)base_name;
}

static int any_failed(const struct rows_job *job)
{
    for (int t = 0; t < job->nthreads; t++)
        if (job->failed[t])
            return 1;
    return 0;
}

static void *rows_thread_main(void *arg)
{
    struct rows_thread *me = arg;
    struct rows_job *job = me->job;

    /* Wait until every thread that could be started is, and nthreads is
     * known: taking the gate's mutex makes the starter's writes visible. */
    pthread_mutex_lock(&job->gate);
    pthread_mutex_unlock(&job->gate);
    if (job->quit)
        return NULL;

    /* TODO 2: for each image i of the batch, every thread:
     *           thread 0 only: prepare(job, i);
     *           wait at the barrier          (the image is ready, or not)
     *           if job->ready: the horizontal pass of band me->t
     *           wait at the barrier          (every row of tmp is written)
     *           if job->ready and no band failed: the vertical pass
     *           wait at the barrier          (every output row is written)
     *           thread 0 only: finish(job);
     *         Every thread must reach every barrier - also when the image
     *         failed - or the others wait forever. */
    (void)prepare;
    (void)finish;
    (void)any_failed;
    (void)band_pass;
    return NULL;
}

int rows_run(const struct blur_batch *b)
{
    int want = b->threads >= 1 ? b->threads : 1;
    struct rows_job job = {.b = b};
    struct rows_thread *threads = calloc((size_t)want, sizeof *threads);
    job.failed = calloc((size_t)want, sizeof *job.failed);
    job.errors = calloc((size_t)want, sizeof *job.errors);
    if (threads == NULL || job.failed == NULL || job.errors == NULL) {
        free(threads);
        free(job.failed);
        free(job.errors);
        return -1;
    }
    job.kernel_ok = blur_kernel_init(&job.kernel, b->sigma, &job.kernel_err) == 0;

    /* A barrier for n threads waits for n arrivals, so n must be the number
     * of threads that really run, and pthread_create can fail. So: start
     * them behind a closed gate, count them, then set up the barrier. */
    pthread_mutex_init(&job.gate, NULL);
    pthread_mutex_lock(&job.gate);
    int n = 1; /* this thread is thread 0 */
    /* TODO 3: start threads 1 .. want - 1, each running rows_thread_main()
     *         on its own threads[n] = {.job = &job, .t = n}, counting in n
     *         those that pthread_create() started (stop at the first that
     *         fails: the bands simply get wider). */
    job.nthreads = n;
    int rc = pthread_barrier_init(&job.barrier, NULL, (unsigned)n) == 0 ? 0 : -1;
    job.quit = rc != 0;
    pthread_mutex_unlock(&job.gate); /* go */
    if (rc == 0) {
        threads[0] = (struct rows_thread){.job = &job, .t = 0};
        rows_thread_main(&threads[0]);
    }
    for (int t = 1; t < n; t++)
        pthread_join(threads[t].tid, NULL);
    if (rc == 0)
        pthread_barrier_destroy(&job.barrier);
    pthread_mutex_destroy(&job.gate);
    blur_kernel_free(&job.kernel);
    free(job.tmp);
    free(threads);
    free(job.failed);
    free(job.errors);
    return rc;
}
