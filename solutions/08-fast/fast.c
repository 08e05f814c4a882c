/* fast.c - exercise 08, reference: a Gaussian blur whose cost does not grow
 * with sigma.
 *
 * The exact blur does 2(2r+1) multiply-adds per sample, r = 3 sigma: at sigma
 * 10 that is 122. Two old observations make it O(1) instead:
 *
 *  1. A box filter (the plain average of 2r+1 neighbours) costs the same for
 *     any r with a running sum: slide the window one step, add the sample
 *     that enters, subtract the one that leaves.
 *  2. Blurring with a box K times is blurring with the box convolved with
 *     itself K times, and by the central limit theorem that tends to a
 *     Gaussian. With K boxes whose variances add up to sigma^2,
 *     the result is within a few levels of the exact Gaussian.
 *
 * Box radii are integers, so a plain box can only hit some variances. The
 * "extended box" (Gwosdek, Grewenig, Bruhn and Weickert, 2011) adds a
 * fraction alpha of the next sample on each side, which makes the variance
 * exactly sigma^2 / K for any sigma. Below sigma 4 the exact kernel has at
 * most 25 taps and costs no more than the boxes: there fast_blur() runs the
 * reference passes instead, blur_gauss() on one thread, blur_rows_h/v on more.
 *
 * Borders clamp to the edge like the reference: each line (a row, or a strip
 * of columns) is first padded with copies of its edge sample, wide enough for
 * all K passes, so that every pass sees the same extended image the exact
 * Gaussian sees.
 *
 * Memory order matters as much as arithmetic. The vertical pass does not walk
 * down columns (each step would jump a whole row ahead in memory, a cache miss
 * each time); it copies strips FAST_STRIP samples wide into floats and walks
 * along them, so the innermost loop runs over contiguous floats with fixed
 * bounds, which the compiler turns into SIMD instructions. The horizontal pass
 * uses the same loop on blocks of rows turned on their side.
 *
 * Memory: the horizontal result goes into dst, rounded to bytes, and the
 * vertical pass blurs dst in place, strip by strip. Each thread has its own
 * strip buffers, a couple of megabytes, allocated once per phase and reused
 * for every block and strip. An earlier version kept the horizontal result
 * as a whole-image float buffer, 4 bytes a sample (150 MB for a 12-megapixel
 * photo), allocated on every call: the kernel handed it over a fresh page at
 * a time, and that alone was a quarter of the time under `perf record` (the
 * first blur of a photo took 0.44 s, now 0.12). Rounding in between costs at
 * most half a level, which the vertical boxes average away.
 *
 * Threads: rows are split among them for the horizontal pass; then, after all
 * of them are done (pthread_join), the strips for the vertical pass. The batch
 * style, fast_run(), is exercise 05's pool instead: see there why.
 *
 * This is the method the skeleton teaches, completed, with its given parts
 * unchanged. The library's "expert" style (src/core/blur_expert.c, beyond the
 * ladder) takes another road to an O(1) Gaussian, built for speed.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "path.h"

/* Box blurs per direction: more passes follow the Gaussian more closely, and
 * each costs the same. On the workshop photos, from sigma 4 to 50, 3 boxes
 * miss blur_gauss() by up to 6 levels, 4 by up to 5, and 5 by up to 4, the
 * tolerance (tests/bench/). */
#define FAST_PASSES 5

/* Below this sigma the exact blur, whose kernel has at most 25 taps there,
 * is as fast as the 5 box passes: fast_blur() uses it instead, see there. */
#define FAST_SIGMA_EXACT 4.0f

/* Floats per row of a strip: 96 bytes. A multiple of both 3 and 4, so that a
 * strip holds whole RGB or RGBA pixels. Narrow enough that the two strips of
 * a block of rows of a 4000-pixel photo, 2 x 4000 x 96 bytes, stay in a
 * 1 MB L2 cache while the passes go over them again and again: with 48
 * floats they did not, and the blur took 5% longer (36: 2% longer; 12: 3
 * times as long, the loops too short). */
#define FAST_STRIP 24

/* One extended box: weights 1 within radius r, alpha at r + 1, divided by
 * 2r + 1 + 2 alpha. */
struct fast_box {
    int passes; /* how many times the box is applied */
    int r;
    float alpha, scale;
};

