/* support.h - what the exercise tests have in common.
 *
 * Every blur exercise is graded the same way: make some photos, run the
 * participant's code on them, then compare what came out with the reference
 * and read the run log for evidence of concurrency. This file does those
 * steps once, so that each tests/exercises/NN-name.c reads as a short list of
 * claims about one exercise. Every check explains what it saw and what that
 * usually means, because a grade card that only says "failed" teaches nothing.
 *
 * Typical use in a Criterion test:
 *
 *     struct support_files f;
 *     struct support_run run;
 *     struct err err = {0};
 *     cr_assert(support_files_make(&f, SUPPORT_GOOD, 1, &err) == 0, "%s", err.msg);
 *     cr_assert(support_run_style(&run, pool_run, "pool", &f, SUPPORT_SIGMA, 2, &err) == 0,
 *               "%s", err.msg);
 *     cr_expect(support_check_outputs(&run, &f, 0, 0, &err) == 0, "%s", err.msg);
 *     cr_expect(support_check_errors(&run, &f, &err) == 0, "%s", err.msg);
 *     support_run_free(&run);
 *     support_files_free(&f);
 *
 * Every function that can fail returns 0 or -1 and fills err with a message
 * meant for the participant: what was expected, what was seen, and a hint.
 */
#ifndef RETREAT_SUPPORT_H
#define RETREAT_SUPPORT_H

#include <stddef.h>

#include "batch.h"
#include "err.h"
#include "img.h"
#include "runlog.h"
#include "support_latch.h"

/* The sigma of the batch tests: radius 15, so one blur of a test image takes
 * tens of milliseconds - long enough for overlapping work to show in the run
 * log on a busy two-core machine, short enough to keep the tests quick. */
#define SUPPORT_SIGMA 5.0f

/* How many good synthetic images support_files_make() is usually asked for. */
#define SUPPORT_GOOD 6

/* Seconds after which one Criterion test counts as hung (deadlock, endless
 * loop): use as `.timeout = SUPPORT_TIMEOUT`. */
#define SUPPORT_TIMEOUT 30

/* Runs support_concurrent() makes at most before it concludes "not concurrent". */
#define SUPPORT_ATTEMPTS 3

/* --- Synthetic images ------------------------------------------------------ */

struct support_shape {
    int width, height, channels;
};

/* Shapes for the in-memory tests (exercise 01, fast_blur): an ordinary image,
 * odd sizes, RGBA, a single pixel, and images narrower or shorter than the
 * kernel, where every tap is clamped to an edge. */
extern const struct support_shape support_shapes[];
extern const size_t support_shape_count;

/* Allocates im and fills it with a deterministic pattern (gradients, hard
 * edges and noise, different for every seed); alpha varies too. */
int support_image_make(struct img *im, int width, int height, int channels, unsigned seed,
                       struct err *err);

/* Compares got with want. Passes if no sample differs by more than tolerance
 * and, when min_psnr > 0, the PSNR is at least min_psnr dB. The message names
 * `what`, the first worst sample, both values and the limits. */
int support_compare(const struct img *got, const struct img *want, int tolerance, double min_psnr,
                    const char *what, struct err *err);

/* Number of samples that differ between two images of the same shape. */
size_t support_differing(const struct img *a, const struct img *b);

/* --- Input files ------------------------------------------------------------ */

/* A temporary folder of inputs, and a folder for a style's outputs. */
struct support_files {
    char root[256];    /* mkdtemp'd folder, removed by support_files_free */
    char out_dir[300]; /* root/out, created empty */
    size_t count;      /* number of inputs */
    char **inputs;     /* count paths, good and bad mixed */
    int *bad;          /* bad[i] is 1 if inputs[i] must fail */
};

/* Writes `good` synthetic PNGs (various sizes, RGB and RGBA) into a new
 * temporary folder. With with_bad, three bad inputs are mixed in among them:
 * a missing file, a text file named .png, and a truncated PNG. */
int support_files_make(struct support_files *f, size_t good, int with_bad, struct err *err);

/* Removes the temporary folder and everything in it, and frees f. */
void support_files_free(struct support_files *f);

/* --- Running a style ------------------------------------------------------- */

struct support_run {
    const char *style;       /* the name it was run under */
    int threads;             /* the workers it was allowed */
    int rc;                  /* what the style returned */
    double seconds;          /* wall time of the run */
    struct blur_batch batch; /* the job it was given */
    struct blur_result *results;
    struct runlog_span *spans; /* the in-memory run log, read back */
    size_t nspans;
};

/* Runs style on all of f's inputs into f->out_dir (emptied first), with an
 * in-memory run log. Fails only if the harness itself could not run it; what
 * the style did, including returning -1, is in run for the checks below. */
int support_run_style(struct support_run *run, int (*style)(const struct blur_batch *),
                      const char *name, const struct support_files *f, float sigma, int threads,
                      struct err *err);

void support_run_free(struct support_run *run);

/* --- Checks ------------------------------------------------------------------ */

/* The style returned 0, every good input is DONE, and its output file matches
 * blur_gauss() of the input within tolerance (and min_psnr, if > 0). */
int support_check_outputs(const struct support_run *run, const struct support_files *f,
                          int tolerance, double min_psnr, struct err *err);

/* Every bad input is FAILED with a message naming its file, and has no output
 * file; every good input is DONE; no stray files (temporaries) are left in
 * the output folder. */
int support_check_errors(const struct support_run *run, const struct support_files *f,
                         struct err *err);

/* At some instant, at least min_overlap spans of `phase` were running on
 * distinct workers (runlog_max_overlap). */
int support_check_concurrent(const struct support_run *run, const char *phase, size_t min_overlap,
                             struct err *err);

/* Runs style once with the latch armed for `phase` (support_latch.h): a
 * worker that finishes a span waits, bounded, until a second one is inside
 * too. A concurrent style always gets there, however busy the machine; then
 * support_check_concurrent() reads the overlap in the run log. A sequential
 * style never does, and err says who waited and what that likely means
 * (support_latch_explain). */
int support_concurrent(int (*style)(const struct blur_batch *), const char *name,
                       const struct support_files *f, int threads, const char *phase,
                       size_t min_overlap, struct err *err);

/* The message of a latch that gave up, from the evidence: who waited (the
 * calling thread, a thread, a forked child), whether other threads were alive
 * meanwhile (blocked: a lock held across the work), and how the run log's
 * spans spread over workers (one each: threads joined one at a time). */
int support_latch_explain(const struct support_latch_result *r, const struct support_run *run,
                          const char *phase, struct err *err);

/* The run finished every good input, and spans of `phase` (NULL: all) ran on
 * no more than max_workers distinct workers (runlog_workers). */
int support_check_workers(const struct support_run *run, const struct support_files *f,
                          const char *phase, size_t max_workers, struct err *err);

/* --- Whole tests shared by the batch styles ------------------------------ */

/* The "correct" test of a batch style: SUPPORT_GOOD images, blurred by style
 * with `threads` workers, each within exercise `num`'s tolerance. */
int support_test_correct(int (*style)(const struct blur_batch *), const char *name, const char *num,
                         int threads, struct err *err);

/* The "errors" test: good images and bad ones mixed; support_check_errors(). */
int support_test_errors(int (*style)(const struct blur_batch *), const char *name, int threads,
                        struct err *err);

/* --- The exercise table ---------------------------------------------------- */

/* Reads the tolerance column of exercise `num` ("01") from
 * exercises/exercises.txt, relative to the current directory (the top of the
 * repository, where make runs the tests). */
int support_tolerance(const char *num, int *tolerance, struct err *err);

#endif
