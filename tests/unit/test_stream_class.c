/* test_stream_class.c - the class scenes of `retreat stream --class`: the
 * state JSON loader (stream_class.h) on the fixture the end-to-end test
 * serves (tests/stream/class/api/state) and on broken states, and the
 * scenes the show makes of it: which, in what order, looping in live mode,
 * and what they draw (pixels of the colours only they use).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "scene.h"
#include "show.h"
#include "stream_class.h"
#include "stream_source.h"
#include "test_stream_probe.h"

#define FIXTURE "tests/stream/class/api/state"
#define RUN17 "tests/stream/class/api/run/17/runlog"
#define RUN18 "tests/stream/class/api/run/18/runlog"

static void load_fixture(struct stream_class *c)
{
    char *text = probe_slurp(FIXTURE);
    cr_assert_not_null(text, "%s (run from the top of the tree)", FIXTURE);
    struct err err;
    cr_assert_eq(stream_class_parse(text, strlen(text), FIXTURE, c, &err), 0, "%s", err.msg);
    free(text);
}

Test(stream_class, the_fixture_parses_field_by_field)
{
    struct stream_class c;
    load_fixture(&c);
    cr_expect_eq(c.updated, 1733330000);
    cr_expect_eq(c.participants, 4);
    cr_assert_eq(c.nleaderboard, 4);
    cr_expect_str_eq(c.leaderboard[0].name, "ann");
    cr_expect_eq(c.leaderboard[0].passed, 5);
    cr_expect_float_eq(c.leaderboard[0].best_speedup, 1.92, 1e-9);
    cr_expect_str_eq(c.leaderboard[1].best_exercise, "04-threads");
    cr_expect_str_eq(c.leaderboard[3].best_exercise, "", "an absent field is empty");
    cr_assert_eq(c.nfirsts, 4);
    cr_expect_str_eq(c.firsts[3].exercise, "05-pool");
    cr_expect(c.pass.present);
    cr_expect_eq(c.pass.run, 17);
    cr_expect_float_eq(c.pass.speedup, 1.92, 1e-9);
    cr_expect(c.race.present);
    cr_expect_str_eq(c.race.name, "bob");
    cr_expect_eq(c.race.run, 18);
    cr_assert_eq(c.naccesses, 2);
    cr_expect_str_eq(c.accesses[0].what, "write");
    cr_expect_eq(c.accesses[0].line, 24);
    cr_expect_str_eq(c.accesses[1].source, "        size_t i = p->next;");
    cr_expect(strstr(c.race_summary, "pool.c:24") != NULL);
}

static void expect_refused(const char *text, const char *needle)
{
    struct stream_class c;
    struct err err = {{0}};
    cr_expect_eq(stream_class_parse(text, strlen(text), "http://h/api/state", &c, &err), -1,
                 "accepted: %s", text);
    cr_expect(strstr(err.msg, "http://h/api/state") != NULL, "the source is not named: %s",
              err.msg);
    cr_expect(strstr(err.msg, needle) != NULL, "'%s' not in: %s", needle, err.msg);
    cr_expect_eq(c.nleaderboard, 0, "a refused state is left empty");
}

Test(stream_class, bad_states_are_refused_with_the_field)
{
    expect_refused("<html>502 Bad Gateway</html>", "not valid JSON");
    expect_refused("[1, 2]", "expected a JSON object");
    expect_refused("{\"leaderboard\": 3}", "leaderboard (an array)");
    expect_refused("{\"leaderboard\": [{\"name\": 7, \"passed\": 1}]}", "leaderboard[0]");
    expect_refused("{\"leaderboard\": [], \"latest_pass\": {\"name\": \"ann\"}}", "latest_pass");
    expect_refused("{\"leaderboard\": [], \"latest_race\": {\"name\": \"b\", \"exercise\": "
                   "\"05-pool\", \"run\": 1, \"accesses\": [{\"line\": \"x\"}]}}",
                   "accesses[0]");
    expect_refused("{\"leaderboard\": [], \"updated\": \"yesterday\"}", "updated");
}

Test(stream_class, nulls_mean_nothing_yet)
{
    const char *text = "{\"updated\": 1, \"participants\": 0, \"leaderboard\": [], \"firsts\": [],"
                       " \"latest_pass\": null, \"latest_race\": null}";
    struct stream_class c;
    struct err err;
    cr_assert_eq(stream_class_parse(text, strlen(text), "x", &c, &err), 0, "%s", err.msg);
    cr_expect(!c.pass.present && !c.race.present);
}

/* --- Scenes ------------------------------------------------------------------ */

