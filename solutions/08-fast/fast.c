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
 * exactly sigma^2 / K for any sigma. Below sigma 2 boxes that narrow are
 * poor copies of the bell, and the exact kernel has at most 13 taps anyway:
 * there fast_blur() runs the reference passes (blur_rows_h/v) on its threads.
 *
 * Why it is fast, beyond the O(1):
 *
 *  - The K passes run as one cascade: each sample goes through pass 1, whose
 *    output goes straight on to pass 2, and so on. Each pass keeps only its
 *    running sum and a ring of its last 2r + 2 inputs, a few KB in the L1
 *    cache, instead of reading and writing a whole line K times.
 *  - No intermediate image: the horizontal phase writes bytes into dst, and
 *    the vertical one blurs dst in place. Fresh memory is expensive: the
 *    kernel hands it out zeroed, 4 KB per page fault.
 *  - Borders need no padding on the left or top: every pass starts as if it
 *    had seen the edge sample forever, which is exact (cascade_start()).
 *  - SIMD: the running sums of FAST_LANES signals slide side by side, in
 *    loops with fixed bounds that the compiler vectorizes: 48 samples of a
 *    row going down, or 16 rows (12 RGBA) going along. The hot functions are
 *    built twice, for plain x86-64 and for AVX2, chosen at run time.
 *
 * Threads: blocks of rows are split among them for the horizontal phase;
 * then, after all of them are done (pthread_join), blocks of columns for the
 * vertical one.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"

/* Box blurs per direction: more passes follow the Gaussian more closely, and
 * each costs the same. Below FAST_SIGMA_EXACT the exact kernel is used
 * instead, see fast_blur(). These choices keep every workshop photo within 4
 * levels of blur_gauss() (tests/bench/). */
#define FAST_PASSES 5
#define FAST_SIGMA_EXACT 2.0f

/* Signals blurred side by side, one per lane: 192 bytes of floats. A
 * multiple of both 3 and 4, so that in the horizontal phase the lanes hold
 * whole RGB or RGBA pixels (16 or 12 rows of them). */
#define FAST_LANES 48

/* One extended box: weights 1 within radius r, alpha at r + 1, divided by
 * 2r + 1 + 2 alpha. */
struct fast_box {
    int r;
    float alpha, scale;
};

static void box_for_sigma(struct fast_box *box, float sigma)
{
    double v = (double)sigma * sigma / FAST_PASSES;         /* variance of one box */
    int r = (int)floor((sqrt(12.0 * v + 1.0) - 1.0) / 2.0); /* largest r with r(r+1)/3 <= v */
    double alpha = (2 * r + 1) * (v - r * (r + 1) / 3.0) / (2.0 * ((r + 1.0) * (r + 1.0) - v));
    box->r = r;
    box->alpha = (float)alpha;
    box->scale = (float)(1.0 / (2 * r + 1 + 2 * alpha));
}

/* --- The cascade: all passes at once, one position at a time --------------- */

/* Instead of running pass 1 over a whole line, then pass 2 over its result,
 * and so on (each pass reading and writing the whole line), the passes are
 * chained: each sample that comes in goes through pass 1, whose output goes
 * straight into pass 2, and so on. A pass needs only the last 2r + 2 samples
 * it was given (its window and the alpha sample on the left), kept in a
 * small ring, and its running sum. So a line is read once and written once,
 * and everything in between stays in a few KB: the L1 cache.
 *
 * Each pass delays: fed the sample at position p, it gives out its result
 * for position p - (r + 1), the centre of its window. After all passes, the
 * result for position p - FAST_PASSES * (r + 1) comes out. */
struct fast_cascade {
    struct fast_box box;
    int len;     /* ring length: 2r + 2 */
    int oldest;  /* ring slot of the oldest sample: the incoming one replaces it */
    float *sum;  /* FAST_PASSES running sums per lane */
    float *ring; /* FAST_PASSES rings of len positions of FAST_LANES floats */
};

