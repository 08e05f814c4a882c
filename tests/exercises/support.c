/* support.c - what the exercise tests have in common; see support.h.
 *
 * The checks read like a teacher looking over a shoulder: each one compares
 * what happened with what should have, and when they differ, says what that
 * usually means in terms of the exercise ("are your threads started before
 * you wait for them?"), not just which assertion failed.
 */
#include "support.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blur.h"
#include "clock.h"
#include "exercises.h"
#include "grade_cause.h"
#include "path.h"

/* --- Synthetic images ------------------------------------------------------ */

const struct support_shape support_shapes[] = {
    {96, 64, 3}, /* ordinary */
    {71, 53, 4}, /* odd sizes, RGBA */
    {1, 1, 3},   /* a single pixel: every tap is the edge */
    {5, 40, 3},  /* narrower than the kernel */
    {40, 3, 4},  /* shorter than the kernel */
    {2, 2, 4},   /* tiny, RGBA */
};
const size_t support_shape_count = sizeof support_shapes / sizeof support_shapes[0];

/* A small deterministic pseudo-random generator (xorshift32): the same seed
 * gives the same picture on every machine, so a failure can be reproduced. */
static unsigned next_rand(unsigned *state)
{
    unsigned x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

int support_image_make(struct img *im, int width, int height, int channels, unsigned seed,
                       struct err *err)
{
    if (img_alloc(im, width, height, channels, err) != 0)
        return -1;
    unsigned state = 2463534242u ^ (seed * 2654435761u);
    int cell = 4 + (int)(seed % 7); /* checker size: hard edges the blur must soften */
    for (int y = 0; y < height; y++) {
        uint8_t *row = img_row(im, y);
        for (int x = 0; x < width; x++) {
            int checker = ((x / cell + y / cell) & 1) ? 60 : 0;
            int noise = (int)(next_rand(&state) % 48);
            uint8_t *px = row + (size_t)x * channels;
            px[0] = (uint8_t)((x * 255 / (width > 1 ? width - 1 : 1) + checker + noise) % 256);
            px[1] = (uint8_t)((y * 255 / (height > 1 ? height - 1 : 1) + checker) % 256);
            px[2] = (uint8_t)((x + y) % 2 ? 255 - noise : noise + checker);
            if (channels == 4)
                px[3] = (uint8_t)(255 - (x * 7 + y * 3 + (int)seed) % 200);
        }
    }
    return 0;
}

int support_compare(const struct img *got, const struct img *want, int tolerance, double min_psnr,
                    const char *what, struct err *err)
{
    struct img_diff d;
    if (img_compare(got, want, &d, err) != 0)
        return err_prefix(err, "%s: ", what);
    if (d.max_abs > tolerance)
        return err_set(err,
                       "%s differs at (%d, %d) channel %d: got %d, expected %d "
                       "(difference %d, tolerance %d)",
                       what, d.x, d.y, d.c, d.got, d.want, d.max_abs, tolerance);
    if (min_psnr > 0 && d.psnr < min_psnr)
        return err_set(err, "%s is too far from the reference overall: PSNR %.1f dB, need %.1f dB",
                       what, d.psnr, min_psnr);
    return 0;
}

size_t support_differing(const struct img *a, const struct img *b)
{
    size_t n = 0;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *ra = img_row(a, y), *rb = img_row(b, y);
        for (size_t i = 0; i < (size_t)a->width * a->channels; i++)
            n += ra[i] != rb[i];
    }
    return n;
}

/* --- Input files ------------------------------------------------------------ */

/* Sizes of the synthetic files: RGB and RGBA, one odd, all big enough that
 * blurring one takes tens of milliseconds at SUPPORT_SIGMA. */
static const struct support_shape file_shapes[] = {
    {576, 432, 3},
    {503, 377, 4},
    {544, 408, 3},
    {470, 336, 4},
};

static int write_file(const char *path, const void *data, size_t size, struct err *err)
{
    FILE *fp = fopen(path, "wb");
    if (fp == NULL)
        return err_set(err, "%s: cannot create (%s)", path, strerror(errno));
    size_t n = fwrite(data, 1, size, fp);
    if (fclose(fp) != 0 || n != size)
        return err_set(err, "%s: cannot write", path);
    return 0;
}