static void box_for_sigma(struct fast_box *box, float sigma)
{
    double v = (double)sigma * sigma / FAST_PASSES;         /* variance of one box */
    int r = (int)floor((sqrt(12.0 * v + 1.0) - 1.0) / 2.0); /* largest r with r(r+1)/3 <= v */
    double alpha = (2 * r + 1) * (v - r * (r + 1) / 3.0) / (2.0 * ((r + 1.0) * (r + 1.0) - v));
    box->passes = FAST_PASSES;
    box->r = r;
    box->alpha = (float)alpha;
    box->scale = (float)(1.0 / (2 * r + 1 + 2 * alpha));
}

/* --- One box pass down a strip ---------------------------------------------- */

/* A strip is a run of positions (rows of the image, or columns) of
 * FAST_STRIP floats each: FAST_STRIP independent signals side by side.
 * box_strip() blurs all of them along the run at once, from in to out, for
 * positions [first, last); in must hold positions [first - r - 1, last + r + 1).
 * The loops over one position have fixed bounds and no dependence between
 * lanes, and `restrict` promises in and out do not overlap: that is what lets
 * the compiler use SIMD instructions. */
static void box_strip(const float *restrict in, float *restrict out, int first, int last,
                      const struct fast_box *box)
{
    const int r = box->r;
    const float alpha = box->alpha, scale = box->scale;
    float sum[FAST_STRIP] = {0}; /* sum over [y - r, y + r] of each lane, slid along */
    for (int d = -r; d <= r; d++) {
        const float *row = in + (ptrdiff_t)(first + d) * FAST_STRIP;
        for (int s = 0; s < FAST_STRIP; s++)
            sum[s] += row[s];
    }
    for (int y = first; y < last; y++) {
        const float *outer_lo = in + (ptrdiff_t)(y - r - 1) * FAST_STRIP;
        const float *outer_hi = in + (ptrdiff_t)(y + r + 1) * FAST_STRIP;
        const float *leaving = in + (ptrdiff_t)(y - r) * FAST_STRIP;
        float *o = out + (ptrdiff_t)y * FAST_STRIP;
        for (int s = 0; s < FAST_STRIP; s++) {
            o[s] = (sum[s] + alpha * (outer_lo[s] + outer_hi[s])) * scale;
            sum[s] += outer_hi[s] - leaving[s];
        }
    }
}

/* All box->passes passes over a strip of n positions, padded by m on both
 * sides. Each pass needs r + 1 valid positions beyond what it produces, so
 * each produces r + 1 fewer on either side; the last one exactly [0, n).
 * Returns the buffer holding the result. */
static float *box_passes(float *strip[2], int n, int m, const struct fast_box *box)
{
    for (int k = 0; k < box->passes; k++) {
        int reach = m - (k + 1) * (box->r + 1);
        box_strip(strip[k % 2], strip[(k + 1) % 2], -reach, n + reach, box);
    }
    return strip[box->passes % 2];
}

/* --- The two phases, each split over threads -------------------------------- */

struct fast_job {
    const struct img *src;
    struct img *dst; /* the horizontal result, then (in place) the final one */
    struct fast_box box;
    int pad;                         /* passes * (r + 1): how far the passes reach */
    const struct blur_kernel *exact; /* not NULL: small sigma, exact passes instead */
    float *tmp;                      /* exact path: the horizontal result, like blur_gauss */
    int phase;                       /* 0: along rows, 1: along columns */
    int begin, end; /* this thread's part: blocks of rows or strips (boxes), rows (exact) */
    int rc;
    pthread_t tid; /* when started: the thread running this part */
    int started;
};

/* A sum of boxes rounded to the nearest byte. No clamp to [0, 255] is
 * needed: a box's weights (alpha included) are positive and add up to 1, so
 * each of its outputs lies between the smallest and the largest of its
 * inputs, and so does a stack of boxes; float rounding in the running sums
 * strays by a few thousandths of a level, far less than the half level
 * that would carry v + 0.5 out of [0, 256). A clamp here cost 16% of the
 * blur's time: SSE2, which the compiler targets, has no instruction for it
 * on 32-bit ints. */
static inline uint8_t to_byte(float v)
{
    return (uint8_t)(int)(v + 0.5f);
}

/* Rows per block of the horizontal phase: as many as fill the lanes. */
static int rows_per_block(int channels)
{
    return FAST_STRIP / channels;
}

/* A strip buffer of n positions padded by m; the result points at position
 * 0, so [-m] is the first one. Free it with free(result - m * FAST_STRIP). */
