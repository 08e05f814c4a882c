/* test_blur.c - the reference Gaussian: its definition, checked property by
 * property, and its error paths. (The cross-check against OpenCV, an
 * independent implementation, lives in a script under tests/.) */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "blur.h"

Test(blur, kernel_has_radius_ceil_3_sigma_and_sums_to_one)
{
    const float sigmas[] = {0.5f, 1.0f, 1.7f, 5.0f, 50.0f};
    for (size_t s = 0; s < sizeof sigmas / sizeof *sigmas; s++) {
        struct blur_kernel k;
        struct err err;
        cr_assert_eq(blur_kernel_init(&k, sigmas[s], &err), 0, "%s", err.msg);
        cr_expect_eq(k.radius, (int)ceilf(3 * sigmas[s]), "sigma %g", (double)sigmas[s]);
        double sum = 0;
        for (int i = 0; i <= 2 * k.radius; i++) {
            sum += k.weights[i];
            cr_expect_float_eq(k.weights[i], k.weights[2 * k.radius - i], 1e-7, "symmetric");
            if (i < k.radius)
                cr_expect_lt(k.weights[i], k.weights[i + 1], "rises towards the centre");
        }
        cr_expect_float_eq(sum, 1.0, 1e-5, "sigma %g sums to %f", (double)sigmas[s], sum);
        blur_kernel_free(&k);
    }
}

Test(blur, sigma_out_of_range_is_refused_clearly)
{
    const float bad[] = {0.0f, 0.49f, 50.5f, -1.0f, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct err err;
        cr_expect_eq(blur_check_sigma(bad[i], &err), -1, "sigma %g", (double)bad[i]);
        cr_expect(strstr(err.msg, "0.5") && strstr(err.msg, "50"), "got: %s", err.msg);
    }
}

Test(blur, constant_image_stays_constant)
{
    struct img a, b;
    struct err err;
    cr_assert_eq(img_alloc(&a, 40, 30, 3, &err), 0);
    cr_assert_eq(img_alloc_like(&b, &a, &err), 0);
    memset(a.pixels, 77, a.stride * a.height);
    cr_assert_eq(blur_gauss(&a, &b, 3.0f, &err), 0, "%s", err.msg);
    for (size_t i = 0; i < b.stride * b.height; i++)
        cr_assert_eq(b.pixels[i], 77, "sample %zu is %d", i, b.pixels[i]);
    img_free(&a);
    img_free(&b);
}

/* One white pixel in the middle of black: the output is the 2-D kernel,
 * i.e. the outer product of the 1-D weights, scaled to 255. */
Test(blur, impulse_response_is_the_kernel)
{
    struct img a, b;
    struct err err;
    struct blur_kernel k;
    const float sigma = 1.5f;
    cr_assert_eq(blur_kernel_init(&k, sigma, &err), 0);
    cr_assert_eq(img_alloc(&a, 21, 21, 3, &err), 0);
    cr_assert_eq(img_alloc_like(&b, &a, &err), 0);
    img_row(&a, 10)[10 * 3 + 1] = 255; /* green channel only */
    cr_assert_eq(blur_gauss(&a, &b, sigma, &err), 0);
    for (int dy = -k.radius; dy <= k.radius; dy++)
        for (int dx = -k.radius; dx <= k.radius; dx++) {
            float want = 255.0f * k.weights[dy + k.radius] * k.weights[dx + k.radius];
            int got = img_row(&b, 10 + dy)[(10 + dx) * 3 + 1];
            cr_assert_eq(got, (int)(want + 0.5f), "(%d,%d): got %d want %f", dx, dy, got,
                         (double)want);
            cr_assert_eq(img_row(&b, 10 + dy)[(10 + dx) * 3 + 0], 0, "channels stay apart");
        }
    blur_kernel_free(&k);
    img_free(&a);
    img_free(&b);
}

/* Clamp-to-edge: a left half at 200 and right half at 0 - the left border
 * sees only 200s beyond the edge, so column 0 stays 200 when the edge is
 * further than the radius. */
Test(blur, borders_clamp_to_the_edge)
{
    struct img a, b;
    struct err err;
    cr_assert_eq(img_alloc(&a, 40, 5, 3, &err), 0);
    cr_assert_eq(img_alloc_like(&b, &a, &err), 0);
    for (int y = 0; y < 5; y++)
        memset(img_row(&a, y), 200, 20 * 3);
    cr_assert_eq(blur_gauss(&a, &b, 2.0f, &err), 0);
    for (int y = 0; y < 5; y++) {
        cr_expect_eq(img_row(&b, y)[0], 200, "row %d: left edge replicated", y);
        cr_expect_eq(img_row(&b, y)[39 * 3], 0, "row %d: right edge replicated", y);
        cr_expect_eq(img_row(&b, y)[19 * 3] + img_row(&b, y)[20 * 3], 200,
                     "symmetric around the step");
    }
    img_free(&a);
    img_free(&b);
}

