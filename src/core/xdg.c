/* xdg.c - the XDG folders in a user's home; see xdg.h. */
#include "xdg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int xdg_path(const char *var, const char *fallback, const char *sub, char *buf, size_t size,
             struct err *err)
{
    const char *base = getenv(var), *home = getenv("HOME");
    int n;
    if (base != NULL && base[0] == '/')
        n = snprintf(buf, size, "%s/%s", base, sub);
    else if (home != NULL && home[0] == '/')
        n = snprintf(buf, size, "%s/%s/%s", home, fallback, sub);
    else
        return err_set(err, "neither $%s nor $HOME is set to an absolute path", var);
    if (n < 0 || (size_t)n >= size)
        return err_set(err, "$%s or $HOME is too long", var);
    return 0;
}

/* Makes each folder on the way to the end of dir (which it may change and
 * put back); EEXIST is fine: another process may be making the same one. */
static int make_folders(char *dir, int include_last, struct err *err)
{
    for (char *p = dir + 1;; p++) {
        p = strchr(p, '/');
        if (p == NULL && !include_last)
            return 0;
        if (p != NULL)
            *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return err_set(err, "cannot create the folder %s: %s", dir, strerror(errno));
        if (p == NULL)
            return 0;
        *p = '/';
    }
}

int xdg_make_folder(const char *path, struct err *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return err_set(err, "%s: path too long", path);
    return make_folders(dir, 1, err);
}

int xdg_make_parents(const char *path, struct err *err)
{
    char dir[PATH_MAX];
    if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
        return err_set(err, "%s: path too long", path);
    return make_folders(dir, 0, err);
}
