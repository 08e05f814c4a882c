/* test_blur_expert.c - the expert blur (blur_expert.h), beyond the ladder.
 *
 * It is an approximation of blur_gauss(), so "correct" means close, by the
 * two measures of blur_expert.h: no sample more than EXPERT_TOLERANCE levels
 * off, and a PSNR of at least EXPERT_MIN_PSNR over the image. Checked on
 * synthetic shapes (a single pixel, narrower and shorter than the filter's
 * reach, RGBA) from sigma 0.5 to 30, on the workshop photos, on an image
 * with padded rows, on flat images (the borders must clamp: an edge that is
 * darker or brighter than the edge pixel shows up there first), and for the
 * same picture whatever the number of threads. Then its errors, and the
 * batch style built on it.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blur.h"
#include "blur_expert.h"

#define EXPERT_TOLERANCE 4
#define EXPERT_MIN_PSNR 40.0

/* A picture with hard edges, a gradient and noise, the same on every run
 * for a given seed (xorshift32). */
static void make_image(struct img *im, int width, int height, int channels, unsigned seed)
{
    struct err err;
    cr_assert_eq(img_alloc(im, width, height, channels, &err), 0, "%s", err.msg);
    unsigned state = 2463534242u ^ (seed * 2654435761u);
    int cell = 4 + (int)(seed % 7);
    for (int y = 0; y < height; y++) {
        uint8_t *row = img_row(im, y);
        for (int x = 0; x < width; x++) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            int checker = ((x / cell + y / cell) & 1) ? 60 : 0, noise = (int)(state % 48);
            uint8_t *px = row + (size_t)x * channels;
            px[0] = (uint8_t)((x * 255 / (width > 1 ? width - 1 : 1) + checker + noise) % 256);
            px[1] = (uint8_t)((y * 255 / (height > 1 ? height - 1 : 1) + checker) % 256);
            px[2] = (uint8_t)((x + y) % 2 ? 255 - noise : noise + checker);
            if (channels == 4)
                px[3] = (uint8_t)(255 - (x * 7 + y * 3 + (int)seed) % 200);
        }
    }
}

/* Blurs in with blur_expert() and with blur_gauss(), and checks the two are
 * close; what says which picture it was. */
static void expect_close(const struct img *in, float sigma, int threads, const char *what)
{
    struct err err;
    struct img got, want;
    cr_assert_eq(img_alloc_like(&got, in, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&want, in, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_gauss(in, &want, sigma, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_expert(in, &got, sigma, threads, &err), 0, "%s: %s", what, err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0, "%s", err.msg);
    cr_expect_leq(d.max_abs, EXPERT_TOLERANCE,
                  "%s: %d levels off at x %d, y %d, channel %d (got %d, want %d)", what, d.max_abs,
                  d.x, d.y, d.c, d.got, d.want);
    cr_expect_geq(d.psnr, EXPERT_MIN_PSNR, "%s: PSNR %.1f dB", what, d.psnr);
    img_free(&got);
    img_free(&want);
}

static const struct {
    int width, height, channels;
} shapes[] = {
    {96, 64, 3}, /* ordinary */
    {71, 53, 4}, /* odd sizes, RGBA */
    {1, 1, 3},   /* a single pixel: every tap is the edge */
    {5, 40, 3},  /* narrower than the filter reaches */
    {40, 3, 4},  /* shorter than it */
    {2, 2, 4},   /* tiny, RGBA */
    {9, 17, 3},  /* neither a multiple of 8 rows nor of 16 samples: partial tiles and strips */
};

Test(blur_expert, close_to_the_exact_blur_on_odd_shapes)
{
    static const float sigmas[] = {0.5f, 2.0f, 3.3f, 5.0f, 12.0f, 30.0f};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
            struct img in;
            make_image(&in, shapes[s].width, shapes[s].height, shapes[s].channels,
                       (unsigned)(s * 8 + k));
            char what[128];
            snprintf(what, sizeof what, "%dx%dx%d at sigma %g", in.width, in.height, in.channels,
                     (double)sigmas[k]);
            expect_close(&in, sigmas[k], 2, what);
            img_free(&in);
        }
}

/* The accuracy is stated for photographs: smooth areas, soft and hard
 * edges, stars on black. */
Test(blur_expert, close_to_the_exact_blur_on_the_workshop_photos, .timeout = 120)
{
    static const char *const photos[] = {"workshop/images/chelsea.png",
                                         "workshop/images/hubble_deep_field.jpg",
                                         "workshop/images/rocket.jpg"};
    for (size_t p = 0; p < sizeof photos / sizeof photos[0]; p++) {
        struct img in;
        struct err err;
        cr_assert_eq(img_load(photos[p], &in, &err), 0, "%s (run from the top of the repo)",
                     err.msg);
        static const float sigmas[] = {2.5f, 5.0f, 10.0f, 50.0f};
        for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++) {
            char what[256];
            snprintf(what, sizeof what, "%s at sigma %g", photos[p], (double)sigmas[k]);
            expect_close(&in, sigmas[k], 2, what);
        }
        img_free(&in);
    }
}