static struct show *class_show(int live)
{
    struct show_options o;
    show_options_default(&o);
    o.width = 640;
    o.height = 360;
    struct show *s;
    struct err err;
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    if (live)
        show_set_live(s, 1);
    struct stream_class c;
    load_fixture(&c);
    struct runlog_span *pass, *race;
    size_t npass, nrace;
    cr_assert_eq(runlog_read(RUN17, &pass, &npass, &err), 0, "%s", err.msg);
    cr_assert_eq(runlog_read(RUN18, &race, &nrace, &err), 0, "%s", err.msg);
    cr_assert_eq(show_set_class(s, &c, pass, npass, race, nrace, &err), 0, "%s", err.msg);
    free(pass);
    free(race);
    return s;
}

static double first_at(struct show *s, const char *name, double from, double to)
{
    for (double t = from; t < to; t += 0.25)
        if (strcmp(show_scene_at(s, t), name) == 0)
            return t;
    return -1;
}

static long count_color(const struct canvas *c, struct canvas_rgb col)
{
    long n = 0;
    for (int y = 0; y < c->height; y++)
        for (int x = 0; x < c->width; x++) {
            const uint8_t *p = canvas_at(c, x, y);
            n += p[0] == col.r && p[1] == col.g && p[2] == col.b;
        }
    return n;
}

static long pixels_at(struct show *s, double t, struct canvas_rgb col)
{
    struct canvas c;
    struct err err;
    cr_assert_eq(canvas_init(&c, 640, 360, &err), 0, "%s", err.msg);
    cr_assert_eq(show_render(s, t, &c, &err), 0, "%s", err.msg);
    long n = count_color(&c, col);
    canvas_free(&c);
    return n;
}

Test(stream_class, a_class_alone_is_leaderboard_pass_firsts_race)
{
    struct show *s = class_show(0);
    double d = show_duration(s);
    cr_assert(isfinite(d) && d > 20, "duration %g", d);
    double lb = first_at(s, "leaderboard", 0, d), pass = first_at(s, "class-pass", 0, d);
    double firsts = first_at(s, "firsts", 0, d), race = first_at(s, "race", 0, d);
    cr_expect(lb == 0 && pass > lb && firsts > pass && race > firsts,
              "order: leaderboard %g, pass %g, firsts %g, race %g", lb, pass, firsts, race);

    /* The leaderboard's bars are drawn in full after their growth: the
     * leader's bar in the accent colour, a wide one. */
    cr_expect_gt(pixels_at(s, lb + 3, theme_accent), 3000, "no leader's bar");
    /* The latest pass is a timeline: blur bars, ann's pool. */
    cr_expect_gt(pixels_at(s, pass + 7, theme_phase_color("encode")), 3000, "no timeline");
    /* The race card: the two accesses' headings and bars in the fail colour,
     * over the timeline of run 18, whose encode bars still show above it. */
    cr_expect_gt(pixels_at(s, race + 6, theme_fail), 800, "no race card");
    cr_expect_gt(pixels_at(s, race + 6, theme_phase_color("decode")), 500, "no timeline under it");
    show_free(s);
}

