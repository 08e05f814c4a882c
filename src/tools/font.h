/* font.h - TrueType text through stb_truetype, with a glyph cache.
 *
 * A font is one .ttf file (DejaVu Sans from fonts-dejavu-core by default)
 * read into memory and handed to stb_truetype, which turns outlines into
 * anti-aliased coverage bitmaps. We never draw letters by hand.
 *
 * Rasterizing a glyph costs microseconds; a frame with 200 characters, 30
 * times a second, would spend a good part of a core on letters that never
 * change. So every glyph is rasterized once per pixel size and kept: the
 * cache holds Latin-1 (code points below 256, which covers every label the
 * stream draws) for up to FONT_CACHE_SIZES sizes. Anything else is
 * rasterized on each use, which is correct, only slower.
 *
 * A font is not thread-safe: the cache fills as it is used. One show (and
 * its one rendering thread) owns its fonts.
 *
 *     struct font *f;
 *     if (font_open(&f, FONT_DEFAULT_PATH, &err) != 0) ...
 *     int w = font_text_width(f, 24, "decode");
 *     font_close(f);
 */
#ifndef RETREAT_FONT_H
#define RETREAT_FONT_H

#include <stdint.h>

#include "err.h"

#define FONT_DEFAULT_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#define FONT_DEFAULT_BOLD_PATH "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#define FONT_MAX_FILE (32u * 1024 * 1024) /* bytes: DejaVu Sans is 750 kB */
#define FONT_CACHE_SIZES 12               /* distinct pixel sizes cached */
#define FONT_PX_MIN 4
#define FONT_PX_MAX 512

struct font;

/* One rasterized glyph: an 8-bit coverage bitmap (0 = background, 255 =
 * ink) placed relative to the pen on the baseline. */
struct font_glyph {
    int width, height;       /* bitmap size; 0 x 0 for a space */
    int xoff, yoff;          /* bitmap's top-left relative to the pen (yoff < 0: above) */
    float advance;           /* pixels to move the pen afterwards, kerning not included */
    const uint8_t *coverage; /* width * height bytes, rows tight; owned by the font */
};

/* Reads and parses a TrueType file. Errors name the path and the reason:
 * missing, unreadable, too large, not a TrueType font. */
int font_open(struct font **f, const char *path, struct err *err);

/* Frees the font and its cache; safe on NULL. */
void font_close(struct font *f);

/* The glyph for a code point at px pixels (clamped to FONT_PX_MIN..MAX).
 * A code point the font lacks gives the font's "missing" box. The bitmap
 * stays valid until the next call of font_glyph or font_close: use it, then
 * ask for the next one. Fails only when out of memory. */
int font_glyph(struct font *f, int px, uint32_t codepoint, struct font_glyph *g, struct err *err);

/* Extra advance between two code points at px pixels (usually <= 0). */
float font_kern(struct font *f, int px, uint32_t left, uint32_t right);

/* Distance from the top of the line box to the baseline, at px pixels. */
int font_ascent(struct font *f, int px);

/* Width in pixels of a UTF-8 string at px pixels, kerning included. */
int font_text_width(struct font *f, int px, const char *text);

/* Decodes the UTF-8 character at *s, advancing *s past it. Malformed bytes
 * decode as U+FFFD (one byte at a time), so drawing never stops on them. */
uint32_t font_utf8_next(const char **s);

#endif
