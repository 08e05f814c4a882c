/* img.c - image allocation, decoding, encoding and comparison; see img.h.
 *
 * stb_image and stb_image_write come precompiled from Debian's libstb-dev, so
 * we only include their headers here. Everything else in retreat talks to
 * struct img and never to stb directly.
 */
#include "img.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>
#include <stb_image_write.h>

static int check_size(int width, int height, int channels, struct err *err)
{
    if (width <= 0 || height <= 0)
        return err_set(err, "image has zero size (%dx%d)", width, height);
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
        return err_set(err, "image is %dx%d, larger than the limit of %d pixels a side", width,
                       height, IMG_MAX_SIDE);
    if ((uint64_t)width * (uint64_t)height > IMG_MAX_PIXELS)
        return err_set(err, "image is %dx%d, more than the limit of %u megapixels", width, height,
                       IMG_MAX_PIXELS / 1000000);
    if (channels != 3 && channels != 4)
        return err_set(err, "image has %d channels; only RGB (3) and RGBA (4) are supported",
                       channels);
    return 0;
}

int img_alloc(struct img *im, int width, int height, int channels, struct err *err)
{
    memset(im, 0, sizeof *im);
    if (check_size(width, height, channels, err) != 0)
        return -1;
    size_t stride = (size_t)width * (size_t)channels;
    uint8_t *pixels = calloc((size_t)height, stride);
    if (pixels == NULL)
        return err_set(err, "out of memory for a %dx%d image", width, height);
    *im = (struct img){width, height, channels, stride, pixels};
    return 0;
}

int img_alloc_like(struct img *im, const struct img *like, struct err *err)
{
    return img_alloc(im, like->width, like->height, like->channels, err);
}

void img_free(struct img *im)
{
    free(im->pixels);
    memset(im, 0, sizeof *im);
}

/* stb_image 2.27, the version in Debian 12's libstb, trusts a JPEG's Huffman
 * tables (found by tests/fuzz/fuzz_img.c; see tests/unit/test_regress.c):
 *  - a table (DHT segment) listing more than 256 codes makes it write past
 *    its 257-byte size array: a heap overflow (upstream checks it since 2.28);
 *  - a scan (SOS) naming a table that no DHT defined makes it decode with
 *    whatever its malloc'ed tables happened to hold: a wild read, a crash or
 *    a failed assert(), depending on what the heap held before.
 * Until the library checks these itself, we walk the JPEG's segments the way
 * stb does and refuse such a file first. Only the segment layout is read;
 * nothing is decoded here. Returns NULL if the tables are sound, else why. */
/* stb_image also reads PSD, PIC, PNM and HDR files, formats retreat does not
 * offer and whose readers in stb 2.27 have known flaws (fuzz_img found the PNM
 * header reader overflowing an int on a long number). Returns the name of
 * such a format if data starts like one, else NULL; stb tells them by these
 * same first bytes. */
static const char *unoffered_format(const unsigned char *p, size_t n)
{
    if (n >= 4 && memcmp(p, "8BPS", 4) == 0)
        return "PSD";
    if (n >= 4 && memcmp(p, "\x53\x80\xF6\x34", 4) == 0)
        return "PIC";
    if (n >= 2 && p[0] == 'P' && (p[1] == '5' || p[1] == '6'))
        return "PNM";
    if ((n >= 11 && memcmp(p, "#?RADIANCE\n", 11) == 0) ||
        (n >= 7 && memcmp(p, "#?RGBE\n", 7) == 0))
        return "HDR";
    return NULL;
}

/* stb_image 2.27 grows its buffer for a PNG's compressed data (IDAT chunks)
 * to each chunk's declared length before reading it, so a 300-byte file
 * declaring a 1 GiB chunk makes it allocate 2 GiB (found by fuzz_img): the
 * image size limits never see it. A chunk cannot be longer than what is left
 * of the file, so we check every length against that first. Returns 0 if the
 * chunks fit (or p is not a PNG), -1 if one runs past the end. */
static int png_chunks_fit(const unsigned char *p, size_t n)
{
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n < 8 || memcmp(p, signature, 8) != 0)
        return 0;
    /* Each chunk: a 4-byte big-endian length, a 4-byte type, the data, a CRC. */
    for (size_t i = 8; i + 8 <= n;) {
        size_t len = (size_t)p[i] << 24 | (size_t)p[i + 1] << 16 | (size_t)p[i + 2] << 8 | p[i + 3];
        if (len > n - i - 8)
            return -1;
        if (memcmp(p + i + 4, "IEND", 4) == 0)
            break; /* stb reads no further */
        i += 12 + len;
    }
    return 0;
}

