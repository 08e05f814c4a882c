/* exercises.c - reading exercises/exercises.txt; see exercises.h.
 *
 * The format is deliberately simple enough to read with awk (the Makefile
 * does), so the reader is a split on '|' and a trim - no grammar. What it adds
 * is validation: the grader builds paths and command lines from these fields,
 * so a typo here must stop everything with the line number, not turn into a
 * confusing "no such file" three steps later.
 */
#include "exercises.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

#define FIELDS 9 /* num | name | track | file | checks | tolerance | timeout | summary | hint */
#define LINE_MAX_LEN 2048

static const char *const check_names[CHECK_COUNT] = {
    [CHECK_CORRECT] = "correct", [CHECK_ERRORS] = "errors",   [CHECK_CONCURRENT] = "concurrent",
    [CHECK_WORKERS] = "workers", [CHECK_ORDER] = "order",     [CHECK_RACES] = "races",
    [CHECK_MEMORY] = "memory",   [CHECK_SPEEDUP] = "speedup",
};

const char *exercises_check_name(enum exercise_check check)
{
    return check < CHECK_COUNT ? check_names[check] : "?";
}

/* Removes leading and trailing white space in place; returns the new start. */
static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int parse_checks(char *s, unsigned *checks, const char *where, struct err *err)
{
    *checks = 0;
    for (char *save, *word = strtok_r(s, " \t", &save); word != NULL;
         word = strtok_r(NULL, " \t", &save)) {
        int found = -1;
        for (int c = 0; c < CHECK_COUNT; c++)
            if (strcmp(word, check_names[c]) == 0)
                found = c;
        if (found < 0)
            return err_set(err,
                           "%s: unknown check '%s' (known: correct errors concurrent workers "
                           "order races memory speedup)",
                           where, word);
        if (*checks & (1u << found))
            return err_set(err, "%s: check '%s' is listed twice", where, word);
        *checks |= 1u << found;
    }
    if (*checks == 0)
        return err_set(err, "%s: no checks listed", where);
    return 0;
}

/* A name starts with a letter: "7" would be taken for an exercise number by
 * exercises_find(), and the exercise could never be found by its name. */
static int valid_name(const char *s)
{
    if (!islower((unsigned char)*s))
        return 0;
    for (; *s != '\0'; s++)
        if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '-')
            return 0;
    return 1;
}

