/* test_img.c - loading, saving and comparing images, and their error paths.
 *
 * The codecs (libjpeg-turbo, libpng, stb_image for the rest) are tested
 * through img.h: round trips, the quality asked for, and a message that says
 * the real reason for every kind of bad file. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <turbojpeg.h>

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

/* --- Codecs: libjpeg-turbo for JPEG, libpng for PNG (issue 9) ---------------- */

/* A noisy image: it does not compress, so a file cut in half is cut in its
 * pixel data, not in its header. */
static void fill_noise(struct img *im)
{
    srand(42);
    for (int y = 0; y < im->height; y++)
        for (int x = 0; x < im->width * im->channels; x++)
            img_row(im, y)[x] = (uint8_t)rand();
}

/* A small JPEG from libjpeg-turbo, malloc'ed. */
static unsigned char *make_jpeg(int width, int height, size_t *size)
{
    struct img a;
    struct err err;
    unsigned char *jpg;
    cr_assert_eq(img_alloc(&a, width, height, 3, &err), 0, "%s", err.msg);
    fill_noise(&a);
    cr_assert_eq(img_encode_jpeg(&a, 90, &jpg, size, &err), 0, "%s", err.msg);
    img_free(&a);
    return jpg;
}

/* Sets the size in a baseline JPEG's frame header (SOF0: FF C0, a 2-byte
 * length, the precision, then height and width, big-endian). Our encoder
 * writes DQT before SOF0, with values far below 0xFF, so the first FF C0 is
 * the frame header. */
static void set_jpeg_size(unsigned char *jpg, size_t size, unsigned width, unsigned height)
{
    for (size_t i = 2; i + 9 <= size; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC0) {
            jpg[i + 5] = (unsigned char)(height >> 8);
            jpg[i + 6] = (unsigned char)height;
            jpg[i + 7] = (unsigned char)(width >> 8);
            jpg[i + 8] = (unsigned char)width;
            return;
        }
    cr_assert_fail("no SOF0 marker in the JPEG");
}

/* A small PNG from libpng, malloc'ed, with the size in IHDR set to width x
 * height (IHDR's data starts at byte 16; its CRC is left stale, which the
 * size checks come before). */
static unsigned char *make_png_claiming(unsigned width, unsigned height, size_t *size)
{
    struct img a;
    struct err err;
    unsigned char *png;
    cr_assert_eq(img_alloc(&a, 8, 8, 3, &err), 0);
    cr_assert_eq(img_encode_png(&a, &png, size, &err), 0, "%s", err.msg);
    img_free(&a);
    const unsigned char be[8] = {width >> 24,  width >> 16,  width >> 8,  width,
                                 height >> 24, height >> 16, height >> 8, height};
    memcpy(png + 16, be, 8);
    return png;
}