/* Borders clamp to the edge: a flat image stays flat to the last pixel, and
 * a bright left half with a dark right half keeps its far edges at their
 * own levels, as the exact blur does. */
Test(blur_expert, borders_clamp_like_the_exact_blur)
{
    struct err err;
    struct img in, out;
    cr_assert_eq(img_alloc(&in, 83, 61, 3, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&out, &in, &err), 0, "%s", err.msg);
    memset(in.pixels, 200, in.stride * (size_t)in.height);
    cr_assert_eq(blur_expert(&in, &out, 20.0f, 2, &err), 0, "%s", err.msg);
    for (int y = 0; y < out.height; y++)
        for (int x = 0; x < out.width * 3; x++)
            cr_assert_eq(img_row(&out, y)[x], 200, "a flat image changed at x %d, y %d: %d", x / 3,
                         y, img_row(&out, y)[x]);
    for (int y = 0; y < in.height; y++)
        for (int x = 0; x < in.width * 3; x++)
            img_row(&in, y)[x] = x < in.width * 3 / 2 ? 250 : 5;
    expect_close(&in, 20.0f, 2, "a bright left half, a dark right half, sigma 20");
    img_free(&in);
    img_free(&out);
}

/* Rows further apart than width * channels bytes: found with img_row(). */
Test(blur_expert, respects_the_stride)
{
    struct img big;
    make_image(&big, 120, 70, 3, 11);
    struct img view = big; /* the left 97 columns, rows still 120 pixels apart */
    view.width = 97;
    expect_close(&view, 4.0f, 2, "a 97x70 image with 120-pixel rows");
    img_free(&big);
}

/* Splitting the work must not change the picture. */
Test(blur_expert, same_picture_for_any_number_of_threads)
{
    struct err err;
    struct img in, one, many;
    make_image(&in, 301, 207, 4, 5);
    cr_assert_eq(img_alloc_like(&one, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&many, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_expert(&in, &one, 6.0f, 1, &err), 0, "%s", err.msg);
    for (int threads = 2; threads <= 7; threads += 5) {
        cr_assert_eq(blur_expert(&in, &many, 6.0f, threads, &err), 0, "%s", err.msg);
        struct img_diff d;
        cr_assert_eq(img_compare(&one, &many, &d, &err), 0, "%s", err.msg);
        cr_expect_eq(d.max_abs, 0, "1 and %d threads differ at x %d, y %d", threads, d.x, d.y);
    }
    img_free(&in);
    img_free(&one);
    img_free(&many);
}

Test(blur_expert, refuses_a_bad_sigma_and_a_wrong_destination)
{
    static const float bad[] = {0.0f, -1.0f, 0.49f, 50.5f, NAN};
    struct err err;
    struct img in, out, wrong;
    make_image(&in, 20, 10, 3, 1);
    cr_assert_eq(img_alloc_like(&out, &in, &err), 0, "%s", err.msg);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&err, 0, sizeof err);
        cr_expect_eq(blur_expert(&in, &out, bad[k], 2, &err), -1, "sigma %g", (double)bad[k]);
        cr_expect(strstr(err.msg, "sigma") != NULL, "sigma %g: \"%s\"", (double)bad[k], err.msg);
    }
    cr_assert_eq(img_alloc(&wrong, 20, 11, 3, &err), 0, "%s", err.msg);
    memset(&err, 0, sizeof err);
    cr_expect_eq(blur_expert(&in, &wrong, 3.0f, 2, &err), -1, "a 20x11 destination for 20x10");
    cr_expect(strstr(err.msg, "20x11") != NULL, "does not say what is wrong: \"%s\"", err.msg);
    img_free(&in);
    img_free(&out);
    img_free(&wrong);
}

/* The batch style: good files blurred and written, a bad one failed alone,
 * with its name in the reason. */