static float *strip_alloc(int n, int m)
{
    float *mem = calloc((size_t)(n + 2 * m) * FAST_STRIP, sizeof *mem);
    return mem == NULL ? NULL : mem + (size_t)m * FAST_STRIP;
}

static void strip_free(float *strip, int m)
{
    if (strip != NULL)
        free(strip - (size_t)m * FAST_STRIP);
}

/* Turning rows on their side moves one sample at a time (a position of the
 * strip takes a pixel from each of 8 rows), so it is done on bytes, into
 * and out of a strip of bytes; converting that strip to and from floats is
 * then a plain loop over contiguous samples, which the compiler vectorizes.
 * Called with c a constant 3 or 4 (see horizontal()): the loops over a
 * pixel's channels unroll. */
static inline void row_in(uint8_t *to, const uint8_t *row, int w, int c)
{
    for (int x = 0; x < w; x++)
        for (int ch = 0; ch < c; ch++)
            to[(size_t)x * FAST_STRIP + ch] = row[(size_t)x * c + ch];
}

static inline void row_out(uint8_t *row, const uint8_t *from, int w, int c)
{
    for (int x = 0; x < w; x++)
        for (int ch = 0; ch < c; ch++)
            row[(size_t)x * c + ch] = from[(size_t)x * FAST_STRIP + ch];
}

/* Horizontal: a block of rows is turned on its side, so that position x of
 * the strip holds pixel x of every row of the block, all channels (lanes
 * dy * c ..). Then the same box_strip() that runs down columns runs along
 * rows, vectorized across rows, instead of one slow sample at a time along
 * each row; and the result is turned back, rounded, into the rows of dst. */
static int horizontal(struct fast_job *j)
{
    const int w = j->src->width, h = j->src->height, c = j->src->channels, m = j->pad;
    const int rows = rows_per_block(c);
    float *strip[2] = {strip_alloc(w, m), strip_alloc(w, m)};
    uint8_t *bytes = calloc((size_t)w, FAST_STRIP); /* position x at bytes + x * FAST_STRIP */
    int rc = strip[0] != NULL && strip[1] != NULL && bytes != NULL ? 0 : -1;
    for (int blk = j->begin; blk < j->end && rc == 0; blk++) {
        int y0 = blk * rows, ny = h - y0 < rows ? h - y0 : rows;
        for (int dy = 0; dy < ny; dy++) {
            if (c == 3)
                row_in(bytes + dy * c, img_row(j->src, y0 + dy), w, 3);
            else
                row_in(bytes + dy * c, img_row(j->src, y0 + dy), w, 4);
        }
        for (size_t i = 0; i < (size_t)w * FAST_STRIP; i++)
            strip[0][i] = bytes[i];
        for (int x = 1; x <= m; x++) { /* beyond the edges: the edge pixels */
            memcpy(strip[0] - (ptrdiff_t)x * FAST_STRIP, strip[0], sizeof(float) * FAST_STRIP);
            memcpy(strip[0] + (ptrdiff_t)(w - 1 + x) * FAST_STRIP,
                   strip[0] + (ptrdiff_t)(w - 1) * FAST_STRIP, sizeof(float) * FAST_STRIP);
        }
        const float *out = box_passes(strip, w, m, &j->box);
        for (size_t i = 0; i < (size_t)w * FAST_STRIP; i++)
            bytes[i] = to_byte(out[i]);
        for (int dy = 0; dy < ny; dy++) {
            if (c == 3)
                row_out(img_row(j->dst, y0 + dy), bytes + dy * c, w, 3);
            else
                row_out(img_row(j->dst, y0 + dy), bytes + dy * c, w, 4);
        }
    }
    strip_free(strip[0], m);
    strip_free(strip[1], m);
    free(bytes);
    return rc;
}

/* Vertical, in place in dst: samples s * FAST_STRIP .. of every row, edge
 * rows repeated beyond the top and bottom, are copied into a strip of floats,
 * blurred along it, and rounded back. The copy takes 24 bytes from each row,
 * a cache miss per row, once; the K passes then run in the strip, in cache. */
