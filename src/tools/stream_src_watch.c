/* stream_src_watch.c - --watch DIR: the run logs (*.jsonl) that appear in a
 * folder, for example the grader's build/runs/, as they grow.
 *
 * Each file is one run. The show draws the run that arrived last; a new run
 * of a style replaces the older one of the same style (show_drop_style), so
 * a learner who grades exercise 05 twice sees the second run alone.
 *
 * A run is finished when its last span is written, which a reader cannot
 * see from the spans alone. Three signs, whichever comes first:
 *   - the log ends with an end mark (runlog_mark_end: the grader's verdict);
 *   - its newest span ended more than STREAM_WATCH_QUIET_S seconds ago, or
 *     "in the future" (a log copied in from another boot: CLOCK_MONOTONIC
 *     restarts at boot);
 *   - the file has not grown for STREAM_WATCH_QUIET_S seconds.
 * A finished run is drawn over its own duration (show_mark_finished), not on
 * an axis that keeps growing with the clock. Each finish is announced on
 * stderr, a line a test (or a facilitator's terminal) can wait for.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "clock.h"
#include "runlog.h"
#include "stream_source.h"

#define WATCH_EVERY 15 /* frames between two looks at the folder */

struct watched {
    char *path;
    off_t offset; /* bytes read and parsed so far: whole lines only */
    long lineno;
    char style[RUNLOG_STYLE_MAX]; /* of its first span; "" until one came */
    uint64_t newest_ns;           /* latest end among its spans */
    uint64_t changed_ns;          /* when it last grew, on our clock */
    int finished;
};

struct src_watch {
    struct stream_source base;
    const char *dir;
    struct watched *files; /* grows: a day of grading makes hundreds of logs */
    int nfiles;
};

static int is_jsonl(const char *name)
{
    size_t len = strlen(name);
    return name[0] != '.' && len > 6 && strcmp(name + len - 6, ".jsonl") == 0;
}

/* Starts following new *.jsonl files. At the first look (initial = 1) the
 * files already there are old runs: only what is appended to them counts. */
static void watch_scan(struct src_watch *w, int initial)
{
    DIR *d = opendir(w->dir);
    if (d == NULL)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!is_jsonl(e->d_name))
            continue;
        char *path;
        if (asprintf(&path, "%s/%s", w->dir, e->d_name) < 0)
            break;
        int known = 0;
        for (int i = 0; i < w->nfiles && !known; i++)
            known = strcmp(w->files[i].path, path) == 0;
        struct stat st;
        if (known || stat(path, &st) != 0) {
            free(path);
            continue;
        }
        struct watched *grown = realloc(w->files, (size_t)(w->nfiles + 1) * sizeof *grown);
        if (grown == NULL) {
            free(path);
            break;
        }
        w->files = grown;
        w->files[w->nfiles++] = (struct watched){.path = path,
                                                 .offset = initial ? st.st_size : 0,
                                                 .changed_ns = clock_now_ns(),
                                                 .finished = initial};
    }
    closedir(d);
}

/* "runs/05-pool-1733329900.jsonl" -> "05-pool": the grader's naming. */
static void exercise_of(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base != NULL ? base + 1 : path;
    size_t len = strlen(base) - 6; /* ".jsonl" */
    const char *dash = memrchr(base, '-', len);
    if (dash != NULL && dash > base &&
        strspn(dash + 1, "0123456789") == (size_t)(base + len - dash - 1))
        len = (size_t)(dash - base);
    snprintf(out, cap, "%.*s", (int)len, base);
}

static void finish(struct watched *f, struct show *show, const char *exercise, const char *verdict)
{
    char name[RUNLOG_STYLE_MAX];
    if (exercise == NULL) {
        exercise_of(f->path, name, sizeof name);
        exercise = name;
    }
    struct err err;
    f->finished = 1;
    if (show_mark_finished(show, f->style, exercise, verdict, &err) != 0)
        fprintf(stderr, "\nretreat stream: %s\n", err.msg);
    else
        fprintf(stderr, "\nretreat stream: %s: run finished (%s: %s)\n", f->path, exercise,
                verdict != NULL ? verdict : "no end mark");
}

