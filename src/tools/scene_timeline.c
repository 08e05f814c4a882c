/* scene_timeline.c - the per-worker timeline: one lane per thread or
 * process, one bar per span, coloured by phase (decode, blur, encode).
 *
 * This is the picture the workshop is about. In the linear style the bars
 * form one lane of back-to-back work; in the pool they stack into parallel
 * lanes; in the pipeline the phases interleave. The bars grow as a "now"
 * line sweeps across: a span is drawn in full once it has ended before now,
 * a span still running is drawn lighter up to now, and a span that has not
 * started is not drawn at all.
 *
 * Two scenes share the drawing:
 *   scene_timeline  a finished style, replayed: its whole wall time maps
 *                   onto the first 80% of the scene, then it holds;
 *   scene_live      the style running now (the one whose span started
 *                   last), on an axis that stretches with the elapsed time,
 *                   drawing spans as show_add_spans() delivers them; a
 *                   fetch style gets a row per request instead of lanes.
 *                   When the newest run is finished (show_mark_finished)
 *                   it is drawn whole, over its own duration, like a
 *                   replayed timeline at its end.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

#define REPLAY_FRACTION 0.8 /* of the scene spent sweeping; the rest holds */
#define MAX_PHASES 8

/* The phases that occur in a style, known ones first in pipeline order. */
static size_t style_phases(const struct show *s, const char *style, const char **out)
{
    static const char *known[] = {"decode", "blur", "encode", "feed", "head", "image"};
    size_t n = 0;
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        for (size_t i = 0; i < s->nspans; i++)
            if (strcmp(s->spans[i].style, style) == 0 && strcmp(s->spans[i].phase, known[k]) == 0) {
                out[n++] = known[k];
                break;
            }
    for (size_t i = 0; i < s->nspans && n < MAX_PHASES; i++) {
        const struct runlog_span *sp = &s->spans[i];
        if (strcmp(sp->style, style) != 0)
            continue;
        size_t k = 0;
        while (k < n && strcmp(out[k], sp->phase) != 0)
            k++;
        if (k == n)
            out[n++] = sp->phase;
    }
    return n;
}

/* What a style had done by now: the whole run for a replayed style (now =
 * UINT64_MAX), the part that has happened for a live one. */
struct so_far {
    size_t lanes;    /* workers that have started something */
    size_t spans;    /* spans finished */
    size_t failed;   /* of which failed */
    uint64_t end_ns; /* the latest end among them */
};

static void so_far(const struct show *s, const struct show_style *st, uint64_t now,
                   struct so_far *f)
{
    memset(f, 0, sizeof *f);
    f->end_ns = st->start_ns;
    for (size_t i = 0; i < s->nspans; i++) {
        const struct runlog_span *sp = &s->spans[i];
        if (sp->start_ns > now || strcmp(sp->style, st->name) != 0)
            continue;
        /* Lanes are ordered by first start, so the started ones come first. */
        long lane = show_style_lane(st, sp->worker);
        if (lane >= 0 && (size_t)lane + 1 > f->lanes)
            f->lanes = (size_t)lane + 1;
        if (sp->end_ns > now)
            continue;
        f->spans++;
        f->failed += !sp->ok;
        if (sp->end_ns > f->end_ns)
            f->end_ns = sp->end_ns;
    }
}

/* The heading, the line of figures under it and the legend of phases,
 * drawn over the background. */
static void style_header(struct show *s, struct canvas *c, size_t style, const char *heading,
                         uint64_t now)
{
    const struct show_style *st = &s->styles[style];
    struct so_far f;
    so_far(s, st, now, &f);
    char secs[32], sub[256];
    theme_seconds(secs, sizeof secs, (double)(f.end_ns - st->start_ns) / 1e9);
    int n = snprintf(sub, sizeof sub, "%zu %s%s  \u00b7  %zu %s  \u00b7  wall time %s", f.lanes,
                     st->processes ? "process" : "thread",
                     f.lanes == 1 ? "" : (st->processes ? "es" : "s"), f.spans,
                     st->fetch ? "requests" : "spans", secs);
    if (f.failed > 0)
        snprintf(sub + n, sizeof sub - (size_t)n, "  \u00b7  %zu failed", f.failed);
    theme_heading(s, c, heading, sub);
    const char *phases[MAX_PHASES + 1];
    size_t np = style_phases(s, st->name, phases);
    if (st->failed > 0)
        phases[np++] = "failed";
    theme_legend(s, c, phases, np);
}

/* Draws the first `lanes` lanes of one style: time origin_ns at the left
 * edge, range seconds across the plot, spans cut off at now_ns. */
