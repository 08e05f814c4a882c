/* fuzz_img.c - libFuzzer target: image decoding through img_load_memory.
 *
 * Photos given to `retreat blur` are untrusted files. img_load_memory must
 * either decode one into an image within the limits of img.h or fail with a
 * message; it must never read out of bounds, crash, or allocate beyond
 * IMG_MAX_PIXELS (the fuzz-smoke run caps memory with -rss_limit_mb, so a
 * decompression bomb that slipped past the header check would show up).
 *
 * What a successful decode promises is checked too: sizes within the limits,
 * 3 or 4 channels, a tight stride, and a pixel buffer as long as promised.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "img.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct img im;
    struct err err = {0};
    if (img_load_memory(data, size, "fuzz", &im, &err) != 0) {
        if (err.msg[0] == '\0')
            abort(); /* a failure must say why */
        return 0;
    }
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
    img_free(&im);
    return 0;
}
