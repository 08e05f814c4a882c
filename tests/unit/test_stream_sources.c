/* test_stream_sources.c - the stream's sources (stream_source.h) one by
 * one, without an encoder: the live source runs the style table it is
 * handed and nothing else; the watch source takes each file as a run, a
 * new run of a style replacing the old one, and finishes runs by their end
 * mark or their age; the run-log source names a bad file.
 *
 * Polls are driven by frame numbers, and waits for the live worker by its
 * "done", not by the clock.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "runlog.h"
#include "scene.h" /* the show's style table, to see what arrived */
#include "show.h"
#include "stream_source.h"
#include "styles.h"
#include "test_stream_probe.h"

static char tmp[64];

static void cleanup(void)
{
    if (tmp[0] != '\0')
        probe_rmdir(tmp);
}

TestSuite(stream_sources, .fini = cleanup);

static struct show *small_show(int live)
{
    struct show_options o;
    show_options_default(&o);
    o.width = 320;
    o.height = 180;
    struct show *s;
    struct err err;
    cr_assert_eq(show_new(&s, &o, &err), 0, "%s", err.msg);
    if (live)
        show_set_live(s, 1);
    return s;
}

/* A style of our own: one span per photo, named after the style. */
static int fake_run(const struct blur_batch *b)
{
    for (size_t i = 0; i < b->count; i++) {
        struct runlog_span s;
        runlog_begin(&s, b->style, b->inputs[i], (long)i, "blur");
        runlog_end(b->log, &s);
    }
    return 0;
}

Test(stream_sources, live_runs_the_table_it_is_handed, .timeout = 60)
{
    static const struct style table[] = {
        {.name = "fake-a", .exercise = 2, .summary = "test", .run = fake_run},
        {.name = "fake-b", .exercise = 3, .summary = "test", .run = fake_run},
    };
    struct stream_source *src;
    struct err err;
    cr_assert_eq(stream_src_live_new(&src, table, 2, "workshop/images", &err), 0, "%s", err.msg);
    struct show *s = small_show(1);
    cr_assert_eq(src->ops->start(src, s, &err), 0, "%s", err.msg);
    int64_t frame = 0;
    /* The worker ends when both styles ran; each poll may see it. */
    while (!src->ops->done(src)) {
        cr_assert_eq(src->ops->poll(src, s, frame++, &err), 0, "%s", err.msg);
        usleep(1000);
        cr_assert_lt(frame, 60000, "the worker never ended");
    }
    cr_assert_eq(src->ops->poll(src, s, frame, &err), 0, "%s", err.msg);
    show_duration(s); /* plans: builds the style table */
    cr_assert_eq(s->nstyles, 2, "%zu styles", s->nstyles);
    cr_expect_str_eq(s->styles[0].name, "fake-a");
    cr_expect_str_eq(s->styles[1].name, "fake-b");
    cr_expect_eq(s->styles[0].spans, 5, "one span per workshop photo");
    stream_source_free(src);
    show_free(s);
}

static void write_log(const char *path, const char *style, int end_mark, uint64_t t0)
{
    struct runlog *log;
    struct err err;
    cr_assert_eq(runlog_open(&log, path, &err), 0, "%s", err.msg);
    for (long i = 0; i < 3; i++) {
        struct runlog_span s = {.index = i, .worker = 40 + i, .pid = 1, .ok = 1};
        snprintf(s.style, sizeof s.style, "%s", style);
        snprintf(s.item, sizeof s.item, "p%ld.png", i);
        snprintf(s.phase, sizeof s.phase, "blur");
        s.start_ns = t0 + (uint64_t)i * 1000000;
        s.end_ns = s.start_ns + 5000000;
        cr_assert_eq(runlog_append(log, &s), 0);
    }
    if (end_mark)
        cr_assert_eq(runlog_mark_end(log, "05-pool", "passed", &err), 0, "%s", err.msg);
    runlog_close(log);
}

