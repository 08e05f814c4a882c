/* test_canvas.c - the RGB24 canvas: sizes, clipping, blending, copies,
 * scaled images and text. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "font.h"

static const struct canvas_rgb red = {255, 0, 0};
static const struct canvas_rgb blue = {0, 0, 255};

static int is(const struct canvas *c, int x, int y, struct canvas_rgb col)
{
    const uint8_t *p = canvas_at(c, x, y);
    return p[0] == col.r && p[1] == col.g && p[2] == col.b;
}

/* Number of pixels of exactly that colour. */
static long count(const struct canvas *c, struct canvas_rgb col)
{
    long n = 0;
    for (int y = 0; y < c->height; y++)
        for (int x = 0; x < c->width; x++)
            n += is(c, x, y, col);
    return n;
}

static struct canvas make(int w, int h)
{
    struct canvas c;
    struct err err;
    cr_assert_eq(canvas_init(&c, w, h, &err), 0, "%s", err.msg);
    return c;
}

Test(canvas, sizes_outside_the_limits_are_refused)
{
    struct canvas c;
    struct err err = {0};
    cr_expect_eq(canvas_init(&c, 0, 10, &err), -1);
    cr_expect(strstr(err.msg, "0x10") != NULL, "message: %s", err.msg);
    cr_expect_eq(canvas_init(&c, 10, -4, &err), -1);
    cr_expect_eq(canvas_init(&c, CANVAS_MAX_SIDE + 1, 10, &err), -1);
    cr_expect_null(c.rgb);
    /* Odd sizes are fine for layers; show_new() is where frames must be even. */
    cr_assert_eq(canvas_init(&c, 3, 5, &err), 0, "%s", err.msg);
    cr_expect_eq(count(&c, (struct canvas_rgb){0, 0, 0}), 15, "a new canvas is black");
    canvas_free(&c);
    canvas_free(&c); /* twice is harmless */
}

Test(canvas, rectangles_clip_to_the_canvas)
{
    struct canvas c = make(10, 8);
    canvas_rect(&c, -3, -2, 5, 4, red); /* only 2 x 2 of it is visible */
    cr_expect_eq(count(&c, red), 4);
    cr_expect(is(&c, 0, 0, red) && is(&c, 1, 1, red) && !is(&c, 2, 0, red) && !is(&c, 0, 2, red));

    canvas_rect(&c, 8, 6, 100, 100, blue); /* the bottom-right 2 x 2 */
    cr_expect_eq(count(&c, blue), 4);
    cr_expect(is(&c, 9, 7, blue));

    canvas_rect(&c, 50, 50, 5, 5, red); /* entirely off: nothing */
    canvas_rect(&c, 2, 2, 0, 5, red);   /* empty: nothing */
    canvas_rect(&c, 2, 2, -5, 5, red);  /* negative: nothing */
    cr_expect_eq(count(&c, red), 4);

    canvas_fill(&c, blue);
    cr_expect_eq(count(&c, blue), 80);
    canvas_free(&c);
}

Test(canvas, blending)
{
    struct canvas c = make(4, 1);
    canvas_fill(&c, (struct canvas_rgb){0, 0, 0});
    canvas_blend(&c, 0, 0, 1, 1, (struct canvas_rgb){200, 100, 50}, 0);
    canvas_blend(&c, 1, 0, 1, 1, (struct canvas_rgb){200, 100, 50}, 255);
    canvas_blend(&c, 2, 0, 1, 1, (struct canvas_rgb){200, 100, 50}, 128);
    cr_expect(is(&c, 0, 0, (struct canvas_rgb){0, 0, 0}), "alpha 0 leaves the pixel");
    cr_expect(is(&c, 1, 0, (struct canvas_rgb){200, 100, 50}), "alpha 255 paints it");
    const uint8_t *p = canvas_at(&c, 2, 0);
    cr_expect(p[0] == 100 && p[1] == 50 && p[2] == 25, "half way: %d %d %d", p[0], p[1], p[2]);
    canvas_free(&c);
}

Test(canvas, frames_are_outlines)
{
    struct canvas c = make(10, 10);
    canvas_frame(&c, 1, 1, 8, 8, 2, red);
    cr_expect_eq(count(&c, red), 64 - 16, "an 8x8 square minus its 4x4 inside");
    cr_expect(!is(&c, 4, 4, red));
    canvas_free(&c);
}

Test(canvas, copies_clip_on_both_sides)
{
    struct canvas src = make(4, 4), dst = make(6, 6);
    canvas_fill(&src, red);
    canvas_rect(&src, 0, 0, 1, 1, blue);
    canvas_copy(&dst, &src, -1, -1); /* src (1,1)..(3,3) lands at (0,0)..(2,2) */
    cr_expect_eq(count(&dst, red), 9);
    cr_expect_eq(count(&dst, blue), 0, "the blue corner fell off the edge");

    canvas_fill(&dst, (struct canvas_rgb){0, 0, 0});
    canvas_copy_region(&dst, &src, -2, 0, 4, 1, 4, 5); /* 2 pixels of src row 0 */
    cr_expect(is(&dst, 4, 5, blue) == 0 && is(&dst, 5, 5, blue) == 0);
    cr_expect(!is(&dst, 4, 5, red) && !is(&dst, 5, 5, red), "x -2, -1 of src do not exist");
    cr_expect_eq(count(&dst, blue) + count(&dst, red), 0);
    canvas_copy_region(&dst, &src, 0, 0, 4, 1, 4, 5);
    cr_expect(is(&dst, 4, 5, blue) && is(&dst, 5, 5, red));
    cr_expect_eq(count(&dst, blue) + count(&dst, red), 2, "only 2 columns fit");

    struct canvas same = make(4, 4);
    canvas_copy(&same, &src, 0, 0);
    cr_expect_eq(memcmp(same.rgb, src.rgb, 4 * 4 * 3), 0);
    canvas_free(&same);
    canvas_free(&src);
    canvas_free(&dst);
}

