/* grade_criterion.c - one result per suite from Criterion's JSON report.
 *
 * The exercise tests are Criterion tests; their suites are named after the
 * checks ("correct", "errors", ...). Run with --json=FILE, a test binary
 * writes a report like
 *
 *     {"test_suites": [{"name": "correct", "passed": 2, "failed": 1, ...,
 *       "tests": [{"name": "blurs_each_image", "status": "FAILED",
 *                  "messages": ["tests/exercises/05-pool.c:40: image 3 differs ..."]}]}]}
 *
 * Two quirks of Criterion 2.4 shape this file. Its JSON writer copies
 * assertion messages verbatim - a message with a quote or a tab makes the
 * report invalid JSON - so we repair those lines first. And it splits a
 * multi-line message into one array element per line (continuation lines
 * start with two spaces), listing the messages of a test newest first.
 */
#include "grade.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Appends s to the growing buffer *out, escaping what JSON requires. */
static int put(char **out, size_t *len, size_t *cap, const char *s, size_t n, int escape)
{
    /* A JSON escape is at most 6 bytes ("\u001f") per input byte. */
    if (*len + 6 * n + 1 > *cap) {
        size_t want = 2 * (*cap + 6 * n + 1);
        char *bigger = realloc(*out, want);
        if (bigger == NULL)
            return -1;
        *out = bigger;
        *cap = want;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (escape && (c == '"' || c == '\\'))
            *len += (size_t)sprintf(*out + *len, "\\%c", c);
        else if (escape && c < 0x20)
            *len += (size_t)sprintf(*out + *len, "\\u%04x", c);
        else
            (*out)[(*len)++] = (char)c;
    }
    (*out)[*len] = '\0';
    return 0;
}

/* Inside a "messages" array, each line is one string element: a quote, the
 * raw message, a quote and maybe a comma. Re-escape what is between the
 * outermost quotes; copy every other line as it is. */
static char *repair(const char *json)
{
    char *out = NULL;
    size_t len = 0, cap = 0;
    int in_messages = 0;
    for (const char *line = json; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t n = nl != NULL ? (size_t)(nl - line) + 1 : strlen(line);
        const char *first = memchr(line, '"', n);
        const char *last = NULL;
        for (const char *q = line + n; q > line; q--)
            if (q[-1] == '"') {
                last = q - 1;
                break;
            }
        int rc;
        if (in_messages && first != NULL && last != NULL && last > first &&
            strspn(line, " \t") == (size_t)(first - line)) {
            rc = put(&out, &len, &cap, line, (size_t)(first - line) + 1, 0);
            rc |= put(&out, &len, &cap, first + 1, (size_t)(last - first - 1), 1);
            rc |= put(&out, &len, &cap, last, (size_t)(line + n - last), 0);
        } else {
            rc = put(&out, &len, &cap, line, n, 0);
        }
        if (rc != 0) {
            free(out);
            return NULL;
        }
        /* A one-line array ("messages": ["The test crashed."]) is valid as is. */
        const char *key = strstr(line, "\"messages\": [");
        if (key != NULL && key < line + n && memchr(key, ']', (size_t)(line + n - key)) == NULL)
            in_messages = 1;
        else if (in_messages && line[strspn(line, " \t")] == ']')
            in_messages = 0;
        line += n;
    }
    return out != NULL ? out : strdup("");
}

