/* batch.h - a batch of photos to blur, and the three steps of each one.
 *
 * Every blur style from exercise 02 on gets the same job: a list of image
 * files, a sigma, a number of workers it may use, and a folder for the
 * results. What differs between styles is only *who* runs the steps of each
 * item and *when*. So the steps live here, each one timed into the run log:
 *
 *     batch_decode   read and decode input i            (phase "decode")
 *     batch_blur     the reference Gaussian             (phase "blur")
 *     batch_encode   encode and write output i          (phase "encode")
 *     batch_process  all three, for styles that do not split them
 *
 * A failing step records the reason in results[i] and returns -1; the style
 * moves on to the next item. Item i's result is written only by whoever
 * processes item i, so threads need no lock for it - but a forked child's
 * writes stay in the child, which is why exercise 03 sends results back to
 * the parent over a pipe (batch_result_set).
 */
#ifndef RETREAT_BATCH_H
#define RETREAT_BATCH_H

#include <stddef.h>

#include "err.h"
#include "img.h"
#include "runlog.h"

enum blur_status {
    BLUR_PENDING = 0, /* nobody has finished this item (yet) */
    BLUR_DONE,        /* blurred and written */
    BLUR_FAILED,      /* see error */
};

struct blur_result {
    enum blur_status status;
    char error[ERR_MSG_MAX];
};

struct blur_batch {
    const char *style;           /* name written into the run log */
    const char *const *inputs;   /* image files */
    size_t count;                /* number of inputs */
    const char *out_dir;         /* folder for the results; NULL: do not write them */
    float sigma;                 /* Gaussian sigma, see blur.h */
    int threads;                 /* workers a concurrent style may use (>= 1) */
    struct runlog *log;          /* where spans go; NULL: nowhere */
    struct blur_result *results; /* count entries, zeroed (BLUR_PENDING) before the run */
    /* Last, so that initialisers that do not name them get the defaults. */
    enum img_format format; /* of the outputs; IMG_FORMAT_AUTO (0): each input's own */
    int jpeg_quality;       /* 1..100 for JPEG outputs; 0: IMG_JPEG_QUALITY */
};

/* Decodes input i into im. */
int batch_decode(const struct blur_batch *b, size_t i, struct img *im);

/* Blurs in into out (allocated here) with the reference Gaussian. */
int batch_blur(const struct blur_batch *b, size_t i, const struct img *in, struct img *out);

/* Writes im as output i (if out_dir is set) and marks item i done. */
int batch_encode(const struct blur_batch *b, size_t i, const struct img *im);

/* Decode, blur and encode item i, freeing everything it allocated. */
int batch_process(const struct blur_batch *b, size_t i);

/* Records that item i failed, with a reason, in results[i]. Returns -1. */
int batch_fail(const struct blur_batch *b, size_t i, const char *reason);

/* Sets results[i] as a whole: used by a parent that received it from a child. */
void batch_result_set(const struct blur_batch *b, size_t i, const struct blur_result *r);

/* The output path of item i: out_dir/<name of input>. Its extension says
 * the format img_save writes: with format IMG_FORMAT_AUTO a .png, .jpg or
 * .jpeg input keeps its name and any other becomes NAME.png; with
 * IMG_FORMAT_PNG or IMG_FORMAT_JPEG the name ends in .png or .jpg (a .jpeg
 * input asked for as JPEG keeps its .jpeg). Fails if it does not fit in cap
 * bytes. */
int batch_output_path(const struct blur_batch *b, size_t i, char *path, size_t cap,
                      struct err *err);

/* Counts results with the given status. */
size_t batch_count(const struct blur_batch *b, enum blur_status status);

#endif
