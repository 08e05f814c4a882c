/* img_codec.h - the codecs behind img.h; only img*.c include this.
 *
 * img.c tells the formats apart by their first bytes and hands JPEG to
 * img_jpeg.c (libjpeg-turbo's TurboJPEG API) and PNG to img_png.c (libpng);
 * stb_image, in img.c, reads the rest (BMP, TGA, GIF). Each codec works on
 * bytes in memory: img.c reads the file and writes it atomically.
 *
 * Decoders check the size from the header with img_check_size *before*
 * allocating pixels, return images with a tight stride and malloc'ed pixels
 * (img_free frees them), and put the reason of a failure in err without the
 * file's name: img_load_memory adds it. Encoders return a malloc'ed buffer.
 */
#ifndef RETREAT_IMG_CODEC_H
#define RETREAT_IMG_CODEC_H

#include <stddef.h>

#include "err.h"
#include "img.h"

/* The limits of img.h: width and height within IMG_MAX_SIDE and
 * IMG_MAX_PIXELS, not zero, 3 or 4 channels. Says which one is broken. */
int img_check_size(int width, int height, int channels, struct err *err);

/* 1 if data starts like a JPEG (the SOI marker FF D8, perhaps after fill
 * bytes 0xFF, as stb_image and libjpeg's marker reader allow); *skip is then
 * the number of fill bytes before the FF D8 that libjpeg must start at. */
int img_jpeg_sniff(const unsigned char *data, size_t size, size_t *skip);

/* Decodes a JPEG (RGB or greyscale; always 3 channels out). */
int img_jpeg_decode(const unsigned char *data, size_t size, struct img *im, struct err *err);

/* Encodes im as a baseline JPEG at quality 1..100 with 4:2:0 chroma
 * subsampling (an alpha channel is dropped). */
int img_jpeg_encode(const struct img *im, int quality, unsigned char **out, size_t *size,
                    struct err *err);

/* Rewrites a JPEG as a baseline (sequential) one without decoding it: its
 * DCT coefficients are copied as they are (libjpeg's lossless transform),
 * so an intact file decodes to exactly the same pixels (damaged data may be
 * read differently by the transform and the decoder: the fuzzer found one). Used for progressive
 * JPEGs, which decode about three times slower (see photos.c). *out is
 * malloc'ed. */
int img_jpeg_baseline(const unsigned char *data, size_t size, unsigned char **out, size_t *out_size,
                      struct err *err);

/* 1 if data starts with the 8-byte PNG signature. */
int img_png_sniff(const unsigned char *data, size_t size);

/* Decodes a PNG of any colour type and depth into 8-bit RGB, or RGBA if it
 * has transparency (an alpha channel or a tRNS chunk). */
int img_png_decode(const unsigned char *data, size_t size, struct img *im, struct err *err);

/* Encodes im as a PNG, fast rather than small (see img_png.c for the zlib
 * level and the filter). */
int img_png_encode(const struct img *im, unsigned char **out, size_t *size, struct err *err);

#endif
