/* progress.c - a one-line progress bar on a terminal; see progress.h.
 *
 * The whole line is formatted into a buffer first and written with a single
 * fprintf, so the terminal never shows a half-drawn bar. It is redrawn on
 * every update, even with the same count, so that the clock keeps ticking
 * while one long item is being blurred.
 */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define PROGRESS_BAR_WIDTH 30

void progress_start(struct progress *p, const char *label, size_t total)
{
    memset(p, 0, sizeof *p);
    p->enabled = isatty(STDERR_FILENO);
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total;
    p->start_ns = clock_now_ns();
    progress_update(p, 0);
}

void progress_format(const struct progress *p, double elapsed_s, char *buf, size_t cap)
{
    char bar[PROGRESS_BAR_WIDTH + 1];
    size_t filled = p->total ? p->done * PROGRESS_BAR_WIDTH / p->total : PROGRESS_BAR_WIDTH;
    for (size_t i = 0; i < PROGRESS_BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[PROGRESS_BAR_WIDTH] = '\0';
    snprintf(buf, cap, "%-10s [%s] %3zu/%zu %6.1fs", p->label, bar, p->done, p->total, elapsed_s);
}

void progress_update(struct progress *p, size_t done)
{
    if (done > p->total)
        done = p->total;
    if (!p->enabled)
        return;
    p->done = done;
    char line[128];
    progress_format(p, clock_seconds(p->start_ns, clock_now_ns()), line, sizeof line);
    /* \r returns to the start of the line; \033[K erases what is left of it. */
    fprintf(stderr, "\r%s\033[K", line);
    fflush(stderr);
}

void progress_finish(struct progress *p)
{
    if (!p->enabled)
        return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    p->enabled = 0;
}

size_t progress_finished(const struct runlog_span *spans, size_t count, const char *style,
                         size_t total)
{
    /* One flag per item: an item may have a failed span *and* an encode span
     * (a failed encode), and must count once. */
    unsigned char *seen = calloc(total ? total : 1, 1);
    if (seen == NULL)
        return 0;
    size_t done = 0;
    for (size_t i = 0; i < count; i++) {
        const struct runlog_span *s = &spans[i];
        if (strcmp(s->style, style) != 0 || s->index < 0 || (size_t)s->index >= total)
            continue;
        if ((strcmp(s->phase, "encode") == 0 || !s->ok) && !seen[s->index]) {
            seen[s->index] = 1;
            done++;
        }
    }
    free(seen);
    return done;
}

static void *watch_thread(void *arg)
{
    struct progress_watch *w = arg;
    while (!atomic_load(&w->stop)) {
        struct runlog_span *spans;
        size_t count;
        /* A snapshot can catch a line half-written by a worker; that is not
         * an error here, just a tick without news. */
        if (runlog_snapshot(w->log, &spans, &count, NULL) == 0) {
            progress_update(&w->bar, progress_finished(spans, count, w->style, w->bar.total));
            free(spans);
        }
        clock_sleep_ms(100);
    }
    return NULL;
}

void progress_watch_start(struct progress_watch *w, const char *label, struct runlog *log,
                          const char *style, size_t total)
{
    memset(w, 0, sizeof *w);
    w->log = log;
    snprintf(w->style, sizeof w->style, "%s", style);
    atomic_init(&w->stop, 0);
    progress_start(&w->bar, label, total);
    /* No terminal, or no thread to spare: run without a bar. */
    if (w->bar.enabled && log != NULL)
        w->running = pthread_create(&w->thread, NULL, watch_thread, w) == 0;
}

void progress_watch_stop(struct progress_watch *w)
{
    if (w->running) {
        atomic_store(&w->stop, 1);
        pthread_join(w->thread, NULL);
        w->running = 0;
    }
    progress_finish(&w->bar);
}
