/* support_fetch.c - what the fetch exercise tests have in common; see
 * support_fetch.h.
 *
 * The comic server is started without jitter, so every request of comic i
 * takes exactly comicsrv_feed_delay_ms(i): a chain (feed, then page) takes
 * twice that, and the tests know in which order a style that opens comics
 * as they become ready must open them.
 */
#include "support_fetch.h"

#include "grade_cause.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* Two chains must differ by more than this before their order is checked:
 * a busy two-core machine can delay a thread by tens of milliseconds. */
#define ORDER_MARGIN_MS 150

/* --- The server and its URLs -------------------------------------------------- */

static int add(struct support_feeds *f, const char *url, int bad, int comic, struct err *err)
{
    if (f->count == SUPPORT_FEEDS_MAX)
        return err_set(err, "support: more than %d URLs", SUPPORT_FEEDS_MAX);
    char *dst = f->urls[f->count];
    if (url[0] == '/') {
        if (comicsrv_url(f->srv, url, dst, COMICSRV_URL_MAX) != 0)
            return err_set(err, "support: URL for %s too long", url);
    } else {
        snprintf(dst, COMICSRV_URL_MAX, "%s", url);
    }
    f->list[f->count] = dst;
    f->bad[f->count] = bad;
    f->comic[f->count] = comic;
    f->count++;
    return 0;
}

int support_feeds_add(struct support_feeds *f, const char *url, int bad, struct err *err)
{
    return add(f, url, bad, -1, err);
}

int support_feeds_add_query(struct support_feeds *f, unsigned i, const char *query, int bad,
                            struct err *err)
{
    char url[COMICSRV_URL_MAX];
    if (comicsrv_feed_url(f->srv, i, url, sizeof url) != 0)
        return err_set(err, "support: no comic %u", i);
    char full[COMICSRV_URL_MAX + 64];
    snprintf(full, sizeof full, "%s?%s", url, query);
    return add(f, full, bad, bad ? -1 : (int)i, err);
}

int support_feeds_start(struct support_feeds *f, unsigned comics, unsigned latency_ms,
                        int slowest_first, struct err *err)
{
    memset(f, 0, sizeof *f);
    struct comicsrv_opts o = {.count = comics, .seed = 2017, .latency_ms = latency_ms};
    if (comicsrv_start(&f->srv, &o, err) != 0)
        return err_prefix(err, "support: cannot start the comic server: ");

    unsigned order[SUPPORT_FEEDS_MAX];
    for (unsigned i = 0; i < comics && i < SUPPORT_FEEDS_MAX; i++)
        order[i] = i;
    if (slowest_first) { /* insertion sort by delay, slowest first */
        for (unsigned i = 1; i < comics; i++) {
            unsigned v = order[i], j = i;
            for (; j > 0 &&
                   comicsrv_feed_delay_ms(f->srv, order[j - 1]) < comicsrv_feed_delay_ms(f->srv, v);
                 j--)
                order[j] = order[j - 1];
            order[j] = v;
        }
    }
    for (unsigned i = 0; i < comics; i++) {
        char url[COMICSRV_URL_MAX];
        if (comicsrv_feed_url(f->srv, order[i], url, sizeof url) != 0 ||
            add(f, url, 0, (int)order[i], err) != 0) {
            support_feeds_stop(f);
            return err_set(err, "support: cannot list the feed of comic %u", order[i]);
        }
    }
    return 0;
}

int support_feeds_add_bad(struct support_feeds *f, struct err *err)
{
    if (support_feeds_add_query(f, 0, "fault=404", 1, err) != 0 ||
        support_feeds_add_query(f, 0, "fault=500", 1, err) != 0 ||
        support_feeds_add_query(f, 0, "fault=malformed", 1, err) != 0 ||
        support_feeds_add_query(f, 0, "fault=loop", 1, err) != 0 ||
        support_feeds_add_query(f, 0, "fault=huge", 1, err) != 0 ||
        support_feeds_add(f, "http://127.0.0.1:1/feed.xml", 1, err) != 0 ||
        support_feeds_add(f, "ftp://127.0.0.1/feed.xml", 1, err) != 0 ||
        support_feeds_add_query(f, 0, "fault=503:n=1", 0, err) != 0)
        return -1;
    return 0;
}

