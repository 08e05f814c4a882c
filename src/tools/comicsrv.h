/* comicsrv.h - the embedded comic server: synthetic webcomics on loopback.
 *
 * The fetch track needs feeds to read, and a workshop cannot depend on the
 * internet (or on twenty real webcomics answering on cue). So retreat carries
 * its own: N synthetic comics, served by libmicrohttpd, each with a feed, an
 * entry page and procedurally drawn PNG images. The same server backs
 * `retreat serve`, `retreat comics` (when given no feeds file) and every
 * test of the fetch track, which starts it in-process on a free port.
 *
 * URLs (comic numbers i run from 0 to count-1, episodes e from 1 to
 * COMICSRV_EPISODES, the newest being COMICSRV_EPISODES):
 *
 *     /feeds.txt             every feed URL, one per line
 *     /feed/i.xml            comic i's feed: RSS 2.0 for even i, Atom for odd i
 *     /comic/i/e.html        an entry page showing the episode's image
 *     /comic/i/e.png         the episode's image, drawn from (i, e)
 *
 * RSS feeds list their episodes newest first with absolute links; Atom feeds
 * oldest first with relative links, so a reader must go by date and resolve
 * links against the feed's URL. Every entry links to its page and carries its
 * image as an enclosure (RSS <enclosure>, Atom <link rel="enclosure">). Links
 * name 127.0.0.1, or with any_address the Host the client asked for.
 *
 * Latency: every request of comic i waits the comic's own delay (between
 * 0.1 and 2.1 times latency_ms, chosen by the seed, so some comics are fast
 * and some slow and completion order differs from list order) plus a jitter
 * of up to jitter_ms, also chosen by the seed and the URL: the same seed
 * gives the same delays. `?latency=MS` on any URL sets that request's delay
 * exactly; over COMICSRV_MAX_LATENCY_MS, or not a number, it is refused (400)
 * rather than silently replaced by the comic's own delay. Delays do not hold a thread: the request
 * is suspended (MHD_suspend_connection) and one timer thread resumes it when it is due, so tens of
 * thousands of delayed requests can wait at once.
 *
 * Faults, by option (applied to feed URLs of some comics) or by the query
 * `?fault=SPEC` on any URL. SPEC is KIND[:n=N][:every=N]:
 *
 *     404, 500        that status, with a short HTML body
 *     503             503 for the first n requests of that URL (default 2),
 *                     with Retry-After: 0, then success
 *     reset           the connection is closed without a response
 *     slow            the body is drip-fed: 64 bytes every n ms (default 100)
 *     truncate        Content-Length promises the whole body, half is sent
 *     redirect        a chain of n 302 redirects (default 3), then the content
 *     loop            302 redirects that never end
 *     malformed       the feed's XML is cut off mid-element
 *     laughs          a "billion laughs" feed: nested entity definitions
 *     huge            a valid-looking feed of n MiB (default 16) of entries
 *     type            the right body with the wrong Content-Type
 *
 * every=N (options only) picks comics N-1, 2N-1, ...: every Nth feed. The
 * fault applies to feed URLs; `?fault=` applies to the URL it is on.
 *
 * The query overrides (?latency= and ?fault=) let a client ask for a 1 GiB
 * body or a ten-minute wait: fine for tests on loopback, not for a server
 * anyone can reach. So they follow opts.overrides: by default (AUTO) they
 * are honoured on loopback and refused (403, saying so) by a server that
 * listens on every interface; ON and OFF say so outright (`retreat serve
 * --public --allow-overrides` is ON). comicsrv_overrides_on() is the rule.
 *
 *     struct comicsrv *srv;
 *     struct comicsrv_opts o = {.count = 5};    // zero: defaults
 *     if (comicsrv_start(&srv, &o, &err) != 0) ...
 *     char url[COMICSRV_URL_MAX];
 *     comicsrv_feed_url(srv, 3, url, sizeof url);   // http://127.0.0.1:PORT/feed/3.xml
 *     ...
 *     comicsrv_stop(srv);
 */
#ifndef RETREAT_COMICSRV_H
#define RETREAT_COMICSRV_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define COMICSRV_DEFAULT_COUNT 20
#define COMICSRV_MAX_COUNT 10000
#define COMICSRV_EPISODES 3
#define COMICSRV_MAX_FAULTS 8
#define COMICSRV_URL_MAX 256
#define COMICSRV_MAX_LATENCY_MS 600000 /* ten minutes: the cap on any delay */

