/* blur.c - the exact reference Gaussian; see blur.h for the definition.
 *
 * Every output sample is the same sum, in the same order, on every path:
 *
 *     acc = w[0] * s[0];  acc += w[t] * (s[-t] + s[+t])  for t = 1 .. r
 *
 * The kernel is symmetric, so mirror samples are added first and share one
 * multiplication. Floating-point addition is not associative, so the order
 * is part of the definition: blur_gauss() and the row passes that exercise 06
 * splits over threads (blur_rows_h/v) give bit-for-bit the same image.
 *
 * What makes it fast enough to be the oracle of a 12-megapixel benchmark
 * (tests/bench/blur_vs_opencv.py compares it with OpenCV):
 *
 *  - Register blocking, with AVX2. The loop over the taps is inside, and the
 *    sums of 64 neighbouring samples stay in eight vector registers while
 *    every tap is added in: per eight samples a tap costs two loads, two
 *    additions and a multiplication, and the sums never go to memory.
 *    Processors without AVX2 run a plain loop that the compiler vectorises
 *    with SSE2. Both do the same operations in the same order, with no fused
 *    multiply-add, so both give the same bits (chosen at run time).
 *  - No intermediate image in blur_gauss(). A float copy of a 12-megapixel
 *    photo is 144 MB, and fresh memory costs a page fault per 4 KB. Instead
 *    the image is cut into strips of columns, each walked top to bottom: the
 *    horizontal pass fills a ring of the last 2r + 1 rows of the strip, small
 *    enough to stay in the core's cache, and the vertical pass reads them
 *    from there.
 *  - The row passes of exercise 06 need the intermediate image: every band's
 *    horizontal pass must be done before any vertical pass starts. So they
 *    keep it in the order the vertical pass reads it, strip by strip, and
 *    fetch the row it needs next a row ahead (see tmp_at()).
 */
#include "blur.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

int blur_check_sigma(float sigma, struct err *err)
{
    if (!(sigma >= BLUR_SIGMA_MIN && sigma <= BLUR_SIGMA_MAX)) /* also catches NaN */
        return err_set(err, "sigma %g is out of range: use a value from %g to %g", (double)sigma,
                       (double)BLUR_SIGMA_MIN, (double)BLUR_SIGMA_MAX);
    return 0;
}

int blur_kernel_init(struct blur_kernel *k, float sigma, struct err *err)
{
    memset(k, 0, sizeof *k);
    if (blur_check_sigma(sigma, err) != 0)
        return -1;
    int r = (int)ceilf(3.0f * sigma);
    float *w = malloc(sizeof *w * (size_t)(2 * r + 1));
    if (w == NULL)
        return err_set(err, "out of memory for a blur kernel of radius %d", r);
    double sum = 0;
    for (int i = -r; i <= r; i++) {
        double v = exp(-(double)i * i / (2.0 * (double)sigma * sigma));
        w[i + r] = (float)v;
        sum += v;
    }
    for (int i = 0; i <= 2 * r; i++)
        w[i] = (float)(w[i] / sum);
    k->radius = r;
    k->weights = w;
    return 0;
}

void blur_kernel_free(struct blur_kernel *k)
{
    free(k->weights);
    memset(k, 0, sizeof *k);
}

static inline int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* --- The convolution, vectorised ---------------------------------------- */

/* Eight floats, and pointer types to read or write them anywhere in a float
 * array: no alignment assumed, and allowed to alias the floats. */
typedef float blur_vec __attribute__((vector_size(32)));
typedef float blur_vec_u __attribute__((vector_size(32), aligned(4), may_alias));
#define CHUNK 64      /* samples summed at once in registers: eight vectors */
#define SUM_BLOCK 256 /* samples summed at once in memory (1 KB) */

static inline const blur_vec_u *vec_in(const float *p)
{
    return (const blur_vec_u *)p;
}

static inline blur_vec_u *vec_out(float *p)
{
    return (blur_vec_u *)p;
}

/* The convolution: out[i] = w[0] * tap[0][i] + the sum over t = 1 .. r of
 * w[t] * (tap[-t][i] + tap[t][i]), for i in [0, n). tap[t] points at the
 * samples t pixels away: into a padded line for the horizontal pass, into the
 * row t away for the vertical one (so a clamped row is just a pointer to the
 * edge row). tap and w point at the centre: tap[-r .. r], w[0 .. r].
 *
 * It is written twice, with the same operations in the same order for every
 * sample, so both give the same bits. */

