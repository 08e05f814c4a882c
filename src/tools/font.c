/* font.c - TrueType fonts through stb_truetype, with a glyph cache; see font.h.
 *
 * stb_truetype comes precompiled in Debian's libstb, so this file only
 * includes its header. The font file stays in memory for the font's life:
 * stb_truetype keeps pointers into it instead of copying tables out.
 *
 * The cache is FONT_CACHE_SIZES "slots", one per pixel size, each holding
 * up to 256 glyphs (Latin-1) rasterized on first use. When a new size
 * arrives and every slot is taken, the oldest slot is emptied and reused:
 * a show uses a handful of sizes, so in practice nothing is ever evicted.
 */
#include "font.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb_truetype.h>

#define FONT_CACHED_CODEPOINTS 256

struct cached_glyph {
    int loaded;
    struct font_glyph g; /* g.coverage is malloc'ed by stb_truetype */
};

struct size_slot {
    int px; /* 0: slot unused */
    float scale;
    struct cached_glyph glyphs[FONT_CACHED_CODEPOINTS];
};

struct font {
    char path[256];
    unsigned char *data; /* the whole .ttf file */
    stbtt_fontinfo info;
    int ascent; /* font units */
    int descent;
    struct size_slot slots[FONT_CACHE_SIZES];
    int next_evict;          /* round-robin victim when every slot is used */
    unsigned char *uncached; /* last bitmap of a code point outside the cache */
};

