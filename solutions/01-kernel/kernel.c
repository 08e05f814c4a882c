/* kernel.c - exercise 01, reference solution: the separable Gaussian blur.
 *
 * The same arithmetic as src/core/blur.h, written as plainly as possible:
 *
 *   1. the 2r+1 weights exp(-x^2 / 2 sigma^2), r = ceil(3 sigma), computed in
 *      double and normalised so they sum to 1 (a blur must not brighten or
 *      darken the picture);
 *   2. a horizontal pass: every sample becomes the weighted sum of its row
 *      neighbours, kept in a float buffer - rounding it to 8 bits here would
 *      throw away precision the second pass needs;
 *   3. a vertical pass over that buffer, rounded to 8 bits at the very end.
 *
 * Neighbours outside the image are the nearest edge pixel (clamp to edge).
 * The taps are summed from -r to r in float. src/core/blur.c adds mirror taps
 * first (w[t] * (s[-t] + s[t]): half the multiplications), and
 * floating-point addition is not associative, so a few samples in a million
 * round the other way: the grade's tolerance of 1 is for them.
 */
#include <math.h>
#include <stdlib.h>

#include "ladder.h"

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Fills w[0..2r] with the normalised weights; w[r] is the centre. */
static void gauss_weights(float *w, int r, float sigma)
{
    double sum = 0;
    for (int i = -r; i <= r; i++) {
        double v = exp(-(double)i * i / (2.0 * (double)sigma * sigma));
        w[i + r] = (float)v;
        sum += v;
    }
    for (int i = 0; i <= 2 * r; i++)
        w[i] = (float)(w[i] / sum);
}

int kernel_blur(const struct img *src, struct img *dst, float sigma, struct err *err)
{
    if (blur_check_sigma(sigma, err) != 0)
        return -1;
    if (dst->width != src->width || dst->height != src->height || dst->channels != src->channels)
        return err_set(err, "kernel: destination is %dx%dx%d but source is %dx%dx%d", dst->width,
                       dst->height, dst->channels, src->width, src->height, src->channels);
    const int width = src->width, height = src->height, ch = src->channels;
    const int r = (int)ceilf(3.0f * sigma);
    float *w = malloc(sizeof *w * (size_t)(2 * r + 1));
    float *tmp = malloc(sizeof *tmp * (size_t)width * height * ch);
    if (w == NULL || tmp == NULL) {
        free(w);
        free(tmp);
        return err_set(err, "kernel: out of memory for a %dx%d image", width, height);
    }
    gauss_weights(w, r, sigma);

    /* Horizontal pass: src rows -> tmp (float). */
    for (int y = 0; y < height; y++) {
        const uint8_t *row = img_row(src, y);
        float *out = tmp + (size_t)y * width * ch;
        for (int x = 0; x < width; x++)
            for (int c = 0; c < ch; c++) {
                float acc = 0;
                for (int t = -r; t <= r; t++)
                    acc += w[t + r] * row[(size_t)clamp(x + t, 0, width - 1) * ch + c];
                out[(size_t)x * ch + c] = acc;
            }
    }

    /* Vertical pass: tmp columns -> dst, rounded once, here. */
    for (int y = 0; y < height; y++) {
        uint8_t *out = img_row(dst, y);
        for (int i = 0; i < width * ch; i++) {
            float acc = 0;
            for (int t = -r; t <= r; t++)
                acc += w[t + r] * tmp[(size_t)clamp(y + t, 0, height - 1) * width * ch + i];
            out[i] = (uint8_t)(acc + 0.5f); /* weights sum to 1: acc is in [0, 255] */
        }
    }

    free(w);
    free(tmp);
    return 0;
}
