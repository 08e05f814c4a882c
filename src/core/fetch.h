/* fetch.h - the fetch job: many URLs, one chain of requests each, any style.
 *
 * The I/O-bound half of the workshop. A *fetch job* is a list of URLs and what
 * to do with each; a *fetch style* (exercises 09-14, solutions/09-.. 14-..)
 * decides who waits for which response, and when. Everything that is the
 * same in every style lives here, so that each exercise is only about its own
 * kind of concurrency.
 *
 * One URL is one *chain* of dependent requests:
 *
 *     FETCH_COMIC   GET the feed (phase "feed"), parse its newest entry
 *                   (feed.h), HEAD the comic page to check it is really there
 *                   (phase "head") and, with want_image, GET the image
 *                   enclosure (phase "image").
 *     FETCH_PLAIN   GET the URL (phase "get"), for `retreat fetch`.
 *
 * When an item's chain ends - well or badly - its fetch_result is filled in
 * and the job's on_open callback runs at once: "open this comic". With the
 * concurrent styles, a fast feed listed late is opened before a slow one
 * listed early.
 *
 * A chain is driven through a `struct fetch_xfer`, which owns one libcurl easy
 * handle already set up with the house rules:
 *  - http and https only, also after redirects (CURLOPT_PROTOCOLS_STR);
 *  - at most limits.max_redirects redirects;
 *  - a timeout per request, cut short by the job's total deadline;
 *  - a body size cap: the write callback aborts the transfer past it;
 *  - retries with doubling backoff for 5xx answers and connection errors;
 *  - CURLOPT_NOSIGNAL, because signals and threads do not mix;
 *  - URLs longer than FETCH_URL_MAX - 1 are refused, never cut short.
 * Every request becomes a run-log span (style = job->style, item = URL) that
 * covers the request *on the wire*: it starts when libcurl sends it
 * (CURLOPT_PREREQFUNCTION), not when it is set up, and ends when libcurl saw
 * it complete. A style that sets up every URL but performs them one at a time
 * shows as requests queued one after another, which is what they were.
 *
 * A blocking style (09-11) drives a chain like this:
 *
 *     struct fetch_xfer x;
 *     if (fetch_xfer_init(&x, job, i) == 0) {
 *         do {
 *             clock_sleep_ms(fetch_xfer_wait_ms(&x));   // backoff before a retry
 *         } while (fetch_xfer_done(&x, curl_easy_perform(x.easy)) == 1);
 *     }
 *     fetch_xfer_cleanup(&x);
 *
 * A multi style (12-13) adds x.easy to its multi handle instead, finds the
 * xfer again through CURLINFO_PRIVATE when curl_multi_info_read() reports the
 * transfer finished, removes the handle and calls fetch_xfer_done(): when it
 * returns 1, the next request of the chain is set up on the same handle and
 * goes back into the multi handle (after fetch_xfer_wait_ms()).
 *
 * Thread safety: distinct xfers may run on distinct threads at the same time.
 * on_open may be called from several threads at once; make it thread-safe.
 * Call fetch_global_init() once before starting threads (libcurl's
 * curl_global_init is not thread-safe).
 */
#ifndef RETREAT_FETCH_H
#define RETREAT_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "err.h"
#include "runlog.h"

#define FETCH_URL_MAX 2048 /* as FEED_URL_MAX */

/* Defaults for the limits left at 0. */
#define FETCH_TIMEOUT_MS_DEFAULT 10000            /* per request */
#define FETCH_MAX_REDIRECTS_DEFAULT 5             /* per request */
#define FETCH_MAX_BODY_DEFAULT (8u * 1024 * 1024) /* bytes per response */
#define FETCH_RETRIES_DEFAULT 2                   /* extra attempts per request */
#define FETCH_BACKOFF_MS_DEFAULT 100              /* before the first retry, doubling */

enum fetch_mode {
    FETCH_COMIC = 0, /* feed -> newest comic link -> HEAD it (-> GET its image) */
    FETCH_PLAIN,     /* one GET per URL */
};

enum fetch_status {
    FETCH_PENDING = 0, /* nobody has finished this item (yet) */
    FETCH_DONE,        /* the chain succeeded */
    FETCH_FAILED,      /* see error */
};

struct fetch_result {
    enum fetch_status status;
    long http_code;                /* status of the last response (0: none) */
    char link[FETCH_URL_MAX];      /* FETCH_COMIC: the newest comic's page */
    char image_url[FETCH_URL_MAX]; /* FETCH_COMIC: its image enclosure ("" if none) */
    unsigned char *image;          /* want_image: the image bytes (malloc'ed) ... */
    size_t image_len;              /* ... and their size; see fetch_result_clear() */
    size_t bytes;                  /* body bytes received over the whole chain */
    int requests;                  /* requests made, retries included */
    uint64_t done_ns;              /* when the chain ended (clock_now_ns) */
    char error[ERR_MSG_MAX];       /* FETCH_FAILED: "URL: reason" */
};

