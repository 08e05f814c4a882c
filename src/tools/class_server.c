/* class_server.c - the class server's daemon and routes; see class_server.h.
 *
 * libmicrohttpd runs one internal polling thread (epoll), and every request
 * is answered on it: uploads are small, SQLite commits in WAL mode are fast,
 * and one thread means the rate-limit buckets below need no lock (the store
 * has its own mutex for callers outside the server). A POST body is gathered
 * over several calls of on_request() up to CLASS_BODY_MAX; past that the rest
 * is read and dropped and the answer is 413, so a huge upload costs the
 * server no memory. A Content-Length over the cap is refused at once.
 */
#include "class_server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <microhttpd.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "class_store.h"
#include "class_upload.h"
#include "runlog.h"
#include "trace.h"

#define CONNECTION_LIMIT 1024
#define IDLE_TIMEOUT_S 30

struct bucket {
    long id;
    double tokens;
    double last_s;
};

struct class_server {
    struct class_server_opts opts;
    struct class_store *store;
    struct MHD_Daemon *daemon;
    int listen_fd;
    unsigned port;
    char host[64];
    struct bucket *buckets; /* touched by the MHD thread only */
    size_t nbuckets;
    atomic_ulong accepted, refused;
};

enum route { R_PAGE, R_STATE, R_JOIN, R_UPLOAD, R_RUNLOG, R_TRACE, R_NOT_FOUND };

struct req {
    enum route route;
    long run;
    char *body;
    size_t len;
    int too_large;
};

/* --- Answers ------------------------------------------------------------------ */

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
                              const char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, mode);
    if (resp == NULL)
        return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result r = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* A refusal: the status and one sentence, as plain text. */