/* An image of w x h pixels of c channels that look random. img_alloc()
 * makes only RGB and RGBA; the row passes take any number of channels, and
 * gray (1) cuts its strips at yet another width, so it is made by hand. */
static void noise_image(struct img *im, int w, int h, int c)
{
    struct err err;
    if (c == 1) {
        *im = (struct img){w, h, 1, (size_t)w, malloc((size_t)w * h)};
        cr_assert_not_null(im->pixels);
    } else {
        cr_assert_eq(img_alloc(im, w, h, c, &err), 0, "%s", err.msg);
    }
    for (size_t i = 0; i < im->stride * im->height; i++)
        im->pixels[i] = (uint8_t)(i * 2654435761u >> 24);
}

/* Runs the two passes by bands, as exercise 06 does: every band's
 * horizontal pass, then every band's vertical one, the bands cut at
 * cuts[0] = 0 < cuts[1] < ... < cuts[n] = height. It must be the same
 * arithmetic as one call of blur_gauss(), bit for bit. */
static void check_bands(const struct img *a, float sigma, const int *cuts, int n)
{
    struct img whole = *a, bands = *a; /* a's shape, pixels of their own */
    struct err err;
    struct blur_kernel k;
    whole.pixels = calloc(a->stride, (size_t)a->height);
    bands.pixels = calloc(a->stride, (size_t)a->height);
    cr_assert(whole.pixels != NULL && bands.pixels != NULL);
    cr_assert_eq(blur_gauss(a, &whole, sigma, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_kernel_init(&k, sigma, &err), 0);
    float *tmp = blur_tmp_alloc(a, &err);
    cr_assert_not_null(tmp);
    for (int i = 0; i < n; i++)
        cr_assert_eq(blur_rows_h(a, tmp, &k, cuts[i], cuts[i + 1], &err), 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(blur_rows_v(tmp, &bands, &k, cuts[i], cuts[i + 1], &err), 0);
    struct img_diff d;
    cr_assert_eq(img_compare(&bands, &whole, &d, &err), 0);
    cr_expect_eq(d.max_abs, 0, "%dx%dx%d, sigma %g: differs at (%d,%d)", a->width, a->height,
                 a->channels, (double)sigma, d.x, d.y);
    free(tmp);
    blur_kernel_free(&k);
    img_free(&whole);
    img_free(&bands);
}

Test(blur, row_bands_match_the_whole_image)
{
    struct img a;
    noise_image(&a, 37, 23, 4);
    const int cuts[] = {0, 5, 6, 17, 23};
    check_bands(&a, 2.5f, cuts, 4);
    img_free(&a);
}

/* The pixels per strip that blur.c cuts for a kernel of radius r and c
 * channels (strip_pixels() there): as many as keep 2r + 1 rows of floats
 * within 512 KB, in an odd number of CHUNKs of 64. Only the widths the tests
 * below choose depend on it: should it change, they still pass, but may no
 * longer cut where they mean to. */
static int strip_pixels(int r, int c)
{
    int n = 512 * 1024 / (4 * (2 * r + 1) * c * 64);
    if (n % 2 == 0)
        n--;
    return (n > 1 ? n : 1) * 64;
}

/* Bands that start and end at odd rows, one of a single row, some
 * narrower than the radius (60), over 150 rows: a vertical pass reads
 * across several bands, and clamps at both edges. */
static const int odd_cuts[] = {0, 1, 38, 39, 77, 136, 150};

/* The row passes work strip by strip too: an image of exactly three
 * strips, for gray, RGB and RGBA (whose strips are of different widths). */
Test(blur, row_bands_match_the_whole_image_across_strips)
{
    const int channels[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        struct img a;
        noise_image(&a, 3 * strip_pixels(60, channels[i]), 150, channels[i]);
        check_bands(&a, 20.0f, odd_cuts, 6);
        img_free(&a);
    }
}

/* The same with a last strip of only 3 pixels: narrower than a vector,
 * and than the radius, so its horizontal taps reach back into the strip
 * before it and clamp at the right edge. */
Test(blur, row_bands_match_the_whole_image_with_a_sliver_strip)
{
    const int channels[] = {1, 3, 4};
    for (int i = 0; i < 3; i++) {
        struct img a;
        noise_image(&a, 2 * strip_pixels(60, channels[i]) + 3, 150, channels[i]);
        check_bands(&a, 20.0f, odd_cuts, 6);
        img_free(&a);
    }
}

/* The definition of blur.h, written as plainly as possible: both passes
 * over the whole image, one sample at a time, the taps summed from the
 * centre outwards as blur.c sums them. */
static void textbook_gauss(const struct img *src, struct img *dst, const struct blur_kernel *k)
{
    const int w = src->width, h = src->height, c = src->channels, r = k->radius;
    const float *wt = k->weights + r;
    float *tmp = malloc(sizeof *tmp * (size_t)w * h * c);
    cr_assert_not_null(tmp);
#define AT(x, y, ch) ((size_t)((y)*w + (x)) * c + (ch))
#define CLAMP(v, n) ((v) < 0 ? 0 : (v) >= (n) ? (n)-1 : (v))
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++) {
                const uint8_t *row = img_row(src, y);
                float acc = wt[0] * row[(size_t)x * c + ch];
                for (int t = 1; t <= r; t++)
                    acc += wt[t] * ((float)row[(size_t)CLAMP(x - t, w) * c + ch] +
                                    (float)row[(size_t)CLAMP(x + t, w) * c + ch]);
                tmp[AT(x, y, ch)] = acc;
            }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++) {
                float acc = wt[0] * tmp[AT(x, y, ch)];
                for (int t = 1; t <= r; t++)
                    acc +=
                        wt[t] * (tmp[AT(x, CLAMP(y - t, h), ch)] + tmp[AT(x, CLAMP(y + t, h), ch)]);
                img_row(dst, y)[(size_t)x * c + ch] = (uint8_t)(acc + 0.5f);
            }
#undef AT
#undef CLAMP
    free(tmp);
}

