/* comicsrv_routes.c - what each URL of the comic server answers, faults included.
 *
 * By the time comicsrv_answer() runs, the request's delay has passed. Here we
 * build the body - the feeds list, a feed, a page or an image - and then, if
 * a fault applies, spoil it in the chosen way before queueing it. Bodies that
 * arrive slowly, stop short or are too big to hold are produced by content
 * reader callbacks, which libmicrohttpd calls as the socket can take more.
 */
#include "comicsrv_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define DRIP_BYTES 64 /* a slow body's chunk */
#define DRIP_DEFAULT_MS 100
#define REDIRECT_DEFAULT_HOPS 3
#define UNAVAILABLE_DEFAULT_TIMES 2
#define HUGE_DEFAULT_MIB 16
#define HUGE_MAX_MIB 1024

/* --- A growing text buffer ----------------------------------------------- */

struct text {
    char *data;
    size_t len, cap;
    int oom;
};

static void text_add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_add(struct text *t, const char *fmt, ...)
{
    for (int tries = 0; tries < 2 && !t->oom; tries++) {
        va_list ap;
        va_start(ap, fmt);
        int n =
            vsnprintf(t->data ? t->data + t->len : NULL, t->data ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->oom = 1;
        } else if (t->data != NULL && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else { /* too small: grow and format again */
            size_t cap = t->cap ? t->cap : 1024;
            while (cap < t->len + (size_t)n + 1)
                cap *= 2;
            char *data = realloc(t->data, cap);
            if (data == NULL)
                t->oom = 1;
            t->data = data ? data : t->data;
            t->cap = data ? cap : t->cap;
        }
    }
}

/* --- The comics' names and dates ----------------------------------------- */

static const char *const adjectives[] = {
    "Sleepy", "Brave",   "Tiny",     "Grumpy", "Cosmic", "Polite", "Sneaky", "Jolly",
    "Rusty",  "Curious", "Electric", "Gentle", "Loud",   "Lucky",  "Moody",  "Nimble",
};
static const char *const nouns[] = {
    "Otter", "Teapot", "Robot",  "Cactus", "Wizard", "Pigeon",  "Toaster", "Walrus",
    "Comet", "Badger", "Kettle", "Goblin", "Llama",  "Lantern", "Squid",   "Hedgehog",
};

static void comic_name(unsigned i, char *buf, size_t size)
{
    uint64_t h = comicsrv_hash(i);
    snprintf(buf, size, "The %s %s #%u", adjectives[h % 16], nouns[(h >> 8) % 16], i);
}

/* Episode e of comic i came out e weeks into 2026, at hour i % 24. */
static time_t episode_time(unsigned i, unsigned e)
{
    return (time_t)1767225600 /* 2026-01-01T00:00:00Z */ + (time_t)e * 7 * 86400 +
           (time_t)(i % 24) * 3600;
}

/* --- The bodies ---------------------------------------------------------- */

static void feeds_list(const struct comicsrv_req *req, struct text *t)
{
    for (unsigned i = 0; i < req->srv->opts.count; i++)
        text_add(t, "%s/feed/%u.xml\n", req->base, i);
}

/* RSS 2.0, newest first, with absolute links (RSS has no relative links). */
static void feed_rss(const char *base, unsigned i, struct text *t)
{
    char name[128], date[64];
    comic_name(i, name, sizeof name);
    text_add(t,
             "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\">\n<channel>\n"
             "<title>%s</title>\n<link>%s/comic/%u/%u.html</link>\n"
             "<description>A synthetic webcomic served by retreat.</description>\n",
             name, base, i, COMICSRV_EPISODES);
    for (unsigned e = COMICSRV_EPISODES; e >= 1; e--) {
        time_t when = episode_time(i, e);
        struct tm tm;
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&when, &tm));
        text_add(t,
                 "<item>\n<title>Episode %u</title>\n<link>%s/comic/%u/%u.html</link>\n"
                 "<guid>%s/comic/%u/%u.html</guid>\n<pubDate>%s</pubDate>\n"
                 "<enclosure url=\"%s/comic/%u/%u.png\" type=\"image/png\" length=\"0\"/>\n"
                 "</item>\n",
                 e, base, i, e, base, i, e, date, base, i, e);
    }
    text_add(t, "</channel>\n</rss>\n");
}

