/* img_jpeg.c - JPEG decoding and encoding through libjpeg-turbo; see img_codec.h.
 *
 * Why libjpeg-turbo: a 12-megapixel photo took stb_image_write about 410 ms
 * to encode, two thirds of what the linear style spent on it, so the codec,
 * not the blur, was what a learner saw on the timeline. libjpeg-turbo's SIMD
 * code does the same work several times faster.
 *
 * We use its TurboJPEG API (turbojpeg.h), which wraps libjpeg's setjmp-based
 * error handling: every call returns -1 on failure, the reason is read with
 * tjGetErrorStr2(), nothing is printed to stderr and nothing longjmps out
 * into our code. One tjhandle per call: handles are not thread-safe, and
 * creating one costs a few kilobytes, nothing next to a photo.
 *
 * Warnings. libjpeg carries on past damaged data: a truncated file decodes
 * to the end, the missing part filled with grey, and TurboJPEG then returns
 * -1 with tjGetErrorCode() == TJERR_WARNING. We decode with
 * TJFLAG_STOPONWARNING and refuse every warning: blurring a picture that is
 * half grey and writing it out as if all went well would hide the damage,
 * and stopping at the first warning also makes a tiny file claiming a huge
 * image cheap to refuse. The warning that the data ran out is reported as
 * "truncated: the file ends at byte N"; any other one as "corrupt JPEG
 * data", with libjpeg's words. (A few cameras write JPEGs that libjpeg
 * warns about but can show; retreat refuses those too, and says why.)
 */
#include "img_codec.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include <turbojpeg.h>

int img_jpeg_sniff(const unsigned char *data, size_t size, size_t *skip)
{
    /* libjpeg wants FF D8 at offset 0; stb_image, which read our JPEGs
     * before, also skipped 0xFF fill bytes first. Both are taken here, so
     * that no JPEG ever reaches stb_image (whose JPEG reader in Debian 12's
     * 2.27 has known flaws, see tests/unit/test_regress.c). */
    size_t fill = 0;
    while (fill < size && data[fill] == 0xFF)
        fill++;
    if (fill == 0 || fill == size || data[fill] != 0xD8)
        return 0;
    *skip = fill - 1;
    return 1;
}

/* The reason a TurboJPEG call failed (or warned), as a sentence. total is
 * the size of the whole file, for "truncated at byte N"; where says which
 * part of the file was being read. */
static int jpeg_failure(tjhandle tj, size_t total, const char *where, struct err *err)
{
    const char *why = tjGetErrorStr2(tj);
    /* libjpeg's source manager warns "Premature end of JPEG file"
     * (JWRN_JPEG_EOF in jerror.h) when the data runs out before the image
     * does; its other warnings are about damaged data. */
    if (tjGetErrorCode(tj) == TJERR_WARNING && strcmp(why, "Premature end of JPEG file") == 0)
        return err_set(err, "truncated JPEG: the file ends at byte %zu, in its %s (libjpeg: %s)",
                       total, where, why);
    /* libjpeg's words for a frame header with a zero side and for one over
     * its own limit of 65500 pixels (JERR_EMPTY_IMAGE, JERR_IMAGE_TOO_BIG in
     * jerror.h); quoted in full in any case. */
    if (strncmp(why, "Empty JPEG image", 16) == 0)
        return err_set(err, "empty image: the JPEG header says it has zero size (libjpeg: %s)",
                       why);
    if (strncmp(why, "Maximum supported image dimension", 33) == 0)
        return err_set(err,
                       "image too large: larger than the limit of %d pixels a side (libjpeg: %s)",
                       IMG_MAX_SIDE, why);
    if (tjGetErrorCode(tj) == TJERR_WARNING)
        return err_set(err, "corrupt JPEG data in its %s (libjpeg: %s)", where, why);
    return err_set(err, "corrupt JPEG (libjpeg: %s, in its %s)", why, where);
}

