/* rows.c - exercise 06: the images in rounds of one per thread, each
 * image's rows split in bands over all the threads, which meet at barriers.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 6`;
 * `make hint 6` gives a nudge. The function is declared in solutions/ladder.h.
 *
 * What is here already: the state the threads share (struct rows_job and
 * the image slots of a round), and each thread's chores before and after a
 * round (prepare, finish). What is yours: the pass over one band, the loop
 * every thread runs, and starting the threads.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

/* What band t's passes over one image report. Each band writes only its
 * own, so no two threads ever write the same memory. The two passes have a
 * flag each because the horizontal ones are read (by every thread, after
 * the middle barrier) while the vertical ones are being written. */
struct rows_band {
    int failed[2];  /* failed[0]: its horizontal pass, failed[1]: its vertical one */
    struct err err; /* why */
};

/* One image of a round. Slot t belongs to thread t: it decodes the image
 * into it before the round's first barrier and encodes it after the last
 * one. In between, every thread reads it and writes only its own band. */
struct rows_image {
    size_t item;
    int ready; /* decoded and out allocated: the bands may work */
    struct img in, out;
    struct rows_band *bands; /* bands[t], t < nthreads */
};

/* What all the threads share. */
struct rows_job {
    const struct blur_batch *b;
    pthread_mutex_t gate;      /* held while the threads are being started */
    pthread_barrier_t barrier; /* for the nthreads threads */
    int nthreads;              /* threads that really run, known once the gate opens */
    int quit;                  /* set before the gate opens if there is no barrier */
    struct blur_kernel kernel; /* the same for every image */
    struct err kernel_err;     /* why there is no kernel (bad sigma), if so */
    int kernel_ok;

    struct rows_image *images; /* images[t]: thread t's image of the current round */
    pthread_mutex_t tmp_lock;  /* every thread decodes at once, and may grow tmp */
    float *tmp;                /* the horizontal result, kept from one image to the next */
    size_t tmp_samples;        /* how many floats tmp holds */
};

struct rows_thread {
    struct rows_job *job;
    int t; /* 0 .. nthreads - 1: which band, and which image of a round */
    pthread_t tid;
};

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Makes tmp big enough for src. It is kept from one image to the next and
 * only grows: fresh memory costs a page fault for every 4 KB, which for a
 * large photo takes longer than its whole horizontal pass. The threads
 * prepare their images at the same time, hence the lock; the round's first
 * barrier then shows the new tmp to everyone. The old tmp is freed only
 * once the new one exists: another image of the round may already count on
 * its size. */
static int tmp_reserve(struct rows_job *job, const struct img *src, struct err *err)
{
    size_t need = (size_t)src->width * src->height * src->channels;
    int rc = 0;
    pthread_mutex_lock(&job->tmp_lock);
    if (need > job->tmp_samples) {
        float *bigger = blur_tmp_alloc(src, err);
        if (bigger == NULL) {
            rc = -1;
        } else {
            free(job->tmp);
            job->tmp = bigger;
            job->tmp_samples = need;
        }
    }
    pthread_mutex_unlock(&job->tmp_lock);
    return rc;
}

/* Thread t, at the start of a round: decode image i into slot t, if there
 * is an image i (the last round may have fewer images than threads). */
static void prepare(struct rows_job *job, int t, size_t i)
{
    const struct blur_batch *b = job->b;
    struct rows_image *im = &job->images[t];
    struct err err;
    im->item = i;
    im->ready = 0;
    if (i >= b->count)
        return;
    if (batch_decode(b, i, &im->in) != 0)
        return; /* batch_decode recorded why */
    if (!job->kernel_ok) {
        err = job->kernel_err;
    } else if (img_alloc_like(&im->out, &im->in, &err) == 0 &&
               tmp_reserve(job, &im->in, &err) == 0) {
        im->ready = 1;
        memset(im->bands, 0, sizeof *im->bands * (size_t)job->nthreads);
        return;
    }
    err_prefix(&err, "%s: ", b->inputs[i]);
    batch_fail(b, i, err.msg);
}

/* Thread t, at the end of a round: write its image, free its pixels. */
static void finish(struct rows_job *job, int t)
{
    struct rows_image *im = &job->images[t];
    if (im->ready) {
        int band = 0;
        while (band < job->nthreads && !im->bands[band].failed[0] && !im->bands[band].failed[1])
            band++;
        if (band == job->nthreads) {
            batch_encode(job->b, im->item, &im->out);
        } else {
            err_prefix(&im->bands[band].err, "%s: ", job->b->inputs[im->item]);
            batch_fail(job->b, im->item, im->bands[band].err.msg);
        }
    }
    img_free(&im->in);
    img_free(&im->out);
}

