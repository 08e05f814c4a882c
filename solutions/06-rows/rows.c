/* rows.c - exercise 06, reference: data parallelism inside one image.
 *
 * The styles before this one give each worker a whole image. That stops
 * helping when there are fewer images than cores, or one huge image: the
 * last image keeps one core busy while the others idle. Here the images go
 * one at a time, and each image is split: each of b->threads threads blurs
 * a band of its rows.
 *
 *     thread 0              thread 1 ...
 *     decode image i        (waits)
 *     ------------------ barrier: the image is ready ------------------
 *     horizontal, band 0    horizontal, band 1
 *     ------------------ barrier: every row of tmp is done -----------
 *     vertical, band 0      vertical, band 1
 *     ------------------ barrier: every row of the output is done ----
 *     encode image i        (waits for image i + 1)
 *
 * The middle barrier is the heart of it: the vertical pass of a band reads
 * `radius` rows above and below it, which belong to the neighbouring bands,
 * so every horizontal pass must be finished before any vertical pass starts.
 *
 * The threads are started once, not once per image, and the calling thread
 * is thread 0: b->threads workers in all, whatever the number of images.
 * Each pass of each band is a "blur" span in the run log, so a timeline shows
 * the bands side by side, and the gaps where early ones wait for late ones.
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
    const long h = job->in.height, n = job->nthreads;
    const int y0 = (int)(t * h / n), y1 = (int)((t + 1) * h / n);
    if (y0 == y1)
        return;
    struct runlog_span s;
    runlog_begin(&s, job->b->style, base_name(job->b->inputs[job->item]), (long)job->item, "blur");
    int rc = vertical ? blur_rows_v(job->tmp, &job->out, &job->kernel, y0, y1, &job->errors[t])
                      : blur_rows_h(&job->in, job->tmp, &job->kernel, y0, y1, &job->errors[t]);
    if (rc == 0) {
        runlog_end(job->b->log, &s);
    } else {
        job->failed[t] = 1;
        runlog_fail(job->b->log, &s, job->errors[t].msg);
    }
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

    for (size_t i = 0; i < job->b->count; i++) {
        if (me->t == 0)
            prepare(job, i);
        pthread_barrier_wait(&job->barrier); /* the image is ready (or not) */
        if (job->ready)
            band_pass(job, me->t, 0);
        pthread_barrier_wait(&job->barrier); /* all of tmp is written */
        /* If a horizontal pass failed, rows of tmp are garbage: stop here.
         * Every thread still goes to every barrier, or the others would
         * wait forever. */
        if (job->ready && !any_failed(job))
            band_pass(job, me->t, 1);
        pthread_barrier_wait(&job->barrier); /* all of the output is written */
        if (me->t == 0)
            finish(job);
    }
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
    for (int t = 1; t < want; t++) {
        threads[n] = (struct rows_thread){.job = &job, .t = n};
        if (pthread_create(&threads[n].tid, NULL, rows_thread_main, &threads[n]) != 0)
            break; /* fewer threads: bands get wider, the picture is the same */
        n++;
    }
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