static int vertical(struct fast_job *j)
{
    const int h = j->src->height, m = j->pad;
    const size_t n = (size_t)j->src->width * j->src->channels;
    float *strip[2] = {strip_alloc(h, m), strip_alloc(h, m)};
    int rc = strip[0] != NULL && strip[1] != NULL ? 0 : -1;
    for (int s = j->begin; s < j->end && rc == 0; s++) {
        size_t x0 = (size_t)s * FAST_STRIP;
        size_t cols = n - x0 < FAST_STRIP ? n - x0 : FAST_STRIP; /* the last strip is narrower */
        for (int y = -m; y < h + m; y++) {
            /* Whole strip rows, with the fixed bound FAST_STRIP: vectorized.
             * The last strip, narrower, through a copy padded with zeros. */
            const uint8_t *row = img_row(j->dst, y < 0 ? 0 : y < h ? y : h - 1) + x0;
            uint8_t padded[FAST_STRIP] = {0};
            if (cols < FAST_STRIP)
                row = memcpy(padded, row, cols);
            float *to = strip[0] + (ptrdiff_t)y * FAST_STRIP;
            for (int i = 0; i < FAST_STRIP; i++)
                to[i] = row[i];
        }
        const float *out = box_passes(strip, h, m, &j->box);
        for (int y = 0; y < h; y++) {
            uint8_t *row = img_row(j->dst, y) + x0, padded[FAST_STRIP];
            uint8_t *to = cols < FAST_STRIP ? padded : row;
            for (int i = 0; i < FAST_STRIP; i++)
                to[i] = to_byte(out[(ptrdiff_t)y * FAST_STRIP + i]);
            if (cols < FAST_STRIP)
                memcpy(row, padded, cols);
        }
    }
    strip_free(strip[0], m);
    strip_free(strip[1], m);
    return rc;
}

/* One part of a phase: a thread's blocks of rows or strips, or its rows. */
static int fast_part(struct fast_job *j)
{
    if (j->exact != NULL && j->phase == 0)
        return blur_rows_h(j->src, j->tmp, j->exact, j->begin, j->end, NULL);
    if (j->exact != NULL)
        return blur_rows_v(j->tmp, j->dst, j->exact, j->begin, j->end, NULL);
    return j->phase == 0 ? horizontal(j) : vertical(j);
}

/* Compiler plumbing, not the lesson: the build targets every x86-64
 * processor, so the loops above get SSE, 4 floats per instruction. This twin
 * has the same code built for AVX2, 8 floats (flatten: everything it calls
 * is inlined, and so compiled for AVX2 too), and runs where the processor
 * has it. Not target_clones, which picks the same way: its ifunc resolver
 * runs before ThreadSanitizer is ready and crashes `make test-tsan`. */
__attribute__((target("avx2"), flatten)) static int fast_part_avx2(struct fast_job *j)
{
    return fast_part(j);
}

static void *fast_worker(void *arg)
{
    struct fast_job *j = arg;
    j->rc = __builtin_cpu_supports("avx2") ? fast_part_avx2(j) : fast_part(j);
    return NULL;
}

/* Runs one phase over `total` rows or strips, split evenly over up to
 * `threads` threads: part 0 runs in this thread, the others in new ones.
 * Returns -1 if a part failed or there was no memory to start them. */
static int run_phase(const struct fast_job *proto, int phase, int total, int threads)
{
    if (threads > total)
        threads = total;
    struct fast_job *jobs = calloc((size_t)threads, sizeof *jobs);
    if (jobs == NULL)
        return -1;
    for (int t = 0; t < threads; t++) {
        jobs[t] = *proto;
        jobs[t].phase = phase;
        jobs[t].begin = (int)((long)t * total / threads);
        jobs[t].end = (int)((long)(t + 1) * total / threads);
    }
    /* If a thread cannot be started, this thread does its part as well:
     * slower, but still the right picture. */
    for (int t = 1; t < threads; t++) {
        jobs[t].started = pthread_create(&jobs[t].tid, NULL, fast_worker, &jobs[t]) == 0;
        if (!jobs[t].started)
            fast_worker(&jobs[t]);
    }
    fast_worker(&jobs[0]);
    int rc = 0;
    for (int t = 0; t < threads; t++) {
        if (jobs[t].started)
            pthread_join(jobs[t].tid, NULL);
        rc |= jobs[t].rc;
    }
    free(jobs);
    return rc;
}