/* For any x86-64: the sums of a block of samples are kept in an array that
 * stays in the L1 cache, and the compiler vectorises the loop over them
 * (SSE2, four floats at a time). */
static void conv_plain(const float *const *tap, const float *w, int r, float *restrict out,
                       size_t from, size_t n)
{
    for (size_t i0 = from; i0 < n; i0 += SUM_BLOCK) {
        const size_t len = n - i0 < SUM_BLOCK ? n - i0 : SUM_BLOCK;
        float sum[SUM_BLOCK];
        for (size_t i = 0; i < len; i++)
            sum[i] = w[0] * tap[0][i0 + i];
        for (int t = 1; t <= r; t++) {
            const float *restrict lo = tap[-t] + i0, *restrict hi = tap[t] + i0;
            for (size_t i = 0; i < len; i++)
                sum[i] += w[t] * (lo[i] + hi[i]);
        }
        memcpy(out + i0, sum, sizeof *sum * len);
    }
}

/* With AVX2: the sums of 64 samples stay in eight registers of eight floats
 * each while every tap is added in. A tap then costs two loads, an addition,
 * a multiplication and an addition per eight samples, and the sums are never
 * loaded or stored in between. (GCC vector extensions: arithmetic on
 * blur_vec is done on all eight floats at once.) */
__attribute__((target("avx2"))) static void conv_avx2(const float *const *tap, const float *w,
                                                      int r, float *restrict out, size_t n)
{
    size_t i = 0;
    for (; i + CHUNK <= n; i += CHUNK) {
        blur_vec sum[CHUNK / 8];
        for (int v = 0; v < CHUNK / 8; v++)
            sum[v] = w[0] * *vec_in(tap[0] + i + 8 * v);
        for (int t = 1; t <= r; t++) {
            const float *lo = tap[-t] + i, *hi = tap[t] + i;
            for (int v = 0; v < CHUNK / 8; v++)
                sum[v] += w[t] * (*vec_in(lo + 8 * v) + *vec_in(hi + 8 * v));
        }
        for (int v = 0; v < CHUNK / 8; v++)
            *vec_out(out + i + 8 * v) = sum[v];
    }
    if (i < n) /* the last few */
        conv_plain(tap, w, r, out, i, n);
}

static void conv(const float *const *tap, const float *w, int r, float *restrict out, size_t n)
{
    if (__builtin_cpu_supports("avx2"))
        conv_avx2(tap, w, r, out, n);
    else
        conv_plain(tap, w, r, out, 0, n);
}

/* --- Lines in, bytes out -------------------------------------------------- */

/* Pixels x0 - r .. x1 + r - 1 of row y as floats, those beyond the edges
 * being copies of the edge pixel (clamp to edge). */
static void read_line(const struct img *src, int y, int x0, int x1, int r, float *line)
{
    const int c = src->channels, w = src->width;
    const uint8_t *row = img_row(src, y);
    int x = x0 - r;
    for (; x < 0; x++) /* left of the image */
        for (int ch = 0; ch < c; ch++)
            *line++ = row[ch];
    int inside = (x1 + r < w ? x1 + r : w) - x; /* the row itself, in one go */
    const uint8_t *from = row + (size_t)x * c;
    for (size_t i = 0; i < (size_t)inside * c; i++)
        line[i] = from[i];
    line += (size_t)inside * c;
    for (x += inside; x < x1 + r; x++) /* right of it */
        for (int ch = 0; ch < c; ch++)
            *line++ = row[(size_t)(w - 1) * c + ch];
}

/* Sums are in [0, 255] (the weights are positive and add up to 1): round. */
static void write_bytes(const float *sum, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(sum[i] + 0.5f);
}

/* tap[t] = line + (r + t) * c: the horizontal taps of a padded line. */
static void line_taps(const float **tap, const float *line, int r, int c)
{
    for (int t = -r; t <= r; t++)
        tap[t] = line + (ptrdiff_t)(r + t) * c;
}

/* The vertical pass reads 2r + 1 rows of the horizontal result for each
 * output row. Columns are cut into strips so that those rows take about this
 * many bytes and stay in the core's own (L2) cache while the pass walks down. */
#define RING_BYTES (512 * 1024)

