/* exercises.h - the list of exercises, read from exercises/exercises.txt.
 *
 * One line per exercise, fields separated by '|', spaces around them ignored:
 *
 *     num | name | track | file | checks | tolerance | timeout | summary | hint
 *     05  | pool | blur  | pool.c | correct errors races | 0 | 90 | a fixed pool ... | Protect ...
 *
 * Lines that are empty or start with '#' are comments. Everything that grades
 * exercises - `make exercise N`, the grade card, `make progress`, CI's check of
 * solutions and skeletons - derives from this file, so the reader is strict:
 * a malformed line is an error naming the file, the line number and the field.
 *
 * The summary is the one line that describes the style wherever it appears:
 * the README's table of exercises, `retreat blur --help` / `retreat comics
 * --help` (the style tables styles.c and fetch_styles.c) and the stream's
 * overlay. Those copies are checked against this file by
 * tests/unit/test_exercises.c, so they cannot drift.
 *
 *     struct exercise *list;
 *     size_t count;
 *     if (exercises_load("exercises/exercises.txt", &list, &count, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);
 *     const struct exercise *ex = exercises_find(list, count, "5");   // or "05", "pool"
 *     ...
 *     free(list);
 */
#ifndef RETREAT_EXERCISES_H
#define RETREAT_EXERCISES_H

#include <stddef.h>

#include "err.h"

#define EXERCISES_PATH "exercises/exercises.txt"
#define EXERCISE_NAME_MAX 32
#define EXERCISE_FILE_MAX 64
#define EXERCISE_HINT_MAX 512
#define EXERCISE_SUMMARY_MAX 128
#define EXERCISE_TOLERANCE_MAX 255 /* samples are 8 bits */
#define EXERCISE_TIMEOUT_MAX 3600  /* seconds */

/* What a grade card can check. The order is the order of the card's lines. */
enum exercise_check {
    CHECK_CORRECT,    /* results match the reference within the tolerance */
    CHECK_ERRORS,     /* bad input is reported per item; the rest still runs */
    CHECK_CONCURRENT, /* the run log shows work overlapping on distinct workers */
    CHECK_WORKERS,    /* no more workers than asked for */
    CHECK_ORDER,      /* completion order follows readiness, not list order */
    CHECK_RACES,      /* ThreadSanitizer finds no data race */
    CHECK_MEMORY,     /* AddressSanitizer/LeakSanitizer/UBSan find nothing */
    CHECK_SPEEDUP,    /* time against the linear solution (informational) */
    CHECK_COUNT
};

struct exercise {
    int number;                         /* 1..99 */
    char id[3 + EXERCISE_NAME_MAX];     /* "05-pool": the folder's name */
    char name[EXERCISE_NAME_MAX];       /* "pool" */
    char track[8];                      /* "blur" or "fetch" */
    char file[EXERCISE_FILE_MAX];       /* "pool.c", in exercises/<id>/ */
    unsigned checks;                    /* bit (1u << CHECK_x) for each check */
    int tolerance;                      /* largest accepted |difference| per sample */
    int timeout;                        /* seconds before a run counts as hung */
    char summary[EXERCISE_SUMMARY_MAX]; /* the style in one line, no final period */
    char hint[EXERCISE_HINT_MAX];
};

/* The word used for a check in exercises.txt and on the card ("races"). */
const char *exercises_check_name(enum exercise_check check);

/* Parses one line. Returns 1 and fills ex for an exercise, 0 for a comment or
 * an empty line, -1 (with err naming `where`, e.g. "exercises.txt:12") for a
 * malformed one. */
int exercises_parse_line(const char *line, const char *where, struct exercise *ex, struct err *err);

/* Reads the whole file into a malloc'ed array (*list, *count), which the
 * caller frees with free(). Also refuses duplicate numbers and an empty list. */
int exercises_load(const char *path, struct exercise **list, size_t *count, struct err *err);

/* Finds an exercise by number ("5" or "05") or by name ("pool"); NULL if none. */
const struct exercise *exercises_find(const struct exercise *list, size_t count, const char *key);

#endif
