/* test_font.c - TrueType loading through stb_truetype, the glyph cache, text
 * metrics, UTF-8 decoding, and the fonts that must be refused. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "font.h"

static struct font *open_default(void)
{
    struct font *f;
    struct err err;
    cr_assert_eq(font_open(&f, FONT_DEFAULT_PATH, &err), 0, "%s", err.msg);
    return f;
}

Test(font, missing_file_is_an_error_naming_the_path)
{
    struct font *f = (struct font *)1;
    struct err err = {0};
    cr_assert_eq(font_open(&f, "/nonexistent/NoSuchFont.ttf", &err), -1);
    cr_expect_null(f);
    cr_expect(strstr(err.msg, "/nonexistent/NoSuchFont.ttf") != NULL, "message: %s", err.msg);
    cr_expect(strstr(err.msg, "No such file") != NULL, "message: %s", err.msg);
}

Test(font, a_file_that_is_not_a_font_is_refused)
{
    char path[] = "/tmp/retreat-test-font-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char text[] = "this is a text file, not a TrueType font\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);

    struct font *f;
    struct err err = {0};
    cr_expect_eq(font_open(&f, path, &err), -1);
    cr_expect(strstr(err.msg, path) != NULL, "message: %s", err.msg);
    cr_expect(strstr(err.msg, "not a TrueType") != NULL, "message: %s", err.msg);
    unlink(path);
}

Test(font, empty_files_and_directories_are_refused)
{
    char path[] = "/tmp/retreat-test-font-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct font *f;
    struct err err = {0};
    cr_expect_eq(font_open(&f, path, &err), -1);
    cr_expect(strstr(err.msg, path) != NULL, "message: %s", err.msg);
    unlink(path);

    cr_expect_eq(font_open(&f, "/tmp", &err), -1);
    cr_expect(strstr(err.msg, "/tmp") != NULL, "message: %s", err.msg);
}

Test(font, letters_have_ink_and_a_space_has_only_an_advance)
{
    struct font *f = open_default();
    struct font_glyph g;
    struct err err;
    cr_assert_eq(font_glyph(f, 32, 'A', &g, &err), 0, "%s", err.msg);
    cr_expect_gt(g.width, 0);
    cr_expect_gt(g.height, 0);
    cr_expect_lt(g.yoff, 0, "a capital sits above the baseline");
    long ink = 0;
    for (int i = 0; i < g.width * g.height; i++)
        ink += g.coverage[i];
    cr_expect_gt(ink, 0);

    cr_assert_eq(font_glyph(f, 32, ' ', &g, &err), 0, "%s", err.msg);
    cr_expect_eq(g.width, 0);
    cr_expect_gt(g.advance, 0);
    font_close(f);
}

Test(font, glyphs_are_cached_per_size)
{
    struct font *f = open_default();
    struct font_glyph a, b, c;
    cr_assert_eq(font_glyph(f, 20, 'x', &a, NULL), 0);
    cr_assert_eq(font_glyph(f, 20, 'x', &b, NULL), 0);
    cr_expect_eq(a.coverage, b.coverage, "the second request must come from the cache");
    cr_assert_eq(font_glyph(f, 40, 'x', &c, NULL), 0);
    cr_expect_gt(c.width, a.width, "a larger size is a different, larger bitmap");
    font_close(f);
}

Test(font, many_sizes_evict_without_breaking)
{
    /* More sizes than the cache holds: old slots are reused, every glyph
     * still comes back with ink. */
    struct font *f = open_default();
    for (int px = 10; px < 10 + 3 * FONT_CACHE_SIZES; px++) {
        struct font_glyph g;
        cr_assert_eq(font_glyph(f, px, 'M', &g, NULL), 0);
        cr_expect_gt(g.width * g.height, 0, "px %d", px);
    }
    font_close(f);
}

Test(font, text_width_grows_with_text_and_size)
{
    struct font *f = open_default();
    int one = font_text_width(f, 24, "A");
    int two = font_text_width(f, 24, "AA");
    cr_expect_gt(one, 0);
    cr_expect_gt(two, one);
    int big = font_text_width(f, 48, "AA");
    cr_expect(big > two * 3 / 2 && big < two * 5 / 2, "24px: %d, 48px: %d", two, big);
    cr_expect_eq(font_text_width(f, 24, ""), 0);
    cr_expect_gt(font_ascent(f, 48), font_ascent(f, 24));
    font_close(f);
}

Test(font, utf8_decoding)
{
    const char *s = "a\xc3\xa9\xe2\x86\x92";
    cr_expect_eq(font_utf8_next(&s), (uint32_t)'a');
    cr_expect_eq(font_utf8_next(&s), 0xE9u);
    cr_expect_eq(font_utf8_next(&s), 0x2192u);
    cr_expect_eq(*s, '\0');

    /* A stray continuation byte, an overlong NUL and a sequence cut short
     * by the end of the string: each decodes as U+FFFD, none reads past
     * the terminator. */
    const char *bad = "\x80z";
    cr_expect_eq(font_utf8_next(&bad), 0xFFFDu);
    cr_expect_eq(*bad, 'z');
    const char *overlong = "\xc0\x80";
    cr_expect_eq(font_utf8_next(&overlong), 0xFFFDu);
    const char *cut = "\xe2\x86";
    cr_expect_eq(font_utf8_next(&cut), 0xFFFDu);
    cr_expect_eq(font_utf8_next(&cut), 0xFFFDu);
    cr_expect_eq(*cut, '\0');
}

Test(font, code_points_outside_the_cache_still_draw)
{
    struct font *f = open_default();
    struct font_glyph g;
    cr_assert_eq(font_glyph(f, 24, 0x2192 /* rightwards arrow */, &g, NULL), 0);
    cr_expect_gt(g.width * g.height, 0);
    font_close(f);
}