static enum MHD_Result refuse(struct class_server *srv, struct MHD_Connection *conn,
                              unsigned status, const char *why)
{
    char *text;
    if (asprintf(&text, "%s\n", why) < 0)
        return MHD_NO;
    if (status != 404 && status != 405)
        atomic_fetch_add(&srv->refused, 1);
    return answer(conn, status, "text/plain; charset=utf-8", text, strlen(text),
                  MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result answer_json(struct MHD_Connection *conn, unsigned status, char *json)
{
    return answer(conn, status, "application/json", json, strlen(json), MHD_RESPMEM_MUST_FREE);
}

/* A run's trace (trace.h): its stored run log, which was checked line by line
 * on upload, as Chrome Trace Event JSON for ui.perfetto.dev. Takes runlog. */
static enum MHD_Result answer_trace(struct class_server *srv, struct MHD_Connection *conn,
                                    char *runlog, size_t len)
{
    struct runlog_span *spans = NULL;
    size_t count = 0;
    char *json = NULL;
    size_t json_len = 0;
    struct err err;
    int rc = runlog_parse_text(runlog, len, "the stored run log", &spans, &count, &err);
    free(runlog);
    FILE *out = rc == 0 ? open_memstream(&json, &json_len) : NULL;
    if (rc == 0 && out == NULL)
        rc = err_set(&err, "out of memory writing a trace");
    if (out != NULL) {
        rc = trace_write_json(spans, count, out, &err);
        if (fclose(out) != 0 && rc == 0)
            rc = err_set(&err, "out of memory writing a trace");
    }
    free(spans);
    if (rc != 0) {
        free(json);
        return refuse(srv, conn, 500, err.msg);
    }
    return answer(conn, 200, "application/json", json, json_len, MHD_RESPMEM_MUST_FREE);
}

/* --- Routes ------------------------------------------------------------------- */

/* Equal strings, in a time that does not depend on where they differ. */
static int same_code(const char *a, const char *b, size_t n)
{
    unsigned char d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static enum route route_of(const struct class_server *srv, const char *url, long *run)
{
    const char *code = class_store_code(srv->store);
    if (strncmp(url, "/c/", 3) != 0 || strlen(url + 3) < CLASS_CODE_HEX ||
        !same_code(url + 3, code, CLASS_CODE_HEX))
        return R_NOT_FOUND;
    const char *rest = url + 3 + CLASS_CODE_HEX;
    char tail[32];
    int end = 0;
    if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0)
        return R_PAGE;
    if (strcmp(rest, "/api/state") == 0)
        return R_STATE;
    if (strcmp(rest, "/api/join") == 0)
        return R_JOIN;
    if (strcmp(rest, "/api/upload") == 0)
        return R_UPLOAD;
    if (sscanf(rest, "/api/run/%ld/%31[a-z.]%n", run, tail, &end) == 2 && rest[end] == '\0' &&
        *run > 0) {
        if (strcmp(tail, "runlog") == 0)
            return R_RUNLOG;
        if (strcmp(tail, "trace.json") == 0)
            return R_TRACE;
    }
    return R_NOT_FOUND;
}

/* Token bucket of participant id: 1 if it may post now. */
static int rate_ok(struct class_server *srv, long id)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    double burst = srv->opts.rate_burst ? srv->opts.rate_burst : CLASS_RATE_BURST;
    double per_s = (srv->opts.rate_per_min ? srv->opts.rate_per_min : CLASS_RATE_PER_MIN) / 60.0;
    struct bucket *b = NULL;
    for (size_t i = 0; i < srv->nbuckets && b == NULL; i++)
        if (srv->buckets[i].id == id)
            b = &srv->buckets[i];
    if (b == NULL) {
        /* At most CLASS_MAX_PARTICIPANTS ids exist, so this stays small. */
        struct bucket *grown = realloc(srv->buckets, (srv->nbuckets + 1) * sizeof *grown);
        if (grown == NULL)
            return 0;
        srv->buckets = grown;
        b = &srv->buckets[srv->nbuckets++];
        *b = (struct bucket){.id = id, .tokens = burst, .last_s = now};
    }
    b->tokens += (now - b->last_s) * per_s;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_s = now;
    if (b->tokens < 1)
        return 0;
    b->tokens -= 1;
    return 1;
}

static enum MHD_Result do_upload(struct class_server *srv, struct MHD_Connection *conn,
                                 struct req *req)
{
    struct err err = {{0}};
    struct class_upload up;
    int status;
    long id, run;
    if (req->too_large) {
        snprintf(err.msg, sizeof err.msg,
                 "upload: more than %u bytes, the class accepts at most %u", CLASS_BODY_MAX,
                 CLASS_BODY_MAX);
        return refuse(srv, conn, 413, err.msg);
    }
    if (class_upload_parse(req->body ? req->body : "", req->len, srv->opts.exercises,
                           srv->opts.nexercises, &up, &status, &err) != 0)
        return refuse(srv, conn, (unsigned)status, err.msg);
    enum MHD_Result r;
    if (class_store_identify(srv->store, up.name, up.token, 1, &id, &status, &err) != 0) {
        r = refuse(srv, conn, (unsigned)status, err.msg);
    } else if (!rate_ok(srv, id)) {
        snprintf(err.msg, sizeof err.msg,
                 "%s: too many uploads (at most %u a minute): wait a little and grade again",
                 up.name, srv->opts.rate_per_min ? srv->opts.rate_per_min : CLASS_RATE_PER_MIN);
        r = refuse(srv, conn, 429, err.msg);
    } else if (class_store_add_run(srv->store, id, &up, &run, &err) != 0) {
        r = refuse(srv, conn, 500, err.msg);
    } else {
        char *json;
        atomic_fetch_add(&srv->accepted, 1);
        r = asprintf(&json, "{\"run\":%ld}\n", run) < 0 ? MHD_NO : answer_json(conn, 201, json);
    }
    class_upload_free(&up);
    return r;
}

static enum MHD_Result do_join(struct class_server *srv, struct MHD_Connection *conn,
                               struct req *req)
{
    struct err err = {{0}};
    char name[CLASS_NAME_MAX + 1], token[CLASS_TOKEN_HEX + 1];
    int status;
    long id;
    if (req->too_large)
        return refuse(srv, conn, 413, "join: too large");
    if (class_upload_parse_join(req->body ? req->body : "", req->len, name, token, &status, &err) !=
            0 ||
        class_store_identify(srv->store, name, token, 1, &id, &status, &err) != 0)
        return refuse(srv, conn, (unsigned)status, err.msg);
    /* The cleaned name goes back: the client saves what the class shows. */
    json_t *o = json_pack("{s:s}", "name", name);
    char *reply = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return reply ? answer_json(conn, 200, reply) : MHD_NO;
}

static enum MHD_Result do_get(struct class_server *srv, struct MHD_Connection *conn,
                              struct req *req)
{
    struct err err = {{0}};
    char *data;
    size_t len;
    int rc;
    switch (req->route) {
    case R_PAGE: {
        const char *html = class_page_html();
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(html), (void *)html, MHD_RESPMEM_PERSISTENT);
        if (resp == NULL)
            return MHD_NO;
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        /* No external assets, and the browser enforces it. */
        MHD_add_response_header(resp, "Content-Security-Policy",
                                "default-src 'none'; style-src 'unsafe-inline'; "
                                "script-src 'unsafe-inline'; connect-src 'self'; img-src 'self'");
        enum MHD_Result r = MHD_queue_response(conn, MHD_HTTP_OK, resp);
        MHD_destroy_response(resp);
        return r;
    }
    case R_STATE:
        if (class_store_state(srv->store, &data, &err) != 0)
            return refuse(srv, conn, 500, err.msg);
        return answer_json(conn, 200, data);
    case R_RUNLOG:
        rc = class_store_runlog(srv->store, req->run, &data, &len, &err);
        if (rc < 0)
            return refuse(srv, conn, 500, err.msg);
        if (rc == 0)
            return refuse(srv, conn, 404, "no such run, or it came without a run log");
        return answer(conn, 200, "application/x-ndjson", data, len, MHD_RESPMEM_MUST_FREE);
    case R_TRACE:
        rc = class_store_runlog(srv->store, req->run, &data, &len, &err);
        if (rc < 0)
            return refuse(srv, conn, 500, err.msg);
        if (rc == 0)
            return refuse(srv, conn, 404, "no such run, or it came without a run log");
        return answer_trace(srv, conn, data, len);
    default:
        return refuse(srv, conn, 404, "not found");
    }
}

