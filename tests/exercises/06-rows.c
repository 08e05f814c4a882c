/* 06-rows.c - the tests of exercise 06: rows_run(), one image at a time,
 * its rows split in bands over b->threads threads.
 *
 *   correct     every output matches blur_gauss() exactly (the bands run
 *               the reference's own passes), also for images with fewer rows
 *               than threads and a single row;
 *   errors      bad inputs fail one by one, with a message naming the file;
 *   concurrent  the run log shows two bands of one image blurred at once, on
 *               distinct threads;
 *   workers     never more threads than b->threads, however many images:
 *               start the threads once, not once per image.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ladder.h"
#include "support.h"

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("06", &tolerance, &err) == 0, "%s", err.msg);
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    for (int threads = 2; threads <= 3; threads++) {
        struct support_run run;
        cr_assert(support_run_style(&run, rows_run, "rows", &f, SUPPORT_SIGMA, threads, &err) == 0,
                  "%s", err.msg);
        int rc = support_check_outputs(&run, &f, tolerance, 0, &err);
        support_run_free(&run);
        cr_expect(rc == 0, "with b->threads = %d: %s", threads, err.msg);
    }
    support_files_free(&f);
}

/* Adds a synthetic image to f (made by support_files_make with no images):
 * f's arrays are malloc'ed, so they grow with realloc. */
static void add_image(struct support_files *f, int width, int height, int channels)
{
    struct err err = {0};
    char path[512];
    snprintf(path, sizeof path, "%s/tiny-%dx%dx%d.png", f->root, width, height, channels);
    struct img im;
    cr_assert(support_image_make(&im, width, height, channels, (unsigned)f->count, &err) == 0, "%s",
              err.msg);
    cr_assert(img_save(path, &im, &err) == 0, "%s", err.msg);
    img_free(&im);
    char **inputs = realloc(f->inputs, (f->count + 1) * sizeof *inputs);
    cr_assert(inputs != NULL, "out of memory");
    f->inputs = inputs;
    int *bad = realloc(f->bad, (f->count + 1) * sizeof *bad);
    cr_assert(bad != NULL, "out of memory");
    f->bad = bad;
    f->inputs[f->count] = strdup(path);
    cr_assert(f->inputs[f->count] != NULL, "out of memory");
    f->bad[f->count++] = 0;
}

/* 8 threads for images of 1, 3 and 7 rows: some bands have no rows at all,
 * and still every thread must reach every barrier. */
Test(correct, more_threads_than_rows, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("06", &tolerance, &err) == 0, "%s", err.msg);
    cr_assert(support_files_make(&f, 0, 0, &err) == 0, "%s", err.msg);
    add_image(&f, 40, 1, 3);
    add_image(&f, 17, 3, 4);
    add_image(&f, 1, 1, 3);
    add_image(&f, 33, 7, 3);
    cr_assert(support_run_style(&run, rows_run, "rows", &f, SUPPORT_SIGMA, 8, &err) == 0, "%s",
              err.msg);
    int rc = support_check_outputs(&run, &f, tolerance, 0, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0,
              "%s. With more threads than rows, some bands are empty (y0 == y1): their "
              "threads do nothing but must still wait at every barrier.",
              err.msg);
}

Test(errors, bad_files_fail_alone, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 1, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, rows_run, "rows", &f, SUPPORT_SIGMA, 2, &err) == 0, "%s",
              err.msg);
    int rc = support_check_errors(&run, &f, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0,
              "%s. When thread 0 cannot decode an image, it goes on to the next one "
              "without a barrier: the other threads are still waiting for an image.",
              err.msg);
}

/* A bad sigma is every image's problem: each fails, and nothing hangs. */
Test(errors, bad_sigma_fails_every_image, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    cr_assert(support_files_make(&f, 2, 0, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, rows_run, "rows", &f, 99.0f, 2, &err) == 0, "%s", err.msg);
    for (size_t i = 0; i < f.count; i++) {
        cr_expect(run.results[i].status == BLUR_FAILED,
                  "image %zu is not FAILED with sigma 99 (out of range): check what "
                  "blur_kernel_init() returns",
                  i);
        cr_expect(strstr(run.results[i].error, "sigma") != NULL,
                  "image %zu failed with \"%s\", which does not say it is the sigma", i,
                  run.results[i].error);
    }
    support_run_free(&run);
    support_files_free(&f);
}

Test(concurrent, two_bands_at_once, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    int rc = support_concurrent(rows_run, "rows", &f, 2, "blur", 2, &err);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

/* The run log counts distinct threads: threads started for each image would
 * be new threads every time. */
Test(workers, at_most_threads, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    for (int threads = 1; threads <= 3; threads += 2) {
        struct support_run run;
        cr_assert(support_run_style(&run, rows_run, "rows", &f, SUPPORT_SIGMA, threads, &err) == 0,
                  "%s", err.msg);
        int rc = support_check_workers(&run, &f, NULL, (size_t)threads, &err);
        support_run_free(&run);
        cr_expect(rc == 0,
                  "with b->threads = %d: %s. Start the band threads once, before the loop over "
                  "the images, and let the calling thread be one of them.",
                  threads, err.msg);
    }
    support_files_free(&f);
}