void support_feeds_stop(struct support_feeds *f)
{
    comicsrv_stop(f->srv);
    f->srv = NULL;
}

/* --- Running a style ------------------------------------------------------------ */

static void on_open(void *user, size_t index, struct fetch_result *r)
{
    (void)r;
    struct support_fetch_run *run = user;
    pthread_mutex_lock(&run->lock);
    for (size_t k = 0; k < run->nopened; k++)
        if (run->opened[k] == index)
            run->opened_twice = 1;
    if (run->nopened < SUPPORT_FEEDS_MAX)
        run->opened[run->nopened++] = index;
    pthread_mutex_unlock(&run->lock);
}

int support_fetch_style(struct support_fetch_run *run, int (*style)(const struct fetch_job *),
                        const char *name, const struct support_feeds *f, int threads,
                        long deadline_ms, struct err *err)
{
    memset(run, 0, sizeof *run);
    pthread_mutex_init(&run->lock, NULL);
    run->style = name;
    struct runlog *log = NULL;
    if (runlog_open_memory(&log, err) != 0)
        return -1;
    run->job = (struct fetch_job){
        .style = name,
        .urls = f->list,
        .count = f->count,
        .mode = FETCH_COMIC,
        .threads = threads,
        .limits = {.timeout_ms = 5000, .backoff_ms = 50},
        .log = log,
        .results = run->results,
        .on_open = on_open,
        .user = run,
    };
    fetch_job_deadline(&run->job, deadline_ms);
    uint64_t t0 = clock_now_ns();
    support_rules_begin();
    run->rc = style(&run->job);
    support_rules_end(&run->rules);
    run->seconds = clock_seconds(t0, clock_now_ns());
    int rc = runlog_snapshot(log, &run->spans, &run->nspans, err);
    runlog_close(log);
    run->job.log = NULL;
    return rc;
}

void support_fetch_run_free(struct support_fetch_run *run)
{
    for (size_t i = 0; i < SUPPORT_FEEDS_MAX; i++)
        fetch_result_clear(&run->results[i]);
    free(run->spans);
    run->spans = NULL;
    pthread_mutex_destroy(&run->lock);
}

/* --- Checks ------------------------------------------------------------------------ */

static const char *status_name(enum fetch_status s)
{
    return s == FETCH_DONE ? "done" : s == FETCH_FAILED ? "failed" : "pending (never finished)";
}

static int check_returned(const struct support_fetch_run *run, struct err *err)
{
    if (run->rc != 0)
        return err_set(err,
                       "%s returned %d; a style returns 0 when it ran, even if some URLs "
                       "failed (their results say so)",
                       run->style, run->rc);
    if (run->opened_twice)
        return err_set(err, "on_open was called twice for one URL: is a chain finished twice?");
    if (run->rules.broken[0] != '\0')
        return err_set(err, "%s", run->rules.broken);
    return 0;
}

/* 1 if the run log has a successful span of phase for item index. */
static int has_span(const struct support_fetch_run *run, size_t index, const char *phase)
{
    for (size_t k = 0; k < run->nspans; k++)
        if (run->spans[k].index == (long)index && run->spans[k].ok &&
            strcmp(run->spans[k].phase, phase) == 0)
            return 1;
    return 0;
}

static int was_opened(const struct support_fetch_run *run, size_t index)
{
    for (size_t k = 0; k < run->nopened; k++)
        if (run->opened[k] == index)
            return 1;
    return 0;
}

int support_fetch_check_correct(const struct support_fetch_run *run, const struct support_feeds *f,
                                struct err *err)
{
    if (check_returned(run, err) != 0)
        return -1;
    for (size_t i = 0; i < f->count; i++) {
        if (f->bad[i])
            continue;
        const struct fetch_result *r = &run->results[i];
        if (r->status != FETCH_DONE)
            return err_set(err, "%s: expected done, got %s%s%s", f->list[i], status_name(r->status),
                           r->error[0] ? ": " : "", r->error);
        char want[COMICSRV_URL_MAX], path[64];
        snprintf(path, sizeof path, "/comic/%d/%d.html", f->comic[i], COMICSRV_EPISODES);
        comicsrv_url(f->srv, path, want, sizeof want);
        if (strcmp(r->link, want) != 0)
            return err_set(err, "%s: newest comic is %s, got '%s'", f->list[i], want, r->link);
        if (!was_opened(run, i))
            return err_set(err, "%s is done but on_open never ran for it", f->list[i]);
        if (!has_span(run, i, "feed") || !has_span(run, i, "head"))
            return err_set(err,
                           "%s: the run log lacks a successful \"feed\" and \"head\" span "
                           "(every request is a span: fetch_xfer_init/done write them)",
                           f->list[i]);
    }
    return 0;
}