/* One parsed line of file f: a span for the show, or its end mark. */
static int watch_line(struct watched *f, struct show *show, const struct runlog_span *span,
                      struct err *err)
{
    if (runlog_is_end(span)) {
        if (f->style[0] != '\0')
            finish(f, show, span->item, span->detail);
        return 0;
    }
    if (f->style[0] == '\0') {
        snprintf(f->style, sizeof f->style, "%s", span->style);
        show_drop_style(show, f->style); /* a new run of it replaces the old one */
    }
    if (span->end_ns > f->newest_ns)
        f->newest_ns = span->end_ns;
    f->finished = 0;
    return show_add_spans(show, span, 1, err);
}

/* Reads the whole lines appended to one file since the last call. A line
 * still being written (no newline yet) waits for the next call. A malformed
 * line is reported with its number and skipped: one bad line must not end a
 * live stream. Returns 1 if the file grew. */
static int watch_read(struct watched *f, struct show *show)
{
    struct stat st;
    if (stat(f->path, &st) != 0 || st.st_size <= f->offset)
        return 0; /* nothing new: the common case, without opening the file */
    FILE *fp = fopen(f->path, "r");
    if (fp == NULL || fseeko(fp, f->offset, SEEK_SET) != 0) {
        if (fp != NULL)
            fclose(fp);
        return 0;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) > 0) {
        if (line[len - 1] != '\n')
            break; /* still being written: read it whole next time */
        f->offset += len;
        f->lineno++;
        if (len == 1)
            continue;
        char where[300];
        snprintf(where, sizeof where, "%s:%ld", f->path, f->lineno);
        struct runlog_span span;
        struct err err;
        if (len - 1 > RUNLOG_LINE_MAX)
            err_set(&err, "%s: line longer than %d bytes", where, RUNLOG_LINE_MAX);
        if (len - 1 > RUNLOG_LINE_MAX ||
            runlog_parse_line(line, (size_t)len - 1, &span, where, &err) != 0 ||
            watch_line(f, show, &span, &err) != 0)
            fprintf(stderr, "\nretreat stream: skipping %s\n", err.msg);
    }
    free(line);
    fclose(fp);
    return 1;
}

/* The quiet rules of the top comment, for a run without an end mark. */
static void watch_quiet(struct watched *f, struct show *show, uint64_t now)
{
    if (f->finished || f->style[0] == '\0')
        return;
    uint64_t quiet = (uint64_t)(STREAM_WATCH_QUIET_S * 1e9);
    if (f->newest_ns > now || now - f->newest_ns > quiet || now - f->changed_ns > quiet)
        finish(f, show, NULL, NULL);
}

static int watch_start(struct stream_source *src, struct show *show, struct err *err)
{
    (void)show;
    struct src_watch *w = (struct src_watch *)src;
    DIR *d = opendir(w->dir);
    if (d == NULL)
        return err_set(err, "--watch %s: cannot open the folder (%s)", w->dir, strerror(errno));
    closedir(d);
    watch_scan(w, 1);
    return 0;
}

static int watch_poll(struct stream_source *src, struct show *show, int64_t frame, struct err *err)
{
    (void)err;
    struct src_watch *w = (struct src_watch *)src;
    if (frame % WATCH_EVERY != 0)
        return 0;
    watch_scan(w, 0);
    for (int i = 0; i < w->nfiles; i++) {
        uint64_t now = clock_now_ns();
        if (watch_read(&w->files[i], show))
            w->files[i].changed_ns = now;
        watch_quiet(&w->files[i], show, now);
    }
    return 0;
}

static int watch_done(const struct stream_source *src)
{
    (void)src;
    return 0; /* a folder can always get another run */
}

static void watch_free(struct stream_source *src)
{
    struct src_watch *w = (struct src_watch *)src;
    for (int i = 0; i < w->nfiles; i++)
        free(w->files[i].path);
    free(w->files);
    free(w);
}

static const struct stream_source_ops watch_ops = {"watch", watch_start, watch_poll, watch_done,
                                                   watch_free};

int stream_src_watch_new(struct stream_source **out, const char *dir, struct err *err)
{
    struct src_watch *w = calloc(1, sizeof *w);
    if (w == NULL)
        return err_set(err, "out of memory for --watch");
    w->base.ops = &watch_ops;
    w->base.live = 1;
    w->dir = dir;
    *out = &w->base;
    return 0;
}