/* Pixels per strip, for a kernel of radius r and c channels: whole CHUNKs of
 * pixels, so that a strip is whole CHUNKs of samples too and conv() needs
 * its one-at-a-time tail only at the right edge of the image; and an odd
 * number of them. The L1 cache picks the set of an address by its bits 6 to
 * 11, so rows a multiple of 4 KB apart compete for the same few sets: with
 * RGBA, 16 CHUNKs of pixels make 16 KB rows, and the 2r + 1 rows of a strip
 * in tmp would keep evicting each other (the vertical pass took 1.3 times
 * as long). blur_gauss() and the row passes cut the same strips. */
static int strip_pixels(int r, int c)
{
    int n = (int)(RING_BYTES / (sizeof(float) * (size_t)(2 * r + 1) * c * CHUNK));
    if (n % 2 == 0)
        n--;
    return (n > 1 ? n : 1) * CHUNK;
}

/* --- The row passes of exercise 06 ---------------------------------------- */

/* tmp is stored strip by strip, not row by row: the strip of columns
 * x0 .. x1 - 1 is a block of h rows of (x1 - x0) pixels each, after the
 * blocks of the strips to its left (h * x0 pixels). Then the 2r + 1 rows
 * that the vertical pass reads for an output row are one block of about
 * RING_BYTES, not pieces a whole image row apart (48 KB in a 4000-pixel
 * photo), and both passes go through tmp in the order of its addresses.
 * The size of tmp does not change, and a band still writes only its own
 * rows of every strip. */
static size_t tmp_at(const struct img *im, int x0, int x1, int y)
{
    size_t before = (size_t)im->height * x0 + (size_t)y * (x1 - x0); /* pixels */
    return before * im->channels;
}

int blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0, int y1,
                struct err *err)
{
    const int w = src->width, c = src->channels, r = k->radius;
    const int strip = strip_pixels(r, c);
    float *line = malloc(sizeof *line * (size_t)(strip + 2 * r) * c);
    const float **taps = malloc(sizeof *taps * (size_t)(2 * r + 1));
    int rc = line == NULL || taps == NULL
                 ? err_set(err, "blur: out of memory for a row of %d pixels", w)
                 : 0;
    if (rc == 0) {
        line_taps(taps + r, line, r, c);
        /* Strip by strip, so that tmp is written in the order it is laid
         * out in memory. */
        for (int x0 = 0; x0 < w; x0 += strip) {
            const int x1 = x0 + strip < w ? x0 + strip : w;
            for (int y = y0; y < y1; y++) {
                read_line(src, y, x0, x1, r, line);
                conv(taps + r, k->weights + r, r, tmp + tmp_at(src, x0, x1, y),
                     (size_t)(x1 - x0) * c);
            }
        }
    }
    free(taps);
    free(line);
    return rc;
}

int blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0, int y1,
                struct err *err)
{
    const int w = dst->width, h = dst->height, c = dst->channels, r = k->radius;
    const int strip = strip_pixels(r, c);
    const float **taps = malloc(sizeof *taps * (size_t)(2 * r + 1));
    float *sum = malloc(sizeof *sum * (size_t)strip * c);
    int rc = taps == NULL || sum == NULL
                 ? err_set(err, "blur: out of memory for a kernel of radius %d", r)
                 : 0;
    /* A strip at a time, walking down it: the 2r + 1 rows that one output
     * row needs are still in cache for the next one, but for the row that
     * enters at the bottom. That one is fetched a row ahead, while the
     * current row is summed, instead of waited for. */
    for (int x0 = 0; x0 < w && rc == 0; x0 += strip) {
        const int x1 = x0 + strip < w ? x0 + strip : w;
        const size_t len = (size_t)(x1 - x0) * c;
        for (int y = y0; y < y1; y++) {
            for (int t = -r; t <= r; t++) /* clamp to edge: row by row */
                taps[t + r] = tmp + tmp_at(dst, x0, x1, clampi(y + t, 0, h - 1));
            if (y + r + 1 < h) {
                const float *next = tmp + tmp_at(dst, x0, x1, y + r + 1);
                for (size_t i = 0; i < len; i += 64 / sizeof *next) /* a cache line */
                    __builtin_prefetch(next + i);
            }
            conv(taps + r, k->weights + r, r, sum, len);
            write_bytes(sum, img_row(dst, y) + (size_t)x0 * c, len);
        }
    }
    free(sum);
    free(taps);
    return rc;
}

