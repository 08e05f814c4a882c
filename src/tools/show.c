/* show.c - the sequencer: turns the inputs into a programme of scenes and
 * renders the frame at any time t; see show.h. The scenes themselves are in
 * scene_*.c, one file each, and their common look in scene_theme.c.
 *
 * Nothing is computed per frame that can be computed per input change: when
 * spans or photos arrive the show only marks itself unplanned, and the next
 * show_render() or show_duration() rebuilds the style table and the list of
 * scenes (show_plan). Likewise each scene's static layer is drawn once, on
 * the first frame of that scene, and copied for every frame after.
 */
#include "show.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "font.h"
#include "scene.h"
#include "stream_class.h"

/* How long each scene lasts, in seconds; see the table in show.h. */
#define TITLE_SECONDS 4.0
#define EMPTY_SECONDS 5.0
#define PHOTOS_BUDGET 10.0 /* all before/after scenes together, at most... */
#define PHOTO_MIN 1.5      /* ...but each photo gets at least this... */
#define PHOTO_MAX 3.0      /* ...and at most this */
#define TIMELINES_BUDGET 30.0
#define TIMELINE_MIN 3.5
#define TIMELINE_MAX 6.0
#define BARS_SECONDS 6.0
#define FETCH_SECONDS 8.0
#define FETCH_BARS_SECONDS 5.0
/* The class scenes: long enough to read a leaderboard of ten names, or the
 * two lines of a race, aloud. */
#define LIVE_TURN_SECONDS 20.0 /* the live timeline's turn in a loop with class scenes */
#define LEADERBOARD_SECONDS 8.0
#define CLASS_PASS_SECONDS 8.0
#define FIRSTS_SECONDS 6.0
#define RACE_SECONDS 12.0

void show_options_default(struct show_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = SHOW_DEFAULT_WIDTH;
    o->height = SHOW_DEFAULT_HEIGHT;
    o->fps = SHOW_DEFAULT_FPS;
}

static int check_options(const struct show_options *o, struct err *err)
{
    if (o->width < SHOW_MIN_SIDE || o->height < SHOW_MIN_SIDE || o->width > SHOW_MAX_WIDTH ||
        o->height > SHOW_MAX_HEIGHT)
        return err_set(err, "frame size %dx%d: width must be %d to %d and height %d to %d pixels",
                       o->width, o->height, SHOW_MIN_SIDE, SHOW_MAX_WIDTH, SHOW_MIN_SIDE,
                       SHOW_MAX_HEIGHT);
    /* H.264 in yuv420p stores colour at half resolution in both directions,
     * so encoders refuse odd sizes; better to say so here, by name. */
    if (o->width % 2 != 0 || o->height % 2 != 0)
        return err_set(err, "frame size %dx%d: width and height must be even for H.264 (yuv420p)",
                       o->width, o->height);
    if (o->fps < 1 || o->fps > SHOW_MAX_FPS)
        return err_set(err, "frame rate %d: must be 1 to %d frames per second", o->fps,
                       SHOW_MAX_FPS);
    return 0;
}

