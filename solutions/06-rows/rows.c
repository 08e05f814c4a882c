/* rows.c - exercise 06, reference: data parallelism inside one image.
 *
 * The styles before this one give each worker a whole image. That stops
 * helping when there are fewer images than cores, or one huge image: the
 * last image keeps one core busy while the others idle. Here the blur of
 * each image is split: each of the n threads blurs a band of its rows.
 *
 * Only the blur, though. Decoding and encoding cannot be split by rows: the
 * stb codecs read or write a file from start to end. And they are most of
 * the work: about 84% of the linear style's time on the workshop photos
 * (tests/bench/blur_scaling.sh, sigma 5). Left to one thread while the
 * others wait, they would cap the speedup at 1 / (0.84 + 0.16 / 2), about
 * 1.1x on two cores, however well the blur is split (Amdahl's law). So the
 * images go in rounds of n: each thread decodes and encodes an image of its
 * own, as in the pool, and all of them blur each image of the round together:
 *
 *     thread 0                   thread 1 ...
 *     decode image r*n           decode image r*n + 1
 *     ------------ barrier: the round's images are decoded -------------
 *     for each image k of the round:
 *         horizontal, band 0     horizontal, band 1
 *         ------------ barrier: every row of tmp is done ---------------
 *         vertical, band 0       vertical, band 1
 *         ------------ barrier: every row of the output is done --------
 *     encode image r*n           encode image r*n + 1
 *
 * The middle barrier is the heart of it: the vertical pass of a band reads
 * `radius` rows above and below it, which belong to the neighbouring bands,
 * so every horizontal pass must be finished before any vertical pass starts.
 * The last one also frees tmp for the next image of the round.
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
    const long h = im->in.height, n = job->nthreads;
    const int y0 = (int)(t * h / n), y1 = (int)((t + 1) * h / n);
    if (y0 == y1)
        return;
    struct rows_band *band = &im->bands[t];
    struct runlog_span s;
    runlog_begin(&s, job->b->style, base_name(job->b->inputs[im->item]), (long)im->item, "blur");
    int rc = vertical ? blur_rows_v(job->tmp, &im->out, &job->kernel, y0, y1, &band->err)
                      : blur_rows_h(&im->in, job->tmp, &job->kernel, y0, y1, &band->err);
    if (rc == 0) {
        runlog_end(job->b->log, &s);
    } else {
        band->failed[vertical] = 1;
        runlog_fail(job->b->log, &s, band->err.msg);
    }
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

    const int n = job->nthreads;
    for (size_t first = 0; first < job->b->count; first += (size_t)n) {
        prepare(job, me->t, first + (size_t)me->t);
        pthread_barrier_wait(&job->barrier); /* the round's images are ready (or not) */
        for (int k = 0; k < n; k++) {
            struct rows_image *im = &job->images[k];
            if (im->ready)
                band_pass(job, im, me->t, 0);
            pthread_barrier_wait(&job->barrier); /* all of tmp is written */
            /* If a horizontal pass failed, rows of tmp are garbage: stop
             * here. Every thread still goes to every barrier, or the others
             * would wait forever. */
            if (im->ready && tmp_whole(job, im))
                band_pass(job, im, me->t, 1);
            pthread_barrier_wait(&job->barrier); /* image k's output is written */
        }
        finish(job, me->t);
    }
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
    for (int t = 1; t < want; t++) {
        threads[n] = (struct rows_thread){.job = &job, .t = n};
        if (pthread_create(&threads[n].tid, NULL, rows_thread_main, &threads[n]) != 0)
            break; /* fewer threads: bands get wider, rounds shorter, the picture is the same */
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
    pthread_mutex_destroy(&job.tmp_lock);
    blur_kernel_free(&job.kernel);
    free(job.tmp);
    free(threads);
    free(job.images);
    free(bands);
    return rc;
}
