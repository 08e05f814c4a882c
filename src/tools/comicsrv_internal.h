/* comicsrv_internal.h - what the files of the comic server share.
 *
 * Not an API: comicsrv.h is. The server is split by concern -
 *     comicsrv.c         the daemon: start, stop, the request handler
 *     comicsrv_timer.c   one thread that resumes delayed requests when due
 *     comicsrv_routes.c  what each URL answers, faults included
 *     comicsrv_draw.c    the comic images, drawn from their numbers
 *     comicsrv_fault.c   the fault SPEC grammar
 * and these are the types and calls that cross between them.
 */
#ifndef RETREAT_COMICSRV_INTERNAL_H
#define RETREAT_COMICSRV_INTERNAL_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "comicsrv.h"
#include "err.h"
#include "img.h"

/* --- The timer (comicsrv_timer.c) ---------------------------------------- */

struct comicsrv_wait {
    uint64_t due_ns;
    struct MHD_Connection *conn;
};

struct comicsrv_timer {
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on the monotonic clock */
    pthread_t thread;
    struct comicsrv_wait *heap; /* a binary min-heap on due_ns */
    size_t len, cap;
    int stopping;
};

int comicsrv_timer_start(struct comicsrv_timer *t, struct err *err);

/* Suspends conn (the caller is MHD's access handler or content reader for
 * it) and has the timer thread resume it ms milliseconds from now. If the
 * timer is stopping, conn is resumed at once. */
void comicsrv_timer_delay(struct comicsrv_timer *t, struct MHD_Connection *conn, unsigned ms);

/* Resumes every waiting connection and joins the thread. Later delays are
 * resumed at once, until comicsrv_timer_free. */
void comicsrv_timer_stop(struct comicsrv_timer *t);

/* Frees the timer; call it once libmicrohttpd has stopped. */
void comicsrv_timer_free(struct comicsrv_timer *t);

/* --- The server and one request (comicsrv.c) ----------------------------- */

struct comicsrv_counter; /* requests seen per URL, for "503 then success" */

struct comicsrv {
    struct MHD_Daemon *daemon;
    struct comicsrv_opts opts; /* count filled in */
    int listen_fd;             /* ours until libmicrohttpd has started; -1 after */
    unsigned port;
    char base[64];      /* "http://127.0.0.1:PORT" */
    unsigned *delay_ms; /* count entries: each comic's delay */
    atomic_ulong requests;
    struct comicsrv_timer timer;
    pthread_mutex_t counters_lock;
    struct comicsrv_counter **counters; /* hash buckets */
};

enum comicsrv_resource {
    COMICSRV_RES_UNKNOWN = 0,
    COMICSRV_RES_LIST,  /* /feeds.txt */
    COMICSRV_RES_FEED,  /* /feed/i.xml */
    COMICSRV_RES_PAGE,  /* /comic/i/e.html */
    COMICSRV_RES_IMAGE, /* /comic/i/e.png */
};

/* One request, kept in MHD's per-request pointer between calls. */
struct comicsrv_req {
    struct comicsrv *srv;
    struct MHD_Connection *conn;
    enum comicsrv_resource res;
    unsigned comic, episode;
    char path[COMICSRV_URL_MAX]; /* the URL's path, without query */
    char base[96];               /* "http://HOST:PORT" for the links we write */
    struct comicsrv_fault fault; /* the one that applies, if any */
    const char *fault_query;     /* the ?fault= value, or NULL */
    int bad_fault;               /* 1 if ?fault= did not parse: answer 400 */
    unsigned refusal;            /* an HTTP status to answer at once, or 0 */
    const char *refusal_why;     /* and why (a static string) */
    unsigned hop;                /* ?hop=: how far along a redirect chain */
    int delayed;                 /* 1 once the delay has been waited */
    /* A drip-fed body (fault "slow"). */
    char *body;
    size_t size;
    int drip_due; /* 1 when the timer has resumed us for the next chunk */
};

/* Counts one more request of key and returns how many there were so far. */
unsigned long comicsrv_count_request(struct comicsrv *srv, const char *key);

/* --- Answers (comicsrv_routes.c) ----------------------------------------- */

/* Queues the answer to req once its delay has passed. MHD_NO closes the
 * connection without an answer (the "reset" fault, or out of memory). */
enum MHD_Result comicsrv_answer(struct comicsrv_req *req);

/* --- Images (comicsrv_draw.c) -------------------------------------------- */

#define COMICSRV_IMAGE_WIDTH 480
#define COMICSRV_IMAGE_HEIGHT 180

/* Draws episode e of comic i (three panels, colours and shapes from i and e). */
int comicsrv_draw(unsigned comic, unsigned episode, struct img *im, struct err *err);

/* A 64-bit mix of x (splitmix64's finaliser): the server's only randomness. */
uint64_t comicsrv_hash(uint64_t x);

#endif
