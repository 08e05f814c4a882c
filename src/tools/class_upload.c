/* class_upload.c - checking an upload to the class server; see class_upload.h.
 *
 * The order of the checks is the order a reader of a refusal wants: size
 * first (it costs nothing), then JSON, then each field in the order of the
 * format, so the reason names the first thing wrong. Text fields that are
 * too long are refused, not cut: a participant's client never sends them, so
 * a long one means a hand-made or broken upload, and saying so helps. The
 * run log is the one big field; its lines go through runlog_parse_line(), the
 * function runlog_read() uses, with the same line-length limit, so the class
 * keeps only logs that the stream and the trace route can read back.
 */
#include "class_upload.h"

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"

static const char *const mark_names[] = {
    [CLASS_PASS] = "pass", [CLASS_FAIL] = "fail", [CLASS_INFO] = "info", [CLASS_SKIP] = "skip"};

const char *class_mark_name(enum class_mark mark)
{
    return mark <= CLASS_SKIP ? mark_names[mark] : "?";
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if it is not one. */
static size_t utf8_len(const unsigned char *s)
{
    if (s[0] < 0x80)
        return 1;
    size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    if (n == 0 || s[0] > 0xf4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* Overlong 3- and 4-byte forms, UTF-16 surrogates, beyond U+10FFFF. */
    if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
        (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

size_t class_clean_text(char *dst, size_t cap, const char *src, int layout)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    const unsigned char *s = (const unsigned char *)src;
    while (*s != '\0') {
        size_t len = utf8_len(s);
        int space = len == 0 || *s < 0x20 || *s == 0x7f || *s == ' ';
        size_t spaces = layout && *s == '\t' ? 4 : 1;
        if (len == 0)
            len = 1; /* a stray byte: skipped, as a space */
        if (space) {
            int squeeze = !layout && (n == 0 || dst[n - 1] == ' ');
            for (size_t k = 0; k < spaces && !squeeze && n + 1 < cap; k++)
                dst[n++] = ' ';
        } else {
            if (n + len >= cap)
                break; /* never half a character */
            memcpy(dst + n, s, len);
            n += len;
        }
        s += len;
    }
    while (n > 0 && dst[n - 1] == ' ')
        n--;
    dst[n] = '\0';
    return n;
}

/* --- Fields ----------------------------------------------------------------- */

/* A string field: required or not, at most max bytes before cleaning;
 * layout: keep its spaces (a line of code). */
static int get_text_as(json_t *o, const char *key, int required, size_t max, char *dst, size_t cap,
                       const char *what, int layout, struct err *err)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (v == NULL && !required)
        return 0;
    if (!json_is_string(v))
        return err_set(err, "%s: field \"%s\" must be a string", what, key);
    if (json_string_length(v) > max)
        return err_set(err, "%s: field \"%s\" is longer than %zu bytes", what, key, max);
    class_clean_text(dst, cap, json_string_value(v), layout);
    return 0;
}

static int get_text(json_t *o, const char *key, int required, size_t max, char *dst, size_t cap,
                    const char *what, struct err *err)
{
    return get_text_as(o, key, required, max, dst, cap, what, 0, err);
}

static int check_token(const char *token, struct err *err)
{
    size_t n = strlen(token);
    if (n != CLASS_TOKEN_HEX)
        return err_set(err,
                       "upload: \"token\" must be %d hex digits (from retreat join), not %zu "
                       "characters",
                       CLASS_TOKEN_HEX, n);
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)token[i]))
            return err_set(err, "upload: \"token\" must be hex digits only");
    return 0;
}

static int get_identity(json_t *o, char *name, char *token, struct err *err)
{
    if (get_text(o, "name", 1, 4 * CLASS_NAME_MAX, name, CLASS_NAME_MAX + 1, "upload", err) != 0)
        return -1;
    if (name[0] == '\0')
        return err_set(err, "upload: \"name\" is empty once control characters are removed");
    if (get_text(o, "token", 1, CLASS_TOKEN_HEX, token, CLASS_TOKEN_HEX + 1, "upload", err) != 0)
        return -1;
    return check_token(token, err);
}

/* An id of the shape NN-name: what exercises.txt would accept as a folder. */
static int id_shaped(const char *id)
{
    if (!isdigit((unsigned char)id[0]) || !isdigit((unsigned char)id[1]) || id[2] != '-' ||
        id[3] == '\0')
        return 0;
    for (const char *c = id + 3; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '-')
            return 0;
    return 1;
}

