/* comicsrv.c - the comic server's daemon: start, stop, and each request's life.
 *
 * libmicrohttpd runs one polling thread (epoll) for every connection. A
 * request arrives in on_request(), which works out what is asked for and how
 * long it must wait, then suspends it on the timer (comicsrv_timer.c). When
 * the timer resumes it, libmicrohttpd calls on_request() again and the answer
 * is queued (comicsrv_routes.c). No thread ever sleeps on behalf of a request.
 */
#include "comicsrv_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define CONNECTION_LIMIT 20000  /* at least 10,000 waiting requests, and some room */
#define CONNECTION_MEMORY 16384 /* per connection: our requests and answers are small */
#define IDLE_TIMEOUT_S 60       /* an idle keep-alive connection is closed after this */
#define LISTEN_BACKLOG 4096     /* connections the kernel queues before we accept them */
#define COUNTER_BUCKETS 1024

uint64_t comicsrv_hash(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* FNV-1a of a string, to seed per-URL choices. */
static uint64_t hash_string(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    return h;
}

/* --- Per-URL request counts ("503 then success") -------------------------- */

struct comicsrv_counter {
    struct comicsrv_counter *next;
    unsigned long seen;
    char key[];
};

unsigned long comicsrv_count_request(struct comicsrv *srv, const char *key)
{
    struct comicsrv_counter **bucket = &srv->counters[hash_string(key) % COUNTER_BUCKETS];
    unsigned long seen = 1;
    pthread_mutex_lock(&srv->counters_lock);
    struct comicsrv_counter *c = *bucket;
    while (c != NULL && strcmp(c->key, key) != 0)
        c = c->next;
    if (c == NULL && (c = malloc(sizeof *c + strlen(key) + 1)) != NULL) {
        strcpy(c->key, key);
        c->seen = 0;
        c->next = *bucket;
        *bucket = c;
    }
    if (c != NULL)
        seen = ++c->seen;
    pthread_mutex_unlock(&srv->counters_lock);
    return seen;
}

static void free_counters(struct comicsrv *srv)
{
    if (srv->counters == NULL)
        return;
    for (size_t b = 0; b < COUNTER_BUCKETS; b++)
        for (struct comicsrv_counter *c = srv->counters[b], *next; c != NULL; c = next) {
            next = c->next;
            free(c);
        }
    free(srv->counters);
}

/* --- One request --------------------------------------------------------- */

/* Splits the URL path into resource, comic and episode. */
static void parse_path(struct comicsrv_req *req, const char *url)
{
    unsigned i, e;
    int end = 0;
    snprintf(req->path, sizeof req->path, "%s", url);
    if (strcmp(url, "/feeds.txt") == 0) {
        req->res = COMICSRV_RES_LIST;
    } else if (sscanf(url, "/feed/%u.xml%n", &i, &end) == 1 && url[end] == '\0') {
        req->res = COMICSRV_RES_FEED;
        req->comic = i;
    } else if (sscanf(url, "/comic/%u/%u.html%n", &i, &e, &end) == 2 && url[end] == '\0') {
        req->res = COMICSRV_RES_PAGE;
        req->comic = i;
        req->episode = e;
    } else if (sscanf(url, "/comic/%u/%u.png%n", &i, &e, &end) == 2 && url[end] == '\0') {
        req->res = COMICSRV_RES_IMAGE;
        req->comic = i;
        req->episode = e;
    }
    if (req->res != COMICSRV_RES_LIST &&
        (req->comic >= req->srv->opts.count || req->episode > COMICSRV_EPISODES ||
         (req->res != COMICSRV_RES_FEED && req->episode == 0)))
        req->res = COMICSRV_RES_UNKNOWN; /* sscanf's %u also takes "-1": check ranges */
}

/* The scheme and host our links use. On loopback that is 127.0.0.1; a
 * server listening on every interface names itself as the client did, in
 * the Host header - if it looks like a host, since it goes into XML and HTML. */
static void choose_base(struct comicsrv_req *req)
{
    const char *host = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Host");
    snprintf(req->base, sizeof req->base, "%s", req->srv->base);
    if (!req->srv->opts.any_address || host == NULL || host[0] == '\0' || strlen(host) > 80)
        return;
    for (const char *c = host; *c; c++)
        if (!isalnum((unsigned char)*c) && strchr(".-:[]", *c) == NULL)
            return;
    snprintf(req->base, sizeof req->base, "http://%s", host);
}

/* A query argument as an unsigned number, or fallback if absent or bad. */
static unsigned query_number(struct MHD_Connection *conn, const char *key, unsigned limit,
                             unsigned fallback)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
    char *end;
    if (v == NULL || v[0] < '0' || v[0] > '9')
        return fallback;
    unsigned long n = strtoul(v, &end, 10);
    return *end == '\0' && n <= limit ? (unsigned)n : fallback;
}