Test(canvas, images_scale_into_a_rectangle)
{
    struct img im;
    struct err err;
    cr_assert_eq(img_alloc(&im, 3, 2, 3, &err), 0, "%s", err.msg);
    for (int y = 0; y < 2; y++)
        for (int x = 0; x < 3; x++)
            memcpy(img_row(&im, y) + 3 * x, (uint8_t[]){10, 200, 30}, 3);
    struct canvas c = make(20, 20);
    cr_assert_eq(canvas_blit_img(&c, &im, 5, 5, 12, 8, &err), 0, "%s", err.msg);
    cr_expect_eq(count(&c, (struct canvas_rgb){10, 200, 30}), 96, "a 12x8 block of one colour");
    cr_expect(is(&c, 5, 5, (struct canvas_rgb){10, 200, 30}) &&
              is(&c, 4, 5, (struct canvas_rgb){0, 0, 0}));

    /* Partly off the canvas: the visible part is drawn, the rest ignored. */
    canvas_fill(&c, (struct canvas_rgb){0, 0, 0});
    cr_assert_eq(canvas_blit_img(&c, &im, 15, -4, 10, 10, &err), 0, "%s", err.msg);
    cr_expect_eq(count(&c, (struct canvas_rgb){10, 200, 30}), 5 * 6);

    cr_expect_eq(canvas_blit_img(&c, &im, 0, 0, 0, 5, &err), -1, "an empty target");
    img_free(&im);
    canvas_free(&c);
}

Test(canvas, transparent_pixels_keep_the_background)
{
    struct img im;
    struct err err;
    cr_assert_eq(img_alloc(&im, 2, 2, 4, &err), 0, "%s", err.msg);
    memset(im.pixels, 0, im.stride * 2); /* fully transparent black */
    struct canvas c = make(4, 4);
    canvas_fill(&c, blue);
    cr_assert_eq(canvas_blit_img(&c, &im, 0, 0, 4, 4, &err), 0, "%s", err.msg);
    cr_expect_eq(count(&c, blue), 16);
    img_free(&im);
    canvas_free(&c);
}

Test(canvas, to_img_copies_every_pixel)
{
    struct canvas c = make(5, 3);
    canvas_rect(&c, 1, 1, 2, 1, red);
    struct img im;
    struct err err;
    cr_assert_eq(canvas_to_img(&c, &im, &err), 0, "%s", err.msg);
    cr_expect(im.width == 5 && im.height == 3 && im.channels == 3);
    cr_expect_eq(img_row(&im, 1)[3], 255);
    cr_expect_eq(img_row(&im, 1)[9], 0);
    img_free(&im);
    canvas_free(&c);
}

Test(canvas, text_draws_ink_inside_its_line_box)
{
    struct font *f;
    struct err err;
    cr_assert_eq(font_open(&f, FONT_DEFAULT_PATH, &err), 0, "%s", err.msg);
    struct canvas c = make(200, 60);
    const struct canvas_rgb white = {255, 255, 255};
    int end = canvas_text(&c, f, 24, 10, 10, white, "Hello, gy");
    int w = font_text_width(f, 24, "Hello, gy");
    cr_expect(abs(end - (10 + w)) <= 1, "advance %d, width %d", end, w);

    /* Ink only within the line box: x in [10, end], y in [10, 10 + 1.3 px). */
    long ink = 0;
    for (int y = 0; y < c.height; y++)
        for (int x = 0; x < c.width; x++)
            if (canvas_at(&c, x, y)[0] != 0) {
                ink++;
                cr_expect(x >= 9 && x <= end + 1 && y >= 10 && y < 10 + 32,
                          "ink at (%d,%d) outside the line box", x, y);
            }
    cr_expect_gt(ink, 100);
    cr_expect_gt(count(&c, white), 10, "glyph interiors are fully inked");

    /* Right-aligned text ends at x. */
    canvas_fill(&c, (struct canvas_rgb){0, 0, 0});
    end = canvas_text_align(&c, f, 24, 190, 10, CANVAS_RIGHT, white, "Hello");
    cr_expect(abs(end - 190) <= 1, "right-aligned text ends at %d", end);

    /* Text off the canvas is clipped, not a crash. */
    canvas_text(&c, f, 40, -30, -20, white, "clipped");
    canvas_text(&c, f, 40, 190, 50, white, "clipped");
    canvas_free(&c);
    font_close(f);
}