/* --- The daemon ------------------------------------------------------------------ */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct class_server *srv = cls;
    struct req *req = *req_cls;
    (void)version;
    if (req == NULL) { /* first call: the headers are in */
        long run = 0;
        enum route route = route_of(srv, url, &run);
        int post = route == R_JOIN || route == R_UPLOAD;
        if (route == R_NOT_FOUND)
            return refuse(srv, conn, 404, "not found");
        if (strcmp(method, post ? "POST" : "GET") != 0 && (post || strcmp(method, "HEAD") != 0))
            return refuse(srv, conn, 405, post ? "use POST here" : "use GET here");
        const char *cl =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (post && cl != NULL && strtoull(cl, NULL, 10) > CLASS_BODY_MAX) {
            char why[128];
            snprintf(why, sizeof why, "upload: %s bytes, the class accepts at most %u", cl,
                     CLASS_BODY_MAX);
            return refuse(srv, conn, 413, why);
        }
        if ((req = calloc(1, sizeof *req)) == NULL)
            return MHD_NO;
        req->route = route;
        req->run = run;
        *req_cls = req;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->route != R_JOIN && req->route != R_UPLOAD)
            return MHD_YES; /* a GET with a body: ignored */
        if (req->too_large || req->len + n > CLASS_BODY_MAX) {
            req->too_large = 1; /* read and dropped */
            free(req->body);
            req->body = NULL;
            req->len = 0;
            return MHD_YES;
        }
        char *grown = realloc(req->body, req->len + n + 1);
        if (grown == NULL)
            return MHD_NO;
        memcpy(grown + req->len, upload_data, n);
        req->body = grown;
        req->len += n;
        req->body[req->len] = '\0';
        return MHD_YES;
    }
    if (req->route == R_UPLOAD)
        return do_upload(srv, conn, req);
    if (req->route == R_JOIN)
        return do_join(srv, conn, req);
    return do_get(srv, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct req *req = *req_cls;
    (void)cls;
    (void)conn;
    (void)toe;
    if (req != NULL) {
        free(req->body);
        free(req);
        *req_cls = NULL;
    }
}

