/* img.c - image allocation, loading, saving and comparison; see img.h.
 *
 * Loading tells the formats apart by their first bytes: JPEG goes to
 * img_jpeg.c (libjpeg-turbo), PNG to img_png.c (libpng), and only BMP, TGA
 * and GIF to stb_image, which comes precompiled from Debian's libstb-dev (we
 * include its header only). Saving encodes into memory, then writes the
 * bytes atomically (see img_save). Everything else in retreat talks to
 * struct img and never to a codec library directly.
 */
#include "img.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

#include "img_codec.h"

int img_check_size(int width, int height, int channels, struct err *err)
{
    if (width <= 0 || height <= 0)
        return err_set(err, "empty image: zero size (%dx%d)", width, height);
    if (width > IMG_MAX_SIDE || height > IMG_MAX_SIDE)
        return err_set(err, "image too large: %dx%d is larger than the limit of %d pixels a side",
                       width, height, IMG_MAX_SIDE);
    if ((uint64_t)width * (uint64_t)height > IMG_MAX_PIXELS)
        return err_set(err, "image too large: %dx%d is more than the limit of %u megapixels", width,
                       height, IMG_MAX_PIXELS / 1000000);
    if (channels != 3 && channels != 4)
        return err_set(err, "image has %d channels; only RGB (3) and RGBA (4) are supported",
                       channels);
    return 0;
}

int img_alloc(struct img *im, int width, int height, int channels, struct err *err)
{
    memset(im, 0, sizeof *im);
    if (img_check_size(width, height, channels, err) != 0)
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

/* What stb_image last said went wrong, or "" if it said nothing. */
static const char *stb_reason(void)
{
    const char *why = stbi_failure_reason();
    return why != NULL ? why : "";
}

/* BMP, GIF and TGA go to stb_image. BMP and GIF start with a signature, so
 * a file with one that stb cannot read is a broken BMP or GIF; TGA has none
 * (stb tries it last, from its header fields). */
static int load_with_stb(const unsigned char *data, size_t size, struct img *im, struct err *err)
{
    const char *format = size >= 2 && memcmp(data, "BM", 2) == 0     ? "BMP"
                         : size >= 4 && memcmp(data, "GIF8", 4) == 0 ? "GIF"
                                                                     : NULL;
    /* Read the header first: this rejects huge images before any allocation. */
    int w, h, comp;
    if (!stbi_info_from_memory(data, (int)size, &w, &h, &comp)) {
        if (format != NULL)
            return err_set(err, "corrupt or truncated %s header (stb_image: %s)", format,
                           stb_reason());
        return err_set(err,
                       "not an image retreat can read (it does not start like a PNG, JPEG, GIF, "
                       "BMP or TGA file)");
    }
    if (format == NULL)
        format = "TGA";
    int channels = (comp == 2 || comp == 4) ? 4 : 3;
    if (img_check_size(w, h, channels, err) != 0)
        return -1;

    int got_w, got_h, got_comp;
    uint8_t *pixels = stbi_load_from_memory(data, (int)size, &got_w, &got_h, &got_comp, channels);
    if (pixels == NULL) {
        const char *why = stb_reason();
        if (why[0] == '\0')
            return err_set(err, "cannot decode the %s image (%zu bytes): truncated or corrupt",
                           format, size);
        return err_set(
            err, "cannot decode the %s image (%zu bytes): truncated or corrupt (stb_image: %s)",
            format, size, why);
    }
    if (got_w != w || got_h != h) {
        stbi_image_free(pixels);
        return err_set(err, "header says %dx%d but data is %dx%d", w, h, got_w, got_h);
    }
    /* stb allocates with malloc (STBI_MALLOC), so img_free's free() matches. */
    *im = (struct img){w, h, channels, (size_t)w * (size_t)channels, pixels};
    return 0;
}

int img_load_memory(const void *data, size_t size, const char *name, struct img *im,
                    struct err *err)
{
    memset(im, 0, sizeof *im);
    if (size == 0)
        return err_set(err, "%s: empty file, not an image", name);
    if (size > IMG_MAX_FILE)
        return err_set(err, "%s: file is %zu bytes, over the limit of %u MiB", name, size,
                       IMG_MAX_FILE >> 20);

    const unsigned char *bytes = data;
    const char *format = unoffered_format(bytes, size);
    if (format != NULL)
        return err_set(err, "%s: a %s image; retreat reads PNG, JPEG, BMP, TGA or GIF", name,
                       format);
    size_t skip;
    int rc;
    if (img_jpeg_sniff(bytes, size, &skip))
        rc = img_jpeg_decode(bytes, size, im, err);
    else if (img_png_sniff(bytes, size))
        rc = img_png_decode(bytes, size, im, err);
    else
        rc = load_with_stb(bytes, size, im, err);
    if (rc != 0)
        return err_prefix(err, "%s: ", name);
    return 0;
}

/* What kind of file st is, for "not a regular file (a FIFO)". */
static const char *file_kind(const struct stat *st)
{
    if (S_ISDIR(st->st_mode))
        return "a folder";
    if (S_ISFIFO(st->st_mode))
        return "a FIFO";
    if (S_ISSOCK(st->st_mode))
        return "a socket";
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        return "a device";
    return "not a file";
}

/* Reads a whole file, refusing anything over IMG_MAX_FILE bytes and
 * anything but a regular file. */
static int read_file(const char *path, unsigned char **out, size_t *size, struct err *err)
{
    /* O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer,
     * possibly forever, before we could look at what it is (a FIFO named
     * x.png hung `retreat blur`). It changes nothing for a regular file, and
     * it is cleared below before reading anyway. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return err_set(err, "%s: cannot open (%s)", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, "%s: cannot open (%s)", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return err_set(err, "%s: not a regular file (%s), not an image", path, file_kind(&st));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return err_set(err, "%s: cannot open (%s)", path, strerror(e));
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

/* Writes all of data to fd. Returns 0, or the errno of the failure. */
static int write_all(int fd, const unsigned char *data, size_t size)
{
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        data += n;
        size -= (size_t)n;
    }
    return 0;
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
    return img_save_quality(path, im, IMG_JPEG_QUALITY, err);
}

/* Writes data to path atomically: beside the target, then renamed, so that
 * readers never see a partial file. Takes data (frees it). Errors name path. */
static int save_bytes(const char *path, unsigned char *data, size_t size, struct err *err)
{
    size_t tmp_len = strlen(path) + 32;
    char *tmp = malloc(tmp_len);
    if (tmp == NULL) {
        free(data);
        return err_set(err, "%s: out of memory", path);
    }
    int named;
    int fd = open_output(path, tmp, tmp_len, &named);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(data);
        return err_set(err, "%s: cannot create output file (%s)", path, strerror(e));
    }
    int failed_errno = write_all(fd, data, size);
    free(data);
    if (failed_errno == 0 && fsync(fd) != 0)
        failed_errno = errno;
    if (failed_errno == 0 && publish_output(fd, path, tmp, tmp_len, named) != 0) {
        int e = errno;
        close(fd);
        free(tmp);
        return err_set(err, "%s: cannot put the file into place (%s)", path, strerror(e));
    }
    close(fd); /* after fsync, closing cannot lose data */
    if (failed_errno != 0 && named)
        unlink(tmp);
    free(tmp);
    if (failed_errno != 0)
        return err_set(err, "%s: write failed (%s)", path, strerror(failed_errno));
    return 0;
}

