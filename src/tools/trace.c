/* trace.c - a run log as Chrome Trace Event JSON; see trace.h.
 *
 * The work is in deciding, per worker, which spans can be slices of its
 * thread track. A thread's "X" events must nest like a call stack: a slice
 * either ends before the next one starts or contains it. Spans of one worker
 * normally follow each other, but a log from a buggy exercise, or a worker
 * id reused by a forked process, can overlap; those spans become async
 * events instead of being drawn wrong or dropped by the viewer.
 */
#include "trace.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

/* Spans sorted by start (then by longest first, so a parent comes before
 * the spans it contains). */
static int by_start(const void *a, const void *b)
{
    const struct runlog_span *x = *(const struct runlog_span *const *)a;
    const struct runlog_span *y = *(const struct runlog_span *const *)b;
    if (x->start_ns != y->start_ns)
        return x->start_ns < y->start_ns ? -1 : 1;
    if (x->end_ns != y->end_ns)
        return x->end_ns > y->end_ns ? -1 : 1;
    return 0;
}

/* One worker's track: its number for "worker N", and the stack of slices
 * open at the span being placed (ends of the enclosing slices). */
#define TRACE_DEPTH 16
struct track {
    long pid, worker;
    int number;
    uint64_t open[TRACE_DEPTH];
    int depth;
};

struct builder {
    json_t *events;
    struct track *tracks;
    size_t ntracks;
    uint64_t origin_ns;
    long next_id;
};

static double micros(uint64_t ns, uint64_t origin)
{
    return (double)(ns - origin) / 1000.0;
}

/* Appends ev (a new reference) to the event array; 0 or -1. */
static int add(struct builder *b, json_t *ev)
{
    return ev != NULL && json_array_append_new(b->events, ev) == 0 ? 0 : -1;
}

static json_t *span_args(const struct runlog_span *sp)
{
    json_t *args = json_pack("{s:s, s:I, s:b}", "item", sp->item, "index", (json_int_t)sp->index,
                             "ok", sp->ok);
    if (args != NULL && sp->detail[0] != '\0')
        json_object_set_new(args, "detail", json_string(sp->detail));
    return args;
}

/* The track of a span's worker, added (with its metadata) at first sight. */
static struct track *track_of(struct builder *b, const struct runlog_span *sp)
{
    for (size_t i = 0; i < b->ntracks; i++)
        if (b->tracks[i].worker == sp->worker && b->tracks[i].pid == sp->pid)
            return &b->tracks[i];
    int new_pid = 1;
    for (size_t i = 0; i < b->ntracks; i++)
        new_pid &= b->tracks[i].pid != sp->pid;
    struct track *t = &b->tracks[b->ntracks++];
    *t = (struct track){.pid = sp->pid, .worker = sp->worker, .number = (int)b->ntracks};
    char name[64];
    if (new_pid) {
        snprintf(name, sizeof name, "process %ld", sp->pid);
        if (add(b, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name", "process_name", "ph", "M",
                             "pid", (json_int_t)sp->pid, "tid", (json_int_t)sp->worker, "args",
                             "name", name)) != 0)
            return NULL;
    }
    snprintf(name, sizeof name, "worker %d", t->number);
    if (add(b, json_pack("{s:s, s:s, s:I, s:I, s:{s:s}}", "name", "thread_name", "ph", "M", "pid",
                         (json_int_t)sp->pid, "tid", (json_int_t)sp->worker, "args", "name",
                         name)) != 0 ||
        add(b, json_pack("{s:s, s:s, s:I, s:I, s:{s:i}}", "name", "thread_sort_index", "ph", "M",
                         "pid", (json_int_t)sp->pid, "tid", (json_int_t)sp->worker, "args",
                         "sort_index", t->number)) != 0)
        return NULL;
    return t;
}

/* A span that nests in the worker's open slices becomes a slice itself. */
static int fits_on_track(struct track *t, const struct runlog_span *sp)
{
    while (t->depth > 0 && t->open[t->depth - 1] <= sp->start_ns)
        t->depth--; /* slices that ended before this span started are closed */
    if (t->depth > 0 && sp->end_ns > t->open[t->depth - 1])
        return 0; /* starts inside the innermost open slice but outlives it */
    if (t->depth == TRACE_DEPTH)
        return 0;
    t->open[t->depth++] = sp->end_ns;
    return 1;
}

