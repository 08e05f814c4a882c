/* test_trace.c - `retreat trace`: run logs as Chrome Trace Event JSON.
 *
 * The output is parsed back with jansson and checked against the rules of
 * the Trace Event Format that ui.perfetto.dev and chrome://tracing rely on:
 * a "traceEvents" array; complete events (ph "X") with a string name,
 * numeric ts and dur in microseconds and integer pid and tid; thread_name
 * metadata naming each worker's track; async begin/end pairs ("b"/"e")
 * sharing a cat and an id. Then the command: atomic files, clear errors.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "runlog.h"
#include "test_stream_probe.h"
#include "trace.h"

#define T0 5000000000ull /* the log's clock: 5 s after boot */

static struct runlog_span span(const char *style, const char *phase, long worker, long pid,
                               double start_ms, double end_ms)
{
    struct runlog_span s;
    memset(&s, 0, sizeof s);
    snprintf(s.style, sizeof s.style, "%s", style);
    snprintf(s.phase, sizeof s.phase, "%s", phase);
    snprintf(s.item, sizeof s.item, "photo \"%ld\".png", worker); /* a quote to escape */
    s.worker = worker;
    s.pid = pid;
    s.start_ns = T0 + (uint64_t)llround(start_ms * 1e6);
    s.end_ns = T0 + (uint64_t)llround(end_ms * 1e6);
    s.ok = 1;
    return s;
}

/* Runs trace_write_json into memory and parses the result. */
static json_t *trace_of(const struct runlog_span *spans, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    cr_assert_not_null(f);
    struct err err;
    cr_assert_eq(trace_write_json(spans, n, f, &err), 0, "%s", err.msg);
    fclose(f);
    json_error_t jerr;
    json_t *root = json_loadb(buf, len, 0, &jerr);
    cr_assert_not_null(root, "not JSON (%s): %s", jerr.text, buf);
    free(buf);
    cr_assert(json_is_object(root));
    cr_assert(json_is_array(json_object_get(root, "traceEvents")), "no traceEvents array");
    return root;
}

static const char *str(json_t *ev, const char *key)
{
    json_t *v = json_object_get(ev, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The format's required fields of every event, by its ph. */
static void check_required(json_t *ev)
{
    const char *ph = str(ev, "ph");
    cr_assert_not_null(ph, "an event without ph");
    cr_expect_not_null(str(ev, "name"), "a %s event without a name", ph);
    cr_expect(json_is_integer(json_object_get(ev, "pid")), "%s event: pid not an integer", ph);
    cr_expect(json_is_integer(json_object_get(ev, "tid")), "%s event: tid not an integer", ph);
    if (strcmp(ph, "M") == 0) {
        cr_expect(json_is_string(json_object_get(json_object_get(ev, "args"), "name")) ||
                      json_is_integer(json_object_get(json_object_get(ev, "args"), "sort_index")),
                  "metadata without args");
        return;
    }
    cr_expect(json_is_number(json_object_get(ev, "ts")), "%s event: ts not a number", ph);
    if (strcmp(ph, "X") == 0)
        cr_expect(json_is_number(json_object_get(ev, "dur")), "X event: dur not a number");
    if (strcmp(ph, "b") == 0 || strcmp(ph, "e") == 0) {
        cr_expect(json_is_integer(json_object_get(ev, "id")), "async event without an id");
        cr_expect_not_null(str(ev, "cat"), "async event without a cat");
    }
}

static size_t count_ph(json_t *events, const char *ph)
{
    size_t n = 0, i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        check_required(ev);
        n += strcmp(str(ev, "ph"), ph) == 0;
    }
    return n;
}

/* The first event with this ph and tid (tid < 0: any), or NULL. */
static json_t *find(json_t *events, const char *ph, long tid, const char *name)
{
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev)
    {
        if (strcmp(str(ev, "ph"), ph) == 0 &&
            (tid < 0 || json_integer_value(json_object_get(ev, "tid")) == tid) &&
            (name == NULL || strcmp(str(ev, "name"), name) == 0))
            return ev;
    }
    return NULL;
}

static double num(json_t *ev, const char *key)
{
    return json_number_value(json_object_get(ev, key));
}

