/* drive_blur.c - the driver of the blur track (exercises 01-08); see driver.h.
 *
 * Makes a few synthetic photos of awkward shapes (odd sizes, RGBA, an image
 * smaller than the kernel) plus one file that is not an image, and runs the
 * exercise's entry point on them: kernel_blur() for 01, the batch style of
 * the same name for 02-08 (found in the style table, styles.h). The
 * participant's definition wins at link time, the reference fills in the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "driver.h"
#include "ladder.h"
#include "styles.h"

#define PATH_MAX_LEN 1024
#define ITEMS_MAX 8

struct inputs {
    char paths[ITEMS_MAX + 1][PATH_MAX_LEN];
    const char *list[ITEMS_MAX + 1]; /* for blur_batch.inputs */
    size_t count;                    /* good images and the broken file */
    size_t broken;                   /* the index of the broken file */
};

/* Width and height as a fraction of the side, and channels: the last one is
 * smaller than a sigma-5 kernel (radius 15), so every tap clamps. */
static const struct {
    int w, h, channels;
} shapes[] = {{100, 75, 3}, {61, 100, 4}, {100, 100, 3}, {87, 53, 3}, {100, 90, 4}, {9, 7, 3}};
#define SHAPES (sizeof shapes / sizeof shapes[0])

static int make_dir(const char *path, struct err *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return err_set(err, "%s: cannot create folder (%s)", path, strerror(errno));
    return 0;
}

/* Gradients, hard edges and a little noise: something a wrong blur cannot
 * get right by accident. */
static void paint(struct img *im, unsigned seed)
{
    unsigned noise = seed * 2654435761u + 1;
    for (int y = 0; y < im->height; y++) {
        uint8_t *row = img_row(im, y);
        for (int x = 0; x < im->width * im->channels; x++) {
            noise = noise * 1103515245u + 12345u;
            int edge = ((x / im->channels / 8 + y / 8 + (int)seed) % 2) * 96;
            row[x] = (uint8_t)((x * 3 + y * 5 + edge + (int)(noise >> 28)) & 255);
        }
    }
}

/* Writes `good` images, side pixels across at most, and one broken file,
 * listed third, into work_dir/in/. */
static int make_inputs(const char *work_dir, size_t good, int side, struct inputs *in,
                       struct err *err)
{
    char dir[PATH_MAX_LEN];
    snprintf(dir, sizeof dir, "%s/in", work_dir);
    if (make_dir(dir, err) != 0)
        return -1;
    if (good > ITEMS_MAX)
        good = ITEMS_MAX;
    in->count = good + 1;
    in->broken = good >= 2 ? 2 : good;
    for (size_t i = 0, shape = 0; i < in->count; i++) {
        in->list[i] = in->paths[i];
        if (i == in->broken) {
            snprintf(in->paths[i], PATH_MAX_LEN, "%s/not-an-image.png", dir);
            FILE *f = fopen(in->paths[i], "w");
            if (f == NULL || fputs("this is not a PNG\n", f) < 0 || fclose(f) != 0)
                return err_set(err, "%s: cannot write", in->paths[i]);
            continue;
        }
        int w = shapes[shape % SHAPES].w, h = shapes[shape % SHAPES].h;
        if (w > 10) { /* the tiny one stays tiny */
            w = w * side / 100;
            h = h * side / 100;
        }
        struct img im;
        if (img_alloc(&im, w, h, shapes[shape % SHAPES].channels, err) != 0)
            return -1;
        paint(&im, (unsigned)i);
        snprintf(in->paths[i], PATH_MAX_LEN, "%s/photo-%zu.png", dir, i);
        int rc = img_save(in->paths[i], &im, err);
        img_free(&im);
        if (rc != 0)
            return -1;
        shape++;
    }
    return 0;
}

