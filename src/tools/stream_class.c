/* stream_class.c - parsing the class server's state JSON; see
 * stream_class.h. jansson does the parsing; this file only walks the tree,
 * field by field, so that an error can say which field was wrong.
 */
#include "stream_class.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* Copies the string field key of o into dst; a missing field is "" when
 * optional. -1 if it is there but not a string, or required and missing. */
static int get_str(json_t *o, const char *key, char *dst, size_t cap, int required)
{
    json_t *v = json_object_get(o, key);
    dst[0] = '\0';
    if (v == NULL || json_is_null(v))
        return required ? -1 : 0;
    if (!json_is_string(v))
        return -1;
    snprintf(dst, cap, "%s", json_string_value(v));
    return 0;
}

/* A number field (integer or real) as a double; missing is 0 when optional. */
static int get_num(json_t *o, const char *key, double *out, int required)
{
    json_t *v = json_object_get(o, key);
    *out = 0;
    if (v == NULL || json_is_null(v))
        return required ? -1 : 0;
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

static int get_ll(json_t *o, const char *key, long long *out, int required)
{
    double d;
    if (get_num(o, key, &d, required) != 0)
        return -1;
    *out = (long long)d;
    return 0;
}

static int bad(struct err *err, const char *where, const char *field)
{
    return err_set(err, "%s: missing or wrong field %s", where, field);
}

static int parse_leaderboard(json_t *root, const char *where, struct stream_class *c,
                             struct err *err)
{
    json_t *arr = json_object_get(root, "leaderboard"), *row;
    if (!json_is_array(arr))
        return bad(err, where, "leaderboard (an array)");
    size_t i;
    json_array_foreach(arr, i, row)
    {
        if (c->nleaderboard == STREAM_CLASS_MAX_ROWS)
            break; /* the best come first: the rest would not fit on screen */
        struct stream_class_row *r = &c->leaderboard[c->nleaderboard++];
        double passed;
        if (!json_is_object(row) || get_str(row, "name", r->name, sizeof r->name, 1) != 0 ||
            get_num(row, "passed", &passed, 1) != 0 ||
            get_num(row, "best_speedup", &r->best_speedup, 0) != 0 ||
            get_str(row, "best_exercise", r->best_exercise, sizeof r->best_exercise, 0) != 0)
            return err_set(err, "%s: leaderboard[%zu]: expected name, passed, best_speedup", where,
                           i);
        r->passed = (int)passed;
    }
    return 0;
}

static int parse_firsts(json_t *root, const char *where, struct stream_class *c, struct err *err)
{
    json_t *arr = json_object_get(root, "firsts"), *row;
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr))
        return bad(err, where, "firsts (an array)");
    size_t i;
    json_array_foreach(arr, i, row)
    {
        if (c->nfirsts == STREAM_CLASS_MAX_ROWS)
            break;
        struct stream_class_first *f = &c->firsts[c->nfirsts++];
        if (!json_is_object(row) ||
            get_str(row, "exercise", f->exercise, sizeof f->exercise, 1) != 0 ||
            get_str(row, "name", f->name, sizeof f->name, 1) != 0 ||
            get_ll(row, "at", &f->at, 0) != 0)
            return err_set(err, "%s: firsts[%zu]: expected exercise and name", where, i);
    }
    return 0;
}

/* latest_pass or latest_race: an object, or null. */
static int parse_run(json_t *root, const char *key, const char *where, struct stream_class_run *r,
                     struct err *err)
{
    json_t *o = json_object_get(root, key);
    if (o == NULL || json_is_null(o))
        return 0;
    if (!json_is_object(o) || get_str(o, "name", r->name, sizeof r->name, 1) != 0 ||
        get_str(o, "exercise", r->exercise, sizeof r->exercise, 1) != 0 ||
        get_ll(o, "run", &r->run, 1) != 0 || get_ll(o, "at", &r->at, 0) != 0 ||
        get_num(o, "speedup", &r->speedup, 0) != 0)
        return err_set(err, "%s: %s: expected null or an object with name, exercise and run", where,
                       key);
    r->present = 1;
    return 0;
}

static int parse_accesses(json_t *root, const char *where, struct stream_class *c, struct err *err)
{
    json_t *race = json_object_get(root, "latest_race");
    if (!json_is_object(race))
        return 0;
    if (get_str(race, "summary", c->race_summary, sizeof c->race_summary, 0) != 0)
        return bad(err, where, "latest_race.summary (a string)");
    json_t *arr = json_object_get(race, "accesses"), *a;
    if (arr != NULL && !json_is_array(arr))
        return bad(err, where, "latest_race.accesses (an array)");
    size_t i;
    json_array_foreach(arr, i, a)
    {
        if (c->naccesses == 2)
            break; /* a race is two accesses; more would be another race */
        struct stream_class_access *x = &c->accesses[c->naccesses++];
        double line;
        if (!json_is_object(a) || get_str(a, "what", x->what, sizeof x->what, 0) != 0 ||
            get_str(a, "where", x->where, sizeof x->where, 0) != 0 ||
            get_str(a, "file", x->file, sizeof x->file, 0) != 0 ||
            get_num(a, "line", &line, 0) != 0 ||
            get_str(a, "source", x->source, sizeof x->source, 0) != 0)
            return err_set(err,
                           "%s: latest_race.accesses[%zu]: expected what, where, file, "
                           "line and source",
                           where, i);
        x->line = (long)line;
    }
    return 0;
}

int stream_class_parse(const char *text, size_t len, const char *where, struct stream_class *c,
                       struct err *err)
{
    memset(c, 0, sizeof *c);
    json_error_t jerr;
    json_t *root = json_loadb(text, len, 0, &jerr);
    if (root == NULL)
        return err_set(err, "%s: not valid JSON (line %d: %s)", where, jerr.line, jerr.text);
    double participants = 0;
    int rc = -1;
    if (!json_is_object(root))
        err_set(err, "%s: expected a JSON object (the class state)", where);
    else if (get_ll(root, "updated", &c->updated, 0) != 0)
        bad(err, where, "updated (unix seconds)");
    else if (get_num(root, "participants", &participants, 0) != 0)
        bad(err, where, "participants (a number)");
    else if (parse_leaderboard(root, where, c, err) == 0 &&
             parse_firsts(root, where, c, err) == 0 &&
             parse_run(root, "latest_pass", where, &c->pass, err) == 0 &&
             parse_run(root, "latest_race", where, &c->race, err) == 0 &&
             parse_accesses(root, where, c, err) == 0)
        rc = 0;
    c->participants = (int)participants;
    json_decref(root);
    if (rc != 0)
        memset(c, 0, sizeof *c);
    return rc;
}
