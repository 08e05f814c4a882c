/* support_fetch.h - what the fetch exercise tests (09-14) have in common.
 *
 * Every fetch exercise is graded the same way: start the embedded comic
 * server (comicsrv.h) on a free loopback port with known per-comic delays,
 * run the participant's style over its feeds - plus some bad URLs - with an
 * in-memory run log, then check the results, the order in which comics were
 * opened, and what the run log says about concurrency.
 *
 *     struct support_feeds f;
 *     struct support_fetch_run run;
 *     struct err err = {0};
 *     cr_assert(support_feeds_start(&f, 6, 100, 0, &err) == 0, "%s", err.msg);
 *     cr_assert(support_fetch_style(&run, fetch_multi_run, "fetch-multi", &f, 4, 0, &err) == 0,
 *               "%s", err.msg);
 *     cr_expect(support_fetch_check_correct(&run, &f, &err) == 0, "%s", err.msg);
 *     support_fetch_run_free(&run);
 *     support_feeds_stop(&f);
 *
 * Like support.h, every check returns 0 or -1 with a message for the
 * participant: what was expected, what was seen, and what it usually means.
 */
#ifndef RETREAT_SUPPORT_FETCH_H
#define RETREAT_SUPPORT_FETCH_H

#include <pthread.h>
#include <stddef.h>

#include "comicsrv.h"
#include "err.h"
#include "fetch.h"
#include "ladder.h"
#include "runlog.h"
#include "support_rules.h"

#define SUPPORT_FEEDS_MAX 64

/* A run that waits on the network for at least SUPPORT_BUSY_MIN_S seconds
 * and uses more than SUPPORT_BUSY_SHARE of a core meanwhile is busy-waiting
 * (support_fetch_check_concurrent). A style that sleeps until a socket is
 * ready uses 1-2 % (the reference 12: 0.011 s of CPU in 0.79 s); a busy loop
 * uses a whole core on an idle machine, and still a third of one on the
 * 2-core workshop machine shared by eight jobs (0.27 s in 0.81 s) - hence
 * the low bar. */
#define SUPPORT_BUSY_MIN_S 0.3
#define SUPPORT_BUSY_SHARE 0.1

/* A running comic server and the URLs a test fetches from it. */
struct support_feeds {
    struct comicsrv *srv;
    size_t count; /* URLs in the list */
    char urls[SUPPORT_FEEDS_MAX][COMICSRV_URL_MAX];
    const char *list[SUPPORT_FEEDS_MAX]; /* urls[i], as fetch_job wants them */
    int bad[SUPPORT_FEEDS_MAX];          /* 1 if urls[i] must fail */
    int comic[SUPPORT_FEEDS_MAX];        /* the comic behind urls[i]; -1 if none */
};

/* Starts a server with `comics` comics whose requests each take that comic's
 * own delay (0.1 to 2.1 times latency_ms, no jitter) and lists their feeds,
 * sorted slowest first when slowest_first is 1 (so that readiness order is
 * the reverse of list order), else in comic order. */
int support_feeds_start(struct support_feeds *f, unsigned comics, unsigned latency_ms,
                        int slowest_first, struct err *err);

/* Appends a URL; one starting with '/' is a path on the server. bad says it
 * must fail. */
int support_feeds_add(struct support_feeds *f, const char *url, int bad, struct err *err);

/* Appends the feed of comic i with a query ("fault=404") that decides its fate. */
int support_feeds_add_query(struct support_feeds *f, unsigned i, const char *query, int bad,
                            struct err *err);

/* Adds the bad URLs every errors test uses: a missing feed (404), a server
 * error that never heals (500), a malformed feed, a redirect loop, a feed too
 * large to accept, a refused connection, and a URL that is not http(s) - plus
 * one good feed that answers 503 once and must succeed when retried. */
int support_feeds_add_bad(struct support_feeds *f, struct err *err);

void support_feeds_stop(struct support_feeds *f);

