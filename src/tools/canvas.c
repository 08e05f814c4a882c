/* canvas.c - an RGB24 frame buffer and the few primitives the scenes need;
 * see canvas.h.
 *
 * Every primitive first clips its rectangle to the canvas (clip() below) and
 * then runs a plain loop over rows: no per-pixel bounds checks, and nothing
 * ever written outside the buffer.
 */
#include "canvas.h"

#include <stdlib.h>
#include <string.h>

#include <stb_image_resize.h>

#include "font.h"

int canvas_init(struct canvas *c, int width, int height, struct err *err)
{
    memset(c, 0, sizeof *c);
    if (width <= 0 || height <= 0 || width > CANVAS_MAX_SIDE || height > CANVAS_MAX_SIDE)
        return err_set(err, "canvas of %dx%d pixels: each side must be 1 to %d", width, height,
                       CANVAS_MAX_SIDE);
    size_t stride = (size_t)width * 3;
    uint8_t *rgb = calloc((size_t)height, stride);
    if (rgb == NULL)
        return err_set(err, "out of memory for a %dx%d canvas", width, height);
    *c = (struct canvas){width, height, stride, rgb};
    return 0;
}

void canvas_free(struct canvas *c)
{
    free(c->rgb);
    memset(c, 0, sizeof *c);
}

/* Intersects the rectangle (x, y, w, h) with the canvas, in place. Returns 0
 * when nothing is left to draw. */
static int clip(const struct canvas *c, int *x, int *y, int *w, int *h)
{
    if (*x < 0) {
        *w += *x;
        *x = 0;
    }
    if (*y < 0) {
        *h += *y;
        *y = 0;
    }
    if (*w > c->width - *x)
        *w = c->width - *x;
    if (*h > c->height - *y)
        *h = c->height - *y;
    return *w > 0 && *h > 0;
}

void canvas_fill(struct canvas *c, struct canvas_rgb color)
{
    canvas_rect(c, 0, 0, c->width, c->height, color);
}

void canvas_rect(struct canvas *c, int x, int y, int w, int h, struct canvas_rgb color)
{
    if (!clip(c, &x, &y, &w, &h))
        return;
    /* Paint the first row pixel by pixel, then copy it down: memcpy of a
     * whole row is much faster than three byte stores per pixel. */
    uint8_t *first = canvas_at(c, x, y);
    for (int i = 0; i < w; i++) {
        first[3 * i + 0] = color.r;
        first[3 * i + 1] = color.g;
        first[3 * i + 2] = color.b;
    }
    for (int row = 1; row < h; row++)
        memcpy(canvas_at(c, x, y + row), first, (size_t)w * 3);
}

/* (a * (255 - alpha) + b * alpha) / 255, rounded, without a division. */
static inline uint8_t mix(uint8_t a, uint8_t b, unsigned alpha)
{
    unsigned v = a * (255 - alpha) + b * alpha + 128;
    return (uint8_t)((v + (v >> 8)) >> 8);
}

void canvas_blend(struct canvas *c, int x, int y, int w, int h, struct canvas_rgb color,
                  uint8_t alpha)
{
    if (!clip(c, &x, &y, &w, &h))
        return;
    for (int row = 0; row < h; row++) {
        uint8_t *p = canvas_at(c, x, y + row);
        for (int i = 0; i < w; i++, p += 3) {
            p[0] = mix(p[0], color.r, alpha);
            p[1] = mix(p[1], color.g, alpha);
            p[2] = mix(p[2], color.b, alpha);
        }
    }
}

void canvas_frame(struct canvas *c, int x, int y, int w, int h, int thick, struct canvas_rgb color)
{
    if (thick * 2 >= w || thick * 2 >= h) {
        canvas_rect(c, x, y, w, h, color);
        return;
    }
    canvas_rect(c, x, y, w, thick, color);
    canvas_rect(c, x, y + h - thick, w, thick, color);
    canvas_rect(c, x, y + thick, thick, h - 2 * thick, color);
    canvas_rect(c, x + w - thick, y + thick, thick, h - 2 * thick, color);
}

void canvas_copy_region(struct canvas *dst, const struct canvas *src, int sx, int sy, int w, int h,
                        int dx, int dy)
{
    /* Clip against the source first, moving the destination along... */
    int ox = sx, oy = sy;
    if (!clip(src, &sx, &sy, &w, &h))
        return;
    dx += sx - ox;
    dy += sy - oy;
    /* ...then against the destination, moving the source along. */
    ox = dx;
    oy = dy;
    if (!clip(dst, &dx, &dy, &w, &h))
        return;
    sx += dx - ox;
    sy += dy - oy;
    for (int row = 0; row < h; row++)
        memcpy(canvas_at(dst, dx, dy + row), canvas_at(src, sx, sy + row), (size_t)w * 3);
}

