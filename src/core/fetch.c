/* fetch.c - one chain of requests on one libcurl easy handle, for every style.
 *
 * The styles of the fetch track differ only in who waits for a response; the
 * requests themselves - the safety options, retries, the feed parsing between
 * "feed" and "head", the result and the run-log spans - are the same, and live
 * here. See fetch.h for how a style drives a `struct fetch_xfer`.
 *
 * The chain is a tiny state machine over x->step:
 *
 *     FETCH_COMIC   STEP_FEED -> (feed_parse) -> STEP_HEAD [-> STEP_IMAGE]
 *     FETCH_PLAIN   STEP_GET
 *
 * fetch_xfer_done() looks at how the last request ended, and either sets up
 * the same request again (a retry), sets up the next one, or ends the chain.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "feed.h"
#include "fetch.h"

enum { STEP_FEED, STEP_HEAD, STEP_IMAGE, STEP_GET };

static const char *const step_phase[] = {"feed", "head", "image", "get"};

/* --- Process-wide setup --------------------------------------------------------
 * curl_global_init() is not thread-safe and must run once, before any thread
 * uses libcurl: pthread_once gives exactly that. This is the one piece of
 * global state in the fetch code, and libcurl is what demands it. */

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init_once(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fetch_global_init(struct err *err)
{
    pthread_once(&global_once, global_init_once);
    if (global_rc != CURLE_OK)
        return err_set(err, "libcurl: cannot initialise: %s", curl_easy_strerror(global_rc));
    return 0;
}

void fetch_job_deadline(struct fetch_job *job, long ms)
{
    job->deadline_ns = ms > 0 ? clock_now_ns() + (uint64_t)ms * 1000000u : 0;
}

void fetch_result_clear(struct fetch_result *r)
{
    free(r->image);
    r->image = NULL;
    r->image_len = 0;
}

size_t fetch_count(const struct fetch_job *job, enum fetch_status status)
{
    size_t n = 0;
    for (size_t i = 0; i < job->count; i++)
        n += job->results[i].status == status;
    return n;
}

/* --- Limits, with their defaults ------------------------------------------------ */

static long timeout_ms(const struct fetch_job *job)
{
    return job->limits.timeout_ms > 0 ? job->limits.timeout_ms : FETCH_TIMEOUT_MS_DEFAULT;
}

static size_t max_body(const struct fetch_job *job)
{
    return job->limits.max_body > 0 ? job->limits.max_body : FETCH_MAX_BODY_DEFAULT;
}

static int retries(const struct fetch_job *job)
{
    if (job->limits.retries < 0)
        return 0;
    return job->limits.retries > 0 ? job->limits.retries : FETCH_RETRIES_DEFAULT;
}

static long backoff_ms(const struct fetch_job *job, int attempt)
{
    long ms = job->limits.backoff_ms > 0 ? job->limits.backoff_ms : FETCH_BACKOFF_MS_DEFAULT;
    return ms << (attempt > 10 ? 10 : attempt - 1); /* 1st retry: ms, 2nd: 2 ms, ... */
}

/* --- The body: grown as data arrives, never past its cap ------------------------ */

/* libcurl hands us the body in pieces as they arrive. Returning anything but
 * the size we were given aborts the transfer (CURLE_WRITE_ERROR): that is how
 * a server cannot make us buffer a "huge" response. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct fetch_body *b = userdata;
    size_t n = size * nmemb;
    if (n > b->max - b->len) {
        b->too_big = 1;
        return 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->data, cap);
        if (p == NULL)
            return 0;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

/* --- When a request was on the wire -------------------------------------------
 * A span must show when the request was really in flight, or a style that
 * sets up every transfer at once but performs them one after another would
 * look concurrent: its queued requests would all "start" at set-up. libcurl
 * calls CURLOPT_PREREQFUNCTION once the connection is made, just before it
 * sends the request - the start. (CURLINFO_PRETRANSFER_TIME_T would give the
 * same moment, but relative to a start libcurl picks, which for a handle
 * waiting in a multi handle's queue is not the moment it was sent.) The end
 * is when libcurl saw the transfer complete (CURLINFO_TOTAL_TIME_T), not when
 * the style got round to calling fetch_xfer_done. */
static int on_prereq(void *userdata, char *conn_primary_ip, char *conn_local_ip,
                     int conn_primary_port, int conn_local_port)
{
    (void)conn_primary_ip, (void)conn_local_ip, (void)conn_primary_port, (void)conn_local_port;
    struct fetch_xfer *x = userdata;
    if (x->wire_ns == 0) /* a redirect sends again: the first send starts the span */
        x->wire_ns = clock_now_ns();
    return CURL_PREREQFUNC_OK;
}

/* Sets x->span's start and end to the request's time on the wire (see above). */
static void wire_times(struct fetch_xfer *x)
{
    uint64_t now = clock_now_ns();
    curl_off_t total = 0, pre = 0; /* microseconds since libcurl's start of it */
    curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total);
    curl_easy_getinfo(x->easy, CURLINFO_PRETRANSFER_TIME_T, &pre);
    if (x->wire_ns == 0) {
        /* Never sent (no connection): it took libcurl `total` to give up. */
        uint64_t took = total > 0 ? (uint64_t)total * 1000u : 0;
        uint64_t start = now > took ? now - took : now;
        x->span.start_ns = start > x->span.start_ns ? start : x->span.start_ns;
        x->span.end_ns = now;
        return;
    }
    x->span.start_ns = x->wire_ns;
    uint64_t end = now;
    if (total > 0 && total >= pre) /* completion: the send, plus what followed it */
        end = x->wire_ns + (uint64_t)(total - pre) * 1000u;
    x->span.end_ns = end < x->wire_ns ? x->wire_ns : end > now ? now : end;
}

