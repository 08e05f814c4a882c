/* feed.h - reading an RSS 2.0 or Atom feed: which comic is the newest?
 *
 * A feed is untrusted input from the network, so it is parsed by libxml2 with
 * the doors closed: no network access (XML_PARSE_NONET), entities are never
 * substituted (no XML_PARSE_NOENT), a document type declaring entities is
 * refused outright (that is how "billion laughs" and external-entity attacks
 * start), and input over FEED_MAX_BYTES is refused before parsing.
 *
 * From the feed we want only its newest entry: the link to its page and, if it
 * has one, its image (RSS <enclosure url=...>, Atom <link rel="enclosure">).
 * "Newest" is by date (RSS pubDate, Atom updated or published) where entries
 * have one, else the first entry. Relative links are resolved against the
 * feed's own URL, and only http and https links are accepted.
 *
 *     struct feed_entry e;
 *     if (feed_parse(body, size, "http://127.0.0.1:8080/feed/3.xml", &e, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);   // names the feed and why
 *     else
 *         printf("%s: %s\n", e.feed_title, e.link);
 */
#ifndef RETREAT_FEED_H
#define RETREAT_FEED_H

#include <stddef.h>

#include "err.h"

#define FEED_MAX_BYTES (4u * 1024 * 1024) /* largest feed we agree to parse */
#define FEED_URL_MAX 2048                 /* longest URL we keep */
#define FEED_TITLE_MAX 256

enum feed_format {
    FEED_RSS = 1,
    FEED_ATOM,
};

struct feed_entry {
    enum feed_format format;
    char feed_title[FEED_TITLE_MAX]; /* the channel's / feed's title; "" if none */
    char title[FEED_TITLE_MAX];      /* the entry's title; "" if none */
    char link[FEED_URL_MAX];         /* absolute http(s) URL of the entry's page */
    char image[FEED_URL_MAX];        /* absolute http(s) URL of its image; "" if none */
    char id[FEED_URL_MAX];           /* RSS guid / Atom id; the link if it has none */
};

/* Parses a feed (size bytes at body, not necessarily NUL-terminated) that was
 * fetched from url, and fills *out with its newest entry. Fails - with a
 * message naming url and the reason - on: input too large, malformed XML, a
 * DTD declaring entities, neither RSS nor Atom, no entries, an entry without
 * a usable http(s) link. */
int feed_parse(const char *body, size_t size, const char *url, struct feed_entry *out,
               struct err *err);

/* 1 if url starts with "http://" or "https://" (any case) and has a host. */
int feed_is_http_url(const char *url);

#endif
