/* drive_fetch.c - the driver of the fetch track (exercises 09-14); see driver.h.
 *
 * Starts the embedded comic server on a free loopback port, lists its feeds
 * plus two that must fail (a 404 and a 503 that heals when retried, so the
 * retry path runs under the sanitizers too), and runs the exercise's fetch
 * style over them, found by name in the table of fetch.h. The participant's
 * definition wins at link time, the reference fills in the rest. The
 * capstone (14) fetches the comics' images too and blurs them into work_dir.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "comicsrv.h"
#include "blur.h"
#include "driver.h"
#include "fetch.h"
#include "ladder.h"
#include "styles.h"

#define FEEDS_MAX 40

struct feeds {
    struct comicsrv *srv;
    char urls[FEEDS_MAX][COMICSRV_URL_MAX];
    const char *list[FEEDS_MAX];
    size_t count;
    int good; /* how many must succeed */
};

/* comics feeds with latency_ms mean delay, then the 404 and the 503. */
static int feeds_start(struct feeds *f, unsigned comics, unsigned latency_ms, struct err *err)
{
    memset(f, 0, sizeof *f);
    struct comicsrv_opts o = {.count = comics, .seed = 7, .latency_ms = latency_ms};
    if (comicsrv_start(&f->srv, &o, err) != 0)
        return err_prefix(err, "cannot start the comic server: ");
    for (unsigned i = 0; i < comics + 2 && i < FEEDS_MAX; i++) {
        comicsrv_feed_url(f->srv, i < comics ? i : 0, f->urls[i], COMICSRV_URL_MAX);
        if (i == comics)
            strncat(f->urls[i], "?fault=404", COMICSRV_URL_MAX - strlen(f->urls[i]) - 1);
        if (i == comics + 1)
            strncat(f->urls[i], "?fault=503:n=1", COMICSRV_URL_MAX - strlen(f->urls[i]) - 1);
        f->list[i] = f->urls[i];
        f->count++;
    }
    f->good = (int)comics + 1;
    return 0;
}

/* Runs style - or, with style NULL, the capstone - over f and counts the
 * items it finished well. */
static int run_style(const struct feeds *f, int (*style)(const struct fetch_job *),
                     const char *name, const struct drive_opts *o, double *seconds, int *done,
                     struct err *err)
{
    struct fetch_result *results = calloc(f->count, sizeof *results);
    struct blur_result *blurred = calloc(f->count, sizeof *blurred);
    if (results == NULL || blurred == NULL) {
        free(results);
        free(blurred);
        return err_set(err, "out of memory");
    }
    struct fetch_job job = {
        .style = name,
        .urls = f->list,
        .count = f->count,
        .mode = FETCH_COMIC,
        .threads = o->threads,
        .limits = {.timeout_ms = 5000, .backoff_ms = 20},
        .log = o->log,
        .results = results,
    };
    fetch_job_deadline(&job, 30000);
    struct capstone_job c = {.fetch = job,
                             .out_dir = o->work_dir,
                             .sigma = BLUR_SIGMA_DEFAULT,
                             .blur_threads = o->threads,
                             .blurred = blurred};
    uint64_t t0 = clock_now_ns();
    int rc = style != NULL ? style(&job) : capstone_run(&c);
    *seconds = clock_seconds(t0, clock_now_ns());
    *done = 0;
    for (size_t i = 0; i < f->count; i++) {
        *done += style != NULL ? results[i].status == FETCH_DONE : blurred[i].status == BLUR_DONE;
        fetch_result_clear(&results[i]);
    }
    free(results);
    free(blurred);
    if (rc != 0)
        return err_set(err, "%s returned %d: it could not run", name, rc);
    return 0;
}

/* The style of the exercise; NULL (and *s->run NULL) for the capstone. */
static int find_style(const struct drive_opts *o, const struct fetch_style **s, struct err *err)
{
    static const struct fetch_style capstone = {"capstone", 14, "fetch and blur", NULL, 0};
    if (strcmp(o->ex->name, "capstone") == 0) {
        *s = &capstone;
        return 0;
    }
    return fetch_style_lookup(o->ex->name, s, err);
}

static int fetch_run(const struct drive_opts *o, struct drive_result *r, struct err *err)
{
    const struct fetch_style *s;
    struct feeds f;
    if (find_style(o, &s, err) != 0 || feeds_start(&f, o->quick ? 4 : 8, 20, err) != 0)
        return -1;
    double secs;
    int rc = run_style(&f, s->run, s->name, o, &secs, &r->done, err);
    r->total = f.good;
    comicsrv_stop(f.srv);
    return rc;
}

static int fetch_speed(const struct drive_opts *o, struct drive_result *r, struct err *err)
{
    const struct fetch_style *s;
    struct feeds f;
    if (find_style(o, &s, err) != 0 || feeds_start(&f, o->quick ? 8 : 20, 50, err) != 0)
        return -1;
    int done;
    int rc = run_style(&f, fetch_linear_run, "fetch-linear", o, &r->reference_s, &done, err);
    if (rc == 0)
        rc = run_style(&f, s->run, s->name, o, &r->yours_s, &r->done, err);
    /* The reference solution of this exercise, on the same feeds (not for
     * the capstone, whose entry point is not a fetch style). */
    int (*reference)(const struct fetch_job *) =
        (int (*)(const struct fetch_job *))grade_reference_run;
    struct drive_opts quiet = *o; /* the run log shows linear and yours */
    quiet.log = NULL;
    if (rc == 0 && reference != NULL && s->run != NULL)
        rc = run_style(&f, reference, s->name, &quiet, &r->solution_s, &done, err);
    r->total = f.good;
    comicsrv_stop(f.srv);
    return rc;
}

const struct driver drive_fetch = {"fetch", fetch_run, fetch_speed};