#define STR_(x) #x
#define STR(x) STR_(x) /* a number's digits as a string literal */

/* The request's delay: ?latency=MS if given, else the comic's own (with
 * jitter). Returns -1, having set the refusal, if ?latency= is not a number
 * within COMICSRV_MAX_LATENCY_MS: a typo or an excess must not pass for a
 * working delay. */
static int choose_delay(struct comicsrv_req *req, unsigned fallback, unsigned *ms)
{
    const char *v = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "latency");
    *ms = fallback;
    if (v == NULL)
        return 0;
    char *end;
    unsigned long n = v[0] >= '0' && v[0] <= '9' ? strtoul(v, &end, 10) : ULONG_MAX;
    if (n == ULONG_MAX || *end != '\0' || n > COMICSRV_MAX_LATENCY_MS) {
        req->refusal = MHD_HTTP_BAD_REQUEST;
        req->refusal_why = "?latency= must be a whole number of milliseconds from 0 to " STR(
            COMICSRV_MAX_LATENCY_MS);
        return -1;
    }
    *ms = (unsigned)n;
    return 0;
}

int comicsrv_overrides_on(const struct comicsrv_opts *o)
{
    return o->overrides == COMICSRV_OVERRIDES_ON ||
           (o->overrides == COMICSRV_OVERRIDES_AUTO && !o->any_address);
}

/* 1 if the request asks for a query override the server does not honour
 * (comicsrv_overrides_on): then it is refused, saying why. */
static int refuse_overrides(struct comicsrv_req *req)
{
    if (comicsrv_overrides_on(&req->srv->opts))
        return 0;
    if (MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "latency") == NULL &&
        MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "fault") == NULL)
        return 0;
    req->refusal = MHD_HTTP_FORBIDDEN;
    req->refusal_why = "?latency= and ?fault= are off on this server (a public one: "
                       "retreat serve --public --allow-overrides turns them on)";
    return 1;
}

/* Which fault applies: the URL's own ?fault=, else the first matching option. */
static void choose_fault(struct comicsrv_req *req)
{
    const struct comicsrv_opts *o = &req->srv->opts;
    req->fault_query = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "fault");
    if (req->fault_query != NULL) {
        if (comicsrv_fault_parse(req->fault_query, &req->fault, NULL) != 0)
            req->bad_fault = 1; /* a typo in a test must not pass for a working URL */
        return;
    }
    if (req->res != COMICSRV_RES_FEED)
        return;
    for (unsigned k = 0; k < o->nfaults; k++) {
        unsigned every = o->faults[k].every ? o->faults[k].every : 1;
        if (req->comic % every == every - 1) {
            req->fault = o->faults[k];
            return;
        }
    }
}

