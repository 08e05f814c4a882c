/* fuzz_exercises.c - libFuzzer target: the exercise list (exercises.txt).
 *
 * The grader builds paths and command lines from this file's fields, so the
 * reader's validation is a security boundary of sorts: a file name with a '/'
 * or a name outside [a-z0-9-] must never get through. The input is read twice:
 * as one line by exercises_parse_line, and as a whole file by exercises_load
 * (through an in-memory file), and every exercise accepted is checked against
 * what exercises.h promises.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exercises.h"

static void check(const struct exercise *ex)
{
    if (ex->number < 1 || ex->number > 99 || ex->checks == 0 || ex->checks >= (1u << CHECK_COUNT) ||
        ex->tolerance < 0 || ex->tolerance > EXERCISE_TOLERANCE_MAX || ex->timeout < 1 ||
        ex->timeout > EXERCISE_TIMEOUT_MAX || strchr(ex->file, '/') != NULL ||
        strspn(ex->name, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(ex->name) ||
        (strcmp(ex->track, "blur") != 0 && strcmp(ex->track, "fetch") != 0) ||
        ex->hint[0] == '\0' || ex->summary[0] == '\0' || strchr(ex->summary, '|') != NULL)
        abort();
    /* Every exercise can be found again by its number, name and folder (a
     * name starts with a letter, so it is never read as a number). */
    char num[4];
    snprintf(num, sizeof num, "%02d", ex->number);
    if (exercises_find(ex, 1, num) != ex || exercises_find(ex, 1, ex->id) != ex ||
        exercises_find(ex, 1, ex->name) != ex)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct err err = {0};
    char *line = malloc(size + 1);
    if (line == NULL)
        return 0;
    memcpy(line, data, size);
    line[size] = '\0';
    struct exercise ex;
    int got = exercises_parse_line(line, "exercises.txt:1", &ex, &err);
    if (got == 1)
        check(&ex);
    else if (got != 0 && (got != -1 || err.msg[0] == '\0'))
        abort();
    free(line);

    int fd = memfd_create("fuzz-exercises", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct exercise *list;
    size_t count;
    if (exercises_load(path, &list, &count, &err) == 0) {
        if (count == 0)
            abort();
        for (size_t i = 0; i < count; i++)
            check(&list[i]);
        free(list);
    }
    close(fd);
    return 0;
}
