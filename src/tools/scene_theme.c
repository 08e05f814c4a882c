/* scene_theme.c - the look every scene shares: colours, sizes, headings,
 * legends and time axes; see scene.h.
 *
 * One dark theme, chosen for a video stream: a dark background survives
 * H.264 compression without banding, and saturated, well-separated phase
 * colours stay distinguishable at 720p and for colour-blind viewers (blue,
 * orange and green differ in lightness, not only in hue).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

const struct canvas_rgb theme_bg = {15, 17, 26};
const struct canvas_rgb theme_panel = {27, 30, 43};
const struct canvas_rgb theme_grid = {52, 57, 76};
const struct canvas_rgb theme_text = {240, 242, 247};
const struct canvas_rgb theme_dim = {145, 152, 174};
const struct canvas_rgb theme_accent = {255, 201, 71};
const struct canvas_rgb theme_fail = {235, 77, 75};

int theme_u(const struct show *s, double u)
{
    int px = (int)lround(u * s->height / 720.0);
    return px < 1 ? 1 : px;
}

struct canvas_rgb theme_phase_color(const char *phase)
{
    static const struct {
        const char *phase;
        struct canvas_rgb color;
    } colors[] = {
        {"decode", {77, 166, 255}}, {"blur", {255, 140, 66}}, {"encode", {61, 214, 132}},
        {"feed", {178, 124, 255}},  {"head", {0, 200, 210}},  {"image", {255, 99, 146}},
        {"get", {250, 204, 21}},
    };
    if (strcmp(phase, "failed") == 0)
        return theme_fail;
    for (size_t i = 0; i < sizeof colors / sizeof colors[0]; i++)
        if (strcmp(phase, colors[i].phase) == 0)
            return colors[i].color;
    return (struct canvas_rgb){160, 164, 178};
}

struct canvas_rgb theme_style_color(const struct show *s, size_t style)
{
    /* The baselines are grey on purpose: the eye goes to the coloured bars,
     * the styles that are being compared with them. */
    const char *name = s->styles[style].name;
    if (strcmp(name, "linear") == 0 || strcmp(name, "fetch-linear") == 0)
        return (struct canvas_rgb){120, 127, 150};
    static const struct canvas_rgb palette[] = {
        {77, 166, 255}, {255, 140, 66}, {61, 214, 132}, {178, 124, 255},
        {0, 200, 210},  {255, 99, 146}, {255, 201, 71}, {130, 220, 255},
    };
    return palette[style % (sizeof palette / sizeof palette[0])];
}

void theme_heading(struct show *s, struct canvas *c, const char *heading, const char *sub)
{
    int m = theme_u(s, 48);
    if (heading != NULL) {
        /* A short accent stroke left of the heading ties the scenes together. */
        canvas_rect(c, m - theme_u(s, 20), theme_u(s, 36), theme_u(s, 6), theme_u(s, 40),
                    theme_accent);
        canvas_text(c, s->bold, theme_u(s, 40), m, theme_u(s, 30), theme_text, heading);
    }
    if (sub != NULL && sub[0] != '\0')
        canvas_text(c, s->regular, theme_u(s, 22), m, theme_u(s, 84), theme_dim, sub);
}

void theme_background(struct show *s, struct canvas *c, const char *heading, const char *sub)
{
    canvas_fill(c, theme_bg);
    canvas_text_align(c, s->bold, theme_u(s, 16), s->width - theme_u(s, 48),
                      s->height - theme_u(s, 34), CANVAS_RIGHT, theme_dim, "retreat");
    theme_heading(s, c, heading, sub);
}

void theme_legend(struct show *s, struct canvas *c, const char *const *phases, size_t n)
{
    int px = theme_u(s, 20), box = theme_u(s, 16), gap = theme_u(s, 8), space = theme_u(s, 22);
    int x = s->width - theme_u(s, 48);
    int y = theme_u(s, 44);
    /* Right to left, so the legend ends exactly at the margin. */
    for (size_t i = n; i-- > 0;) {
        int w = font_text_width(s->regular, px, phases[i]);
        x -= w;
        canvas_text(c, s->regular, px, x, y, theme_text, phases[i]);
        x -= gap + box;
        canvas_rect(c, x, y + (px - box) / 2 + theme_u(s, 2), box, box,
                    theme_phase_color(phases[i]));
        x -= space;
    }
}

void theme_body(const struct show *s, int *x, int *y, int *w, int *h)
{
    *x = theme_u(s, 48);
    *y = theme_u(s, 132);
    *w = s->width - 2 * *x;
    *h = s->height - *y - theme_u(s, 56);
}

void theme_seconds(char *buf, size_t cap, double seconds)
{
    if (seconds < 1.0)
        snprintf(buf, cap, "%.0f ms", seconds * 1000.0);
    else if (seconds < 10.0)
        snprintf(buf, cap, "%.2f s", seconds);
    else
        snprintf(buf, cap, "%.1f s", seconds);
}

double theme_tick_step(double range, int ticks)
{
    if (!(range > 0) || ticks < 1)
        return 1.0;
    double raw = range / ticks;
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return p * (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0);
}

void theme_time_axis(struct show *s, struct canvas *c, int x, int w, int top, int y, double range)
{
    if (!(range > 0) || w <= 0)
        return;
    int px = theme_u(s, 16);
    canvas_rect(c, x, y, w, 1, theme_grid);
    double step = theme_tick_step(range, w / theme_u(s, 140) > 1 ? w / theme_u(s, 140) : 1);
    for (int k = 0;; k++) {
        double v = k * step;
        if (v > range * 1.0001)
            break;
        int tx = x + (int)lround(v / range * (w - 1));
        canvas_rect(c, tx, top, 1, y - top, theme_grid);
        char label[32];
        /* Round to the step so that 0.30000000004 prints as 0.3. */
        if (step >= 1.0)
            snprintf(label, sizeof label, "%.0f s", v);
        else if (step >= 0.1)
            snprintf(label, sizeof label, "%.1f s", v);
        else
            snprintf(label, sizeof label, "%.0f ms", v * 1000.0);
        canvas_text_align(c, s->regular, px, tx, y + theme_u(s, 6), CANVAS_CENTER, theme_dim,
                          label);
    }
}

double theme_ease(double t)
{
    if (t <= 0)
        return 0;
    if (t >= 1)
        return 1;
    return 1.0 - (1.0 - t) * (1.0 - t) * (1.0 - t);
}