/* The comic's own delay plus this URL's jitter. */
static unsigned url_delay_ms(const struct comicsrv *srv, const struct comicsrv_req *req)
{
    unsigned ms = req->res == COMICSRV_RES_UNKNOWN || req->res == COMICSRV_RES_LIST
                      ? 0
                      : srv->delay_ms[req->comic];
    if (srv->opts.jitter_ms > 0)
        ms += (unsigned)(comicsrv_hash(srv->opts.seed ^ hash_string(req->path)) %
                         (srv->opts.jitter_ms + 1u));
    return ms;
}

static enum MHD_Result refuse_method(struct MHD_Connection *conn)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, resp);
    MHD_destroy_response(resp);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct comicsrv *srv = cls;
    struct comicsrv_req *req = *req_cls;
    (void)version;
    (void)upload_data;

    if (req == NULL) { /* first call: headers are in */
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return refuse_method(conn); /* a read-only server */
        if ((req = calloc(1, sizeof *req)) == NULL)
            return MHD_NO;
        *req_cls = req;
        req->srv = srv;
        req->conn = conn;
        atomic_fetch_add(&srv->requests, 1);
        parse_path(req, url);
        choose_base(req);
        unsigned ms = 0;
        if (!refuse_overrides(req)) { /* a refusal is answered at once, below */
            choose_fault(req);
            req->hop = query_number(conn, "hop", 1000000, 0);
            choose_delay(req, url_delay_ms(srv, req), &ms);
        }
        if (req->refusal == 0 && ms > 0) {
            comicsrv_timer_delay(&srv->timer, conn, ms);
            return MHD_YES;
        }
    }
    if (*upload_data_size != 0) { /* a GET with a body: ignore the body */
        *upload_data_size = 0;
        return MHD_YES;
    }
    req->delayed = 1;
    return comicsrv_answer(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct comicsrv_req *req = *req_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (req == NULL)
        return;
    free(req->body);
    free(req);
    *req_cls = NULL;
}

/* --- Start and stop ------------------------------------------------------ */

/* Many waiting connections need many descriptors: lift the soft limit. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl); /* best effort: we still run with fewer */
    }
}

/* Opens the listening socket ourselves rather than letting libmicrohttpd do
 * it: then the port (chosen by the kernel when asked for 0) is known before
 * any request can arrive, and the links that name it are ready in time. */
static int open_listener(struct comicsrv *srv, struct err *err)
{
    const struct comicsrv_opts *o = &srv->opts;
    const char *where = o->any_address ? "every interface" : "127.0.0.1";
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    addr.sin_addr.s_addr = htonl(o->any_address ? INADDR_ANY : INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int one = 1;
    srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0)
        return err_set(err, "comic server: cannot create a socket: %s", strerror(errno));
    setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv->listen_fd, LISTEN_BACKLOG) != 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len) != 0) {
        int e = errno;
        close(srv->listen_fd);
        srv->listen_fd = -1;
        return err_set(err, "comic server: cannot listen on %s port %u: %s", where, o->port,
                       strerror(e));
    }
    srv->port = ntohs(addr.sin_port);
    snprintf(srv->base, sizeof srv->base, "http://127.0.0.1:%u", srv->port);
    return 0;
}

/* Frees what comicsrv_start built, whatever it got to. */
static void free_server(struct comicsrv *srv)
{
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    pthread_mutex_destroy(&srv->counters_lock);
    free_counters(srv);
    free(srv->delay_ms);
    free(srv);
}