/* Writes the finished request's span with its wire times; detail NULL: ok. */
static void log_request(struct fetch_xfer *x, const char *detail)
{
    wire_times(x);
    x->span.ok = detail == NULL;
    if (detail != NULL)
        snprintf(x->span.detail, sizeof x->span.detail, "%s", detail);
    runlog_append(x->job->log, &x->span);
}

/* --- Ending a chain -------------------------------------------------------------- */

/* Fills in the result and tells the job's owner: "open this comic". reason is
 * NULL on success. Returns 0, the value of fetch_xfer_done for "chain over". */
static int finish(struct fetch_xfer *x, const char *reason)
{
    const struct fetch_job *job = x->job;
    struct fetch_result *r = &job->results[x->index];
    if (reason == NULL) {
        r->status = FETCH_DONE;
    } else {
        r->status = FETCH_FAILED;
        /* A URL too long to leave room for the reason is shown cut short. */
        const char *url = job->urls[x->index];
        int len = strlen(url) > 200 ? 200 : (int)strlen(url);
        snprintf(r->error, sizeof r->error, "%.*s%s: %s", len, url, url[len] ? "..." : "", reason);
    }
    r->done_ns = clock_now_ns();
    if (job->on_open != NULL)
        job->on_open(job->user, x->index, r);
    return 0;
}

/* Sets up the request of the current step on x->easy and starts its span.
 * Returns -1 with a reason in err when it cannot (deadline passed). */
