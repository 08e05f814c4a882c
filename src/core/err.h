/* err.h - a small error message buffer.
 *
 * Every function in retreat that can fail returns an int (0 on success, -1 on
 * failure) and, on failure, fills a `struct err` with a sentence a human can act
 * on: which input, and why. The caller decides whether to print it, add
 * context, or carry on with the next file.
 *
 *     struct err err = {0};
 *     if (img_load("cat.png", &im, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);
 */
#ifndef RETREAT_ERR_H
#define RETREAT_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 512

struct err {
    char msg[ERR_MSG_MAX];
};

/* Formats a message into err (if err is not NULL) and returns -1, so that a
 * failing function can end with `return err_set(err, "...", ...);`. */
int err_set(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the message already in err with more context ("photo.png: "). */
int err_prefix(struct err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