Test(blur_expert, batch_style_blurs_the_good_files_and_names_the_bad)
{
    char dir[] = "/tmp/retreat-test-expert-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[300], out_dir[300], bad[300], result[400];
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(bad, sizeof bad, "%s/missing.png", dir);
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    cr_assert_eq(mkdir(out_dir, 0755), 0);
    struct img in;
    struct err err;
    make_image(&in, 64, 48, 3, 3);
    cr_assert_eq(img_save(a, &in, &err), 0, "%s", err.msg);

    const char *inputs[] = {a, bad};
    struct blur_result results[2] = {0};
    struct blur_batch b = {.style = "expert",
                           .inputs = inputs,
                           .count = 2,
                           .out_dir = out_dir,
                           .sigma = 5.0f,
                           .threads = 2,
                           .results = results};
    cr_assert_eq(blur_expert_run(&b), 0);
    cr_assert_eq(batch_output_path(&b, 0, result, sizeof result, &err), 0, "%s", err.msg);
    cr_expect_eq(results[0].status, BLUR_DONE, "%s", results[0].error);
    cr_expect_eq(results[1].status, BLUR_FAILED);
    cr_expect(strstr(results[1].error, "missing.png") != NULL, "%s", results[1].error);

    struct img got, want;
    cr_assert_eq(img_load(result, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&want, &in, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_gauss(&in, &want, 5.0f, &err), 0, "%s", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0, "%s", err.msg);
    cr_expect_leq(d.max_abs, EXPERT_TOLERANCE, "the written result is %d levels off", d.max_abs);
    img_free(&in);
    img_free(&got);
    img_free(&want);
    unlink(result);
    unlink(a);
    rmdir(out_dir);
    rmdir(dir);
}

/* The batch style is a pool over images (issue 9 point 5): with 2 threads
 * and 6 images, the images are decoded by two workers, not one after the
 * other by the caller, so that the codecs run in parallel too; and every
 * image's decode, blur and encode are on the worker that took it. Counted
 * from the run log, no clock: a worker may by chance take every image before
 * the other starts, so the run is tried up to 20 times. */
Test(blur_expert, batch_style_is_a_pool_over_images, .timeout = 120)
{
    char dir[] = "/tmp/retreat-test-expert-pool-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    enum { N = 6 };
    char paths[N][300], out_dir[300], result[400];
    const char *inputs[N];
    struct err err;
    snprintf(out_dir, sizeof out_dir, "%s/out", dir);
    cr_assert_eq(mkdir(out_dir, 0755), 0);
    for (int i = 0; i < N; i++) {
        struct img in;
        make_image(&in, 400, 300, 3, (unsigned)i + 20);
        snprintf(paths[i], sizeof paths[i], "%s/p%d.png", dir, i);
        cr_assert_eq(img_save(paths[i], &in, &err), 0, "%s", err.msg);
        img_free(&in);
        inputs[i] = paths[i];
    }
    size_t decoders = 0;
    for (int attempt = 0; attempt < 20 && decoders < 2; attempt++) {
        struct runlog *log;
        cr_assert_eq(runlog_open_memory(&log, &err), 0, "%s", err.msg);
        struct blur_result results[N] = {0};
        struct blur_batch b = {.style = "expert",
                               .inputs = inputs,
                               .count = N,
                               .out_dir = out_dir,
                               .sigma = 5.0f,
                               .threads = 2,
                               .log = log,
                               .results = results};
        cr_assert_eq(blur_expert_run(&b), 0);
        struct runlog_span *spans;
        size_t count;
        cr_assert_eq(runlog_snapshot(log, &spans, &count, &err), 0, "%s", err.msg);
        runlog_close(log);
        cr_expect_eq(count, 3 * N, "%zu spans, expected decode, blur and encode of %d images",
                     count, N);
        for (int i = 0; i < N; i++) {
            cr_expect_eq(results[i].status, BLUR_DONE, "%s", results[i].error);
            long worker = -1;
            for (size_t k = 0; k < count; k++) {
                if (spans[k].index != i)
                    continue;
                if (worker == -1)
                    worker = spans[k].worker;
                cr_expect_eq(spans[k].worker, worker,
                             "image %d: its %s ran on thread %ld, its other steps on %ld", i,
                             spans[k].phase, spans[k].worker, worker);
            }
        }
        decoders = runlog_workers(spans, count, "expert", "decode");
        free(spans);
        cr_expect_leq(decoders, 2, "%zu threads decoded, with threads = 2", decoders);
    }
    cr_expect_eq(decoders, 2,
                 "the images were decoded by %zu thread(s) in 20 runs, not by a pool of 2",
                 decoders);
    for (int i = 0; i < N; i++) {
        struct blur_batch b = {.inputs = inputs, .count = N, .out_dir = out_dir};
        cr_assert_eq(batch_output_path(&b, (size_t)i, result, sizeof result, &err), 0, "%s",
                     err.msg);
        unlink(result);
        unlink(paths[i]);
    }
    rmdir(out_dir);
    rmdir(dir);
}
