/* photos.c - the list of workshop photos, finding them, and keeping their
 * baseline copies; see photos.h.
 *
 * A copy is fresh when its modification time equals the original's: the
 * copy is written first and given the original's time stamp after, so a
 * run cut off in between leaves a copy that is simply made again. Copies
 * are written atomically (img.c), so two runs preparing the same photo at
 * once both end with a whole file. */
#include "photos.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "img.h"
#include "path.h"
#include "xdg.h"

const char *const photos_workshop_names[] = {
    "Bridge_by_Sander_Klootwijk.jpg",
    "Dragonfly_by_Bolly.jpg",
    "Wine_by_Jakkub_Mede.jpg",
    "picosdeeuropa_by_Aitzol_Berasategi.jpg",
    "seeding_by_Clements_Engelhardt.jpg",
    "sunset_by_Aitzol_Berasategi.jpg",
    "Kleiber_by_Lukas_Baubkus.jpg",
    "Infinite-Sea_by_Aury88.jpg",
    NULL,
};

void photos_free(char **paths, size_t count)
{
    for (size_t i = 0; paths != NULL && i < count; i++)
        free(paths[i]);
    free(paths);
}

/* A malloc'ed copy of each of the n strings (NULL if out of memory). */
static char **copy_list(const char *const *list, size_t n)
{
    char **p = calloc(n ? n : 1, sizeof *p);
    for (size_t i = 0; p != NULL && i < n; i++) {
        if ((p[i] = strdup(list[i])) == NULL) {
            photos_free(p, n);
            return NULL;
        }
    }
    return p;
}

/* Makes sure copy is a fresh baseline copy of source: 1 if it wrote it. */
static int make_copy(const char *source, const char *copy, struct err *err)
{
    struct stat src, dst;
    if (stat(source, &src) != 0)
        return err_set(err, "%s: cannot read the photo", source);
    if (stat(copy, &dst) == 0 && S_ISREG(dst.st_mode) && dst.st_size > 0 &&
        dst.st_mtim.tv_sec == src.st_mtim.tv_sec && dst.st_mtim.tv_nsec == src.st_mtim.tv_nsec)
        return 0;
    if (img_jpeg_rewrite_baseline(source, copy, err) != 0)
        return -1;
    struct timespec times[2] = {src.st_atim, src.st_mtim};
    if (utimensat(AT_FDCWD, copy, times, 0) != 0)
        return err_set(err, "%s: cannot set its time stamp", copy);
    return 1;
}

int photos_prepare(const char *const *sources, size_t count, const char *dir, char ***paths,
                   struct photos_ready *ready, struct err *err)
{
    struct photos_ready scratch;
    if (ready == NULL)
        ready = &scratch;
    memset(ready, 0, sizeof *ready);
    snprintf(ready->dir, sizeof ready->dir, "%s", dir);

    char **copies = calloc(count ? count : 1, sizeof *copies);
    int failed = copies == NULL ? err_set(&ready->why, "out of memory") : 0;
    if (!failed)
        failed = xdg_make_folder(dir, &ready->why);
    for (size_t i = 0; !failed && i < count; i++) {
        size_t len = strlen(dir) + strlen(path_base_name(sources[i])) + 2;
        if ((copies[i] = malloc(len)) == NULL) {
            failed = err_set(&ready->why, "out of memory");
            break;
        }
        snprintf(copies[i], len, "%s/%s", dir, path_base_name(sources[i]));
        int rc = make_copy(sources[i], copies[i], &ready->why);
        if (rc < 0)
            failed = -1;
        else
            ready->made += (size_t)rc;
    }
    if (!failed) {
        *paths = copies;
        return 0;
    }

    /* All copies or none: a set mixing both kinds would time unevenly. The
     * originals blur to the same pixels, only slower to decode. */
    photos_free(copies, count);
    ready->originals = 1;
    err_prefix(&ready->why, "using the original photos, slower to decode: ");
    if ((*paths = copy_list(sources, count)) == NULL)
        return err_set(err, "out of memory listing the photos");
    return 0;
}

int photos_workshop(char ***paths, size_t *count, struct photos_ready *ready, struct err *err)
{
    size_t n = 0;
    while (photos_workshop_names[n] != NULL)
        n++;
    char **originals = calloc(n, sizeof *originals);
    if (originals == NULL)
        return err_set(err, "out of memory listing the workshop photos");
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", PHOTOS_DIR, photos_workshop_names[i]);
        if (access(path, R_OK) != 0) {
            photos_free(originals, n);
            return err_set(err,
                           "the workshop photo %s is missing: install the Debian packages %s "
                           "(`make deps` does)",
                           path, PHOTOS_PACKAGES);
        }
        if ((originals[i] = strdup(path)) == NULL) {
            photos_free(originals, n);
            return err_set(err, "out of memory listing the workshop photos");
        }
    }

    char dir[PATH_MAX];
    struct err why = {{0}};
    if (xdg_path("XDG_CACHE_HOME", ".cache", "retreat/photos", dir, sizeof dir, &why) != 0) {
        /* No cache folder: the originals themselves, and say so. */
        if (ready != NULL) {
            memset(ready, 0, sizeof *ready);
            ready->originals = 1;
            ready->why = why;
            err_prefix(&ready->why, "using the original photos, slower to decode: ");
        }
        *paths = originals;
        *count = n;
        return 0;
    }
    int rc = photos_prepare((const char *const *)originals, n, dir, paths, ready, err);
    photos_free(originals, n);
    if (rc == 0)
        *count = n;
    return rc;
}
