/* test_stream_pace.c - the live stream's pacer, on a made-up clock: wait
 * when early, render when on time, repeat when late, drop when far behind. */
#include <criterion/criterion.h>

#include "pace.h"

#define MS 1000000ull /* nanoseconds */
#define T0 (1000 * MS)

/* At 10 fps slot i is due at T0 + 100 ms * i. */
Test(pace, waits_for_a_slot_that_is_not_due_yet)
{
    struct pace p;
    pace_start(&p, 10, T0);
    enum pace_action a;
    uint64_t wait;
    cr_expect_eq(pace_plan(&p, T0 - 30 * MS, &a, &wait), 0);
    cr_expect_eq(a, PACE_RENDER);
    cr_expect_eq(wait, 30 * MS);
    cr_expect_eq(pace_plan(&p, T0 + 40 * MS, &a, &wait), 1);
    cr_expect_eq(wait, 60 * MS);
    cr_expect_eq(p.rendered, 2);
    cr_expect_eq(pace_late_percent(&p), 0.0);
}

Test(pace, renders_up_to_one_period_late_then_repeats)
{
    struct pace p;
    pace_start(&p, 10, T0);
    enum pace_action a;
    uint64_t wait;
    pace_plan(&p, T0, &a, &wait); /* slot 0 on time */
    /* Slot 1 is due at 100 ms; at 190 ms it is less than a period late. */
    cr_expect_eq(pace_plan(&p, T0 + 190 * MS, &a, &wait), 1);
    cr_expect_eq(a, PACE_RENDER);
    /* Slot 2 is due at 200 ms; at 450 ms it is two periods late: repeat. */
    cr_expect_eq(pace_plan(&p, T0 + 450 * MS, &a, &wait), 2);
    cr_expect_eq(a, PACE_REPEAT);
    cr_expect_eq(wait, 0);
    cr_expect_eq(p.repeated, 1);
    cr_expect_eq(p.dropped, 0);
    cr_expect_float_eq(pace_late_percent(&p), 100.0 / 3, 1e-9);
}

Test(pace, drops_when_repeating_did_not_catch_up)
{
    struct pace p;
    pace_start(&p, 10, T0);
    enum pace_action a;
    uint64_t wait;
    pace_plan(&p, T0, &a, &wait);
    cr_expect_eq(pace_plan(&p, T0 + 250 * MS, &a, &wait), 1);
    cr_expect_eq(a, PACE_REPEAT);
    /* Slot 2 was due at 200 ms; at 390 ms we are still a period late: the
     * encoder is the bottleneck, so skip to slot 3 and draw it fresh. */
    cr_expect_eq(pace_plan(&p, T0 + 390 * MS, &a, &wait), 3);
    cr_expect_eq(a, PACE_RENDER);
    cr_expect_eq(p.dropped, 1);
    cr_expect_eq(p.repeated, 1);
    /* After a fresh frame, a late slot is repeated again. */
    cr_expect_eq(pace_plan(&p, T0 + 510 * MS, &a, &wait), 4);
    cr_expect_eq(a, PACE_REPEAT);
}

Test(pace, a_late_first_slot_is_skipped_not_repeated)
{
    struct pace p;
    pace_start(&p, 10, T0);
    enum pace_action a;
    uint64_t wait;
    /* Nothing was drawn yet, so there is nothing to repeat. */
    cr_expect_eq(pace_plan(&p, T0 + 350 * MS, &a, &wait), 3);
    cr_expect_eq(a, PACE_RENDER);
    cr_expect_eq(p.dropped, 3);
}

Test(pace, skips_slots_when_a_second_or_more_behind)
{
    struct pace p;
    pace_start(&p, 10, T0);
    enum pace_action a;
    uint64_t wait;
    pace_plan(&p, T0, &a, &wait);
    /* Slot 1 was due at 100 ms; at 2.55 s we are 24 periods behind it. */
    int64_t i = pace_plan(&p, T0 + 2550 * MS, &a, &wait);
    cr_expect_eq(i, 25, "slot %lld", (long long)i);
    cr_expect_eq(a, PACE_RENDER);
    cr_expect_eq(p.dropped, 24);
    /* Back on the clock: the next slot is due in the future. */
    cr_expect_eq(pace_plan(&p, T0 + 2560 * MS, &a, &wait), 26);
    cr_expect_eq(wait, 40 * MS);
}

Test(pace, due_times_do_not_drift)
{
    struct pace p;
    pace_start(&p, 30, 0);
    enum pace_action a;
    uint64_t wait;
    for (int i = 0; i < 30 * 3600; i++)
        pace_plan(&p, 0, &a, &wait);
    /* After an hour of slots, the last one is due at 3600 s - 1/30 s exactly. */
    cr_expect_eq(wait, 3600ull * 1000 * MS - 1000 * MS / 30 - 1, "wait %llu",
                 (unsigned long long)wait);
}
