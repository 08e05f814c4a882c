/* feedlist.c - reading the feeds file; see feedlist.h.
 *
 * The whole file is read into memory first (it is small, and bounded by
 * FEEDLIST_MAX_BYTES), then split into lines, so that every message can say
 * which line it is about.
 */
#include "feedlist.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed.h"

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Appends a copy of s to a growing array of strings. */
static int push(char ***items, size_t *count, const char *s)
{
    char *copy = strdup(s);
    char **more = copy ? realloc(*items, (*count + 1) * sizeof **items) : NULL;
    if (more == NULL) {
        free(copy);
        return -1;
    }
    more[(*count)++] = copy;
    *items = more;
    return 0;
}

static int problem(struct feedlist *list, const char *name, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int problem(struct feedlist *list, const char *name, size_t line, const char *fmt, ...)
{
    char msg[ERR_MSG_MAX], why[ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s:%zu: %s", name, line, why);
    return push(&list->problems, &list->nproblems, msg);
}

/* Looks at one line (len bytes, no newline) and keeps its URL or notes why not. */
static int take_line(struct feedlist *list, const char *name, size_t lineno, const char *s,
                     size_t len)
{
    while (len > 0 && is_space(*s))
        s++, len--;
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0 || s[0] == '#')
        return 0;

    size_t url_len = 0;
    while (url_len < len && !is_space(s[url_len]))
        url_len++;
    const char *rest = s + url_len;
    while (rest < s + len && is_space(*rest))
        rest++;
    if (rest < s + len && *rest != '#')
        return problem(list, name, lineno, "more than one word (one URL per line)");
    if (url_len >= FEED_URL_MAX)
        return problem(list, name, lineno, "URL longer than %d characters", FEED_URL_MAX - 1);
    if (memchr(s, '\0', url_len) != NULL)
        return problem(list, name, lineno, "a NUL byte in the line");

    char url[FEED_URL_MAX];
    memcpy(url, s, url_len);
    url[url_len] = '\0';
    if (!feed_is_http_url(url))
        return problem(list, name, lineno, "'%.200s' is not an http or https URL", url);
    for (size_t k = 0; k < list->count; k++)
        if (strcmp(list->urls[k], url) == 0)
            return problem(list, name, lineno, "'%.200s' is listed twice; left out here", url);
    return push(&list->urls, &list->count, url);
}

int feedlist_parse(const char *text, size_t size, const char *name, struct feedlist *list,
                   struct err *err)
{
    memset(list, 0, sizeof *list);
    size_t lineno = 1;
    for (const char *p = text, *end = text + size; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (take_line(list, name, lineno, p, len) != 0) {
            feedlist_free(list);
            return err_set(err, "%s: out of memory", name);
        }
        if (list->count > FEEDLIST_MAX_URLS) {
            feedlist_free(list);
            return err_set(err, "%s: more than %d URLs", name, FEEDLIST_MAX_URLS);
        }
        p += len + 1;
    }
    return 0;
}

int feedlist_read(const char *path, struct feedlist *list, struct err *err)
{
    memset(list, 0, sizeof *list);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    char *text = malloc(FEEDLIST_MAX_BYTES + 1);
    if (text == NULL) {
        fclose(f);
        return err_set(err, "%s: out of memory", path);
    }
    size_t size = fread(text, 1, FEEDLIST_MAX_BYTES + 1, f);
    int failed = ferror(f);
    fclose(f);
    int rc;
    if (failed)
        rc = err_set(err, "%s: cannot read (is it a folder?)", path);
    else if (size > FEEDLIST_MAX_BYTES)
        rc = err_set(err, "%s: too large (over %u bytes) for a feeds file", path,
                     FEEDLIST_MAX_BYTES);
    else
        rc = feedlist_parse(text, size, path, list, err);
    free(text);
    return rc;
}

static void free_strings(char **items, size_t count)
{
    for (size_t k = 0; k < count; k++)
        free(items[k]);
    free(items);
}

void feedlist_free(struct feedlist *list)
{
    free_strings(list->urls, list->count);
    free_strings(list->problems, list->nproblems);
    memset(list, 0, sizeof *list);
}
