/* test_img.c - loading, saving and comparing images, and their error paths. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "img.h"

static char dir[64];

static void make_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/retreat-test-img-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void fill_pattern(struct img *im)
{
    for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width * im->channels; x++)
            img_row(im, y)[x] = (uint8_t)(x * 7 + y * 13);
}

TestSuite(img, .init = make_dir, .fini = remove_dir);

Test(img, png_round_trip_is_lossless)
{
    struct img a, b;
    struct err err;
    char path[128];
    snprintf(path, sizeof path, "%s/a.png", dir);
    cr_assert_eq(img_alloc(&a, 33, 17, 4, &err), 0, "%s", err.msg);
    fill_pattern(&a);
    cr_assert_eq(img_save(path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(path, &b, &err), 0, "%s", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&b, &a, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d.max_abs, 0, "PNG must be lossless, max diff %d at (%d,%d)", d.max_abs, d.x, d.y);
    img_free(&a);
    img_free(&b);
}

Test(img, jpeg_round_trip_is_close)
{
    struct img a, b;
    struct err err;
    char path[128];
    snprintf(path, sizeof path, "%s/a.jpg", dir);
    cr_assert_eq(img_alloc(&a, 64, 48, 3, &err), 0);
    for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width * 3; x++)
            img_row(&a, y)[x] = (uint8_t)(100 + (x / 3 + y) / 2); /* smooth: JPEG-friendly */
    cr_assert_eq(img_save(path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(path, &b, &err), 0, "%s", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&b, &a, &d, &err), 0, "%s", err.msg);
    cr_expect_gt(d.psnr, 35.0, "JPEG at quality %d should be close, PSNR %.1f", IMG_JPEG_QUALITY,
                 d.psnr);
    img_free(&a);
    img_free(&b);
}

