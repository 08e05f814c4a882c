/* blur.c - the exact reference Gaussian; see blur.h for the definition.
 *
 * Both passes are written so that the innermost loop runs over contiguous
 * memory with a fixed weight, which compilers turn into SIMD code (at -O3):
 *  - horizontal: a row is copied into a padded float line (edges replicated),
 *    then out[i] += w[t] * (line[i - t * channels] + line[i + t * channels])
 *    for each tap t - the kernel is symmetric, so mirror samples share one
 *    multiplication;
 *  - vertical: out_row[i] += w[t] * (tmp_row(y - t)[i] + tmp_row(y + t)[i]).
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

/* Samples are convolved a block at a time: the block's sums stay in the
 * fastest cache (or registers) while all 2r + 1 taps are added in. */
#define BLOCK 256

/* out[i] = sum over t of w[t] * mid[i + t * step], for i in [0, n): the
 * horizontal pass, where neighbours are `step` (channels) floats apart. The
 * kernel is symmetric, so mirror samples are added first and share one
 * multiplication. */
static void convolve(const float *mid, ptrdiff_t step, const struct blur_kernel *k,
                     float *restrict out, size_t n)
{
    const int r = k->radius;
    const float *w = k->weights + r; /* w[-r .. r] */
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t len = n - i0 < BLOCK ? n - i0 : BLOCK;
        float acc[BLOCK];
        const float *m = mid + i0;
        for (size_t i = 0; i < len; i++)
            acc[i] = w[0] * m[i];
        for (int t = 1; t <= r; t++) {
            const float *restrict left = m - t * step, *restrict right = m + t * step;
            for (size_t i = 0; i < len; i++)
                acc[i] += w[t] * (left[i] + right[i]);
        }
        for (size_t i = 0; i < len; i++)
            out[i0 + i] = acc[i];
    }
}

/* The same down a column strip: rows[t] (t in -r .. r) points at the strip
 * in the row t away; out gets len sums. */
static void convolve_rows(const float *const *rows, const struct blur_kernel *k,
                          float *restrict out, size_t len)
{
    const int r = k->radius;
    const float *w = k->weights + r;
    for (size_t i = 0; i < len; i++)
        out[i] = w[0] * rows[0][i];
    for (int t = 1; t <= r; t++) {
        const float *restrict up = rows[-t], *restrict down = rows[t];
        for (size_t i = 0; i < len; i++)
            out[i] += w[t] * (up[i] + down[i]);
    }
}

int blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0, int y1,
                struct err *err)
{
    const int w = src->width, c = src->channels, r = k->radius;
    const size_t n = (size_t)w * c;
    float *line = malloc(sizeof *line * (size_t)(w + 2 * r) * c);
    if (line == NULL)
        return err_set(err, "blur: out of memory for a row of %d pixels", w);

    for (int y = y0; y < y1; y++) {
        const uint8_t *row = img_row(src, y);
        /* Padded line: r replicated pixels, the row, r replicated pixels. */
        for (int x = -r; x < w + r; x++) {
            const uint8_t *px = row + (size_t)clampi(x, 0, w - 1) * c;
            for (int ch = 0; ch < c; ch++)
                line[(size_t)(x + r) * c + ch] = px[ch];
        }
        float *out = tmp + (size_t)y * n;
        convolve(line + (size_t)r * c, (ptrdiff_t)c, k, out, n);
    }
    free(line);
    return 0;
}

int blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0, int y1,
                struct err *err)
{
    const int h = dst->height, r = k->radius;
    const size_t n = (size_t)dst->width * dst->channels;
    const float **rows = malloc(sizeof *rows * (size_t)(2 * r + 1));
    if (rows == NULL)
        return err_set(err, "blur: out of memory for a kernel of radius %d", r);

    /* Walk down one strip of columns at a time: the 2r + 1 rows of a strip
     * that one output row needs stay in cache for the next output row, so
     * each float of tmp comes from memory once instead of 2r + 1 times. */
    for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t len = n - i0 < BLOCK ? n - i0 : BLOCK;
        for (int y = y0; y < y1; y++) {
            for (int t = -r; t <= r; t++) /* clamp-to-edge, row by row */
                rows[t + r] = tmp + (size_t)clampi(y + t, 0, h - 1) * n + i0;
            float acc[BLOCK];
            convolve_rows(rows + r, k, acc, len);
            uint8_t *out = img_row(dst, y) + i0;
            for (size_t i = 0; i < len; i++)
                out[i] = (uint8_t)(acc[i] + 0.5f); /* within [0, 255]: weights sum to 1 */
        }
    }
    free(rows);
    return 0;
}

float *blur_tmp_alloc(const struct img *src, struct err *err)
{
    float *tmp = malloc(sizeof *tmp * (size_t)src->height * src->width * src->channels);
    if (tmp == NULL)
        err_set(err, "blur: out of memory for a %dx%d image", src->width, src->height);
    return tmp;
}

int blur_gauss(const struct img *src, struct img *dst, float sigma, struct err *err)
{
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return err_set(err, "blur: destination is %dx%dx%d but source is %dx%dx%d", dst->width,
                       dst->height, dst->channels, src->width, src->height, src->channels);
    struct blur_kernel k;
    if (blur_kernel_init(&k, sigma, err) != 0)
        return -1;
    float *tmp = blur_tmp_alloc(src, err);
    int rc = tmp == NULL ? -1 : 0;
    if (rc == 0)
        rc = blur_rows_h(src, tmp, &k, 0, src->height, err);
    if (rc == 0)
        rc = blur_rows_v(tmp, dst, &k, 0, src->height, err);
    free(tmp);
    blur_kernel_free(&k);
    return rc;
}