static int cascade_delay(const struct fast_box *box)
{
    return FAST_PASSES * (box->r + 1);
}

static int cascade_init(struct fast_cascade *c, const struct fast_box *box)
{
    c->box = *box;
    c->len = 2 * box->r + 2;
    c->sum = malloc(sizeof(float) * FAST_PASSES * FAST_LANES);
    c->ring = malloc(sizeof(float) * FAST_PASSES * FAST_LANES * (size_t)c->len);
    return c->sum != NULL && c->ring != NULL ? 0 : -1;
}

static void cascade_free(struct fast_cascade *c)
{
    free(c->sum);
    free(c->ring);
}

/* Borders clamp to the edge: before the line, its first sample repeats
 * forever. A box of a constant is that constant, so every pass starts as if
 * it had seen `edge` forever: its ring full of it, its sum 2r + 1 of them.
 * That is exact: what pass k has not been given yet lies at least
 * (k - 1)(r + 1) positions before the line, where the passes before it
 * still give out exactly the edge value. No padding needed on this side. */
static void cascade_start(struct fast_cascade *c, const float *edge)
{
    for (int k = 0; k < FAST_PASSES; k++)
        for (int s = 0; s < FAST_LANES; s++)
            c->sum[k * FAST_LANES + s] = edge[s] * (float)(2 * c->box.r + 1);
    for (int i = 0; i < FAST_PASSES * c->len; i++)
        memcpy(c->ring + (size_t)i * FAST_LANES, edge, sizeof(float) * FAST_LANES);
    c->oldest = 0;
}

/* Feeds the samples at the next position through every pass: x holds
 * them, and then what comes out of the last pass. The ring of a pass holds
 * its inputs at positions p - 2r - 2 .. p - 1 (p is the incoming one): the
 * oldest is the alpha sample on the left, the next one leaves the window.
 * The loops over the lanes have fixed bounds and no dependence between
 * lanes: the compiler does 4 or 8 of them at once (SIMD). */
__attribute__((always_inline)) static inline void cascade_push(struct fast_cascade *c,
                                                               float x[FAST_LANES])
{
    const int oldest = c->oldest, leaving = oldest + 1 == c->len ? 0 : oldest + 1;
    const float alpha = c->box.alpha, scale = c->box.scale;
    for (int k = 0; k < FAST_PASSES; k++) {
        float *restrict ring = c->ring + ((size_t)k * c->len + oldest) * FAST_LANES;
        const float *restrict gone = c->ring + ((size_t)k * c->len + leaving) * FAST_LANES;
        float *restrict sum = c->sum + k * FAST_LANES;
        for (int s = 0; s < FAST_LANES; s++) {
            float y = (sum[s] + alpha * (ring[s] + x[s])) * scale;
            sum[s] += x[s] - gone[s];
            ring[s] = x[s]; /* the incoming sample replaces the oldest */
            x[s] = y;
        }
    }
    c->oldest = leaving;
}

/* --- The two phases, each split over threads -------------------------------- */

/* The horizontal result goes straight into dst, rounded to bytes, and the
 * vertical phase blurs dst in place. No intermediate image: a float one would
 * be 144 MB for a 12-megapixel photo, and fresh memory from the kernel costs
 * a page fault and a page of zeros every 4 KB, more than the blur itself.
 * Rounding in between costs at most half a level, and the vertical blur
 * averages it out further. The horizontal phase is split by blocks of rows,
 * the vertical one by blocks of FAST_LANES columns. */
struct fast_job {
    const struct img *src;
    struct img *dst;
    struct fast_box box;
    const struct blur_kernel *exact; /* not NULL: small sigma, exact passes instead */
    float *tmp;                      /* exact path: the horizontal result, like blur_gauss */
    int phase;                       /* 0: along rows, 1: along columns */
    int begin, end; /* this thread's part: blocks of rows or of columns (boxes), rows (exact) */
    int rc;
    pthread_t tid; /* when started: the thread running this part */
    int started;
};

