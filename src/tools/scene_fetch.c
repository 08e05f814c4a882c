/* scene_fetch.c - the fetch timeline: every request of every "fetch-*"
 * style as one bar, a panel per style, all on one time axis.
 *
 * Requests are sorted by when they started, one row each. In fetch-linear
 * every request waits for the one before, so the bars form a staircase
 * going down and to the right; in fetch-multi they start together and the
 * panel is a stack of overlapping bars, ending far sooner. Drawing both on
 * the same axis makes the difference impossible to miss. As in the worker
 * timeline, a "now" line sweeps across and bars grow behind it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scene.h"

#define REPLAY_FRACTION 0.8
#define MAX_PANELS 6

static const char *const fetch_phases[] = {"feed", "head", "image", "failed"};

struct panels {
    size_t idx[MAX_PANELS];
    size_t n;
    double range; /* seconds: the longest fetch style's wall time */
};

static void collect(const struct show *s, struct panels *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < s->nstyles && p->n < MAX_PANELS; i++) {
        if (!s->styles[i].fetch)
            continue;
        p->idx[p->n++] = i;
        double w = (double)(s->styles[i].end_ns - s->styles[i].start_ns) / 1e9;
        if (w > p->range)
            p->range = w;
    }
    if (p->range < 0.001)
        p->range = 0.001;
}

struct layout {
    int x, bx, bw, top, panel_h, gap, axis_y;
};

static void layout(const struct show *s, size_t n, struct layout *l)
{
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    l->x = x;
    l->bx = x + theme_u(s, 200);
    l->bw = w - theme_u(s, 200);
    l->top = y;
    l->gap = theme_u(s, 14);
    int axis_h = theme_u(s, 34);
    int k = (int)(n ? n : 1);
    l->panel_h = (h - axis_h - l->gap * (k - 1)) / k;
    l->axis_y = y + k * l->panel_h + (k - 1) * l->gap;
}

static int fetch_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)sc;
    (void)err;
    struct panels p;
    collect(s, &p);
    theme_heading(s, c, "Fetching: one bar per request",
                  "sorted by start  \u00b7  one time axis for every style");
    size_t failed = 0;
    for (size_t k = 0; k < p.n; k++)
        failed += s->styles[p.idx[k]].failed;
    /* "failed" joins the legend only when there is a red bar to explain. */
    theme_legend(s, c, fetch_phases, failed > 0 ? 4 : 3);
    struct layout l;
    layout(s, p.n, &l);
    theme_time_axis(s, c, l.bx, l.bw, l.top, l.axis_y, p.range);
    int name_px = theme_u(s, 24), px = theme_u(s, 18);
    for (size_t k = 0; k < p.n; k++) {
        const struct show_style *st = &s->styles[p.idx[k]];
        int py = l.top + (int)k * (l.panel_h + l.gap);
        canvas_blend(c, l.bx, py, l.bw, l.panel_h, theme_panel, 200);
        int ty = py + (l.panel_h - name_px - px - theme_u(s, 8)) / 2;
        canvas_text_align(c, s->bold, name_px, l.bx - theme_u(s, 16), ty, CANVAS_RIGHT, theme_text,
                          st->name);
        char secs[32], line[96];
        theme_seconds(secs, sizeof secs, (double)(st->end_ns - st->start_ns) / 1e9);
        snprintf(line, sizeof line, "%zu requests, %s", st->spans, secs);
        canvas_text_align(c, s->regular, px, l.bx - theme_u(s, 16), ty + name_px + theme_u(s, 8),
                          CANVAS_RIGHT, theme_dim, line);
    }
    return 0;
}

static int by_start(const void *a, const void *b)
{
    const struct runlog_span *x = *(const struct runlog_span *const *)a;
    const struct runlog_span *y = *(const struct runlog_span *const *)b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

int scene_fetch_panel(struct show *s, struct canvas *out, size_t style, int x, int y, int w, int h,
                      double range, double now_s, struct err *err)
{
    const struct show_style *st = &s->styles[style];
    const struct runlog_span **rows = malloc(st->spans * sizeof *rows);
    if (rows == NULL)
        return err_set(err, "out of memory for the requests of %s", st->name);
    size_t n = 0;
    for (size_t i = 0; i < s->nspans && n < st->spans; i++)
        if (strcmp(s->spans[i].style, st->name) == 0)
            rows[n++] = &s->spans[i];
    qsort(rows, n, sizeof *rows, by_start);

    uint64_t now_ns = st->start_ns + (uint64_t)(now_s * 1e9);
    int pad = theme_u(s, 6), inner = h - 2 * pad;
    for (size_t r = 0; r < n; r++) {
        const struct runlog_span *sp = rows[r];
        if (sp->start_ns >= now_ns)
            continue;
        /* Rows are placed with fractional heights so that any number of
         * requests fills the panel exactly. */
        int y0 = y + pad + (int)((double)r * inner / (double)n);
        int y1 = y + pad + (int)((double)(r + 1) * inner / (double)n);
        int bh = y1 - y0 > 3 ? (y1 - y0) * 3 / 4 : (y1 - y0 > 0 ? y1 - y0 : 1);
        int running = sp->end_ns > now_ns;
        uint64_t end = running ? now_ns : sp->end_ns;
        int x0 = x + (int)lround((double)(sp->start_ns - st->start_ns) / 1e9 / range * w);
        int x1 = x + (int)lround((double)(end - st->start_ns) / 1e9 / range * w);
        if (x1 <= x0)
            x1 = x0 + 1;
        struct canvas_rgb color = theme_phase_color(sp->phase);
        if (running)
            canvas_blend(out, x0, y0, x1 - x0, bh, color, 110);
        else
            canvas_rect(out, x0, y0, x1 - x0, bh, sp->ok ? color : theme_fail);
    }
    free(rows);
    return 0;
}

static int fetch_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                      struct err *err)
{
    struct panels p;
    collect(s, &p);
    struct layout l;
    layout(s, p.n, &l);
    double f = t / (sc->duration * REPLAY_FRACTION);
    double now_s = (f < 1 ? f : 1) * p.range;
    /* At the end, past every span, so none stays drawn as running. */
    double cut = f < 1 ? now_s : p.range + 1.0;
    for (size_t k = 0; k < p.n; k++) {
        int py = l.top + (int)k * (l.panel_h + l.gap);
        if (scene_fetch_panel(s, out, p.idx[k], l.bx, py, l.bw, l.panel_h, p.range, cut, err) != 0)
            return -1;
    }
    int nx = l.bx + (int)lround(now_s / p.range * (l.bw - 1));
    canvas_rect(out, nx, l.top - theme_u(s, 6), theme_u(s, 2), l.axis_y - l.top + theme_u(s, 6),
                theme_accent);
    return 0;
}

const struct scene_ops scene_fetch = {"fetch", fetch_layer, fetch_draw};
