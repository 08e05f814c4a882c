/* fetch_stats.c - how many requests were in flight at once, from a run log.
 *
 * runlog_max_overlap() counts spans overlapping on *distinct* workers, which
 * is right for threads and processes but says 1 for a multi style, where one
 * thread has thousands of requests in flight. Here only time counts: sort the
 * starts and the ends, sweep, and keep the highest count.
 */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int matches(const struct runlog_span *s, const char *style, const char *phase)
{
    return (style == NULL || strcmp(s->style, style) == 0) &&
           (phase == NULL || strcmp(s->phase, phase) == 0);
}

size_t fetch_peak_inflight(const struct runlog_span *spans, size_t count, const char *style,
                           const char *phase)
{
    uint64_t *starts = malloc((count + 1) * sizeof *starts);
    uint64_t *ends = malloc((count + 1) * sizeof *ends);
    size_t n = 0, peak = 0;
    if (starts == NULL || ends == NULL)
        goto out;
    for (size_t i = 0; i < count; i++) {
        if (matches(&spans[i], style, phase)) {
            starts[n] = spans[i].start_ns;
            ends[n] = spans[i].end_ns;
            n++;
        }
    }
    qsort(starts, n, sizeof *starts, cmp_u64);
    qsort(ends, n, sizeof *ends, cmp_u64);
    /* A span that ends exactly when another starts does not overlap it, so
     * at equal times ends are taken first. */
    size_t s = 0, e = 0, now = 0;
    while (s < n) {
        if (ends[e] <= starts[s]) {
            now--;
            e++;
        } else {
            now++;
            s++;
            if (now > peak)
                peak = now;
        }
    }
out:
    free(starts);
    free(ends);
    return peak;
}