int fast_blur(const struct img *src, struct img *dst, float sigma, int threads, struct err *err)
{
    if (blur_check_sigma(sigma, err) != 0)
        return -1;
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return err_set(err, "fast blur: destination is %dx%dx%d but source is %dx%dx%d", dst->width,
                       dst->height, dst->channels, src->width, src->height, src->channels);
    struct fast_job job = {.src = src, .dst = dst};
    struct blur_kernel kernel = {0};
    int parts[2]; /* how many pieces each phase is split into */
    if (sigma < FAST_SIGMA_EXACT && threads <= 1)
        return blur_gauss(src, dst, sigma, err); /* the same passes, without a float image */
    if (sigma < FAST_SIGMA_EXACT) {
        /* The exact passes, split over the threads like exercise 06's bands. */
        if (blur_kernel_init(&kernel, sigma, err) != 0)
            return -1;
        job.exact = &kernel;
        job.tmp = blur_tmp_alloc(src, err);
        parts[0] = parts[1] = src->height;
    } else {
        box_for_sigma(&job.box, sigma);
        job.pad = job.box.passes * (job.box.r + 1);
        parts[0] =
            (src->height + rows_per_block(src->channels) - 1) / rows_per_block(src->channels);
        parts[1] = (int)(((size_t)src->width * src->channels + FAST_STRIP - 1) / FAST_STRIP);
    }
    int rc = job.exact != NULL && job.tmp == NULL ? -1 : 0;
    if (threads < 1)
        threads = 1;
    /* Every horizontal result must be written before any vertical pass reads
     * it: run_phase() returns only when all its threads are done. */
    if (rc == 0)
        rc = run_phase(&job, 0, parts[0], threads);
    if (rc == 0)
        rc = run_phase(&job, 1, parts[1], threads);
    blur_kernel_free(&kernel);
    free(job.tmp);
    if (rc != 0)
        return err_set(err, "fast blur: out of memory for a %dx%d image", src->width, src->height);
    return 0;
}

/* --- The batch style: exercise 05's pool ------------------------------------
 *
 * A camera photo spends about as long in its codecs as in the exact blur,
 * and a codec runs on one thread. Going image after image with fast_blur()
 * split over the threads would leave all but one core idle during every
 * decode and encode: by Amdahl's law, however fast the blur, such a style
 * could not beat pool. The fastest blur is wasted if the codecs wait on one
 * thread. So: the pool of exercise 05, each worker taking whole images and
 * blurring its own on one thread; only when there are fewer images than
 * threads does each blur get the spare ones. */

struct fast_pool {
    const struct blur_batch *b;
    int blur_threads;     /* threads for each fast_blur() */
    pthread_mutex_t lock; /* guards next */
    size_t next;          /* the first item no worker has taken */
};

/* Item i: decode, fast_blur() timed as a "blur" span, encode. */
static void fast_item(const struct fast_pool *p, size_t i)
{
    const struct blur_batch *b = p->b;
    struct img in, out;
    struct err err;
    if (batch_decode(b, i, &in) != 0)
        return;
    struct runlog_span s;
    runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "blur");
    if (img_alloc_like(&out, &in, &err) != 0 ||
        fast_blur(&in, &out, b->sigma, p->blur_threads, &err) != 0) {
        err_prefix(&err, "%s: ", b->inputs[i]);
        runlog_fail(b->log, &s, err.msg);
        batch_fail(b, i, err.msg);
        img_free(&in);
        img_free(&out);
        return;
    }
    runlog_end(b->log, &s);
    img_free(&in);
    batch_encode(b, i, &out);
    img_free(&out);
}

static void *fast_pool_worker(void *arg)
{
    struct fast_pool *p = arg;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next;
        if (i < p->b->count)
            p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->b->count)
            return NULL;
        fast_item(p, i);
    }
}

int fast_run(const struct blur_batch *b)
{
    int n = b->threads < 1 ? 1 : b->threads;
    if ((size_t)n > b->count && b->count > 0)
        n = (int)b->count;
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    if (tids == NULL)
        return -1;
    struct fast_pool p = {.b = b, .blur_threads = (b->threads < 1 ? 1 : b->threads) / n};
    pthread_mutex_init(&p.lock, NULL);
    int started = 0;
    while (started < n && pthread_create(&tids[started], NULL, fast_pool_worker, &p) == 0)
        started++;
    if (started == 0)
        fast_pool_worker(&p); /* no thread at all: the caller's thread is the pool */
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    pthread_mutex_destroy(&p.lock);
    free(tids);
    return 0;
}
