/* scene_class.c - the class scenes: what the whole room has done, from the
 * class server's state (stream_class.h, added by show_set_class()).
 *
 *   leaderboard   a row per participant, best first: passed exercises as a
 *                 bar, and the best speedup with its exercise
 *   class-pass    the latest passing run's worker timeline, headed with the
 *                 participant's name (the run is a show of its own, drawn
 *                 embedded: the same timeline as everyone's own runs)
 *   firsts        "first to pass 06-rows: ann", big, for the newest first,
 *                 and the list of all firsts in ladder order
 *   race          the latest run whose card failed races: its timeline, and
 *                 over it the two conflicting accesses side by side, each
 *                 with its line of source
 *
 * Everything is drawn per frame (no layer): the timelines underneath come
 * from the embedded shows, which keep their own layers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "scene.h"
#include "stream_class.h"

#define GROW_SECONDS 1.5 /* bars grow to full length over this */
#define MAX_ROWS 10      /* leaderboard rows on screen: readable at 720p */

/* Text that shrinks until it fits max_w; returns the x after it. */
static int fit_text(struct show *s, struct canvas *c, struct font *f, int px, int x, int y,
                    int max_w, struct canvas_rgb color, const char *text)
{
    while (px > FONT_PX_MIN && font_text_width(f, px, text) > max_w)
        px = px * 9 / 10;
    (void)s;
    return canvas_text(c, f, px, x, y, color, text);
}

/* --- Leaderboard ------------------------------------------------------------ */

static int leaderboard_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                            struct err *err)
{
    (void)sc, (void)err;
    const struct stream_class *c = s->klass;
    char sub[160];
    snprintf(sub, sizeof sub, "%d participant%s  \u00b7  most exercises passed, then best speedup",
             c->participants, c->participants == 1 ? "" : "s");
    theme_heading(s, out, "Leaderboard", sub);
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    size_t n = c->nleaderboard < MAX_ROWS ? c->nleaderboard : MAX_ROWS;
    if (n == 0) {
        canvas_text(out, s->regular, theme_u(s, 30), x, y + theme_u(s, 40), theme_dim,
                    "No runs uploaded yet: the first `make exercise N` will be here.");
        return 0;
    }
    int row_h = h / (int)n < theme_u(s, 52) ? h / (int)n : theme_u(s, 52);
    int px = row_h * 6 / 10, name_x = x + theme_u(s, 56), bar_x = x + theme_u(s, 330);
    /* Room on the right for "5 passed" and "x1.92 03-processes". */
    int bar_w = w - theme_u(s, 330) - theme_u(s, 470);
    int max_passed = 1;
    for (size_t i = 0; i < n; i++)
        if (c->leaderboard[i].passed > max_passed)
            max_passed = c->leaderboard[i].passed;
    double f = theme_ease(t / GROW_SECONDS);
    for (size_t i = 0; i < n; i++) {
        const struct stream_class_row *r = &c->leaderboard[i];
        int ry = y + (int)i * row_h, ty = ry + (row_h - px) / 2;
        if (i % 2 == 0)
            canvas_blend(out, x, ry, w, row_h, theme_panel, 160);
        char text[96];
        snprintf(text, sizeof text, "%zu", i + 1);
        canvas_text_align(out, s->bold, px, name_x - theme_u(s, 16), ty, CANVAS_RIGHT,
                          i == 0 ? theme_accent : theme_dim, text);
        fit_text(s, out, s->bold, px, name_x, ty, bar_x - name_x - theme_u(s, 12), theme_text,
                 r->name);
        int len = (int)(bar_w * f * r->passed / max_passed);
        canvas_rect(out, bar_x, ry + row_h / 4, len > 1 ? len : 1, row_h / 2,
                    i == 0 ? theme_accent : theme_phase_color("blur"));
        snprintf(text, sizeof text, "%d passed", r->passed);
        canvas_text(out, s->regular, px, bar_x + len + theme_u(s, 10), ty, theme_text, text);
        if (r->best_speedup > 0 && f >= 1) {
            snprintf(text, sizeof text, "\u00d7%.2f %s", r->best_speedup, r->best_exercise);
            canvas_text_align(out, s->bold, px, x + w - theme_u(s, 8), ty, CANVAS_RIGHT,
                              theme_accent, text);
        }
    }
    return 0;
}

const struct scene_ops scene_leaderboard = {"leaderboard", NULL, leaderboard_draw};

/* --- A class run: its timeline, embedded ----------------------------------- */

/* Draws the first timeline of run k's own show, swept over our scene. */
static int draw_run(struct show *s, const struct scene *sc, double t, struct canvas *out,
                    struct err *err)
{
    struct show *sub = s->class_runs[sc->arg];
    if (sub == NULL)
        return 0;
    show_duration(sub); /* plans it */
    for (size_t i = 0; i < sub->nscenes; i++)
        if (sub->scenes[i].ops == &scene_timeline) {
            double f = sc->duration > 0 ? t / sc->duration : 1;
            return show_render(sub, sub->scenes[i].start + f * sub->scenes[i].duration * 0.999, out,
                               err);
        }
    return 0;
}

static int pass_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                     struct err *err)
{
    return draw_run(s, sc, t, out, err);
}