int img_save_quality(const char *path, const struct img *im, int jpeg_quality, struct err *err)
{
    int jpeg = has_extension(path, "jpg") || has_extension(path, "jpeg");
    if (!jpeg && !has_extension(path, "png"))
        return err_set(err, "%s: cannot save, name must end in .png, .jpg or .jpeg", path);

    /* Encode first, into memory: an encoder failure then costs no file, and
     * the file is written with a few large write(2)s. */
    unsigned char *data;
    size_t size;
    int rc = jpeg ? img_jpeg_encode(im, jpeg_quality, &data, &size, err)
                  : img_png_encode(im, &data, &size, err);
    if (rc != 0)
        return err_prefix(err, "%s: ", path);
    return save_bytes(path, data, size, err);
}

int img_jpeg_rewrite_baseline(const char *from, const char *to, struct err *err)
{
    unsigned char *data, *out;
    size_t size, out_size;
    if (read_file(from, &data, &size, err) != 0)
        return -1;
    int rc = img_jpeg_baseline(data, size, &out, &out_size, err);
    free(data);
    if (rc != 0)
        return err_prefix(err, "%s: ", from);
    return save_bytes(to, out, out_size, err);
}

int img_encode_png(const struct img *im, unsigned char **out, size_t *size, struct err *err)
{
    return img_png_encode(im, out, size, err);
}

int img_encode_jpeg(const struct img *im, int quality, unsigned char **out, size_t *size,
                    struct err *err)
{
    return img_jpeg_encode(im, quality, out, size, err);
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
