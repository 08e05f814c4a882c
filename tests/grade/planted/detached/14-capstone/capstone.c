/* PLANTED (tests/grade/planted/README): the blur workers are detached, not
 * joined: the function returns while they still run.
 *
 *
 * The two halves of the workshop in one program. The I/O side - any fetch
 * style, fetch_multi_run by default - fetches every feed, its newest comic's
 * page and the comic's image. The CPU side - blur_threads worker threads -
 * blurs images. Between them, the bounded channel of exercise 07:
 *
 *     fetch style --on_open--> chan (capacity 2 x workers) --> blur workers
 *
 * Each image is sent the moment it has arrived, so the first comic is being
 * blurred while the slowest feed is still on its way. The bound matters: if
 * the workers fall behind, chan_send() waits, and the fetching slows down
 * instead of piling up every image in memory.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "blur.h"
#include "fetch.h"
#include "img.h"
#include "ladder.h"

/* One fetched comic on its way to a blur worker. */
struct comic {
    size_t index;
    unsigned char *png; /* the image as fetched (any format stb reads) */
    size_t len;
};

struct capstone {
    const struct capstone_job *c;
    struct fetch_job job; /* c->fetch, with our on_open */
    struct chan *ch;
};

static int blur_fail(const struct capstone *cs, size_t i, const char *reason)
{
    struct blur_result *r = &cs->c->blurred[i];
    r->status = BLUR_FAILED;
    snprintf(r->error, sizeof r->error, "%s", reason);
    return -1;
}

/* Decodes, blurs and saves one comic; its result says how it went. */
static int blur_comic(const struct capstone *cs, const struct comic *cm)
{
    const char *url = cs->job.urls[cm->index];
    struct runlog_span span;
    runlog_begin(&span, cs->job.style, url, (long)cm->index, "blur");
    struct err err = {0};
    struct img in = {0}, out = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/comic-%zu.png", cs->c->out_dir, cm->index);
    int rc = -1;
    if (img_load_memory(cm->png, cm->len, url, &in, &err) == 0 &&
        img_alloc_like(&out, &in, &err) == 0 && blur_gauss(&in, &out, cs->c->sigma, &err) == 0 &&
        img_save(path, &out, &err) == 0)
        rc = 0;
    img_free(&in);
    img_free(&out);
    if (rc != 0) {
        runlog_fail(cs->job.log, &span, err.msg);
        return blur_fail(cs, cm->index, err.msg);
    }
    runlog_end(cs->job.log, &span);
    cs->c->blurred[cm->index].status = BLUR_DONE;
    return 0;
}

static void *blur_worker(void *arg)
{
    struct capstone *cs = arg;
    void *item;
    while (chan_recv(cs->ch, &item) == 0) { /* -1: closed and drained */
        struct comic *cm = item;
        blur_comic(cs, cm);
        free(cm->png);
        free(cm);
    }
    return NULL;
}

/* The fetch style's "open this comic": take the image and send it on. Runs
 * on whichever thread finished the chain. */
static void on_open(void *user, size_t index, struct fetch_result *r)
{
    struct capstone *cs = user;
    if (r->status != FETCH_DONE) {
        blur_fail(cs, index, r->error);
        return;
    }
    struct comic *cm = malloc(sizeof *cm);
    if (cm == NULL) {
        blur_fail(cs, index, "out of memory");
        return;
    }
    *cm = (struct comic){index, r->image, r->image_len};
    r->image = NULL; /* ours now: the worker frees it */
    r->image_len = 0;
    if (chan_send(cs->ch, cm) != 0) {
        blur_fail(cs, index, "the blur workers have stopped");
        free(cm->png);
        free(cm);
    }
}

int capstone_run(const struct capstone_job *c)
{
    struct capstone cs = {.c = c, .job = c->fetch};
    cs.job.mode = FETCH_COMIC;
    cs.job.want_image = 1;
    cs.job.on_open = on_open;
    cs.job.user = &cs;

    int n = c->blur_threads > 0 ? c->blur_threads : 1;
    cs.ch = chan_open(2 * (size_t)n);
    pthread_t *workers = calloc((size_t)n, sizeof *workers);
    if (cs.ch == NULL || workers == NULL) {
        if (cs.ch != NULL)
            chan_free(cs.ch);
        free(workers);
        return -1;
    }
    int started = 0;
    while (started < n && pthread_create(&workers[started], NULL, blur_worker, &cs) == 0)
        started++;

    /* With no worker, nobody would ever receive: do not fetch at all. */
    int rc = started > 0 ? (c->style ? c->style : fetch_multi_run)(&cs.job) : -1;

    chan_close(cs.ch); /* "no more comics": the workers drain and stop */
    for (int i = 0; i < started; i++)
        pthread_detach(workers[i]); /* PLANTED: not joined */
    chan_free(cs.ch);
    free(workers);
    return rc;
}
