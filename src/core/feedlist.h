/* feedlist.h - the feeds file of `retreat comics`: which feeds to read.
 *
 * One URL per line; blank lines and lines starting with '#' are ignored, and
 * so is anything after the URL that starts with whitespace and '#':
 *
 *     # my comics
 *     https://xkcd.com/atom.xml
 *     http://127.0.0.1:8080/feed/3.xml   # the embedded server's
 *
 * A bad line - not http or https, longer than FEED_URL_MAX, with junk after
 * the URL, a duplicate - does not spoil the others: it is left out and noted
 * in `problems` as "FILE:LINE: reason", for the caller to print.
 */
#ifndef RETREAT_FEEDLIST_H
#define RETREAT_FEEDLIST_H

#include <stddef.h>

#include "err.h"

#define FEEDLIST_MAX_BYTES (16u * 1024 * 1024) /* largest feeds file read */
#define FEEDLIST_MAX_URLS 20000

struct feedlist {
    char **urls; /* count URLs, in file order */
    size_t count;
    char **problems; /* nproblems messages about left-out lines */
    size_t nproblems;
};

/* Reads the feeds file at path. Fails (naming the file) only if it cannot be
 * read at all, is too large or has too many URLs; bad lines are problems. */
int feedlist_read(const char *path, struct feedlist *list, struct err *err);

/* The same, from size bytes of text; name is used in the messages. */
int feedlist_parse(const char *text, size_t size, const char *name, struct feedlist *list,
                   struct err *err);

/* Frees everything and zeroes the list; safe on a zeroed list. */
void feedlist_free(struct feedlist *list);

#endif