static int setup_request(struct fetch_xfer *x, const char *url, struct err *err)
{
    const struct fetch_job *job = x->job;
    if (url != x->url) { /* a retry asks for the same URL again */
        /* Cut short, it would be another URL: refuse it instead. */
        if (strlen(url) >= sizeof x->url)
            return err_set(err, "%s: URL longer than %zu characters", step_phase[x->step],
                           sizeof x->url - 1);
        memcpy(x->url, url, strlen(url) + 1);
    }
    x->body.len = 0;
    x->body.too_big = 0;
    x->wire_ns = 0;
    x->errbuf[0] = '\0';

    /* Each request gets its own timeout, cut down to what is left of the
     * total deadline: that is how a slow server cannot hold the run past it. */
    long ms = timeout_ms(job);
    uint64_t start = x->start_after_ns > clock_now_ns() ? x->start_after_ns : clock_now_ns();
    if (job->deadline_ns != 0) {
        if (start >= job->deadline_ns)
            return err_set(err, "%s: total deadline reached before it could start",
                           step_phase[x->step]);
        long left = (long)((job->deadline_ns - start) / 1000000u);
        x->deadline_cut = left < ms;
        if (left < ms)
            ms = left > 0 ? left : 1;
    }
    curl_easy_setopt(x->easy, CURLOPT_URL, x->url);
    curl_easy_setopt(x->easy, CURLOPT_TIMEOUT_MS, ms);
    if (x->step == STEP_HEAD)
        curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
    else
        curl_easy_setopt(x->easy, CURLOPT_HTTPGET, 1L);

    runlog_begin(&x->span, job->style, url, (long)x->index, step_phase[x->step]);
    x->span.start_ns = start; /* a retry starts when its backoff is over */
    return 0;
}

int fetch_xfer_init(struct fetch_xfer *x, const struct fetch_job *job, size_t index)
{
    memset(x, 0, sizeof *x);
    x->job = job;
    x->index = index;
    x->step = job->mode == FETCH_PLAIN ? STEP_GET : STEP_FEED;
    x->body.max = max_body(job);

    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return finish(x, err.msg), -1;
    x->easy = curl_easy_init();
    if (x->easy == NULL)
        return finish(x, "cannot create a libcurl handle"), -1;

    CURL *h = x->easy;
    /* Signals (SIGALRM for DNS timeouts) cannot be used with threads. */
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    /* A feed may redirect us anywhere: only ever to http or https. */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS,
                     job->limits.max_redirects > 0 ? job->limits.max_redirects
                                                   : (long)FETCH_MAX_REDIRECTS_DEFAULT);
    /* Refuse early when the server announces a body over the cap; the write
     * callback catches the ones that do not announce it. */
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->body.max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &x->body);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "retreat/1");
    curl_easy_setopt(h, CURLOPT_PRIVATE, x);
    curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(h, CURLOPT_PREREQDATA, x);

    if (setup_request(x, job->urls[index], &err) != 0)
        return finish(x, err.msg), -1;
    return 0;
}

long fetch_xfer_wait_ms(const struct fetch_xfer *x)
{
    uint64_t now = clock_now_ns();
    if (x->start_after_ns <= now)
        return 0;
    return (long)((x->start_after_ns - now + 999999u) / 1000000u);
}

/* Transient failures, worth another try: the server is overloaded (5xx) or
 * the connection broke. A 404 or a malformed feed will not get better. */
static int transient(CURLcode rc, long code)
{
    if (rc == CURLE_OK)
        return code >= 500;
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
           rc == CURLE_SEND_ERROR || rc == CURLE_PARTIAL_FILE;
}

/* Says in words why a finished request failed, or returns 0 if it did not.
 * The item's URL starts the final message, so the request's URL is named
 * only when it is another one (the comic page, a redirect's target). */