static int read_file(const char *path, unsigned char **data, size_t *size, struct err *err)
{
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        return err_set(err, "font %s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return err_set(err, "font %s: not a regular file", path);
    }
    if (st.st_size == 0 || (uint64_t)st.st_size > FONT_MAX_FILE) {
        fclose(fp);
        return err_set(err, "font %s: %lld bytes; a font file has 1 to %u bytes", path,
                       (long long)st.st_size, FONT_MAX_FILE);
    }
    unsigned char *buf = malloc((size_t)st.st_size);
    if (buf == NULL) {
        fclose(fp);
        return err_set(err, "font %s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)st.st_size, fp);
    int failed = ferror(fp);
    fclose(fp);
    if (failed || got != (size_t)st.st_size) {
        free(buf);
        return err_set(err, "font %s: read error", path);
    }
    *data = buf;
    *size = got;
    return 0;
}

int font_open(struct font **out, const char *path, struct err *err)
{
    *out = NULL;
    struct font *f = calloc(1, sizeof *f);
    if (f == NULL)
        return err_set(err, "font %s: out of memory", path);
    snprintf(f->path, sizeof f->path, "%s", path);

    size_t size = 0;
    if (read_file(path, &f->data, &size, err) != 0) {
        free(f);
        return -1;
    }
    /* GetFontOffsetForIndex checks the file's magic number (TrueType,
     * OpenType or a collection) and returns -1 for anything else. The
     * smallest valid font is far longer than the 12-byte header it reads. */
    int offset = size < 12 ? -1 : stbtt_GetFontOffsetForIndex(f->data, 0);
    if (offset < 0 || !stbtt_InitFont(&f->info, f->data, offset)) {
        font_close(f);
        return err_set(err, "font %s: not a TrueType/OpenType font", path);
    }
    int gap;
    stbtt_GetFontVMetrics(&f->info, &f->ascent, &f->descent, &gap);
    *out = f;
    return 0;
}

static void slot_clear(struct size_slot *slot)
{
    for (int i = 0; i < FONT_CACHED_CODEPOINTS; i++)
        if (slot->glyphs[i].loaded)
            stbtt_FreeBitmap((unsigned char *)slot->glyphs[i].g.coverage, NULL);
    memset(slot, 0, sizeof *slot);
}

void font_close(struct font *f)
{
    if (f == NULL)
        return;
    for (int i = 0; i < FONT_CACHE_SIZES; i++)
        slot_clear(&f->slots[i]);
    stbtt_FreeBitmap(f->uncached, NULL);
    free(f->data);
    free(f);
}

static int clamp_px(int px)
{
    return px < FONT_PX_MIN ? FONT_PX_MIN : px > FONT_PX_MAX ? FONT_PX_MAX : px;
}

/* The cache slot for a size, claiming (or evicting) one if needed. */
static struct size_slot *slot_for(struct font *f, int px)
{
    for (int i = 0; i < FONT_CACHE_SIZES; i++)
        if (f->slots[i].px == px)
            return &f->slots[i];
    struct size_slot *slot = NULL;
    for (int i = 0; i < FONT_CACHE_SIZES && slot == NULL; i++)
        if (f->slots[i].px == 0)
            slot = &f->slots[i];
    if (slot == NULL) {
        slot = &f->slots[f->next_evict];
        f->next_evict = (f->next_evict + 1) % FONT_CACHE_SIZES;
        slot_clear(slot);
    }
    slot->px = px;
    slot->scale = stbtt_ScaleForPixelHeight(&f->info, (float)px);
    return slot;
}

/* Rasterizes one glyph; the bitmap is stb_truetype's (free with FreeBitmap). */
static int rasterize(struct font *f, float scale, uint32_t cp, struct font_glyph *g,
                     struct err *err)
{
    int adv, lsb;
    stbtt_GetCodepointHMetrics(&f->info, (int)cp, &adv, &lsb);
    memset(g, 0, sizeof *g);
    g->advance = (float)adv * scale;
    /* stb returns NULL both for an empty glyph (a space) and when out of
     * memory; the glyph's box tells the two apart. */
    int x0, y0, x1, y1;
    if (!stbtt_GetCodepointBox(&f->info, (int)cp, &x0, &y0, &x1, &y1))
        return 0;
    unsigned char *bmp = stbtt_GetCodepointBitmap(&f->info, scale, scale, (int)cp, &g->width,
                                                  &g->height, &g->xoff, &g->yoff);
    if (bmp == NULL) {
        if (g->width > 0 && g->height > 0)
            return err_set(err, "font %s: out of memory rasterizing U+%04X", f->path, cp);
        g->width = g->height = 0;
        return 0;
    }
    g->coverage = bmp;
    return 0;
}

int font_glyph(struct font *f, int px, uint32_t cp, struct font_glyph *g, struct err *err)
{
    px = clamp_px(px);
    struct size_slot *slot = slot_for(f, px);
    if (cp < FONT_CACHED_CODEPOINTS) {
        struct cached_glyph *c = &slot->glyphs[cp];
        if (!c->loaded) {
            if (rasterize(f, slot->scale, cp, &c->g, err) != 0)
                return -1;
            c->loaded = 1;
        }
        *g = c->g;
        return 0;
    }
    stbtt_FreeBitmap(f->uncached, NULL);
    f->uncached = NULL;
    if (rasterize(f, slot->scale, cp, g, err) != 0)
        return -1;
    f->uncached = (unsigned char *)g->coverage;
    return 0;
}

float font_kern(struct font *f, int px, uint32_t left, uint32_t right)
{
    float scale = stbtt_ScaleForPixelHeight(&f->info, (float)clamp_px(px));
    return (float)stbtt_GetCodepointKernAdvance(&f->info, (int)left, (int)right) * scale;
}

int font_ascent(struct font *f, int px)
{
    float scale = stbtt_ScaleForPixelHeight(&f->info, (float)clamp_px(px));
    return (int)lroundf((float)f->ascent * scale);
}

int font_text_width(struct font *f, int px, const char *text)
{
    float scale = stbtt_ScaleForPixelHeight(&f->info, (float)clamp_px(px));
    float pen = 0;
    uint32_t prev = 0;
    while (*text != '\0') {
        uint32_t cp = font_utf8_next(&text);
        int adv, lsb;
        stbtt_GetCodepointHMetrics(&f->info, (int)cp, &adv, &lsb);
        if (prev != 0)
            pen += font_kern(f, px, prev, cp);
        pen += (float)adv * scale;
        prev = cp;
    }
    return (int)ceilf(pen);
}

uint32_t font_utf8_next(const char **s)
{
    const unsigned char *p = (const unsigned char *)*s;
    uint32_t cp;
    int extra;
    if (p[0] < 0x80) {
        *s += 1;
        return p[0];
    } else if ((p[0] & 0xE0) == 0xC0) {
        cp = p[0] & 0x1F;
        extra = 1;
    } else if ((p[0] & 0xF0) == 0xE0) {
        cp = p[0] & 0x0F;
        extra = 2;
    } else if ((p[0] & 0xF8) == 0xF0) {
        cp = p[0] & 0x07;
        extra = 3;
    } else {
        *s += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= extra; i++) {
        /* A missing continuation byte (including the string's NUL) ends the
         * sequence early: report one bad byte and resume after it. */
        if ((p[i] & 0xC0) != 0x80) {
            *s += 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    *s += 1 + extra;
    /* Overlong forms and surrogates are malformed too. */
    static const uint32_t min_for[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0xFFFD;
    return cp;
}
