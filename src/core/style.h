/* style.h - what a style is: a name, its rung of the ladder, and a function.
 *
 * A style is one way to do the work of a track: blur a batch of photos
 * (struct style) or fetch a list of feeds (struct fetch_style). The reference
 * solutions in solutions/ are the styles of the ladder; the library adds one
 * beyond it. This header only says what an entry of a style table looks
 * like. The tables themselves name the solutions' functions, so they live in
 * the command layer (src/cli/styles.c), which hands them to the tools that
 * run styles (bench, stream): the library and the tools never name a
 * solution, and nothing below the command layer depends on one.
 */
#ifndef RETREAT_STYLE_H
#define RETREAT_STYLE_H

#include "batch.h"
#include "fetch.h"

/* A blur style: runs a batch (see batch.h). */
struct style {
    const char *name;                       /* "linear", "pool", ...: the --style argument */
    int exercise;                           /* 2..8: exercises/NN-name/; 0: beyond the ladder */
    const char *summary;                    /* one line, no trailing period */
    int concurrent;                         /* 1 if it may run items (or rows) on several workers */
    int (*run)(const struct blur_batch *b); /* 0 if it ran (some items may have failed), -1 if
                                               it could not run at all */
    int beyond;                             /* 1: no exercise, library code beyond the ladder */
};

/* A fetch style: runs a fetch job (see fetch.h). */
struct fetch_style {
    const char *name;    /* "fetch-linear", ...: --style and the run-log style */
    int exercise;        /* 9..13: exercises/NN-name/ */
    const char *summary; /* one line, no trailing period */
    int (*run)(const struct fetch_job *job);
    int takes_threads; /* 1 if it runs job->threads workers (the others ignore it) */
};

#endif
