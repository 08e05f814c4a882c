/* test_runlog.c - the run log: atomic appends from threads and processes,
 * reading back, malformed lines, and the concurrency measures. */
#include <criterion/criterion.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "runlog.h"

static struct runlog_span span(const char *style, const char *phase, long worker, uint64_t start,
                               uint64_t end)
{
    struct runlog_span s;
    memset(&s, 0, sizeof s);
    snprintf(s.style, sizeof s.style, "%s", style);
    snprintf(s.phase, sizeof s.phase, "%s", phase);
    snprintf(s.item, sizeof s.item, "item");
    s.worker = worker;
    s.start_ns = start;
    s.end_ns = end;
    s.ok = 1;
    return s;
}

Test(runlog, round_trip_keeps_every_field_and_escapes_names)
{
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open_memory(&log, &err), 0, "%s", err.msg);
    struct runlog_span s;
    runlog_begin(&s, "pool", "a \"quoted\"\\name\n.png", 7, "blur");
    cr_assert_eq(runlog_fail(log, &s, "cat.png: not an image"), 0);

    struct runlog_span *got;
    size_t n;
    cr_assert_eq(runlog_snapshot(log, &got, &n, &err), 0, "%s", err.msg);
    cr_assert_eq(n, 1);
    cr_expect_str_eq(got[0].style, "pool");
    cr_expect_str_eq(got[0].item, "a \"quoted\"\\name\n.png");
    cr_expect_str_eq(got[0].phase, "blur");
    cr_expect_str_eq(got[0].detail, "cat.png: not an image");
    cr_expect_eq(got[0].index, 7);
    cr_expect_eq(got[0].worker, s.worker);
    cr_expect_eq(got[0].pid, (long)getpid());
    cr_expect_eq(got[0].ok, 0);
    cr_expect(got[0].start_ns == s.start_ns && got[0].end_ns >= got[0].start_ns);
    free(got);
    runlog_close(log);
}

struct writer_arg {
    struct runlog *log;
    int id;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    for (int i = 0; i < 500; i++) {
        struct runlog_span s;
        runlog_begin(&s, "threads", "x", a->id * 1000 + i, "blur");
        runlog_end(a->log, &s);
    }
    return NULL;
}

/* Threads and forked processes append at once: no line is lost or torn. */
Test(runlog, concurrent_appends_from_threads_and_processes_are_whole)
{
    char path[] = "/tmp/retreat-runlog-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open(&log, path, &err), 0, "%s", err.msg);

    pid_t child = fork();
    cr_assert_geq(child, 0);
    if (child == 0) {
        struct writer_arg a = {log, 9};
        writer(&a);
        _exit(0);
    }
    pthread_t t[4];
    struct writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct writer_arg){log, i};
        pthread_create(&t[i], NULL, writer, &args[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    int status;
    waitpid(child, &status, 0);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    runlog_close(log);

    struct runlog_span *got;
    size_t n;
    cr_assert_eq(runlog_read(path, &got, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(n, 5 * 500, "every span must be there, whole: got %zu", n);
    cr_expect_eq(runlog_workers(got, n, "threads", NULL), 5);
    free(got);
    unlink(path);
}

Test(runlog, malformed_line_is_reported_with_its_number)
{
    char path[] = "/tmp/retreat-runlog-XXXXXX";
    int fd = mkstemp(path);
    const char *text =
        "{\"style\":\"a\",\"item\":\"i\",\"phase\":\"blur\",\"index\":0,\"worker\":1,"
        "\"start_ns\":5,\"end_ns\":6}\n"
        "\n"
        "{\"style\":\"a\",\"item\":\"i\",\"phase\":\"blur\",\"index\":0,\"worker\":1,"
        "\"start_ns\":9,\"end_ns\":6}\n";
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    struct runlog_span *got;
    size_t n;
    struct err err;
    cr_assert_eq(runlog_read(path, &got, &n, &err), -1);
    char want[128];
    snprintf(want, sizeof want, "%s:3", path);
    cr_expect(strstr(err.msg, want) != NULL, "names file and line 3, got: %s", err.msg);
    cr_expect(strstr(err.msg, "end_ns") != NULL, "names the field, got: %s", err.msg);
    unlink(path);
}

Test(runlog, parse_rejects_what_is_not_a_span)
{
    struct runlog_span s;
    struct err err;
    const char *bad[] = {
        "not json",
        "[1,2]",
        "{\"style\":\"a\"}",
        "{\"style\":1,\"item\":\"i\",\"phase\":\"p\",\"index\":0,\"worker\":1,\"start_ns\":1,"
        "\"end_ns\":2}",
        "{\"style\":\"a\",\"item\":\"i\",\"phase\":\"p\",\"index\":0,\"worker\":1,\"start_ns\":-1,"
        "\"end_ns\":2}",
        "{\"style\":\"a\",\"item\":\"i\",\"phase\":\"p\",\"index\":0,\"worker\":1,\"start_ns\":1,"
        "\"end_ns\":2,\"ok\":\"yes\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        cr_expect_eq(runlog_parse_line(bad[i], strlen(bad[i]), &s, "x", &err), -1, "line %zu: %s",
                     i, bad[i]);
}

Test(runlog, unreadable_file_is_named)
{
    struct runlog_span *got;
    size_t n;
    struct err err;
    cr_assert_eq(runlog_read("/nonexistent/run.jsonl", &got, &n, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/run.jsonl") != NULL, "got: %s", err.msg);
}

Test(runlog, overlap_counts_distinct_workers_at_one_instant)
{
    struct runlog_span s[] = {
        span("pool", "blur", 1, 0, 10),
        span("pool", "blur", 2, 5, 15),
        span("pool", "blur", 3, 6, 7),
        span("pool", "blur", 1, 10, 20), /* touches: no overlap */
        span("linear", "blur", 4, 0, 100),
    };
    size_t n = sizeof s / sizeof *s;
    cr_expect_eq(runlog_max_overlap(s, n, "pool", "blur"), 3);
    cr_expect_eq(runlog_max_overlap(s, n, "linear", NULL), 1);
    cr_expect_eq(runlog_max_overlap(s, n, NULL, NULL), 4);
    cr_expect_eq(runlog_workers(s, n, "pool", NULL), 3);
    cr_expect_eq(runlog_max_overlap(s, n, "none", NULL), 0);
}

/* Two spans of the *same* worker that overlap (a thread that logged nested
 * work) are not concurrency. */
Test(runlog, one_worker_never_counts_twice)
{
    struct runlog_span s[] = {span("a", "blur", 1, 0, 10), span("a", "encode", 1, 2, 8)};
    cr_expect_eq(runlog_max_overlap(s, 2, "a", NULL), 1);
}

Test(runlog, extent_spans_first_start_to_last_end)
{
    struct runlog_span s[] = {span("a", "blur", 1, 30, 40), span("a", "decode", 2, 10, 20),
                              span("b", "blur", 1, 0, 100)};
    uint64_t lo, hi;
    cr_expect_eq(runlog_extent(s, 3, "a", NULL, &lo, &hi), 2);
    cr_expect(lo == 10 && hi == 40, "got %lu..%lu", (unsigned long)lo, (unsigned long)hi);
}
