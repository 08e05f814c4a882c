/* scene.h - what the show's sequencer (show.c) and its scenes (scene_*.c)
 * share. Internal to the renderer: nothing outside show.c and scene_*.c
 * should include it; the public API is show.h.
 *
 * A scene is a pair of functions, either of which may be NULL:
 *   layer  draws what does not change during the scene (headings, labels,
 *          scaled photos) over the background, into a full-frame canvas,
 *          once, on the scene's first frame;
 *   draw   draws the frame at local time t (0 .. duration) on top of a copy
 *          of that layer.
 * Splitting them is what keeps rendering fast enough to stream: most of a
 * frame is one memcpy of the layer.
 *
 * Sizes are in "units" of 1/720 of the frame height (U(s, 20) is 20 pixels
 * at 720p and 30 at 1080p), so every layout scales with the frame.
 */
#ifndef RETREAT_SCENE_H
#define RETREAT_SCENE_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"
#include "err.h"
#include "font.h"
#include "runlog.h"
#include "show.h"

struct show;
struct scene;

struct scene_ops {
    const char *name; /* "title", "images", ...: see show_scene_at() */
    int (*layer)(struct show *s, const struct scene *sc, struct canvas *layer, struct err *err);
    int (*draw)(struct show *s, const struct scene *sc, double t, struct canvas *out,
                struct err *err);
};

struct scene {
    const struct scene_ops *ops;
    double start, duration; /* seconds, on the programme's time line */
    size_t arg;             /* which style, photo or group the scene is about */
};

/* One style's spans at a glance, in order of first appearance in the log. */
struct show_style {
    char name[RUNLOG_STYLE_MAX];
    int fetch;                 /* name starts with "fetch-" */
    uint64_t start_ns, end_ns; /* extent of its spans: its wall time */
    size_t spans;              /* how many */
    size_t failed;             /* how many did not succeed */
    long *workers;             /* distinct workers, in order of first start */
    size_t nworkers;
    int processes;  /* its workers are processes (several pids), not threads */
    size_t recency; /* 1 + the add order of its newest span or mark: live shows the newest */
    int finished;   /* its run is over (show_mark_finished) */
    char exercise[RUNLOG_STYLE_MAX], verdict[96]; /* from the mark; may be empty */
};

/* A finished run, as marked (show_mark_finished or an end mark). */
struct show_mark {
    char style[RUNLOG_STYLE_MAX], exercise[RUNLOG_STYLE_MAX], verdict[96];
    size_t at; /* s->nspans when it was marked: its place in the add order */
};

/* A photo, scaled to the before/after frame once, when it is added. */
struct show_photo {
    char name[128];
    int src_width, src_height;   /* size of the original */
    struct canvas before, after; /* both fitted to the same on-screen size */
};

struct show {
    int width, height, fps;
    char title[128], subtitle[160];
    const char *const *beyond; /* see show_options; NULL: none */
    struct font *regular, *bold;

    struct runlog_span *spans; /* everything added, in the order added */
    size_t nspans, spans_cap;
    struct show_photo *photos;
    size_t nphotos;
    struct show_mark *marks; /* finished runs, in the order marked */
    size_t nmarks;

    int live;
    uint64_t live_origin_ns;

    /* Derived from the inputs by show_plan(); `planned` is cleared whenever
     * an input changes. */
    int planned;
    struct show_style *styles;
    size_t nstyles;
    struct scene *scenes;
    size_t nscenes;
    double duration;

    /* The class scenes (show_set_class); NULL: none. runs[0] is the latest
     * pass, runs[1] the latest race: shows of their own, drawn embedded. */
    struct stream_class *klass;
    struct show *class_runs[2];
    long long class_run_ids[2];
    char font_path[256], bold_path[256]; /* to open the class runs' shows */
    char timeline_heading[160];          /* if set: every timeline's heading */
    int embedded;                        /* drawn inside another scene: no progress bar */
    double cycle;                        /* live with class scenes: the loop's length, s */

