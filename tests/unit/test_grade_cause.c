/* test_grade_cause.c - the likely cause comes from the combination of
 * evidence, not from the first check that failed (issue 10, point 4).
 *
 * Before: 05 with its lock held while blurring was told "did you call the
 * work function directly instead of in a new thread?", and 12 dropping a
 * failed transfer "does one failure stop the others?".
 */
#include <criterion/criterion.h>

#include <string.h>

#include "grade_cause.h"

#define SAYS(text, what) cr_expect(strstr((text), (what)) != NULL, "got: %s", (text))

/* Workers took turns: the lone worker was a pool thread, the other one was
 * alive meanwhile - blocked on the lock the first one held. */
Test(grade_cause, lock_held_across_the_work)
{
    struct grade_latch_evidence e = {.threads_alive = 1, .workers = 2, .most_per_worker = 3};
    SAYS(grade_cause_latch(&e), "Is a lock held while blurring?");
    /* Even when one worker took every item: the other was alive, waiting. */
    e.workers = 1, e.most_per_worker = 6;
    SAYS(grade_cause_latch(&e), "Is a lock held while blurring?");
}

Test(grade_cause, called_directly)
{
    struct grade_latch_evidence e = {.waiter_is_caller = 1, .workers = 1, .most_per_worker = 6};
    SAYS(grade_cause_latch(&e), "did you call the work function directly");
    /* The caller as one of several workers, the others alive: not that. */
    e.threads_alive = 1;
    cr_expect(strstr(grade_cause_latch(&e), "directly") == NULL);
}

Test(grade_cause, thread_per_item_joined_at_once)
{
    struct grade_latch_evidence e = {.workers = 6, .most_per_worker = 1};
    SAYS(grade_cause_latch(&e), "joined right after it is started");
}

Test(grade_cause, processes_waited_for_one_by_one)
{
    struct grade_latch_evidence e = {.waiter_in_child = 1, .workers = 6, .most_per_worker = 1};
    SAYS(grade_cause_latch(&e), "waitpid");
}

Test(grade_cause, otherwise_workers_not_all_started)
{
    struct grade_latch_evidence e = {.workers = 2, .most_per_worker = 3};
    SAYS(grade_cause_latch(&e), "are all workers started before you wait");
}

Test(grade_cause, a_dropped_failure_is_not_a_stopped_run)
{
    struct grade_unopened_evidence dropped = {.bad = 1, .pending = 1, .good_done = 4, .good = 4};
    SAYS(grade_cause_unopened(&dropped), "never reached fetch_xfer_done");
    struct grade_unopened_evidence stopped = {.bad = 1, .pending = 1, .good_done = 1, .good = 4};
    SAYS(grade_cause_unopened(&stopped), "does one failure stop the others?");
    struct grade_unopened_evidence good = {.bad = 0, .pending = 1, .good_done = 3, .good = 4};
    SAYS(grade_cause_unopened(&good), "does one failure stop the others?");
}
