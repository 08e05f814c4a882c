/* show.h - the stream's programme: frames composed from run logs and photos.
 *
 * A show is a sequence of scenes laid out on a time line, like a short
 * video edited in advance:
 *
 *     title card          what the stream is about             4 s
 *     before / after      each photo, wiped from sharp to      1.5-3 s each,
 *                         blurred                              10 s if it can
 *     worker timeline     one per blur style: a lane per       3.5-6 s each,
 *                         thread or process, decode/blur/      30 s if it can
 *                         encode bars growing as the run
 *                         unfolds
 *     bar chart           wall time per blur style, speedup    6 s
 *                         against "linear"
 *     fetch timeline      one bar per request of every         8 s
 *                         "fetch-*" style, on one time axis:
 *                         the staircase of fetch-linear
 *                         against the overlap of fetch-multi
 *     fetch bar chart     speedup against "fetch-linear"       5 s
 *
 * A scene without inputs is left out (no fetch spans: no fetch scenes). The
 * workshop's 7 blur styles, 2 fetch styles and a few photos make about a
 * minute.
 *
 * With no spans and no images the programme is one scene that says so.
 * The encoder (cmd_stream.c) asks for show_duration(), then calls
 * show_render() for t = 0, 1/fps, 2/fps, ... and encodes each frame.
 *
 * Live mode is for streaming a run while it happens: the programme becomes
 * a single, endless worker timeline of the style running now (the style of
 * the span that started last, up to now), whose time axis stretches to the
 * time elapsed so far; spans are drawn as they arrive through
 * show_add_spans(). Photos are not shown live. Once the run of the style
 * shown is over (an end mark, or show_mark_finished()), and nothing newer
 * has arrived, it is drawn whole over its own duration, with its exercise
 * and verdict: a finished run does not shrink as the clock goes on.
 *
 * Inputs are copied: the caller may free its spans and images as soon as
 * show_add_spans() / show_add_images() return. Photos are scaled to their
 * on-screen size on the way in, so a show holds little memory however large
 * the photos were.
 *
 * Not thread-safe: feed and render one show from one thread (the stream
 * command polls the run log between frames).
 *
 *     struct show_options o;
 *     show_options_default(&o);
 *     struct show *s;
 *     if (show_new(&s, &o, &err) != 0) ...
 *     show_add_spans(s, spans, count, &err);
 *     show_add_images(s, "cat.png", &before, &after, &err);
 *     struct canvas frame;
 *     canvas_init(&frame, o.width, o.height, &err);
 *     for (long i = 0; i < show_duration(s) * o.fps; i++)
 *         show_render(s, (double)i / o.fps, &frame, &err);   then encode frame
 */
#ifndef RETREAT_SHOW_H
#define RETREAT_SHOW_H

#include <stddef.h>
#include <stdint.h>

#include "canvas.h"
#include "err.h"
#include "img.h"
#include "runlog.h"

#define SHOW_DEFAULT_WIDTH 1280
#define SHOW_DEFAULT_HEIGHT 720
#define SHOW_DEFAULT_FPS 30
#define SHOW_MIN_SIDE 16    /* pixels: smaller frames cannot hold any text */
#define SHOW_MAX_WIDTH 3840 /* 4K UHD: the largest frame we agree to render */
#define SHOW_MAX_HEIGHT 2160
#define SHOW_MAX_FPS 120
#define SHOW_MAX_IMAGES 64 /* photos kept for before/after; more are ignored */

struct show_options {
    int width, height;     /* even (H.264 4:2:0), SHOW_MIN_SIDE..SHOW_MAX_* */
    int fps;               /* frames per second, 1..SHOW_MAX_FPS */
    const char *font_path; /* regular face; NULL: FONT_DEFAULT_PATH */
    const char *bold_path; /* bold face; NULL: FONT_DEFAULT_BOLD_PATH */
    const char *title;     /* title card heading; NULL: a default one */
    const char *subtitle;  /* line under it; NULL: none */
    /* Names of the styles beyond the ladder of exercises (NULL-terminated,
     * kept by the caller while the show lives): the bars say so. NULL: none.
     * The cli hands them in from its style table. */
    const char *const *beyond;
};

struct show;

/* 1280x720, 30 fps, DejaVu Sans, default title. */
void show_options_default(struct show_options *o);

/* Checks the options (an odd, zero or huge size, a bad fps, a font that
 * cannot be read: each is an error naming the value or the path) and
 * creates an empty show. */
int show_new(struct show **s, const struct show_options *o, struct err *err);

/* Frees the show and everything it copied; safe on NULL. */
void show_free(struct show *s);

/* Appends spans (copied). Call it again as a live run log grows, with only
 * the new spans: spans are not de-duplicated. */
int show_add_spans(struct show *s, const struct runlog_span *spans, size_t count, struct err *err);

/* Adds a photo before and after its blur, under a display name (a file
 * name). Both are scaled and copied; the caller keeps its images.
 * They must have the same size. Past SHOW_MAX_IMAGES, photos are ignored. */
int show_add_images(struct show *s, const char *name, const struct img *before,
                    const struct img *after, struct err *err);

/* Switches live mode on (1) or off (0). Switching it on takes the current
 * monotonic time (clock_now_ns) as the live origin: t = 0 of show_render. */
void show_set_live(struct show *s, int live);

/* Sets the live origin explicitly, on the clock of the spans: for replaying
 * a recorded run, and for tests that need the same frame every time. */
void show_set_live_origin(struct show *s, uint64_t origin_ns);

/* Marks the run of a style as finished (the end of a live run): the live
 * scene then shows it over its own duration, from its first span to its
 * last, under a heading with the exercise and the verdict (either may be
 * NULL), instead of on an axis that grows with the clock. An end mark
 * passed to show_add_spans() (runlog_mark_end) does the same for the style
 * of the span added before it. The mark holds until the style's spans are
 * dropped (show_drop_style). */
int show_mark_finished(struct show *s, const char *style, const char *exercise, const char *verdict,
                       struct err *err);

/* Forgets every span and mark of a style: a new run of it replaces the old
 * one (a learner grading exercise 05 again). Returns how many spans went. */
size_t show_drop_style(struct show *s, const char *style);

struct stream_class; /* stream_class.h */

/* Adds the class scenes (or replaces them, with fresher state): the
 * leaderboard, the latest passing run's timeline under the participant's
 * name, "first to pass" cards, and a race card over the racing run's
 * timeline. pass and race are those two runs' spans (NULL and 0 when the
 * run log could not be had: the card is drawn without its timeline). In a
 * finished programme they come after the other scenes; in live mode the
 * programme becomes a loop: the live timeline (once spans came), then the
 * class scenes, over and over. */
int show_set_class(struct show *s, const struct stream_class *c, const struct runlog_span *pass,
                   size_t npass, const struct runlog_span *race, size_t nrace, struct err *err);

/* Length of the programme in seconds for the inputs given so far; in live
 * mode, INFINITY (render until the run is over). */
double show_duration(struct show *s);

/* Draws the frame at t seconds from the start of the programme (live mode:
 * from the live origin) into out, which must be a canvas of the show's
 * width and height. t past the end shows the last frame; a NaN or infinite t
 * the last frame too (live: the first). */
int show_render(struct show *s, double t, struct canvas *out, struct err *err);

/* The name of the scene showing at t ("title", "images", "timeline", "bars",
 * "fetch", "empty", "leaderboard", "class-pass", "firsts", "race"), for logs
 * and tests. */
const char *show_scene_at(struct show *s, double t);

#endif