const struct scene_ops scene_class_pass = {"class-pass", NULL, pass_draw};

/* --- Firsts ------------------------------------------------------------------ */

static int firsts_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                       struct err *err)
{
    (void)sc, (void)err;
    const struct stream_class *c = s->klass;
    theme_heading(s, out, "Firsts", "the first participant to pass each exercise");
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    size_t newest = 0;
    for (size_t i = 1; i < c->nfirsts; i++)
        if (c->firsts[i].at >= c->firsts[newest].at)
            newest = i;
    const struct stream_class_first *nf = &c->firsts[newest];
    /* The card: the newest first, big, sliding in. */
    int card_w = w * 55 / 100, card_h = h * 70 / 100;
    int cx = x + (int)((1 - theme_ease(t / 0.8)) * -theme_u(s, 60)), cy = y + (h - card_h) / 2;
    canvas_rect(out, cx, cy, card_w, card_h, theme_panel);
    canvas_rect(out, cx, cy, theme_u(s, 8), card_h, theme_accent);
    char line[96];
    snprintf(line, sizeof line, "first to pass %s", nf->exercise);
    fit_text(s, out, s->regular, theme_u(s, 34), cx + theme_u(s, 40), cy + theme_u(s, 60),
             card_w - theme_u(s, 60), theme_dim, line);
    fit_text(s, out, s->bold, theme_u(s, 96), cx + theme_u(s, 40), cy + theme_u(s, 130),
             card_w - theme_u(s, 60), theme_accent, nf->name);
    /* The list, in ladder order (the server's order). */
    int lx = x + card_w + theme_u(s, 40), lw = x + w - lx;
    int px = theme_u(s, 24), row = theme_u(s, 40);
    for (size_t i = 0; i < c->nfirsts && (int)(i + 1) * row <= h; i++) {
        int ry = y + (int)i * row;
        struct canvas_rgb col = i == newest ? theme_accent : theme_text;
        canvas_text(out, s->regular, px, lx, ry, theme_dim, c->firsts[i].exercise);
        fit_text(s, out, s->bold, px, lx + lw / 2, ry, lw / 2, col, c->firsts[i].name);
    }
    return 0;
}

const struct scene_ops scene_firsts = {"firsts", NULL, firsts_draw};

/* --- Race card --------------------------------------------------------------- */

/* One access of the race in a column: what and where, then the line. */
static void access_column(struct show *s, struct canvas *out, const struct stream_class_access *a,
                          int x, int y, int w)
{
    char head[160];
    snprintf(head, sizeof head, "%s in %s", a->what[0] ? a->what : "access",
             a->where[0] ? a->where : "?");
    fit_text(s, out, s->bold, theme_u(s, 28), x, y, w, theme_fail, head);
    char at[96];
    snprintf(at, sizeof at, "%s:%ld", a->file, a->line);
    canvas_text(out, s->regular, theme_u(s, 22), x, y + theme_u(s, 40), theme_dim, at);
    int by = y + theme_u(s, 76), bh = theme_u(s, 56);
    canvas_rect(out, x, by, w, bh, theme_panel);
    canvas_rect(out, x, by, theme_u(s, 5), bh, theme_fail);
    /* Source lines are indented with spaces: the code is what matters. */
    const char *code = a->source + strspn(a->source, " \t");
    fit_text(s, out, s->bold, theme_u(s, 26), x + theme_u(s, 18), by + theme_u(s, 14),
             w - theme_u(s, 30), theme_text, code);
}

static int race_draw(struct show *s, const struct scene *sc, double t, struct canvas *out,
                     struct err *err)
{
    const struct stream_class *c = s->klass;
    if (s->class_runs[1] != NULL) {
        if (draw_run(s, sc, t, out, err) != 0)
            return -1;
    } else {
        char heading[160];
        snprintf(heading, sizeof heading, "%s: race in %s", c->race.name, c->race.exercise);
        theme_heading(s, out, heading, "the run log did not come: the accesses alone");
    }
    int x, y, w, h;
    theme_body(s, &x, &y, &w, &h);
    /* The card covers the lower part of the timeline, which stays visible
     * above it: the lanes where the two workers met. */
    int ph = theme_u(s, 250), py = y + h - ph;
    canvas_blend(out, x - theme_u(s, 16), py, w + theme_u(s, 32), ph, theme_bg, 235);
    canvas_rect(out, x - theme_u(s, 16), py, w + theme_u(s, 32), theme_u(s, 4), theme_fail);
    fit_text(s, out, s->regular, theme_u(s, 22), x, py + theme_u(s, 18), w, theme_text,
             c->race_summary[0] ? c->race_summary : "data race");
    int col_w = (w - theme_u(s, 60)) / 2, top = py + theme_u(s, 66);
    for (size_t i = 0; i < c->naccesses; i++)
        access_column(s, out, &c->accesses[i], x + (int)i * (col_w + theme_u(s, 60)), top, col_w);
    if (c->naccesses == 2)
        canvas_text_align(out, s->bold, theme_u(s, 26), x + w / 2, top + theme_u(s, 88),
                          CANVAS_CENTER, theme_dim, "vs");
    return 0;
}

const struct scene_ops scene_race = {"race", NULL, race_draw};
