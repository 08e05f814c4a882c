/* runlog_stats.c - what a run log says about concurrency.
 *
 * Timing alone is no evidence of concurrency: a machine may be busy, or fast.
 * The log is. Two spans that overlap in time *and* ran on distinct workers
 * prove that two pieces of work were in progress at once; counting distinct
 * workers checks that a pool of N did not quietly start N+1 threads.
 */
#include "runlog.h"

#include <stdlib.h>
#include <string.h>

static int matches(const struct runlog_span *s, const char *style, const char *phase)
{
    return (style == NULL || strcmp(s->style, style) == 0) &&
           (phase == NULL || strcmp(s->phase, phase) == 0);
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

size_t runlog_workers(const struct runlog_span *spans, size_t count, const char *style,
                      const char *phase)
{
    long *ids = malloc((count ? count : 1) * sizeof *ids);
    if (ids == NULL)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < count; i++)
        if (matches(&spans[i], style, phase))
            ids[n++] = spans[i].worker;
    qsort(ids, n, sizeof *ids, cmp_long);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            distinct++;
    free(ids);
    return distinct;
}

/* A start or end of a span, for a sweep over time. */
struct event {
    uint64_t t;
    int delta;   /* +1 start, -1 end */
    size_t slot; /* the worker, numbered 0..W-1 */
};

static int cmp_event(const void *a, const void *b)
{
    const struct event *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->delta - y->delta; /* ends before starts: touching is not overlapping */
}

size_t runlog_max_overlap(const struct runlog_span *spans, size_t count, const char *style,
                          const char *phase)
{
    size_t cap = count ? count : 1;
    long *ids = malloc(cap * sizeof *ids);
    struct event *ev = malloc(cap * 2 * sizeof *ev);
    size_t *open_per_worker = calloc(cap, sizeof *open_per_worker);
    size_t best = 0;
    if (ids == NULL || ev == NULL || open_per_worker == NULL)
        goto out;

    /* Number the workers 0..W-1 so that the sweep can count them in an array. */
    size_t w = 0;
    for (size_t i = 0; i < count; i++)
        if (matches(&spans[i], style, phase))
            ids[w++] = spans[i].worker;
    qsort(ids, w, sizeof *ids, cmp_long);
    size_t distinct = 0;
    for (size_t i = 0; i < w; i++)
        if (i == 0 || ids[i] != ids[i - 1])
            ids[distinct++] = ids[i];

    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        if (!matches(&spans[i], style, phase))
            continue;
        long *found = bsearch(&spans[i].worker, ids, distinct, sizeof *ids, cmp_long);
        size_t slot = (size_t)(found - ids);
        ev[n++] = (struct event){spans[i].start_ns, +1, slot};
        ev[n++] = (struct event){spans[i].end_ns, -1, slot};
    }
    qsort(ev, n, sizeof *ev, cmp_event);

    /* Sweep through time, counting the workers with at least one open span. */
    size_t busy = 0;
    for (size_t i = 0; i < n; i++) {
        if (ev[i].delta > 0) {
            if (open_per_worker[ev[i].slot]++ == 0)
                busy++;
        } else if (--open_per_worker[ev[i].slot] == 0) {
            busy--;
        }
        if (busy > best)
            best = busy;
    }
out:
    free(ids);
    free(ev);
    free(open_per_worker);
    return best;
}

size_t runlog_extent(const struct runlog_span *spans, size_t count, const char *style,
                     const char *phase, uint64_t *start_ns, uint64_t *end_ns)
{
    size_t n = 0;
    uint64_t lo = UINT64_MAX, hi = 0;
    for (size_t i = 0; i < count; i++) {
        if (!matches(&spans[i], style, phase))
            continue;
        n++;
        if (spans[i].start_ns < lo)
            lo = spans[i].start_ns;
        if (spans[i].end_ns > hi)
            hi = spans[i].end_ns;
    }
    *start_ns = n ? lo : 0;
    *end_ns = n ? hi : 0;
    return n;
}
