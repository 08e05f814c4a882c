/* runlog.h - the run log: who did which piece of work, and when.
 *
 * The run log is the one interface between the code that does work (the
 * exercises and solutions), the grader, the benchmark and the stream renderer.
 * Every unit of work - decoding one image, blurring it, fetching one feed - is
 * a *span*: a style, an item, a phase, the worker (thread id) that ran it, and
 * its start and end on the monotonic clock.
 *
 * Writing is cheap and lock-free in user space: a span becomes one JSON line
 * written with a single write(2) to a file opened with O_APPEND. The kernel
 * makes each such write atomic with respect to the file offset, so threads do
 * not need a mutex and forked worker processes - which inherit the descriptor -
 * append to the same log. No lock is ever held while a worker blurs.
 *
 * The format (JSON Lines, one span per line) is documented in docs/RUNLOG.md.
 *
 *     struct runlog_span s;
 *     runlog_begin(&s, "pool", "cat.png", 3, "blur");
 *     ... the work ...
 *     runlog_end(log, &s);          // log may be NULL: then nothing is written
 */
#ifndef RETREAT_RUNLOG_H
#define RETREAT_RUNLOG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define RUNLOG_STYLE_MAX 32
#define RUNLOG_ITEM_MAX 256
#define RUNLOG_PHASE_MAX 16
#define RUNLOG_DETAIL_MAX 256
#define RUNLOG_LINE_MAX 2048 /* longest line the reader accepts */

struct runlog_span {
    char style[RUNLOG_STYLE_MAX];   /* "linear", "pool", "fetch-multi", ... */
    char item[RUNLOG_ITEM_MAX];     /* what was worked on: a file name, a URL */
    char phase[RUNLOG_PHASE_MAX];   /* "decode", "blur", "encode", "feed", "head", ... */
    long index;                     /* the item's position in its batch */
    long worker;                    /* kernel thread id (gettid): unique across processes */
    long pid;                       /* process id */
    uint64_t start_ns, end_ns;      /* monotonic clock, see clock.h */
    int ok;                         /* 1 if the work succeeded */
    char detail[RUNLOG_DETAIL_MAX]; /* optional: an error message, an HTTP status */
};

struct runlog;

/* Opens (creating or appending to) a run log file. */
int runlog_open(struct runlog **log, const char *path, struct err *err);

/* Opens an anonymous in-memory run log (memfd); forked children share it. */
int runlog_open_memory(struct runlog **log, struct err *err);

/* Closes the log; safe on NULL. */
void runlog_close(struct runlog *log);

/* Starts a span: fills its names, the calling thread as worker, and the
 * start time. Strings that do not fit are truncated. */
void runlog_begin(struct runlog_span *s, const char *style, const char *item, long index,
                  const char *phase);

/* Ends a span successfully and appends it; a NULL log discards it. */
int runlog_end(struct runlog *log, struct runlog_span *s);

/* Ends a span as failed, with a reason, and appends it. */
int runlog_fail(struct runlog *log, struct runlog_span *s, const char *detail);

/* Appends a finished span as it is. */
int runlog_append(struct runlog *log, const struct runlog_span *s);

/* --- The end mark ----------------------------------------------------------
 * A run is finished when its last span is written, but a reader that
 * follows a log as it grows cannot tell the last span from a pause. So the
 * grader ends a graded run's log with a mark: a line in the span format
 * (old readers still parse it) with style and phase RUNLOG_END, the
 * exercise as item, the verdict as detail, and start = end = now:
 *
 *     {"style":"end","item":"05-pool","phase":"end",...,"detail":"passed"}
 *
 * No style is called "end", so the statistics below never count it.
 * Readers accept logs without a mark (docs/RUNLOG.md, "The end mark"). */
#define RUNLOG_END "end"

/* Appends the end mark: exercise ("05-pool") and verdict ("passed", "2 of 7
 * checks failed") are truncated to fit. Fails if the write fails. */
int runlog_mark_end(struct runlog *log, const char *exercise, const char *verdict, struct err *err);

/* 1 if s is an end mark, else 0. */
int runlog_is_end(const struct runlog_span *s);

/* Reads back every span written so far to an open log. */
int runlog_snapshot(struct runlog *log, struct runlog_span **spans, size_t *count, struct err *err);

/* Reads a run log file. A malformed line is an error naming the file and the
 * line number. The caller frees *spans with free(). */
int runlog_read(const char *path, struct runlog_span **spans, size_t *count, struct err *err);

/* Parses the whole text of a log (size bytes, JSON Lines) as runlog_read
 * parses a file; `name` stands for it in error messages. The caller frees
 * *spans with free(). */
int runlog_parse_text(const char *text, size_t size, const char *name, struct runlog_span **spans,
                      size_t *count, struct err *err);

/* Parses one JSON line into a span; `where` names it in errors. */
int runlog_parse_line(const char *line, size_t len, struct runlog_span *s, const char *where,
                      struct err *err);

/* --- What a log says about concurrency (runlog_stats.c) ---------------------
 * A NULL style or phase matches every span. */

/* Number of distinct workers (threads or processes) that ran matching spans. */
size_t runlog_workers(const struct runlog_span *spans, size_t count, const char *style,
                      const char *phase);

/* The largest number of matching spans running at one instant on distinct
 * workers: 1 means strictly one at a time, 2+ is real concurrency. */
size_t runlog_max_overlap(const struct runlog_span *spans, size_t count, const char *style,
                          const char *phase);

/* Earliest start and latest end of matching spans; returns the number matched. */
size_t runlog_extent(const struct runlog_span *spans, size_t count, const char *style,
                     const char *phase, uint64_t *start_ns, uint64_t *end_ns);

#endif
