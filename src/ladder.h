/* ladder.h - the functions each exercise of the blur track asks you to write.
 *
 * Exercise N's file in exercises/ and its reference in solutions/ define the
 * same function(s), so the same tests grade both, and the `retreat` command
 * runs the solutions as its styles. See exercises/exercises.txt for the list.
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

#endif
