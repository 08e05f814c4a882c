/* ladder.h - the functions each exercise asks you to write.
 *
 * Exercise N's file in exercises/ and its reference in solutions/ define the
 * same function(s), so the same tests grade both, and the `retreat` command
 * runs the solutions as its styles. See exercises/exercises.txt for the list.
 * This header is the solutions' layer: the library below (src/core/) never
 * includes it, and only the command layer (src/cli/) names these functions,
 * in its style tables.
 *
 * Batch styles (02-08) return 0 when the style itself ran - even if some
 * items failed, which their results[] say - and -1 when it could not run at
 * all (no thread, no fork, no memory).
 */
#ifndef RETREAT_LADDER_H
#define RETREAT_LADDER_H

#include <stddef.h>

#include "batch.h"
#include "blur.h"
#include "err.h"
#include "fetch.h"
#include "img.h"
#include "runlog.h"

/* 01 kernel: the separable Gaussian of blur.h, written by you. dst has been
 * allocated like src. Returns -1 (with err) for a sigma out of range. */
int kernel_blur(const struct img *src, struct img *dst, float sigma, struct err *err);

/* 02 linear: decode, blur, encode, one image after the other. */
int linear_run(const struct blur_batch *b);

/* 03 processes: at most b->threads worker processes (fork, pipes, waitpid). */
int processes_run(const struct blur_batch *b);

/* 04 threads: one pthread per image. */
int threads_run(const struct blur_batch *b);

/* 05 pool: b->threads worker threads taking items from a shared queue. */
int pool_run(const struct blur_batch *b);

/* 06 rows: one image at a time, its rows split in bands over b->threads. */
int rows_run(const struct blur_batch *b);

/* 07 pipeline: a bounded, closable channel of pointers (Go's chan) ... */
struct chan;

/* Opens a channel holding at most capacity items (capacity >= 1). */
struct chan *chan_open(size_t capacity);

/* Sends item, waiting while the channel is full. Returns -1 if it is closed. */
int chan_send(struct chan *ch, void *item);

/* Receives the oldest item, waiting while the channel is empty. Returns -1
 * once the channel is closed *and* drained: the receiver's signal to stop. */
int chan_recv(struct chan *ch, void **item);

/* Closes the channel: senders fail from now on, receivers drain what is left.
 * Wakes everyone who waits. */
void chan_close(struct chan *ch);

/* Frees a channel nobody uses any more. */
void chan_free(struct chan *ch);

/* ... and the pipeline itself: decode, blur and encode stages joined by
 * channels, so reading one image overlaps blurring another. */
int pipeline_run(const struct blur_batch *b);

/* 08 fast: an O(1)-per-pixel approximation of the Gaussian on `threads`
 * threads (PSNR >= 40 dB and max |difference| <= 4 against blur_gauss) ... */
int fast_blur(const struct img *src, struct img *dst, float sigma, int threads, struct err *err);

/* ... and the batch style that uses it. */
int fast_run(const struct blur_batch *b);

/* --- The fetch track (exercises 09-14) -------------------------------------
 * Fetch styles (09-13)
 * Each returns 0 when the style ran - even if some items failed, which their
 * results say - and -1 when it could not run at all (no thread, no memory). */

int fetch_linear_run(const struct fetch_job *job);  /* 09 one after another */
int fetch_threads_run(const struct fetch_job *job); /* 10 one thread per URL */
int fetch_pool_run(const struct fetch_job *job);    /* 11 job->threads workers */
int fetch_multi_run(const struct fetch_job *job);   /* 12 curl_multi_poll */
int fetch_events_run(const struct fetch_job *job);  /* 13 epoll + socket_action */

/* 14 capstone: fetch every feed's newest comic image and blur each one as
 * soon as it arrives. The fetch style's on_open hands the image to
 * blur_threads blur workers through the bounded channel of exercise 07
 * (struct chan, ladder.h): the I/O side feeds the CPU side, and neither
 * waits for the other to finish everything. */
struct capstone_job {
    struct fetch_job fetch;                    /* the feeds, limits, log, results (mode, want_image,
                                                  on_open and user are set by capstone_run) */
    int (*style)(const struct fetch_job *job); /* how to fetch; NULL: fetch_multi_run */
    const char *out_dir;                       /* blurred comics go to out_dir/comic-<index>.png */
    float sigma;                               /* see blur.h */
    int blur_threads;                          /* blur workers (>= 1) */
    struct blur_result *blurred;               /* fetch.count entries, zeroed: each comic's blur */
};

int capstone_run(const struct capstone_job *c);

#endif