/* A float rounded to the nearest byte. Through int, so that the compiler can
 * do several at a time (integer min and max; float ones would have to care
 * for NaN). Float error may overshoot [0, 255] a little. */
static inline uint8_t to_byte(float v)
{
    int i = (int)(v + 0.5f);
    return (uint8_t)(i < 0 ? 0 : i > 255 ? 255 : i);
}

/* Rows per block of the horizontal phase: as many as fill the lanes. */
static int rows_per_block(int channels)
{
    return FAST_LANES / channels;
}

/* Horizontal: the running sums slide along a row, one pixel per step: no
 * SIMD within a row. So a block of rows goes side by side: pixel x of row
 * y0 + b in lanes b * ch .. of position x. Every step gathers those pixels
 * from the rows, and scatters the result; as bytes, whole pixels at a time,
 * while the conversions to and from float go over all lanes at once. (The
 * last block may have fewer rows: its spare lanes repeat the last row and
 * are not written.) `ch` is the image's channels, passed apart so that it can
 * be a constant: see horizontal(). */
__attribute__((always_inline)) static inline int horizontal_body(struct fast_job *j, int ch)
{
    const int w = j->src->width, h = j->src->height;
    const int rows = rows_per_block(ch), delay = cascade_delay(&j->box);
    struct fast_cascade c;
    int rc = cascade_init(&c, &j->box);
    for (int blk = j->begin; blk < j->end && rc == 0; blk++) {
        const int y0 = blk * rows, ny = h - y0 < rows ? h - y0 : rows;
        const uint8_t *in[FAST_LANES];
        uint8_t *out[FAST_LANES];
        for (int b = 0; b < rows; b++) {
            in[b] = img_row(j->src, y0 + (b < ny ? b : ny - 1));
            out[b] = img_row(j->dst, y0 + (b < ny ? b : ny - 1));
        }
        uint8_t bytes[FAST_LANES] = {0};
        float x[FAST_LANES];
        for (int p = 0; p < w + delay; p++) {
            /* Beyond the right edge, the edge pixel again. */
            const size_t at = (size_t)(p < w ? p : w - 1) * ch;
            for (int b = 0; b < rows; b++)
                memcpy(bytes + b * ch, in[b] + at, (size_t)ch);
            for (int s = 0; s < FAST_LANES; s++)
                x[s] = bytes[s];
            if (p == 0)
                cascade_start(&c, x);
            cascade_push(&c, x);
            if (p < delay)
                continue;
            for (int s = 0; s < FAST_LANES; s++)
                bytes[s] = to_byte(x[s]);
            const size_t to = (size_t)(p - delay) * ch;
            for (int b = 0; b < ny; b++)
                memcpy(out[b] + to, bytes + b * ch, (size_t)ch);
        }
    }
    cascade_free(&c);
    return rc;
}

/* Vertical, in place in dst: down the rows, FAST_LANES samples of a row
 * side by side. Each step reads FAST_LANES contiguous bytes of row y and
 * writes the result for row y - delay, which no later step reads: nothing to
 * gather or scatter. (The last column block may be narrower: its spare lanes
 * go round on whatever they hold, and are never written out.) */
__attribute__((always_inline)) static inline int vertical_body(struct fast_job *j)
{
    const int h = j->src->height, delay = cascade_delay(&j->box);
    const size_t n = (size_t)j->src->width * j->src->channels;
    struct fast_cascade c;
    int rc = cascade_init(&c, &j->box);
    for (int blk = j->begin; blk < j->end && rc == 0; blk++) {
        const size_t x0 = (size_t)blk * FAST_LANES;
        const size_t cols = n - x0 < FAST_LANES ? n - x0 : FAST_LANES;
        float x[FAST_LANES] = {0};
        for (int row = 0; row < h + delay; row++) {
            /* Below the last row, the last row again: it is overwritten only
             * in the very last step, after it was read. */
            const uint8_t *in = img_row(j->dst, row < h ? row : h - 1) + x0;
            if (cols == FAST_LANES) /* fixed bounds: SIMD */
                for (int s = 0; s < FAST_LANES; s++)
                    x[s] = in[s];
            else
                for (size_t s = 0; s < cols; s++)
                    x[s] = in[s];
            if (row == 0)
                cascade_start(&c, x);
            cascade_push(&c, x);
            if (row < delay)
                continue;
            uint8_t *out = img_row(j->dst, row - delay) + x0;
            if (cols == FAST_LANES)
                for (int s = 0; s < FAST_LANES; s++)
                    out[s] = to_byte(x[s]);
            else
                for (size_t s = 0; s < cols; s++)
                    out[s] = to_byte(x[s]);
        }
    }
    cascade_free(&c);
    return rc;
}