    /* The layer of the scene drawn last; -1: none yet (or inputs changed). */
    struct canvas layer;
    long layer_scene;
};

/* The scenes, one scene_NAME.c file each. */
extern const struct scene_ops scene_title;       /* scene_title.c */
extern const struct scene_ops scene_empty;       /* scene_title.c: nothing to show yet */
extern const struct scene_ops scene_images;      /* scene_images.c: arg = photo */
extern const struct scene_ops scene_timeline;    /* scene_timeline.c: arg = style */
extern const struct scene_ops scene_live;        /* scene_timeline.c: the style running now */
extern const struct scene_ops scene_bars;        /* scene_bars.c: arg = 0 blur, 1 fetch styles */
extern const struct scene_ops scene_fetch;       /* scene_fetch.c: every fetch-* style */
extern const struct scene_ops scene_leaderboard; /* scene_class.c: the class's leaderboard */
extern const struct scene_ops scene_class_pass;  /* scene_class.c: the latest pass (arg 0) */
extern const struct scene_ops scene_race;        /* scene_class.c: the latest race (arg 1) */
extern const struct scene_ops scene_firsts;      /* scene_class.c: first to pass each exercise */

/* --- The common look (scene_theme.c) ------------------------------------- */

/* Colours of the theme. */
extern const struct canvas_rgb theme_bg, theme_panel, theme_grid, theme_text, theme_dim,
    theme_accent, theme_fail;

/* Size in pixels of u units (1/720 of the frame height), at least 1. */
int theme_u(const struct show *s, double u);

/* The colour of a span's phase: decode, blur, encode, feed, head, image. */
struct canvas_rgb theme_phase_color(const char *phase);

/* A colour per style, for bars: stable for a style name. */
struct canvas_rgb theme_style_color(const struct show *s, size_t style);

/* Fills the background (the sequencer does it for every layer) and, if
 * heading is not NULL, draws theme_heading over it. */
void theme_background(struct show *s, struct canvas *c, const char *heading, const char *sub);

/* A scene's heading with an optional dim line under it, over what is
 * there already. */
void theme_heading(struct show *s, struct canvas *c, const char *heading, const char *sub);

/* A legend of coloured squares and names, right-aligned to end at x_right,
 * at the height of the heading. */
void theme_legend(struct show *s, struct canvas *c, const char *const *phases, size_t n);

/* The area below the heading that scenes lay their content out in. */
void theme_body(const struct show *s, int *x, int *y, int *w, int *h);

/* Seconds formatted for a label: "0.42 s", "12.3 s", "850 ms". */
void theme_seconds(char *buf, size_t cap, double seconds);

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about
 * `ticks` ticks over `range` seconds. */
double theme_tick_step(double range, int ticks);

/* Draws a time axis under a plot: ticks and labels from 0 to range seconds
 * over pixels [x, x + w), with vertical grid lines from top to y. */
void theme_time_axis(struct show *s, struct canvas *c, int x, int w, int top, int y, double range);

/* Smooth 0..1 easing of t in [0, 1] (fast start, gentle stop). */
double theme_ease(double t);

/* Scales a before/after pair to the size the images scene shows it at
 * (scene_images.c), for show_add_images(). */
int scene_images_photo(const struct show *s, const char *name, const struct img *before,
                       const struct img *after, struct show_photo *photo, struct err *err);

/* Draws one fetch style's requests, a row each in order of start, into the
 * rectangle (x, y, w, h): range seconds across, cut off at now_s seconds
 * after the style's first span (scene_fetch.c; the live scene uses it too). */
int scene_fetch_panel(struct show *s, struct canvas *out, size_t style, int x, int y, int w, int h,
                      double range, double now_s, struct err *err);

/* --- The style table (show.c) --------------------------------------------- */

/* Index of a style by name, or -1. */
long show_style_find(const struct show *s, const char *name);

/* The lane of a worker within a style, or -1. */
long show_style_lane(const struct show_style *st, long worker);

#endif
