/* fuzz_img.c - libFuzzer target: image decoding through img_load_memory, and
 * re-encoding what it decodes.
 *
 * Photos given to `retreat blur` are untrusted files. img_load_memory must
 * either decode one into an image within the limits of img.h or fail with a
 * message; it must never read out of bounds, crash, print, or allocate
 * beyond IMG_MAX_PIXELS (the fuzz-smoke run caps memory with -rss_limit_mb,
 * so a decompression bomb that slipped past the header check would show up).
 * Every decoder is reached: JPEG (libjpeg-turbo's TurboJPEG), PNG (libpng),
 * and BMP, TGA, GIF (stb_image, compiled in: tests/fuzz/stb.c). Debian's
 * libturbojpeg and libpng are linked as they are, without coverage, so the
 * fuzzer steers through our code around them (the sniffing, the header and
 * chunk checks, the handling of their errors and warnings); ASan still
 * checks every buffer we hand them and get back.
 *
 * What a successful decode promises is checked too: sizes within the limits,
 * 3 or 4 channels, a tight stride, and a pixel buffer as long as promised.
 * A small decoded image is then encoded again: as PNG it must decode to the
 * very same pixels, as JPEG to an image of the same size.
 *
 * Every input is also given to img_jpeg_baseline (the rewrite the workshop
 * photos get, photos.h): it fails with a message, or writes a JPEG that,
 * when the input decoded, decodes to an image of the same size, if at all.
 * Not to the same pixels: on damaged data the transform and the decoder may
 * read the damage differently (the fuzzer found a grayscale JPEG with a
 * bogus Huffman table whose second block came out different); the pixels
 * are the same for intact JPEGs, which test_img.c and test_photos.c check.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "img.h"
#include "img_codec.h"

/* Re-encoding is only tried on images up to this many pixels: enough to
 * cover the encoders' paths, small enough to keep the fuzzer fast. */
#define ROUND_TRIP_MAX_PIXELS 4096

static void round_trip(const struct img *im)
{
    struct err err = {0};
    unsigned char *data;
    size_t size;
    struct img back;
    struct img_diff d;
    if (img_encode_png(im, &data, &size, &err) != 0)
        abort(); /* a valid image must always encode */
    if (img_load_memory(data, size, "round trip.png", &back, &err) != 0 ||
        img_compare(&back, im, &d, &err) != 0 || d.max_abs != 0)
        abort(); /* PNG is lossless */
    img_free(&back);
    free(data);
    if (img_encode_jpeg(im, 90, &data, &size, &err) != 0)
        abort();
    if (img_load_memory(data, size, "round trip.jpg", &back, &err) != 0 ||
        back.width != im->width || back.height != im->height || back.channels != 3)
        abort();
    img_free(&back);
    free(data);
}

/* The baseline rewrite of the input; im is its decoded image, or NULL. */
static void baseline(const uint8_t *data, size_t size, const struct img *im)
{
    struct err err = {0};
    unsigned char *out;
    size_t out_size;
    if (img_jpeg_baseline(data, size, &out, &out_size, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* a failure must say why */
        return;
    }
    struct img back;
    if (im != NULL && img_load_memory(out, out_size, "baseline.jpg", &back, &err) == 0) {
        if (back.width != im->width || back.height != im->height || back.channels != im->channels)
            abort(); /* the frame header is copied as it is */
        img_free(&back);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct img im;
    struct err err = {0};
    if (img_load_memory(data, size, "fuzz", &im, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* a failure must say why */
        baseline(data, size, NULL);
        return 0;
    }
    if (img_jpeg_sniff(data, size, &(size_t){0}))
        baseline(data, size, &im);
    if (im.width <= 0 || im.height <= 0 || im.width > IMG_MAX_SIDE || im.height > IMG_MAX_SIDE ||
        (uint64_t)im.width * (uint64_t)im.height > IMG_MAX_PIXELS ||
        (im.channels != 3 && im.channels != 4) ||
        im.stride != (size_t)im.width * (size_t)im.channels)
        abort();
    /* The first and last sample of every row: ASan checks that the buffer
     * really holds height rows of stride bytes (all of them would be slow). */
    volatile uint8_t sink = 0;
    for (int y = 0; y < im.height; y++)
        sink ^= img_row(&im, y)[0] ^ img_row(&im, y)[im.stride - 1];
    (void)sink;
    if ((uint64_t)im.width * (uint64_t)im.height <= ROUND_TRIP_MAX_PIXELS)
        round_trip(&im);
    img_free(&im);
    return 0;
}
