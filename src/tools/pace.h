/* pace.h - keeping a live stream on the wall clock.
 *
 * A file can be rendered as fast as the CPU allows, but a live stream must
 * deliver frame n at n / fps seconds after it started: too early and the
 * server's buffer overflows, too late and viewers see it stall. The pacer
 * says, for each slot of the time line, what to do:
 *
 *   early       wait until the frame is due, then render it
 *   on time     render it (up to one frame period late is on time)
 *   late        repeat the previous frame: an unchanged picture costs no
 *               rendering and little encoding, so a passing hiccup is caught
 *               up while the frame rate stays constant
 *   still late  (the slot after a repeat is late too, so repeating does not
 *               help: the encoder itself is too slow) or far behind
 *               (PACE_DROP_AFTER_S or more, e.g. after a reconnect): skip
 *               the missed slots altogether and render the one due now.
 *               Every skipped slot is an encode saved, which is what lets a
 *               slow machine keep the clock, at a lower frame rate.
 *
 * The counts of repeated and dropped slots are the stream's health: report
 * them at the end. pace_plan() is the decision alone, on a clock reading
 * the caller passes in, so tests can drive it with made-up times.
 *
 *     struct pace p;
 *     pace_start(&p, 30, clock_now_ns());
 *     for (;;) {
 *         enum pace_action a;
 *         int64_t i = pace_next(&p, &a);      // sleeps when early
 *         if (a == PACE_RENDER) render(i);
 *         encode(i);
 *     }
 */
#ifndef RETREAT_PACE_H
#define RETREAT_PACE_H

#include <stdint.h>

#define PACE_DROP_AFTER_S 1 /* seconds behind before slots are skipped */

enum pace_action {
    PACE_RENDER, /* draw a new frame for this slot */
    PACE_REPEAT, /* encode the previous frame again */
};

struct pace {
    uint64_t start_ns; /* when slot 0 was due */
    int fps;
    int64_t next;          /* the next slot to fill */
    int64_t rendered;      /* slots filled with a new frame */
    int64_t repeated;      /* slots filled with the previous frame again */
    int64_t dropped;       /* slots skipped */
    enum pace_action last; /* what the previous slot did */
};

/* Starts the time line: slot 0 is due at start_ns. */
void pace_start(struct pace *p, int fps, uint64_t start_ns);

/* Decides the next slot at time now_ns without waiting: returns its index,
 * sets *action and *wait_ns (how long until it is due; 0 if it is due), and
 * counts it. */
int64_t pace_plan(struct pace *p, uint64_t now_ns, enum pace_action *action, uint64_t *wait_ns);

/* pace_plan on the monotonic clock, then sleeps *wait_ns. */
int64_t pace_next(struct pace *p, enum pace_action *action);

/* Percentage of the slots so far that were repeated or dropped. */
double pace_late_percent(const struct pace *p);

#endif
