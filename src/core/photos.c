/* photos.c - the list of workshop photos, and finding them; see photos.h. */
#include "photos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int photos_workshop(char ***paths, size_t *count, struct err *err)
{
    size_t n = 0;
    while (photos_workshop_names[n] != NULL)
        n++;
    char **p = calloc(n, sizeof *p);
    if (p == NULL)
        return err_set(err, "out of memory listing the workshop photos");
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", PHOTOS_DIR, photos_workshop_names[i]);
        if (access(path, R_OK) != 0) {
            photos_free(p, n);
            return err_set(err,
                           "the workshop photo %s is missing: install the Debian packages %s "
                           "(`make deps` does)",
                           path, PHOTOS_PACKAGES);
        }
        if ((p[i] = strdup(path)) == NULL) {
            photos_free(p, n);
            return err_set(err, "out of memory listing the workshop photos");
        }
    }
    *paths = p;
    *count = n;
    return 0;
}
