/* 01-kernel.c - the tests of exercise 01: kernel_blur() against blur_gauss().
 *
 * Suites are the check names of exercises/exercises.txt:
 *   correct  every shape (tiny, odd, narrower than the kernel) at every sigma
 *            matches the reference within the exercise's tolerance;
 *   errors   a sigma out of range is refused with a message.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ladder.h"
#include "support.h"

/* From the smallest sigma allowed to the largest, whose radius (150) is wider
 * than every test image, so that clamping at the borders is exercised. */
static const float sigmas[] = {0.5f, 1.3f, 3.0f, 7.5f, 50.0f};
#define NSIGMAS (sizeof sigmas / sizeof sigmas[0])

/* Summing the same numbers in another order or precision (a double
 * accumulator, expf weights) rounds a few samples in a million the other way.
 * Truncating instead of rounding, or rounding the horizontal pass to 8 bits,
 * is also never more than 1 off - but for one sample in ten or more. */
#define MAX_OFF_BY_ONE_SHARE 0.001

Test(correct, matches_reference, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("01", &tolerance, &err) == 0, "%s", err.msg);

    size_t differing = 0, samples = 0;
    for (size_t s = 0; s < support_shape_count; s++) {
        const struct support_shape *sh = &support_shapes[s];
        for (size_t k = 0; k < NSIGMAS; k++) {
            struct img in, got, want;
            cr_assert(support_image_make(&in, sh->width, sh->height, sh->channels,
                                         (unsigned)(s * NSIGMAS + k), &err) == 0,
                      "%s", err.msg);
            cr_assert(img_alloc_like(&got, &in, &err) == 0, "%s", err.msg);
            cr_assert(img_alloc_like(&want, &in, &err) == 0, "%s", err.msg);
            cr_assert(blur_gauss(&in, &want, sigmas[k], &err) == 0, "%s", err.msg);

            char what[128];
            snprintf(what, sizeof what, "the %dx%d %s image blurred at sigma %g", sh->width,
                     sh->height, sh->channels == 4 ? "RGBA" : "RGB", (double)sigmas[k]);
            int rc = kernel_blur(&in, &got, sigmas[k], &err);
            cr_assert(rc == 0, "kernel_blur() failed on %s: returned %d (%s)", what, rc, err.msg);
            cr_assert(support_compare(&got, &want, tolerance, 0, what, &err) == 0, "%s", err.msg);
            differing += support_differing(&got, &want);
            samples += (size_t)in.width * in.height * in.channels;
            img_free(&in);
            img_free(&got);
            img_free(&want);
        }
    }
    cr_expect(differing <= MAX_OFF_BY_ONE_SHARE * samples,
              "%zu of %zu samples (%.2f%%) are off by one, more than different float "
              "rounding explains (%.1f%%). Round once, at the very end, with (uint8_t)(acc + "
              "0.5f); keep the horizontal pass in floats, not bytes.",
              differing, samples, 100.0 * differing / samples, 100.0 * MAX_OFF_BY_ONE_SHARE);
}

/* An image's rows may be further apart than width * channels bytes (a view
 * into a larger picture): rows must be found with img_row(). */
Test(correct, respects_stride, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("01", &tolerance, &err) == 0, "%s", err.msg);
    struct img big, got, want;
    cr_assert(support_image_make(&big, 80, 50, 3, 7, &err) == 0, "%s", err.msg);
    struct img view = big; /* the left 61 columns, rows still 80 pixels apart */
    view.width = 61;
    cr_assert(img_alloc_like(&got, &view, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&want, &view, &err) == 0, "%s", err.msg);
    cr_assert(blur_gauss(&view, &want, 2.0f, &err) == 0, "%s", err.msg);
    cr_assert(kernel_blur(&view, &got, 2.0f, &err) == 0, "kernel_blur() failed: %s", err.msg);
    int rc = support_compare(&got, &want, tolerance, 0, "a 61x50 image with 80-pixel rows", &err);
    cr_expect(rc == 0,
              "%s. If tightly packed images come out right, look at how you find row y: "
              "img_row(im, y) uses im->stride, which may be more than width * channels",
              err.msg);
    img_free(&big);
    img_free(&got);
    img_free(&want);
}

Test(errors, rejects_sigma_out_of_range, .timeout = SUPPORT_TIMEOUT)
{
    const float bad[] = {0.0f, 0.49f, 50.5f, -3.0f, NAN, INFINITY};
    struct img in, out;
    struct err err = {0};
    cr_assert(support_image_make(&in, 16, 16, 3, 1, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&out, &in, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        int rc = kernel_blur(&in, &out, bad[i], &err);
        cr_expect(rc == -1,
                  "kernel_blur() with sigma %g returned %d, expected -1: only %g to %g "
                  "is a valid sigma (blur_check_sigma() checks it)",
                  (double)bad[i], rc, (double)BLUR_SIGMA_MIN, (double)BLUR_SIGMA_MAX);
        cr_expect(rc != -1 || strstr(err.msg, "sigma") != NULL,
                  "kernel_blur() refused sigma %g but its message \"%s\" does not say that "
                  "sigma is the problem",
                  (double)bad[i], err.msg);
    }
    img_free(&in);
    img_free(&out);
}