/* Appends a path to f->inputs. */
static int add_input(struct support_files *f, const char *name, int bad, struct err *err)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", f->root, name);
    char **inputs = realloc(f->inputs, (f->count + 1) * sizeof *inputs);
    if (inputs != NULL)
        f->inputs = inputs;
    int *flags = realloc(f->bad, (f->count + 1) * sizeof *flags);
    if (flags != NULL)
        f->bad = flags;
    if (inputs == NULL || flags == NULL || (f->inputs[f->count] = strdup(path)) == NULL)
        return err_set(err, "support: out of memory");
    f->bad[f->count++] = bad;
    return 0;
}

static int make_good(struct support_files *f, size_t k, struct err *err)
{
    const struct support_shape *s = &file_shapes[k % (sizeof file_shapes / sizeof file_shapes[0])];
    char name[64];
    snprintf(name, sizeof name, "pattern-%zu.png", k);
    struct img im;
    if (support_image_make(&im, s->width, s->height, s->channels, (unsigned)k + 1, err) != 0)
        return -1;
    int rc = add_input(f, name, 0, err);
    if (rc == 0)
        rc = img_save(f->inputs[f->count - 1], &im, err);
    img_free(&im);
    return rc;
}

/* The three bad inputs: each must fail on its own without stopping the rest. */
static int make_bad(struct support_files *f, int which, struct err *err)
{
    static const char *names[] = {"missing.png", "not-an-image.png", "truncated.png"};
    if (add_input(f, names[which], 1, err) != 0)
        return -1;
    const char *path = f->inputs[f->count - 1];
    if (which == 0)
        return 0; /* never created */
    if (which == 1) {
        const char text[] = "This is a shopping list, not a photo.\n";
        return write_file(path, text, sizeof text - 1, err);
    }
    /* A real PNG cut in half, as if the download had stopped. */
    struct img im;
    unsigned char *png = NULL;
    size_t size = 0;
    if (support_image_make(&im, 64, 64, 3, 99, err) != 0)
        return -1;
    int rc = img_encode_png(&im, &png, &size, err);
    img_free(&im);
    if (rc == 0)
        rc = write_file(path, png, size / 2, err);
    free(png);
    return rc;
}

