/* path.c - the file name part of a path; see path.h. */
#include "path.h"

#include <string.h>

const char *path_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}