float *blur_tmp_alloc(const struct img *src, struct err *err)
{
    float *tmp = malloc(sizeof *tmp * (size_t)src->height * src->width * src->channels);
    if (tmp == NULL)
        err_set(err, "blur: out of memory for a %dx%d image", src->width, src->height);
    return tmp;
}

/* --- The whole image, strip by strip -------------------------------------- */

/* Scratch memory for blur_gauss(), allocated once per image. */
struct blur_strips {
    int width;         /* pixels per strip (the last one may be narrower) */
    int ring_rows;     /* 2r + 1: row y of the strip lives in slot y % ring_rows */
    float *line;       /* one padded input line of a strip */
    float *ring;       /* ring_rows slots of width * channels floats */
    float *sum;        /* one output row of a strip, before rounding */
    const float **tap; /* 2r + 1 pointers for each pass */
    const float **vtap;
};

static void strips_free(struct blur_strips *s)
{
    free(s->line);
    free(s->ring);
    free(s->sum);
    free(s->tap);
    free(s->vtap);
}

static int strips_alloc(struct blur_strips *s, const struct img *src, int r, struct err *err)
{
    const int c = src->channels;
    memset(s, 0, sizeof *s);
    s->ring_rows = 2 * r + 1;
    s->width = strip_pixels(r, c);
    s->width = s->width > src->width ? src->width : s->width;
    const size_t n = (size_t)s->width * c;
    s->line = malloc(sizeof(float) * (n + (size_t)2 * r * c));
    s->ring = malloc(sizeof(float) * n * (size_t)s->ring_rows);
    s->sum = malloc(sizeof(float) * n);
    s->tap = malloc(sizeof(float *) * (size_t)s->ring_rows);
    s->vtap = malloc(sizeof(float *) * (size_t)s->ring_rows);
    if (s->line && s->ring && s->sum && s->tap && s->vtap)
        return 0;
    strips_free(s);
    return err_set(err, "blur: out of memory for a kernel of radius %d", r);
}

/* Blurs the columns x0 .. x1 - 1 of src into dst, going down the rows: the
 * horizontal pass of row y + r enters the ring just before the vertical pass
 * of row y reads rows y - r .. y + r from it. */
static void blur_strip(const struct img *src, struct img *dst, const struct blur_kernel *k,
                       struct blur_strips *s, int x0, int x1)
{
    const int h = src->height, c = src->channels, r = k->radius;
    const size_t n = (size_t)(x1 - x0) * c, slot = (size_t)s->width * c;
    const float *w = k->weights + r;
    const float **vtap = s->vtap + r;
    line_taps(s->tap + r, s->line, r, c);
    const int last = (h - 1) % s->ring_rows; /* the slot of the bottom row */
    int next = 0;                            /* the next row to enter the ring */
    for (int y = 0; y < h; y++) {
        for (; next <= y + r && next < h; next++) {
            read_line(src, next, x0, x1, r, s->line);
            conv(s->tap + r, w, r, s->ring + (size_t)(next % s->ring_rows) * slot, n);
        }
        /* Row y + t is in slot (y + t) % ring_rows; rows beyond the edges are
         * the edge rows. One division per row finds the first slot; the
         * other 2r are counted on from it, not divided out again. */
        int at = ((y - r) % s->ring_rows + s->ring_rows) % s->ring_rows;
        for (int t = -r; t <= r; t++, at = at + 1 == s->ring_rows ? 0 : at + 1) {
            const int in = y + t < 0 ? 0 : y + t >= h ? last : at;
            vtap[t] = s->ring + (size_t)in * slot;
        }
        conv(vtap, w, r, s->sum, n);
        write_bytes(s->sum, img_row(dst, y) + (size_t)x0 * c, n);
    }
}

int blur_gauss(const struct img *src, struct img *dst, float sigma, struct err *err)
{
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return err_set(err, "blur: destination is %dx%dx%d but source is %dx%dx%d", dst->width,
                       dst->height, dst->channels, src->width, src->height, src->channels);
    struct blur_kernel k;
    if (blur_kernel_init(&k, sigma, err) != 0)
        return -1;
    struct blur_strips s;
    int rc = strips_alloc(&s, src, k.radius, err);
    if (rc == 0) {
        for (int x0 = 0; x0 < src->width; x0 += s.width) {
            int x1 = x0 + s.width < src->width ? x0 + s.width : src->width;
            blur_strip(src, dst, &k, &s, x0, x1);
        }
        strips_free(&s);
    }
    blur_kernel_free(&k);
    return rc;
}