Test(img, png_round_trip_of_an_rgb_photo_sized_image_is_lossless)
{
    struct img a, b;
    struct err err;
    struct img_diff d;
    unsigned char *png;
    size_t size;
    cr_assert_eq(img_alloc(&a, 301, 203, 3, &err), 0);
    fill_noise(&a);
    cr_assert_eq(img_encode_png(&a, &png, &size, &err), 0, "%s", err.msg);
    cr_assert(size > 8 && memcmp(png, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
    cr_assert_eq(img_load_memory(png, size, "noise.png", &b, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&b, &a, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d.max_abs, 0, "PNG must be lossless, max diff %d at (%d,%d)", d.max_abs, d.x, d.y);
    free(png);
    img_free(&a);
    img_free(&b);
}

/* The quality is the one asked for: a higher one keeps more of a noisy
 * image (a larger file, a higher PSNR), and both stay recognisable. */
Test(img, jpeg_quality_is_the_one_asked_for)
{
    struct img a, low, high;
    struct err err;
    struct img_diff dl, dh;
    char lo_path[128], hi_path[128];
    snprintf(lo_path, sizeof lo_path, "%s/q20.jpg", dir);
    snprintf(hi_path, sizeof hi_path, "%s/q95.JPEG", dir);
    cr_assert_eq(img_alloc(&a, 96, 64, 3, &err), 0);
    for (int y = 0; y < a.height; y++)
        for (int x = 0; x < a.width * 3; x++)
            img_row(&a, y)[x] = (uint8_t)(128 + 60 * sin(x * 0.2) * cos(y * 0.15));
    cr_assert_eq(img_save_quality(lo_path, &a, 20, &err), 0, "%s", err.msg);
    cr_assert_eq(img_save_quality(hi_path, &a, 95, &err), 0, "%s", err.msg);
    struct stat lo_st, hi_st;
    cr_assert_eq(stat(lo_path, &lo_st), 0);
    cr_assert_eq(stat(hi_path, &hi_st), 0);
    cr_expect_lt(lo_st.st_size, hi_st.st_size, "quality 20 (%lld bytes) against 95 (%lld bytes)",
                 (long long)lo_st.st_size, (long long)hi_st.st_size);
    cr_assert_eq(img_load(lo_path, &low, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(hi_path, &high, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&low, &a, &dl, &err), 0, "%s", err.msg);
    cr_assert_eq(img_compare(&high, &a, &dh, &err), 0, "%s", err.msg);
    cr_expect_gt(dh.psnr, dl.psnr, "PSNR at 95: %.1f, at 20: %.1f", dh.psnr, dl.psnr);
    cr_expect_gt(dh.psnr, 35.0, "quality 95 should be close, PSNR %.1f", dh.psnr);
    cr_expect_gt(dl.psnr, 20.0, "quality 20 should still look alike, PSNR %.1f", dl.psnr);

    cr_expect_eq(img_save_quality(lo_path, &a, 0, &err), -1, "quality 0 is out of range");
    cr_expect(strstr(err.msg, "q20.jpg") && strstr(err.msg, "quality 0"), "got: %s", err.msg);
    cr_expect_eq(img_save_quality(lo_path, &a, 101, &err), -1, "quality 101 is out of range");
    img_free(&a);
    img_free(&low);
    img_free(&high);
}

/* RGBA saved as JPEG loses its alpha (JPEG has none) and keeps its colours. */
Test(img, jpeg_of_an_rgba_image_drops_the_alpha)
{
    struct img a, b;
    struct err err;
    unsigned char *jpg;
    size_t size;
    cr_assert_eq(img_alloc(&a, 32, 32, 4, &err), 0);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 32; x++) {
            uint8_t *p = img_row(&a, y) + 4 * x;
            p[0] = 200, p[1] = 100, p[2] = 50, p[3] = (uint8_t)(x * 8);
        }
    cr_assert_eq(img_encode_jpeg(&a, 90, &jpg, &size, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load_memory(jpg, size, "rgba.jpg", &b, &err), 0, "%s", err.msg);
    cr_expect_eq(b.channels, 3);
    uint8_t *p = img_row(&b, 16) + 3 * 16;
    cr_expect(abs(p[0] - 200) <= 4 && abs(p[1] - 100) <= 4 && abs(p[2] - 50) <= 4,
              "colour %d,%d,%d", p[0], p[1], p[2]);
    free(jpg);
    img_free(&a);
    img_free(&b);
}

/* The format comes from the bytes, not the name. */
Test(img, format_is_read_from_the_content_not_the_name)
{
    struct img b;
    struct err err;
    char path[128];
    size_t size;
    unsigned char *jpg = make_jpeg(40, 30, &size);
    snprintf(path, sizeof path, "%s/really_a_jpeg.png", dir);
    write_bytes(path, jpg, size);
    cr_assert_eq(img_load(path, &b, &err), 0, "%s", err.msg);
    cr_expect(b.width == 40 && b.height == 30 && b.channels == 3, "%dx%dx%d", b.width, b.height,
              b.channels);
    img_free(&b);
    /* A JPEG after 0xFF fill bytes, which JPEG allows before a marker. */
    unsigned char *filled = malloc(size + 3);
    memset(filled, 0xFF, 3);
    memcpy(filled + 3, jpg, size);
    cr_assert_eq(img_load_memory(filled, size + 3, "filled.jpg", &b, &err), 0, "%s", err.msg);
    img_free(&b);
    free(filled);
    free(jpg);
}

/* Issue 11, reliability 5: the messages say the real reason. Before, a PNG
 * declaring 100000x100000 and a 0x0 PNG both said "not an image retreat can
 * read (unknown image type)", and a truncated PNG "cannot decode image ()". */
Test(img, png_too_large_empty_and_truncated_say_so)
{
    struct img im;
    struct err err;
    size_t size;
    unsigned char *png = make_png_claiming(100000, 100000, &size);
    cr_assert_eq(img_load_memory(png, size, "huge.png", &im, &err), -1);
    cr_expect(strstr(err.msg, "huge.png: image too large: 100000x100000") != NULL, "got: %s",
              err.msg);
    free(png);

    png = make_png_claiming(0, 0, &size);
    cr_assert_eq(img_load_memory(png, size, "zero.png", &im, &err), -1);
    cr_expect(strstr(err.msg, "zero.png: empty image") != NULL, "got: %s", err.msg);
    free(png);

    /* 12000 x 9000: each side within the limit, the area over it. */
    png = make_png_claiming(12000, 9000, &size);
    cr_assert_eq(img_load_memory(png, size, "wide.png", &im, &err), -1);
    cr_expect(strstr(err.msg, "image too large") && strstr(err.msg, "megapixels"), "got: %s",
              err.msg);
    free(png);

    struct img a;
    cr_assert_eq(img_alloc(&a, 200, 100, 3, &err), 0);
    fill_noise(&a);
    cr_assert_eq(img_encode_png(&a, &png, &size, &err), 0, "%s", err.msg);
    char want[128];
    snprintf(want, sizeof want, "half.png: truncated PNG: the file ends at byte %zu", size / 2);
    cr_assert_eq(img_load_memory(png, size / 2, "half.png", &im, &err), -1);
    cr_expect(strstr(err.msg, want) != NULL, "want '%s' in: %s", want, err.msg);
    /* Cut just before IEND (12 bytes): every chunk is whole, the end is not. */
    snprintf(want, sizeof want, "truncated PNG: the file ends at byte %zu, before the IEND",
             size - 12);
    cr_assert_eq(img_load_memory(png, size - 12, "noend.png", &im, &err), -1);
    cr_expect(strstr(err.msg, want) != NULL, "want '%s' in: %s", want, err.msg);
    free(png);
    img_free(&a);
}

/* The same for JPEG: libjpeg-turbo decodes a truncated JPEG "successfully"
 * with a warning, the missing part grey; that must be refused, and said. */
Test(img, jpeg_truncated_too_large_and_empty_say_so)
{
    struct img im;
    struct err err;
    size_t size;
    char want[160];
    unsigned char *jpg = make_jpeg(64, 48, &size);

    snprintf(want, sizeof want, "half.jpg: truncated JPEG: the file ends at byte %zu, in its image",
             size / 2);
    cr_assert_eq(img_load_memory(jpg, size / 2, "half.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, want) != NULL, "want '%s' in: %s", want, err.msg);
    cr_expect_null(im.pixels);

    cr_assert_eq(img_load_memory(jpg, 100, "head.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "head.jpg: truncated JPEG: the file ends at byte 100, in its header"),
              "got: %s", err.msg);

    set_jpeg_size(jpg, size, 60000, 60000);
    cr_assert_eq(img_load_memory(jpg, size, "huge.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "huge.jpg: image too large: 60000x60000") != NULL, "got: %s",
              err.msg);
    set_jpeg_size(jpg, size, 12000, 9000);
    cr_assert_eq(img_load_memory(jpg, size, "wide.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "megapixels") != NULL, "got: %s", err.msg);
    set_jpeg_size(jpg, size, 65535, 10); /* over libjpeg's own limit of 65500 */
    cr_assert_eq(img_load_memory(jpg, size, "max.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "max.jpg: image too large") != NULL, "got: %s", err.msg);
    set_jpeg_size(jpg, size, 0, 0);
    cr_assert_eq(img_load_memory(jpg, size, "zero.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "zero.jpg: empty image") != NULL, "got: %s", err.msg);
    free(jpg);
}

/* Damaged data in the middle of a whole file: libjpeg warns and carries on;
 * retreat refuses it and passes on libjpeg's words. */
Test(img, jpeg_with_damaged_data_is_refused_as_corrupt)
{
    struct img im;
    struct err err;
    size_t size;
    unsigned char *jpg = make_jpeg(64, 48, &size);
    /* A restart marker (FF D0) where none belongs, in the scan's data. */
    jpg[size - 40] = 0xFF;
    jpg[size - 39] = 0xD0;
    cr_assert_eq(img_load_memory(jpg, size, "damaged.jpg", &im, &err), -1);
    cr_expect(strstr(err.msg, "damaged.jpg: corrupt JPEG") && strstr(err.msg, "libjpeg: "),
              "got: %s", err.msg);
    free(jpg);
}

/* The codec libraries print nothing themselves: every word goes through
 * struct err, so `retreat blur` prints one line per bad file. */
Test(img, codecs_print_nothing_to_stderr)
{
    char path[128];
    snprintf(path, sizeof path, "%s/stderr.txt", dir);
    fflush(stderr);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(saved >= 0 && fd >= 0);
    dup2(fd, 2);
    close(fd);

    struct img im;
    struct err err;
    size_t size;
    unsigned char *jpg = make_jpeg(64, 48, &size);
    int truncated_jpeg = img_load_memory(jpg, size / 2, "half.jpg", &im, &err);
    jpg[size - 40] = 0xFF;
    jpg[size - 39] = 0xD0;
    int damaged_jpeg = img_load_memory(jpg, size, "damaged.jpg", &im, &err);
    free(jpg);
    unsigned char *png = make_png_claiming(8, 8, &size);
    png[45] ^= 0x55; /* in IDAT's compressed data */
    int bad_png = img_load_memory(png, size, "crc.png", &im, &err);
    free(png);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    cr_expect(truncated_jpeg == -1 && damaged_jpeg == -1 && bad_png == -1,
              "every damaged file must be refused");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_size, 0, "the codecs wrote %lld bytes to stderr", (long long)st.st_size);
}

/* A CMYK JPEG (as print workflows make) is refused by name. */
Test(img, cmyk_jpeg_is_refused_by_name)
{
    struct img im;
    struct err err;
    char path[128];
    snprintf(path, sizeof path, "%s/cmyk.jpg", dir);
    /* libjpeg-turbo's own tool makes one: a 4-channel TurboJPEG image in. */
    cr_assert_eq(img_alloc(&im, 16, 16, 4, &err), 0);
    unsigned char *jpg = NULL;
    unsigned long len = 0;
    tjhandle tj = tjInitCompress();
    cr_assert_not_null(tj);
    cr_assert_eq(tjCompress2(tj, im.pixels, 16, 0, 16, TJPF_CMYK, &jpg, &len, TJSAMP_444, 90, 0), 0,
                 "%s", tjGetErrorStr2(tj));
    tjDestroy(tj);
    img_free(&im);
    write_bytes(path, jpg, len);
    tjFree(jpg);
    cr_assert_eq(img_load(path, &im, &err), -1);
    cr_expect(strstr(err.msg, "cmyk.jpg: a CMYK JPEG") != NULL, "got: %s", err.msg);
}

/* Issue 11, reliability 1: open() of a FIFO for reading waits for a writer,
 * so `retreat blur` hung forever on a FIFO named x.png. img_load must refuse
 * it at once. It runs in a child under alarm(): if the bug comes back the
 * child is killed and the test fails instead of hanging the suite. */
Test(img, fifo_is_refused_without_hanging)
{
    char path[128];
    snprintf(path, sizeof path, "%s/x.png", dir);
    cr_assert_eq(mkfifo(path, 0644), 0, "mkfifo: %s", strerror(errno));
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        alarm(30); /* a guard against the hang, not a measure of speed */
        struct img im;
        struct err err = {{0}};
        int rc = img_load(path, &im, &err);
        dprintf(fds[1], "%d %s", rc, err.msg);
        _exit(0);
    }
    close(fds[1]);
    char msg[ERR_MSG_MAX + 16] = "";
    ssize_t n, got = 0;
    while ((n = read(fds[0], msg + got, sizeof msg - 1 - (size_t)got)) > 0)
        got += n;
    msg[got] = '\0';
    close(fds[0]);
    int ws;
    cr_assert_eq(waitpid(pid, &ws, 0), pid);
    cr_assert(!(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGALRM),
              "img_load hung on a FIFO (killed by the 30 s guard)");
    cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "the child crashed");
    cr_expect(strncmp(msg, "-1 ", 3) == 0, "img_load did not fail: %s", msg);
    cr_expect(strstr(msg, "x.png: not a regular file (a FIFO)") != NULL, "got: %s", msg);
}

/* A folder is not an image either, and says so. */
Test(img, folder_is_not_a_regular_file)
{
    struct img im;
    struct err err;
    cr_assert_eq(img_load(dir, &im, &err), -1);
    cr_expect(strstr(err.msg, "not a regular file (a folder)") != NULL, "got: %s", err.msg);
}

/* A 16-bit PNG without gamma information is reduced to 8 bits as it is,
 * v * 255 / 65535, not taken for linear light and converted to sRGB (which
 * libpng's simplified API does, making it lighter: 0x3080 came out as 120,
 * not 48). The file: 16x16 grey ramp, sample (x, y) = (16x + y) * 256 + 128. */
Test(img, png_16_bit_is_scaled_not_gamma_converted)
{
    const char *path = "tests/fuzz/corpus/fuzz_img/rgb16_ramp.png";
    struct img im;
    struct err err;
    cr_assert_eq(img_load(path, &im, &err), 0, "%s (run the tests from the top folder)", err.msg);
    cr_assert(im.width == 16 && im.height == 16 && im.channels == 3);
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 16; x++) {
            int v = (16 * x + y) * 256 + 128, want = (v * 255 + 32767) / 65535;
            const uint8_t *p = img_row(&im, y) + 3 * x;
            cr_assert(abs(p[0] - want) <= 1 && p[0] == p[1] && p[1] == p[2],
                      "(%d,%d): got %d,%d,%d, want %d", x, y, p[0], p[1], p[2], want);
        }
    img_free(&im);
}

/* 1 if the JPEG has a progressive frame header (SOF2, FF C2). Markers are
 * never split by entropy-coded data (an FF there is followed by 00). */
static int is_progressive(const unsigned char *jpg, size_t size)
{
    for (size_t i = 0; i + 1 < size; i++)
        if (jpg[i] == 0xFF && jpg[i + 1] == 0xC2)
            return 1;
    return 0;
}

static unsigned char *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    unsigned char *buf = malloc(1 << 20);
    *size = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* Like the workshop photos: a progressive JPEG, rewritten as a baseline
 * one, decodes to the very same pixels (no decoding, no requantising). */
Test(img, progressive_jpeg_rewritten_as_baseline_keeps_every_pixel)
{
    size_t size;
    unsigned char *jpg = make_jpeg(333, 211, &size); /* odd sizes: partial blocks */
    tjhandle tj = tjInitTransform();
    unsigned char *prog = NULL;
    unsigned long prog_size = 0;
    tjtransform xf = {.op = TJXOP_NONE, .options = TJXOPT_PROGRESSIVE};
    cr_assert_eq(tjTransform(tj, jpg, size, 1, &prog, &prog_size, &xf, 0), 0, "%s",
                 tjGetErrorStr2(tj));
    tjDestroy(tj);
    cr_assert(is_progressive(prog, prog_size));

    char from[128], to[128];
    snprintf(from, sizeof from, "%s/progressive.jpg", dir);
    snprintf(to, sizeof to, "%s/baseline.jpg", dir);
    write_bytes(from, prog, prog_size);
    tjFree(prog);
    free(jpg);

    struct err err;
    cr_assert_eq(img_jpeg_rewrite_baseline(from, to, &err), 0, "%s", err.msg);
    size_t out_size;
    unsigned char *out = read_all(to, &out_size);
    cr_expect_not(is_progressive(out, out_size), "the copy is still progressive");
    free(out);

    struct img a, b;
    cr_assert_eq(img_load(from, &a, &err), 0, "%s", err.msg);
    cr_assert_eq(img_load(to, &b, &err), 0, "%s", err.msg);
    struct img_diff d;
    cr_assert_eq(img_compare(&a, &b, &d, &err), 0, "%s", err.msg);
    cr_expect_eq(d.max_abs, 0, "pixel (%d,%d) changed from %d to %d", d.x, d.y, d.want, d.got);
    img_free(&a);
    img_free(&b);
}

/* A damaged or truncated photo is refused by name, and no copy is left. */
Test(img, baseline_rewrite_of_a_bad_jpeg_names_it_and_writes_nothing)
{
    size_t size;
    unsigned char *jpg = make_jpeg(64, 48, &size);
    char from[128], to[128];
    struct err err;
    struct stat st;
    snprintf(from, sizeof from, "%s/half.jpg", dir);
    snprintf(to, sizeof to, "%s/copy.jpg", dir);
    write_bytes(from, jpg, size / 2);
    cr_assert_eq(img_jpeg_rewrite_baseline(from, to, &err), -1);
    cr_expect(strstr(err.msg, "half.jpg: ") && strstr(err.msg, "truncated"), "got: %s", err.msg);
    cr_expect_neq(stat(to, &st), 0, "a copy was left behind");

    snprintf(from, sizeof from, "%s/notes.jpg", dir);
    write_bytes(from, "not a photo", 11);
    cr_assert_eq(img_jpeg_rewrite_baseline(from, to, &err), -1);
    cr_expect(strstr(err.msg, "notes.jpg: not a JPEG"), "got: %s", err.msg);
    cr_expect_neq(stat(to, &st), 0, "a copy was left behind");
    free(jpg);
}
