/* grade_cause.c - the likely cause of a failed check; see grade_cause.h. */
#include "grade_cause.h"

const char *grade_cause_latch(const struct grade_latch_evidence *e)
{
    if (e->waiter_in_child)
        return "each child process did its image alone: are all children forked before the "
               "parent waits (waitpid) for the first one?";
    /* Alive but not inside: blocked on something the lone worker holds. */
    if (e->threads_alive > 0)
        return "other threads were alive but none could enter the step: they were waiting. "
               "Is a lock held while blurring? Take the next item under the lock, unlock, "
               "then do the work";
    if (e->waiter_is_caller && e->workers <= 1)
        return "it was the thread that called your function, and no other thread was alive: "
               "did you call the work function directly instead of in a new thread?";
    /* A thread per item, none alive beside it: started and joined in turn. */
    if (e->workers > 1 && e->most_per_worker <= 1)
        return "each image had its own thread, but no other thread was alive meanwhile: is "
               "each thread joined right after it is started? Start them all, then join";
    return "no other worker was alive meanwhile: are all workers started before you wait "
           "for the first one?";
}

const char *grade_cause_unopened(const struct grade_unopened_evidence *e)
{
    if (e->bad && e->pending && e->good_done == e->good)
        return "never reached fetch_xfer_done: every good URL was finished, but this one, "
               "which fails, was not. Is a transfer that ended with an error (a CURLMsg "
               "result other than CURLE_OK) dropped instead of handed to fetch_xfer_done "
               "like the others?";
    return "was never reported to on_open: does one failure stop the others?";
}