Test(stream_class, live_mode_loops_the_class_scenes_after_the_run)
{
    struct show *s = class_show(1);
    cr_expect(isinf(show_duration(s)), "a live show runs until stopped");
    /* No spans yet: the loop is the class scenes alone, over and over. */
    cr_expect_str_eq(show_scene_at(s, 0), "leaderboard");
    double race = first_at(s, "race", 0, 100);
    cr_assert_gt(race, 0);
    double again = first_at(s, "leaderboard", race, race + 100);
    cr_expect_gt(again, race, "the loop does not come back to the leaderboard");

    /* A run starts: its live timeline takes the first turn of the loop. */
    struct runlog_span *spans;
    size_t n;
    struct err err;
    cr_assert_eq(runlog_read(RUN17, &spans, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(show_add_spans(s, spans, n, &err), 0, "%s", err.msg);
    free(spans);
    cr_expect_str_eq(show_scene_at(s, 0), "timeline");
    cr_expect_gt(first_at(s, "leaderboard", 0, 100), 10, "the live run's turn is too short");
    show_free(s);
}

Test(stream_class, a_race_without_its_run_log_is_still_a_card)
{
    struct show_options o;
    show_options_default(&o);
    o.width = 640;
    o.height = 360;
    struct show *s;
    struct err err;
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    struct stream_class c;
    load_fixture(&c);
    cr_assert_eq(show_set_class(s, &c, NULL, 0, NULL, 0, &err), 0, "%s", err.msg);
    double d = show_duration(s);
    cr_expect_lt(first_at(s, "class-pass", 0, d), 0, "a pass without its log has no scene");
    double race = first_at(s, "race", 0, d);
    cr_assert_geq(race, 0);
    cr_expect_gt(pixels_at(s, race + 2, theme_fail), 800);
    show_free(s);
}

/* --- The source, over a fetcher that is not HTTP (a local class database
 * is wired this way) ------------------------------------------------------- */

struct fake {
    int state_calls, runlog_calls;
    int fail_state;
};

static int fake_state(void *ctx, char **text, size_t *len, struct err *err)
{
    struct fake *f = ctx;
    f->state_calls++;
    if (f->fail_state)
        return err_set(err, "class.db: no such table");
    *text = probe_slurp(FIXTURE);
    *len = *text != NULL ? strlen(*text) : 0;
    return *text != NULL ? 0 : err_set(err, "%s: cannot read", FIXTURE);
}

/* Run 18's log is there; run 17's is not. */
static int fake_runlog(void *ctx, long long run, char **text, size_t *len, struct err *err)
{
    struct fake *f = ctx;
    f->runlog_calls++;
    if (run != 18)
        return err_set(err, "run %lld: no run log uploaded", run);
    *text = probe_slurp(RUN18);
    *len = *text != NULL ? strlen(*text) : 0;
    return *text != NULL ? 0 : -1;
}

Test(stream_class, the_source_reads_through_any_fetcher)
{
    struct fake fake = {0};
    struct stream_class_fetcher f = {
        .name = "class.db", .state = fake_state, .runlog = fake_runlog, .ctx = &fake};
    struct stream_source *src;
    struct err err;
    cr_assert_eq(stream_src_class_with(&src, &f, &err), 0, "%s", err.msg);
    struct show_options o;
    show_options_default(&o);
    o.width = 320;
    o.height = 180;
    struct show *s;
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    cr_assert_eq(src->ops->start(src, s, &err), 0, "%s", err.msg);
    cr_expect_eq(fake.state_calls, 1);
    cr_expect_eq(fake.runlog_calls, 2, "the pass's and the race's logs");
    double d = show_duration(s);
    cr_expect_lt(first_at(s, "class-pass", 0, d), 0, "run 17's log is missing: no pass scene");
    cr_expect_geq(first_at(s, "race", 0, d), 0, "the race card is there");
    cr_expect_eq(src->ops->done(src), 0, "a class never ends the stream");
    stream_source_free(src);
    show_free(s);

    /* A state that cannot be read is an error at start, naming it. */
    fake = (struct fake){.fail_state = 1};
    cr_assert_eq(stream_src_class_with(&src, &f, &err), 0, "%s", err.msg);
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    cr_expect_eq(src->ops->start(src, s, &err), -1);
    cr_expect(strstr(err.msg, "class.db: no such table") != NULL, "%s", err.msg);
    stream_source_free(src);
    show_free(s);
}

/* In a live show the state is read again every STREAM_CLASS_REFRESH_S
 * seconds of frames; a failed refresh keeps the scenes. A finished
 * programme keeps the state it was planned with. */
Test(stream_class, live_shows_refresh_the_state)
{
    struct fake fake = {0};
    struct stream_class_fetcher f = {
        .name = "class.db", .state = fake_state, .runlog = fake_runlog, .ctx = &fake};
    for (int live = 0; live <= 1; live++) {
        fake = (struct fake){0};
        struct stream_source *src;
        struct err err;
        cr_assert_eq(stream_src_class_with(&src, &f, &err), 0, "%s", err.msg);
        src->fps = 30;
        struct show *s = class_show(live);
        cr_assert_eq(src->ops->start(src, s, &err), 0, "%s", err.msg);
        int64_t every = (int64_t)(STREAM_CLASS_REFRESH_S * 30);
        for (int64_t frame = 0; frame <= 2 * every; frame++)
            cr_assert_eq(src->ops->poll(src, s, frame, &err), 0, "%s", err.msg);
        cr_expect_eq(fake.state_calls, live ? 3 : 1, "live %d: %d reads of the state", live,
                     fake.state_calls);
        cr_expect_eq(fake.runlog_calls, 2, "a run's log is read once, not per refresh");
        fake.fail_state = 1;
        cr_expect_eq(src->ops->poll(src, s, 3 * every, &err), 0, "a failed refresh is not fatal");
        cr_expect_str_eq(show_scene_at(s, 0), "leaderboard", "the scenes stay");
        stream_source_free(src);
        show_free(s);
    }
}
