/* img_png.c - PNG decoding and encoding through libpng; see img_codec.h.
 *
 * Both directions use libpng's classic API. Its errors arrive through
 * on_error, which keeps the message and jumps back to a setjmp() inside
 * read_png or write_png, so nothing is printed and no jump leaves this file.
 * (libpng's "simplified API" would have been shorter, but it takes a 16-bit
 * PNG without gamma information to be linear light and converts it to sRGB,
 * making the picture lighter; we reduce 16-bit samples to 8 bits as they
 * are, as stb_image did, and leave gamma alone.)
 *
 * Before libpng reads anything we look at two things ourselves, to say what
 * is wrong in plain words: the size in the IHDR chunk (empty, or over the
 * limits of img.h: refused before any allocation), and whether every chunk
 * fits in the file (if not, the file was cut short: "truncated at byte N").
 *
 * Encoding uses the full write API with zlib's fastest settings and one
 * cheap filter (see write_png): the point of `retreat blur` is to watch the
 * blur, and libpng's defaults (zlib level 6, every filter tried on every
 * row) spent more time compressing a photo than blurring it.
 */
#include "img_codec.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <zlib.h>

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

int img_png_sniff(const unsigned char *data, size_t size)
{
    return size >= 8 && memcmp(data, png_signature, 8) == 0;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A chunk type for a message: its four letters, or "?" if they are not. */
static void chunk_name(const unsigned char *p, char name[5])
{
    for (int k = 0; k < 4; k++) {
        unsigned char c = p[k];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) {
            snprintf(name, 5, "?");
            return;
        }
        name[k] = (char)c;
    }
    name[4] = '\0';
}

/* The size the IHDR chunk declares, checked against the limits. A file too
 * short to hold IHDR is left to the walk below ("truncated"). */
static int check_header_size(const unsigned char *p, size_t n, struct err *err)
{
    if (n < 24 || memcmp(p + 12, "IHDR", 4) != 0)
        return 0;
    uint32_t width = be32(p + 16), height = be32(p + 20);
    if (width == 0 || height == 0)
        return err_set(
            err, "empty image: the PNG header says it has zero size (%" PRIu32 "x%" PRIu32 ")",
            width, height);
    /* Over INT_MAX would not fit img_check_size's ints: refuse here. */
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
        return err_set(err,
                       "image too large: %" PRIu32 "x%" PRIu32
                       " is larger than the limit of %d pixels a side",
                       width, height, IMG_MAX_SIDE);
    return img_check_size((int)width, (int)height, 3, err);
}

/* Every chunk is a 4-byte big-endian length, a 4-byte type, the data and a
 * 4-byte CRC, up to IEND. A chunk that does not fit, or no IEND before the
 * end of the file, means the file was cut short. Returns 0 if it was not. */
static int check_truncation(const unsigned char *p, size_t n, struct err *err)
{
    for (size_t i = 8;;) {
        if (i == n)
            return err_set(err,
                           "truncated PNG: the file ends at byte %zu, before the IEND "
                           "chunk that ends every PNG",
                           n);
        if (n - i < 8)
            return err_set(err, "truncated PNG: the file ends at byte %zu, inside a chunk header",
                           n);
        uint64_t need = 12 + (uint64_t)be32(p + i);
        char name[5];
        chunk_name(p + i + 4, name);
        if (need > n - i)
            return err_set(err,
                           "truncated PNG: the file ends at byte %zu, inside its %s chunk, which "
                           "runs past the end of the file (%zu of its %" PRIu64 " bytes are there)",
                           n, name, n - i, need);
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            return 0;
        i += (size_t)need;
    }
}

/* The first error libpng reported, for the message. */
struct png_msg {
    char text[256];
};

/* libpng calls this for an error and must not get control back (it would
 * then print the message itself and abort): keep the message, jump back to
 * the setjmp in read_png or write_png. */
static void on_error(png_structp png, png_const_charp msg)
{
    struct png_msg *m = png_get_error_ptr(png);
    snprintf(m->text, sizeof m->text, "%s", msg);
    png_longjmp(png, 1);
}

/* Warnings concern ancillary chunks (a bad CRC, a bad text chunk), which
 * libpng then skips; the pixels are not affected. Not printed. */
static void on_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* --- Decoding ---------------------------------------------------------------- */

/* The file in memory, and what read_png allocates (here, not in its own
 * locals, so that it can be freed after a jump back to its setjmp). */
struct png_in {
    const unsigned char *data;
    size_t size, pos;
    uint8_t *pixels;
    png_bytep *rows;
    struct png_msg msg;
    int refused; /* err is set: the size is out of the limits */
};

static void on_read(png_structp png, png_bytep out, size_t len)
{
    struct png_in *in = png_get_io_ptr(png);
    if (len > in->size - in->pos)
        png_error(png, "read past the end of the file");
    memcpy(out, in->data + in->pos, len);
    in->pos += len;
}

/* Everything that can longjmp, in a function of its own: none of its locals
 * changes between setjmp and a jump back, so none is left indeterminate. */