/* What one run of a style did. */
struct support_fetch_run {
    const char *style;
    int rc;         /* what the style returned */
    double seconds; /* wall time */
    struct fetch_job job;
    struct fetch_result results[SUPPORT_FEEDS_MAX];
    pthread_mutex_t lock;             /* on_open may run on many threads */
    size_t opened[SUPPORT_FEEDS_MAX]; /* indexes, in the order on_open saw them */
    size_t nopened;
    int opened_twice;          /* an index on_open saw more than once */
    struct runlog_span *spans; /* the in-memory run log, read back */
    size_t nspans;
    struct support_rules_seen rules; /* a README warning broken; CPU time */
};

/* Runs style over f's URLs (FETCH_COMIC) with `threads` workers and, if
 * deadline_ms > 0, that total deadline. Fails only if the harness could not
 * run it; what the style did is in run. */
int support_fetch_style(struct support_fetch_run *run, int (*style)(const struct fetch_job *),
                        const char *name, const struct support_feeds *f, int threads,
                        long deadline_ms, struct err *err);

void support_fetch_run_free(struct support_fetch_run *run);

/* --- Checks ------------------------------------------------------------------ */

/* The style returned 0; every good URL is DONE with its comic's newest page
 * as link, was opened exactly once, and has a successful "feed" and "head"
 * span in the run log. */
int support_fetch_check_correct(const struct support_fetch_run *run, const struct support_feeds *f,
                                struct err *err);

/* Every bad URL is FAILED with a message naming the URL and a reason; every
 * good one is DONE; every URL was opened (reported) exactly once. */
int support_fetch_check_errors(const struct support_fetch_run *run, const struct support_feeds *f,
                               struct err *err);

/* At some instant at least min_inflight "feed" or "head" requests were in
 * flight (fetch_peak_inflight, on the wire); with min_workers > 1, spans also
 * ran on at least that many distinct threads; and the run did not busy-wait
 * (CPU time, see SUPPORT_BUSY_SHARE). */
int support_fetch_check_concurrent(const struct support_fetch_run *run, size_t min_inflight,
                                   size_t min_workers, struct err *err);

/* Requests ran on no more than max_workers distinct threads, and every good
 * URL is DONE. */
int support_fetch_check_workers(const struct support_fetch_run *run, const struct support_feeds *f,
                                size_t max_workers, struct err *err);

/* Comics were opened as they became ready: whenever comic a's chain is
 * clearly shorter than comic b's (by more than the margin), a was opened
 * before b - whatever their places in the list. */
int support_fetch_check_order(const struct support_fetch_run *run, const struct support_feeds *f,
                              struct err *err);

/* The run took no longer than `seconds`. */
int support_fetch_check_time(const struct support_fetch_run *run, double seconds, const char *why,
                             struct err *err);

/* GETs url into a malloc'ed buffer (*data, *len): the tests' own plain
 * download, to compare a style's results with. */
int support_fetch_get(const char *url, unsigned char **data, size_t *len, struct err *err);

/* --- Whole scenarios: one per test, so that each NN-name.c is a short list ---
 * Each starts a server, runs the style, checks, cleans up, and returns 0 or
 * -1 with the first failed check's message. */

typedef int support_fetch_fn(const struct fetch_job *job);

/* 6 comics: every one DONE with its newest page (check_correct). */
int support_fetch_test_correct(support_fetch_fn *style, const char *name, int threads,
                               struct err *err);

/* 3 comics and support_feeds_add_bad()'s URLs (check_errors). */
int support_fetch_test_errors(support_fetch_fn *style, const char *name, int threads,
                              struct err *err);

/* 3 comics and, listed last, a feed drip-fed too slowly to finish within the
 * run's 1.5 s deadline: it fails naming the deadline, the others are done,
 * and the run ends soon after the deadline. */
int support_fetch_test_deadline(support_fetch_fn *style, const char *name, int threads,
                                struct err *err);

/* 8 comics of 200 ms mean delay (check_concurrent). */
int support_fetch_test_concurrent(support_fetch_fn *style, const char *name, int threads,
                                  size_t min_inflight, size_t min_workers, struct err *err);

/* 8 comics, threads workers (check_workers). */
int support_fetch_test_workers(support_fetch_fn *style, const char *name, int threads,
                               struct err *err);

/* 8 comics listed slowest first (check_order). */
int support_fetch_test_order(support_fetch_fn *style, const char *name, int threads,
                             struct err *err);

#endif
