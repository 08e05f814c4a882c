/* test_regress.c - one test per bug found by the fuzzers and sanitizers.
 *
 * Each test replays the input that exposed a bug (kept in the fuzz corpus,
 * tests/fuzz/corpus/, so the fuzzers start from it too) and checks the fixed
 * behaviour, so the bug cannot come back unnoticed. Paths are relative to the
 * top of the tree, where `make unit` runs the tests.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "img.h"

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: cannot open (run the tests from the top of the tree)", path);
    unsigned char *buf = malloc(1 << 20);
    cr_assert_not_null(buf);
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    cr_assert_gt(*size, 0, "%s is empty", path);
    return buf;
}

/* stb_image 2.27 (Debian 12) wrote past a Huffman table's 257-byte size array
 * when a JPEG's DHT segment listed more than 256 codes: a heap overflow.
 * img_load_memory now refuses such a table before stb sees it: before the
 * frame header (read by stbi_info) or after it, and in a file that starts
 * with fill bytes, which stb accepts before the SOI marker. */
Test(regress, jpeg_huffman_table_over_256_codes)
{
    static const char *const crashers[] = {
        "tests/fuzz/corpus/fuzz_img/dht_over_256_codes.jpg",
        "tests/fuzz/corpus/fuzz_img/dht_over_256_codes_in_header.jpg",
        "tests/fuzz/corpus/fuzz_img/dht_over_256_codes_after_fill.jpg", /* 0xFF.. before SOI */
    };
    for (size_t i = 0; i < sizeof crashers / sizeof crashers[0]; i++) {
        size_t size;
        unsigned char *data = slurp(crashers[i], &size);
        struct img im;
        struct err err = {0};
        cr_expect_eq(img_load_memory(data, size, crashers[i], &im, &err), -1, "%s was decoded",
                     crashers[i]);
        cr_expect(strstr(err.msg, crashers[i]) != NULL && strstr(err.msg, "Huffman") != NULL,
                  "%s: the message should name the file and the table: %s", crashers[i], err.msg);
        free(data);
    }
}

/* stb_image 2.27 decodes a scan whose Huffman table no DHT segment defined
 * with its uninitialised tables: with garbage on the heap (as in a process
 * that decoded other photos before) that is a wild read, a SIGSEGV or a
 * failed assert() that aborts `retreat blur`. img_load_memory refuses it:
 * JPEGs now go to libjpeg-turbo, never to stb, and libjpeg finds the file
 * corrupt before its scan (it warns about bytes before the frame header). */
Test(regress, jpeg_scan_with_undefined_huffman_table)
{
    const char *path = "tests/fuzz/corpus/fuzz_img/undefined_huffman_table.jpg";
    size_t size;
    unsigned char *data = slurp(path, &size);
    struct img im;
    struct err err = {0};
    cr_expect_eq(img_load_memory(data, size, path, &im, &err), -1, "%s was decoded", path);
    cr_expect(strstr(err.msg, path) != NULL && strstr(err.msg, "corrupt JPEG") != NULL,
              "%s: the message should name the file and say it is corrupt: %s", path, err.msg);
    free(data);
}

/* stb_image 2.27's PNM header reader overflows an int on a long number
 * (undefined behaviour; found by fuzz_img). retreat never offered PNM (nor
 * PSD, PIC or HDR, which stb also reads): img_load_memory now refuses them
 * by their first bytes, before stb reads anything. */
Test(regress, unoffered_formats_are_refused_before_stb)
{
    size_t size;
    const char *path = "tests/fuzz/corpus/fuzz_img/pnm_huge_number.ppm";
    unsigned char *data = slurp(path, &size);
    struct img im;
    struct err err = {0};
    cr_expect_eq(img_load_memory(data, size, path, &im, &err), -1, "%s was decoded", path);
    cr_expect(strstr(err.msg, "PNM") != NULL, "the message should name the format: %s", err.msg);
    free(data);

    /* A well-formed 1x1 PNM, PSD signature and HDR header: refused too. */
    static const struct {
        const char *bytes, *format;
    } others[] = {
        {"P6\n1 1\n255\n\x10\x20\x30", "PNM"},
        {"8BPS\x00\x01", "PSD"},
        {"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n", "HDR"},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        cr_expect_eq(img_load_memory(others[i].bytes, strlen(others[i].bytes) + 1, "x", &im, &err),
                     -1, "a %s image was decoded", others[i].format);
        cr_expect(strstr(err.msg, others[i].format) != NULL, "%s", err.msg);
    }
}

/* stb_image 2.27 grew its buffer to a PNG chunk's declared length before
 * reading it: a 288-byte file declaring a 1 GiB IDAT chunk made it allocate
 * 2 GiB (fuzz_img's -rss_limit_mb caught it). img_load_memory now refuses a
 * chunk that runs past the end of the file. */
Test(regress, png_chunk_longer_than_the_file)
{
    const char *path = "tests/fuzz/corpus/fuzz_img/idat_length_1gib.png";
    size_t size;
    unsigned char *data = slurp(path, &size);
    struct img im;
    struct err err = {0};
    cr_expect_eq(img_load_memory(data, size, path, &im, &err), -1, "%s was decoded", path);
    cr_expect(strstr(err.msg, path) != NULL && strstr(err.msg, "past the end") != NULL,
              "%s: the message should name the file and the chunk: %s", path, err.msg);
    free(data);
}

/* The checks must not refuse real files: baseline and progressive JPEGs
 * (tables between scans), PNGs, and the workshop's photos. */
Test(regress, checks_accept_valid_images)
{
    static const char *const good[] = {
        "tests/fuzz/corpus/fuzz_img/rgb.jpg",  "tests/fuzz/corpus/fuzz_img/progressive.jpg",
        "tests/fuzz/corpus/fuzz_img/rgba.png", "tests/fuzz/corpus/fuzz_img/deep.png",
        "workshop/images/rocket.jpg",          "workshop/images/chelsea.png",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct img im;
        struct err err = {0};
        cr_expect_eq(img_load(good[i], &im, &err), 0, "%s: %s", good[i], err.msg);
        cr_expect_gt(im.width, 0, "%s", good[i]);
        img_free(&im);
    }
}
