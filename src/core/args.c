/* args.c - strict number parsing; see args.h. */
#include "args.h"

#include <errno.h>
#include <stdlib.h>

int args_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int args_int(const char *s, int lo, int hi, int *out)
{
    long v;
    if (args_long(s, lo, hi, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

int args_float(const char *s, float *out)
{
    char *end;
    errno = 0;
    float v = strtof(s, &end);
    if (errno != 0 || end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}