int support_fetch_check_errors(const struct support_fetch_run *run, const struct support_feeds *f,
                               struct err *err)
{
    if (check_returned(run, err) != 0)
        return -1;
    for (size_t i = 0; i < f->count; i++) {
        const struct fetch_result *r = &run->results[i];
        if (!was_opened(run, i)) {
            /* Which others were finished says which mistake it is: the good
             * ones all done means only failures get lost. */
            size_t good_done = 0, good = 0;
            for (size_t k = 0; k < f->count; k++) {
                good += !f->bad[k];
                good_done += !f->bad[k] && run->results[k].status == FETCH_DONE;
            }
            struct grade_unopened_evidence e = {.bad = f->bad[i],
                                                .pending = r->status == FETCH_PENDING,
                                                .good_done = good_done,
                                                .good = good};
            return err_set(err, "%s %s (status %s; %zu of %zu good URLs done)", f->list[i],
                           grade_cause_unopened(&e), status_name(r->status), good_done, good);
        }
        if (!f->bad[i]) {
            if (r->status != FETCH_DONE)
                return err_set(err, "%s should have succeeded, got %s: %s", f->list[i],
                               status_name(r->status), r->error);
            continue;
        }
        if (r->status != FETCH_FAILED)
            return err_set(err, "%s must fail, got %s", f->list[i], status_name(r->status));
        size_t n = strlen(f->list[i]);
        if (strncmp(r->error, f->list[i], n) != 0 || strlen(r->error) < n + 4)
            return err_set(err, "the error for %s must name the URL and the reason, got '%s'",
                           f->list[i], r->error);
    }
    return 0;
}

int support_fetch_check_concurrent(const struct support_fetch_run *run, size_t min_inflight,
                                   size_t min_workers, struct err *err)
{
    size_t feed = fetch_peak_inflight(run->spans, run->nspans, run->style, "feed");
    size_t head = fetch_peak_inflight(run->spans, run->nspans, run->style, "head");
    size_t peak = feed > head ? feed : head;
    if (peak < min_inflight) {
        /* The spans are the requests' time on the wire (fetch.h): set up
         * early but sent late is queued, and this shows it. */
        size_t n = 0, queued = 0;
        for (size_t i = 0; i < run->nspans; i++) {
            const struct runlog_span *a = &run->spans[i];
            if (strcmp(a->style, run->style) != 0 || strcmp(a->phase, "feed") != 0)
                continue;
            n++;
            int alone = 1; /* on the wire with no other feed request */
            for (size_t j = 0; j < run->nspans && alone; j++) {
                const struct runlog_span *b = &run->spans[j];
                alone = j == i || strcmp(b->style, run->style) != 0 ||
                        strcmp(b->phase, "feed") != 0 || b->end_ns <= a->start_ns ||
                        a->end_ns <= b->start_ns;
            }
            queued += alone;
        }
        if (peak <= 1)
            return err_set(err,
                           "the %zu feed requests went on the wire one after another (at most "
                           "%zu in flight at once; expected %zu or more): they queued rather "
                           "than ran together. Setting a transfer up is not starting it: are "
                           "they performed one at a time (curl_easy_perform in a loop, or a "
                           "wait for each before the next is added)?",
                           n, peak, min_inflight);
        return err_set(err,
                       "at most %zu requests were in flight at once (%zu of %zu feed requests "
                       "had the wire to themselves); expected %zu or more. Are requests "
                       "started before waiting for any of them?",
                       peak, queued, n, min_inflight);
    }
    size_t workers = runlog_workers(run->spans, run->nspans, run->style, NULL);
    if (workers < min_workers)
        return err_set(err, "requests ran on %zu thread(s); expected at least %zu", workers,
                       min_workers);
    /* Waiting for the network costs no CPU when the style sleeps until a
     * socket is ready. A busy loop spins a core the whole time; on a loaded
     * machine it gets less than a core, hence the generous share. */
    if (run->seconds >= SUPPORT_BUSY_MIN_S &&
        run->rules.cpu_seconds > SUPPORT_BUSY_SHARE * run->seconds)
        return err_set(err,
                       "requests were in flight together, but the run used %.2f s of CPU in "
                       "%.2f s that it spent waiting for the network: a busy loop? "
                       "curl_multi_poll() (or epoll_wait) sleeps until a socket is ready or "
                       "a timer is due; calling curl_multi_perform() over and over spins a core "
                       "(a style that sleeps uses a few percent of one)",
                       run->rules.cpu_seconds, run->seconds);
    return 0;
}