Test(img, missing_file_names_the_file)
{
    struct img im;
    struct err err;
    cr_assert_eq(img_load("/nonexistent/cat.png", &im, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/cat.png") != NULL, "got: %s", err.msg);
    cr_expect(strstr(err.msg, "No such file") != NULL, "got: %s", err.msg);
    cr_expect_null(im.pixels);
}

Test(img, text_file_is_not_an_image)
{
    struct img im;
    struct err err;
    char path[128];
    snprintf(path, sizeof path, "%s/notes.png", dir);
    write_bytes(path, "hello, this is text\n", 20);
    cr_assert_eq(img_load(path, &im, &err), -1);
    cr_expect(strstr(err.msg, "notes.png") && strstr(err.msg, "not an image"), "got: %s", err.msg);
}

Test(img, empty_file_is_refused)
{
    struct img im;
    struct err err;
    char path[128];
    snprintf(path, sizeof path, "%s/empty.png", dir);
    write_bytes(path, "", 0);
    cr_assert_eq(img_load(path, &im, &err), -1);
    cr_expect(strstr(err.msg, "empty") != NULL, "got: %s", err.msg);
}

Test(img, truncated_png_is_refused)
{
    struct img a, b;
    struct err err;
    cr_assert_eq(img_alloc(&a, 200, 100, 3, &err), 0);
    fill_pattern(&a);
    unsigned char *png;
    size_t size;
    cr_assert_eq(img_encode_png(&a, &png, &size, &err), 0);
    cr_assert_eq(img_load_memory(png, size / 2, "half.png", &b, &err), -1);
    cr_expect(strstr(err.msg, "half.png") != NULL, "got: %s", err.msg);
    free(png);
    img_free(&a);
}

/* A 100-byte PNG whose header claims 12000x12000 (144 megapixels): refused
 * from the header, before any pixel is allocated. */
Test(img, decompression_bomb_is_refused_from_the_header)
{
    struct img a, b;
    struct err err;
    cr_assert_eq(img_alloc(&a, 8, 8, 3, &err), 0);
    unsigned char *png;
    size_t size;
    cr_assert_eq(img_encode_png(&a, &png, &size, &err), 0);
    /* IHDR width and height are the big-endian words at offsets 16 and 20. */
    const unsigned char big[4] = {0, 0, 0x2e, 0xe0}; /* 12000 */
    memcpy(png + 16, big, 4);
    memcpy(png + 20, big, 4);
    cr_assert_eq(img_load_memory(png, size, "bomb.png", &b, &err), -1);
    cr_expect(strstr(err.msg, "bomb.png") != NULL && strstr(err.msg, "limit") != NULL, "got: %s",
              err.msg);
    free(png);
    img_free(&a);
}

Test(img, alloc_rejects_zero_and_huge_sizes)
{
    struct img im;
    struct err err;
    cr_expect_eq(img_alloc(&im, 0, 10, 3, &err), -1);
    cr_expect(strstr(err.msg, "zero size") != NULL, "got: %s", err.msg);
    cr_expect_eq(img_alloc(&im, IMG_MAX_SIDE + 1, 1, 3, &err), -1);
    cr_expect_eq(img_alloc(&im, 20000, 20000, 3, &err), -1, "400 MP is over the pixel limit");
    cr_expect_eq(img_alloc(&im, 10, 10, 2, &err), -1, "2 channels are not supported");
}

Test(img, save_refuses_unknown_extension_and_unwritable_folder)
{
    struct img a;
    struct err err;
    cr_assert_eq(img_alloc(&a, 4, 4, 3, &err), 0);
    cr_expect_eq(img_save("/tmp/x.gif", &a, &err), -1);
    cr_expect(strstr(err.msg, ".png") != NULL, "got: %s", err.msg);
    cr_expect_eq(img_save("/nonexistent-dir/x.png", &a, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent-dir/x.png") != NULL, "got: %s", err.msg);
    img_free(&a);
}

/* A disk that fills up mid-write (here: a file-size limit, which works even
 * for root): the save fails with a reason and leaves no file behind, neither
 * under the real name nor as a temporary. Criterion runs each test in its own
 * process, so the limit dies with it. */
Test(img, full_disk_leaves_no_file_behind)
{
    struct img a;
    struct err err;
    char path[128], cmd[256];
    cr_assert_eq(img_alloc(&a, 300, 300, 3, &err), 0);
    for (size_t i = 0; i < (size_t)a.height * a.stride; i++)
        a.pixels[i] = (uint8_t)rand(); /* noise does not compress: the PNG is large */
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {4096, 4096};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
    snprintf(path, sizeof path, "%s/out.png", dir);
    cr_expect_eq(img_save(path, &a, &err), -1);
    cr_expect(strstr(err.msg, "out.png") != NULL && strstr(err.msg, "write failed") != NULL,
              "got: %s", err.msg);
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
    cr_expect_eq(system(cmd), 0, "the folder must stay empty");
    img_free(&a);
}

/* Saving over an existing image replaces it whole, and leaves nothing else
 * in the folder (the unnamed file is linked under a temporary name, then
 * renamed over the old one). */
Test(img, save_replaces_an_existing_file_and_leaves_no_temporary)
{
    struct img a, b, got;
    struct err err;
    struct img_diff d;
    char path[128], cmd[256];
    snprintf(path, sizeof path, "%s/same.png", dir);
    cr_assert_eq(img_alloc(&a, 20, 10, 3, &err), 0);
    cr_assert_eq(img_alloc(&b, 20, 10, 3, &err), 0);
    fill_pattern(&b);
    cr_assert_eq(img_save(path, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(img_save(path, &b, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(path, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&got, &b, &d, &err), 0);
    cr_expect_eq(d.max_abs, 0, "the second save must win");
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = same.png", dir);
    cr_expect_eq(system(cmd), 0, "only same.png may be in the folder");
    img_free(&a);
    img_free(&b);
    img_free(&got);
}

Test(img, compare_reports_position_and_values)
{
    struct img a, b;
    struct err err;
    struct img_diff d;
    cr_assert_eq(img_alloc(&a, 5, 4, 3, &err), 0);
    cr_assert_eq(img_alloc(&b, 5, 4, 3, &err), 0);
    cr_assert_eq(img_compare(&a, &b, &d, &err), 0);
    cr_expect_eq(d.max_abs, 0);
    cr_expect(isinf(d.psnr));
    img_row(&a, 2)[3 * 3 + 1] = 9; /* pixel (3, 2), channel 1 */
    cr_assert_eq(img_compare(&a, &b, &d, &err), 0);
    cr_expect_eq(d.max_abs, 9);
    cr_expect(d.x == 3 && d.y == 2 && d.c == 1 && d.got == 9 && d.want == 0,
              "got (%d,%d) c%d %d/%d", d.x, d.y, d.c, d.got, d.want);
    struct img c;
    cr_assert_eq(img_alloc(&c, 5, 4, 4, &err), 0);
    cr_expect_eq(img_compare(&a, &c, &d, &err), -1, "shapes differ");
    img_free(&a);
    img_free(&b);
    img_free(&c);
}
