/* pipeline.c - exercise 07: a bounded, closable channel, and a pipeline of
 * stages joined by channels: decode -> blur -> encode.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 7`;
 * `make hint 7` gives a nudge. The functions are declared in solutions/ladder.h.
 *
 * What is here already: the channel's fields, chan_open() and chan_free(),
 * and the decode stage. What is yours: sending, receiving and closing, the
 * blur and encode stages, and starting and stopping the pipeline.
 */
#include <pthread.h>
#include <stdlib.h>

#include "ladder.h"

/* --- The channel ------------------------------------------------------------ */

struct chan {
    pthread_mutex_t lock;         /* guards every field below */
    pthread_cond_t not_full;      /* signalled when an item leaves (or on close) */
    pthread_cond_t not_empty;     /* signalled when an item arrives (or on close) */
    void **ring;                  /* capacity slots */
    size_t capacity, head, count; /* items are ring[head], ring[head + 1], ... */
    int closed;
};

struct chan *chan_open(size_t capacity)
{
    if (capacity < 1)
        return NULL;
    struct chan *ch = calloc(1, sizeof *ch);
    if (ch == NULL)
        return NULL;
    ch->ring = calloc(capacity, sizeof *ch->ring);
    if (ch->ring == NULL) {
        free(ch);
        return NULL;
    }
    ch->capacity = capacity;
    pthread_mutex_init(&ch->lock, NULL);
    pthread_cond_init(&ch->not_full, NULL);
    pthread_cond_init(&ch->not_empty, NULL);
    return ch;
}

int chan_send(struct chan *ch, void *item)
{
    /* TODO 1: lock; while the channel is full and open, wait on not_full
     *         (a while, not an if: a wake-up only means "look again");
     *         if it is closed, unlock and return -1; otherwise put item at
     *         ring[(head + count) % capacity], count++, signal not_empty,
     *         unlock, return 0. */
    (void)ch;
    (void)item;
    return -1;
}

int chan_recv(struct chan *ch, void **item)
{
    /* TODO 2: lock; while the channel is empty and open, wait on not_empty;
     *         if it is still empty (so: closed and drained), unlock and
     *         return -1; otherwise take ring[head], advance head modulo the
     *         capacity, count--, signal not_full, unlock, return 0. */
    (void)ch;
    (void)item;
    return -1;
}

void chan_close(struct chan *ch)
{
    /* TODO 3: lock; closed = 1; wake *every* waiting sender and receiver
     *         (pthread_cond_broadcast on both conditions); unlock. */
    (void)ch;
}

void chan_free(struct chan *ch)
{
    if (ch == NULL)
        return;
    pthread_cond_destroy(&ch->not_empty);
    pthread_cond_destroy(&ch->not_full);
    pthread_mutex_destroy(&ch->lock);
    free(ch->ring);
    free(ch);
}

/* --- The pipeline ----------------------------------------------------------- */

/* Room for this many images between two stages: enough to absorb a slow
 * file, few enough that memory stays bounded. */
#define PIPELINE_DEPTH 2

/* One image travelling down the pipeline. */
struct job {
    size_t i;
    struct img in, out;
};

struct pipeline {
    const struct blur_batch *b;
    struct chan *decoded; /* decode -> blur */
    struct chan *blurred; /* blur -> encode */
};

static void job_free(struct job *j)
{
    img_free(&j->in);
    img_free(&j->out);
    free(j);
}

static void *decode_stage(void *arg)
{
    struct pipeline *p = arg;
    for (size_t i = 0; i < p->b->count; i++) {
        struct job *j = calloc(1, sizeof *j);
        if (j == NULL) {
            batch_fail(p->b, i, "out of memory for a pipeline job");
            continue;
        }
        j->i = i;
        /* A file that does not decode is recorded as failed and skipped:
         * nothing downstream waits for it, so nothing stalls. */
        if (batch_decode(p->b, i, &j->in) != 0 || chan_send(p->decoded, j) != 0)
            job_free(j);
    }
    chan_close(p->decoded); /* "no more images": the blur stage drains and stops */
    return NULL;
}

static void *blur_stage(void *arg)
{
    /* TODO 4: receive jobs from p->decoded until chan_recv() returns -1;
     *         blur each with batch_blur(p->b, j->i, &j->in, &j->out), free
     *         j->in at once, and send the job on to p->blurred. A job that
     *         failed (or could not be sent) is freed here with job_free(). */
    (void)arg;
    return NULL;
}

static void *encode_stage(void *arg)
{
    /* TODO 5: receive jobs from p->blurred until chan_recv() returns -1;
     *         batch_encode(p->b, j->i, &j->out) each, then job_free(j). */
    (void)arg;
    return NULL;
}

int pipeline_run(const struct blur_batch *b)
{
    int nblur = b->threads >= 1 ? b->threads : 1;
    struct pipeline p = {
        .b = b, .decoded = chan_open(PIPELINE_DEPTH), .blurred = chan_open(PIPELINE_DEPTH)};
    pthread_t *blurers = calloc((size_t)nblur, sizeof *blurers);
    int rc = -1;
    if (p.decoded == NULL || p.blurred == NULL || blurers == NULL)
        goto out;

    /* TODO 6: start the encoder, then nblur blurers (count those started),
     *         then the decoder (decode_stage), each with &p as argument.
     *         Then shut down in the order the work flows: join the decoder
     *         (it closes p.decoded when done; if it never started, close
     *         p.decoded yourself), join the blurers, close p.blurred, join
     *         the encoder. rc = 0 if the decoder ran, -1 if not. */
    (void)decode_stage;
    (void)blur_stage;
    (void)encode_stage;
    (void)nblur;
    rc = 0;
out:
    free(blurers);
    chan_free(p.decoded);
    chan_free(p.blurred);
    return rc;
}