int support_fetch_check_workers(const struct support_fetch_run *run, const struct support_feeds *f,
                                size_t max_workers, struct err *err)
{
    if (check_returned(run, err) != 0)
        return -1;
    for (size_t i = 0; i < f->count; i++)
        if (!f->bad[i] && run->results[i].status != FETCH_DONE)
            return err_set(err, "%s: expected done, got %s", f->list[i],
                           status_name(run->results[i].status));
    size_t workers = runlog_workers(run->spans, run->nspans, run->style, NULL);
    if (workers > max_workers)
        return err_set(err,
                       "requests ran on %zu distinct threads, but only %zu were allowed: "
                       "is a thread started per URL instead of per worker?",
                       workers, max_workers);
    return 0;
}

int support_fetch_check_order(const struct support_fetch_run *run, const struct support_feeds *f,
                              struct err *err)
{
    if (check_returned(run, err) != 0)
        return -1;
    for (size_t i = 0; i < f->count; i++)
        if (!f->bad[i] && (run->results[i].status != FETCH_DONE || !was_opened(run, i)))
            return err_set(err, "%s: expected done and opened, got %s", f->list[i],
                           status_name(run->results[i].status));
    for (size_t a = 0; a < run->nopened; a++) {
        for (size_t b = a + 1; b < run->nopened; b++) {
            /* a was opened before b: fine unless b's chain was clearly shorter. */
            size_t ia = run->opened[a], ib = run->opened[b];
            if (f->comic[ia] < 0 || f->comic[ib] < 0)
                continue;
            unsigned da = 2 * comicsrv_feed_delay_ms(f->srv, (unsigned)f->comic[ia]);
            unsigned db = 2 * comicsrv_feed_delay_ms(f->srv, (unsigned)f->comic[ib]);
            if (db + ORDER_MARGIN_MS < da)
                return err_set(err,
                               "%s (listed %zu, ready after ~%u ms) was opened before %s "
                               "(listed %zu, ready after ~%u ms): comics should open as "
                               "they become ready, not in list order",
                               f->list[ia], ia + 1, da, f->list[ib], ib + 1, db);
        }
    }
    return 0;
}

int support_fetch_check_time(const struct support_fetch_run *run, double seconds, const char *why,
                             struct err *err)
{
    if (run->seconds > seconds)
        return err_set(err, "the run took %.2f s, more than %.2f s: %s", run->seconds, seconds,
                       why);
    return 0;
}

/* --- A plain download ---------------------------------------------------------------- */

struct buf {
    unsigned char *data;
    size_t len;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct buf *b = userdata;
    unsigned char *p = realloc(b->data, b->len + size * nmemb);
    if (p == NULL)
        return 0;
    memcpy(p + b->len, data, size * nmemb);
    b->data = p;
    b->len += size * nmemb;
    return size * nmemb;
}