int exercises_parse_line(const char *line, const char *where, struct exercise *ex, struct err *err)
{
    char buf[LINE_MAX_LEN];
    if (strlen(line) >= sizeof buf)
        return err_set(err, "%s: line longer than %d characters", where, LINE_MAX_LEN - 1);
    strcpy(buf, line);
    char *s = trim(buf);
    if (*s == '\0' || *s == '#')
        return 0;

    /* Split on the first FIELDS - 1 bars: the hint, last, may contain one. */
    char *field[FIELDS];
    int n = 0;
    field[n++] = s;
    for (char *p = s; n < FIELDS && (p = strchr(p, '|')) != NULL; p++) {
        *p = '\0';
        field[n++] = p + 1;
    }
    if (n < FIELDS)
        return err_set(err,
                       "%s: %d field(s), expected %d: num | name | track | file | checks | "
                       "tolerance | timeout | summary | hint",
                       where, n, FIELDS);
    for (int i = 0; i < FIELDS; i++)
        field[i] = trim(field[i]);

    memset(ex, 0, sizeof *ex);
    const char *num = field[0];
    if (strlen(num) != 2 || !isdigit((unsigned char)num[0]) || !isdigit((unsigned char)num[1]) ||
        strcmp(num, "00") == 0)
        return err_set(err, "%s: number '%s' must be two digits, 01 to 99", where, num);
    ex->number = (num[0] - '0') * 10 + (num[1] - '0');

    if (!valid_name(field[1]) || strlen(field[1]) >= sizeof ex->name)
        return err_set(err,
                       "%s: name '%s' must start with a letter and use only a-z, 0-9 and '-' "
                       "(at most %zu characters)",
                       where, field[1], sizeof ex->name - 1);
    strcpy(ex->name, field[1]);
    snprintf(ex->id, sizeof ex->id, "%s-%s", num, ex->name);

    if (strcmp(field[2], "blur") != 0 && strcmp(field[2], "fetch") != 0)
        return err_set(err, "%s: track '%s' must be blur or fetch", where, field[2]);
    strcpy(ex->track, field[2]);

    size_t flen = strlen(field[3]);
    if (flen < 3 || flen >= sizeof ex->file || strcmp(field[3] + flen - 2, ".c") != 0 ||
        strchr(field[3], '/') != NULL)
        return err_set(err, "%s: file '%s' must be a .c file name without a folder", where,
                       field[3]);
    strcpy(ex->file, field[3]);

    if (parse_checks(field[4], &ex->checks, where, err) != 0)
        return -1;
    if (args_int(field[5], 0, EXERCISE_TOLERANCE_MAX, &ex->tolerance) != 0)
        return err_set(err, "%s: tolerance '%s' must be an integer from 0 to %d", where, field[5],
                       EXERCISE_TOLERANCE_MAX);
    if (args_int(field[6], 1, EXERCISE_TIMEOUT_MAX, &ex->timeout) != 0)
        return err_set(err, "%s: timeout '%s' must be an integer from 1 to %d (seconds)", where,
                       field[6], EXERCISE_TIMEOUT_MAX);

    if (*field[7] == '\0')
        return err_set(err, "%s: the summary is empty", where);
    if (strlen(field[7]) >= sizeof ex->summary)
        return err_set(err, "%s: summary longer than %zu characters", where,
                       sizeof ex->summary - 1);
    strcpy(ex->summary, field[7]);

    if (*field[8] == '\0')
        return err_set(err, "%s: the hint is empty", where);
    if (strlen(field[8]) >= sizeof ex->hint)
        return err_set(err, "%s: hint longer than %zu characters", where, sizeof ex->hint - 1);
    strcpy(ex->hint, field[8]);
    return 1;
}

int exercises_load(const char *path, struct exercise **list, size_t *count, struct err *err)
{
    *list = NULL;
    *count = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, "%s: cannot open (%s)", path, strerror(errno));

    char line[LINE_MAX_LEN + 1];
    size_t cap = 0;
    int lineno = 0, rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f) != NULL) {
        char where[512];
        snprintf(where, sizeof where, "%s:%d", path, ++lineno);
        size_t len = strlen(line);
        if (len == sizeof line - 1 && line[len - 1] != '\n') {
            rc = err_set(err, "%s: line longer than %d characters", where, LINE_MAX_LEN - 1);
            break;
        }
        struct exercise ex;
        int got = exercises_parse_line(line, where, &ex, err);
        if (got <= 0) {
            rc = got;
            continue;
        }
        for (size_t i = 0; i < *count; i++)
            if ((*list)[i].number == ex.number)
                rc = err_set(err, "%s: exercise %02d is listed twice", where, ex.number);
        if (rc == 0 && *count == cap) {
            cap = cap ? 2 * cap : 16;
            struct exercise *bigger = realloc(*list, cap * sizeof **list);
            if (bigger == NULL)
                rc = err_set(err, "%s: out of memory", path);
            else
                *list = bigger;
        }
        if (rc == 0)
            (*list)[(*count)++] = ex;
    }
    if (rc == 0 && ferror(f))
        rc = err_set(err, "%s: read error", path);
    fclose(f);
    if (rc == 0 && *count == 0)
        rc = err_set(err, "%s: no exercises listed", path);
    if (rc != 0) {
        free(*list);
        *list = NULL;
        *count = 0;
    }
    return rc;
}

const struct exercise *exercises_find(const struct exercise *list, size_t count, const char *key)
{
    /* All digits: a number ("5", "05"); anything else: a name or a folder. */
    int number = -1;
    if (key[strspn(key, "0123456789")] == '\0' && args_int(key, 1, 99, &number) != 0)
        return NULL;
    for (size_t i = 0; i < count; i++)
        if (list[i].number == number || strcmp(list[i].name, key) == 0 ||
            strcmp(list[i].id, key) == 0)
            return &list[i];
    return NULL;
}