/* Atom, oldest first and with relative links: a reader must go by date and
 * resolve links against the feed's URL. */
static void feed_atom(unsigned i, struct text *t)
{
    char name[128], date[64];
    struct tm tm;
    time_t newest = episode_time(i, COMICSRV_EPISODES);
    comic_name(i, name, sizeof name);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&newest, &tm));
    text_add(t,
             "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
             "<feed xmlns=\"http://www.w3.org/2005/Atom\">\n<title>%s</title>\n"
             "<id>urn:retreat:comic:%u</id>\n<updated>%s</updated>\n",
             name, i, date);
    for (unsigned e = 1; e <= COMICSRV_EPISODES; e++) {
        time_t when = episode_time(i, e);
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&when, &tm));
        text_add(t,
                 "<entry>\n<title>Episode %u</title>\n<id>urn:retreat:comic:%u:%u</id>\n"
                 "<updated>%s</updated>\n"
                 "<link rel=\"alternate\" type=\"text/html\" href=\"/comic/%u/%u.html\"/>\n"
                 "<link rel=\"enclosure\" type=\"image/png\" href=\"/comic/%u/%u.png\"/>\n"
                 "</entry>\n",
                 e, i, e, date, i, e, i, e);
    }
    text_add(t, "</feed>\n");
}

/* The entry page. Its script records the image's decoded width on <body>, so
 * tests/browser can tell from the DOM alone that the image really rendered. */
static void page(unsigned i, unsigned e, struct text *t)
{
    char name[128];
    comic_name(i, name, sizeof name);
    text_add(t,
             "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<title>%s - episode %u</title>\n"
             "<style>body{font-family:sans-serif;background:#fdf6e3;text-align:center}</style>\n"
             "</head>\n<body>\n<h1>%s</h1>\n<h2>Episode %u of %u</h2>\n"
             "<img id=\"comic\" src=\"/comic/%u/%u.png\" width=\"%d\" height=\"%d\" "
             "alt=\"%s, episode %u\">\n<p>",
             name, e, name, e, COMICSRV_EPISODES, i, e, COMICSRV_IMAGE_WIDTH, COMICSRV_IMAGE_HEIGHT,
             name, e);
    if (e > 1)
        text_add(t, "<a href=\"/comic/%u/%u.html\">previous</a> ", i, e - 1);
    if (e < COMICSRV_EPISODES)
        text_add(t, "<a href=\"/comic/%u/%u.html\">next</a>", i, e + 1);
    text_add(t, "</p>\n<script>\nwindow.addEventListener('load', function () {\n"
                "  var img = document.getElementById('comic');\n"
                "  document.body.setAttribute('data-image-width', String(img.naturalWidth));\n"
                "});\n</script>\n</body>\n</html>\n");
}

/* "Billion laughs": ten entities, each ten of the one before. A parser that
 * expands &lol9; builds a gigabyte from this kilobyte. */
static const char laughs[] =
    "<?xml version=\"1.0\"?>\n<!DOCTYPE rss [\n<!ENTITY lol \"lol\">\n"
    "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
    "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
    "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
    "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
    "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
    "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
    "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
    "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
    "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
    "]>\n<rss version=\"2.0\"><channel><title>&lol9;</title>\n"
    "<item><title>&lol9;</title><link>http://127.0.0.1/laughs</link></item>\n"
    "</channel></rss>\n";

/* A huge feed: a head, the same item over and over, a tail. */
static const char huge_head[] = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>"
                                "<title>Huge</title>\n";
static const char huge_item[] = "<item><title>Filler</title><link>http://127.0.0.1/filler</link>"
                                "</item>\n";
static const char huge_tail[] = "</channel></rss>\n";

/* --- Content readers ----------------------------------------------------- */

