/* test_exercises.c - reading exercises/exercises.txt: good lines, comments,
 * every kind of malformed field (with its line named), lookup by number or
 * name, and the real file of the project. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exercises.h"

#define GOOD "05 | pool | blur | pool.c | correct errors races | 0 | 90 | Lock, take, unlock."

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
    cr_expect_str_eq(ex.hint, "Lock, take, unlock.");
}

Test(exercises, a_hint_may_contain_a_bar)
{
    struct exercise ex;
    struct err err = {0};
    cr_assert_eq(exercises_parse_line("01|kernel|blur|k.c|correct|4|60|a | b", "x:1", &ex, &err), 1,
                 "%s", err.msg);
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
    expect_refused("5 | pool | blur | pool.c | correct | 0 | 90 | h", "number '5'");
    expect_refused("00 | pool | blur | pool.c | correct | 0 | 90 | h", "number '00'");
    expect_refused("ab | pool | blur | pool.c | correct | 0 | 90 | h", "number 'ab'");
    expect_refused("05 | Pool | blur | pool.c | correct | 0 | 90 | h", "name 'Pool'");
    /* Found by fuzz_exercises: an all-digit name parsed, but exercises_find()
     * took it for a number, so the exercise could not be found by name. */
    expect_refused("05 | 7 | blur | pool.c | correct | 0 | 90 | h", "name '7'");
    expect_refused("05 | -x | blur | pool.c | correct | 0 | 90 | h", "name '-x'");
    expect_refused("05 | pool | cpu | pool.c | correct | 0 | 90 | h", "track 'cpu'");
    expect_refused("05 | pool | blur | pool.h | correct | 0 | 90 | h", "file 'pool.h'");
    expect_refused("05 | pool | blur | a/pool.c | correct | 0 | 90 | h", "file 'a/pool.c'");
    expect_refused("05 | pool | blur | pool.c | correct fast | 0 | 90 | h", "unknown check 'fast'");
    expect_refused("05 | pool | blur | pool.c | races races | 0 | 90 | h", "listed twice");
    expect_refused("05 | pool | blur | pool.c |  | 0 | 90 | h", "no checks");
    expect_refused("05 | pool | blur | pool.c | correct | -1 | 90 | h", "tolerance '-1'");
    expect_refused("05 | pool | blur | pool.c | correct | 256 | 90 | h", "tolerance '256'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 9s | h", "timeout '9s'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 0 | h", "timeout '0'");
    expect_refused("05 | pool | blur | pool.c | correct | 0 | 90 |  ", "hint is empty");
    expect_refused("05 | pool | blur | pool.c | correct | 0", "6 field(s), expected 8");
    expect_refused("05 | pool | blur", "3 field(s), expected 8");
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
        write_temp("# comment\n" GOOD "\n06 | rows | blurr | rows.c | correct | 0 | 9 | h\n");
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
    char *path = write_temp("01 | kernel | blur | kernel.c | correct | 0 | 60 | h\n" GOOD "\n");
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
