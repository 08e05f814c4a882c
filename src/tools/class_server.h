/* class_server.h - `retreat class`: the facilitator's server for a room.
 *
 * Participants who joined post their grade cards and run logs here; the
 * projector shows the leaderboard page; the stream reads the state JSON.
 * libmicrohttpd serves, SQLite keeps (class_store.h), class_upload.h checks.
 * Every URL sits under the class code, so only someone given the join URL
 * can see or post anything; a wrong code is a plain 404 that says nothing.
 *
 *     GET  /c/CODE/                      the leaderboard page (class_page.c)
 *     GET  /c/CODE/api/state             the state JSON (documented in class_store.h)
 *     POST /c/CODE/api/join              {"name","token"}: 200, or 409 if taken
 *     POST /c/CODE/api/upload            a card (class_upload.h): 201 {"run": N}
 *     GET  /c/CODE/api/run/N/runlog      run N's run log (JSON Lines)
 *     GET  /c/CODE/api/run/N/trace.json  run N's Chrome trace (added at merge)
 *
 * Refusals are 4xx with a plain-text sentence: 400 malformed, 404 wrong code
 * or no such run, 405 wrong method, 409 a name owned by another token, 413
 * too large, 429 too many posts (a token bucket per participant: a burst of
 * CLASS_RATE_BURST, then CLASS_RATE_PER_MIN a minute), 403 class full.
 *
 *     struct class_server *srv;
 *     struct class_server_opts o = {.db_path = "class.db"};  // port 0: any free one
 *     if (class_server_start(&srv, &o, &err) != 0) ...
 *     char url[CLASS_URL_MAX];
 *     class_server_url(srv, url, sizeof url);    // http://127.0.0.1:PORT/c/CODE/
 *     ...
 *     class_server_stop(srv);
 */
#ifndef RETREAT_CLASS_SERVER_H
#define RETREAT_CLASS_SERVER_H

#include <stddef.h>

#include "err.h"
#include "exercises.h"

#define CLASS_URL_MAX 512
#define CLASS_RATE_PER_MIN 30 /* sustained posts a minute per participant */
#define CLASS_RATE_BURST 30   /* posts in a row before the rate applies */

struct class_server_opts {
    const char *db_path;              /* the SQLite file; created if missing */
    unsigned port;                    /* 0: any free port */
    int any_address;                  /* 1: every interface (--public); 0: loopback */
    const struct exercise *exercises; /* ids accepted; NULL/0: any NN-name */
    size_t nexercises;
    unsigned rate_per_min; /* 0: CLASS_RATE_PER_MIN */
    unsigned rate_burst;   /* 0: CLASS_RATE_BURST */
};

struct class_server;

/* Opens the database and starts serving (one libmicrohttpd thread). */
int class_server_start(struct class_server **srv, const struct class_server_opts *o,
                       struct err *err);

/* Stops serving and closes the database. Safe on NULL. */
void class_server_stop(struct class_server *srv);

unsigned class_server_port(const struct class_server *srv);

/* The join URL: http://HOST:PORT/c/CODE/ with HOST 127.0.0.1, or with
 * any_address this machine's first non-loopback IPv4 address. */
int class_server_url(const struct class_server *srv, char *buf, size_t size);

/* Uploads accepted (201) and refused (4xx) since start. */
unsigned long class_server_accepted(const struct class_server *srv);
unsigned long class_server_refused(const struct class_server *srv);

/* The HTML of the leaderboard page (class_page.c): one self-contained
 * document, inline CSS and script, no external assets. */
const char *class_page_html(void);

#endif