int comicsrv_start(struct comicsrv **out, const struct comicsrv_opts *opts, struct err *err)
{
    *out = NULL;
    unsigned count = opts->count ? opts->count : COMICSRV_DEFAULT_COUNT;
    if (count > COMICSRV_MAX_COUNT)
        return err_set(err, "comic server: %u comics asked for, at most %u", count,
                       COMICSRV_MAX_COUNT);
    if (opts->port > 65535)
        return err_set(err, "comic server: port %u is not a TCP port (0-65535)", opts->port);
    if (opts->nfaults > COMICSRV_MAX_FAULTS)
        return err_set(err, "comic server: at most %d faults", COMICSRV_MAX_FAULTS);
    if (opts->latency_ms > COMICSRV_MAX_LATENCY_MS / 3 ||
        opts->jitter_ms > COMICSRV_MAX_LATENCY_MS / 3)
        return err_set(err, "comic server: latency and jitter are capped at %u ms",
                       COMICSRV_MAX_LATENCY_MS / 3);

    struct comicsrv *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return err_set(err, "comic server: out of memory");
    srv->opts = *opts;
    srv->opts.count = count;
    srv->listen_fd = -1;
    pthread_mutex_init(&srv->counters_lock, NULL);
    srv->delay_ms = calloc(count, sizeof *srv->delay_ms);
    srv->counters = calloc(COUNTER_BUCKETS, sizeof *srv->counters);
    if (srv->delay_ms == NULL || srv->counters == NULL) {
        free_server(srv);
        return err_set(err, "comic server: out of memory");
    }
    /* Each comic's delay is 0.1 to 2.1 times the mean, as the seed says. */
    for (unsigned i = 0; i < count; i++)
        srv->delay_ms[i] = (unsigned)((uint64_t)opts->latency_ms *
                                      (10 + comicsrv_hash(opts->seed * 0x10001u + i) % 201) / 100);

    raise_fd_limit();
    if (open_listener(srv, err) != 0) {
        free_server(srv);
        return -1;
    }
    if (comicsrv_timer_start(&srv->timer, err) != 0) {
        free_server(srv);
        return -1;
    }
    srv->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC, 0,
        NULL, NULL, on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)CONNECTION_MEMORY, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        comicsrv_timer_stop(&srv->timer);
        comicsrv_timer_free(&srv->timer);
        free_server(srv);
        return err_set(err, "comic server: libmicrohttpd cannot start (out of threads or memory)");
    }
    srv->listen_fd = -1; /* libmicrohttpd's now: it closes it when it stops */
    *out = srv;
    return 0;
}

void comicsrv_stop(struct comicsrv *srv)
{
    if (srv == NULL)
        return;
    /* Resume every waiting request first: libmicrohttpd must not be stopped
     * with connections still suspended. */
    comicsrv_timer_stop(&srv->timer);
    MHD_stop_daemon(srv->daemon);
    comicsrv_timer_free(&srv->timer);
    free_server(srv);
}

/* --- Accessors ----------------------------------------------------------- */

unsigned comicsrv_port(const struct comicsrv *srv)
{
    return srv->port;
}

unsigned comicsrv_count(const struct comicsrv *srv)
{
    return srv->opts.count;
}

unsigned long comicsrv_requests(const struct comicsrv *srv)
{
    return atomic_load(&((struct comicsrv *)srv)->requests);
}

unsigned long comicsrv_waiting(const struct comicsrv *srv)
{
    struct comicsrv_timer *t = (struct comicsrv_timer *)&srv->timer;
    pthread_mutex_lock(&t->lock);
    unsigned long n = t->len;
    pthread_mutex_unlock(&t->lock);
    return n;
}

int comicsrv_url(const struct comicsrv *srv, const char *path, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s%s", srv->base, path);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

int comicsrv_feed_url(const struct comicsrv *srv, unsigned i, char *buf, size_t size)
{
    if (i >= srv->opts.count)
        return -1;
    int n = snprintf(buf, size, "%s/feed/%u.xml", srv->base, i);
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

unsigned comicsrv_feed_delay_ms(const struct comicsrv *srv, unsigned i)
{
    struct comicsrv_req req = {.srv = (struct comicsrv *)srv, .res = COMICSRV_RES_FEED, .comic = i};
    if (i >= srv->opts.count)
        return 0;
    snprintf(req.path, sizeof req.path, "/feed/%u.xml", i);
    return url_delay_ms(srv, &req);
}