/* Zero means "the default" for every field. */
struct fetch_limits {
    long timeout_ms; /* per request */
    long max_redirects;
    size_t max_body; /* bytes per response body */
    int retries;     /* extra attempts on 5xx and connection errors; -1: none */
    long backoff_ms; /* wait before the first retry; doubles each time */
};

struct fetch_job;

/* "Open this comic": item index's chain has ended; r->status says how. May
 * take ownership of r->image (set it to NULL). */
typedef void fetch_open_fn(void *user, size_t index, struct fetch_result *r);

struct fetch_job {
    const char *style;       /* name written into the run log */
    const char *const *urls; /* feed URLs (FETCH_COMIC) or plain URLs */
    size_t count;            /* number of urls */
    enum fetch_mode mode;
    int want_image; /* FETCH_COMIC: also GET the image (capstone) */
    int threads;    /* workers a pool may use (>= 1) */
    struct fetch_limits limits;
    uint64_t deadline_ns;         /* clock_now_ns() after which nothing new starts
                                     and running requests are cut; 0: none.
                                     See fetch_job_deadline(). */
    struct runlog *log;           /* where spans go; NULL: nowhere */
    struct fetch_result *results; /* count entries, zeroed before the run */
    fetch_open_fn *on_open;       /* may be NULL */
    void *user;                   /* passed to on_open */
};

/* Sets job->deadline_ns to ms milliseconds from now (0: no deadline). */
void fetch_job_deadline(struct fetch_job *job, long ms);

/* curl_global_init(CURL_GLOBAL_DEFAULT), exactly once per process, however
 * many threads call it. Every style calls it before anything else. */
int fetch_global_init(struct err *err);

/* Frees what a result owns (the image) and keeps the rest. */
void fetch_result_clear(struct fetch_result *r);

/* Counts results with the given status. */
size_t fetch_count(const struct fetch_job *job, enum fetch_status status);

/* --- One chain of requests --------------------------------------------------- */

struct fetch_body {
    char *data; /* NUL-terminated for convenience */
    size_t len, cap, max;
    int too_big; /* the cap was hit: the transfer was aborted */
};

struct fetch_xfer {
    CURL *easy; /* the handle to perform (or add to a multi) */
    const struct fetch_job *job;
    size_t index;            /* the item: job->urls[index] */
    int step;                /* which request of the chain (internal) */
    int attempt;             /* 0 for a first try, then 1, 2 ... */
    uint64_t start_after_ns; /* do not start before this (retry backoff) */
    int deadline_cut;        /* the request's timeout is the job's deadline */
    void *user;              /* free for the style (a list link, a slot) */
    struct fetch_body body;
    struct runlog_span span;
    uint64_t wire_ns;        /* when libcurl sent the request; 0: not yet (internal) */
    char url[FETCH_URL_MAX]; /* the request being made */
    char errbuf[CURL_ERROR_SIZE];
};

/* Creates x->easy and sets up the first request of item index's chain, with
 * CURLOPT_PRIVATE pointing to x. Returns -1 if the item could not even start
 * (no memory, deadline passed): then the item is already marked failed and
 * reported. Call fetch_xfer_cleanup() in both cases. */
int fetch_xfer_init(struct fetch_xfer *x, const struct fetch_job *job, size_t index);

/* Milliseconds to wait before performing the request set up on x->easy: 0
 * except before a retry. */
long fetch_xfer_wait_ms(const struct fetch_xfer *x);

/* To be called once the request on x->easy has finished, with its CURLcode
 * (curl_easy_perform's return, or CURLMsg.data.result); a multi style removes
 * the handle from its multi handle first. Ends the request's
 * span, then either:
 *  - returns 1: another request (the next of the chain, or a retry) is set up
 *    on x->easy; perform it after fetch_xfer_wait_ms(x);
 *  - returns 0: the chain is over; the result is filled in and on_open ran. */
int fetch_xfer_done(struct fetch_xfer *x, CURLcode rc);

/* Frees the easy handle and buffers; safe after a failed init, and twice. */
void fetch_xfer_cleanup(struct fetch_xfer *x);

/* --- What a run log says about a fetch run (fetch_stats.c) --------------------
 * The blur styles count overlap on distinct workers; a multi style runs every
 * request on one thread, so here overlap is counted in time alone. */

/* Largest number of matching spans in flight at one instant (style or phase
 * NULL: any). */
size_t fetch_peak_inflight(const struct runlog_span *spans, size_t count, const char *style,
                           const char *phase);

#endif