Test(trace, spans_become_complete_events_in_microseconds_from_the_first_span)
{
    /* Written in order of completion, as a real log is: the later start first. */
    struct runlog_span s[] = {
        span("pool", "blur", 12, 40, 1.5, 4.0),
        span("pool", "decode", 11, 40, 0.0, 1.25),
    };
    json_t *root = trace_of(s, 2);
    json_t *events = json_object_get(root, "traceEvents");
    cr_expect_eq(count_ph(events, "X"), 2);
    json_t *decode = find(events, "X", 11, NULL), *blur = find(events, "X", 12, NULL);
    cr_assert(decode != NULL && blur != NULL);
    cr_expect_str_eq(str(decode, "name"), "decode");
    cr_expect_str_eq(str(decode, "cat"), "pool");
    cr_expect_float_eq(num(decode, "ts"), 0.0, 1e-6);
    cr_expect_float_eq(num(decode, "dur"), 1250.0, 1e-6);
    cr_expect_float_eq(num(blur, "ts"), 1500.0, 1e-6);
    cr_expect_float_eq(num(blur, "dur"), 2500.0, 1e-6);
    cr_expect_eq(json_integer_value(json_object_get(blur, "pid")), 40);
    cr_expect_str_eq(str(json_object_get(blur, "args"), "item"), "photo \"12\".png");
    json_decref(root);
}

Test(trace, tracks_are_named_worker_1_2_in_order_of_first_span)
{
    struct runlog_span s[] = {
        span("pool", "blur", 900, 40, 2.0, 3.0),
        span("pool", "blur", 700, 40, 0.0, 1.0),
        span("pool", "encode", 900, 40, 3.0, 3.5),
    };
    json_t *root = trace_of(s, 3);
    json_t *events = json_object_get(root, "traceEvents");
    cr_expect_eq(count_ph(events, "M"), 5, "1 process name, 2 thread names, 2 sort indexes");
    json_t *first = find(events, "M", 700, "thread_name");
    json_t *second = find(events, "M", 900, "thread_name");
    cr_assert(first != NULL && second != NULL);
    cr_expect_str_eq(str(json_object_get(first, "args"), "name"), "worker 1");
    cr_expect_str_eq(str(json_object_get(second, "args"), "name"), "worker 2");
    cr_expect_not_null(find(events, "M", -1, "process_name"));
    json_decref(root);
}

/* Two spans of one worker that cross (the second starts inside the first
 * and ends after it) cannot both be slices of its thread: the second
 * becomes an async pair. A span nested inside another stays a slice. */
Test(trace, overlapping_spans_on_one_worker_become_async_pairs)
{
    struct runlog_span s[] = {
        span("rows", "blur", 5, 1, 0.0, 10.0),
        span("rows", "decode", 5, 1, 2.0, 3.0),  /* nested: a slice */
        span("rows", "encode", 5, 1, 8.0, 14.0), /* crosses the end of blur */
    };
    json_t *root = trace_of(s, 3);
    json_t *events = json_object_get(root, "traceEvents");
    cr_expect_eq(count_ph(events, "X"), 2);
    cr_expect_eq(count_ph(events, "b"), 1);
    cr_expect_eq(count_ph(events, "e"), 1);
    json_t *b = find(events, "b", 5, NULL), *e = find(events, "e", 5, NULL);
    cr_assert(b != NULL && e != NULL);
    cr_expect_str_eq(str(b, "name"), "encode");
    cr_expect_str_eq(str(b, "cat"), str(e, "cat"));
    cr_expect_eq(json_integer_value(json_object_get(b, "id")),
                 json_integer_value(json_object_get(e, "id")));
    cr_expect_float_eq(num(b, "ts"), 8000.0, 1e-6);
    cr_expect_float_eq(num(e, "ts"), 14000.0, 1e-6);
    json_decref(root);
}

