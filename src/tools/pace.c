/* pace.c - real-time pacing of a live stream; see pace.h. */
#include "pace.h"

#include <time.h>

#include "clock.h"

void pace_start(struct pace *p, int fps, uint64_t start_ns)
{
    *p = (struct pace){.start_ns = start_ns, .fps = fps};
}

/* When slot i is due; computed from the start each time, so rounding never
 * accumulates into drift. */
static uint64_t due_ns(const struct pace *p, int64_t i)
{
    return p->start_ns + (uint64_t)i * 1000000000u / (uint64_t)p->fps;
}

int64_t pace_plan(struct pace *p, uint64_t now_ns, enum pace_action *action, uint64_t *wait_ns)
{
    *action = PACE_RENDER;
    *wait_ns = 0;
    uint64_t due = due_ns(p, p->next);
    if (now_ns < due) {
        *wait_ns = due - now_ns;
    } else {
        /* Whole frame periods we are behind slot `next`. */
        int64_t behind = (int64_t)((now_ns - due) * (uint64_t)p->fps / 1000000000u);
        int far = behind >= (int64_t)PACE_DROP_AFTER_S * p->fps;
        if (behind >= 1 && !far && p->rendered > 0 && p->last == PACE_RENDER) {
            *action = PACE_REPEAT; /* late: a cheap repeat may catch up */
        } else if (behind >= 1) {
            /* Still late after a repeat, far behind, or nothing to repeat
             * yet: skip to the slot that is due now. */
            p->dropped += behind;
            p->next += behind;
        }
    }
    if (*action == PACE_RENDER)
        p->rendered++;
    else
        p->repeated++;
    p->last = *action;
    return p->next++;
}

int64_t pace_next(struct pace *p, enum pace_action *action)
{
    uint64_t wait;
    int64_t i = pace_plan(p, clock_now_ns(), action, &wait);
    if (wait > 0) {
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
                              .tv_nsec = (long)(wait % 1000000000u)};
        /* An early return (a signal) only makes this frame a little early. */
        nanosleep(&ts, NULL);
    }
    return i;
}

double pace_late_percent(const struct pace *p)
{
    if (p->next == 0)
        return 0.0;
    return 100.0 * (double)(p->repeated + p->dropped) / (double)p->next;
}