Test(stream_sources, watch_takes_each_file_as_a_run)
{
    probe_tmpdir(tmp);
    char old[128], a[128], b[128], c[128];
    snprintf(old, sizeof old, "%s/00-old-1.jsonl", tmp);
    snprintf(a, sizeof a, "%s/05-pool-1.jsonl", tmp);
    snprintf(b, sizeof b, "%s/05-pool-2.jsonl", tmp);
    snprintf(c, sizeof c, "%s/06-rows-3.jsonl", tmp);
    write_log(old, "linear", 0, 1000);
    struct stream_source *src;
    struct err err;
    cr_assert_eq(stream_src_watch_new(&src, tmp, &err), 0, "%s", err.msg);
    struct show *s = small_show(1);
    cr_assert_eq(src->ops->start(src, s, &err), 0, "%s", err.msg);
    cr_assert_eq(src->ops->poll(src, s, 0, &err), 0, "%s", err.msg);
    show_duration(s);
    cr_expect_eq(s->nstyles, 0, "a file there before the start is an old run");

    /* A run with its end mark: finished with the verdict at once. */
    write_log(a, "pool", 1, 1000);
    cr_assert_eq(src->ops->poll(src, s, 15, &err), 0, "%s", err.msg);
    show_duration(s);
    cr_assert_eq(s->nstyles, 1);
    cr_expect(s->styles[0].finished);
    cr_expect_str_eq(s->styles[0].exercise, "05-pool");
    cr_expect_str_eq(s->styles[0].verdict, "passed");

    /* Frames between two looks do not look. */
    write_log(b, "pool", 0, 9000000000ull);
    cr_assert_eq(src->ops->poll(src, s, 16, &err), 0, "%s", err.msg);
    show_duration(s);
    cr_expect_eq(s->styles[0].start_ns, 1000, "read before its time");

    /* The second run of pool replaces the first; its spans are long past
     * (no end mark): finished, named after its file. */
    cr_assert_eq(src->ops->poll(src, s, 30, &err), 0, "%s", err.msg);
    show_duration(s);
    cr_assert_eq(s->nstyles, 1);
    cr_expect_eq(s->styles[0].start_ns, 9000000000ull, "the old run of pool is still there");
    cr_expect_eq(s->styles[0].spans, 3);
    cr_expect(s->styles[0].finished);
    cr_expect_str_eq(s->styles[0].exercise, "05-pool");
    cr_expect_str_eq(s->styles[0].verdict, "");

    /* A bad file is skipped, not fatal. */
    FILE *f = fopen(c, "w");
    cr_assert_not_null(f);
    fprintf(f, "not json\n");
    fclose(f);
    cr_expect_eq(src->ops->poll(src, s, 45, &err), 0, "one bad line must not end the stream");
    cr_expect_eq(src->ops->done(src), 0);
    stream_source_free(src);
    show_free(s);
}

Test(stream_sources, runlog_names_the_bad_file)
{
    const char *paths[] = {"/nonexistent/run.jsonl"};
    struct stream_source *src;
    struct err err;
    cr_assert_eq(stream_src_runlog_new(&src, paths, 1, "workshop/images", &err), 0, "%s", err.msg);
    struct show *s = small_show(0);
    cr_expect_eq(src->ops->start(src, s, &err), -1);
    cr_expect(strstr(err.msg, "/nonexistent/run.jsonl") != NULL, "%s", err.msg);
    cr_expect(src->ops->done(src));
    stream_source_free(src);
    show_free(s);

    struct stream_source *w;
    cr_assert_eq(stream_src_watch_new(&w, "/nonexistent/runs", &err), 0, "%s", err.msg);
    s = small_show(1);
    cr_expect_eq(w->ops->start(w, s, &err), -1);
    cr_expect(strstr(err.msg, "--watch /nonexistent/runs") != NULL, "%s", err.msg);
    stream_source_free(w);
    show_free(s);
}
