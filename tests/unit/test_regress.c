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
 * failed assert() that aborts `retreat blur`. img_load_memory refuses it. */
Test(regress, jpeg_scan_with_undefined_huffman_table)
{
    const char *path = "tests/fuzz/corpus/fuzz_img/undefined_huffman_table.jpg";
    size_t size;
    unsigned char *data = slurp(path, &size);
    struct img im;
    struct err err = {0};
    cr_expect_eq(img_load_memory(data, size, path, &im, &err), -1, "%s was decoded", path);
    cr_expect(strstr(err.msg, path) != NULL && strstr(err.msg, "never defined") != NULL,
              "%s: the message should name the file and the table: %s", path, err.msg);
    free(data);
}

/* The check must not refuse real JPEGs: baseline, progressive (tables
 * between scans) and the workshop's photos. */
Test(regress, jpeg_huffman_check_accepts_valid_jpegs)
{
    static const char *const good[] = {
        "tests/fuzz/corpus/fuzz_img/rgb.jpg",
        "tests/fuzz/corpus/fuzz_img/progressive.jpg",
        "workshop/images/rocket.jpg",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct img im;
        struct err err = {0};
        cr_expect_eq(img_load(good[i], &im, &err), 0, "%s: %s", good[i], err.msg);
        cr_expect_gt(im.width, 0, "%s", good[i]);
        img_free(&im);
    }
}
