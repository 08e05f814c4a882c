/* stream_class.h - the class server's state, as the stream reads it.
 *
 * The class server (class_server.h) answers GET /c/CODE/api/state with a
 * JSON object: the leaderboard, who passed each exercise first, the latest
 * passing run and the latest run whose card failed "races" (the format is
 * documented in class_store.h, which writes it). This module turns that text into a struct the
 * stream's class scenes draw from. It only parses: fetching is stream_src_class.c's job, and a
 * local class database gives the same JSON text through the class code, so both go through
 * stream_class_parse().
 *
 * Unknown fields are ignored; a missing or mistyped field the scenes need
 * is an error naming the field. Names and strings are copied, truncated to
 * the sizes below.
 *
 *     struct stream_class c;
 *     if (stream_class_parse(text, len, "http://127.0.0.1:8080/api/state", &c, &err) != 0)
 *         fprintf(stderr, "%s\n", err.msg);
 */
#ifndef RETREAT_STREAM_CLASS_H
#define RETREAT_STREAM_CLASS_H

#include <stddef.h>

#include "err.h"

#define STREAM_CLASS_NAME_MAX 40 /* the server caps names at 32 bytes */
#define STREAM_CLASS_TEXT_MAX 200
#define STREAM_CLASS_MAX_ROWS 16 /* leaderboard rows and firsts kept */

struct stream_class_row {
    char name[STREAM_CLASS_NAME_MAX];
    int passed;
    double best_speedup; /* 0: none yet */
    char best_exercise[STREAM_CLASS_NAME_MAX];
};

struct stream_class_first {
    char exercise[STREAM_CLASS_NAME_MAX];
    char name[STREAM_CLASS_NAME_MAX];
    long long at; /* unix seconds */
};

/* The latest passing run, or the latest run that failed races. */
struct stream_class_run {
    int present; /* 0: null in the state (nobody passed / raced yet) */
    char name[STREAM_CLASS_NAME_MAX], exercise[STREAM_CLASS_NAME_MAX];
    long long run, at;
    double speedup; /* passes only; 0 if absent */
};

/* One side of a race: where, and the line of source. */
struct stream_class_access {
    char what[16];  /* "read", "write" */
    char where[64]; /* "worker()" */
    char file[64];
    long line;
    char source[STREAM_CLASS_TEXT_MAX];
};

struct stream_class {
    long long updated;
    int participants;
    struct stream_class_row leaderboard[STREAM_CLASS_MAX_ROWS];
    size_t nleaderboard;
    struct stream_class_first firsts[STREAM_CLASS_MAX_ROWS];
    size_t nfirsts;
    struct stream_class_run pass, race;
    char race_summary[STREAM_CLASS_TEXT_MAX];
    struct stream_class_access accesses[2];
    size_t naccesses;
};

/* Parses the state JSON (len bytes of text); where names it in errors (a
 * URL, a file). On error *c is zeroed. */
int stream_class_parse(const char *text, size_t len, const char *where, struct stream_class *c,
                       struct err *err);

#endif
