/* comicsrv_draw.c - the comic server's images: three panels drawn from numbers.
 *
 * A synthetic comic still has to look like one in the browser: three panels
 * with a sky, the ground, a sun and a little character walking from left to
 * right. Comic i picks the palette and the character, episode e moves the
 * story along (and shows e dots in the first panel), so every image is
 * recognisable and the same numbers always give the same picture.
 */
#include "comicsrv_internal.h"

#define MARGIN 6
#define PANELS 3

struct rgb {
    uint8_t r, g, b;
};

static struct rgb colour(uint64_t h)
{
    /* Keep every channel in 40..230: pleasant, never pure black or white. */
    return (struct rgb){(uint8_t)(40 + h % 191), (uint8_t)(40 + (h >> 8) % 191),
                        (uint8_t)(40 + (h >> 16) % 191)};
}

static void put(struct img *im, int x, int y, struct rgb c)
{
    if (x < 0 || y < 0 || x >= im->width || y >= im->height)
        return;
    uint8_t *p = img_row(im, y) + (size_t)x * 3;
    p[0] = c.r;
    p[1] = c.g;
    p[2] = c.b;
}

static void rect(struct img *im, int x0, int y0, int x1, int y1, struct rgb c)
{
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            put(im, x, y, c);
}

static void disc(struct img *im, int cx, int cy, int r, struct rgb c)
{
    for (int y = cy - r; y <= cy + r; y++)
        for (int x = cx - r; x <= cx + r; x++)
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                put(im, x, y, c);
}

int comicsrv_draw(unsigned comic, unsigned episode, struct img *im, struct err *err)
{
    if (img_alloc(im, COMICSRV_IMAGE_WIDTH, COMICSRV_IMAGE_HEIGHT, 3, err) != 0)
        return -1;
    uint64_t h = comicsrv_hash(comic);
    const struct rgb white = {255, 255, 255}, black = {20, 20, 20};
    const struct rgb sky = colour(h), ground = colour(comicsrv_hash(h)),
                     body = colour(comicsrv_hash(h + 1)), sun = {250, 210, 60};
    const int panel_w = (im->width - MARGIN * (PANELS + 1)) / PANELS;
    const int top = MARGIN, bottom = im->height - MARGIN;
    const int horizon = bottom - (bottom - top) / 4;

    rect(im, 0, 0, im->width, im->height, white);
    for (int p = 0; p < PANELS; p++) {
        int x0 = MARGIN + p * (panel_w + MARGIN), x1 = x0 + panel_w;
        rect(im, x0 - 2, top - 2, x1 + 2, bottom + 2, black); /* the frame */
        rect(im, x0, top, x1, horizon, sky);
        rect(im, x0, horizon, x1, bottom, ground);
        disc(im, x1 - 25 - (int)(episode * 7 % 40), top + 22, 12, sun);

        /* The character walks across the strip as the panels go by. */
        int step =
            (int)((unsigned)p * 45 + episode * 17 + (unsigned)(h >> 24) % 20) % (panel_w - 40);
        int cx = x0 + 20 + step, feet = horizon + 10;
        rect(im, cx - 9, feet - 40, cx + 9, feet, body);
        disc(im, cx, feet - 52, 13, body);
        disc(im, cx - 5, feet - 55, 3, black); /* the eyes */
        disc(im, cx + 5, feet - 55, 3, black);
        if (h >> 40 & 1)
            rect(im, cx - 14, feet - 69, cx + 14, feet - 64, black); /* a hat, for some */
    }
    for (unsigned d = 0; d < episode && d < 10; d++) /* the episode, as dots */
        disc(im, MARGIN + 10 + (int)d * 12, top + 10, 4, white);
    return 0;
}
