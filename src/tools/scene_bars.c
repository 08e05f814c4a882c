/* scene_bars.c - the scoreboard: wall time per style as horizontal bars,
 * with the speedup against the linear style written next to each.
 *
 * A style's wall time is the extent of its spans in the run log, from the
 * first start to the last end (runlog_extent's definition), so it measures
 * exactly the work the timeline showed. The speedup is linear's wall time
 * divided by the style's: 3.2x means the same photos took a third as long.
 *
 * Blur styles and fetch styles get a scene each (arg 0 and 1): their
 * baselines differ ("linear" and "fetch-linear"), and so do their scales.
 */
#include <stdio.h>
#include <string.h>

#include "scene.h"

#define GROW_SECONDS 1.5 /* bars grow to full length over this */

struct bars {
    size_t idx[64]; /* styles in the chart, in log order */
    size_t n;
    long baseline; /* index of the baseline style, or -1 */
    double max_wall;
};

static double wall(const struct show_style *st)
{
    return (double)(st->end_ns - st->start_ns) / 1e9;
}

static void collect(const struct show *s, size_t group, struct bars *b)
{
    memset(b, 0, sizeof *b);
    b->baseline = show_style_find(s, group ? "fetch-linear" : "linear");
    for (size_t i = 0; i < s->nstyles && b->n < sizeof b->idx / sizeof b->idx[0]; i++) {
        if (s->styles[i].fetch != (int)group)
            continue;
        b->idx[b->n++] = i;
        if (wall(&s->styles[i]) > b->max_wall)
            b->max_wall = wall(&s->styles[i]);
    }
    if (b->max_wall <= 0)
        b->max_wall = 0.001;
}

/* The chart's geometry: a row per style; bars start at bx and are at most
 * bw long, leaving room on the right for the labels. */
struct layout {
    int bx, bw, top, row_h, bar_h, axis_y, px;
};

static void layout(const struct show *s, size_t n, struct layout *l)
{
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    l->bx = x + theme_u(s, 190);
    l->bw = w - theme_u(s, 190) - theme_u(s, 230);
    int axis_h = theme_u(s, 34);
    l->row_h = (h - axis_h) / (int)(n ? n : 1);
    if (l->row_h > theme_u(s, 64))
        l->row_h = theme_u(s, 64);
    /* Few styles: centre the chart in the body rather than leave it hanging
     * from the heading. */
    l->top = y + (h - axis_h - l->row_h * (int)n) / 2;
    l->axis_y = l->top + l->row_h * (int)n + theme_u(s, 6);
    l->bar_h = l->row_h * 62 / 100;
    l->px = l->bar_h * 7 / 10 < theme_u(s, 22) ? l->bar_h * 7 / 10 : theme_u(s, 22);
}

static int bars_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)err;
    struct bars b;
    collect(s, sc->arg, &b);
    const char *base = sc->arg ? "fetch-linear" : "linear";
    char sub[160];
    if (b.baseline >= 0)
        snprintf(sub, sizeof sub, "first span to last span  \u00b7  speedup against %s", base);
    else
        snprintf(sub, sizeof sub, "first span to last span  \u00b7  no %s run to compare with",
                 base);
    theme_heading(s, c, sc->arg ? "Wall time per fetch style" : "Wall time per style", sub);

    struct layout l;
    layout(s, b.n, &l);
    theme_time_axis(s, c, l.bx, l.bw, l.top, l.axis_y, b.max_wall);
    for (size_t r = 0; r < b.n; r++) {
        int ry = l.top + (int)r * l.row_h + (l.row_h - l.bar_h) / 2;
        canvas_text_align(c, s->bold, l.px, l.bx - theme_u(s, 14), ry + (l.bar_h - l.px) / 2,
                          CANVAS_RIGHT, theme_text, s->styles[b.idx[r]].name);
    }
    return 0;
}

/* Whether the style is one of those beyond the ladder (show_options). */
static int beyond(const struct show *s, const char *name)
{
    for (const char *const *b = s->beyond; b != NULL && *b != NULL; b++)
        if (strcmp(*b, name) == 0)
            return 1;
    return 0;
}

static int bars_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                     struct err *err)
{
    (void)err;
    struct bars b;
    collect(s, sc->arg, &b);
    struct layout l;
    layout(s, b.n, &l);
    double f = theme_ease(t / GROW_SECONDS);
    for (size_t r = 0; r < b.n; r++) {
        const struct show_style *st = &s->styles[b.idx[r]];
        double secs = wall(st);
        int ry = l.top + (int)r * l.row_h + (l.row_h - l.bar_h) / 2;
        int len = (int)(secs / b.max_wall * l.bw * f);
        canvas_rect(out, l.bx, ry, len > 1 ? len : 1, l.bar_h, theme_style_color(s, b.idx[r]));

        /* The numbers count up with the bar, so the label never claims more
         * than the bar shows. */
        char label[64];
        theme_seconds(label, sizeof label, secs * f);
        int lx = l.bx + len + theme_u(s, 12), ly = ry + (l.bar_h - l.px) / 2;
        lx = canvas_text(out, s->regular, l.px, lx, ly, theme_text, label);
        if (f < 1 || b.baseline < 0)
            continue;
        if ((long)b.idx[r] == b.baseline) {
            canvas_text(out, s->regular, l.px, lx + theme_u(s, 14), ly, theme_dim, "baseline");
        } else if (secs > 0) {
            snprintf(label, sizeof label, "\u00d7%.1f", wall(&s->styles[b.baseline]) / secs);
            lx = canvas_text(out, s->bold, l.px, lx + theme_u(s, 14), ly, theme_accent, label);
        }
        /* Not an exercise: library code that goes past what a learner
         * writes. Said where there is room for it. */
        const char *note = "beyond the ladder";
        if (beyond(s, st->name) &&
            lx + theme_u(s, 14) + font_text_width(s->regular, l.px, note) <= out->width)
            canvas_text(out, s->regular, l.px, lx + theme_u(s, 14), ly, theme_dim, note);
    }
    return 0;
}

const struct scene_ops scene_bars = {"bars", bars_layer, bars_draw};