/* Byte k of p[0..n), or 0 past the end: stb's reader returns 0 there too. */
static unsigned byte_at(const unsigned char *p, size_t n, size_t k)
{
    return k < n ? p[k] : 0;
}

static const char *jpeg_huffman_problem(const unsigned char *p, size_t n)
{
    int defined[2][4] = {{0}}; /* [class: 0 DC, 1 AC][table id] */
    size_t i = 2;              /* after the SOI marker */
    while (i + 4 <= n) {
        /* Outside a segment: entropy-coded data or fill bytes, until 0xFF. */
        if (p[i] != 0xFF || p[i + 1] == 0xFF) {
            i++;
            continue;
        }
        unsigned marker = p[i + 1];
        if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {
            i += 2; /* a stuffed 0xFF, TEM, RSTn or SOI: no length follows */
            continue;
        }
        if (marker == 0xD9)
            break; /* EOI */
        long left = (long)((p[i + 2] << 8) | p[i + 3]) - 2;
        size_t j = i + 4;
        if (marker == 0xC4) {
            /* One or more tables: a class/id byte, 16 counts, the values.
             * stb reads a table even where the segment's length runs out. */
            while (left > 0) {
                unsigned q = byte_at(p, n, j), codes = 0;
                for (size_t k = 1; k <= 16; k++)
                    codes += byte_at(p, n, j + k);
                if (codes > 256)
                    return "a Huffman table lists more than 256 codes";
                if ((q >> 4) <= 1 && (q & 15) <= 3) /* stb refuses the others */
                    defined[q >> 4][q & 15] = 1;
                j += 17 + codes;
                left -= 17 + (long)codes;
            }
            i = j;
            continue;
        }
        if (marker == 0xDA) {
            /* Ns components, each naming its DC and AC table, then the
             * spectral range: Ss = 0 decodes DC, Se > 0 decodes AC. */
            size_t ns = byte_at(p, n, j);
            unsigned ss = byte_at(p, n, j + 1 + 2 * ns), se = byte_at(p, n, j + 2 + 2 * ns);
            for (size_t c = 0; c < ns; c++) {
                unsigned dc = byte_at(p, n, j + 2 + 2 * c) >> 4,
                         ac = byte_at(p, n, j + 2 + 2 * c) & 15;
                if ((ss == 0 && dc <= 3 && !defined[0][dc]) ||
                    (se > 0 && ac <= 3 && !defined[1][ac]))
                    return "a scan uses a Huffman table that was never defined";
            }
        }
        i = j + (size_t)(left > 0 ? left : 0);
    }
    return NULL;
}

int img_load_memory(const void *data, size_t size, const char *name, struct img *im,
                    struct err *err)
{
    memset(im, 0, sizeof *im);
    if (size == 0)
        return err_set(err, "%s: empty file, not an image", name);
    if (size > INT32_MAX)
        return err_set(err, "%s: file too large (%zu bytes)", name, size);

    const unsigned char *bytes = data;
    const char *format = unoffered_format(bytes, size);
    if (format != NULL)
        return err_set(err, "%s: a %s image; retreat reads PNG, JPEG, BMP, TGA or GIF", name,
                       format);

    if (png_chunks_fit(bytes, size) != 0)
        return err_set(err, "%s: truncated or corrupt PNG (a chunk runs past the end of the file)",
                       name);

    /* Before stb reads anything: its header reader builds the tables too.
     * stb takes a file as JPEG if 0xFF fill bytes and then SOI (0xD8) start it. */
    size_t fill = 0;
    while (fill < size && bytes[fill] == 0xFF)
        fill++;
    if (fill > 0 && fill < size && bytes[fill] == 0xD8) {
        const char *why = jpeg_huffman_problem(bytes + fill - 1, size - fill + 1);
        if (why != NULL)
            return err_set(err, "%s: corrupt JPEG (%s)", name, why);
    }

