/* args.h - whole numbers and decimals from command-line arguments and
 * metadata fields.
 *
 * strtol() and strtof() stop quietly at the first character they cannot
 * use, so "4x" would read as 4 and "" as 0. These wrappers accept a string
 * only if all of it is the number and it lies within the range asked for;
 * the caller says what was wrong, since only it knows which option it was.
 */
#ifndef RETREAT_ARGS_H
#define RETREAT_ARGS_H

/* A whole decimal int within [lo, hi]: 0, or -1 if s is anything else. */
int args_int(const char *s, int lo, int hi, int *out);

/* The same for a long. */
int args_long(const char *s, long lo, long hi, long *out);

/* A decimal number (as strtof reads it, all of s): 0, or -1. */
int args_float(const char *s, float *out);

#endif