static void draw_lanes(struct show *s, struct canvas *out, size_t style, size_t lanes,
                       uint64_t origin_ns, double range, uint64_t now_ns)
{
    const struct show_style *st = &s->styles[style];
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    int label_w = theme_u(s, 150);
    int px = x + label_w, pw = w - label_w;
    int axis_h = theme_u(s, 34);
    int bottom = y + h - axis_h;
    size_t n = lanes ? lanes : 1;
    /* Lanes share the plot's height, up to a comfortable maximum; a style
     * with few workers gets its lanes centred instead of stretched. */
    int lane_h = (bottom - y) / (int)n;
    if (lane_h > theme_u(s, 110))
        lane_h = theme_u(s, 110);
    if (lane_h < 1)
        lane_h = 1;
    int lanes_y = y + (bottom - y - lane_h * (int)n) / 2;
    int lane_px = lane_h * 6 / 10 < theme_u(s, 20) ? lane_h * 6 / 10 : theme_u(s, 20);

    theme_time_axis(s, out, px, pw, y, bottom, range);
    /* With more workers than pixel rows, the lanes that do not fit are
     * left out rather than drawn over the axis. */
    size_t fit = (size_t)((bottom - lanes_y) / lane_h);
    if (fit > n)
        fit = n;
    for (size_t i = 0; i < fit; i++) {
        int ly = lanes_y + (int)i * lane_h;
        if (i % 2 == 0)
            canvas_blend(out, px, ly, pw, lane_h, theme_panel, 160);
        /* Lanes too thin for a readable label go without one. */
        if (lane_px >= 9) {
            char label[48];
            snprintf(label, sizeof label, "%s %zu", st->processes ? "process" : "thread", i + 1);
            canvas_text_align(out, s->regular, lane_px, px - theme_u(s, 12),
                              ly + (lane_h - lane_px) / 2 - theme_u(s, 2), CANVAS_RIGHT, theme_dim,
                              label);
        }
    }

    int pad = lane_h >= 6 ? lane_h / 7 + 1 : 0;
    for (size_t i = 0; i < s->nspans; i++) {
        const struct runlog_span *sp = &s->spans[i];
        if (sp->start_ns >= now_ns || strcmp(sp->style, st->name) != 0)
            continue;
        long lane = show_style_lane(st, sp->worker);
        if (lane < 0 || (size_t)lane >= fit)
            continue;
        int running = sp->end_ns > now_ns;
        uint64_t end = running ? now_ns : sp->end_ns;
        int x0 = px + (int)lround((double)(sp->start_ns - origin_ns) / 1e9 / range * pw);
        int x1 = px + (int)lround((double)(end - origin_ns) / 1e9 / range * pw);
        if (x1 <= x0)
            x1 = x0 + 1; /* a span shorter than a pixel still shows */
        int by = lanes_y + (int)lane * lane_h + pad, bh = lane_h - 2 * pad;
        struct canvas_rgb color = theme_phase_color(sp->phase);
        if (running)
            canvas_blend(out, x0, by, x1 - x0, bh, color, 110);
        else
            canvas_rect(out, x0, by, x1 - x0, bh, color);
        /* A failed span keeps its phase colour inside a red frame. */
        if (!running && !sp->ok)
            canvas_frame(out, x0, by, x1 - x0, bh, theme_u(s, 3), theme_fail);
    }

    /* The "now" line, with the elapsed time above it. */
    double now_s = (double)(now_ns - origin_ns) / 1e9;
    if (now_s <= range * 1.001) {
        int nx = px + (int)lround(now_s / range * pw);
        canvas_rect(out, nx - theme_u(s, 1), y - theme_u(s, 6), theme_u(s, 2),
                    bottom - y + theme_u(s, 6), theme_accent);
        char label[32];
        theme_seconds(label, sizeof label, now_s);
        int lpx = theme_u(s, 18);
        int lx = nx + theme_u(s, 6);
        if (lx + font_text_width(s->bold, lpx, label) > px + pw)
            lx = nx - theme_u(s, 6) - font_text_width(s->bold, lpx, label);
        canvas_text(out, s->bold, lpx, lx, y - theme_u(s, 8) - lpx, theme_accent, label);
    }
}

static int timeline_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)err;
    style_header(s, c, sc->arg,
                 s->timeline_heading[0] != '\0' ? s->timeline_heading : s->styles[sc->arg].name,
                 UINT64_MAX);
    return 0;
}

static int timeline_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                         struct err *err)
{
    (void)err;
    const struct show_style *st = &s->styles[sc->arg];
    uint64_t extent = st->end_ns - st->start_ns;
    double range = extent > 1000000 ? (double)extent / 1e9 : 0.001;
    double f = t / (sc->duration * REPLAY_FRACTION);
    if (f > 1)
        f = 1;
    uint64_t now = st->start_ns + (uint64_t)(f * (double)extent);
    /* At the end of the sweep "now" must pass the last span's end, or the
     * very last span would stay drawn as running. */
    if (f >= 1)
        now = st->end_ns + 1;
    draw_lanes(s, out, sc->arg, st->nworkers, st->start_ns, range, now);
    return 0;
}

