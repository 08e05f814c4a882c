/* photos.h - the workshop photos: the default set every tool blurs.
 *
 * `retreat bench`, `retreat stream` and `make demo` blur these when no photo
 * is named, so that the demo shows what a participant's camera makes:
 * eight freely licensed photographs of 8 to 20 megapixels (107 MP in all),
 * from Debian's lomiri-wallpapers-16.04 and lomiri-wallpapers-20.04 packages,
 * read where the packages install them. They are not copied into the
 * repository; docs/CREDITS.md credits each one. The small photos in
 * workshop/images/ are for the tests, which must stay fast.
 *
 * Seven of the eight are progressive JPEGs, saved for web pages that show a
 * coarse picture first. A camera writes baseline JPEGs, one scan, which
 * libjpeg-turbo decodes about three times faster; decoding the progressive
 * files cost more than the blur the workshop parallelises. So the tools blur
 * baseline copies, kept in the user's cache folder ($XDG_CACHE_HOME/retreat/
 * photos, else ~/.cache/retreat/photos). A copy is a lossless rewrite (the
 * same pixels; see img_jpeg_rewrite_baseline), made the first time and made
 * again whenever the original's time stamp changes.
 *
 *     char **paths; size_t n;
 *     struct photos_ready ready;
 *     if (photos_workshop(&paths, &n, &ready, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);   // names the package
 *     if (ready.originals)
 *         fprintf(stderr, "note: %s\n", ready.why.msg); // slower, but runs
 *     ...
 *     photos_free(paths, n);
 */
#ifndef RETREAT_PHOTOS_H
#define RETREAT_PHOTOS_H

#include <limits.h>
#include <stddef.h>

#include "err.h"

/* Where the packages put them. */
#define PHOTOS_DIR "/usr/share/backgrounds"

/* The Debian packages that hold them (what `make deps` installs). */
#define PHOTOS_PACKAGES "lomiri-wallpapers-16.04 lomiri-wallpapers-20.04"

/* The file names in PHOTOS_DIR, NULL-terminated. */
extern const char *const photos_workshop_names[];

/* How the photos were made ready, for the note a tool prints. */
struct photos_ready {
    size_t made;        /* baseline copies written by this call (0 once cached) */
    int originals;      /* 1: the copies could not be used; the paths are the
                           originals, and why says why (the run is slower) */
    struct err why;     /* the reason, when originals */
    char dir[PATH_MAX]; /* the cache folder */
};

/* The full paths of the workshop photos' baseline copies (malloc'ed, free
 * with photos_free), making the copies that are missing or stale. Fails,
 * naming the packages to install, if any original is missing: a demo that
 * silently blurred half the set would show the wrong figures. If the cache
 * cannot be used (no HOME, a read-only disk) it returns the originals
 * instead and says why in *ready. ready may be NULL. */
int photos_workshop(char ***paths, size_t *count, struct photos_ready *ready, struct err *err);

/* The same for any list of JPEG files and a cache folder of your choice
 * (the tests use it): the copies are named dir/<file name>. */
int photos_prepare(const char *const *sources, size_t count, const char *dir, char ***paths,
                   struct photos_ready *ready, struct err *err);

void photos_free(char **paths, size_t count);

#endif
