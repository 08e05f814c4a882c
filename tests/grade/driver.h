/* driver.h - the grader's driver: runs one exercise's entry point, outside Criterion.
 *
 * The races, memory and speedup checks need a program that simply calls the
 * participant's code: Criterion aborts under ThreadSanitizer, and under
 * AddressSanitizer it reports a leak but still exits 0. So the Makefile links
 * the .c files of tests/grade/ with the participant's file three times (see "Grading" in
 * the Makefile):
 *
 *     build/grade/exercises/05-pool/races    -fsanitize=thread
 *     build/grade/exercises/05-pool/memory   -fsanitize=address,undefined (+ leaks)
 *     build/grade/exercises/05-pool/speed    optimised, no sanitizer
 *
 * and the grader (src/tools/grade.c) runs them as
 *
 *     DRIVER run|speed NN-name WORK_DIR [--quick] [--log RUNLOG]
 *
 * main.c reads the exercise from exercises/exercises.txt, picks the driver of
 * its track from the table in main.c, and writes the outcome for the grader
 * into WORK_DIR/report.txt (not stdout, which the participant's code shares),
 * one "grade:" line each:
 *
 *     grade: done 4 of 4          items the participant's code completed
 *     grade: speed 0.812 0.455 2  seconds for linear_run and for theirs, cores
 *     grade: solution 0.430       seconds for the exercise's reference solution
 *     grade: error <sentence>     the driver itself could not do its job
 *
 * Exit status: GRADE_DRIVER_OK, _INCOMPLETE (the participant's code did not
 * do the work, so a sanitizer that saw nothing proves nothing) or _FAILED,
 * from src/tools/grade_driver.h, which the grader includes too. The grader points
 * the sanitizers' log_path into WORK_DIR too, and reads the reports.
 *
 * A track is one `struct driver`. To add one (the fetch track, 09-14):
 *  1. write tests/grade/drive_TRACK.c defining `const struct driver drive_TRACK`;
 *  2. declare it at the end of this file;
 *  3. add &drive_TRACK to the table in tests/grade/main.c.
 * It is built into every driver, so it must compile and link whatever the
 * exercise (it calls the entry points by name; libsolutions.a provides those
 * the participant's file does not). Network drivers start their own servers
 * on 127.0.0.1 and stop them before returning.
 */
#ifndef RETREAT_DRIVER_H
#define RETREAT_DRIVER_H

#include "err.h"
#include "exercises.h"
#include "runlog.h"

struct drive_opts {
    const struct exercise *ex; /* the exercise: ex->name is the entry point's style */
    const char *work_dir;      /* an existing, empty folder for inputs and outputs */
    int quick;                 /* 1: the smallest inputs that still exercise everything */
    int threads;               /* workers a concurrent entry point may use */
    struct runlog *log;        /* spans of the runs; NULL: none */
};

struct drive_result {
    int done, total;    /* items completed by the participant's code, of how many */
    double reference_s; /* speed: seconds for the linear reference ... */
    double yours_s;     /* ... and for the participant's entry point */
    double solution_s;  /* ... and for the exercise's reference solution; 0: not timed */
};

/* The reference solution's entry point (pool_run for 05), linked into the
 * speed driver under this name (Makefile: reference.o); NULL in the races
 * and memory drivers, which do not link it. Declared void(void), the type
 * GCC lets be cast to any function type: cast it to the entry point's. */
void grade_reference_run(void) __attribute__((weak));

struct driver {
    const char *track; /* "blur", "fetch": the track column of exercises.txt */

    /* Runs the participant's entry point once on a few small inputs, with
     * o->threads workers, and counts what it completed. Used by the races
     * and memory checks: it must free everything it allocates itself. */
    int (*run)(const struct drive_opts *o, struct drive_result *r, struct err *err);

    /* Times the linear reference (linear_run for blur) and the participant's
     * entry point on the same inputs, one after the other in this process. */
    int (*speed)(const struct drive_opts *o, struct drive_result *r, struct err *err);
};

extern const struct driver drive_blur;
extern const struct driver drive_fetch;

#endif