int support_fetch_get(const char *url, unsigned char **data, size_t *len, struct err *err)
{
    struct buf b = {0};
    CURL *h = curl_easy_init();
    if (h == NULL)
        return err_set(err, "support: cannot create a libcurl handle");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        free(b.data);
        return err_set(err, "support: GET %s: %s", url, curl_easy_strerror(rc));
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

/* --- Whole scenarios ---------------------------------------------------------------- */

/* Runs style over f with a run allocated here (it is large); NULL if the
 * harness failed, in which case the server is stopped already. */
static struct support_fetch_run *run_on(struct support_feeds *f, support_fetch_fn *style,
                                        const char *name, int threads, long deadline_ms,
                                        struct err *err)
{
    struct support_fetch_run *run = calloc(1, sizeof *run);
    if (run == NULL) {
        support_feeds_stop(f);
        err_set(err, "support: out of memory");
        return NULL;
    }
    if (support_fetch_style(run, style, name, f, threads, deadline_ms, err) != 0) {
        support_fetch_run_free(run);
        free(run);
        support_feeds_stop(f);
        return NULL;
    }
    return run;
}

/* Frees the run, stops the server, and passes rc on. */
static int run_end(struct support_fetch_run *run, struct support_feeds *f, int rc)
{
    support_fetch_run_free(run);
    free(run);
    support_feeds_stop(f);
    return rc;
}

/* Runs style over f, then check(). */
static int scenario(struct support_feeds *f, support_fetch_fn *style, const char *name, int threads,
                    long deadline_ms,
                    int (*check)(const struct support_fetch_run *, const struct support_feeds *,
                                 struct err *),
                    struct err *err)
{
    struct support_fetch_run *run = run_on(f, style, name, threads, deadline_ms, err);
    if (run == NULL)
        return -1;
    return run_end(run, f, check(run, f, err));
}

int support_fetch_test_correct(support_fetch_fn *style, const char *name, int threads,
                               struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 6, 50, 0, err) != 0)
        return -1;
    return scenario(&f, style, name, threads, 0, support_fetch_check_correct, err);
}

int support_fetch_test_errors(support_fetch_fn *style, const char *name, int threads,
                              struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 3, 20, 0, err) != 0)
        return -1;
    if (support_feeds_add_bad(&f, err) != 0) {
        support_feeds_stop(&f);
        return -1;
    }
    return scenario(&f, style, name, threads, 0, support_fetch_check_errors, err);
}

#define DEADLINE_MS 1500
#define DEADLINE_SLACK_S 2.0 /* loaded machine: ends within the deadline + this */

static int check_deadline(const struct support_fetch_run *run, const struct support_feeds *f,
                          struct err *err)
{
    if (support_fetch_check_errors(run, f, err) != 0)
        return -1;
    const struct fetch_result *slow = &run->results[f->count - 1];
    if (strstr(slow->error, "deadline") == NULL)
        return err_set(err, "the slow feed should fail because of the total deadline, got '%s'",
                       slow->error);
    return support_fetch_check_time(run, DEADLINE_MS / 1000.0 + DEADLINE_SLACK_S,
                                    "the total deadline was not respected", err);
}

int support_fetch_test_deadline(support_fetch_fn *style, const char *name, int threads,
                                struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 3, 20, 0, err) != 0)
        return -1;
    /* 64 bytes every 400 ms: a feed of a few kilobytes takes far longer than
     * the deadline, and keeps sending, so no per-request timeout fires first. */
    if (support_feeds_add_query(&f, 1, "fault=slow:n=400", 1, err) != 0) {
        support_feeds_stop(&f);
        return -1;
    }
    return scenario(&f, style, name, threads, DEADLINE_MS, check_deadline, err);
}

int support_fetch_test_concurrent(support_fetch_fn *style, const char *name, int threads,
                                  size_t min_inflight, size_t min_workers, struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 8, 200, 0, err) != 0)
        return -1;
    struct support_fetch_run *run = run_on(&f, style, name, threads, 0, err);
    if (run == NULL)
        return -1;
    int rc = support_fetch_check_correct(run, &f, err);
    if (rc == 0)
        rc = support_fetch_check_concurrent(run, min_inflight, min_workers, err);
    return run_end(run, &f, rc);
}

int support_fetch_test_workers(support_fetch_fn *style, const char *name, int threads,
                               struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 8, 50, 0, err) != 0)
        return -1;
    struct support_fetch_run *run = run_on(&f, style, name, threads, 0, err);
    if (run == NULL)
        return -1;
    return run_end(run, &f, support_fetch_check_workers(run, &f, (size_t)threads, err));
}

int support_fetch_test_order(support_fetch_fn *style, const char *name, int threads,
                             struct err *err)
{
    struct support_feeds f;
    if (support_feeds_start(&f, 8, 200, 1, err) != 0)
        return -1;
    return scenario(&f, style, name, threads, 0, support_fetch_check_order, err);
}
