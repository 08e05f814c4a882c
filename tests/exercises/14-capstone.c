/* 14-capstone.c - the tests of exercise 14: capstone_run().
 *
 * Suites are the check names of exercises/exercises.txt:
 *   correct    every good feed's newest comic image is blurred into
 *              out_dir/comic-<index>.png, exactly as blur_gauss() blurs the
 *              image downloaded on its own;
 *   errors     a bad feed's comic fails with the feed's URL and the reason,
 *              and every good one is still blurred;
 *   concurrent blurring overlaps fetching: some comic is blurred while
 *              another one's requests are still in flight.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blur.h"
#include "fetch.h"
#include "img.h"
#include "support.h"
#include "support_fetch.h"

#define SIGMA 2.0f

struct capstone_run {
    char dir[64];
    struct capstone_job c;
    struct fetch_result results[SUPPORT_FEEDS_MAX];
    struct blur_result blurred[SUPPORT_FEEDS_MAX];
    struct runlog_span *spans;
    size_t nspans;
    int rc;
};

/* Runs capstone_run over f into a new temporary folder. */
static void run(struct capstone_run *r, const struct support_feeds *f)
{
    struct err err = {0};
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "/tmp/retreat-capstone-XXXXXX");
    cr_assert(mkdtemp(r->dir) != NULL, "cannot make a temporary folder");
    struct runlog *log;
    cr_assert(runlog_open_memory(&log, &err) == 0, "%s", err.msg);
    r->c = (struct capstone_job){
        .fetch = {.style = "capstone",
                  .urls = f->list,
                  .count = f->count,
                  .threads = 4,
                  .limits = {.timeout_ms = 5000, .backoff_ms = 50},
                  .log = log,
                  .results = r->results},
        .out_dir = r->dir,
        .sigma = SIGMA,
        .blur_threads = 2,
        .blurred = r->blurred,
    };
    fetch_job_deadline(&r->c.fetch, 20000);
    r->rc = capstone_run(&r->c);
    cr_assert(runlog_snapshot(log, &r->spans, &r->nspans, &err) == 0, "%s", err.msg);
    runlog_close(log);
}

static void run_free(struct capstone_run *r, const struct support_feeds *f)
{
    for (size_t i = 0; i < f->count; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/comic-%zu.png", r->dir, i);
        unlink(path);
        fetch_result_clear(&r->results[i]);
    }
    rmdir(r->dir);
    free(r->spans);
}

/* Item i's output against blur_gauss() of its image, downloaded here. */
static int check_output(const struct capstone_run *r, const struct support_feeds *f, size_t i,
                        struct err *err)
{
    if (r->blurred[i].status != BLUR_DONE)
        return err_set(err, "%s: expected its comic blurred, got %s", f->list[i],
                       r->blurred[i].status == BLUR_FAILED ? r->blurred[i].error : "nothing");
    char path[128];
    snprintf(path, sizeof path, "%s/comic-%zu.png", r->dir, i);
    struct img got = {0}, in = {0}, want = {0};
    unsigned char *png = NULL;
    size_t len = 0;
    int rc = -1;
    if (img_load(path, &got, err) == 0 &&
        support_fetch_get(r->results[i].image_url, &png, &len, err) == 0 &&
        img_load_memory(png, len, r->results[i].image_url, &in, err) == 0 &&
        img_alloc_like(&want, &in, err) == 0 && blur_gauss(&in, &want, SIGMA, err) == 0)
        rc = support_compare(&got, &want, 0, 0, path, err);
    free(png);
    img_free(&got);
    img_free(&in);
    img_free(&want);
    return rc;
}

Test(correct, blurred_comics, .timeout = 60)
{
    struct err err = {0};
    struct support_feeds f;
    cr_assert(support_feeds_start(&f, 4, 50, 0, &err) == 0, "%s", err.msg);
    struct capstone_run r;
    run(&r, &f);
    int rc = r.rc == 0 ? 0 : err_set(&err, "capstone_run returned %d", r.rc);
    for (size_t i = 0; i < f.count && rc == 0; i++)
        rc = check_output(&r, &f, i, &err);
    run_free(&r, &f);
    support_feeds_stop(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

Test(errors, bad_feeds, .timeout = 60)
{
    struct err err = {0};
    struct support_feeds f;
    cr_assert(support_feeds_start(&f, 3, 20, 0, &err) == 0, "%s", err.msg);
    cr_assert(support_feeds_add_bad(&f, &err) == 0, "%s", err.msg);
    struct capstone_run r;
    run(&r, &f);
    int rc = r.rc == 0 ? 0 : err_set(&err, "capstone_run returned %d", r.rc);
    for (size_t i = 0; i < f.count && rc == 0; i++) {
        if (!f.bad[i]) {
            rc = check_output(&r, &f, i, &err);
        } else if (r.blurred[i].status != BLUR_FAILED ||
                   strncmp(r.blurred[i].error, f.list[i], strlen(f.list[i])) != 0) {
            rc = err_set(&err, "%s must fail with its URL and the reason, got %s '%s'", f.list[i],
                         r.blurred[i].status == BLUR_DONE ? "done" : "nothing", r.blurred[i].error);
        }
    }
    run_free(&r, &f);
    support_feeds_stop(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

Test(concurrent, blur_while_fetching, .timeout = 60)
{
    struct err err = {0};
    struct support_feeds f;
    cr_assert(support_feeds_start(&f, 8, 200, 0, &err) == 0, "%s", err.msg);
    struct capstone_run r;
    run(&r, &f);
    size_t blurs = 0, overlaps = 0;
    for (size_t b = 0; b < r.nspans; b++) {
        if (strcmp(r.spans[b].phase, "blur") != 0 || !r.spans[b].ok)
            continue;
        blurs++;
        for (size_t s = 0; s < r.nspans; s++)
            if (strcmp(r.spans[s].phase, "blur") != 0 && r.spans[s].start_ns < r.spans[b].end_ns &&
                r.spans[b].start_ns < r.spans[s].end_ns && r.spans[s].worker != r.spans[b].worker)
                overlaps++;
    }
    run_free(&r, &f);
    support_feeds_stop(&f);
    cr_expect(blurs == f.count, "expected %zu \"blur\" spans in the run log, found %zu", f.count,
              blurs);
    cr_expect(overlaps > 0, "no comic was blurred while a request was in flight: are images "
                            "blurred only after every feed is fetched?");
}
