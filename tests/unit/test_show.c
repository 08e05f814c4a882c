/* test_show.c - the stream's programme: options and fonts it must refuse,
 * the order and length of its scenes, timelines that grow with "now", live
 * mode, and golden frames.
 *
 * Golden frames are 320x180 PNGs in tests/golden/, compared with a tolerance
 * (PSNR >= GOLDEN_MIN_PSNR) so that a harmless change of rounding does not
 * fail the test but a moved bar or a missing label does. After changing how
 * a scene looks on purpose, regenerate them and look at them:
 *
 *     RETREAT_UPDATE_GOLDEN=1 build/tests/unit --filter 'show/golden_*'
 *
 * (see tests/golden/README.md).
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "blur.h"
#include "scene.h" /* theme_phase_color: the colours the bars must have */
#include "show.h"

#define GW 320
#define GH 180
#define GOLDEN_DIR "tests/golden"
#define GOLDEN_MIN_PSNR 38.0

/* --- Inputs ------------------------------------------------------------------ */

struct spans {
    struct runlog_span s[512];
    size_t n;
};

/* Adds a span from a to b seconds (on a clock starting at 100 s). */
static void span(struct spans *sp, const char *style, long index, long worker, long pid,
                 const char *phase, double a, double b, int ok)
{
    cr_assert_lt(sp->n, sizeof sp->s / sizeof sp->s[0]);
    struct runlog_span *s = &sp->s[sp->n++];
    memset(s, 0, sizeof *s);
    snprintf(s->style, sizeof s->style, "%s", style);
    snprintf(s->item, sizeof s->item, "photo%ld.png", index);
    snprintf(s->phase, sizeof s->phase, "%s", phase);
    s->index = index;
    s->worker = worker;
    s->pid = pid;
    s->start_ns = (uint64_t)((100.0 + a) * 1e9);
    s->end_ns = (uint64_t)((100.0 + b) * 1e9);
    s->ok = ok;
}

/* One photo's decode, blur and encode on one worker, from t; returns the end. */
static double photo(struct spans *sp, const char *style, long i, long worker, double t)
{
    span(sp, style, i, worker, 1000, "decode", t, t + 0.05, 1);
    span(sp, style, i, worker, 1000, "blur", t + 0.05, t + 0.35, 1);
    span(sp, style, i, worker, 1000, "encode", t + 0.35, t + 0.43, 1);
    return t + 0.43;
}

/* linear: 6 photos on one thread; pool: the same on 3 threads, 3x sooner. */
static void blur_styles(struct spans *sp)
{
    double t = 0;
    for (long i = 0; i < 6; i++)
        t = photo(sp, "linear", i, 11, t);
    for (long i = 0; i < 6; i++)
        photo(sp, "pool", i, 21 + i % 3, 5.0 + (double)(i / 3) * 0.43);
}

/* fetch-linear: 6 requests one after the other; fetch-multi: all at once. */
static void fetch_styles(struct spans *sp)
{
    static const char *phases[] = {"feed", "feed", "head", "image", "head", "image"};
    for (long i = 0; i < 6; i++)
        span(sp, "fetch-linear", i, 31, 1000, phases[i], 10.0 + 0.25 * i, 10.0 + 0.25 * i + 0.2,
             i != 3);
    for (long i = 0; i < 6; i++)
        span(sp, "fetch-multi", i, 41, 1000, phases[i], 20.0 + 0.01 * i, 20.0 + 0.01 * i + 0.2, 1);
}

/* A photo with detail (a checkerboard over a gradient) and its blur. */
static void photo_pair(struct img *before, struct img *after, int w, int h)
{
    struct err err;
    cr_assert_eq(img_alloc(before, w, h, 3, &err), 0, "%s", err.msg);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img_row(before, y) + 3 * x;
            int check = ((x / 8) + (y / 8)) % 2;
            p[0] = (uint8_t)(check ? 230 : 255 * x / w);
            p[1] = (uint8_t)(check ? 230 : 255 * y / h);
            p[2] = (uint8_t)(check ? 60 : 128);
        }
    cr_assert_eq(img_alloc_like(after, before, &err), 0, "%s", err.msg);
    cr_assert_eq(blur_gauss(before, after, 4.0f, &err), 0, "%s", err.msg);
}