/* One pass over band t's rows [t*h/n, (t+1)*h/n) of image im, timed as a
 * "blur" span. With more threads than rows some bands are empty: nothing to
 * do. */
static void band_pass(struct rows_job *job, struct rows_image *im, int t, int vertical)
{
    /* TODO 1: band t of n = job->nthreads is rows [y0, y1) with
     *         y0 = t * h / n and y1 = (t + 1) * h / n, h = im->in.height
     *         (compute in long: no overflow). An empty band (y0 == y1) has
     *         nothing to do. Time the pass as a "blur" span:
     *           runlog_begin(&s, job->b->style, <file name>, im->item, "blur");
     *         then blur_rows_h(&im->in, job->tmp, &job->kernel, y0, y1, ...)
     *         or, if vertical, blur_rows_v(job->tmp, &im->out, ...), with
     *         &im->bands[t].err for the message. On success runlog_end();
     *         on failure set im->bands[t].failed[vertical] = 1 and
     *         runlog_fail(). */
    (void)job;
    (void)im;
    (void)t;
    (void)vertical;
    (void)base_name;
}

/* Every horizontal pass of im succeeded: all of tmp holds its rows. Read it
 * after the middle barrier, when those passes are over. */
static int tmp_whole(const struct rows_job *job, const struct rows_image *im)
{
    for (int t = 0; t < job->nthreads; t++)
        if (im->bands[t].failed[0])
            return 0;
    return 1;
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

    /* TODO 2: the images go in rounds of n = job->nthreads: round r is
     *         images r*n .. r*n + n - 1 (the last round may be shorter).
     *         For each round, every thread:
     *           prepare(job, me->t, r*n + me->t);  (its own image, if any)
     *           wait at the barrier     (the round's images are ready, or not)
     *           for each slot k = 0 .. n - 1, im = &job->images[k]:
     *             if im->ready: the horizontal pass of band me->t of im
     *             wait at the barrier   (every row of tmp is written)
     *             if im->ready and tmp_whole(job, im): the vertical pass
     *             wait at the barrier   (every output row of im is written,
     *                                    and tmp is free for slot k + 1)
     *           finish(job, me->t);     (encode its own image)
     *         Every thread must reach every barrier - also for a slot whose
     *         image failed or does not exist - or the others wait forever. */
    (void)prepare;
    (void)finish;
    (void)tmp_whole;
    (void)band_pass;
    return NULL;
}

int rows_run(const struct blur_batch *b)
{
    int want = b->threads >= 1 ? b->threads : 1;
    struct rows_job job = {.b = b};
    struct rows_thread *threads = calloc((size_t)want, sizeof *threads);
    job.images = calloc((size_t)want, sizeof *job.images);
    struct rows_band *bands = calloc((size_t)want * (size_t)want, sizeof *bands);
    if (threads == NULL || job.images == NULL || bands == NULL) {
        free(threads);
        free(job.images);
        free(bands);
        return -1;
    }
    for (int t = 0; t < want; t++) /* want bands for each of want images */
        job.images[t].bands = bands + (size_t)t * (size_t)want;
    job.kernel_ok = blur_kernel_init(&job.kernel, b->sigma, &job.kernel_err) == 0;
    pthread_mutex_init(&job.tmp_lock, NULL);

    /* A barrier for n threads waits for n arrivals, so n must be the number
     * of threads that really run, and pthread_create can fail. So: start
     * them behind a closed gate, count them, then set up the barrier. */
    pthread_mutex_init(&job.gate, NULL);
    pthread_mutex_lock(&job.gate);
    int n = 1; /* this thread is thread 0 */
    /* TODO 3: start threads 1 .. want - 1, each running rows_thread_main()
     *         on its own threads[n] = {.job = &job, .t = n}, counting in n
     *         those that pthread_create() started (stop at the first that
     *         fails: the bands simply get wider, the rounds shorter). */
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
    pthread_mutex_destroy(&job.tmp_lock);
    blur_kernel_free(&job.kernel);
    free(job.tmp);
    free(threads);
    free(job.images);
    free(bands);
    return rc;
}
