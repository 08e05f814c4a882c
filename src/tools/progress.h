/* progress.h - a one-line progress bar on a terminal.
 *
 * A bar is for a person watching: when stderr is not a terminal (a pipe, a
 * file, CI), every call does nothing, so logs and captured output stay clean.
 * The bar redraws itself in place with a carriage return and is wiped by
 * progress_finish(), so whatever is printed next starts on a clean line.
 *
 *     struct progress p;
 *     progress_start(&p, "pool", count);
 *     ... progress_update(&p, done); ...      // from one thread at a time
 *     progress_finish(&p);
 *
 * A blur style cannot tell us how far it has got: its signature is fixed by
 * the exercises (ladder.h), and reading b->results[] while its workers write
 * them would be a data race. Its run log can, though: progress_watch_start()
 * starts a thread that reads the log back ten times a second and counts the
 * items that have finished (an "encode" span, or any failed span).
 *
 *     struct progress_watch w;
 *     progress_watch_start(&w, "pool", log, "pool", count);  // log: runlog_open_memory
 *     pool_run(&batch);
 *     progress_watch_stop(&w);
 */
#ifndef RETREAT_PROGRESS_H
#define RETREAT_PROGRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "runlog.h"

#define PROGRESS_LABEL_MAX 32

struct progress {
    int enabled; /* stderr is a terminal */
    char label[PROGRESS_LABEL_MAX];
    size_t total;
    size_t done;
    uint64_t start_ns;
};

/* Starts a bar for total items; enabled only if stderr is a terminal. */
void progress_start(struct progress *p, const char *label, size_t total);

/* Redraws the bar with done items finished (clamped to total). */
void progress_update(struct progress *p, size_t done);

/* Wipes the bar's line. Safe to call on a disabled bar. */
void progress_finish(struct progress *p);

/* Formats the bar as progress_update prints it, without the leading '\r':
 * "pool      [#########...........]  3/8   1.2s". Exposed for tests. */
void progress_format(const struct progress *p, double elapsed_s, char *buf, size_t cap);

/* --- Following a run log -------------------------------------------------- */

struct progress_watch {
    struct progress bar;
    struct runlog *log;
    char style[RUNLOG_STYLE_MAX];
    pthread_t thread;
    int running;     /* the thread was started */
    atomic_int stop; /* set by progress_watch_stop, read by the thread */
};

/* Shows a bar for the items of `style` finishing in log, which must be an
 * in-memory log (runlog_open_memory: a file log is opened write-only). Starts
 * no thread at all when stderr is not a terminal, so that nothing else runs
 * beside the style - a style that forks then forks a one-thread process. */
void progress_watch_start(struct progress_watch *w, const char *label, struct runlog *log,
                          const char *style, size_t total);

/* Stops the thread and wipes the bar. */
void progress_watch_stop(struct progress_watch *w);

/* Counts the items 0..total-1 of style that have finished in spans: those with
 * an "encode" span (every style ends an item with batch_encode) or a failed
 * span of any phase. Exposed for tests. */
size_t progress_finished(const struct runlog_span *spans, size_t count, const char *style,
                         size_t total);

#endif