static int read_png(png_structp png, png_infop info, struct png_in *in, struct img *im,
                    struct err *err)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_read_fn(png, in, on_read);
    png_read_info(png, info);
    /* To 8-bit RGB or RGBA: palettes and low bit depths expanded, a tRNS
     * chunk made an alpha channel, 16-bit samples scaled (v * 255 / 65535,
     * rounded), grey copied into R, G and B. No gamma conversion. */
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    int channels = png_get_channels(png, info);
    /* The header was checked before libpng saw the file; check what libpng
     * read too, before allocating, in case the two ever disagree. */
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE ||
        img_check_size((int)width, (int)height, channels, err) != 0) {
        if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
            err_set(err, "image too large (%" PRIu32 "x%" PRIu32 ")", width, height);
        in->refused = 1;
        return -1;
    }
    size_t stride = (size_t)width * (size_t)channels;
    in->pixels = malloc(stride * height);
    in->rows = malloc(height * sizeof *in->rows);
    if (in->pixels == NULL || in->rows == NULL)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++)
        in->rows[y] = in->pixels + y * stride;
    png_read_image(png, in->rows);
    png_read_end(png, NULL); /* the chunks after the pixels, up to IEND */
    *im = (struct img){(int)width, (int)height, channels, stride, in->pixels};
    in->pixels = NULL;
    return 0;
}

int img_png_decode(const unsigned char *data, size_t size, struct img *im, struct err *err)
{
    memset(im, 0, sizeof *im);
    if (!img_png_sniff(data, size))
        return err_set(err, "not a PNG (no PNG signature)");
    if (check_header_size(data, size, err) != 0 || check_truncation(data, size, err) != 0)
        return -1;

    struct png_in in = {.data = data, .size = size};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &in.msg, on_error, on_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return err_set(err, "out of memory for the PNG decoder");
    }
    int rc = read_png(png, info, &in, im, err);
    png_destroy_read_struct(&png, &info, NULL);
    free(in.pixels);
    free(in.rows);
    if (rc != 0 && !in.refused)
        return err_set(err, "corrupt PNG (libpng: %s)", in.msg.text);
    return rc;
}

/* --- Encoding ---------------------------------------------------------------- */

/* Where libpng's output goes: a growing buffer; and the first error. */
struct png_out {
    unsigned char *data;
    size_t size, cap;
    struct png_msg msg;
};

static void on_write(png_structp png, png_bytep data, size_t len)
{
    struct png_out *o = png_get_io_ptr(png);
    if (len > o->cap - o->size) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap - o->size < len)
            cap *= 2;
        unsigned char *p = realloc(o->data, cap);
        if (p == NULL)
            png_error(png, "out of memory");
        o->data = p;
        o->cap = cap;
    }
    memcpy(o->data + o->size, data, len);
    o->size += len;
}

static void on_flush(png_structp png)
{
    (void)png;
}

/* Everything that can longjmp, in a function of its own: none of its locals
 * changes between setjmp and a jump back, so none is left indeterminate. */
static int write_png(png_structp png, png_infop info, const struct img *im, struct png_out *o)
{
    if (setjmp(png_jmpbuf(png)))
        return -1;
    png_set_write_fn(png, o, on_write, on_flush);
    png_set_IHDR(png, info, (png_uint_32)im->width, (png_uint_32)im->height, 8,
                 im->channels == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    /* The Up filter on every row (each byte minus the one above it) and
     * zlib's Z_RLE strategy at level 1. Rows of a photo, and even more of a
     * blurred one, are nearly equal to the row above, so Up leaves mostly
     * zeros and small numbers in runs; Z_RLE only looks for runs (a match
     * one byte back) instead of searching a hash table for earlier strings,
     * which is what costs time in deflate. libpng's default (level 6, all
     * five filters tried on every row, the best kept) took about 7x longer
     * on a 12-megapixel photo. Of Sub, Up, Paeth and adaptive at level 1,
     * with and without Z_RLE, Up + Z_RLE was as fast as any and made the
     * smallest files (4.8 MB for the blurred photo against 4.6 MB for the
     * default, measured on a shared machine). */
    png_set_compression_level(png, Z_BEST_SPEED);
    png_set_compression_strategy(png, Z_RLE);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_write_info(png, info);
    for (int y = 0; y < im->height; y++)
        png_write_row(png, img_row(im, y));
    png_write_end(png, info);
    return 0;
}

int img_png_encode(const struct img *im, unsigned char **out, size_t *size, struct err *err)
{
    if (img_check_size(im->width, im->height, im->channels, err) != 0)
        return err_prefix(err, "cannot encode: ");
    struct png_out o = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &o.msg, on_error, on_warning);
    png_infop info = png != NULL ? png_create_info_struct(png) : NULL;
    if (info == NULL) {
        png_destroy_write_struct(&png, NULL);
        return err_set(err, "PNG encoding failed (out of memory)");
    }
    int rc = write_png(png, info, im, &o);
    png_destroy_write_struct(&png, &info);
    if (rc != 0) {
        free(o.data);
        return err_set(err, "PNG encoding failed (libpng: %s)", o.msg.text);
    }
    *out = o.data;
    *size = o.size;
    return 0;
}