/* Exercise 01: kernel_blur() on every image, and once with a bad sigma. */
static int run_kernel(const struct drive_opts *o, const struct inputs *in, struct drive_result *r,
                      struct err *err)
{
    r->total = (int)in->count - 1;
    for (size_t i = 0; i < in->count; i++) {
        if (i == in->broken)
            continue;
        struct img src, dst;
        if (img_load(in->paths[i], &src, err) != 0)
            return -1;
        if (img_alloc_like(&dst, &src, err) != 0) {
            img_free(&src);
            return -1;
        }
        struct err yours = {0};
        struct runlog_span s;
        runlog_begin(&s, "kernel", in->paths[i], (long)i, "blur");
        if (kernel_blur(&src, &dst, BLUR_SIGMA_DEFAULT, &yours) == 0) {
            r->done++;
            runlog_end(o->log, &s);
        } else {
            runlog_fail(o->log, &s, yours.msg);
        }
        /* The error path must not leak or crash either; its verdict is the
         * errors check's business. */
        struct err refused = {0};
        kernel_blur(&src, &dst, BLUR_SIGMA_MAX * 2, &refused);
        img_free(&dst);
        img_free(&src);
    }
    return 0;
}

/* Exercises 02-08: the style as a batch, into work_dir/out-<tag>/; with run
 * set, that function instead of the style's (the reference solution). */
static int run_with(const struct drive_opts *o, const char *name,
                    int (*run)(const struct blur_batch *), const char *tag, const struct inputs *in,
                    int *done, double *seconds, struct err *err)
{
    const struct style *style;
    if (styles_lookup(name, &style, err) != 0)
        return -1;
    char out_dir[PATH_MAX_LEN];
    snprintf(out_dir, sizeof out_dir, "%s/out-%s", o->work_dir, tag);
    if (make_dir(out_dir, err) != 0)
        return -1;
    struct blur_result results[ITEMS_MAX + 1];
    memset(results, 0, sizeof results);
    struct blur_batch b = {
        .style = style->name,
        .inputs = in->list,
        .count = in->count,
        .out_dir = out_dir,
        .sigma = BLUR_SIGMA_DEFAULT,
        .threads = o->threads,
        .log = run != NULL ? NULL : o->log, /* the run log shows linear and yours */
        .results = results,
    };
    uint64_t start = clock_now_ns();
    int rc = run != NULL ? run(&b) : style->run(&b);
    *seconds = clock_seconds(start, clock_now_ns());
    *done = 0;
    for (size_t i = 0; rc == 0 && i < in->count; i++)
        *done += i != in->broken && results[i].status == BLUR_DONE;
    return 0;
}

static int run_style(const struct drive_opts *o, const char *name, const char *tag,
                     const struct inputs *in, int *done, double *seconds, struct err *err)
{
    return run_with(o, name, NULL, tag, in, done, seconds, err);
}

static int blur_run(const struct drive_opts *o, struct drive_result *r, struct err *err)
{
    struct inputs in;
    if (make_inputs(o->work_dir, o->quick ? 3 : 4, o->quick ? 40 : 96, &in, err) != 0)
        return -1;
    if (strcmp(o->ex->name, "kernel") == 0)
        return run_kernel(o, &in, r, err);
    double seconds;
    r->total = (int)in.count - 1;
    return run_style(o, o->ex->name, "yours", &in, &r->done, &seconds, err);
}

static int blur_speed(const struct drive_opts *o, struct drive_result *r, struct err *err)
{
    if (styles_find(o->ex->name) == NULL)
        return err_set(err, "%s: not a batch style, so there is no speed to compare", o->ex->id);
    struct inputs in;
    if (make_inputs(o->work_dir, o->quick ? 4 : 6, o->quick ? 160 : 640, &in, err) != 0)
        return -1;
    int linear_done;
    r->total = (int)in.count - 1;
    if (run_style(o, "linear", "linear", &in, &linear_done, &r->reference_s, err) != 0 ||
        run_style(o, o->ex->name, "yours", &in, &r->done, &r->yours_s, err) != 0)
        return -1;
    /* The reference solution of this exercise, on the same inputs. */
    int (*reference)(const struct blur_batch *) =
        (int (*)(const struct blur_batch *))grade_reference_run;
    int reference_done;
    if (reference != NULL && run_with(o, o->ex->name, reference, "reference", &in, &reference_done,
                                      &r->solution_s, err) != 0)
        return -1;
    return 0;
}

const struct driver drive_blur = {"blur", blur_run, blur_speed};
