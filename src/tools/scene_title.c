/* scene_title.c - the title card that opens the programme, and the card
 * shown instead of a programme when there is nothing to show yet.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"

/* Centred text that shrinks until it fits the width: a long title or a long
 * list of styles must never run off the frame. */
static void fit_centered(struct show *s, struct canvas *c, struct font *f, int px, int y,
                         struct canvas_rgb color, const char *text)
{
    int max_w = s->width - 2 * theme_u(s, 48);
    while (px > FONT_PX_MIN && font_text_width(f, px, text) > max_w)
        px = px * 9 / 10;
    canvas_text_align(c, f, px, s->width / 2, y, CANVAS_CENTER, color, text);
}

static int title_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)sc;
    (void)err;
    fit_centered(s, c, s->bold, theme_u(s, 72), theme_u(s, 210), theme_text, s->title);
    if (s->subtitle[0] != '\0')
        fit_centered(s, c, s->regular, theme_u(s, 30), theme_u(s, 330), theme_dim, s->subtitle);

    size_t nblur = 0, nfetch = 0;
    for (size_t i = 0; i < s->nstyles; i++)
        s->styles[i].fetch ? nfetch++ : nblur++;
    char line[256];
    snprintf(line, sizeof line,
             "%zu blur style%s  \u00b7  %zu fetch style%s  \u00b7  %zu photo%s  "
             "\u00b7  %zu spans",
             nblur, nblur == 1 ? "" : "s", nfetch, nfetch == 1 ? "" : "s", s->nphotos,
             s->nphotos == 1 ? "" : "s", s->nspans);
    fit_centered(s, c, s->regular, theme_u(s, 26), theme_u(s, 420), theme_text, line);

    /* The running order of the styles, as they appear in the log. */
    char order[1024] = "";
    size_t len = 0;
    for (size_t i = 0; i < s->nstyles && len + 1 < sizeof order; i++)
        len += (size_t)snprintf(order + len, sizeof order - len, "%s%s", i ? "  \u2192  " : "",
                                s->styles[i].name);
    if (len > 0)
        fit_centered(s, c, s->regular, theme_u(s, 22), theme_u(s, 480), theme_dim, order);
    return 0;
}

static int title_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                      struct err *err)
{
    (void)sc;
    (void)err;
    /* An accent rule under the title grows out from the centre. */
    int full = s->width / 3;
    int w = (int)(full * theme_ease(t / 0.8));
    canvas_rect(out, s->width / 2 - w / 2, theme_u(s, 305), w, theme_u(s, 5), theme_accent);
    return 0;
}

const struct scene_ops scene_title = {"title", title_layer, title_draw};

static int empty_layer(struct show *s, const struct scene *sc, struct canvas *c, struct err *err)
{
    (void)sc;
    (void)err;
    fit_centered(s, c, s->bold, theme_u(s, 56), theme_u(s, 250), theme_text, "Nothing to show yet");
    fit_centered(s, c, s->regular, theme_u(s, 26), theme_u(s, 350), theme_dim,
                 "The run log has no spans and no photos were given.");
    fit_centered(s, c, s->regular, theme_u(s, 26), theme_u(s, 395), theme_dim,
                 "Run a style with a run log, and its work appears here.");
    return 0;
}

static int empty_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                      struct err *err)
{
    (void)sc;
    (void)err;
    /* Three dots that light up in turn: the stream is alive, not frozen. */
    int r = theme_u(s, 10), gap = theme_u(s, 34);
    int lit = (int)fmod(t * 3.0, 3.0);
    for (int i = 0; i < 3; i++)
        canvas_rect(out, s->width / 2 + (i - 1) * gap - r / 2, theme_u(s, 480), r, r,
                    i == lit ? theme_accent : theme_grid);
    return 0;
}

const struct scene_ops scene_empty = {"empty", empty_layer, empty_draw};
