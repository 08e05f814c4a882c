/* test_styles.c - the style table (styles.h) and the progress bar (progress.h).
 *
 * The table must agree with exercises/exercises.txt, because `retreat blur
 * --style pool` and `make exercise 5` must mean the same code. The progress
 * bar's counting is tested on hand-made run logs, where the right answer is
 * known, and its format here; that `retreat blur` draws it on a terminal (and
 * only there) is tested in test_cmd_blur.c, through a pseudo-terminal.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blur_expert.h"
#include "exercises.h"
#include "ladder.h"
#include "progress.h"
#include "styles.h"

Test(styles, table_is_in_ladder_order_with_linear_first)
{
    size_t n = styles_count(), ladder = 0;
    while (ladder < n && !styles[ladder].beyond)
        ladder++;
    cr_assert_eq(ladder, 7, "exercises 02-08 are seven styles, the ladder part has %zu", ladder);
    cr_assert_str_eq(styles[0].name, "linear");
    cr_assert_eq(styles[0].concurrent, 0, "linear is the sequential baseline");
    for (size_t i = 0; i < n; i++) {
        cr_assert_not_null(styles[i].run, "%s has no run function", styles[i].name);
        cr_assert_not_null(styles[i].summary);
        cr_assert_neq(styles[i].summary[0], '\0', "%s has an empty summary", styles[i].name);
        if (i < ladder)
            cr_assert_eq(styles[i].exercise, (int)i + 2, "%s is not in exercise order",
                         styles[i].name);
        else
            cr_assert(styles[i].beyond && styles[i].exercise == 0 &&
                          strncmp(styles[i].summary, STYLES_BEYOND, strlen(STYLES_BEYOND)) == 0,
                      "%s comes after the ladder: it must be beyond it (no exercise, and a "
                      "summary that says so)",
                      styles[i].name);
        if (i > 0)
            cr_assert_eq(styles[i].concurrent, 1, "%s should be concurrent", styles[i].name);
    }
    cr_assert_null(styles[n].name, "the table must end with a NULL name");
    cr_assert_eq(styles_find("expert")->run, blur_expert_run);
}

Test(styles, agrees_with_exercises_txt)
{
    struct exercise *list;
    size_t count;
    struct err err;
    cr_assert_eq(exercises_load(EXERCISES_PATH, &list, &count, &err), 0, "%s", err.msg);
    size_t batch_styles = 0;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(list[i].track, "blur") != 0 || list[i].number < 2)
            continue; /* 01 is a kernel, not a batch style; 09+ fetch */
        batch_styles++;
        const struct style *s = styles_find(list[i].name);
        cr_assert_not_null(s, "exercise %s has no style in styles.c", list[i].id);
        cr_assert_eq(s->exercise, list[i].number, "style %s says exercise %d, the list %d", s->name,
                     s->exercise, list[i].number);
    }
    size_t ladder = 0;
    for (size_t i = 0; i < styles_count(); i++)
        ladder += !styles[i].beyond;
    cr_assert_eq(batch_styles, ladder, "exercises.txt has %zu blur styles, the ladder %zu",
                 batch_styles, ladder);
    free(list);
}

Test(styles, find_and_lookup)
{
    cr_assert_eq(styles_find("pool")->run, pool_run);
    cr_assert_eq(styles_find("rows")->exercise, 6);
    cr_assert_null(styles_find("Pool"), "names are case-sensitive, as in the run log");
    cr_assert_null(styles_find(""));

    const struct style *s = NULL;
    struct err err = {{0}};
    cr_assert_eq(styles_lookup("fast", &s, &err), 0);
    cr_assert_eq(s->run, fast_run);
    cr_assert_eq(styles_lookup("turbo", &s, &err), -1);
    cr_assert_null(s);
    cr_assert(strstr(err.msg, "'turbo'") != NULL, "names the unknown style: %s", err.msg);
    for (size_t i = 0; i < styles_count(); i++)
        cr_assert(strstr(err.msg, styles[i].name) != NULL, "does not list %s: %s", styles[i].name,
                  err.msg);
}

Test(styles, names_are_listed_and_truncated_safely)
{
    char buf[256];
    styles_names(buf, sizeof buf);
    cr_assert_str_eq(buf, "linear, processes, threads, pool, rows, pipeline, fast, expert");
    char small[10];
    memset(small, 'x', sizeof small);
    styles_names(small, sizeof small);
    cr_assert_str_eq(small, "linear, p", "must be cut at the buffer, with its terminator");
}

