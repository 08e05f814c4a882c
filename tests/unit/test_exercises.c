/* test_exercises.c - reading exercises/exercises.txt: good lines, comments,
 * every kind of malformed field (with its line named), lookup by number or
 * name, and the real file of the project. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exercises.h"
#include "fetch.h"
#include "styles.h"

#define GOOD                                                                                       \
    "05 | pool | blur | pool.c | correct errors races | 0 | 90 | a pool of threads | Lock, take, " \
    "unlock."

Test(exercises, parses_every_field_of_a_good_line)
{
    struct exercise ex;
    struct err err = {0};
    cr_assert_eq(exercises_parse_line(GOOD "\n", "x:1", &ex, &err), 1, "%s", err.msg);
    cr_expect_eq(ex.number, 5);
    cr_expect_str_eq(ex.id, "05-pool");
    cr_expect_str_eq(ex.name, "pool");
    cr_expect_str_eq(ex.track, "blur");
    cr_expect_str_eq(ex.file, "pool.c");
    cr_expect_eq(ex.checks, (1u << CHECK_CORRECT) | (1u << CHECK_ERRORS) | (1u << CHECK_RACES));
    cr_expect_eq(ex.tolerance, 0);
    cr_expect_eq(ex.timeout, 90);
    cr_expect_str_eq(ex.summary, "a pool of threads");
    cr_expect_str_eq(ex.hint, "Lock, take, unlock.");
}

Test(exercises, a_hint_may_contain_a_bar)
{
    struct exercise ex;
    struct err err = {0};
    cr_assert_eq(exercises_parse_line("01|kernel|blur|k.c|correct|4|60|s|a | b", "x:1", &ex, &err),
                 1, "%s", err.msg);
    cr_expect_str_eq(ex.hint, "a | b");
    cr_expect_eq(ex.tolerance, 4);
}

Test(exercises, comments_and_blank_lines_are_skipped)
{
    struct exercise ex;
    struct err err = {0};
    cr_expect_eq(exercises_parse_line("# num | name\n", "x:1", &ex, &err), 0);
    cr_expect_eq(exercises_parse_line("   \t\n", "x:2", &ex, &err), 0);
    cr_expect_eq(exercises_parse_line("", "x:3", &ex, &err), 0);
}

/* Each bad line must fail with a message naming the place and the field. */
static void expect_refused(const char *line, const char *words)
{
    struct exercise ex;
    struct err err = {0};
    cr_expect_eq(exercises_parse_line(line, "list.txt:7", &ex, &err), -1, "accepted: %s", line);
    cr_expect(strstr(err.msg, "list.txt:7") != NULL, "no line number in: %s", err.msg);
    cr_expect(strstr(err.msg, words) != NULL, "'%s' not in: %s", words, err.msg);
}

