/* blur.h - the exact reference Gaussian blur: the oracle of every blur style.
 *
 * A Gaussian blur is separable: blurring every row with a 1-D kernel and then
 * every column of the result gives the same image as the 2-D kernel, at
 * 2(2r+1) instead of (2r+1)^2 multiplications per sample.
 *
 * The reference is exact, down to the order of its additions:
 *  - kernel radius r = ceil(3 sigma), weights exp(-x^2 / 2 sigma^2) normalised
 *    to sum to 1;
 *  - samples accumulate in float, from the centre out, mirror taps added
 *    first: w[0] s[0] + w[1] (s[-1] + s[1]) + ... + w[r] (s[-r] + s[r]);
 *  - the horizontal pass keeps its result in float, so rounding happens
 *    once, at the end of the vertical pass (+ 0.5, truncated);
 *  - borders clamp to the edge (the pixel at x = -3 is the pixel at x = 0),
 *    OpenCV's BORDER_REPLICATE;
 *  - sigma from BLUR_SIGMA_MIN to BLUR_SIGMA_MAX; anything else is refused.
 *
 * The passes are exposed by rows so that exercise 06 can split one image into
 * bands over threads: every band's horizontal pass must finish before any
 * band's vertical pass starts, because a vertical pass reads r rows above and
 * below its band. Bands are independent otherwise: the horizontal pass of
 * rows [y0, y1) writes only those rows of tmp, the vertical pass only those
 * rows of dst.
 */
#ifndef RETREAT_BLUR_H
#define RETREAT_BLUR_H

#include "err.h"
#include "img.h"

#define BLUR_SIGMA_MIN 0.5f
#define BLUR_SIGMA_MAX 50.0f
#define BLUR_SIGMA_DEFAULT 5.0f

struct blur_kernel {
    int radius;     /* ceil(3 sigma) */
    float *weights; /* 2 * radius + 1 weights summing to 1; weights[radius] is the centre */
};

/* Checks sigma and fills in the normalised kernel. */
int blur_kernel_init(struct blur_kernel *k, float sigma, struct err *err);
void blur_kernel_free(struct blur_kernel *k);

/* Returns 0 if sigma is within [BLUR_SIGMA_MIN, BLUR_SIGMA_MAX], else -1 with
 * a message saying what is accepted. */
int blur_check_sigma(float sigma, struct err *err);

/* Horizontal pass over rows [y0, y1) of src into tmp, a float buffer of
 * src->height * src->width * src->channels samples from blur_tmp_alloc().
 * How the rows are laid out in tmp is the passes' own business (strips of
 * columns, each stored top to bottom, so that the vertical pass finds its
 * 2r + 1 rows in one block of memory); it depends on the kernel and on the
 * image's shape, so both passes must get the same kernel and images of the
 * same shape. Fails only when out of memory for its scratch line. */
int blur_rows_h(const struct img *src, float *tmp, const struct blur_kernel *k, int y0, int y1,
                struct err *err);

/* Vertical pass producing rows [y0, y1) of dst from tmp; reads tmp rows
 * y0 - radius .. y1 + radius (clamped), so all of them must be done.
 * Fails only when out of memory for its accumulator. */
int blur_rows_v(const float *tmp, struct img *dst, const struct blur_kernel *k, int y0, int y1,
                struct err *err);

/* Allocates the float buffer the two passes share for an image like src:
 * height * width * channels floats, malloc'ed. An image no bigger in floats
 * may reuse it; for a bigger one, realloc() it (exercise 06 does). */
float *blur_tmp_alloc(const struct img *src, struct err *err);

/* Blurs src into dst (allocated by the caller with img_alloc_like). */
int blur_gauss(const struct img *src, struct img *dst, float sigma, struct err *err);

#endif