    /* Read the header first: this rejects huge images before any allocation. */
    int w, h, comp;
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &comp))
        return err_set(err,
                       "%s: not an image retreat can read (%s); use PNG, JPEG, BMP, TGA or GIF",
                       name, stbi_failure_reason());
    int channels = (comp == 2 || comp == 4) ? 4 : 3;
    if (check_size(w, h, channels, err) != 0)
        return err_prefix(err, "%s: ", name);

    int got_w, got_h, got_comp;
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, &got_w, &got_h, &got_comp, channels);
    if (pixels == NULL)
        return err_set(err, "%s: cannot decode image (%s); is the file truncated or corrupt?", name,
                       stbi_failure_reason());
    if (got_w != w || got_h != h) {
        stbi_image_free(pixels);
        return err_set(err, "%s: header says %dx%d but data is %dx%d", name, w, h, got_w, got_h);
    }
    /* stb allocates with malloc (STBI_MALLOC), so img_free's free() matches. */
    *im = (struct img){w, h, channels, (size_t)w * (size_t)channels, pixels};
    return 0;
}

/* Reads a whole file, refusing anything over IMG_MAX_FILE bytes. */
static int read_file(const char *path, unsigned char **out, size_t *size, struct err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return err_set(err, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > IMG_MAX_FILE) {
        close(fd);
        return err_set(err, "%s: file is %lld bytes, over the limit of %u MiB", path,
                       (long long)st.st_size, IMG_MAX_FILE >> 20);
    }
    size_t len = (size_t)st.st_size;
    unsigned char *buf = malloc(len ? len : 1);
    if (buf == NULL) {
        close(fd);
        return err_set(err, "%s: out of memory reading %zu bytes", path, len);
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = read(fd, buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n < 0 ? errno : EIO;
            free(buf);
            close(fd);
            return err_set(err, "%s: read failed (%s)", path, strerror(e));
        }
        done += (size_t)n;
    }
    close(fd);
    *out = buf;
    *size = len;
    return 0;
}

int img_load(const char *path, struct img *im, struct err *err)
{
    unsigned char *data = NULL;
    size_t size = 0;
    memset(im, 0, sizeof *im);
    if (read_file(path, &data, &size, err) != 0)
        return -1;
    int rc = img_load_memory(data, size, path, im, err);
    free(data);
    return rc;
}

/* stb_image_write hands us the encoded bytes in chunks through this callback.
 * Its JPEG writer passes a few bytes at a time: one write(2) for each made
 * encoding a JPEG about 8x slower than the encoding itself, so the bytes are
 * gathered in buf and written a buffer at a time. */
struct sink {
    int fd;
    int failed_errno;
    size_t len; /* bytes waiting in buf */
    unsigned char buf[16384];
};

/* Writes size bytes to the file, remembering the first error. */
static void sink_put(struct sink *s, const unsigned char *p, size_t size)
{
    while (size > 0 && s->failed_errno == 0) {
        ssize_t n = write(s->fd, p, (size_t)size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->failed_errno = errno;
            return;
        }
        p += n;
        size -= (size_t)n;
    }
}

static void sink_flush(struct sink *s)
{
    sink_put(s, s->buf, s->len);
    s->len = 0;
}

static void sink_write(void *ctx, void *data, int size)
{
    struct sink *s = ctx;
    if (s->len + (size_t)size > sizeof s->buf)
        sink_flush(s);
    if ((size_t)size > sizeof s->buf) {
        sink_put(s, data, (size_t)size); /* too big to gather: write it as it is */
        return;
    }
    memcpy(s->buf + s->len, data, (size_t)size);
    s->len += (size_t)size;
}

static int has_extension(const char *path, const char *ext)
{
    const char *dot = strrchr(path, '.');
    return dot != NULL && strcasecmp(dot + 1, ext) == 0;
}

/* Opens the file an image is encoded into, in path's folder. Preferably an
 * unnamed one (O_TMPFILE): if we are killed while encoding - Ctrl-C in the
 * middle of a batch - it vanishes with us instead of littering the folder.
 * Where the file system has no O_TMPFILE, a named temporary (mkstemp) it is;
 * then *named is set and tmp holds its name. */
static int open_output(const char *path, char *tmp, size_t cap, int *named)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == path ? 1 : (int)(slash - path), path);
    int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    *named = fd < 0;
    if (fd >= 0)
        return fd;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -1; /* a real error: no such folder, no permission, ... */
    snprintf(tmp, cap, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd >= 0)
        fchmod(fd, 0644); /* mkstemp creates 0600; give the image the usual mode */
    return fd;
}

/* Gives the finished file its real name. An unnamed file is first linked
 * under a temporary name, because linkat() will not replace an existing
 * file and rename() will: the name appears complete or not at all. */