static int add_span(struct builder *b, const struct runlog_span *sp)
{
    double ts = micros(sp->start_ns, b->origin_ns);
    if (runlog_is_end(sp))
        return add(b, json_pack("{s:s+, s:s, s:s, s:s, s:f, s:I, s:I, s:{s:s}}", "name",
                                "end: ", sp->detail, "cat", RUNLOG_END, "ph", "i", "s", "p", "ts",
                                ts, "pid", (json_int_t)sp->pid, "tid", (json_int_t)sp->worker,
                                "args", "exercise", sp->item));
    struct track *t = track_of(b, sp);
    if (t == NULL)
        return -1;
    double dur = micros(sp->end_ns, sp->start_ns);
    if (fits_on_track(t, sp))
        return add(b,
                   json_pack("{s:s, s:s, s:s, s:f, s:f, s:I, s:I, s:o}", "name", sp->phase, "cat",
                             sp->style, "ph", "X", "ts", ts, "dur", dur, "pid", (json_int_t)sp->pid,
                             "tid", (json_int_t)sp->worker, "args", span_args(sp)));
    /* Overlapping: an async pair, matched by cat and id. */
    json_int_t id = (json_int_t)++b->next_id;
    if (add(b, json_pack("{s:s, s:s, s:s, s:I, s:f, s:I, s:I, s:o}", "name", sp->phase, "cat",
                         sp->style, "ph", "b", "id", id, "ts", ts, "pid", (json_int_t)sp->pid,
                         "tid", (json_int_t)sp->worker, "args", span_args(sp))) != 0)
        return -1;
    return add(b, json_pack("{s:s, s:s, s:s, s:I, s:f, s:I, s:I}", "name", sp->phase, "cat",
                            sp->style, "ph", "e", "id", id, "ts", ts + dur, "pid",
                            (json_int_t)sp->pid, "tid", (json_int_t)sp->worker));
}

/* Builds the whole trace object; NULL when out of memory (or a string is
 * not UTF-8, which jansson refuses and a parsed log cannot hold). */
static json_t *build(const struct runlog_span *spans, size_t count)
{
    const struct runlog_span **order = malloc((count ? count : 1) * sizeof *order);
    struct builder b = {.events = json_array(),
                        .tracks = malloc((count ? count : 1) * sizeof *b.tracks)};
    json_t *root = NULL;
    if (order == NULL || b.tracks == NULL || b.events == NULL)
        goto out;
    for (size_t i = 0; i < count; i++)
        order[i] = &spans[i];
    qsort(order, count, sizeof *order, by_start);
    b.origin_ns = count > 0 ? order[0]->start_ns : 0;
    for (size_t i = 0; i < count; i++)
        if (add_span(&b, order[i]) != 0)
            goto out;
    root = json_pack("{s:O, s:s, s:{s:s}}", "traceEvents", b.events, "displayTimeUnit", "ms",
                     "otherData", "source", "retreat trace");
out:
    json_decref(b.events);
    free(b.tracks);
    free(order);
    return root;
}

int trace_write_json(const struct runlog_span *spans, size_t count, FILE *out, struct err *err)
{
    json_t *root = build(spans, count);
    if (root == NULL)
        return err_set(err, "trace: out of memory (or a name that is not UTF-8)");
    errno = 0;
    int rc = json_dumpf(root, out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(root);
    if (rc != 0 || fputc('\n', out) == EOF || fflush(out) != 0 || ferror(out))
        return err_set(err, "trace: write failed (%s)", errno ? strerror(errno) : "I/O error");
    return 0;
}

int trace_path_for(const char *runlog_path, char *out, size_t cap, struct err *err)
{
    size_t len = strlen(runlog_path);
    if (len > 6 && strcmp(runlog_path + len - 6, ".jsonl") == 0)
        len -= 6;
    int n = snprintf(out, cap, "%.*s.trace.json", (int)len, runlog_path);
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, "%s: path too long for its trace", runlog_path);
    return 0;
}

int trace_convert_file(const char *runlog_path, const char *out_path, struct err *err)
{
    struct runlog_span *spans;
    size_t count;
    if (runlog_read(runlog_path, &spans, &count, err) != 0)
        return -1;
    char tmp[4096];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp-%ld", out_path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof tmp) {
        free(spans);
        return err_set(err, "%s: path too long", out_path);
    }
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        free(spans);
        return err_set(err, "%s: cannot create (%s)", out_path, strerror(errno));
    }
    int rc = trace_write_json(spans, count, f, err);
    free(spans);
    if (fclose(f) != 0 && rc == 0)
        rc = err_set(err, "trace: write failed (%s)", strerror(errno));
    if (rc == 0 && rename(tmp, out_path) != 0)
        rc = err_set(err, "cannot rename into place (%s)", strerror(errno));
    if (rc != 0) {
        unlink(tmp);
        return err_prefix(err, "%s: ", out_path);
    }
    return 0;
}