/* A tiny batch for styles_run: two good images and one missing file. */
Test(styles, run_measures_a_style)
{
    char dir[] = "/tmp/retreat-test-styles-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char a[300], b[300];
    snprintf(a, sizeof a, "%s/a.png", dir);
    snprintf(b, sizeof b, "%s/b.png", dir);
    struct img im;
    struct err err;
    cr_assert_eq(img_alloc(&im, 40, 30, 3, &err), 0, "%s", err.msg);
    for (int y = 0; y < im.height; y++)
        for (int x = 0; x < im.width * 3; x++)
            img_row(&im, y)[x] = (uint8_t)(x * 7 + y * 13);
    cr_assert_eq(img_save(a, &im, &err), 0, "%s", err.msg);
    cr_assert_eq(img_save(b, &im, &err), 0, "%s", err.msg);
    img_free(&im);

    const char *inputs[] = {a, "/nonexistent/c.png", b};
    struct blur_result results[3] = {0};
    struct runlog *log;
    cr_assert_eq(runlog_open_memory(&log, &err), 0, "%s", err.msg);
    struct blur_batch batch = {
        .inputs = inputs, .count = 3, .sigma = 2.0f, .threads = 2, .log = log, .results = results};
    struct style_run m;
    cr_assert_eq(styles_run(styles_find("pool"), &batch, &m), 0);
    cr_assert_eq(m.rc, 0);
    cr_assert_str_eq(batch.style, "pool", "the run log must carry the style's name");
    cr_assert_gt(m.wall_s, 0.0);
    cr_assert_geq(m.cpu_s, 0.0);
    cr_assert_eq(results[0].status, BLUR_DONE);
    cr_assert_eq(results[1].status, BLUR_FAILED);
    cr_assert(strstr(results[1].error, "/nonexistent/c.png") != NULL, "%s", results[1].error);
    cr_assert_eq(results[2].status, BLUR_DONE);

    struct runlog_span *spans;
    size_t count;
    cr_assert_eq(runlog_snapshot(log, &spans, &count, &err), 0, "%s", err.msg);
    cr_assert_eq(progress_finished(spans, count, "pool", 3), 3);
    free(spans);
    runlog_close(log);
    remove(a);
    remove(b);
    remove(dir);
}

static struct runlog_span span(const char *style, long index, const char *phase, int ok)
{
    struct runlog_span s;
    memset(&s, 0, sizeof s);
    snprintf(s.style, sizeof s.style, "%s", style);
    snprintf(s.phase, sizeof s.phase, "%s", phase);
    s.index = index;
    s.ok = ok;
    return s;
}

Test(progress, counts_finished_items_once)
{
    struct runlog_span spans[] = {
        span("pool", 0, "decode", 1),   span("pool", 0, "blur", 1),
        span("pool", 0, "encode", 1), /* item 0: done */
        span("pool", 1, "decode", 0), /* item 1: failed to decode */
        span("pool", 2, "decode", 1),   span("pool", 2, "blur", 1),
        span("pool", 2, "encode", 0),   /* item 2: failed to write: one item, two signs */
        span("pool", 3, "decode", 1),   /* item 3: still blurring */
        span("linear", 3, "encode", 1), /* another style's item 3: not ours */
        span("pool", 9, "encode", 1),   /* out of range: ignored, not a crash */
        span("pool", -1, "encode", 1),
    };
    size_t n = sizeof spans / sizeof spans[0];
    cr_assert_eq(progress_finished(spans, n, "pool", 4), 3);
    cr_assert_eq(progress_finished(spans, n, "linear", 4), 1);
    cr_assert_eq(progress_finished(spans, n, "rows", 4), 0);
    cr_assert_eq(progress_finished(spans, 0, "pool", 4), 0);
}

Test(progress, formats_a_bar)
{
    struct progress p = {.total = 8, .done = 2};
    snprintf(p.label, sizeof p.label, "pool");
    char line[128];
    progress_format(&p, 1.3, line, sizeof line);
    cr_assert_str_eq(line, "pool       [#######.......................]   2/8    1.3s");
    p.done = 8;
    progress_format(&p, 3.0, line, sizeof line);
    cr_assert(strstr(line, "[##############################]   8/8") != NULL, "%s", line);
}

Test(progress, is_silent_without_a_terminal)
{
    /* Each test runs in a process of its own: pointing its stderr at a file
     * affects nobody else. */
    FILE *f = tmpfile();
    cr_assert_not_null(f);
    cr_assert_geq(dup2(fileno(f), STDERR_FILENO), 0);
    struct progress p;
    progress_start(&p, "pool", 4);
    cr_assert_eq(p.enabled, 0);
    progress_update(&p, 2);
    cr_assert_eq(p.done, 0, "a disabled bar does not even count");
    progress_finish(&p);
    fflush(stderr);
    cr_assert_eq(ftell(f), 0, "a bar was written to a file");
    fclose(f);
}
