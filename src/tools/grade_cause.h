/* grade_cause.h - the likely cause of a failed check, from its evidence.
 *
 * A check that fails says what it saw; what a participant needs next is
 * *why*. The why depends on a combination of facts - who waited at the
 * concurrency latch, which threads were alive meanwhile, how spans spread
 * over workers, which items were finished - so it is decided here, in one
 * pure function per kind of failure, where unit tests can try every
 * combination (tests/unit/test_grade_cause.c). The exercise tests
 * (tests/exercises/support*.c) gather the facts and print the sentence.
 */
#ifndef RETREAT_GRADE_CAUSE_H
#define RETREAT_GRADE_CAUSE_H

#include <stddef.h>

/* What the concurrency latch and the run log saw when the latch gave up:
 * one worker inside the step, waiting for a second that never came. */
struct grade_latch_evidence {
    int waiter_in_child;    /* the lone worker was a forked process */
    int waiter_is_caller;   /* it was the thread that called the style */
    size_t threads_alive;   /* other threads of the style alive meanwhile */
    size_t workers;         /* distinct workers in the run log */
    size_t most_per_worker; /* most spans any one worker ran */
};

/* The likely cause, as the end of a sentence ("... ; <cause>"). */
const char *grade_cause_latch(const struct grade_latch_evidence *e);

/* A fetch URL never reported to on_open: is it a failed transfer that was
 * dropped (bad URL, still pending, every good one done), or did a failure
 * stop the run? */
struct grade_unopened_evidence {
    int bad;          /* the URL is one that must fail */
    int pending;      /* its result is still FETCH_PENDING */
    size_t good_done; /* good URLs done ... */
    size_t good;      /* ... of how many */
};

const char *grade_cause_unopened(const struct grade_unopened_evidence *e);

#endif