static int get_exercise(json_t *o, const struct exercise *list, size_t count,
                        struct class_upload *up, struct err *err)
{
    if (get_text(o, "exercise", 1, sizeof up->exercise - 1, up->exercise, sizeof up->exercise,
                 "upload", err) != 0)
        return -1;
    if (count == 0)
        return id_shaped(up->exercise)
                   ? 0
                   : err_set(err, "upload: exercise \"%s\" is not of the form NN-name",
                             up->exercise);
    for (size_t i = 0; i < count; i++)
        if (strcmp(list[i].id, up->exercise) == 0)
            return 0;
    return err_set(err, "upload: exercise \"%s\" is not one of this class's exercises",
                   up->exercise);
}

static int get_checks(json_t *o, struct class_upload *up, struct err *err)
{
    json_t *arr = json_object_get(o, "checks");
    if (!json_is_array(arr))
        return err_set(err, "upload: field \"checks\" must be an array of card lines");
    if (json_array_size(arr) > CLASS_CHECKS_MAX)
        return err_set(err, "upload: %zu checks, a card has at most %d", json_array_size(arr),
                       CLASS_CHECKS_MAX);
    unsigned seen = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char where[64], word[16];
        snprintf(where, sizeof where, "upload: checks[%zu]", i);
        struct class_check *c = &up->checks[i];
        if (!json_is_object(v))
            return err_set(err, "%s: must be an object", where);
        if (get_text(v, "check", 1, sizeof word - 1, word, sizeof word, where, err) != 0)
            return -1;
        int k = 0;
        while (k < CHECK_COUNT && strcmp(exercises_check_name((enum exercise_check)k), word) != 0)
            k++;
        if (k == CHECK_COUNT)
            return err_set(err, "%s: unknown check \"%s\"", where, word);
        if (seen & (1u << k))
            return err_set(err, "%s: check \"%s\" twice", where, word);
        seen |= 1u << k;
        c->check = (enum exercise_check)k;
        if (get_text(v, "mark", 1, sizeof word - 1, word, sizeof word, where, err) != 0)
            return -1;
        int m = 0;
        while (m <= CLASS_SKIP && strcmp(mark_names[m], word) != 0)
            m++;
        if (m > CLASS_SKIP)
            return err_set(err, "%s: mark \"%s\" is not pass, fail, info or skip", where, word);
        c->mark = (enum class_mark)m;
        if (get_text(v, "text", 0, CLASS_TEXT_MAX - 1, c->text, sizeof c->text, where, err) != 0)
            return -1;
        up->nchecks++;
    }
    return 0;
}

static int get_accesses(json_t *o, struct class_upload *up, struct err *err)
{
    json_t *arr = json_object_get(o, "accesses");
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > CLASS_ACCESS_MAX)
        return err_set(err, "upload: field \"accesses\" must be an array of at most %d accesses",
                       CLASS_ACCESS_MAX);
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        char where[64];
        snprintf(where, sizeof where, "upload: accesses[%zu]", i);
        struct class_access *a = &up->accesses[i];
        if (!json_is_object(v))
            return err_set(err, "%s: must be an object", where);
        if (get_text(v, "what", 1, sizeof a->what - 1, a->what, sizeof a->what, where, err) ||
            get_text(v, "where", 0, sizeof a->where - 1, a->where, sizeof a->where, where, err) ||
            get_text(v, "file", 1, sizeof a->file - 1, a->file, sizeof a->file, where, err) ||
            get_text_as(v, "source", 0, 4 * CLASS_SOURCE_MAX, a->source, sizeof a->source, where, 1,
                        err))
            return -1;
        json_t *line = json_object_get(v, "line");
        if (!json_is_integer(line) || json_integer_value(line) < 1 ||
            json_integer_value(line) > 10000000)
            return err_set(err, "%s: \"line\" must be a line number (1 to 10000000)", where);
        a->line = (long)json_integer_value(line);
        up->naccesses++;
    }
    return 0;
}