enum comicsrv_fault_kind {
    COMICSRV_FAULT_NONE = 0,
    COMICSRV_FAULT_404,
    COMICSRV_FAULT_500,
    COMICSRV_FAULT_503,
    COMICSRV_FAULT_RESET,
    COMICSRV_FAULT_SLOW,
    COMICSRV_FAULT_TRUNCATE,
    COMICSRV_FAULT_REDIRECT,
    COMICSRV_FAULT_LOOP,
    COMICSRV_FAULT_MALFORMED,
    COMICSRV_FAULT_LAUGHS,
    COMICSRV_FAULT_HUGE,
    COMICSRV_FAULT_TYPE,
};

struct comicsrv_fault {
    enum comicsrv_fault_kind kind;
    unsigned n;     /* the kind's parameter (see above); 0: its default */
    unsigned every; /* applies to comics every-1, 2*every-1, ...; 0 or 1: all */
};

/* Parses a fault SPEC ("404", "503:n=1", "slow:n=50:every=4") into f.
 * Errors name the spec and what is wrong with it. */
int comicsrv_fault_parse(const char *spec, struct comicsrv_fault *f, struct err *err);

/* The name of a fault kind, as written in a SPEC ("404", "reset", ...). */
const char *comicsrv_fault_name(enum comicsrv_fault_kind kind);

enum comicsrv_overrides {
    COMICSRV_OVERRIDES_AUTO = 0, /* on with loopback, off with any_address */
    COMICSRV_OVERRIDES_ON,
    COMICSRV_OVERRIDES_OFF,
};

struct comicsrv_opts {
    unsigned count;  /* comics, 1..COMICSRV_MAX_COUNT; 0: COMICSRV_DEFAULT_COUNT */
    unsigned port;   /* TCP port; 0: any free port (see comicsrv_port) */
    int any_address; /* 1: listen on every interface; 0: loopback only */
    enum comicsrv_overrides overrides; /* ?latency= and ?fault= (see above) */
    uint64_t seed;                     /* chooses the comics' delays and jitter */
    unsigned latency_ms;               /* mean delay of a comic's requests; 0: none */
    unsigned jitter_ms;                /* up to this much more per URL; 0: none */
    struct comicsrv_fault faults[COMICSRV_MAX_FAULTS]; /* the first match wins */
    unsigned nfaults;
};

/* 1 if a server started with o honours ?latency= and ?fault=. */
int comicsrv_overrides_on(const struct comicsrv_opts *o);

struct comicsrv;

/* Starts serving in background threads (libmicrohttpd's polling thread and
 * the timer thread). Raises RLIMIT_NOFILE towards its hard limit so that
 * many connections can wait at once. */
int comicsrv_start(struct comicsrv **srv, const struct comicsrv_opts *opts, struct err *err);

/* Stops serving: answers every waiting request, joins the threads, frees
 * everything. Safe on NULL. */
void comicsrv_stop(struct comicsrv *srv);

/* The TCP port the server listens on (the chosen one when asked for 0). */
unsigned comicsrv_port(const struct comicsrv *srv);

/* The number of comics served. */
unsigned comicsrv_count(const struct comicsrv *srv);

/* Writes "http://127.0.0.1:PORT" followed by path (which starts with '/')
 * into buf. Returns -1 if it does not fit. */
int comicsrv_url(const struct comicsrv *srv, const char *path, char *buf, size_t size);

/* Writes the URL of comic i's feed into buf. Returns -1 if i is out of range
 * or the URL does not fit. */
int comicsrv_feed_url(const struct comicsrv *srv, unsigned i, char *buf, size_t size);

/* The number of HTTP requests the server has begun answering so far. */
unsigned long comicsrv_requests(const struct comicsrv *srv);

/* The number of requests waiting right now (delayed, or between two chunks
 * of a slow body): how many connections the timer holds at once. */
unsigned long comicsrv_waiting(const struct comicsrv *srv);

/* The delay, in milliseconds, of every request of comic i's feed URL (with
 * no query): the comic's delay plus the URL's jitter, as the seed chose them.
 * Lets tests predict which feeds finish first. */
unsigned comicsrv_feed_delay_ms(const struct comicsrv *srv, unsigned i);

#endif
