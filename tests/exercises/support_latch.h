/* support_latch.h - concurrency evidence that does not depend on luck.
 *
 * Two short spans overlapping in the run log is a matter of the scheduler: on
 * a busy laptop (streaming, another build) a correct pool may happen to run
 * its blurs one after the other, and a check that only *looks* for overlap
 * then rejects it. So the "concurrent" tests make the overlap happen when it
 * can: while a latch is armed, a worker that finishes a span of the watched
 * phase waits - still inside its span - until a second worker is inside one
 * too (or a span of another phase, for the pipeline), then both go on.
 *
 *   - A concurrent style always gets there, however loaded the machine:
 *     its second worker arrives sooner or later, and nobody waits after that.
 *   - A sequential one never does: its only worker waits SUPPORT_LATCH_SECONDS
 *     for company that cannot come, gives up, and the test says so.
 *
 * The run log stays the evidence the card shows: the waiting worker's span
 * ends after the other one began, so the log shows them overlapping.
 *
 * How it hooks in: the tests' binary is linked with
 * -Wl,--wrap=runlog_begin,--wrap=runlog_end,--wrap=runlog_fail (see the
 * Makefile's Grading section), so every span any style opens passes through
 * this file first. The library that `retreat` runs is untouched. The latch
 * lives in shared memory with process-shared locks, so the forked workers of
 * exercise 03 meet in it too. Unarmed, the wrappers only forward.
 *
 *     struct support_latch *l = support_latch_arm("pool", "blur", NULL, &err);
 *     ... run the style ...
 *     struct support_latch_result r = support_latch_disarm(l);
 *     if (r.gave_up) ... "only one worker was ever inside the blur step" ...
 */
#ifndef RETREAT_SUPPORT_LATCH_H
#define RETREAT_SUPPORT_LATCH_H

#include <stddef.h>

#include "err.h"

/* How long the first worker waits for a second one. A bound, not a timing
 * assert: a concurrent style meets it in milliseconds even on a loaded
 * machine; only a style that never has two workers inside waits it out. It
 * must stay well under the tests' SUPPORT_TIMEOUT (30 s). */
#define SUPPORT_LATCH_SECONDS 12
#define SUPPORT_LATCH_SECONDS_STR "12" /* the same, for messages */

struct support_latch;

struct support_latch_result {
    int met;       /* two workers (or the two phases) were inside at once */
    int gave_up;   /* a worker waited SUPPORT_LATCH_SECONDS and nobody came */
    size_t peak;   /* most spans of `phase` inside at once */
    size_t spans;  /* spans of `phase` that began while armed */
    size_t others; /* spans of `other` phases that began while armed */
    /* What the lone worker found when it gave up - the likely cause: */
    int waiter_in_child;  /* it was in a forked process, not the test's */
    int waiter_is_caller; /* it was the thread that called the style */
    size_t threads_alive; /* other threads of the style alive, but not inside */
};

/* Arms the latch for spans of style `style` and phase `phase`. With other
 * NULL it opens when two `phase` spans are inside at once; with other "*",
 * when a `phase` span and a span of any other phase are. Only one latch may
 * be armed at a time (in a Criterion test process, there is one test). */
struct support_latch *support_latch_arm(const char *style, const char *phase, const char *other,
                                        struct err *err);

/* Disarms and frees the latch; returns what it saw. */
struct support_latch_result support_latch_disarm(struct support_latch *latch);

#endif
