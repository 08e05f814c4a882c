/* canvas.h - the frame buffer the stream tool draws into, and how to draw.
 *
 * A canvas is packed 8-bit RGB, three bytes a pixel, rows `stride` bytes
 * apart: exactly what libswscale reads as AV_PIX_FMT_RGB24, so the encoder
 * (see show.h) converts a finished frame to YUV without a copy of its own.
 *
 * Everything here clips to the canvas: a rectangle half off the edge draws
 * its visible half, one entirely off draws nothing. That keeps the scene
 * code free of bounds checks and makes out-of-range writes impossible.
 *
 * Drawing is cheap on purpose. A frame at 1280x720 is 2.7 MB, and the
 * stream renders 30 of them a second while x264 wants most of the CPU, so
 * the scenes draw what never changes (backgrounds, titles, scaled photos)
 * once into a "layer" canvas and copy it with canvas_copy() every frame.
 *
 *     struct canvas c;
 *     if (canvas_init(&c, 1280, 720, &err) != 0) ...
 *     canvas_fill(&c, CANVAS_RGB(20, 22, 28));
 *     canvas_rect(&c, 10, 10, 100, 40, CANVAS_RGB(255, 159, 67));
 *     canvas_text(&c, font, 24, 10, 80, CANVAS_RGB(255, 255, 255), "blur");
 *     canvas_free(&c);
 */
#ifndef RETREAT_CANVAS_H
#define RETREAT_CANVAS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "img.h"

#define CANVAS_MAX_SIDE 8192 /* pixels: larger than any frame H.264 levels allow */

struct canvas {
    int width;
    int height;
    size_t stride; /* bytes from one row to the next, >= 3 * width */
    uint8_t *rgb;  /* height rows of stride bytes, R G B R G B ...; owned */
};

struct canvas_rgb {
    uint8_t r, g, b;
};

#define CANVAS_RGB(r, g, b) ((struct canvas_rgb){(r), (g), (b)})

struct font; /* see font.h */

/* Allocates a width x height canvas, filled black. Any size from 1x1 to
 * CANVAS_MAX_SIDE a side is accepted: layers and glyph strips may be odd.
 * (Frames for H.264 must be even; show_new() checks that.) */
int canvas_init(struct canvas *c, int width, int height, struct err *err);

/* Frees the pixels and zeroes the struct; safe on a zeroed or freed canvas. */
void canvas_free(struct canvas *c);

/* Address of pixel (x, y); no clipping, the caller knows it is inside. */
static inline uint8_t *canvas_at(const struct canvas *c, int x, int y)
{
    return c->rgb + (size_t)y * c->stride + (size_t)x * 3;
}

/* Paints the whole canvas one colour. */
void canvas_fill(struct canvas *c, struct canvas_rgb color);

/* Paints a w x h rectangle whose top-left corner is (x, y). */
void canvas_rect(struct canvas *c, int x, int y, int w, int h, struct canvas_rgb color);

/* Blends a colour over a rectangle: alpha 0 leaves it, 255 paints it. */
void canvas_blend(struct canvas *c, int x, int y, int w, int h, struct canvas_rgb color,
                  uint8_t alpha);

/* Draws the outline of a rectangle, `thick` pixels wide, inside its bounds. */
void canvas_frame(struct canvas *c, int x, int y, int w, int h, int thick, struct canvas_rgb color);

/* Copies all of src with its top-left corner at (x, y) of dst. */
void canvas_copy(struct canvas *dst, const struct canvas *src, int x, int y);

/* Copies the w x h region of src at (sx, sy) to (dx, dy) of dst: a wipe
 * shows the left part of one layer and the right part of another. */
void canvas_copy_region(struct canvas *dst, const struct canvas *src, int sx, int sy, int w, int h,
                        int dx, int dy);

/* Scales an image (RGB, or RGBA composited over what is there) into the
 * w x h rectangle at (x, y), with a filter good for both shrinking and
 * enlarging (stb_image_resize). It allocates a scratch copy, so call it when
 * building a layer, not for every frame. Fails on a bad image or no memory. */
int canvas_blit_img(struct canvas *c, const struct img *im, int x, int y, int w, int h,
                    struct err *err);

/* Converts the canvas into a new RGB image (for saving a PNG or comparing
 * against a golden one with img_compare). */
int canvas_to_img(const struct canvas *c, struct img *out, struct err *err);

/* --- Text -----------------------------------------------------------------
 * UTF-8 text in a TrueType font (font.h) at a height of `px` pixels, drawn
 * anti-aliased in `color`. (x, y) is the top-left corner of the line box:
 * the line's ascent lies below y, so text and rectangles align the same way.
 * Glyphs come from the font's cache, so redrawing the same labels every
 * frame does not rasterize them again. Returns the advance: the x just past
 * the last glyph. */
int canvas_text(struct canvas *c, struct font *f, int px, int x, int y, struct canvas_rgb color,
                const char *text);

/* Where canvas_text puts the text for a given alignment: left at x, centred
 * on x, or right-aligned to end at x. */
enum canvas_align { CANVAS_LEFT, CANVAS_CENTER, CANVAS_RIGHT };
int canvas_text_align(struct canvas *c, struct font *f, int px, int x, int y,
                      enum canvas_align align, struct canvas_rgb color, const char *text);

#endif