int show_new(struct show **out, const struct show_options *o, struct err *err)
{
    *out = NULL;
    if (check_options(o, err) != 0)
        return -1;
    struct show *s = calloc(1, sizeof *s);
    if (s == NULL)
        return err_set(err, "out of memory for a show");
    s->width = o->width;
    s->height = o->height;
    s->fps = o->fps;
    s->layer_scene = -1;
    s->beyond = o->beyond;
    snprintf(s->title, sizeof s->title, "%s",
             o->title != NULL ? o->title : "Concurrency in C, live");
    snprintf(s->subtitle, sizeof s->subtitle, "%s", o->subtitle != NULL ? o->subtitle : "");
    snprintf(s->font_path, sizeof s->font_path, "%s",
             o->font_path != NULL ? o->font_path : FONT_DEFAULT_PATH);
    snprintf(s->bold_path, sizeof s->bold_path, "%s",
             o->bold_path != NULL ? o->bold_path : FONT_DEFAULT_BOLD_PATH);
    if (font_open(&s->regular, o->font_path != NULL ? o->font_path : FONT_DEFAULT_PATH, err) != 0 ||
        font_open(&s->bold, o->bold_path != NULL ? o->bold_path : FONT_DEFAULT_BOLD_PATH, err) !=
            0 ||
        canvas_init(&s->layer, s->width, s->height, err) != 0) {
        show_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

static void free_styles(struct show *s)
{
    for (size_t i = 0; i < s->nstyles; i++)
        free(s->styles[i].workers);
    free(s->styles);
    s->styles = NULL;
    s->nstyles = 0;
}

void show_free(struct show *s)
{
    if (s == NULL)
        return;
    free_styles(s);
    free(s->scenes);
    free(s->spans);
    for (size_t i = 0; i < s->nphotos; i++) {
        canvas_free(&s->photos[i].before);
        canvas_free(&s->photos[i].after);
    }
    free(s->photos);
    free(s->marks);
    free(s->klass);
    show_free(s->class_runs[0]);
    show_free(s->class_runs[1]);
    canvas_free(&s->layer);
    font_close(s->regular);
    font_close(s->bold);
    free(s);
}

/* Any change of the inputs: plan again, redraw the layer. */
static void invalidate(struct show *s)
{
    s->planned = 0;
    s->layer_scene = -1;
}

/* An end mark finishes the run of the span added just before it. */
static int add_end_mark(struct show *s, const struct runlog_span *mark, struct err *err)
{
    if (s->nspans == 0)
        return 0; /* a mark with no run before it: nothing to finish */
    return show_mark_finished(s, s->spans[s->nspans - 1].style, mark->item, mark->detail, err);
}

int show_add_spans(struct show *s, const struct runlog_span *spans, size_t count, struct err *err)
{
    /* End marks are not work: they go to the marks, in their place. */
    for (size_t i = 0; i < count; i++)
        if (runlog_is_end(&spans[i])) {
            if (show_add_spans(s, spans, i, err) != 0 || add_end_mark(s, &spans[i], err) != 0)
                return -1;
            return show_add_spans(s, spans + i + 1, count - i - 1, err);
        }
    if (count == 0)
        return 0;
    if (s->nspans + count > s->spans_cap) {
        size_t cap = s->spans_cap ? s->spans_cap : 256;
        while (cap < s->nspans + count)
            cap *= 2;
        struct runlog_span *grown = realloc(s->spans, cap * sizeof *grown);
        if (grown == NULL)
            return err_set(err, "out of memory for %zu spans", s->nspans + count);
        s->spans = grown;
        s->spans_cap = cap;
    }
    memcpy(s->spans + s->nspans, spans, count * sizeof *spans);
    /* A span that ends before it starts (a clock read out of order, a log
     * edited by hand) is drawn as an instant rather than as a bar billions
     * of seconds long: every extent below is an unsigned difference. And
     * names are terminated, whatever the caller's buffers held. */
    for (size_t i = s->nspans; i < s->nspans + count; i++) {
        struct runlog_span *sp = &s->spans[i];
        if (sp->end_ns < sp->start_ns)
            sp->end_ns = sp->start_ns;
        sp->style[sizeof sp->style - 1] = '\0';
        sp->item[sizeof sp->item - 1] = '\0';
        sp->phase[sizeof sp->phase - 1] = '\0';
        sp->detail[sizeof sp->detail - 1] = '\0';
    }
    s->nspans += count;
    invalidate(s);
    return 0;
}

int show_add_images(struct show *s, const char *name, const struct img *before,
                    const struct img *after, struct err *err)
{
    if (before->width != after->width || before->height != after->height)
        return err_set(err, "%s: before is %dx%d but after is %dx%d; they must match", name,
                       before->width, before->height, after->width, after->height);
    if (s->nphotos >= SHOW_MAX_IMAGES)
        return 0; /* documented: the programme has room for so many */
    struct show_photo photo;
    if (scene_images_photo(s, name, before, after, &photo, err) != 0)
        return err_prefix(err, "%s: ", name);
    struct show_photo *grown = realloc(s->photos, (s->nphotos + 1) * sizeof *grown);
    if (grown == NULL) {
        canvas_free(&photo.before);
        canvas_free(&photo.after);
        return err_set(err, "%s: out of memory", name);
    }
    s->photos = grown;
    s->photos[s->nphotos++] = photo;
    invalidate(s);
    return 0;
}

int show_mark_finished(struct show *s, const char *style, const char *exercise, const char *verdict,
                       struct err *err)
{
    struct show_mark *grown = realloc(s->marks, (s->nmarks + 1) * sizeof *grown);
    if (grown == NULL)
        return err_set(err, "out of memory for the end of %s", style);
    s->marks = grown;
    struct show_mark *m = &s->marks[s->nmarks++];
    snprintf(m->style, sizeof m->style, "%s", style);
    snprintf(m->exercise, sizeof m->exercise, "%s", exercise != NULL ? exercise : "");
    snprintf(m->verdict, sizeof m->verdict, "%s", verdict != NULL ? verdict : "");
    m->at = s->nspans;
    invalidate(s);
    return 0;
}

size_t show_drop_style(struct show *s, const char *style)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->nspans; i++)
        if (strcmp(s->spans[i].style, style) != 0)
            s->spans[kept++] = s->spans[i];
    size_t dropped = s->nspans - kept;
    s->nspans = kept;
    /* The marks of other styles keep their place relative to the spans
     * that stay: the add order of what remains is unchanged. */
    size_t km = 0;
    for (size_t i = 0; i < s->nmarks; i++)
        if (strcmp(s->marks[i].style, style) != 0) {
            s->marks[km] = s->marks[i];
            s->marks[km].at = s->marks[km].at > dropped ? s->marks[km].at - dropped : 0;
            km++;
        }
    s->nmarks = km;
    invalidate(s);
    return dropped;
}

