/* test_fetch_faults.c - every fault the comic server can inject, against
 * every fetch style: the good feeds are read, each bad one is reported with
 * its URL and a reason, the ones a client should get through (one 503, a
 * short redirect chain, a slow body, a wrong Content-Type) are read, and
 * nothing hangs (the test's timeout would say so). */
#include <criterion/criterion.h>

#include <stdio.h>
#include <string.h>

#include "comicsrv.h"
#include "fetch.h"
#include "styles.h"

struct fault_case {
    const char *spec; /* ?fault=SPEC on a feed URL */
    int readable;     /* 1: a robust client reads the feed anyway */
};

static const struct fault_case cases[] = {
    {"404", 0},      {"500", 0},  {"503:n=1", 1},   {"reset", 0},  {"slow:n=5", 1}, {"truncate", 0},
    {"redirect", 1}, {"loop", 0}, {"malformed", 0}, {"laughs", 0}, {"huge", 0},     {"type", 1},
};
#define NCASES (sizeof cases / sizeof *cases)
#define NGOOD 4

Test(fetch_faults, every_fault_against_every_style, .timeout = 240)
{
    struct comicsrv *srv;
    struct comicsrv_opts opts = {.count = NGOOD, .latency_ms = 10};
    struct err err;
    cr_assert_eq(comicsrv_start(&srv, &opts, &err), 0, "%s", err.msg);

    char urls[NGOOD + NCASES][COMICSRV_URL_MAX + 32];
    const char *list[NGOOD + NCASES];
    for (unsigned i = 0; i < NGOOD + NCASES; i++) {
        char feed[COMICSRV_URL_MAX];
        cr_assert_eq(comicsrv_feed_url(srv, i % NGOOD, feed, sizeof feed), 0);
        if (i < NGOOD)
            snprintf(urls[i], sizeof urls[i], "%s", feed);
        else
            snprintf(urls[i], sizeof urls[i], "%s?fault=%s", feed, cases[i - NGOOD].spec);
        list[i] = urls[i];
    }

    for (const struct fetch_style *st = fetch_styles; st->name != NULL; st++) {
        struct fetch_result results[NGOOD + NCASES];
        memset(results, 0, sizeof results);
        struct fetch_job job = {
            .style = st->name,
            .urls = list,
            .count = NGOOD + NCASES,
            .mode = FETCH_COMIC,
            .threads = 4,
            .limits = {.timeout_ms = 5000, .retries = 1, .backoff_ms = 10},
            .results = results,
        };
        fetch_job_deadline(&job, 60000);
        cr_assert_eq(st->run(&job), 0, "%s could not run", st->name);

        for (size_t i = 0; i < NGOOD + NCASES; i++) {
            const struct fetch_result *r = &results[i];
            int readable = i < NGOOD || cases[i - NGOOD].readable;
            const char *what = i < NGOOD ? "a good feed" : cases[i - NGOOD].spec;
            if (readable) {
                cr_expect_eq(r->status, FETCH_DONE, "%s, %s: %s should be read; got: %s", st->name,
                             what, urls[i], r->error);
            } else {
                cr_expect_eq(r->status, FETCH_FAILED, "%s, %s: %s should fail", st->name, what,
                             urls[i]);
                cr_expect(strstr(r->error, urls[i]) != NULL &&
                              strlen(r->error) > strlen(urls[i]) + 2,
                          "%s, %s: the error must name the URL and the reason; got: %s", st->name,
                          what, r->error);
            }
        }
    }
    comicsrv_stop(srv);
}
