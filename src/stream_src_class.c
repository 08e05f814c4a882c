/* stream_src_class.c - --class URL: the class server's scenes.
 *
 * GET URL/api/state gives the leaderboard, the firsts and the latest pass
 * and race (stream_class.h parses it); GET URL/api/run/<run>/runlog gives
 * those two runs' logs, for their timelines. The state is fetched at start
 * - a class server that cannot be reached is an error before anything is
 * encoded - and, in a live show, again every STREAM_CLASS_REFRESH_S
 * seconds; a refresh that fails keeps the scenes as they were and says so
 * on stderr. Run logs are fetched once per run: a run does not change.
 *
 * The requests are short and blocking, between two frames: on the loopback
 * or a LAN they take milliseconds, and a timeout of a few seconds bounds
 * the stall when the server is gone (the pacer then skips the frames that
 * are late, it does not queue them).
 */
#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h" /* fetch_global_init: libcurl's global set-up, once */
#include "runlog.h"
#include "stream_class.h"
#include "stream_source.h"

#define CLASS_TIMEOUT_MS 3000
#define CLASS_STATE_MAX (1 << 20)   /* bytes: a class of hundreds is far less */
#define CLASS_RUNLOG_MAX (16 << 20) /* the server caps uploads below this */

/* One class run's log, kept while the state names the same run. */
struct run_cache {
    long long run; /* -1: none */
    struct runlog_span *spans;
    size_t n;
};

struct src_class {
    struct stream_source base;
    char url[512]; /* without a trailing slash */
    CURL *h;
    struct run_cache runs[2]; /* latest pass, latest race */
    long long updated;        /* of the state shown; -1: none yet */
};

struct body {
    char *data;
    size_t len, max;
};

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct body *b = arg;
    size_t add = size * n;
    if (b->len + add > b->max)
        return 0; /* over the cap: libcurl fails the transfer */
    char *grown = realloc(b->data, b->len + add + 1);
    if (grown == NULL)
        return 0;
    b->data = grown;
    memcpy(b->data + b->len, p, add);
    b->len += add;
    b->data[b->len] = '\0';
    return add;
}

/* GETs url + path into a malloc'ed, NUL-terminated body. */
static int http_get(struct src_class *c, const char *path, size_t max, struct body *b,
                    struct err *err)
{
    char url[768];
    snprintf(url, sizeof url, "%s%s", c->url, path);
    *b = (struct body){.max = max};
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *h = c->h;
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)CLASS_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "retreat-stream/1");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc == CURLE_OK && status == 200 && b->data != NULL)
        return 0;
    free(b->data);
    b->data = NULL;
    if (rc != CURLE_OK)
        return err_set(err, "%s: %s", url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    return err_set(err, "%s: HTTP status %ld%s", url, status, status == 200 ? ", empty" : "");
}

/* The run log text, line by line (runlog_parse_line: the format of
 * docs/RUNLOG.md). A bad line makes the whole log unusable: half a run
 * would draw a misleading timeline. */
static int parse_runlog(const char *text, size_t len, const char *name, struct run_cache *rc,
                        struct err *err)
{
    size_t cap = 0;
    long lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl != NULL ? nl : end) - p);
        char where[600];
        snprintf(where, sizeof where, "%s:%ld", name, ++lineno);
        if (n > 0 && rc->n == cap) {
            cap = cap ? cap * 2 : 256;
            struct runlog_span *grown = realloc(rc->spans, cap * sizeof *grown);
            if (grown == NULL)
                return err_set(err, "%s: out of memory", name);
            rc->spans = grown;
        }
        if (n > RUNLOG_LINE_MAX)
            return err_set(err, "%s: line longer than %d bytes", where, RUNLOG_LINE_MAX);
        if (n > 0 && runlog_parse_line(p, n, &rc->spans[rc->n++], where, err) != 0)
            return -1;
        p += n + 1;
    }
    return 0;
}

/* Fetches a run's log unless it is the one cached already. A log that
 * cannot be had leaves the cache empty: the scene goes without timeline. */