/* The show of one class run (0 pass, 1 race): made anew when the run
 * changes, kept while it is the same run. */
static int class_run_show(struct show *s, int k, const struct stream_class_run *run,
                          const struct runlog_span *spans, size_t n, struct err *err)
{
    if (s->class_runs[k] != NULL && run->present && s->class_run_ids[k] == run->run && n > 0)
        return 0;
    show_free(s->class_runs[k]);
    s->class_runs[k] = NULL;
    if (!run->present || n == 0)
        return 0;
    struct show_options o = {.width = s->width,
                             .height = s->height,
                             .fps = s->fps,
                             .font_path = s->font_path,
                             .bold_path = s->bold_path};
    struct show *sub;
    if (show_new(&sub, &o, err) != 0)
        return -1;
    sub->embedded = 1;
    if (k == 0)
        snprintf(sub->timeline_heading, sizeof sub->timeline_heading, "%s: %s passed, \u00d7%.2f",
                 run->name, run->exercise, run->speedup);
    else
        snprintf(sub->timeline_heading, sizeof sub->timeline_heading, "%s: race in %s", run->name,
                 run->exercise);
    if (show_add_spans(sub, spans, n, err) != 0) {
        show_free(sub);
        return -1;
    }
    s->class_runs[k] = sub;
    s->class_run_ids[k] = run->run;
    return 0;
}

int show_set_class(struct show *s, const struct stream_class *c, const struct runlog_span *pass,
                   size_t npass, const struct runlog_span *race, size_t nrace, struct err *err)
{
    if (s->klass == NULL && (s->klass = malloc(sizeof *s->klass)) == NULL)
        return err_set(err, "out of memory for the class scenes");
    *s->klass = *c;
    if (class_run_show(s, 0, &c->pass, pass, npass, err) != 0 ||
        class_run_show(s, 1, &c->race, race, nrace, err) != 0)
        return -1;
    invalidate(s);
    return 0;
}

void show_set_live(struct show *s, int live)
{
    s->live = live != 0;
    if (s->live)
        s->live_origin_ns = clock_now_ns();
    invalidate(s);
}

void show_set_live_origin(struct show *s, uint64_t origin_ns)
{
    s->live_origin_ns = origin_ns;
    invalidate(s);
}

/* --- The style table ------------------------------------------------------ */

long show_style_find(const struct show *s, const char *name)
{
    for (size_t i = 0; i < s->nstyles; i++)
        if (strcmp(s->styles[i].name, name) == 0)
            return (long)i;
    return -1;
}

long show_style_lane(const struct show_style *st, long worker)
{
    for (size_t i = 0; i < st->nworkers; i++)
        if (st->workers[i] == worker)
            return (long)i;
    return -1;
}

struct first_start {
    long worker, pid;
    uint64_t start_ns;
};