static int get_int(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

/* Joins the last message of the array (the test's first failure) into one
 * line, without the "file.c:LINE: " prefix that points into the tests. */
static void first_failure(json_t *messages, char *buf, size_t cap)
{
    size_t n = json_array_size(messages);
    buf[0] = '\0';
    if (n == 0)
        return;
    /* Find where the last message starts: the last element not indented. */
    size_t start = n - 1;
    while (start > 0) {
        const char *s = json_string_value(json_array_get(messages, start));
        if (s != NULL && strncmp(s, "  ", 2) != 0)
            break;
        start--;
    }
    size_t len = 0;
    for (size_t i = start; i < n && len + 1 < cap; i++) {
        const char *s = json_string_value(json_array_get(messages, i));
        if (s == NULL)
            continue;
        s += strspn(s, " ");
        if (i == start) {
            /* "tests/exercises/05-pool.c:40: " -> "" */
            const char *colon = strstr(s, ".c:");
            size_t digits = colon != NULL ? strspn(colon + 3, "0123456789") : 0;
            if (colon != NULL && digits > 0 && colon[3 + digits] == ':' && strchr(s, ' ') > colon)
                s = colon + 3 + digits + 1 + strspn(colon + 3 + digits + 1, " ");
        }
        if (*s == '\0')
            continue;
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", len > 0 ? " " : "", s);
    }
    /* The elements before `start` are the test's later failures: say how
     * many, rather than a bare "(and more)" that tells nothing. */
    size_t later = 0;
    for (size_t i = 0; i < start; i++) {
        const char *s = json_string_value(json_array_get(messages, i));
        later += s != NULL && strncmp(s, "  ", 2) != 0;
    }
    if (later > 0 && len + 1 < cap)
        snprintf(buf + len, cap - len, " (then %zu more failed assertion%s in this test)", later,
                 later == 1 ? "" : "s");
}

static void read_suite(json_t *js, struct grade_suite *s)
{
    memset(s, 0, sizeof *s);
    const char *name = json_string_value(json_object_get(js, "name"));
    snprintf(s->name, sizeof s->name, "%s", name != NULL ? name : "?");
    s->passed = get_int(js, "passed");
    s->failed = get_int(js, "failed");
    s->errored = get_int(js, "errored");

    size_t i;
    json_t *test;
    json_array_foreach(json_object_get(js, "tests"), i, test)
    {
        s->tests++;
        const char *status = json_string_value(json_object_get(test, "status"));
        if (status == NULL || strcmp(status, "PASSED") == 0 || strcmp(status, "SKIPPED") == 0)
            continue;
        json_t *messages = json_object_get(test, "messages");
        const char *only = json_string_value(json_array_get(messages, 0));
        if (only != NULL && strcmp(only, "The test timed out.") == 0)
            s->timed_out++;
        else if (only != NULL && strcmp(only, "The test crashed.") == 0)
            s->crashed++;
        /* Criterion lists tests newest first too: keep overwriting, so the
         * first failing test in the source wins. */
        const char *tname = json_string_value(json_object_get(test, "name"));
        snprintf(s->failing_test, sizeof s->failing_test, "%s", tname != NULL ? tname : "?");
        first_failure(messages, s->message, sizeof s->message);
    }
}

int grade_criterion_parse(const char *json, struct grade_suite **suites, size_t *count,
                          struct err *err)
{
    *suites = NULL;
    *count = 0;
    char *fixed = repair(json);
    if (fixed == NULL)
        return err_set(err, "Criterion report: out of memory");
    json_error_t jerr;
    json_t *root = json_loads(fixed, 0, &jerr);
    free(fixed);
    if (root == NULL)
        return err_set(err, "Criterion report: not valid JSON at line %d: %s", jerr.line,
                       jerr.text);
    json_t *list = json_object_get(root, "test_suites");
    if (!json_is_array(list)) {
        json_decref(root);
        return err_set(err, "Criterion report: no \"test_suites\" array");
    }
    size_t n = json_array_size(list);
    *suites = calloc(n > 0 ? n : 1, sizeof **suites);
    if (*suites == NULL) {
        json_decref(root);
        return err_set(err, "Criterion report: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        read_suite(json_array_get(list, i), &(*suites)[i]);
    *count = n;
    json_decref(root);
    return 0;
}

const struct grade_suite *grade_criterion_find(const struct grade_suite *suites, size_t count,
                                               const char *name)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(suites[i].name, name) == 0)
            return &suites[i];
    return NULL;
}