static struct show *new_show(int w, int h)
{
    struct show_options o;
    show_options_default(&o);
    o.width = w;
    o.height = h;
    o.subtitle = "golden test";
    struct show *s;
    struct err err;
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    return s;
}

static struct show *full_show(int w, int h)
{
    struct show *s = new_show(w, h);
    struct spans sp = {0};
    blur_styles(&sp);
    fetch_styles(&sp);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    struct img before, after;
    photo_pair(&before, &after, 96, 64);
    cr_assert_eq(show_add_images(s, "dir/checker.png", &before, &after, &err), 0, "%s", err.msg);
    img_free(&before);
    img_free(&after);
    return s;
}

/* The start of the first scene with this name, or -1. */
static double scene_start(struct show *s, const char *name)
{
    double d = show_duration(s);
    for (double t = 0; t < d; t += 0.05)
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

static struct canvas frame_at(struct show *s, int w, int h, double t)
{
    struct canvas c;
    struct err err;
    cr_assert_eq(canvas_init(&c, w, h, &err), 0, "%s", err.msg);
    cr_assert_eq(show_render(s, t, &c, &err), 0, "%s", err.msg);
    return c;
}

/* --- Options and fonts --------------------------------------------------------- */

static void expect_refused(int w, int h, int fps, const char *needle)
{
    struct show_options o;
    show_options_default(&o);
    o.width = w;
    o.height = h;
    o.fps = fps;
    struct show *s = (struct show *)1;
    struct err err = {0};
    cr_expect_eq(show_new(&s, &o, &err), -1, "%dx%d at %d fps must be refused", w, h, fps);
    cr_expect_null(s);
    cr_expect(strstr(err.msg, needle) != NULL, "message for %dx%d@%d: %s", w, h, fps, err.msg);
}

Test(show, odd_zero_and_huge_sizes_are_refused)
{
    expect_refused(1281, 720, 30, "even");
    expect_refused(1280, 719, 30, "even");
    expect_refused(0, 720, 30, "0x720");
    expect_refused(1280, -2, 30, "1280x-2");
    expect_refused(100000, 720, 30, "100000x720");
    expect_refused(1280, 720, 0, "frame rate 0");
    expect_refused(1280, 720, 1000, "frame rate 1000");
}

Test(show, a_missing_font_is_an_error_naming_the_path)
{
    struct show_options o;
    show_options_default(&o);
    o.font_path = "/nonexistent/fonts/Missing.ttf";
    struct show *s;
    struct err err = {0};
    cr_expect_eq(show_new(&s, &o, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/fonts/Missing.ttf") != NULL, "message: %s", err.msg);

    show_options_default(&o);
    o.bold_path = "/nonexistent/fonts/MissingBold.ttf";
    cr_expect_eq(show_new(&s, &o, &err), -1);
    cr_expect(strstr(err.msg, "MissingBold.ttf") != NULL, "message: %s", err.msg);
}

Test(show, a_frame_of_the_wrong_size_is_refused)
{
    struct show *s = new_show(GW, GH);
    struct canvas c;
    struct err err = {0};
    cr_assert_eq(canvas_init(&c, GW + 2, GH, &err), 0, "%s", err.msg);
    cr_expect_eq(show_render(s, 0, &c, &err), -1);
    cr_expect(strstr(err.msg, "322x180") != NULL, "message: %s", err.msg);
    canvas_free(&c);
    show_free(s);
}

Test(show, photos_must_match_in_size)
{
    struct show *s = new_show(GW, GH);
    struct img a, b, c, d;
    photo_pair(&a, &b, 40, 30);
    photo_pair(&c, &d, 30, 40);
    struct err err = {0};
    cr_expect_eq(show_add_images(s, "cat.png", &a, &d, &err), -1);
    cr_expect(strstr(err.msg, "cat.png") != NULL, "message: %s", err.msg);
    cr_expect_str_eq(show_scene_at(s, 0), "empty", "a refused photo is not in the programme");
    img_free(&a);
    img_free(&b);
    img_free(&c);
    img_free(&d);
    show_free(s);
}

/* --- The programme ---------------------------------------------------------------- */

Test(show, nothing_to_show_is_a_scene_that_says_so)
{
    struct show *s = new_show(GW, GH);
    cr_expect_gt(show_duration(s), 0);
    cr_expect_str_eq(show_scene_at(s, 0), "empty");
    struct canvas c = frame_at(s, GW, GH, 1.0);
    cr_expect_lt(count_color(&c, theme_bg), GW * GH, "the frame has text on it");
    canvas_free(&c);
    show_free(s);
}

Test(show, scenes_come_in_programme_order)
{
    struct show *s = full_show(GW, GH);
    static const char *order[] = {"title", "images", "timeline", "bars", "fetch"};
    double last = -1;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        double t = scene_start(s, order[i]);
        cr_expect_gt(t, last, "%s must come after the scene before it (%g <= %g)", order[i], t,
                     last);
        last = t;
    }
    cr_expect_eq(scene_start(s, "title"), 0);
    /* 4 s title, 3 s photo, two 6 s timelines, 6 s bars, 8 s fetch, 5 s fetch bars. */
    cr_expect(fabs(show_duration(s) - 38.0) < 1e-9, "duration %g", show_duration(s));
    cr_expect_str_eq(show_scene_at(s, show_duration(s) - 0.1), "bars", "fetch speedups last");
    cr_expect_str_eq(show_scene_at(s, 1e9), "bars", "past the end holds the last scene");
    show_free(s);
}

Test(show, a_workshop_sized_programme_lasts_about_a_minute)
{
    /* 7 blur styles, 2 fetch styles and 6 photos, like the demo. */
    struct show *s = new_show(GW, GH);
    struct spans sp = {0};
    static const char *styles[] = {"linear", "processes", "threads", "pool",
                                   "rows",   "pipeline",  "fast"};
    for (size_t k = 0; k < 7; k++)
        photo(&sp, styles[k], 0, 100 + (long)k, (double)k);
    fetch_styles(&sp);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    struct img a, b;
    photo_pair(&a, &b, 32, 32);
    for (int i = 0; i < 6; i++)
        cr_assert_eq(show_add_images(s, "p.png", &a, &b, &err), 0, "%s", err.msg);
    img_free(&a);
    img_free(&b);
    double d = show_duration(s);
    cr_expect(d >= 50 && d <= 70, "duration %g s", d);
    show_free(s);
}

Test(show, timeline_bars_grow_with_now)
{
    struct show *s = new_show(640, 360);
    struct spans sp = {0};
    blur_styles(&sp);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    double start = scene_start(s, "timeline");
    cr_assert_geq(start, 0);
    struct canvas_rgb blur = theme_phase_color("blur");

    /* linear's scene: at its first frame only the legend has the blur
     * colour (no span has ended yet), then more and more bars do. */
    long prev = -1;
    for (int k = 0; k <= 5; k++) {
        struct canvas c = frame_at(s, 640, 360, start + k * 1.0);
        long n = count_color(&c, blur);
        if (k == 0)
            cr_expect(n > 0 && n < 200, "only the legend's square: %ld pixels", n);
        else
            cr_expect_gt(n, prev, "more blur drawn at %d s than at %d s", k, k - 1);
        prev = n;
        canvas_free(&c);
    }
    show_free(s);
}

Test(show, a_running_span_is_not_drawn_fully)
{
    /* One 1 s blur span: the replay sweeps its 1 s over 80% of the scene. */
    struct show *s = new_show(640, 360);
    struct spans sp = {0};
    span(&sp, "linear", 0, 7, 7, "blur", 0.0, 1.0, 1);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    double start = scene_start(s, "timeline");
    double len = scene_start(s, "bars") - start;
    struct canvas_rgb blur = theme_phase_color("blur");

    /* The legend's square has the colour from the start: count on top of it. */
    struct canvas first = frame_at(s, 640, 360, start);
    long legend = count_color(&first, blur);
    canvas_free(&first);
    struct canvas mid = frame_at(s, 640, 360, start + len * 0.4);
    cr_expect_eq(count_color(&mid, blur), legend, "while it runs the span is drawn lighter");
    struct canvas end = frame_at(s, 640, 360, start + len * 0.9);
    cr_expect_gt(count_color(&end, blur), legend + 1000, "once ended it is drawn in its colour");
    canvas_free(&mid);
    canvas_free(&end);
    show_free(s);
}

Test(show, live_mode_draws_spans_as_they_arrive)
{
    struct show *s = new_show(640, 360);
    show_set_live(s, 1);
    cr_expect(isinf(show_duration(s)), "live runs until stopped");
    show_set_live_origin(s, (uint64_t)(100.0 * 1e9));
    struct canvas_rgb blur = theme_phase_color("blur");

    struct canvas c = frame_at(s, 640, 360, 0.5);
    cr_expect_eq(count_color(&c, blur), 0, "no spans yet: a waiting card");
    canvas_free(&c);

    struct spans sp = {0};
    photo(&sp, "pool", 0, 21, 0.0);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    c = frame_at(s, 640, 360, 1.0);
    long one = count_color(&c, blur);
    cr_expect_gt(one, 0, "the first span shows at once");
    canvas_free(&c);

    /* A second worker's span arrives: a second lane. Spans that end after
     * "now" are not drawn yet. */
    sp.n = 0;
    photo(&sp, "pool", 1, 22, 0.5);
    photo(&sp, "pool", 2, 23, 5.0);
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    c = frame_at(s, 640, 360, 1.0);
    long two = count_color(&c, blur);
    canvas_free(&c);
    cr_expect_gt(two, one, "the new span is drawn");
    c = frame_at(s, 640, 360, 6.0);
    long three = count_color(&c, blur);
    canvas_free(&c);
    cr_expect_gt(three, 0);
    cr_expect_str_eq(show_scene_at(s, 1e6), "timeline");
    show_free(s);
}

/* Reliability 7: a finished run that reaches a live show (a run log the
 * grader dropped into the watched folder, or one copied in from earlier)
 * was drawn as "running" on an axis that grew with the clock, so its 0.43 s
 * of bars shrank to slivers. With an end mark it is drawn over its own
 * duration, the same at 3 s as at 300 s. */
static void end_mark(struct spans *sp, const char *exercise, const char *verdict, double at)
{
    span(sp, RUNLOG_END, 0, 0, 1000, RUNLOG_END, at, at, 1);
    struct runlog_span *m = &sp->s[sp->n - 1];
    snprintf(m->item, sizeof m->item, "%s", exercise);
    snprintf(m->detail, sizeof m->detail, "%s", verdict);
}

Test(show, live_finished_run_keeps_its_own_axis)
{
    struct show *s = new_show(640, 360);
    show_set_live(s, 1);
    show_set_live_origin(s, (uint64_t)(100.0 * 1e9));
    struct spans sp = {0};
    photo(&sp, "pool", 0, 21, 0.0);
    photo(&sp, "pool", 1, 22, 0.0);
    end_mark(&sp, "05-pool", "passed", 0.5);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    struct canvas_rgb blur = theme_phase_color("blur");
    struct canvas early = frame_at(s, 640, 360, 3.0), late = frame_at(s, 640, 360, 300.0);
    long n_early = count_color(&early, blur), n_late = count_color(&late, blur);
    /* Two lanes of blur bars over ~70% of a ~500-pixel axis: thousands of
     * pixels; on a 300 s axis they would be a pixel or two wide. */
    cr_expect_gt(n_late, 5000, "the finished run shrank: %ld blur pixels", n_late);
    cr_expect_eq(n_early, n_late, "the picture moved with the clock: %ld then %ld", n_early,
                 n_late);
    cr_expect_str_eq(show_scene_at(s, 300.0), "timeline");
    canvas_free(&early);
    canvas_free(&late);

    /* A new run of another style takes over, running: its axis grows. */
    sp.n = 0;
    photo(&sp, "rows", 0, 31, 400.0);
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    struct canvas next = frame_at(s, 640, 360, 400.2);
    long n_next = count_color(&next, blur);
    cr_expect_lt(n_next, 200, "rows's blur still runs at 0.2 s: only the legend: %ld", n_next);
    canvas_free(&next);

    /* The same finish without an end mark, from the watch source's
     * "quiet file" rule: show_mark_finished. */
    cr_assert_eq(show_mark_finished(s, "rows", NULL, NULL, &err), 0, "%s", err.msg);
    struct canvas marked = frame_at(s, 640, 360, 900.0);
    cr_expect_gt(count_color(&marked, blur), 2500, "rows is drawn whole once finished");
    canvas_free(&marked);
    show_free(s);
}

/* An end mark is not work: no "end" style, no extra lane, in a replay. */
Test(show, end_marks_are_not_spans)
{
    struct show *s = new_show(320, 180);
    struct spans sp = {0};
    photo(&sp, "pool", 0, 21, 0.0);
    end_mark(&sp, "05-pool", "passed", 0.5);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    double d = show_duration(s);
    int timelines = 0;
    for (double t = 0; t < d; t += 0.1)
        timelines += strcmp(show_scene_at(s, t), "timeline") == 0 &&
                     (t < 0.1 || strcmp(show_scene_at(s, t - 0.1), "timeline") != 0);
    cr_expect_eq(timelines, 1, "one style, one timeline: %d", timelines);
    cr_expect_eq(show_drop_style(s, "pool"), 3);
    cr_expect_str_eq(show_scene_at(s, 0), "empty");
    show_free(s);
}

Test(show, odd_spans_render_without_harm)
{
    /* A span that ends before it starts, phases nobody knows, and a style
     * with more workers than the 180-pixel frame has rows: every scene must
     * still render (run under ASan to see that nothing is written out of
     * bounds). */
    struct show *s = new_show(GW, GH);
    struct spans sp = {0};
    span(&sp, "linear", 0, 1, 1, "blur", 2.0, 1.0, 1);
    span(&sp, "linear", 1, 1, 1, "mystery-phase", 2.0, 3.0, 0);
    for (long w = 0; w < 300; w++)
        span(&sp, "threads", w, 1000 + w, 1, "blur", 5.0 + 0.001 * w, 5.5, 1);
    span(&sp, "fetch-", 0, 9, 9, "", 7.0, 7.0, 1);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    double d = show_duration(s);
    cr_assert(isfinite(d) && d > 0 && d < 120, "duration %g", d);
    struct canvas c;
    cr_assert_eq(canvas_init(&c, GW, GH, &err), 0, "%s", err.msg);
    for (double t = 0; t <= d; t += 0.25)
        cr_assert_eq(show_render(s, t, &c, &err), 0, "t=%g: %s", t, err.msg);
    cr_expect_eq(show_render(s, NAN, &c, &err), 0, "%s", err.msg);
    canvas_free(&c);
    show_free(s);
}

/* --- Golden frames ---------------------------------------------------------------- */

static void golden(struct show *s, double t, const char *name)
{
    struct canvas c = frame_at(s, GW, GH, t);
    struct img got, want;
    struct err err;
    cr_assert_eq(canvas_to_img(&c, &got, &err), 0, "%s", err.msg);
    canvas_free(&c);
    char path[256];
    snprintf(path, sizeof path, "%s/%s.png", GOLDEN_DIR, name);

    const char *update = getenv("RETREAT_UPDATE_GOLDEN");
    if (update != NULL && strcmp(update, "1") == 0) {
        cr_assert_eq(img_save(path, &got, &err), 0, "%s", err.msg);
        fprintf(stderr, "wrote %s: look at it before committing\n", path);
        img_free(&got);
        return;
    }
    cr_assert_eq(img_load(path, &want, &err), 0,
                 "%s (run from the top of the tree; RETREAT_UPDATE_GOLDEN=1 creates it)", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0, "%s: %s", path, err.msg);
    cr_expect_geq(d.psnr, GOLDEN_MIN_PSNR,
                  "%s at t=%g differs: PSNR %.1f dB, largest difference %d at (%d,%d); save the "
                  "frame with RETREAT_UPDATE_GOLDEN=1 and compare",
                  path, t, d.psnr, d.max_abs, d.x, d.y);
    img_free(&got);
    img_free(&want);
}

Test(show, golden_programme)
{
    struct show *s = full_show(GW, GH);
    golden(s, 2.0, "title");
    golden(s, scene_start(s, "images") + 1.5, "images_wipe");
    golden(s, scene_start(s, "timeline") + 2.0, "timeline_linear_growing");
    golden(s, scene_start(s, "timeline") + 6.0 + 5.5, "timeline_pool_done");
    golden(s, scene_start(s, "bars") + 3.0, "bars");
    golden(s, scene_start(s, "fetch") + 7.0, "fetch");
    show_free(s);
}

Test(show, golden_empty_and_live)
{
    struct show *s = new_show(GW, GH);
    golden(s, 0.0, "empty");
    show_free(s);

    s = new_show(GW, GH);
    struct spans sp = {0};
    blur_styles(&sp);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    show_set_live(s, 1);
    show_set_live_origin(s, (uint64_t)(100.0 * 1e9));
    golden(s, 5.7, "live_pool"); /* pool started at 5 s: half of it is done */
    show_free(s);
}

Test(show, live_fetch_styles_get_a_row_per_request)
{
    struct show *s = new_show(GW, GH);
    struct spans sp = {0};
    fetch_styles(&sp);
    struct err err;
    cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
    show_set_live(s, 1);
    show_set_live_origin(s, (uint64_t)(100.0 * 1e9));
    /* fetch-multi started at 20 s, its six requests all within 0.25 s. */
    struct canvas c = frame_at(s, GW, GH, 20.5);
    cr_expect_gt(count_color(&c, theme_phase_color("image")), 20);
    canvas_free(&c);
    golden(s, 20.5, "live_fetch");
    show_free(s);
}

/* A style beyond the ladder of exercises (show_options.beyond) is labelled so
 * on the bars, after its speedup: the same run drawn with and without the
 * list differs there, and only there (to the right of the bars' start). */
Test(show, bars_label_the_styles_beyond_the_ladder)
{
    static const char *const beyond[] = {"expert", NULL};
    struct canvas c[2];
    for (int with = 0; with < 2; with++) {
        struct show_options o;
        show_options_default(&o);
        o.width = 640;
        o.height = 360;
        o.beyond = with ? beyond : NULL;
        struct show *s;
        struct err err;
        cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
        struct spans sp = {0};
        double t = 0;
        for (long i = 0; i < 3; i++)
            t = photo(&sp, "linear", i, 11, t);
        for (long i = 0; i < 3; i++)
            photo(&sp, "expert", i, 12, 5.0 + 0.1 * (double)i);
        cr_assert_eq(show_add_spans(s, sp.s, sp.n, &err), 0, "%s", err.msg);
        double start = scene_start(s, "bars");
        cr_assert_geq(start, 0, "no bars scene");
        c[with] = frame_at(s, 640, 360, start + 5.5); /* grown: every label drawn */
        show_free(s);
    }
    long differ = 0, left = 0;
    for (int y = 0; y < 360; y++)
        for (int x = 0; x < 640; x++)
            if (memcmp(canvas_at(&c[0], x, y), canvas_at(&c[1], x, y), 3) != 0) {
                differ++;
                left += x < 640 / 3;
            }
    canvas_free(&c[0]);
    canvas_free(&c[1]);
    cr_expect_gt(differ, 100, "no \"beyond the ladder\" label: %ld pixels differ", differ);
    cr_expect_eq(left, 0, "%ld pixels differ left of the bars, where the names are", left);
}
