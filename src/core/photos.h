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
 *     char **paths; size_t n;
 *     if (photos_workshop(&paths, &n, &err) != 0)
 *         fprintf(stderr, "retreat: %s\n", err.msg);   // names the package
 *     ...
 *     photos_free(paths, n);
 */
#ifndef RETREAT_PHOTOS_H
#define RETREAT_PHOTOS_H

#include <stddef.h>

#include "err.h"

/* Where the packages put them. */
#define PHOTOS_DIR "/usr/share/backgrounds"

/* The Debian packages that hold them (what `make deps` installs). */
#define PHOTOS_PACKAGES "lomiri-wallpapers-16.04 lomiri-wallpapers-20.04"

/* The file names in PHOTOS_DIR, NULL-terminated. */
extern const char *const photos_workshop_names[];

/* The full paths of the workshop photos (malloc'ed, free with photos_free).
 * Fails, naming the packages to install, if any of them is missing: a demo
 * that silently blurred half the set would show the wrong figures. */
int photos_workshop(char ***paths, size_t *count, struct err *err);

void photos_free(char **paths, size_t count);

#endif
