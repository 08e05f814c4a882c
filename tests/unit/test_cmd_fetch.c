/* test_cmd_fetch.c - `retreat fetch --feeds`: each URL followed as a comic
 * feed (GET the feed, HEAD its newest comic), as `make demo` does. Runs the
 * built binary (build/retreat, or $RETREAT_BIN) against the embedded comic
 * server on loopback. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "comicsrv.h"
#include "runlog.h"

static size_t count_phase(const struct runlog_span *s, size_t n, const char *phase, int ok)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += strcmp(s[i].phase, phase) == 0 && s[i].ok == ok;
    return k;
}

Test(cmd_fetch, feeds_are_followed_to_their_newest_comic, .timeout = 60)
{
    struct comicsrv *srv;
    struct comicsrv_opts opts = {.count = 3, .latency_ms = 20};
    struct err err;
    cr_assert_eq(comicsrv_start(&srv, &opts, &err), 0, "%s", err.msg);

    char log[] = "/tmp/retreat-test-fetch-XXXXXX";
    int fd = mkstemp(log);
    cr_assert_geq(fd, 0);
    close(fd);
    char urls[3][256], cmd[2048];
    for (unsigned i = 0; i < 3; i++)
        cr_assert_eq(comicsrv_feed_url(srv, i, urls[i], sizeof urls[i]), 0);
    const char *bin = getenv("RETREAT_BIN") ? getenv("RETREAT_BIN") : "build/retreat";
    snprintf(cmd, sizeof cmd,
             "%s fetch --feeds --style fetch-multi --run-log %s %s %s %s >/dev/null", bin, log,
             urls[0], urls[1], urls[2]);
    cr_assert_eq(system(cmd), 0, "%s failed", cmd);

    struct runlog_span *spans;
    size_t n;
    cr_assert_eq(runlog_read(log, &spans, &n, &err), 0, "%s", err.msg);
    cr_expect_eq(count_phase(spans, n, "feed", 1), 3, "one feed GET per URL");
    cr_expect_eq(count_phase(spans, n, "head", 1), 3, "one HEAD of each newest comic");
    cr_expect_eq(count_phase(spans, n, "get", 1), 0, "no plain GETs with --feeds");
    free(spans);
    unlink(log);
    comicsrv_stop(srv);
}