/* Images are RGB or RGBA (img.h): each gets its own copy of
 * horizontal_body(), in which the channel count is a constant, so that moving
 * a pixel is a move of 3 or 4 bytes, not a call to memcpy(). */
__attribute__((always_inline)) static inline int horizontal_for_channels(struct fast_job *j)
{
    return j->src->channels == 3 ? horizontal_body(j, 3) : horizontal_body(j, 4);
}

/* The same functions compiled twice: for any x86-64 (SSE2: 4 lanes at a
 * time), and for processors with AVX2 (8), chosen when run. */
__attribute__((target("avx2"))) static int horizontal_avx2(struct fast_job *j)
{
    return horizontal_for_channels(j);
}

__attribute__((target("avx2"))) static int vertical_avx2(struct fast_job *j)
{
    return vertical_body(j);
}

static int horizontal(struct fast_job *j)
{
    return __builtin_cpu_supports("avx2") ? horizontal_avx2(j) : horizontal_for_channels(j);
}

static int vertical(struct fast_job *j)
{
    return __builtin_cpu_supports("avx2") ? vertical_avx2(j) : vertical_body(j);
}

static void *fast_worker(void *arg)
{
    struct fast_job *j = arg;
    if (j->exact != NULL && j->phase == 0)
        j->rc = blur_rows_h(j->src, j->tmp, j->exact, j->begin, j->end, NULL);
    else if (j->exact != NULL)
        j->rc = blur_rows_v(j->tmp, j->dst, j->exact, j->begin, j->end, NULL);
    else
        j->rc = j->phase == 0 ? horizontal(j) : vertical(j);
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
    if (sigma < FAST_SIGMA_EXACT) {
        /* A kernel of at most 2 * 6 + 1 taps: the exact passes cost no more
         * than the boxes would, and boxes that narrow miss by up to 10 levels. */
        if (blur_kernel_init(&kernel, sigma, err) != 0)
            return -1;
        job.exact = &kernel;
        job.tmp = blur_tmp_alloc(src, err);
        parts[0] = parts[1] = src->height;
    } else {
        box_for_sigma(&job.box, sigma);
        size_t n = (size_t)src->width * src->channels;
        parts[0] =
            (src->height + rows_per_block(src->channels) - 1) / rows_per_block(src->channels);
        parts[1] = (int)((n + FAST_LANES - 1) / FAST_LANES);
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

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int fast_run(const struct blur_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        struct img in, out;
        struct err err;
        if (batch_decode(b, i, &in) != 0)
            continue;
        struct runlog_span s;
        runlog_begin(&s, b->style, base_name(b->inputs[i]), (long)i, "blur");
        if (img_alloc_like(&out, &in, &err) != 0 ||
            fast_blur(&in, &out, b->sigma, b->threads, &err) != 0) {
            err_prefix(&err, "%s: ", b->inputs[i]);
            runlog_fail(b->log, &s, err.msg);
            batch_fail(b, i, err.msg);
            img_free(&in);
            img_free(&out);
            continue;
        }
        runlog_end(b->log, &s);
        img_free(&in);
        batch_encode(b, i, &out);
        img_free(&out);
    }
    return 0;
}