const struct scene_ops scene_timeline = {"timeline", timeline_layer, timeline_draw};

/* The style running at now: the one whose span started last before now.
 * (In a live run every span is from the past; in a replay, spans from the
 * future are already in the log and must wait.) */
static long live_style(const struct show *s, uint64_t now)
{
    long last = -1;
    for (size_t i = 0; i < s->nspans; i++)
        if (s->spans[i].start_ns <= now &&
            (last < 0 || s->spans[i].start_ns >= s->spans[last].start_ns))
            last = (long)i;
    return last < 0 ? -1 : show_style_find(s, s->spans[last].style);
}

/* A red "LIVE" badge at (x, y), as tall as the heading's capitals. */
static void live_badge(struct show *s, struct canvas *c, int x, int y)
{
    int px = theme_u(s, 18), pad = theme_u(s, 7), dot = theme_u(s, 8);
    int w = font_text_width(s->bold, px, "LIVE") + 2 * pad + dot + theme_u(s, 6);
    canvas_rect(c, x, y, w, px + 2 * pad, theme_fail);
    canvas_rect(c, x + pad, y + pad + px / 2 - dot / 2 + theme_u(s, 1), dot, dot, theme_text);
    canvas_text(c, s->bold, px, x + pad + dot + theme_u(s, 6), y + pad, theme_text, "LIVE");
}

/* The style that arrived last (span or mark), if its run is over; else -1. */
static long finished_style(const struct show *s)
{
    long newest = -1;
    for (size_t i = 0; i < s->nstyles; i++)
        if (newest < 0 || s->styles[i].recency > s->styles[newest].recency)
            newest = (long)i;
    return newest >= 0 && s->styles[newest].finished ? newest : -1;
}

/* A finished run, whole, over its own duration: its spans are all in, so
 * the clock no longer matters. The heading names the exercise and says
 * how it went. */
static int finished_draw(struct show *s, struct canvas *out, size_t style, struct err *err)
{
    const struct show_style *st = &s->styles[style];
    char heading[160];
    if (st->exercise[0] != '\0' && st->verdict[0] != '\0')
        snprintf(heading, sizeof heading, "%s: %s", st->exercise, st->verdict);
    else
        snprintf(heading, sizeof heading, "%s, finished",
                 st->exercise[0] != '\0' ? st->exercise : st->name);
    style_header(s, out, style, heading, UINT64_MAX);
    uint64_t extent = st->end_ns - st->start_ns;
    double range = extent > 1000000 ? (double)extent / 1e9 : 0.001;
    if (!st->fetch) {
        draw_lanes(s, out, style, st->nworkers, st->start_ns, range, st->end_ns + 1);
        return 0;
    }
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    int axis_h = theme_u(s, 34);
    theme_time_axis(s, out, x, w, y, y + h - axis_h, range);
    return scene_fetch_panel(s, out, style, x, y, w, h - axis_h, range, range * 1.001, err);
}

static int live_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                     struct err *err)
{
    (void)sc;
    long done = finished_style(s);
    if (done >= 0)
        return finished_draw(s, out, (size_t)done, err);
    /* Everything depends on now, even the heading (which style runs), so
     * the layer is the bare background and the whole scene is drawn here. */
    uint64_t now = s->live_origin_ns + (uint64_t)(t * 1e9);
    long style = live_style(s, now);
    char heading[96] = "Live";
    if (style < 0)
        theme_heading(s, out, heading, "waiting for the first span of the run\u2026");
    else {
        snprintf(heading, sizeof heading, "%s, running", s->styles[style].name);
        style_header(s, out, (size_t)style, heading, now);
    }
    live_badge(s, out,
               theme_u(s, 48) + font_text_width(s->bold, theme_u(s, 40), heading) + theme_u(s, 24),
               theme_u(s, 40));
    if (style < 0)
        return 0;
    const struct show_style *st = &s->styles[style];

    /* The axis runs from the style's first span to now, so the picture
     * stretches as the run goes on, and spans a second at least so that the
     * first spans do not fill the screen. Spans that end after now (only in
     * a replay: a live log holds finished spans) grow up to now. */
    double range = (double)(now - st->start_ns) / 1e9;
    if (range < 1.0)
        range = 1.0;
    if (!st->fetch) {
        struct so_far f;
        so_far(s, st, now, &f);
        draw_lanes(s, out, (size_t)style, f.lanes, st->start_ns, range, now);
        return 0;
    }
    /* A fetch style runs its requests on one thread or many; a row per
     * request (as in the fetch scene) shows its overlap either way. */
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    int axis_h = theme_u(s, 34);
    theme_time_axis(s, out, x, w, y, y + h - axis_h, range);
    return scene_fetch_panel(s, out, (size_t)style, x, y, w, h - axis_h, range,
                             (double)(now - st->start_ns) / 1e9, err);
}

const struct scene_ops scene_live = {"timeline", NULL, live_draw};