static int failure(const struct fetch_xfer *x, CURLcode rc, long code, char *why, size_t cap)
{
    if (rc == CURLE_OK && code >= 200 && code < 300)
        return 0;
    const char *url = x->url;
    if (strcmp(url, x->job->urls[x->index]) == 0)
        url = "";
    size_t n = (size_t)snprintf(why, cap, "%s%s%s: ", step_phase[x->step], url[0] ? " " : "", url);
    if (n >= cap) /* a very long URL: the message is that URL, cut short */
        return 1;
    why += n, cap -= n;
    if (rc == CURLE_OK)
        snprintf(why, cap, "HTTP %ld", code);
    else if (x->body.too_big || rc == CURLE_FILESIZE_EXCEEDED)
        snprintf(why, cap, "response larger than %zu bytes", x->body.max);
    else if (rc == CURLE_OPERATION_TIMEDOUT && x->deadline_cut)
        snprintf(why, cap, "total deadline reached (%zu bytes received)", x->body.len);
    else
        snprintf(why, cap, "%s", x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
    return 1;
}

/* Moves the chain past a successful request: parse the feed, or keep the
 * image. Returns the next step, -1 when the chain is over, or -2 with a
 * reason in err. */
static int next_step(struct fetch_xfer *x, struct fetch_result *r, struct err *err)
{
    const struct fetch_job *job = x->job;
    switch (x->step) {
    case STEP_FEED: {
        struct feed_entry e;
        char *where = NULL;
        curl_easy_getinfo(x->easy, CURLINFO_EFFECTIVE_URL, &where); /* after redirects */
        if (where == NULL)
            where = x->url;
        if (feed_parse(x->body.data ? x->body.data : "", x->body.len, where, &e, err) != 0) {
            /* The parser names the feed's URL; finish() names it too, so drop
             * the parser's copy unless a redirect made it another URL. */
            size_t n = strlen(where);
            if (strcmp(where, x->url) == 0 && strncmp(err->msg, where, n) == 0 &&
                strncmp(err->msg + n, ": ", 2) == 0)
                memmove(err->msg, err->msg + n + 2, strlen(err->msg + n + 2) + 1);
            return -2;
        }
        snprintf(r->link, sizeof r->link, "%s", e.link);
        snprintf(r->image_url, sizeof r->image_url, "%s", e.image);
        return STEP_HEAD;
    }
    case STEP_HEAD:
        if (!job->want_image)
            return -1;
        if (r->image_url[0] == '\0') {
            err_set(err, "newest entry %s has no image", r->link);
            return -2;
        }
        return STEP_IMAGE;
    case STEP_IMAGE:
        /* The body becomes the result's: hand it over instead of copying. */
        r->image = (unsigned char *)x->body.data;
        r->image_len = x->body.len;
        x->body.data = NULL;
        x->body.len = x->body.cap = 0;
        return -1;
    default: /* STEP_GET */
        return -1;
    }
}

int fetch_xfer_done(struct fetch_xfer *x, CURLcode rc)
{
    const struct fetch_job *job = x->job;
    struct fetch_result *r = &job->results[x->index];
    long code = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
    r->http_code = code;
    r->requests++;
    r->bytes += x->body.len;

    char why[ERR_MSG_MAX];
    if (failure(x, rc, code, why, sizeof why)) {
        x->attempt++;
        if (!transient(rc, code) || x->attempt > retries(job)) {
            log_request(x, why);
            if (x->attempt > 1)
                snprintf(why + strlen(why), sizeof why - strlen(why), " (after %d attempts)",
                         x->attempt);
            return finish(x, why);
        }
        /* The failed attempt goes into the log too: it took time. */
        char detail[ERR_MSG_MAX];
        snprintf(detail, sizeof detail, "%s; retrying", why);
        log_request(x, detail);
        struct err err = {0};
        x->start_after_ns = clock_now_ns() + (uint64_t)backoff_ms(job, x->attempt) * 1000000u;
        if (setup_request(x, x->url, &err) != 0) {
            snprintf(why + strlen(why), sizeof why - strlen(why), "; no retry: %s", err.msg);
            return finish(x, why);
        }
        return 1;
    }

    snprintf(x->span.detail, sizeof x->span.detail, "HTTP %ld", code);
    log_request(x, NULL);

    struct err err = {0};
    int next = next_step(x, r, &err);
    if (next == -2)
        return finish(x, err.msg);
    if (next == -1)
        return finish(x, NULL);
    x->step = next;
    x->attempt = 0;
    x->start_after_ns = 0;
    if (setup_request(x, next == STEP_HEAD ? r->link : r->image_url, &err) != 0)
        return finish(x, err.msg);
    return 1;
}

void fetch_xfer_cleanup(struct fetch_xfer *x)
{
    if (x->easy != NULL)
        curl_easy_cleanup(x->easy);
    x->easy = NULL;
    free(x->body.data);
    x->body.data = NULL;
    x->body.len = x->body.cap = 0;
}