Test(trace, an_end_mark_is_an_instant_event_with_the_verdict)
{
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open_memory(&log, &err), 0, "%s", err.msg);
    struct runlog_span a = span("pool", "blur", 3, 1, 0.0, 1.0);
    cr_assert_eq(runlog_append(log, &a), 0);
    cr_assert_eq(runlog_mark_end(log, "05-pool", "passed", &err), 0, "%s", err.msg);
    struct runlog_span *spans;
    size_t n;
    cr_assert_eq(runlog_snapshot(log, &spans, &n, &err), 0, "%s", err.msg);
    runlog_close(log);
    cr_assert_eq(n, 2);
    cr_expect(runlog_is_end(&spans[1]));
    cr_expect(!runlog_is_end(&spans[0]));
    /* On a real clock, the mark is billions of ns after our made-up span;
     * put it just after, as in a real log. */
    spans[1].start_ns = spans[1].end_ns = spans[0].end_ns + 1000;
    json_t *root = trace_of(spans, n);
    free(spans);
    json_t *events = json_object_get(root, "traceEvents");
    cr_expect_eq(count_ph(events, "X"), 1);
    json_t *end = find(events, "i", -1, NULL);
    cr_assert_not_null(end);
    cr_expect_str_eq(str(end, "name"), "end: passed");
    cr_expect_str_eq(str(json_object_get(end, "args"), "exercise"), "05-pool");
    json_decref(root);
}

Test(trace, an_empty_log_is_an_empty_trace)
{
    json_t *root = trace_of(NULL, 0);
    cr_expect_eq(json_array_size(json_object_get(root, "traceEvents")), 0);
    json_decref(root);
}

Test(trace, path_for_replaces_jsonl)
{
    char out[64];
    struct err err;
    cr_assert_eq(trace_path_for("runs/05-pool-17.jsonl", out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "runs/05-pool-17.trace.json");
    cr_assert_eq(trace_path_for("run.log", out, sizeof out, &err), 0);
    cr_expect_str_eq(out, "run.log.trace.json");
    cr_expect_eq(trace_path_for("runs/05-pool-17.jsonl", out, 10, &err), -1);
}

/* --- The command ------------------------------------------------------------- */

static char tmp[64];

static void cleanup(void)
{
    if (tmp[0] != '\0')
        probe_rmdir(tmp);
}

TestSuite(trace_cmd, .fini = cleanup);

static int run(const char *out, const char *const *args)
{
    return probe_wait(probe_spawn(out, args), 30);
}

Test(trace_cmd, writes_the_trace_next_to_the_log, .timeout = 30)
{
    probe_tmpdir(tmp);
    char log_path[128], trace_path[128], out[128];
    snprintf(log_path, sizeof log_path, "%s/05-pool-1.jsonl", tmp);
    snprintf(trace_path, sizeof trace_path, "%s/05-pool-1.trace.json", tmp);
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open(&log, log_path, &err), 0, "%s", err.msg);
    struct runlog_span a = span("pool", "blur", 3, 1, 0.0, 1.0);
    cr_assert_eq(runlog_append(log, &a), 0);
    runlog_close(log);
    const char *args[] = {"trace", log_path, NULL};
    cr_assert_eq(run(out, args), 0, "see %s", out);
    json_error_t jerr;
    json_t *root = json_load_file(trace_path, 0, &jerr);
    cr_assert_not_null(root, "%s: %s", trace_path, jerr.text);
    cr_expect_eq(count_ph(json_object_get(root, "traceEvents"), "X"), 1);
    json_decref(root);
}

Test(trace_cmd, a_bad_log_is_named_and_leaves_no_file, .timeout = 30)
{
    probe_tmpdir(tmp);
    char log_path[128], trace_path[128], out[128];
    snprintf(log_path, sizeof log_path, "%s/bad.jsonl", tmp);
    snprintf(trace_path, sizeof trace_path, "%s/t.json", tmp);
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    FILE *f = fopen(log_path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"style\":\"pool\",\"item\":\"a\",\"phase\":\"blur\",\"index\":0,\"worker\":1,"
               "\"start_ns\":1,\"end_ns\":2}\nnot json\n");
    fclose(f);
    const char *args[] = {"trace", log_path, "-o", trace_path, NULL};
    cr_expect_eq(run(out, args), 1);
    char *text = probe_slurp(out);
    cr_expect(text != NULL && strstr(text, "bad.jsonl:2") != NULL, "not named: %s", text);
    free(text);
    cr_expect_neq(access(trace_path, F_OK), 0, "a trace was written from a bad log");
    const char *none[] = {"trace", NULL};
    cr_expect_eq(run(out, none), 2);
}
