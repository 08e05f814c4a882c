/* grade_progress.c - .progress: which exercises a participant has passed.
 *
 * One line per graded exercise, the folder's name, the outcome of the last
 * grading and when it happened:
 *
 *     05-pool failed 1764423000
 *     01-kernel passed 1764422100
 *
 * The file lives at the top of the tree and is git-ignored: it is the
 * participant's, not the project's. It is rewritten whole into a temporary
 * file and renamed into place, so `make watch` and a `make exercise` in
 * another terminal never leave it half written.
 */
#include "grade.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_LINE_MAX 256
#define PROGRESS_ENTRIES_MAX 100

int grade_progress_read(const char *path, const struct exercise *list, size_t count, int *passed,
                        struct err *err)
{
    for (size_t i = 0; i < count; i++)
        passed[i] = -1;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? 0 : err_set(err, "%s: cannot open (%s)", path, strerror(errno));
    char line[PROGRESS_LINE_MAX], id[64], outcome[16];
    while (fgets(line, sizeof line, f) != NULL) {
        if (sscanf(line, "%63s %15s", id, outcome) != 2)
            continue; /* a line we cannot read is a grading we forget, no more */
        for (size_t i = 0; i < count; i++)
            if (strcmp(list[i].id, id) == 0)
                passed[i] = strcmp(outcome, "passed") == 0;
    }
    fclose(f);
    return 0;
}

int grade_progress_record(const char *path, const struct exercise *ex, int passed, struct err *err)
{
    /* Keep every other exercise's line as it is. */
    char keep[PROGRESS_ENTRIES_MAX][PROGRESS_LINE_MAX];
    size_t kept = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL && errno != ENOENT)
        return err_set(err, "%s: cannot open (%s)", path, strerror(errno));
    char line[PROGRESS_LINE_MAX], id[64];
    while (f != NULL && kept < PROGRESS_ENTRIES_MAX && fgets(line, sizeof line, f) != NULL)
        if (sscanf(line, "%63s", id) == 1 && strcmp(id, ex->id) != 0)
            snprintf(keep[kept++], sizeof keep[0], "%s", line);
    if (f != NULL)
        fclose(f);

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (out == NULL)
        return err_set(err, "%s: cannot create (%s)", tmp, strerror(errno));
    fprintf(out, "%s %s %lld\n", ex->id, passed ? "passed" : "failed", (long long)time(NULL));
    for (size_t i = 0; i < kept; i++)
        fputs(keep[i], out);
    if (fclose(out) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_set(err, "%s: cannot write (%s)", path, strerror(e));
    }
    return 0;
}