static int by_start(const void *a, const void *b)
{
    const struct first_start *x = a, *y = b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* Fills in one style's workers, in order of their first span's start, so
 * lane 1 is the worker that started first. */
static int style_workers(struct show *s, struct show_style *st, struct err *err)
{
    struct first_start *fs = malloc(st->spans * sizeof *fs);
    st->workers = malloc(st->spans * sizeof *st->workers);
    if (fs == NULL || st->workers == NULL) {
        free(fs);
        return err_set(err, "out of memory for the workers of style %s", st->name);
    }
    size_t n = 0;
    for (size_t i = 0; i < s->nspans; i++) {
        const struct runlog_span *sp = &s->spans[i];
        if (strcmp(sp->style, st->name) != 0)
            continue;
        size_t k = 0;
        while (k < n && fs[k].worker != sp->worker)
            k++;
        if (k == n)
            fs[n++] = (struct first_start){sp->worker, sp->pid, sp->start_ns};
        else if (sp->start_ns < fs[k].start_ns)
            fs[k].start_ns = sp->start_ns;
    }
    qsort(fs, n, sizeof *fs, by_start);
    st->nworkers = n;
    st->processes = 0;
    for (size_t k = 0; k < n; k++) {
        st->workers[k] = fs[k].worker;
        if (k > 0 && fs[k].pid != fs[0].pid)
            st->processes = 1;
    }
    free(fs);
    return 0;
}

/* A mark finishes its style's run if no span of it came after the mark (a
 * span after it is a new run, still going). */
static void apply_marks(struct show *s)
{
    for (size_t i = 0; i < s->nmarks; i++) {
        const struct show_mark *m = &s->marks[i];
        long k = show_style_find(s, m->style);
        if (k < 0)
            continue;
        struct show_style *st = &s->styles[k];
        if (st->recency > m->at)
            continue;
        st->finished = 1;
        st->recency = m->at;
        snprintf(st->exercise, sizeof st->exercise, "%s", m->exercise);
        snprintf(st->verdict, sizeof st->verdict, "%s", m->verdict);
    }
}

static int build_styles(struct show *s, struct err *err)
{
    free_styles(s);
    for (size_t i = 0; i < s->nspans; i++) {
        const struct runlog_span *sp = &s->spans[i];
        long k = show_style_find(s, sp->style);
        if (k < 0) {
            struct show_style *grown = realloc(s->styles, (s->nstyles + 1) * sizeof *grown);
            if (grown == NULL)
                return err_set(err, "out of memory for the style table");
            s->styles = grown;
            k = (long)s->nstyles++;
            struct show_style *st = &s->styles[k];
            memset(st, 0, sizeof *st);
            snprintf(st->name, sizeof st->name, "%s", sp->style);
            st->fetch = strncmp(sp->style, "fetch-", 6) == 0;
            st->start_ns = sp->start_ns;
            st->end_ns = sp->end_ns;
        }
        struct show_style *st = &s->styles[k];
        if (sp->start_ns < st->start_ns)
            st->start_ns = sp->start_ns;
        if (sp->end_ns > st->end_ns)
            st->end_ns = sp->end_ns;
        st->spans++;
        st->failed += !sp->ok;
        st->recency = i + 1;
    }
    apply_marks(s);
    for (size_t k = 0; k < s->nstyles; k++)
        if (style_workers(s, &s->styles[k], err) != 0)
            return -1;
    return 0;
}

/* --- The programme -------------------------------------------------------- */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int add_scene(struct show *s, const struct scene_ops *ops, double duration, size_t arg,
                     struct err *err)
{
    struct scene *grown = realloc(s->scenes, (s->nscenes + 1) * sizeof *grown);
    if (grown == NULL)
        return err_set(err, "out of memory for the programme");
    s->scenes = grown;
    s->scenes[s->nscenes++] = (struct scene){ops, s->duration, duration, arg};
    s->duration += duration;
    return 0;
}

/* The class scenes, each only when it has something to show. */
static int plan_class(struct show *s, struct err *err)
{
    const struct stream_class *c = s->klass;
    if (c == NULL)
        return 0;
    int rc = add_scene(s, &scene_leaderboard, LEADERBOARD_SECONDS, 0, err);
    if (rc == 0 && c->pass.present && s->class_runs[0] != NULL)
        rc = add_scene(s, &scene_class_pass, CLASS_PASS_SECONDS, 0, err);
    if (rc == 0 && c->nfirsts > 0)
        rc = add_scene(s, &scene_firsts, FIRSTS_SECONDS, 0, err);
    if (rc == 0 && c->race.present)
        rc = add_scene(s, &scene_race, RACE_SECONDS, 1, err);
    return rc;
}

static int show_plan(struct show *s, struct err *err)
{
    if (s->planned)
        return 0;
    free(s->scenes);
    s->scenes = NULL;
    s->nscenes = 0;
    s->duration = 0;
    if (build_styles(s, err) != 0)
        return -1;

    s->cycle = 0;
    if (s->live && s->klass == NULL) {
        s->planned = 1;
        return add_scene(s, &scene_live, INFINITY, 0, err);
    }
    if (s->live) {
        /* A loop: the run going on now, when there is one, then the class. */
        int rc = s->nspans > 0 ? add_scene(s, &scene_live, LIVE_TURN_SECONDS, 0, err) : 0;
        if (rc == 0)
            rc = plan_class(s, err);
        s->cycle = s->duration;
        s->planned = rc == 0;
        return rc;
    }
    size_t nblur = 0, nfetch = 0;
    for (size_t i = 0; i < s->nstyles; i++)
        s->styles[i].fetch ? nfetch++ : nblur++;
    if (s->nspans == 0 && s->nphotos == 0 && s->klass == NULL) {
        s->planned = 1;
        return add_scene(s, &scene_empty, EMPTY_SECONDS, 0, err);
    }

    int rc =
        s->nspans > 0 || s->nphotos > 0 ? add_scene(s, &scene_title, TITLE_SECONDS, 0, err) : 0;
    double per_photo = s->nphotos ? clamp(PHOTOS_BUDGET / s->nphotos, PHOTO_MIN, PHOTO_MAX) : 0;
    for (size_t i = 0; rc == 0 && i < s->nphotos; i++)
        rc = add_scene(s, &scene_images, per_photo, i, err);
    double per_style = nblur ? clamp(TIMELINES_BUDGET / nblur, TIMELINE_MIN, TIMELINE_MAX) : 0;
    for (size_t i = 0; rc == 0 && i < s->nstyles; i++)
        if (!s->styles[i].fetch)
            rc = add_scene(s, &scene_timeline, per_style, i, err);
    if (rc == 0 && nblur > 0)
        rc = add_scene(s, &scene_bars, BARS_SECONDS, 0, err);
    if (rc == 0 && nfetch > 0)
        rc = add_scene(s, &scene_fetch, FETCH_SECONDS, 0, err);
    if (rc == 0 && nfetch > 0)
        rc = add_scene(s, &scene_bars, FETCH_BARS_SECONDS, 1, err);
    if (rc == 0)
        rc = plan_class(s, err);
    if (rc == 0)
        s->planned = 1;
    return rc;
}

double show_duration(struct show *s)
{
    if (show_plan(s, NULL) != 0)
        return 0;
    return s->live ? INFINITY : s->duration;
}

/* Where t falls in the programme: in a live loop, t modulo the loop. */
static double programme_time(const struct show *s, double t)
{
    return s->cycle > 0 ? fmod(t, s->cycle) : t;
}

/* The scene showing at t: the last one whose start is at or before t. */
static long scene_index(const struct show *s, double t)
{
    long i = 0;
    while ((size_t)i + 1 < s->nscenes && s->scenes[i + 1].start <= t)
        i++;
    return i;
}

const char *show_scene_at(struct show *s, double t)
{
    if (show_plan(s, NULL) != 0 || s->nscenes == 0)
        return "";
    if (!isfinite(t))
        t = 0;
    return s->scenes[scene_index(s, programme_time(s, t))].ops->name;
}

int show_render(struct show *s, double t, struct canvas *out, struct err *err)
{
    if (out->width != s->width || out->height != s->height || out->rgb == NULL)
        return err_set(err, "frame is %dx%d but the show renders %dx%d", out->width, out->height,
                       s->width, s->height);
    if (show_plan(s, err) != 0)
        return -1;
    /* A NaN or infinite t (a caller's division by zero) must not reach the
     * scenes' arithmetic: show the end, or live, the start. */
    if (!isfinite(t))
        t = s->live ? 0 : s->duration;
    if (t < 0)
        t = 0;
    /* Past the end, hold the very last frame rather than wrap or go blank. */
    if (!s->live && t > s->duration)
        t = s->duration;

    long i = scene_index(s, programme_time(s, t));
    const struct scene *sc = &s->scenes[i];
    if (s->layer_scene != i) {
        theme_background(s, &s->layer, NULL, NULL);
        if (sc->ops->layer != NULL && sc->ops->layer(s, sc, &s->layer, err) != 0)
            return -1;
        s->layer_scene = i;
    }
    canvas_copy(out, &s->layer, 0, 0);
    /* The live timeline's time is the clock's, wherever it is in a loop. */
    double local =
        sc->ops == &scene_live ? t : clamp(programme_time(s, t) - sc->start, 0, sc->duration);
    if (sc->ops->draw != NULL && sc->ops->draw(s, sc, local, out, err) != 0)
        return -1;

    /* A thin bar along the bottom: how far into the programme we are. */
    if (!s->live && !s->embedded && s->duration > 0) {
        int h = theme_u(s, 4);
        canvas_rect(out, 0, s->height - h, (int)(s->width * (t / s->duration)), h, theme_accent);
    }
    return 0;
}