/* blur_gauss() cuts the image into strips of columns and keeps a ring of
 * rows per strip, with vector code for most samples and scalar code for the
 * rest. None of that may change a single bit: shapes that give several
 * strips and a narrow last one, images narrower than a vector or shorter
 * than the kernel, RGB and RGBA. */
Test(blur, strips_and_ring_give_exactly_the_textbook_passes)
{
    const struct {
        int w, h, c;
        float sigma;
    } cases[] = {
        {700, 150, 3, 20.0f}, /* three strips, the last one narrow */
        {500, 41, 4, 12.0f},  /* RGBA: two strips (448 + 52 pixels) */
        {5, 3, 3, 10.0f},     /* far smaller than the kernel */
        {1, 1, 4, 0.5f},      {97, 64, 3, 2.5f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct img a, got, want;
        struct err err;
        struct blur_kernel k;
        cr_assert_eq(img_alloc(&a, cases[i].w, cases[i].h, cases[i].c, &err), 0);
        for (size_t p = 0; p < a.stride * a.height; p++)
            a.pixels[p] = (uint8_t)(p * 2654435761u >> 24);
        cr_assert_eq(img_alloc_like(&got, &a, &err), 0);
        cr_assert_eq(img_alloc_like(&want, &a, &err), 0);
        cr_assert_eq(blur_kernel_init(&k, cases[i].sigma, &err), 0);
        cr_assert_eq(blur_gauss(&a, &got, cases[i].sigma, &err), 0, "%s", err.msg);
        textbook_gauss(&a, &want, &k);
        struct img_diff d;
        cr_assert_eq(img_compare(&got, &want, &d, &err), 0);
        cr_expect_eq(d.max_abs, 0, "%dx%dx%d, sigma %g: differs by %d at (%d,%d)", cases[i].w,
                     cases[i].h, cases[i].c, (double)cases[i].sigma, d.max_abs, d.x, d.y);
        blur_kernel_free(&k);
        img_free(&a);
        img_free(&got);
        img_free(&want);
    }
}

Test(blur, destination_of_another_shape_is_refused)
{
    struct img a, b;
    struct err err;
    cr_assert_eq(img_alloc(&a, 10, 10, 3, &err), 0);
    cr_assert_eq(img_alloc(&b, 10, 11, 3, &err), 0);
    cr_expect_eq(blur_gauss(&a, &b, 1.0f, &err), -1);
    cr_expect(strstr(err.msg, "destination") != NULL, "got: %s", err.msg);
    img_free(&a);
    img_free(&b);
}