/* The run log: JSON Lines, each line as runlog_read() would accept it. */
static int get_runlog(json_t *o, struct class_upload *up, int *status, struct err *err)
{
    json_t *v = json_object_get(o, "runlog");
    if (v == NULL)
        return 0;
    if (!json_is_string(v))
        return err_set(err, "upload: field \"runlog\" must be a string (JSON Lines)");
    size_t len = json_string_length(v);
    if (len > CLASS_RUNLOG_MAX) {
        *status = 413;
        return err_set(err, "upload: the run log is %zu bytes, the class keeps at most %u", len,
                       CLASS_RUNLOG_MAX);
    }
    const char *text = json_string_value(v);
    if (memchr(text, '\0', len) != NULL)
        return err_set(err, "upload: the run log contains a NUL byte");
    size_t lineno = 0;
    for (const char *p = text, *end = text + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        lineno++;
        if (n > 0) {
            char where[48];
            snprintf(where, sizeof where, "upload: runlog line %zu", lineno);
            struct runlog_span span;
            if (n > RUNLOG_LINE_MAX)
                return err_set(err, "%s: longer than %d bytes", where, RUNLOG_LINE_MAX);
            if (runlog_parse_line(p, n, &span, where, err) != 0)
                return -1;
            up->runlog_spans++;
        }
        p = eol + 1;
    }
    if ((up->runlog = malloc(len + 1)) == NULL)
        return err_set(err, "upload: out of memory");
    memcpy(up->runlog, text, len + 1);
    up->runlog_len = len;
    return 0;
}

static void derive(struct class_upload *up)
{
    int passes = 0, fails = up->build_error[0] != '\0';
    for (size_t i = 0; i < up->nchecks; i++) {
        passes += up->checks[i].mark == CLASS_PASS;
        fails += up->checks[i].mark == CLASS_FAIL;
        if (up->checks[i].check == CHECK_RACES && up->checks[i].mark == CLASS_FAIL)
            up->race_text = up->checks[i].text;
    }
    up->passed = fails == 0 && passes > 0;
}

/* --- Whole requests ---------------------------------------------------------- */

static json_t *load(const char *body, size_t len, int *status, struct err *err)
{
    *status = 400;
    if (len > CLASS_BODY_MAX) {
        *status = 413;
        err_set(err, "upload: %zu bytes, the class accepts at most %u", len, CLASS_BODY_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (o == NULL) {
        err_set(err, "upload: not valid JSON (line %d: %s)", jerr.line, jerr.text);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        err_set(err, "upload: expected a JSON object");
        return NULL;
    }
    return o;
}

int class_upload_parse(const char *body, size_t len, const struct exercise *list, size_t count,
                       struct class_upload *up, int *status, struct err *err)
{
    memset(up, 0, sizeof *up);
    json_t *o = load(body, len, status, err);
    if (o == NULL)
        return -1;
    json_t *speedup = json_object_get(o, "speedup");
    int rc = -1;
    if (get_identity(o, up->name, up->token, err) != 0 ||
        get_exercise(o, list, count, up, err) != 0 ||
        get_text(o, "file", 0, sizeof up->file - 1, up->file, sizeof up->file, "upload", err) ||
        get_text(o, "build_error", 0, CLASS_TEXT_MAX - 1, up->build_error, sizeof up->build_error,
                 "upload", err) ||
        get_checks(o, up, err) != 0 || get_accesses(o, up, err) != 0)
        goto out;
    if (speedup != NULL && !json_is_null(speedup)) {
        double s = json_number_value(speedup);
        if (!json_is_number(speedup) || !isfinite(s) || s <= 0 || s > CLASS_SPEEDUP_MAX) {
            err_set(err, "upload: \"speedup\" must be a number above 0 and at most %.0f",
                    CLASS_SPEEDUP_MAX);
            goto out;
        }
        up->has_speedup = 1;
        up->speedup = s;
    }
    if (up->nchecks == 0 && up->build_error[0] == '\0') {
        err_set(err, "upload: a card needs at least one check or a build error");
        goto out;
    }
    if (get_runlog(o, up, status, err) != 0)
        goto out;
    derive(up);
    rc = 0;
out:
    json_decref(o);
    if (rc != 0)
        class_upload_free(up);
    return rc;
}

int class_upload_parse_join(const char *body, size_t len, char name[CLASS_NAME_MAX + 1],
                            char token[CLASS_TOKEN_HEX + 1], int *status, struct err *err)
{
    json_t *o = load(body, len, status, err);
    if (o == NULL)
        return -1;
    int rc = get_identity(o, name, token, err);
    json_decref(o);
    return rc;
}

void class_upload_free(struct class_upload *up)
{
    free(up->runlog);
    up->runlog = NULL;
    up->runlog_len = 0;
}
