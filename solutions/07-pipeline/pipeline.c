/* pipeline.c - exercise 07, reference: a channel, and a pipeline built on it.
 *
 * Decoding and encoding an image are mostly waiting for the disk and
 * shuffling bytes; blurring is pure arithmetic. Run one after the other,
 * the CPU idles while a file is read. A pipeline gives each step its own
 * thread(s) and joins them with queues, like an assembly line:
 *
 *     decode --chan--> blur (b->threads of them) --chan--> encode
 *
 * While image 3 is being decoded, image 2 is being blurred and image 1
 * written. The queues are bounded, so a fast stage cannot run away from a
 * slow one and fill the memory with decoded images: it blocks until there is
 * room. That waiting is called back-pressure.
 *
 * The queue is a channel in the sense of Go: a ring buffer guarded by one
 * mutex, with two condition variables, one for "there is room now" and one
 * for "there is an item now". Closing the channel is how a stage says "no
 * more": receivers drain what is left and then get -1, and stop.
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
    pthread_mutex_lock(&ch->lock);
    /* A while, not an if: a wake-up only means "look again". Another sender
     * may have taken the free slot first, and waits may end spuriously. */
    while (ch->count == ch->capacity && !ch->closed)
        pthread_cond_wait(&ch->not_full, &ch->lock);
    if (ch->closed) {
        pthread_mutex_unlock(&ch->lock);
        return -1;
    }
    ch->ring[(ch->head + ch->count) % ch->capacity] = item;
    ch->count++;
    pthread_cond_signal(&ch->not_empty); /* one item: one receiver can use it */
    pthread_mutex_unlock(&ch->lock);
    return 0;
}

int chan_recv(struct chan *ch, void **item)
{
    pthread_mutex_lock(&ch->lock);
    while (ch->count == 0 && !ch->closed)
        pthread_cond_wait(&ch->not_empty, &ch->lock);
    if (ch->count == 0) { /* closed and drained: time to stop */
        pthread_mutex_unlock(&ch->lock);
        return -1;
    }
    *item = ch->ring[ch->head];
    ch->head = (ch->head + 1) % ch->capacity;
    ch->count--;
    pthread_cond_signal(&ch->not_full);
    pthread_mutex_unlock(&ch->lock);
    return 0;
}

void chan_close(struct chan *ch)
{
    pthread_mutex_lock(&ch->lock);
    ch->closed = 1;
    /* Everyone waiting must wake up and see `closed`: broadcast, not signal. */
    pthread_cond_broadcast(&ch->not_full);
    pthread_cond_broadcast(&ch->not_empty);
    pthread_mutex_unlock(&ch->lock);
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
    struct pipeline *p = arg;
    void *item;
    while (chan_recv(p->decoded, &item) == 0) {
        struct job *j = item;
        int rc = batch_blur(p->b, j->i, &j->in, &j->out);
        img_free(&j->in); /* done with it: free it now, not at the end */
        if (rc != 0 || chan_send(p->blurred, j) != 0)
            job_free(j);
    }
    return NULL;
}

static void *encode_stage(void *arg)
{
    struct pipeline *p = arg;
    void *item;
    while (chan_recv(p->blurred, &item) == 0) {
        struct job *j = item;
        batch_encode(p->b, j->i, &j->out);
        job_free(j);
    }
    return NULL;
}

int pipeline_run(const struct blur_batch *b)
{
    int nblur = b->threads >= 1 ? b->threads : 1;
    struct pipeline p = {
        .b = b, .decoded = chan_open(PIPELINE_DEPTH), .blurred = chan_open(PIPELINE_DEPTH)};
    pthread_t *blurers = calloc((size_t)nblur, sizeof *blurers);
    pthread_t decoder, encoder;
    int rc = -1;
    if (p.decoded == NULL || p.blurred == NULL || blurers == NULL)
        goto out;

    /* Start from the end of the line, so that each stage has someone to
     * hand its work to, and so that a failure leaves an easy shutdown. */
    if (pthread_create(&encoder, NULL, encode_stage, &p) != 0)
        goto out;
    int started = 0;
    while (started < nblur && pthread_create(&blurers[started], NULL, blur_stage, &p) == 0)
        started++;
    int decoding = started > 0 && pthread_create(&decoder, NULL, decode_stage, &p) == 0;

    /* Shut down in the order the work flows. If the decoder never started,
     * closing its channel here lets the blurers see "no more" at once. */
    if (decoding)
        pthread_join(decoder, NULL);
    else
        chan_close(p.decoded);
    for (int t = 0; t < started; t++)
        pthread_join(blurers[t], NULL);
    chan_close(p.blurred); /* all blurers are done: nothing more will come */
    pthread_join(encoder, NULL);
    rc = decoding ? 0 : -1;
out:
    free(blurers);
    chan_free(p.decoded);
    chan_free(p.blurred);
    return rc;
}