Test(exercises, malformed_fields_are_refused_with_the_line_and_the_reason)
{
    expect_refused("5 | pool | blur | pool.c | correct | 0 | 90 | s | h", "number '5'");
    expect_refused("00 | pool | blur | pool.c | correct | 0 | 90 | s | h", "number '00'");
    expect_refused("ab | pool | blur | pool.c | correct | 0 | 90 | s | h", "number 'ab'");
    expect_refused("05 | Pool | blur | pool.c | correct | 0 | 90 | s | h", "name 'Pool'");
    /* Found by fuzz_exercises: an all-digit name parsed, but exercises_find()
     * took it for a number, so the exercise could not be found by name. */
    expect_refused("05 | 7 | blur | pool.c | correct | 0 | 90 | s | h", "name '7'");
    expect_refused("05 | -x | blur | pool.c | correct | 0 | 90 | s | h", "name '-x'");
    expect_refused("05 | pool | cpu | pool.c | correct | 0 | 90 | s | h", "track 'cpu'");
    expect_refused("05 | pool | blur | pool.h | correct | 0 | 90 | s | h", "file 'pool.h'");
    expect_refused("05 | pool | blur | a/pool.c | correct | 0 | 90 | s | h", "file 'a/pool.c'");
    expect_refused("05 | pool | blur | pool.c | correct fast | 0 | 90 | s | h",
                   "unknown check 'fast'");
    expect_refused("05 | pool | blur | pool.c | races races | 0 | 90 | s | h", "listed twice");
    expect_refused("05 | pool | blur | pool.c |  | 0 | 90 | s | h", "no checks");
    expect_refused("05 | pool | blur | pool.c | correct | -1 | 90 | s | h", "tolerance '-1'");
    expect_refused("05 | pool | blur | pool.c | correct | 256 | 90 | s | h", "tolerance '256'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 9s | s | h", "timeout '9s'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 0 | s | h", "timeout '0'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 90 | s |  ", "hint is empty");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 90 |  | h", "summary is empty");
    expect_refused("05 | pool | blur | pool.c | correct | 0", "6 field(s), expected 9");
    expect_refused("05 | pool | blur", "3 field(s), expected 9");
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/retreat-exercises-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(exercises, load_names_the_file_and_line_of_an_error)
{
    char *path =
        write_temp("# comment\n" GOOD "\n06 | rows | blurr | rows.c | correct | 0 | 9 | s | h\n");
    struct exercise *list;
    size_t count;
    struct err err = {0};
    cr_expect_eq(exercises_load(path, &list, &count, &err), -1);
    char where[128];
    snprintf(where, sizeof where, "%s:3: track 'blurr'", path);
    cr_expect(strstr(err.msg, where) != NULL, "got: %s", err.msg);
    cr_expect_null(list);
    unlink(path);
}

Test(exercises, load_refuses_duplicates_and_empty_lists)
{
    char *path = write_temp(GOOD "\n" GOOD "\n");
    struct exercise *list;
    size_t count;
    struct err err = {0};
    cr_expect_eq(exercises_load(path, &list, &count, &err), -1);
    cr_expect(strstr(err.msg, ":2: exercise 05 is listed twice") != NULL, "got: %s", err.msg);
    unlink(path);

    path = write_temp("# only comments\n\n");
    cr_expect_eq(exercises_load(path, &list, &count, &err), -1);
    cr_expect(strstr(err.msg, "no exercises") != NULL, "got: %s", err.msg);
    unlink(path);

    cr_expect_eq(exercises_load("/nonexistent/exercises.txt", &list, &count, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/exercises.txt: cannot open") != NULL, "got: %s",
              err.msg);
}

Test(exercises, find_accepts_5_05_pool_and_05_pool)
{
    char *path = write_temp("01 | kernel | blur | kernel.c | correct | 0 | 60 | s | h\n" GOOD "\n");
    struct exercise *list;
    size_t count;
    struct err err = {0};
    cr_assert_eq(exercises_load(path, &list, &count, &err), 0, "%s", err.msg);
    unlink(path);
    cr_assert_eq(count, 2);
    const char *keys[] = {"5", "05", "pool", "05-pool", "005"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const struct exercise *ex = exercises_find(list, count, keys[i]);
        cr_expect(ex != NULL && ex->number == 5, "'%s' did not find exercise 05", keys[i]);
    }
    cr_expect_null(exercises_find(list, count, "7"));
    cr_expect_null(exercises_find(list, count, "5x"));
    cr_expect_null(exercises_find(list, count, ""));
    cr_expect_null(exercises_find(list, count, "99999999999999999999"));
    free(list);
}

/* The real list: everything else derives from it, so it must load. */
Test(exercises, the_project_list_loads_in_order)
{
    struct exercise *list;
    size_t count;
    struct err err = {0};
    cr_assert_eq(exercises_load(EXERCISES_PATH, &list, &count, &err), 0, "%s", err.msg);
    cr_expect_geq(count, 8);
    for (size_t i = 0; i < count; i++)
        cr_expect_eq(list[i].number, (int)i + 1, "exercise %zu is numbered %02d", i + 1,
                     list[i].number);
    const struct exercise *pool = exercises_find(list, count, "5");
    cr_assert_not_null(pool);
    cr_expect_str_eq(pool->id, "05-pool");
    cr_expect(pool->checks & (1u << CHECK_RACES));
    free(list);
}

/* --- One source of truth ----------------------------------------------------
 * Issue 11: "Rows is one image at a time" stayed in four places after rows
 * changed, and two of them were on --help and the stream. Each style's
 * one-line summary is now written in exercises.txt; the copies that must
 * be compiled in or rendered by a Markdown viewer are checked against it. */

static struct exercise *project_list(size_t *count)
{
    struct exercise *list;
    struct err err = {0};
    cr_assert_eq(exercises_load(EXERCISES_PATH, &list, count, &err), 0, "%s", err.msg);
    return list;
}

Test(exercises, style_tables_have_the_summaries_of_exercises_txt)
{
    size_t count, seen = 0;
    struct exercise *list = project_list(&count);
    for (const struct style *s = styles; s->name != NULL; s++, seen++) {
        if (s->beyond) { /* no exercise: library code beyond the ladder */
            cr_expect_null(exercises_find(list, count, s->name), "%s", s->name);
            cr_expect_eq(s->exercise, 0, "%s", s->name);
            continue;
        }
        const struct exercise *ex = exercises_find(list, count, s->name);
        cr_assert_not_null(ex, "blur style %s is not in exercises.txt", s->name);
        cr_expect_eq(ex->number, s->exercise, "%s", s->name);
        cr_expect_str_eq(s->summary, ex->summary, "src/cli/styles.c, style %s", s->name);
    }
    for (const struct fetch_style *s = fetch_styles; s->name != NULL; s++, seen++) {
        const struct exercise *ex = exercises_find(list, count, s->name);
        cr_assert_not_null(ex, "fetch style %s is not in exercises.txt", s->name);
        cr_expect_eq(ex->number, s->exercise, "%s", s->name);
        cr_expect_str_eq(s->summary, ex->summary, "src/cli/fetch_styles.c, style %s", s->name);
    }
    cr_expect_geq(seen, 12, "only %zu styles in the tables", seen);
    free(list);
}

/* Splits a Markdown table row "| a | b | c |" into trimmed cells, in place.
 * Returns the number of cells. */
static int table_cells(char *row, char **cells, int max)
{
    int n = 0;
    char *p = strchr(row, '|');
    while (p != NULL && n < max) {
        char *next = strchr(p + 1, '|');
        if (next == NULL)
            break;
        *next = '\0';
        char *c = p + 1;
        while (*c == ' ')
            c++;
        char *end = c + strlen(c);
        while (end > c && end[-1] == ' ')
            *--end = '\0';
        cells[n++] = c;
        p = next; /* the search goes on after it */
    }
    return n;
}

Test(exercises, readme_table_has_the_summaries_of_exercises_txt)
{
    size_t count, rows = 0;
    struct exercise *list = project_list(&count);
    FILE *f = fopen("README.md", "r");
    cr_assert_not_null(f, "README.md not found (the tests run from the project's root)");
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        /* The exercise table's rows: "| 06 | rows | blur | SUMMARY |". */
        if (!(line[0] == '|' && line[1] == ' ' && line[2] >= '0' && line[2] <= '9' &&
              line[3] >= '0' && line[3] <= '9' && line[4] == ' '))
            continue;
        char copy[1024], *cells[8];
        snprintf(copy, sizeof copy, "%s", line);
        int n = table_cells(copy, cells, 8);
        cr_assert_eq(n, 4, "README.md row with %d cells: %s", n, line);
        const struct exercise *ex = exercises_find(list, count, cells[0]);
        cr_assert_not_null(ex, "README.md lists exercise %s, exercises.txt does not", cells[0]);
        cr_expect_str_eq(cells[1], ex->name, "README.md, exercise %s", cells[0]);
        cr_expect_str_eq(cells[3], ex->summary, "README.md, exercise %s", cells[0]);
        rows++;
    }
    fclose(f);
    cr_expect_eq(rows, count, "README.md's table has %zu rows, exercises.txt %zu exercises", rows,
                 count);
    free(list);
}