static void fetch_run(struct src_class *c, const struct stream_class_run *run,
                      struct run_cache *cache)
{
    if (!run->present || cache->run == run->run)
        return;
    free(cache->spans);
    *cache = (struct run_cache){.run = run->run};
    char path[96];
    snprintf(path, sizeof path, "/api/run/%lld/runlog", run->run);
    struct body b;
    struct err err;
    if (http_get(c, path, CLASS_RUNLOG_MAX, &b, &err) != 0 ||
        parse_runlog(b.data, b.len, path, cache, &err) != 0) {
        fprintf(stderr, "\nretreat stream: class: %s (the scene goes without its timeline)\n",
                err.msg);
        cache->n = 0;
    }
    free(b.data);
}

/* One look at the class: the state, the runs it names, the show updated. */
static int refresh(struct src_class *c, struct show *show, struct err *err)
{
    struct body b;
    if (http_get(c, "/api/state", CLASS_STATE_MAX, &b, err) != 0)
        return -1;
    struct stream_class st;
    char where[600];
    snprintf(where, sizeof where, "%s/api/state", c->url);
    int rc = stream_class_parse(b.data, b.len, where, &st, err);
    free(b.data);
    if (rc != 0)
        return -1;
    fetch_run(c, &st.pass, &c->runs[0]);
    fetch_run(c, &st.race, &c->runs[1]);
    if (show_set_class(show, &st, c->runs[0].spans, c->runs[0].n, c->runs[1].spans, c->runs[1].n,
                       err) != 0)
        return -1;
    if (st.updated != c->updated)
        fprintf(stderr,
                "\nretreat stream: class %s: %d participants, %zu on the leaderboard, "
                "latest pass %s, latest race %s\n",
                c->url, st.participants, st.nleaderboard,
                st.pass.present ? st.pass.exercise : "none",
                st.race.present ? st.race.exercise : "none");
    c->updated = st.updated;
    return 0;
}

static int class_start(struct stream_source *src, struct show *show, struct err *err)
{
    struct src_class *c = (struct src_class *)src;
    if (fetch_global_init(err) != 0)
        return -1;
    if ((c->h = curl_easy_init()) == NULL)
        return err_set(err, "--class %s: cannot create a libcurl handle", c->url);
    return refresh(c, show, err) == 0 ? 0 : err_prefix(err, "--class: ");
}

static int class_poll(struct stream_source *src, struct show *show, int64_t frame, struct err *err)
{
    (void)err;
    struct src_class *c = (struct src_class *)src;
    int64_t every = (int64_t)(STREAM_CLASS_REFRESH_S * (src->fps > 0 ? src->fps : 30));
    /* A finished programme was planned with this state: keep it. */
    if (frame == 0 || frame % every != 0 || isfinite(show_duration(show)))
        return 0;
    struct err why;
    if (refresh(c, show, &why) != 0)
        fprintf(stderr, "\nretreat stream: class: %s (keeping the scenes as they were)\n", why.msg);
    return 0;
}

static int class_done(const struct stream_source *src)
{
    (void)src;
    return 0;
}

static void class_free(struct stream_source *src)
{
    struct src_class *c = (struct src_class *)src;
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    free(c->runs[0].spans);
    free(c->runs[1].spans);
    free(c);
}

static const struct stream_source_ops class_ops = {"class", class_start, class_poll, class_done,
                                                   class_free};

int stream_src_class_new(struct stream_source **out, const char *url, struct err *err)
{
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return err_set(err, "--class %s: expected the class server's http:// URL", url);
    struct src_class *c = calloc(1, sizeof *c);
    if (c == NULL)
        return err_set(err, "out of memory for --class");
    if (len >= sizeof c->url) {
        free(c);
        return err_set(err, "--class: URL longer than %zu bytes", sizeof c->url - 1);
    }
    c->base.ops = &class_ops;
    memcpy(c->url, url, len);
    c->runs[0].run = c->runs[1].run = -1;
    c->updated = -1;
    *out = &c->base;
    return 0;
}
