/* blur.c - the exact reference Gaussian; see blur.h for the definition.
 *
 * Both passes are written so that the innermost loop runs over contiguous
 * memory with a fixed weight, which compilers turn into SIMD code:
 *  - horizontal: a row is copied into a padded float line (edges replicated),
 *    then out[i] += w[k] * line[i + k * channels] for each tap k;
 *  - vertical: out_row[i] += w[k] * tmp_row(y + k)[i] for each tap k.
 */
#include "blur.h"

#include <math.h>
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
        for (size_t i = 0; i < n; i++)
            out[i] = 0;
        for (int t = 0; t <= 2 * r; t++) {
            const float wt = k->weights[t];
            const float *in = line + (size_t)t * c;
            for (size_t i = 0; i < n; i++)
                out[i] += wt * in[i];
        }
    }
    free(line);
    return 0;
}

int blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0, int y1,
                struct err *err)
{
    const int h = dst->height, r = k->radius;
    const size_t n = (size_t)dst->width * dst->channels;
    float *acc = malloc(sizeof *acc * n);
    if (acc == NULL)
        return err_set(err, "blur: out of memory for a row of %d pixels", dst->width);

    for (int y = y0; y < y1; y++) {
        for (size_t i = 0; i < n; i++)
            acc[i] = 0;
        for (int t = -r; t <= r; t++) {
            const float wt = k->weights[t + r];
            const float *in = tmp + (size_t)clampi(y + t, 0, h - 1) * n;
            for (size_t i = 0; i < n; i++)
                acc[i] += wt * in[i];
        }
        uint8_t *out = img_row(dst, y);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(acc[i] + 0.5f); /* acc is within [0, 255]: weights sum to 1 */
    }
    free(acc);
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
