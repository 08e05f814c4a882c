/* test_fetch_wire.c - a fetch span is the request's time on the wire.
 *
 * Issue 10: spans started at fetch_xfer_init, so a style that set up every
 * URL first and then performed them one at a time showed every request "in
 * flight" together. Now a span starts when libcurl sends the request. These
 * tests set up several chains at once, perform them one after another, and
 * read the run log: the requests must not overlap. No clock is asserted,
 * only the order of events the log records.
 */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "comicsrv.h"
#include "fetch.h"
#include "runlog.h"

#define N 3

struct wire_run {
    struct comicsrv *srv;
    char urls[N][COMICSRV_URL_MAX];
    const char *list[N];
    struct fetch_result results[N];
    struct fetch_job job;
    struct runlog *log;
};

static void wire_start(struct wire_run *w)
{
    memset(w, 0, sizeof *w);
    struct err err = {0};
    struct comicsrv_opts opts = {.count = N, .latency_ms = 20};
    cr_assert_eq(comicsrv_start(&w->srv, &opts, &err), 0, "%s", err.msg);
    for (unsigned i = 0; i < N; i++) {
        cr_assert_eq(comicsrv_feed_url(w->srv, i, w->urls[i], sizeof w->urls[i]), 0);
        w->list[i] = w->urls[i];
    }
    cr_assert_eq(runlog_open_memory(&w->log, &err), 0, "%s", err.msg);
    w->job = (struct fetch_job){.style = "wire",
                                .urls = w->list,
                                .count = N,
                                .mode = FETCH_PLAIN,
                                .threads = 1,
                                .log = w->log,
                                .results = w->results};
}

static void wire_stop(struct wire_run *w, struct runlog_span **spans, size_t *n)
{
    struct err err = {0};
    cr_assert_eq(runlog_snapshot(w->log, spans, n, &err), 0, "%s", err.msg);
    runlog_close(w->log);
    comicsrv_stop(w->srv);
}

/* Every chain set up first, then performed one at a time: the "get" spans
 * follow one another, none starts before the previous one ended. */
Test(fetch_wire, set_up_together_performed_in_turn_do_not_overlap, .timeout = 30)
{
    struct wire_run w;
    wire_start(&w);
    struct fetch_xfer xs[N];
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(fetch_xfer_init(&xs[i], &w.job, i), 0, "%s", w.results[i].error);
    for (size_t i = 0; i < N; i++) {
        while (fetch_xfer_done(&xs[i], curl_easy_perform(xs[i].easy)) == 1)
            ;
        cr_expect_eq(w.results[i].status, FETCH_DONE, "%s", w.results[i].error);
        fetch_xfer_cleanup(&xs[i]);
    }
    struct runlog_span *spans;
    size_t n;
    wire_stop(&w, &spans, &n);
    cr_assert_eq(n, N, "expected %d spans, got %zu", N, n);
    for (size_t i = 0; i < n; i++) {
        cr_expect(spans[i].start_ns <= spans[i].end_ns, "span %zu ends before it starts", i);
        for (size_t j = 0; j < n; j++)
            cr_expect(i == j || spans[i].end_ns <= spans[j].start_ns ||
                          spans[j].end_ns <= spans[i].start_ns,
                      "spans %zu and %zu overlap, but their requests were performed one "
                      "after the other",
                      i, j);
    }
    cr_expect_eq(fetch_peak_inflight(spans, n, "wire", "get"), 1);
    free(spans);
}

/* The same chains in one multi handle, all performed together: the log shows
 * them in flight at once - the wire times do not hide real concurrency. */
Test(fetch_wire, performed_together_overlap, .timeout = 30)
{
    struct wire_run w;
    wire_start(&w);
    struct fetch_xfer xs[N];
    CURLM *multi = curl_multi_init();
    cr_assert(multi != NULL);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(fetch_xfer_init(&xs[i], &w.job, i), 0, "%s", w.results[i].error);
        curl_multi_add_handle(multi, xs[i].easy);
    }
    size_t left = N;
    while (left > 0) {
        int running, queued;
        curl_multi_perform(multi, &running);
        for (CURLMsg *m; (m = curl_multi_info_read(multi, &queued)) != NULL;) {
            struct fetch_xfer *x;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
            CURLcode rc = m->data.result;
            curl_multi_remove_handle(multi, x->easy);
            cr_assert_eq(fetch_xfer_done(x, rc), 0, "a plain GET is one request");
            left--;
        }
        if (left > 0)
            curl_multi_poll(multi, NULL, 0, 1000, NULL);
    }
    for (size_t i = 0; i < N; i++)
        fetch_xfer_cleanup(&xs[i]);
    curl_multi_cleanup(multi);
    struct runlog_span *spans;
    size_t n;
    wire_stop(&w, &spans, &n);
    cr_assert_eq(n, N);
    /* The server holds every answer for its latency, so all were sent before
     * the first came back. */
    cr_expect_eq(fetch_peak_inflight(spans, n, "wire", "get"), N);
    free(spans);
}
