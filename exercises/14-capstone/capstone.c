/* capstone.c - exercise 14: fetch comics and blur them as they come.
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
 *
 * Read README.md in this folder first. blur_comic() is written for you;
 * you write the worker loop, the on_open callback and the wiring. Your
 * chan_* functions from exercise 07 are the ones in solutions/07-pipeline.
 *
 * Grade it with `make exercise 14`.
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
    (void)cs;
    /* TODO: receive comics from cs->ch until chan_recv returns -1 (closed
     * and drained); blur each with blur_comic(), then free its png and the
     * struct comic itself. */
    return NULL;
}

/* The fetch style's "open this comic". Runs on whichever thread finished
 * the chain (with fetch-multi: the one loop thread). */
static void on_open(void *user, size_t index, struct fetch_result *r)
{
    struct capstone *cs = user;
    (void)cs, (void)index, (void)r;
    /* TODO: a failed chain: record r->error with blur_fail(). Otherwise
     * malloc a struct comic holding index and the image (r->image,
     * r->image_len), take ownership (set r->image to NULL) and chan_send it;
     * if the send fails, record it and free the comic. */
}

int capstone_run(const struct capstone_job *c)
{
    struct capstone cs = {.c = c, .job = c->fetch};
    cs.job.mode = FETCH_COMIC;
    cs.job.want_image = 1;
    cs.job.on_open = on_open;
    cs.job.user = &cs;

    /* TODO: open a channel of capacity 2 x blur_threads (at least 1 worker)
     * and start the blur workers. */

    /* TODO: run the fetch style: c->style, or fetch_multi_run when NULL. */

    /* TODO: close the channel (the workers drain it and stop), join them,
     * free the channel. */
    (void)blur_worker, (void)blur_comic;
    return 0;
}
