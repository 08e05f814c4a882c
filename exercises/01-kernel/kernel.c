/* kernel.c - exercise 01: the separable Gaussian blur, written by you.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 1`;
 * `make hint 1` gives a nudge. The function is declared in solutions/ladder.h.
 *
 * When you are done, kernel_blur() must give the same picture as
 * blur_gauss() in src/core/blur.h (do not call it here: write the loops).
 */
#include <math.h>
#include <stdlib.h>

#include "ladder.h"

int kernel_blur(const struct img *src, struct img *dst, float sigma, struct err *err)
{
    /* TODO 1: refuse a sigma out of range. blur_check_sigma(sigma, err)
     *         does the test and writes the message; return -1 if it fails. */

    /* TODO 2: the kernel. r = (int)ceilf(3.0f * sigma); 2r+1 weights
     *         w[i + r] = exp(-i*i / (2 sigma^2)) for i = -r..r, computed in
     *         double, then each divided by their sum. Store them as float. */

    /* TODO 3: the horizontal pass, into a float buffer of
     *         width * height * channels samples (malloc it):
     *         tmp(x, y, c) = sum over i = -r..r of w[i + r] * src(x + i, y, c),
     *         with x + i clamped to 0..width-1. Find row y with
     *         img_row(src, y): rows may be further apart than width * channels. */

    /* TODO 4: the vertical pass, out of the float buffer into dst:
     *         dst(x, y, c) = sum over i = -r..r of w[i + r] * tmp(x, y + i, c),
     *         with y + i clamped to 0..height-1, rounded once:
     *         (uint8_t)(acc + 0.5f). Then free what you allocated. */

    (void)src; /* TODO: remove these four lines once you use the arguments */
    (void)dst;
    (void)sigma;
    (void)err;
    return 0;
}