/* The decoded pixels, tens of MB for a camera photo, get the huge-page hint
 * (mem.h): decoding the eight workshop photos in a loop took 15% less CPU
 * with it (0.88 s against 1.03, best of 5); with TJFLAG_FASTUPSAMPLE below,
 * linear's decode phase in `retreat bench` went from 0.86-0.88 s to
 * 0.79-0.82 s (a shared machine: roughly). */

int img_jpeg_decode(const unsigned char *data, size_t size, struct img *im, struct err *err)
{
    memset(im, 0, sizeof *im);
    size_t total = size, skip = 0;
    if (!img_jpeg_sniff(data, size, &skip))
        return err_set(err, "not a JPEG (no SOI marker)");
    data += skip;
    size -= skip;

    tjhandle tj = tjInitDecompress();
    if (tj == NULL)
        return err_set(err, "cannot start the JPEG decoder (%s)", tjGetErrorStr2(NULL));
    int rc = -1, width = 0, height = 0, subsamp, colorspace;
    uint8_t *pixels = NULL;
    /* The header gives the size before any pixel is allocated. A file cut
     * inside its header can still "succeed" here, with a warning and no
     * frame (0x0): hence the checks after a success too. */
    if (tjDecompressHeader3(tj, data, size, &width, &height, &subsamp, &colorspace) != 0 ||
        tjGetErrorCode(tj) == TJERR_WARNING) {
        jpeg_failure(tj, total, "header", err);
        goto done;
    }
    if (width == 0 || height == 0) {
        err_set(err, "empty image: the JPEG has no frame (only tables), so no pixels");
        goto done;
    }
    if (colorspace == TJCS_CMYK || colorspace == TJCS_YCCK) {
        err_set(err, "a CMYK JPEG; retreat reads RGB and greyscale JPEGs");
        goto done;
    }
    if (img_check_size(width, height, 3, err) != 0)
        goto done;
    pixels = malloc((size_t)width * 3 * (size_t)height);
    if (pixels == NULL) {
        err_set(err, "out of memory for a %dx%d image", width, height);
        goto done;
    }
    mem_huge_hint(pixels, (size_t)width * 3 * (size_t)height);
    /* LIMITSCANS: refuse a progressive JPEG of more than 500 scans, which
     * can make libjpeg work for minutes on a few kilobytes.
     *
     * FASTUPSAMPLE: most photos store colour at half resolution (4:2:0);
     * by default libjpeg interpolates it back ("fancy upsampling"), with
     * this flag it repeats each colour sample over its 2x2 pixels. Decoding
     * the eight workshop photos in a loop took 6% less CPU time (0.94 s
     * against 1.01, best of 5). Every photo retreat decodes is then blurred, at sigma 0.5
     * or more, which smooths colour far more than that interpolation does;
     * tests/unit/test_img.c's round trips stay within their bounds. Not
     * FASTDCT: the less accurate IDCT saved nothing more (0.94 s with both
     * flags), since libjpeg-turbo's default IDCT is SIMD already. */
    if (tjDecompress2(tj, data, size, pixels, width, 0, height, TJPF_RGB,
                      TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_FASTUPSAMPLE) != 0) {
        jpeg_failure(tj, total, "image data", err);
        goto done;
    }
    *im = (struct img){width, height, 3, (size_t)width * 3, pixels};
    pixels = NULL;
    rc = 0;
done:
    free(pixels);
    tjDestroy(tj);
    return rc;
}

