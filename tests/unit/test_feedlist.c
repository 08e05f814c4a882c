/* test_feedlist.c - reading the feeds file of `retreat comics`. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "feed.h"
#include "feedlist.h"

static void parse(const char *text, struct feedlist *list)
{
    struct err err = {{0}};
    cr_assert_eq(feedlist_parse(text, strlen(text), "feeds.txt", list, &err), 0, "%s", err.msg);
}

Test(feedlist, urls_comments_and_blank_lines)
{
    struct feedlist list;
    parse("# my comics\n\n  https://a.test/atom.xml  \r\n"
          "http://127.0.0.1:8080/feed/3.xml   # the embedded one\n"
          "\t# indented comment\nHTTP://b.test/rss",
          &list);
    cr_assert_eq(list.count, 3);
    cr_expect_str_eq(list.urls[0], "https://a.test/atom.xml");
    cr_expect_str_eq(list.urls[1], "http://127.0.0.1:8080/feed/3.xml");
    cr_expect_str_eq(list.urls[2], "HTTP://b.test/rss"); /* no newline at the end */
    cr_expect_eq(list.nproblems, 0);
    feedlist_free(&list);
    cr_expect_eq(list.count, 0);
}

Test(feedlist, bad_lines_are_reported_with_their_number)
{
    struct feedlist list;
    char *long_line = malloc(FEED_URL_MAX + 20);
    cr_assert_not_null(long_line);
    strcpy(long_line, "http://a.test/");
    memset(long_line + 14, 'x', FEED_URL_MAX);
    long_line[14 + FEED_URL_MAX] = '\0';

    char text[FEED_URL_MAX + 400];
    snprintf(text, sizeof text,
             "http://ok.test/1\n"          /* 1 */
             "ftp://files.test/feed\n"     /* 2 */
             "%s\n"                        /* 3 */
             "http://ok.test/2 and more\n" /* 4 */
             "javascript:alert(1)\n"       /* 5 */
             "http://ok.test/1\n"          /* 6 */
             "feeds.example.com/rss\n"     /* 7 */
             "https://ok.test/3\n",        /* 8 */
             long_line);
    parse(text, &list);
    cr_assert_eq(list.count, 2);
    cr_expect_str_eq(list.urls[0], "http://ok.test/1");
    cr_expect_str_eq(list.urls[1], "https://ok.test/3");
    const char *want[] = {"feeds.txt:2: 'ftp://files.test/feed' is not an http or https URL",
                          "feeds.txt:3: URL longer than 2047 characters",
                          "feeds.txt:4: more than one word",
                          "feeds.txt:5: 'javascript:alert(1)' is not an http or https URL",
                          "feeds.txt:6: 'http://ok.test/1' is listed twice",
                          "feeds.txt:7: 'feeds.example.com/rss' is not an http or https URL"};
    cr_assert_eq(list.nproblems, 6);
    for (size_t k = 0; k < 6; k++)
        cr_expect_not_null(strstr(list.problems[k], want[k]), "got: %s", list.problems[k]);
    feedlist_free(&list);
    free(long_line);
}

Test(feedlist, empty_file_is_an_empty_list)
{
    struct feedlist list;
    parse("", &list);
    cr_expect_eq(list.count, 0);
    cr_expect_eq(list.nproblems, 0);
    feedlist_free(&list);
}

Test(feedlist, read_from_a_file_and_its_errors)
{
    char path[] = "/tmp/retreat-test-feedlist-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    const char text[] = "# x\nhttp://a.test/feed\n";
    cr_assert_eq(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);

    struct feedlist list;
    struct err err = {{0}};
    cr_assert_eq(feedlist_read(path, &list, &err), 0, "%s", err.msg);
    cr_expect_eq(list.count, 1);
    feedlist_free(&list);
    unlink(path);

    cr_expect_eq(feedlist_read(path, &list, &err), -1);
    cr_expect_not_null(strstr(err.msg, path), "%s", err.msg);
    cr_expect_not_null(strstr(err.msg, "No such file"), "%s", err.msg);
    cr_expect_eq(feedlist_read("/tmp", &list, &err), -1);
    cr_expect_not_null(strstr(err.msg, "/tmp: cannot read"), "%s", err.msg);
}
