/* test_grade_card_next.c - the card's "Next:" step follows the evidence.
 *
 * Issue 10: "Next: fix 'correct' first" appeared even when the races line
 * already named the participant's line that caused the wrong results. When
 * races or memory names a line of the graded file, that is the next step.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "grade.h"

static const struct exercise pool = {.number = 5, .id = "05-pool", .name = "pool"};

static void card_init(struct grade_card *card)
{
    memset(card, 0, sizeof *card);
    card->ex = &pool;
    snprintf(card->source, sizeof card->source, "exercises/05-pool/pool.c");
}

Test(grade_card_next, a_race_on_the_participants_line_comes_before_correct)
{
    struct grade_card card;
    card_init(&card);
    grade_card_add(&card, CHECK_CORRECT, GRADE_FAIL, "every_image_blurred: image 3 differs");
    grade_card_add(&card, CHECK_CONCURRENT, GRADE_PASS, "overlap");
    grade_card_add(&card, CHECK_RACES, GRADE_FAIL,
                   "data race on a local variable of main thread: read in worker() at "
                   "pool.c:26 (thread T2) and earlier write in worker() at pool.c:28");
    char next[GRADE_TEXT_MAX];
    cr_expect_eq(grade_card_next(&card, next, sizeof next), CHECK_RACES);
    cr_expect_str_eq(next, "fix 'races' first: it names pool.c:26, likely the cause of "
                           "'correct' too");
}

Test(grade_card_next, memory_naming_the_file_counts_too)
{
    struct grade_card card;
    card_init(&card);
    grade_card_add(&card, CHECK_ERRORS, GRADE_FAIL, "bad_files_fail_alone: image 2 PENDING");
    grade_card_add(&card, CHECK_MEMORY, GRADE_FAIL, "heap-use-after-free in work() (pool.c:40)");
    char next[GRADE_TEXT_MAX];
    cr_expect_eq(grade_card_next(&card, next, sizeof next), CHECK_MEMORY);
    cr_expect(strstr(next, "pool.c:40") != NULL, "got: %s", next);
}

/* A sanitizer line about the library, or another file that merely ends the
 * same way (mypool.c), is no reason to skip the first failure. */
Test(grade_card_next, otherwise_the_first_failed_check)
{
    struct grade_card card;
    card_init(&card);
    grade_card_add(&card, CHECK_CORRECT, GRADE_FAIL, "image 3 differs");
    grade_card_add(&card, CHECK_RACES, GRADE_FAIL, "data race in blur_rows_h() at blur.c:210");
    grade_card_add(&card, CHECK_MEMORY, GRADE_FAIL, "leak in run() at mypool.c:12");
    char next[GRADE_TEXT_MAX];
    cr_expect_eq(grade_card_next(&card, next, sizeof next), CHECK_CORRECT);
    cr_expect_str_eq(next, "fix 'correct' first (it is the first one)");
}

Test(grade_card_next, nothing_failed)
{
    struct grade_card card;
    card_init(&card);
    grade_card_add(&card, CHECK_CORRECT, GRADE_PASS, "ok");
    grade_card_add(&card, CHECK_SPEEDUP, GRADE_INFO, "1.9x");
    char next[GRADE_TEXT_MAX];
    cr_expect_eq(grade_card_next(&card, next, sizeof next), CHECK_COUNT);
}

/* The speedup line against the reference solution of the same run (issue 9,
 * point 6): within 1.2x is on par; it stays information either way. */
Test(grade_speed_text, against_linear_and_the_reference)
{
    char buf[GRADE_TEXT_MAX];
    grade_speed_text(buf, sizeof buf, 1.20, 0.60, 0.55, 2, 6, "images");
    cr_expect_str_eq(buf, "2.00x the speed of linear on 2 cores (linear 1.20 s, yours 0.60 s, "
                          "6 images); on par with the reference solution (0.55 s, within 1.2x)");
    grade_speed_text(buf, sizeof buf, 1.20, 1.10, 0.55, 2, 6, "images");
    cr_expect(strstr(buf, "the reference solution took 0.55 s: yours takes 2.00x its time") != NULL,
              "%s", buf);
    grade_speed_text(buf, sizeof buf, 2.0, 0.5, 1.0, 2, 20, "URLs");
    cr_expect(strstr(buf, "20 URLs); 2.00x faster than the reference solution (1.00 s)") != NULL,
              "%s", buf);
    grade_speed_text(buf, sizeof buf, 1.0, 0.5, 0, 1, 4, "images");
    cr_expect_str_eq(buf, "2.00x the speed of linear on 1 core (linear 1.00 s, yours 0.50 s, 4 "
                          "images)");
}