static int publish_output(int fd, const char *path, char *tmp, size_t cap, int named)
{
    if (!named) {
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
        snprintf(tmp, cap, "%s.tmp.%ld", path, (long)gettid());
        unlink(tmp); /* a leftover of a crashed run of this same thread id */
        if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) != 0)
            return -1;
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        errno = e;
        return -1;
    }
    return 0;
}

int img_save(const char *path, const struct img *im, struct err *err)
{
    int jpeg = has_extension(path, "jpg") || has_extension(path, "jpeg");
    if (!jpeg && !has_extension(path, "png"))
        return err_set(err, "%s: cannot save, name must end in .png, .jpg or .jpeg", path);
    if (im->stride > INT32_MAX)
        return err_set(err, "%s: image rows too long to encode", path);

    /* Write beside the target, then rename: readers never see a partial file. */
    size_t tmp_len = strlen(path) + 32;
    char *tmp = malloc(tmp_len);
    if (tmp == NULL)
        return err_set(err, "%s: out of memory", path);
    int named;
    int fd = open_output(path, tmp, tmp_len, &named);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return err_set(err, "%s: cannot create output file (%s)", path, strerror(e));
    }

    struct sink sink = {.fd = fd};
    int ok;
    if (jpeg)
        ok = stbi_write_jpg_to_func(sink_write, &sink, im->width, im->height, im->channels,
                                    im->pixels, IMG_JPEG_QUALITY);
    else
        ok = stbi_write_png_to_func(sink_write, &sink, im->width, im->height, im->channels,
                                    im->pixels, (int)im->stride);
    sink_flush(&sink);
    if (ok && sink.failed_errno == 0 && fsync(fd) != 0)
        sink.failed_errno = errno;
    if (ok && sink.failed_errno == 0 && publish_output(fd, path, tmp, tmp_len, named) != 0) {
        int e = errno;
        close(fd);
        free(tmp);
        return err_set(err, "%s: cannot put the file into place (%s)", path, strerror(e));
    }
    close(fd); /* after fsync, closing cannot lose data */

    if (!ok || sink.failed_errno != 0) {
        if (named)
            unlink(tmp);
        free(tmp);
        if (sink.failed_errno != 0)
            return err_set(err, "%s: write failed (%s)", path, strerror(sink.failed_errno));
        return err_set(err, "%s: encoder failed", path);
    }
    free(tmp);
    return 0;
}

/* Growing memory buffer for img_encode_png. */
struct membuf {
    unsigned char *data;
    size_t size, cap;
    int oom;
};

static void membuf_write(void *ctx, void *data, int size)
{
    struct membuf *m = ctx;
    if (m->oom || size <= 0)
        return;
    if (m->size + (size_t)size > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 4096;
        while (cap < m->size + (size_t)size)
            cap *= 2;
        unsigned char *p = realloc(m->data, cap);
        if (p == NULL) {
            m->oom = 1;
            return;
        }
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->size, data, (size_t)size);
    m->size += (size_t)size;
}

int img_encode_png(const struct img *im, unsigned char **out, size_t *size, struct err *err)
{
    struct membuf m = {0};
    int ok = stbi_write_png_to_func(membuf_write, &m, im->width, im->height, im->channels,
                                    im->pixels, (int)im->stride);
    if (!ok || m.oom) {
        free(m.data);
        return err_set(err, "PNG encoding failed%s", m.oom ? " (out of memory)" : "");
    }
    *out = m.data;
    *size = m.size;
    return 0;
}

int img_compare(const struct img *a, const struct img *b, struct img_diff *diff, struct err *err)
{
    memset(diff, 0, sizeof *diff);
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return err_set(err, "images differ in shape: %dx%dx%d against %dx%dx%d", a->width,
                       a->height, a->channels, b->width, b->height, b->channels);
    double sq = 0;
    diff->max_abs = -1;
    for (int y = 0; y < a->height; y++) {
        const uint8_t *ra = img_row(a, y), *rb = img_row(b, y);
        for (int i = 0; i < a->width * a->channels; i++) {
            int d = abs((int)ra[i] - (int)rb[i]);
            sq += (double)d * d;
            if (d > diff->max_abs) {
                diff->max_abs = d;
                diff->x = i / a->channels;
                diff->y = y;
                diff->c = i % a->channels;
                diff->got = ra[i];
                diff->want = rb[i];
            }
        }
    }
    double mse = sq / ((double)a->width * a->height * a->channels);
    diff->psnr = mse == 0 ? INFINITY : 10.0 * log10(255.0 * 255.0 / mse);
    return 0;
}
