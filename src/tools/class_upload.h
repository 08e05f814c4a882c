/* class_upload.h - what a participant sends to the class server, and how the
 * server checks it before it touches the database.
 *
 * Class mode (issue 12): `make exercise N` of a participant who ran
 * `retreat join URL` posts its grade card and its run log to the
 * facilitator's `retreat class`. The server trusts nothing it receives, so
 * every upload goes through class_upload_parse() first: a size cap, a JSON
 * parse (jansson), every field checked for type, range and length, every
 * string cleaned for display, and every run-log line parsed with
 * runlog_parse_line() under the limits of runlog_read(). A refusal comes back
 * as an HTTP status (400, 413) and a sentence naming the field and the reason,
 * which the server sends as the reply's body.
 *
 * The upload, as JSON (unknown keys are ignored, for newer clients):
 *
 *     {"name": "ann",                         display name, cleaned, <= 32 bytes
 *      "token": "<64 hex digits>",            the participant's secret (retreat join)
 *      "exercise": "05-pool",                 a known exercise id
 *      "file": "pool.c",                      optional: the graded file
 *      "build_error": "...",                  optional: the file did not compile
 *      "checks": [{"check": "races", "mark": "fail", "text": "data race: ..."}, ...],
 *      "speedup": 1.92,                       optional: the speedup line's figure
 *      "accesses": [{"what": "write", "where": "worker()", "file": "pool.c",
 *                    "line": 24, "source": "    p->next++;"}],     optional, <= 2
 *      "runlog": "{...}\n{...}\n"}            optional: JSON Lines, <= CLASS_RUNLOG_MAX
 *
 * `retreat join` sends {"name", "token"} alone (class_upload_parse_join).
 *
 *     struct class_upload up;
 *     int status;
 *     if (class_upload_parse(body, len, list, count, &up, &status, &err) != 0)
 *         reply(status, err.msg);               // 400 or 413, with the reason
 *     ...
 *     class_upload_free(&up);
 */
#ifndef RETREAT_CLASS_UPLOAD_H
#define RETREAT_CLASS_UPLOAD_H

#include <stddef.h>

#include "err.h"
#include "exercises.h"

#define CLASS_BODY_MAX (512u * 1024)   /* bytes of one upload, JSON and all */
#define CLASS_RUNLOG_MAX (256u * 1024) /* bytes of the run log inside it */
#define CLASS_NAME_MAX 32              /* bytes of a display name */
#define CLASS_TOKEN_HEX 64             /* a token is 32 random bytes, in hex */
#define CLASS_TEXT_MAX 1024            /* a check's sentence (GRADE_TEXT_MAX) */
#define CLASS_CHECKS_MAX CHECK_COUNT   /* one line per check, as on the card */
#define CLASS_ACCESS_MAX 2             /* a race is two accesses */
#define CLASS_SOURCE_MAX 200           /* bytes of one quoted source line */
#define CLASS_SPEEDUP_MAX 1000.0       /* anything faster is a lie or a bug */

enum class_mark { CLASS_PASS, CLASS_FAIL, CLASS_INFO, CLASS_SKIP };

struct class_check {
    enum exercise_check check;
    enum class_mark mark;
    char text[CLASS_TEXT_MAX];
};

/* One access of a data race, and the participant's line of code there. */
struct class_access {
    char what[32];   /* "write", "earlier read" */
    char where[128]; /* "worker()" */
    char file[128];  /* "pool.c" */
    long line;       /* 1-based */
    char source[CLASS_SOURCE_MAX + 1];
};

struct class_upload {
    char name[CLASS_NAME_MAX + 1];
    char token[CLASS_TOKEN_HEX + 1];
    char exercise[3 + EXERCISE_NAME_MAX]; /* "05-pool" */
    char file[EXERCISE_FILE_MAX];
    char build_error[CLASS_TEXT_MAX];
    struct class_check checks[CLASS_CHECKS_MAX];
    size_t nchecks;
    int has_speedup;
    double speedup;
    struct class_access accesses[CLASS_ACCESS_MAX];
    size_t naccesses;
    char *runlog; /* malloc'ed, NUL-terminated, every line valid; NULL if none */
    size_t runlog_len;
    size_t runlog_spans;
    /* Derived, not sent: */
    int passed;            /* no build error, no ✗, at least one ✓ */
    const char *race_text; /* the failed races line's text, or NULL */
};

/* Checks and copies an upload. Returns 0, or -1 with *status the HTTP status
 * to answer (413 too large, 400 anything else) and err saying why. `list` is
 * the exercises the class knows; with count 0 any id of the shape NN-name is
 * accepted. Free a parsed upload with class_upload_free(). */
int class_upload_parse(const char *body, size_t len, const struct exercise *list, size_t count,
                       struct class_upload *up, int *status, struct err *err);

/* The join request: name and token only, checked as above. */
int class_upload_parse_join(const char *body, size_t len, char name[CLASS_NAME_MAX + 1],
                            char token[CLASS_TOKEN_HEX + 1], int *status, struct err *err);

void class_upload_free(struct class_upload *up);

/* Copies src into dst (cap bytes with the NUL) fit for display on a page, a
 * stream or a terminal: valid UTF-8 is kept, invalid bytes and control
 * characters (and DEL) become spaces, runs of spaces are squeezed, leading
 * and trailing spaces dropped, and a cut never splits a UTF-8 sequence. With
 * layout (a line of code) spaces are kept as they are and a tab becomes four;
 * only trailing spaces go. Returns strlen(dst). */
size_t class_clean_text(char *dst, size_t cap, const char *src, int layout);

/* The word of a mark on the wire: "pass", "fail", "info", "skip". */
const char *class_mark_name(enum class_mark mark);

#endif