/* "slow": one chunk per timer wake-up. */
static ssize_t read_drip(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct comicsrv_req *req = cls;
    if (pos >= req->size)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (!req->drip_due) {
        req->drip_due = 1;
        comicsrv_timer_delay(&req->srv->timer, req->conn,
                             req->fault.n ? req->fault.n : DRIP_DEFAULT_MS);
        return 0; /* nothing yet: we are suspended until the timer resumes us */
    }
    req->drip_due = 0;
    size_t n = req->size - (size_t)pos;
    n = n < DRIP_BYTES ? n : DRIP_BYTES;
    n = n < max ? n : max;
    memcpy(buf, req->body + pos, n);
    return (ssize_t)n;
}

/* "truncate": the first half, then the connection is closed. */
static ssize_t read_truncated(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct comicsrv_req *req = cls;
    size_t half = req->size / 2;
    if (pos >= half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = half - (size_t)pos < max ? half - (size_t)pos : max;
    memcpy(buf, req->body + pos, n);
    return (ssize_t)n;
}

/* "huge": generated as it is sent, so it costs no memory. */
static ssize_t read_huge(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct comicsrv_req *req = cls;
    const size_t head = sizeof huge_head - 1, item = sizeof huge_item - 1,
                 tail = sizeof huge_tail - 1;
    size_t n = 0;
    while (n < max && pos + n < req->size) {
        uint64_t at = pos + n;
        if (at < head)
            buf[n++] = huge_head[at];
        else if (at < req->size - tail)
            buf[n++] = huge_item[(at - head) % item];
        else
            buf[n++] = huge_tail[at - (req->size - tail)];
    }
    return n > 0 ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

/* --- Queueing ------------------------------------------------------------ */

static enum MHD_Result queue(struct comicsrv_req *req, unsigned status, struct MHD_Response *resp,
                             const char *type)
{
    if (resp == NULL)
        return MHD_NO;
    if (type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* A short HTML answer for an HTTP error. */
static enum MHD_Result status_page(struct comicsrv_req *req, unsigned status, const char *why)
{
    struct text t = {0};
    text_add(&t, "<!DOCTYPE html>\n<title>%u</title>\n<p>%u: %s</p>\n", status, status, why);
    if (t.oom) {
        free(t.data);
        return MHD_NO;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(t.len, t.data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        free(t.data);
    if (resp != NULL && status == MHD_HTTP_SERVICE_UNAVAILABLE)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "0");
    return queue(req, status, resp, "text/html; charset=utf-8");
}

/* A 302 to the same path, one hop further along. */
static enum MHD_Result redirect(struct comicsrv_req *req, unsigned next_hop)
{
    struct text t = {0};
    text_add(&t, "%s%s?", req->base, req->path);
    if (req->fault_query != NULL) /* it parsed, so it holds only [a-z0-9:=] */
        text_add(&t, "fault=%s&", req->fault_query);
    text_add(&t, "hop=%u", next_hop);
    if (t.oom) {
        free(t.data);
        return MHD_NO;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (resp != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, t.data);
    free(t.data);
    return queue(req, MHD_HTTP_FOUND, resp, "text/html; charset=utf-8");
}

/* --- The answer ---------------------------------------------------------- */

/* Builds the unspoiled body of req into t, and says its content type. */
static const char *build(struct comicsrv_req *req, struct text *t, struct err *err)
{
    switch (req->res) {
    case COMICSRV_RES_LIST:
        feeds_list(req, t);
        return "text/plain; charset=utf-8";
    case COMICSRV_RES_FEED:
        if (req->comic % 2 == 0) {
            feed_rss(req->base, req->comic, t);
            return "application/rss+xml";
        }
        feed_atom(req->comic, t);
        return "application/atom+xml";
    case COMICSRV_RES_PAGE:
        page(req->comic, req->episode, t);
        return "text/html; charset=utf-8";
    case COMICSRV_RES_IMAGE: {
        struct img im = {0};
        unsigned char *png;
        size_t size;
        if (comicsrv_draw(req->comic, req->episode, &im, err) != 0)
            return NULL;
        int rc = img_encode_png(&im, &png, &size, err);
        img_free(&im);
        if (rc != 0)
            return NULL;
        free(t->data);
        t->data = (char *)png;
        t->len = t->cap = size;
        return "image/png";
    }
    case COMICSRV_RES_UNKNOWN:
        break;
    }
    return NULL;
}

enum MHD_Result comicsrv_answer(struct comicsrv_req *req)
{
    const struct comicsrv_fault *f = &req->fault;
    unsigned n = f->n;

    if (req->refusal != 0)
        return status_page(req, req->refusal, req->refusal_why);
    if (req->bad_fault)
        return status_page(req, MHD_HTTP_BAD_REQUEST, "unknown ?fault= SPEC (see comicsrv.h)");

    /* Faults that replace the answer altogether. */
    switch (f->kind) {
    case COMICSRV_FAULT_404:
        return status_page(req, MHD_HTTP_NOT_FOUND, "not found (injected fault)");
    case COMICSRV_FAULT_500:
        return status_page(req, MHD_HTTP_INTERNAL_SERVER_ERROR, "server error (injected fault)");
    case COMICSRV_FAULT_503: {
        char key[COMICSRV_URL_MAX + 64];
        snprintf(key, sizeof key, "%s?%s", req->path, req->fault_query ? req->fault_query : "");
        if (comicsrv_count_request(req->srv, key) <= (n ? n : UNAVAILABLE_DEFAULT_TIMES))
            return status_page(req, MHD_HTTP_SERVICE_UNAVAILABLE,
                               "busy, try again (injected fault)");
        break;
    }
    case COMICSRV_FAULT_RESET:
        return MHD_NO; /* libmicrohttpd closes the connection without a word */
    case COMICSRV_FAULT_REDIRECT:
        if (req->hop < (n ? n : REDIRECT_DEFAULT_HOPS))
            return redirect(req, req->hop + 1);
        break;
    case COMICSRV_FAULT_LOOP:
        return redirect(req, (req->hop + 1) % 2);
    case COMICSRV_FAULT_LAUGHS:
        return queue(req, MHD_HTTP_OK,
                     MHD_create_response_from_buffer(sizeof laughs - 1, (void *)laughs,
                                                     MHD_RESPMEM_PERSISTENT),
                     "application/rss+xml");
    case COMICSRV_FAULT_HUGE: {
        size_t mib = n ? (n < HUGE_MAX_MIB ? n : HUGE_MAX_MIB) : HUGE_DEFAULT_MIB;
        size_t items = (mib << 20) / (sizeof huge_item - 1);
        req->size = sizeof huge_head - 1 + items * (sizeof huge_item - 1) + sizeof huge_tail - 1;
        return queue(req, MHD_HTTP_OK,
                     MHD_create_response_from_callback(req->size, 32 * 1024, read_huge, req, NULL),
                     "application/rss+xml");
    }
    default:
        break;
    }

    if (req->res == COMICSRV_RES_UNKNOWN)
        return status_page(req, MHD_HTTP_NOT_FOUND, "no such comic, feed or page");

    struct text t = {0};
    struct err err = {{0}};
    const char *type = build(req, &t, &err);
    if (type == NULL || t.oom) {
        free(t.data);
        return status_page(req, MHD_HTTP_INTERNAL_SERVER_ERROR, type ? "out of memory" : err.msg);
    }

    /* Faults that spoil the body. The body then belongs to req (freed when
     * the request completes) since the readers send it after we return. */
    switch (f->kind) {
    case COMICSRV_FAULT_SLOW:
    case COMICSRV_FAULT_TRUNCATE:
        req->body = t.data;
        req->size = t.len;
        return queue(req, MHD_HTTP_OK,
                     MHD_create_response_from_callback(
                         t.len, DRIP_BYTES,
                         f->kind == COMICSRV_FAULT_SLOW ? read_drip : read_truncated, req, NULL),
                     type);
    case COMICSRV_FAULT_MALFORMED:
        t.len = t.len * 3 / 5; /* cut off mid-element */
        break;
    case COMICSRV_FAULT_TYPE:
        type = req->res == COMICSRV_RES_IMAGE ? "text/html; charset=utf-8" : "image/png";
        break;
    default:
        break;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(t.len, t.data, MHD_RESPMEM_MUST_FREE);
    if (resp == NULL)
        free(t.data);
    return queue(req, MHD_HTTP_OK, resp, type);
}
