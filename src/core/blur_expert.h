/* blur_expert.h - the "expert" blur: beyond the ladder of exercises.
 *
 * An O(1)-per-sample approximation of blur_gauss() (blur.h) for speed: a
 * recursive Gaussian (van Vliet, Young and Verbeek, 1998) with exact clamped
 * borders (Triggs and Sdika, 2006), 8 lines per AVX2 register, on `threads`
 * threads. No exercise asks for it: exercise 08 teaches the plain-C way to an
 * O(1) blur (stacked box blurs), and its README's "going further" points
 * here. `retreat blur --style expert` runs it.
 *
 * Accuracy against blur_gauss(), on photographs from sigma 2 to 50: PSNR at
 * least 40 dB (in practice 55 or more) and no sample more than 4 levels off
 * (in practice 2). Below sigma 2 it runs the exact passes of blur.h, so the
 * result is blur_gauss()'s.
 *
 *     struct img out;
 *     if (img_alloc_like(&out, &in, &err) != 0 ||
 *         blur_expert(&in, &out, 5.0f, 2, &err) != 0)
 *         fprintf(stderr, "%s\n", err.msg);
 */
#ifndef RETREAT_BLUR_EXPERT_H
#define RETREAT_BLUR_EXPERT_H

#include "batch.h"
#include "err.h"
#include "img.h"

/* Blurs src into dst (same width, height and channels; allocate it with
 * img_alloc_like) on up to `threads` threads (values below 1 mean 1).
 * Returns -1 with err for a sigma outside [BLUR_SIGMA_MIN, BLUR_SIGMA_MAX],
 * a destination of another shape, or no memory. */
int blur_expert(const struct img *src, struct img *dst, float sigma, int threads, struct err *err);

/* The batch style built on it: a pool of min(b->threads, count) workers
 * (the calling thread is one of them) that take whole images from a shared
 * index and run decode, blur_expert() (timed as a "blur" span) and encode,
 * each step on the worker that took the image. Each blur runs on
 * b->threads / workers threads: 1 for a batch of at least b->threads
 * images, so that the codecs run in parallel too. Like the ladder's styles
 * it returns 0 when it ran, whatever happened to the items (their results[]
 * say). */
int blur_expert_run(const struct blur_batch *b);

#endif
