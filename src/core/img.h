/* img.h - the image type of retreat, and loading, saving and comparing images.
 *
 * One image type for the whole toolkit: 8-bit samples, 3 (RGB) or 4 (RGBA)
 * interleaved channels, rows `stride` bytes apart. The stride is explicit so
 * that a view of some rows, or a row padded for alignment, is still an image.
 *
 * Loading tells the format from the file's first bytes, not its name: JPEG
 * through libjpeg-turbo, PNG through libpng, BMP, TGA and GIF (first frame)
 * through stb_image. It refuses images over IMG_MAX_SIDE or IMG_MAX_PIXELS
 * *before* decoding them, so a 100-byte "decompression bomb" cannot make us
 * allocate gigabytes, and says what is wrong: empty, too large, truncated at
 * byte N, corrupt (with the library's words).
 *
 * Saving writes PNG (libpng, fast zlib level) or JPEG (libjpeg-turbo, 4:2:0,
 * quality IMG_JPEG_QUALITY unless told), chosen by the file's extension. The
 * image is encoded in memory, then written into an unnamed temporary file
 * (O_TMPFILE) that is named and renamed into place only once complete, so a
 * crash, Ctrl-C or a full disk never leaves a half-written image under the
 * real name, nor a temporary one behind.
 */
#ifndef RETREAT_IMG_H
#define RETREAT_IMG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IMG_MAX_SIDE 32768                  /* pixels, width or height */
#define IMG_MAX_PIXELS (100u * 1000 * 1000) /* 100 megapixels */
#define IMG_MAX_FILE (512u * 1024 * 1024)   /* bytes read from one image file */
#define IMG_JPEG_QUALITY 90                 /* default JPEG quality, 1..100 */

/* The formats retreat writes. AUTO: whatever the context says (for
 * `retreat blur`, the input's own: see batch_output_path). */
enum img_format {
    IMG_FORMAT_AUTO = 0,
    IMG_FORMAT_PNG,
    IMG_FORMAT_JPEG,
};

struct img {
    int width;
    int height;
    int channels;    /* 3 (RGB) or 4 (RGBA) */
    size_t stride;   /* bytes from one row to the next, >= width * channels */
    uint8_t *pixels; /* height rows of stride bytes; owned by the image */
};

/* Allocates a zeroed width x height image with the given channels (3 or 4)
 * and a tight stride. Fails on sizes outside the limits above. */
int img_alloc(struct img *im, int width, int height, int channels, struct err *err);

/* Allocates an image of the same size and channels as like. */
int img_alloc_like(struct img *im, const struct img *like, struct err *err);

/* Frees the pixels and zeroes the struct; safe on a zeroed or freed image. */
void img_free(struct img *im);

/* Address of row y. */
static inline uint8_t *img_row(const struct img *im, int y)
{
    return im->pixels + (size_t)y * im->stride;
}

/* Decodes an image file. Images with transparency keep 4 channels; all others
 * are RGB. Errors name the file and the reason (missing, not a regular file,
 * not an image, empty, too large, truncated at byte N, corrupt). */
int img_load(const char *path, struct img *im, struct err *err);

/* Decodes an image held in memory; `name` is used in error messages. */
int img_load_memory(const void *data, size_t size, const char *name, struct img *im,
                    struct err *err);

/* Writes a PNG (.png) or JPEG (.jpg, .jpeg, at IMG_JPEG_QUALITY) chosen by
 * path's extension, atomically: an unnamed file in the same folder, then
 * linkat(2) and rename(2). Replaces an existing file of that name. */
int img_save(const char *path, const struct img *im, struct err *err);

/* img_save with the JPEG quality given, 1..100 (ignored for a PNG). */
int img_save_quality(const char *path, const struct img *im, int jpeg_quality, struct err *err);

/* Writes the JPEG file `from` again as a baseline JPEG named `to`, without
 * decoding it: same pixels, one scan instead of a progressive file's many
 * (see img_jpeg.c). Written atomically, like img_save. Errors name the file. */
int img_jpeg_rewrite_baseline(const char *from, const char *to, struct err *err);

/* Encodes an image as PNG into a malloc'ed buffer (*out, *size). */
int img_encode_png(const struct img *im, unsigned char **out, size_t *size, struct err *err);

/* Encodes an image as JPEG (quality 1..100, 4:2:0; alpha is dropped) into a
 * malloc'ed buffer (*out, *size). */
int img_encode_jpeg(const struct img *im, int quality, unsigned char **out, size_t *size,
                    struct err *err);

/* How far apart two images of the same shape are. */
struct img_diff {
    int max_abs;   /* largest |a - b| over all samples */
    int x, y, c;   /* where it was found (first occurrence) */
    int got, want; /* the two sample values there */
    double psnr;   /* peak signal-to-noise ratio in dB; INFINITY if identical */
};

/* Compares a to b sample by sample. Fails if their shapes differ. */
int img_compare(const struct img *a, const struct img *b, struct img_diff *diff, struct err *err);

#endif