int img_jpeg_encode(const struct img *im, int quality, unsigned char **out, size_t *size,
                    struct err *err)
{
    if (quality < 1 || quality > 100)
        return err_set(err, "JPEG quality %d is out of range (1 to 100)", quality);
    if (im->stride > (size_t)INT32_MAX)
        return err_set(err, "image rows too long to encode");
    tjhandle tj = tjInitCompress();
    if (tj == NULL)
        return err_set(err, "cannot start the JPEG encoder (%s)", tjGetErrorStr2(NULL));
    /* 4:2:0: colour at half resolution each way, as cameras and the web do;
     * the eye hardly sees it at quality 90, and the file is half the size
     * of 4:4:4. The buffer is the worst case for that (tjBufSize) and
     * NOREALLOC keeps it ours, so the caller frees it with free(). Only
     * the pages the encoder writes are ever touched. */
    unsigned long cap = tjBufSize(im->width, im->height, TJSAMP_420);
    unsigned char *buf = cap == (unsigned long)-1 ? NULL : malloc(cap);
    if (buf == NULL) {
        tjDestroy(tj);
        return err_set(err, "out of memory for the JPEG of a %dx%d image", im->width, im->height);
    }
    unsigned long len = cap;
    if (tjCompress2(tj, im->pixels, im->width, (int)im->stride, im->height,
                    im->channels == 4 ? TJPF_RGBA : TJPF_RGB, &buf, &len, TJSAMP_420, quality,
                    TJFLAG_NOREALLOC) != 0) {
        err_set(err, "JPEG encoding failed (libjpeg: %s)", tjGetErrorStr2(tj));
        free(buf);
        tjDestroy(tj);
        return -1;
    }
    tjDestroy(tj);
    *out = buf;
    *size = len;
    return 0;
}

/* A progressive JPEG stores the picture in several scans (a coarse version
 * first, then refinements), which is good for a web page loading slowly: a
 * decoder must keep the whole image's coefficients until the last scan, and
 * libjpeg-turbo's progressive Huffman decoding has no SIMD path. A camera
 * writes baseline JPEGs, one scan, top to bottom. The transform copies the
 * coefficients into one scan; nothing is decoded or quantised again. */
int img_jpeg_baseline(const unsigned char *data, size_t size, unsigned char **out, size_t *out_size,
                      struct err *err)
{
    size_t total = size, skip = 0;
    if (!img_jpeg_sniff(data, size, &skip))
        return err_set(err, "not a JPEG (no SOI marker)");
    data += skip;
    size -= skip;
    tjhandle tj = tjInitTransform();
    if (tj == NULL)
        return err_set(err, "cannot start the JPEG transformer (%s)", tjGetErrorStr2(NULL));
    int width, height, subsamp, colorspace;
    if (tjDecompressHeader3(tj, data, size, &width, &height, &subsamp, &colorspace) != 0 ||
        tjGetErrorCode(tj) == TJERR_WARNING) {
        jpeg_failure(tj, total, "header", err);
        tjDestroy(tj);
        return -1;
    }
    if (img_check_size(width, height, 3, err) != 0) {
        tjDestroy(tj);
        return -1;
    }
    /* Our buffer, as in img_jpeg_encode(): the worst case for the image
     * data, plus the input's size for the markers copied with it (EXIF, an
     * ICC profile), which tjBufSize() does not count. */
    unsigned long cap = tjBufSize(width, height, subsamp < 0 ? TJSAMP_444 : subsamp);
    cap = cap == (unsigned long)-1 ? cap : cap + size;
    unsigned char *buf = cap == (unsigned long)-1 ? NULL : malloc(cap);
    if (buf == NULL) {
        tjDestroy(tj);
        return err_set(err, "out of memory for the JPEG of a %dx%d image", width, height);
    }
    unsigned long len = cap;
    tjtransform xf = {.op = TJXOP_NONE}; /* no TJXOPT_PROGRESSIVE: one scan */
    if (tjTransform(tj, data, size, 1, &buf, &len, &xf,
                    TJFLAG_NOREALLOC | TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
        jpeg_failure(tj, total, "image data", err);
        free(buf);
        tjDestroy(tj);
        return -1;
    }
    tjDestroy(tj);
    *out = buf;
    *out_size = len;
    return 0;
}
