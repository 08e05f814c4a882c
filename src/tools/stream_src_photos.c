/* stream_src_photos.c - the photos of the before/after scenes: found from
 * the names in a run log, or listed from a folder for --live.
 *
 * The "after" is made with the library's expert blur (blur_expert.h), not
 * with one of the ladder's styles: the stream is a tool, and tools do not
 * call solutions (docs/ARCHITECTURE.md, layers). On screen it looks the same
 * as the exact Gaussian, and on the camera-size workshop photos it keeps the
 * wait before the first frame short.
 *
 * A photo folder of NULL means the workshop photos (photos.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blur.h"
#include "blur_expert.h"
#include "img.h"
#include "photos.h"
#include "stream_source.h"

/* Finds a photo the run log names: as written (a path from where the run
 * was started) or, since styles may log only the file name, in photo_dir. */
static int load_photo(const char *item, const char *photo_dir, struct img *im, struct err *err)
{
    if (access(item, R_OK) == 0)
        return img_load(item, im, err);
    const char *base = strrchr(item, '/');
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", photo_dir != NULL ? photo_dir : PHOTOS_DIR,
             base != NULL ? base + 1 : item);
    return img_load(path, im, err);
}

/* 1 if item was already taken among the first n of done. */
static int seen(const char *const *done, int n, const char *item)
{
    for (int k = 0; k < n; k++)
        if (strcmp(done[k], item) == 0)
            return 1;
    return 0;
}

void stream_photos_add(struct show *show, const struct runlog_span *spans, size_t count,
                       const char *photo_dir)
{
    const char *done[STREAM_MAX_PHOTOS];
    int ndone = 0;
    for (size_t i = 0; i < count && ndone < STREAM_MAX_PHOTOS; i++) {
        const char *item = spans[i].item;
        if (strcmp(spans[i].phase, "decode") != 0 || !spans[i].ok || seen(done, ndone, item))
            continue;
        done[ndone++] = item;
        struct img before = {0}, after = {0};
        struct err err;
        if (load_photo(item, photo_dir, &before, &err) != 0 ||
            img_alloc_like(&after, &before, &err) != 0 ||
            blur_expert(&before, &after, BLUR_SIGMA_DEFAULT, STREAM_BLUR_THREADS, &err) != 0 ||
            show_add_images(show, item, &before, &after, &err) != 0)
            fprintf(stderr, "retreat stream: skipping photo: %s\n", err.msg);
        img_free(&before);
        img_free(&after);
    }
}

static int has_photo_ext(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot != NULL && (strcasecmp(dot, ".png") == 0 || strcasecmp(dot, ".jpg") == 0 ||
                           strcasecmp(dot, ".jpeg") == 0);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int stream_photos_list(const char *dir, char ***paths, size_t *count, struct err *err)
{
    *paths = NULL;
    *count = 0;
    if (dir == NULL) {
        struct photos_ready ready;
        if (photos_workshop(paths, count, &ready, err) != 0)
            return -1;
        if (ready.originals)
            fprintf(stderr, "retreat stream: note: %s\n", ready.why.msg);
        return 0;
    }
    DIR *d = opendir(dir);
    if (d == NULL)
        return err_set(err, "--photos %s: cannot open the folder (%s)", dir, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || !has_photo_ext(e->d_name))
            continue;
        char **grown = realloc(*paths, (*count + 1) * sizeof *grown);
        if (grown == NULL)
            break;
        *paths = grown;
        if (asprintf(&(*paths)[*count], "%s/%s", dir, e->d_name) < 0)
            break;
        (*count)++;
    }
    closedir(d);
    if (*count == 0)
        return err_set(err, "--photos %s: no .png or .jpg photos in it", dir);
    qsort(*paths, *count, sizeof **paths, by_name);
    return 0;
}
