/* PLANTED (tests/grade/planted/README): issue 10's "fooled" fetch-multi - every
 * URL is set up first (fetch_xfer_init), then the transfers are performed one
 * after another. The requests queue; they never run together, and concurrent
 * must say so.
 */
#include <stdlib.h>

#include "clock.h"
#include "fetch.h"

int fetch_multi_run(const struct fetch_job *job)
{
    struct err err = {0};
    if (fetch_global_init(&err) != 0)
        return -1;
    struct fetch_xfer *xs = calloc(job->count ? job->count : 1, sizeof *xs);
    if (xs == NULL)
        return -1;
    int *ok = calloc(job->count ? job->count : 1, sizeof *ok);
    if (ok == NULL) {
        free(xs);
        return -1;
    }
    for (size_t i = 0; i < job->count; i++)
        ok[i] = fetch_xfer_init(&xs[i], job, i) == 0;
    for (size_t i = 0; i < job->count; i++) {
        if (!ok[i])
            continue;
        do {
            clock_sleep_ms(fetch_xfer_wait_ms(&xs[i]));
        } while (fetch_xfer_done(&xs[i], curl_easy_perform(xs[i].easy)) == 1);
    }
    for (size_t i = 0; i < job->count; i++)
        fetch_xfer_cleanup(&xs[i]);
    free(ok);
    free(xs);
    return 0;
}