void canvas_copy(struct canvas *dst, const struct canvas *src, int x, int y)
{
    if (x == 0 && y == 0 && dst->width == src->width && dst->height == src->height &&
        dst->stride == src->stride) {
        memcpy(dst->rgb, src->rgb, (size_t)dst->height * dst->stride);
        return;
    }
    canvas_copy_region(dst, src, 0, 0, src->width, src->height, x, y);
}

int canvas_blit_img(struct canvas *c, const struct img *im, int x, int y, int w, int h,
                    struct err *err)
{
    if (im->pixels == NULL || im->width <= 0 || im->height <= 0 ||
        (im->channels != 3 && im->channels != 4))
        return err_set(err, "cannot draw an empty or non-RGB image");
    if (w <= 0 || h <= 0 || w > CANVAS_MAX_SIDE || h > CANVAS_MAX_SIDE)
        return err_set(err, "cannot draw an image into a %dx%d rectangle", w, h);

    /* Resize into a scratch image of the target size, then copy (or, for
     * RGBA, composite) its visible part: the rectangle may be clipped. */
    int ch = im->channels;
    uint8_t *tmp = malloc((size_t)w * (size_t)h * (size_t)ch);
    if (tmp == NULL)
        return err_set(err, "out of memory scaling a %dx%d image to %dx%d", im->width, im->height,
                       w, h);
    if (!stbir_resize_uint8(im->pixels, im->width, im->height, (int)im->stride, tmp, w, h, w * ch,
                            ch)) {
        free(tmp);
        return err_set(err, "could not scale a %dx%d image to %dx%d", im->width, im->height, w, h);
    }
    int cx = x, cy = y, cw = w, chh = h;
    if (clip(c, &cx, &cy, &cw, &chh)) {
        for (int row = 0; row < chh; row++) {
            const uint8_t *s = tmp + ((size_t)(cy - y + row) * w + (size_t)(cx - x)) * ch;
            uint8_t *d = canvas_at(c, cx, cy + row);
            for (int i = 0; i < cw; i++, s += ch, d += 3) {
                unsigned a = ch == 4 ? s[3] : 255;
                d[0] = mix(d[0], s[0], a);
                d[1] = mix(d[1], s[1], a);
                d[2] = mix(d[2], s[2], a);
            }
        }
    }
    free(tmp);
    return 0;
}

int canvas_to_img(const struct canvas *c, struct img *out, struct err *err)
{
    if (img_alloc(out, c->width, c->height, 3, err) != 0)
        return -1;
    for (int y = 0; y < c->height; y++)
        memcpy(img_row(out, y), canvas_at(c, 0, y), (size_t)c->width * 3);
    return 0;
}

/* Blends one glyph's coverage bitmap in `color` with its top-left at (x, y). */
static void draw_coverage(struct canvas *c, const struct font_glyph *g, int x, int y,
                          struct canvas_rgb color)
{
    int cx = x, cy = y, w = g->width, h = g->height;
    if (g->coverage == NULL || !clip(c, &cx, &cy, &w, &h))
        return;
    for (int row = 0; row < h; row++) {
        const uint8_t *cov = g->coverage + (size_t)(cy - y + row) * g->width + (cx - x);
        uint8_t *d = canvas_at(c, cx, cy + row);
        for (int i = 0; i < w; i++, d += 3) {
            unsigned a = cov[i];
            if (a == 0)
                continue;
            d[0] = mix(d[0], color.r, a);
            d[1] = mix(d[1], color.g, a);
            d[2] = mix(d[2], color.b, a);
        }
    }
}

int canvas_text(struct canvas *c, struct font *f, int px, int x, int y, struct canvas_rgb color,
                const char *text)
{
    /* The pen moves in fractions of a pixel and each glyph lands on the
     * nearest whole pixel: rounding every advance instead would make the
     * spacing of small text visibly uneven. */
    int baseline = y + font_ascent(f, px);
    float pen = (float)x;
    uint32_t prev = 0;
    while (*text != '\0') {
        uint32_t cp = font_utf8_next(&text);
        if (prev != 0)
            pen += font_kern(f, px, prev, cp);
        struct font_glyph g;
        if (font_glyph(f, px, cp, &g, NULL) == 0) {
            draw_coverage(c, &g, (int)(pen + 0.5f) + g.xoff, baseline + g.yoff, color);
            pen += g.advance;
        }
        prev = cp;
    }
    return (int)(pen + 0.5f);
}

int canvas_text_align(struct canvas *c, struct font *f, int px, int x, int y,
                      enum canvas_align align, struct canvas_rgb color, const char *text)
{
    if (align != CANVAS_LEFT) {
        int w = font_text_width(f, px, text);
        x -= align == CANVAS_CENTER ? w / 2 : w;
    }
    return canvas_text(c, f, px, x, y, color, text);
}
