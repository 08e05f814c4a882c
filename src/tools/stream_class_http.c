/* stream_class_http.c - the class server over HTTP, for --class URL: the
 * fetcher (stream_source.h) that GETs URL/api/state and
 * URL/api/run/<run>/runlog with libcurl.
 *
 * The requests are short and blocking, between two frames: on the loopback
 * or a LAN they take milliseconds, and a timeout of a few seconds bounds
 * the stall when the server is gone (the pacer then skips the frames that
 * are late, it does not queue them).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h" /* fetch_global_init: libcurl's global set-up, once */
#include "stream_source.h"

#define CLASS_TIMEOUT_MS 3000
#define CLASS_STATE_MAX (1 << 20)   /* bytes: a class of hundreds is far less */
#define CLASS_RUNLOG_MAX (16 << 20) /* the server caps uploads below this */

struct http {
    char url[512];   /* without a trailing slash */
    char state[600]; /* url + /api/state: the name in messages */
    CURL *h;
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
static int http_get(struct http *c, const char *path, size_t max, struct body *b, struct err *err)
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

static int http_state(void *ctx, char **text, size_t *len, struct err *err)
{
    struct body b;
    if (http_get(ctx, "/api/state", CLASS_STATE_MAX, &b, err) != 0)
        return -1;
    *text = b.data;
    *len = b.len;
    return 0;
}

static int http_runlog(void *ctx, long long run, char **text, size_t *len, struct err *err)
{
    char path[96];
    snprintf(path, sizeof path, "/api/run/%lld/runlog", run);
    struct body b;
    if (http_get(ctx, path, CLASS_RUNLOG_MAX, &b, err) != 0)
        return -1;
    *text = b.data;
    *len = b.len;
    return 0;
}

static void http_free(void *ctx)
{
    struct http *c = ctx;
    if (c->h != NULL)
        curl_easy_cleanup(c->h);
    free(c);
}

int stream_src_class_new(struct stream_source **out, const char *url, struct err *err)
{
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return err_set(err, "--class %s: expected the class server's http:// URL", url);
    struct http *c = calloc(1, sizeof *c);
    if (c == NULL)
        return err_set(err, "out of memory for --class");
    if (len >= sizeof c->url) {
        free(c);
        return err_set(err, "--class: URL longer than %zu bytes", sizeof c->url - 1);
    }
    memcpy(c->url, url, len);
    snprintf(c->state, sizeof c->state, "%s/api/state", c->url);
    if (fetch_global_init(err) != 0 || (c->h = curl_easy_init()) == NULL) {
        free(c);
        return err_set(err, "--class %s: cannot set up libcurl", url);
    }
    struct stream_class_fetcher f = {
        .name = c->state, .state = http_state, .runlog = http_runlog, .free = http_free, .ctx = c};
    return stream_src_class_with(out, &f, err);
}