int support_files_make(struct support_files *f, size_t good, int with_bad, struct err *err)
{
    memset(f, 0, sizeof *f);
    const char *tmp = getenv("TMPDIR");
    snprintf(f->root, sizeof f->root, "%s/retreat-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (mkdtemp(f->root) == NULL)
        return err_set(err, "%s: cannot create a temporary folder (%s)", f->root, strerror(errno));
    snprintf(f->out_dir, sizeof f->out_dir, "%s/out", f->root);
    if (mkdir(f->out_dir, 0755) != 0) {
        err_set(err, "%s: cannot create (%s)", f->out_dir, strerror(errno));
        support_files_free(f);
        return -1;
    }
    /* Bad inputs go second, fifth and last, so that a loop which stops at
     * the first failure, or forgets the last item, is caught. */
    size_t next_bad = 0;
    for (size_t k = 0; k < good || (with_bad && next_bad < 3); k++) {
        int rc = 0;
        if (with_bad && next_bad < 3 && (k == 1 || k == 4 || k >= good))
            rc = make_bad(f, (int)next_bad++, err);
        if (rc == 0 && k < good)
            rc = make_good(f, k, err);
        if (rc != 0) {
            support_files_free(f);
            return -1;
        }
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void support_files_free(struct support_files *f)
{
    if (f->root[0] != '\0' && strstr(f->root, "retreat-test-") != NULL)
        nftw(f->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (size_t i = 0; i < f->count; i++)
        free(f->inputs[i]);
    free(f->inputs);
    free(f->bad);
    memset(f, 0, sizeof *f);
}

/* --- Running a style ------------------------------------------------------- */

/* Empties the output folder, so every run starts from nothing. */
static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        remove(path);
    }
    closedir(d);
}

int support_run_style(struct support_run *run, int (*style)(const struct blur_batch *),
                      const char *name, const struct support_files *f, float sigma, int threads,
                      struct err *err)
{
    memset(run, 0, sizeof *run);
    run->style = name;
    run->threads = threads;
    run->results = calloc(f->count ? f->count : 1, sizeof *run->results);
    if (run->results == NULL)
        return err_set(err, "support: out of memory");
    struct runlog *log;
    if (runlog_open_memory(&log, err) != 0) {
        support_run_free(run);
        return -1;
    }
    empty_dir(f->out_dir);
    run->batch = (struct blur_batch){
        .style = name,
        .inputs = (const char *const *)f->inputs,
        .count = f->count,
        .out_dir = f->out_dir,
        .sigma = sigma,
        .threads = threads,
        .log = log,
        .results = run->results,
    };

    uint64_t t0 = clock_now_ns();
    run->rc = style(&run->batch);
    run->seconds = clock_seconds(t0, clock_now_ns());

    int rc = runlog_snapshot(log, &run->spans, &run->nspans, err);
    runlog_close(log);
    run->batch.log = NULL;
    if (rc != 0) {
        err_prefix(err, "the run log written during the run could not be read back: ");
        support_run_free(run);
        return -1;
    }
    return 0;
}

void support_run_free(struct support_run *run)
{
    free(run->results);
    free(run->spans);
    memset(run, 0, sizeof *run);
}

/* --- Checks ------------------------------------------------------------------ */

static const char *status_name(enum blur_status s)
{
    return s == BLUR_PENDING ? "PENDING" : s == BLUR_DONE ? "DONE" : "FAILED";
}

static int check_returned(const struct support_run *run, struct err *err)
{
    if (run->rc != 0)
        return err_set(err,
                       "%s_run() returned %d: a style returns 0 when it ran, even if some "
                       "images failed (their results[] say so); -1 only if it could not run "
                       "at all",
                       run->style, run->rc);
    return 0;
}

/* Reads the run log for the usual cause of an item left PENDING: a thread
 * that read the loop's index after the loop had moved on (&i passed to every
 * thread), so that some item was decoded twice and another never. Writes a
 * sentence into why and returns 1 when the log shows it. */
static int index_shared(const struct support_run *run, char *why, size_t cap)
{
    long twice = -1, never = -1;
    for (size_t i = 0; i < run->batch.count && (twice < 0 || never < 0); i++) {
        size_t decodes = 0;
        for (size_t k = 0; k < run->nspans; k++)
            decodes += run->spans[k].index == (long)i && strcmp(run->spans[k].phase, "decode") == 0;
        if (decodes >= 2 && twice < 0)
            twice = (long)i;
        if (decodes == 0 && never < 0)
            never = (long)i;
    }
    if (twice < 0 && never >= 0 && run->nspans == 0) {
        snprintf(why, cap,
                 ": the run log shows no image decoded at all, yet your function returned. "
                 "Did the workers get a valid index of their own? A pointer to the loop's i "
                 "is read after the loop has moved on - often to b->count, past the end");
        return 1;
    }
    if (twice < 0)
        return 0;
    if (never >= 0)
        snprintf(why, cap,
                 ": the run log shows image %ld decoded twice and image %ld never - two "
                 "workers took the same item. Does every thread get its own copy of its "
                 "index (not &i of the loop, which moves on while the threads start)?",
                 twice, never);
    else
        snprintf(why, cap,
                 ": the run log shows image %ld decoded twice - two workers took the same "
                 "item. Does every thread get its own copy of its index, and is taking the "
                 "next item done under a lock?",
                 twice);
    return 1;
}

/* An item decoded more than once: two workers took the same item. Its
 * output is still right, which is why only the run log can tell. */
static int taken_twice(const struct support_run *run, struct err *err)
{
    for (size_t i = 0; i < run->batch.count; i++) {
        size_t decodes = 0;
        long first = -1, other = -1;
        for (size_t k = 0; k < run->nspans; k++) {
            const struct runlog_span *s = &run->spans[k];
            if (s->index != (long)i || strcmp(s->phase, "decode") != 0)
                continue;
            decodes++;
            if (first < 0)
                first = s->worker;
            else if (s->worker != first)
                other = s->worker;
        }
        if (decodes >= 2)
            return err_set(err,
                           "image %zu was decoded %zu times%s: two workers took the same "
                           "item. Is taking the next item one step under one lock - read "
                           "and advance the index together, never in two locked regions?",
                           i, decodes, other >= 0 ? ", by different workers" : "");
    }
    return 0;
}

int support_check_outputs(const struct support_run *run, const struct support_files *f,
                          int tolerance, double min_psnr, struct err *err)
{
    if (check_returned(run, err) != 0 || taken_twice(run, err) != 0)
        return -1;
    for (size_t i = 0; i < f->count; i++) {
        if (f->bad[i])
            continue;
        const struct blur_result *r = &run->results[i];
        const char *name = path_base_name(f->inputs[i]);
        char why[400];
        if (r->status == BLUR_PENDING && index_shared(run, why, sizeof why))
            return err_set(err, "image %zu (%s) is PENDING, expected DONE%s", i, name, why);
        if (r->status != BLUR_DONE)
            return err_set(err, "image %zu (%s) is %s, expected DONE%s%s", i, name,
                           status_name(r->status),
                           r->status == BLUR_FAILED ? ": " : " - was it ever processed?",
                           r->status == BLUR_FAILED ? r->error : "");
        char out_path[4096];
        if (batch_output_path(&run->batch, i, out_path, sizeof out_path, err) != 0)
            return -1;
        struct img in, got, want;
        if (img_load(f->inputs[i], &in, err) != 0)
            return err_prefix(err, "support: ");
        if (img_load(out_path, &got, err) != 0) {
            img_free(&in);
            return err_prefix(err, "image %zu (%s) is DONE but its output is unreadable: ", i,
                              name);
        }
        int rc = img_alloc_like(&want, &in, err);
        if (rc == 0)
            rc = blur_gauss(&in, &want, run->batch.sigma, err);
        if (rc == 0) {
            char what[300];
            snprintf(what, sizeof what, "image %zu (%s)", i, name);
            rc = support_compare(&got, &want, tolerance, min_psnr, what, err);
        }
        img_free(&in);
        img_free(&got);
        img_free(&want);
        if (rc != 0)
            return -1;
    }
    return 0;
}

/* Is there a file called name in dir? */
static int file_exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

int support_check_errors(const struct support_run *run, const struct support_files *f,
                         struct err *err)
{
    if (check_returned(run, err) != 0)
        return -1;
    size_t expected_files = 0;
    int seen_bad = 0;
    for (size_t i = 0; i < f->count; i++) {
        const struct blur_result *r = &run->results[i];
        const char *name = path_base_name(f->inputs[i]);
        if (!f->bad[i]) {
            expected_files++;
            char why[400];
            if (r->status == BLUR_PENDING && index_shared(run, why, sizeof why))
                return err_set(err, "image %zu (%s) is good but ended PENDING%s", i, name, why);
            if (r->status == BLUR_PENDING)
                return err_set(err, "image %zu (%s) is good but ended PENDING%s", i, name,
                               seen_bad ? ", after a bad input earlier in the list: one bad "
                                          "file must not stop the others"
                                        : ": was it ever processed?");
            if (r->status == BLUR_FAILED)
                return err_set(err, "image %zu (%s) is good but FAILED: %s", i, name, r->error);
            continue;
        }
        seen_bad = 1;
        if (r->status != BLUR_FAILED)
            return err_set(err,
                           "input %zu (%s) is not a readable image but ended %s, expected "
                           "FAILED with a reason",
                           i, name, status_name(r->status));
        if (strstr(r->error, name) == NULL)
            return err_set(err,
                           "input %zu (%s) FAILED, but its message does not name the file: "
                           "\"%s\" - a message must say which input and why",
                           i, name, r->error);
        char out_path[4096];
        if (batch_output_path(&run->batch, i, out_path, sizeof out_path, err) == 0 &&
            file_exists(run->batch.out_dir, path_base_name(out_path)))
            return err_set(err, "input %zu (%s) FAILED but an output file %s was written anyway", i,
                           name, out_path);
    }
    /* Only the outputs: a leftover temporary means a write that was not finished. */
    DIR *d = opendir(f->out_dir);
    if (d == NULL)
        return err_set(err, "%s: cannot list the output folder (%s)", f->out_dir, strerror(errno));
    size_t files = 0;
    char stray[256] = "";
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        files++;
        int known = 0;
        for (size_t i = 0; i < f->count && !known; i++) {
            char out_path[4096];
            known = !f->bad[i] &&
                    batch_output_path(&run->batch, i, out_path, sizeof out_path, err) == 0 &&
                    strcmp(e->d_name, path_base_name(out_path)) == 0;
        }
        if (!known)
            snprintf(stray, sizeof stray, "%s", e->d_name);
    }
    closedir(d);
    if (stray[0] != '\0')
        return err_set(err,
                       "the output folder holds %zu files, expected %zu: %s is not the "
                       "output of any good input (a temporary file left behind?)",
                       files, expected_files, stray);
    return 0;
}

/* "the" for all spans, or the phase in quotes: `all "blur" spans`. */
static void describe_phase(char *buf, size_t cap, const char *phase)
{
    if (phase == NULL)
        snprintf(buf, cap, "the");
    else
        snprintf(buf, cap, "\"%s\"", phase);
}

int support_check_concurrent(const struct support_run *run, const char *phase, size_t min_overlap,
                             struct err *err)
{
    size_t spans = 0;
    for (size_t i = 0; i < run->nspans; i++)
        spans += strcmp(run->spans[i].style, run->style) == 0 &&
                 (phase == NULL || strcmp(run->spans[i].phase, phase) == 0);
    char what[RUNLOG_PHASE_MAX + 8];
    describe_phase(what, sizeof what, phase);
    if (spans < min_overlap)
        return err_set(err,
                       "the run log holds %zu %s span(s) of style \"%s\", too few to show "
                       "%zu running at once: did the style process the images (with the "
                       "batch_* functions, which write the log)?",
                       spans, what, run->style, min_overlap);
    size_t workers = runlog_workers(run->spans, run->nspans, run->style, phase);
    size_t overlap = runlog_max_overlap(run->spans, run->nspans, run->style, phase);
    if (overlap >= min_overlap)
        return 0;
    if (workers <= 1)
        return err_set(err,
                       "all %zu %s spans ran on one worker (thread or process): did you call "
                       "the work function directly instead of in a new thread or process?",
                       spans, what);
    return err_set(err,
                   "%zu workers ran %s spans, but at most %zu ran at any moment (need "
                   "%zu): only one image was being worked on at a time. Are your threads or "
                   "processes all started before you wait for the first one?",
                   workers, what, overlap, min_overlap);
}

/* Spans of run's style and phase (NULL: all) per worker: the most any one
 * worker ran. Several spans each on few workers, never together, is a pool
 * whose workers take turns; one span each is a thread per item, joined one
 * at a time. */
static size_t most_spans_per_worker(const struct support_run *run, const char *phase)
{
    size_t most = 0;
    for (size_t i = 0; i < run->nspans; i++) {
        const struct runlog_span *a = &run->spans[i];
        if (strcmp(a->style, run->style) != 0 || (phase && strcmp(a->phase, phase) != 0))
            continue;
        size_t n = 0;
        for (size_t j = 0; j < run->nspans; j++) {
            const struct runlog_span *b = &run->spans[j];
            n += b->worker == a->worker && strcmp(b->style, run->style) == 0 &&
                 (phase == NULL || strcmp(b->phase, phase) == 0);
        }
        most = n > most ? n : most;
    }
    return most;
}

int support_latch_explain(const struct support_latch_result *r, const struct support_run *run,
                          const char *phase, struct err *err)
{
    char what[RUNLOG_PHASE_MAX + 8];
    describe_phase(what, sizeof what, phase);
    size_t workers = runlog_workers(run->spans, run->nspans, run->style, phase);
    struct grade_latch_evidence e = {
        .waiter_in_child = r->waiter_in_child,
        .waiter_is_caller = r->waiter_is_caller,
        .threads_alive = r->threads_alive,
        .workers = workers,
        .most_per_worker = most_spans_per_worker(run, phase),
    };
    const char *cause = grade_cause_latch(&e);
    return err_set(err,
                   "only one worker was ever inside the %s step at a time: one waited there "
                   "%d s for a second that never came (%zu span(s) on %zu worker(s)); %s",
                   what, SUPPORT_LATCH_SECONDS, r->spans, workers, cause);
}

int support_concurrent(int (*style)(const struct blur_batch *), const char *name,
                       const struct support_files *f, int threads, const char *phase,
                       size_t min_overlap, struct err *err)
{
    /* One run is enough: the latch makes a concurrent style overlap, and a
     * sequential one cannot, so there is nothing left to retry for. */
    struct support_latch *latch = support_latch_arm(name, phase ? phase : "blur", NULL, err);
    if (latch == NULL)
        return -1;
    struct support_run run;
    int rc = support_run_style(&run, style, name, f, SUPPORT_SIGMA, threads, err);
    struct support_latch_result seen = support_latch_disarm(latch);
    if (rc != 0)
        return -1;
    if (seen.gave_up)
        rc = support_latch_explain(&seen, &run, phase, err);
    else
        rc = support_check_concurrent(&run, phase, min_overlap, err);
    support_run_free(&run);
    return rc;
}

int support_check_workers(const struct support_run *run, const struct support_files *f,
                          const char *phase, size_t max_workers, struct err *err)
{
    for (size_t i = 0; i < f->count; i++)
        if (!f->bad[i] && run->results[i].status != BLUR_DONE)
            return err_set(err,
                           "image %zu (%s) is %s, expected DONE: a run that does not finish "
                           "its images proves nothing about its workers",
                           i, path_base_name(f->inputs[i]), status_name(run->results[i].status));
    char what[RUNLOG_PHASE_MAX + 8];
    describe_phase(what, sizeof what, phase);
    size_t workers = runlog_workers(run->spans, run->nspans, run->style, phase);
    if (workers > max_workers)
        return err_set(err,
                       "%zu distinct workers ran %s spans, but at most %zu were allowed "
                       "(b->threads = %d): start the workers once and let each take many "
                       "images, rather than one worker per image",
                       workers, what, max_workers, run->threads);
    return 0;
}

/* --- The exercise table ---------------------------------------------------- */

int support_tolerance(const char *num, int *tolerance, struct err *err)
{
    struct exercise *list;
    size_t count;
    if (exercises_load(EXERCISES_PATH, &list, &count, err) != 0)
        return err_prefix(err, "(run the tests from the top of the repository) ");
    const struct exercise *ex = exercises_find(list, count, num);
    int found = ex != NULL;
    if (found)
        *tolerance = ex->tolerance;
    free(list);
    if (!found)
        return err_set(err, "%s: no exercise %s", EXERCISES_PATH, num);
    return 0;
}

int support_test_correct(int (*style)(const struct blur_batch *), const char *name, const char *num,
                         int threads, struct err *err)
{
    struct support_files f;
    struct support_run run;
    int tolerance = 0;
    if (support_tolerance(num, &tolerance, err) != 0 ||
        support_files_make(&f, SUPPORT_GOOD, 0, err) != 0)
        return -1;
    if (support_run_style(&run, style, name, &f, SUPPORT_SIGMA, threads, err) != 0) {
        support_files_free(&f);
        return -1;
    }
    int rc = support_check_outputs(&run, &f, tolerance, 0, err);
    support_run_free(&run);
    support_files_free(&f);
    return rc;
}

int support_test_errors(int (*style)(const struct blur_batch *), const char *name, int threads,
                        struct err *err)
{
    struct support_files f;
    struct support_run run;
    if (support_files_make(&f, SUPPORT_GOOD, 1, err) != 0)
        return -1;
    if (support_run_style(&run, style, name, &f, SUPPORT_SIGMA, threads, err) != 0) {
        support_files_free(&f);
        return -1;
    }
    int rc = support_check_errors(&run, &f, err);
    support_run_free(&run);
    support_files_free(&f);
    return rc;
}