/* The address a participant's machine can reach: the first IPv4 address of
 * an interface that is up and not loopback; 127.0.0.1 if there is none. */
static void public_host(char *host, size_t size)
{
    struct ifaddrs *list;
    snprintf(host, size, "127.0.0.1");
    if (getifaddrs(&list) != 0)
        return;
    for (struct ifaddrs *i = list; i != NULL; i = i->ifa_next)
        if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET && (i->ifa_flags & IFF_UP) &&
            !(i->ifa_flags & IFF_LOOPBACK)) {
            inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, host,
                      (socklen_t)size);
            break;
        }
    freeifaddrs(list);
}

/* The listening socket is ours, as in comicsrv.c: the port is known before
 * any request arrives. */
static int open_listener(struct class_server *srv, struct err *err)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv->opts.port)};
    addr.sin_addr.s_addr = htonl(srv->opts.any_address ? INADDR_ANY : INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    int one = 1;
    srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0)
        return err_set(err, "class server: cannot create a socket: %m");
    setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(srv->listen_fd, 1024) != 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&addr, &len) != 0)
        return err_set(err, "class server: cannot listen on %s port %u: %m",
                       srv->opts.any_address ? "every interface" : "127.0.0.1", srv->opts.port);
    srv->port = ntohs(addr.sin_port);
    return 0;
}

int class_server_start(struct class_server **out, const struct class_server_opts *o,
                       struct err *err)
{
    *out = NULL;
    if (o->port > 65535)
        return err_set(err, "class server: port %u is not a TCP port (0-65535)", o->port);
    struct class_server *srv = calloc(1, sizeof *srv);
    if (srv == NULL)
        return err_set(err, "class server: out of memory");
    srv->opts = *o;
    srv->listen_fd = -1;
    if (class_store_open(&srv->store, o->db_path, 0, err) != 0 || open_listener(srv, err) != 0)
        goto fail;
    if (o->any_address)
        public_host(srv->host, sizeof srv->host);
    else
        snprintf(srv->host, sizeof srv->host, "127.0.0.1");
    srv->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL,
                                   on_request, srv, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd,
                                   MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
                                   MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                                   MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
    if (srv->daemon == NULL) {
        err_set(err, "class server: libmicrohttpd cannot start (out of threads or memory)");
        goto fail;
    }
    srv->listen_fd = -1; /* libmicrohttpd's now */
    *out = srv;
    return 0;
fail:
    if (srv->listen_fd >= 0)
        close(srv->listen_fd);
    class_store_close(srv->store);
    free(srv);
    return -1;
}

void class_server_stop(struct class_server *srv)
{
    if (srv == NULL)
        return;
    MHD_stop_daemon(srv->daemon);
    class_store_close(srv->store);
    free(srv->buckets);
    free(srv);
}

unsigned class_server_port(const struct class_server *srv)
{
    return srv->port;
}

int class_server_url(const struct class_server *srv, char *buf, size_t size)
{
    int n = snprintf(buf, size, "http://%s:%u/c/%s/", srv->host, srv->port,
                     class_store_code(srv->store));
    return n >= 0 && (size_t)n < size ? 0 : -1;
}

unsigned long class_server_accepted(const struct class_server *srv)
{
    return atomic_load(&((struct class_server *)srv)->accepted);
}

unsigned long class_server_refused(const struct class_server *srv)
{
    return atomic_load(&((struct class_server *)srv)->refused);
}
