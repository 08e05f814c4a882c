/* tsan_driver.c - the threaded parts of retreat, run under ThreadSanitizer.
 *
 * `make test-tsan` builds this file with -fsanitize=thread against the TSan
 * build of the library and the solutions, runs it, and fails on any
 * "WARNING: ThreadSanitizer" in its output. It is a plain program rather than
 * Criterion tests because Criterion 2.4 aborts under TSan.
 *
 * TSan only reports races in code that actually runs concurrently, so each
 * part below makes its threads overlap on purpose and then checks the result,
 * so that a run which did nothing cannot pass:
 *
 *   runlog    threads appending spans to one run log at once (no lock by
 *             design: one write(2) per span, see runlog.h);
 *   chan      the channel of exercise 07: producers and consumers hammering
 *             a channel of capacity 2, then close while receivers wait;
 *   styles    every concurrent blur style of ladder.h (03-08), and the
 *             library's expert style beyond it, on a few small generated
 *             images, one of them broken, with 3 workers; outputs are
 *             compared with the reference blur. fast and expert run the
 *             exact passes below sigma 4 and 2, so they run at sigma 5 too;
 *   faults    the styles that split one image over threads (06 rows, 08
 *             fast below sigma 4, expert below 2) when some bands' passes fail
 *             and others succeed (injected by fail_passes.c): that image
 *             fails, named, the others are blurred, and nobody hangs;
 *   fetch     every fetch style (09-13) and the capstone (14) against the
 *             embedded comic server (its own threads: libmicrohttpd's and
 *             the timer's) on 127.0.0.1, one feed answering 404.
 *
 *     tsan_driver WORK_DIR     (created if missing; its contents are replaced)
 *
 * Exit status 0 if every part checked out, 1 otherwise (each failure printed).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch.h"
#include "blur.h"
#include "blur_expert.h"
#include "comicsrv.h"
#include "fail_passes.h"
#include "fetch.h"
#include "styles.h"
#include "img.h"
#include "ladder.h"
#include "runlog.h"

#define SIGMA 1.5f
#define WORKERS 3

static int failures;

static void fail(const char *part, const char *fmt, const char *detail)
{
    fprintf(stderr, "tsan_driver: %s: ", part);
    fprintf(stderr, fmt, detail);
    fputc('\n', stderr);
    failures++;
}

/* --- runlog: concurrent appends ------------------------------------------- */

#define LOG_THREADS 4
#define LOG_SPANS 100

static void *append_spans(void *arg)
{
    struct runlog *log = arg;
    for (int i = 0; i < LOG_SPANS; i++) {
        struct runlog_span s;
        runlog_begin(&s, "tsan", "item.png", i, "blur");
        if (runlog_end(log, &s) != 0)
            return "append failed";
    }
    return NULL;
}

static void check_runlog(void)
{
    struct runlog *log;
    struct err err = {0};
    if (runlog_open_memory(&log, &err) != 0) {
        fail("runlog", "%s", err.msg);
        return;
    }
    pthread_t t[LOG_THREADS];
    int started = 0;
    for (; started < LOG_THREADS; started++)
        if (pthread_create(&t[started], NULL, append_spans, log) != 0)
            break;
    for (int i = 0; i < started; i++) {
        void *why;
        pthread_join(t[i], &why);
        if (why != NULL)
            fail("runlog", "%s", why);
    }
    struct runlog_span *spans;
    size_t count;
    if (runlog_snapshot(log, &spans, &count, &err) != 0) {
        fail("runlog", "%s", err.msg);
    } else {
        char got[64];
        snprintf(got, sizeof got, "%zu spans from %zu workers", count,
                 runlog_workers(spans, count, "tsan", NULL));
        if (started != LOG_THREADS || count != LOG_THREADS * LOG_SPANS ||
            runlog_workers(spans, count, "tsan", NULL) != LOG_THREADS)
            fail("runlog", "expected 400 spans from 4 workers, read %s", got);
        else
            printf("runlog: %s, every line intact\n", got);
        free(spans);
    }
    runlog_close(log);
}

/* --- chan: many senders and receivers ------------------------------------- */

#define CHAN_SENDERS 3
#define CHAN_RECEIVERS 3
#define CHAN_ITEMS 2000 /* per sender */

struct chan_side {
    struct chan *ch;
    long id;
    long sum;   /* receivers: sum of the values received */
    long count; /* receivers: number received */
};

static void *sender(void *arg)
{
    struct chan_side *s = arg;
    /* Values 1..CHAN_ITEMS per sender, as pointers (never NULL). */
    for (long v = 1; v <= CHAN_ITEMS; v++)
        if (chan_send(s->ch, (void *)v) != 0)
            return "send failed on an open channel";
    return NULL;
}

static void *receiver(void *arg)
{
    struct chan_side *r = arg;
    void *item;
    while (chan_recv(r->ch, &item) == 0) {
        r->sum += (long)item;
        r->count++;
    }
    return NULL;
}

static void check_chan(void)
{
    struct chan *ch = chan_open(2);
    if (ch == NULL) {
        fail("chan", "%s", "chan_open(2) failed");
        return;
    }
    struct chan_side snd[CHAN_SENDERS], rcv[CHAN_RECEIVERS];
    pthread_t ts[CHAN_SENDERS], tr[CHAN_RECEIVERS];
    for (int i = 0; i < CHAN_RECEIVERS; i++) {
        rcv[i] = (struct chan_side){ch, i, 0, 0};
        if (pthread_create(&tr[i], NULL, receiver, &rcv[i]) != 0) {
            fail("chan", "%s", "pthread_create failed");
            exit(1);
        }
    }
    for (int i = 0; i < CHAN_SENDERS; i++) {
        snd[i] = (struct chan_side){ch, i, 0, 0};
        if (pthread_create(&ts[i], NULL, sender, &snd[i]) != 0) {
            fail("chan", "%s", "pthread_create failed");
            exit(1);
        }
    }
    for (int i = 0; i < CHAN_SENDERS; i++) {
        void *why;
        pthread_join(ts[i], &why);
        if (why != NULL)
            fail("chan", "%s", why);
    }
    /* Close while the receivers wait on an empty channel: all must wake. */
    chan_close(ch);
    long sum = 0, count = 0;
    for (int i = 0; i < CHAN_RECEIVERS; i++) {
        pthread_join(tr[i], NULL);
        sum += rcv[i].sum;
        count += rcv[i].count;
    }
    long want_sum = (long)CHAN_SENDERS * CHAN_ITEMS * (CHAN_ITEMS + 1) / 2;
    char got[96];
    snprintf(got, sizeof got, "%ld items summing to %ld", count, sum);
    if (count != (long)CHAN_SENDERS * CHAN_ITEMS || sum != want_sum)
        fail("chan", "expected 6000 items summing to 6003000, received %s", got);
    else if (chan_send(ch, (void *)1L) != -1)
        fail("chan", "%s", "chan_send on a closed channel did not fail");
    else
        printf("chan: %s, close woke every receiver\n", got);
    chan_free(ch);
}

/* --- styles 03-08 on small images ------------------------------------------ */

#define GOOD_IMAGES 4

static const struct {
    const char *name;
    int (*run)(const struct blur_batch *b);
    int tolerance; /* exercises.txt: exact, except the approximations of fast and expert */
    float sigma;
} blur_styles[] = {
    {"processes", processes_run, 0, SIGMA},
    {"threads", threads_run, 0, SIGMA},
    {"pool", pool_run, 0, SIGMA},
    {"rows", rows_run, 0, SIGMA},
    {"pipeline", pipeline_run, 0, SIGMA},
    {"fast", fast_run, 4, SIGMA},
    {"fast", fast_run, 4, 5.0f}, /* the box cascade, not the exact passes */
    {"expert", blur_expert_run, 4, SIGMA},
    {"expert", blur_expert_run, 4, 5.0f}, /* the recursive filter */
};

/* Writes small images of different shapes (and one file that is not an image)
 * into dir; fills paths. Every pixel differs so that a wrong blur shows. */
static int make_inputs(const char *dir, char paths[][512], struct err *err)
{
    static const int shape[GOOD_IMAGES][3] = {{48, 32, 3}, {31, 17, 4}, {5, 60, 3}, {64, 9, 4}};
    for (int i = 0; i < GOOD_IMAGES; i++) {
        struct img im;
        if (img_alloc(&im, shape[i][0], shape[i][1], shape[i][2], err) != 0)
            return -1;
        for (int y = 0; y < im.height; y++)
            for (size_t x = 0; x < im.stride; x++)
                img_row(&im, y)[x] = (uint8_t)((x * 7 + (size_t)y * 13 + (size_t)i * 61) ^ (x * y));
        snprintf(paths[i], 512, "%s/in%d.png", dir, i);
        int rc = img_save(paths[i], &im, err);
        img_free(&im);
        if (rc != 0)
            return -1;
    }
    snprintf(paths[GOOD_IMAGES], 512, "%s/broken.png", dir);
    FILE *f = fopen(paths[GOOD_IMAGES], "w");
    if (f == NULL || fputs("not a PNG at all", f) < 0 || fclose(f) != 0)
        return err_set(err, "%s: cannot write (%s)", paths[GOOD_IMAGES], strerror(errno));
    return 0;
}

/* Compares output i of batch b with the reference blur of input i. */
static int check_output(const struct blur_batch *b, size_t i, int tolerance, struct err *err)
{
    char out[1024];
    struct img in, got, want;
    if (batch_output_path(b, i, out, sizeof out, err) != 0)
        return -1;
    if (img_load(b->inputs[i], &in, err) != 0)
        return -1;
    if (img_load(out, &got, err) != 0) {
        img_free(&in);
        return -1;
    }
    int rc = img_alloc_like(&want, &in, err);
    if (rc == 0)
        rc = blur_gauss(&in, &want, b->sigma, err);
    struct img_diff d;
    if (rc == 0)
        rc = img_compare(&got, &want, &d, err);
    if (rc == 0 && d.max_abs > tolerance)
        rc = err_set(err, "%s: differs from the reference by %d at (%d,%d), more than %d", out,
                     d.max_abs, d.x, d.y, tolerance);
    img_free(&in);
    img_free(&got);
    img_free(&want);
    return rc;
}

static void check_styles(const char *work)
{
    struct err err = {0};
    char paths[GOOD_IMAGES + 1][512];
    const char *inputs[GOOD_IMAGES + 1];
    char in_dir[512];
    snprintf(in_dir, sizeof in_dir, "%s/in", work);
    if (mkdir(in_dir, 0755) != 0 && errno != EEXIST) {
        fail("styles", "cannot create %s", in_dir);
        return;
    }
    if (make_inputs(in_dir, paths, &err) != 0) {
        fail("styles", "%s", err.msg);
        return;
    }
    for (int i = 0; i <= GOOD_IMAGES; i++)
        inputs[i] = paths[i];

    for (size_t s = 0; s < sizeof blur_styles / sizeof blur_styles[0]; s++) {
        char out_dir[512];
        snprintf(out_dir, sizeof out_dir, "%s/out-%s-%g", work, blur_styles[s].name,
                 (double)blur_styles[s].sigma);
        if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
            fail(blur_styles[s].name, "cannot create %s", out_dir);
            continue;
        }
        struct blur_result results[GOOD_IMAGES + 1];
        memset(results, 0, sizeof results);
        struct runlog *log;
        if (runlog_open_memory(&log, &err) != 0) {
            fail(blur_styles[s].name, "%s", err.msg);
            continue;
        }
        struct blur_batch b = {
            .style = blur_styles[s].name,
            .inputs = inputs,
            .count = GOOD_IMAGES + 1,
            .out_dir = out_dir,
            .sigma = blur_styles[s].sigma,
            .threads = WORKERS,
            .log = log,
            .results = results,
        };
        if (blur_styles[s].run(&b) != 0) {
            fail(blur_styles[s].name, "%s", "the style could not run");
        } else if (batch_count(&b, BLUR_DONE) != GOOD_IMAGES || batch_count(&b, BLUR_FAILED) != 1 ||
                   results[GOOD_IMAGES].status != BLUR_FAILED) {
            fail(blur_styles[s].name, "%s", "expected 4 images done and broken.png failed");
        } else {
            int ok = 1;
            for (size_t i = 0; i < GOOD_IMAGES && ok; i++)
                if (check_output(&b, i, blur_styles[s].tolerance, &err) != 0) {
                    fail(blur_styles[s].name, "%s", err.msg);
                    ok = 0;
                }
            if (ok)
                printf("%s, sigma %g: 4 images blurred as the reference does, broken.png "
                       "reported\n",
                       blur_styles[s].name, (double)blur_styles[s].sigma);
        }
        runlog_close(log);
    }
}

/* --- faults: failing passes in the styles that split an image ------------- */

#define FAULT_IMAGES 4
#define FAULT_ROUNDS 5

static void check_faults(const char *work)
{
    /* name, width, height, channels; the two of a failing height must fail */
    static const struct {
        const char *name;
        int w, h, c;
    } shape[FAULT_IMAGES] = {
        {"good1.png", 40, 20, 3},
        {"fail_h.png", 24, FAIL_H_HEIGHT, 3},
        {"good2.png", 17, 12, 4},
        {"fail_v.png", 30, FAIL_V_HEIGHT, 4},
    };
    /* fast and expert are pools over images: they split one image only
     * over the threads left when every image has its worker. So they get
     * WORKERS threads for each image, and split each over WORKERS. */
    static const struct {
        const char *name;
        int (*run)(const struct blur_batch *b);
        int tolerance;
        int threads;
    } splitters[] = {{"rows", rows_run, 0, WORKERS},
                     {"fast", fast_run, 4, WORKERS * FAULT_IMAGES},
                     {"expert", blur_expert_run, 4, WORKERS * FAULT_IMAGES}};
    struct err err = {0};
    char paths[FAULT_IMAGES][512];
    const char *inputs[FAULT_IMAGES];
    char dir[512];
    snprintf(dir, sizeof dir, "%s/faults", work);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fail("faults", "cannot create %s", dir);
        return;
    }
    for (int i = 0; i < FAULT_IMAGES; i++) {
        struct img im;
        snprintf(paths[i], sizeof paths[i], "%s/%s", dir, shape[i].name);
        inputs[i] = paths[i];
        if (img_alloc(&im, shape[i].w, shape[i].h, shape[i].c, &err) != 0) {
            fail("faults", "%s", err.msg);
            return;
        }
        for (int y = 0; y < im.height; y++)
            for (size_t x = 0; x < im.stride; x++)
                img_row(&im, y)[x] = (uint8_t)(x * 5 + (size_t)y * 11 + (size_t)i * 37);
        int rc = img_save(paths[i], &im, &err);
        img_free(&im);
        if (rc != 0) {
            fail("faults", "%s", err.msg);
            return;
        }
    }

    /* A race shows only if the threads happen to touch the flags close
     * enough together in time: several rounds make that all but certain. */
    for (int round = 0; round < FAULT_ROUNDS; round++) {
        for (size_t s = 0; s < sizeof splitters / sizeof splitters[0]; s++) {
            const char *name = splitters[s].name;
            char out_dir[512];
            snprintf(out_dir, sizeof out_dir, "%s/out-%s", dir, name);
            struct blur_result results[FAULT_IMAGES];
            memset(results, 0, sizeof results);
            struct runlog *log;
            if ((mkdir(out_dir, 0755) != 0 && errno != EEXIST) ||
                runlog_open_memory(&log, &err) != 0) {
                fail(name, "%s", "cannot set up the faults run");
                continue;
            }
            struct blur_batch b = {
                .style = name,
                .inputs = inputs,
                .count = FAULT_IMAGES,
                .out_dir = out_dir,
                .sigma = SIGMA, /* below 2: fast and expert run the row passes too */
                .threads = splitters[s].threads,
                .log = log,
                .results = results,
            };
            int ok = splitters[s].run(&b) == 0;
            for (int i = 0; i < FAULT_IMAGES && ok; i++) {
                int failing = shape[i].h == FAIL_H_HEIGHT || shape[i].h == FAIL_V_HEIGHT;
                if (failing && (results[i].status != BLUR_FAILED ||
                                strstr(results[i].error, shape[i].name) == NULL)) {
                    fail(name, "%s: expected to fail with a message naming it", shape[i].name);
                    ok = 0;
                } else if (!failing &&
                           (results[i].status != BLUR_DONE ||
                            check_output(&b, (size_t)i, splitters[s].tolerance, &err))) {
                    fail(name, "%s: expected to be blurred as the reference does", shape[i].name);
                    ok = 0;
                }
            }
            if (ok && round == FAULT_ROUNDS - 1)
                printf("%s: failing passes fail their images alone: %s; %s\n", name,
                       results[1].error, results[3].error);
            runlog_close(log);
        }
    }
}

/* --- fetch styles 09-13 and the capstone against the comic server ---------- */

#define COMICS 6 /* the last one's feed answers 404 (fault every=6) */

static int fetch_ok(const char *name, const struct fetch_job *job)
{
    if (fetch_count(job, FETCH_DONE) != COMICS - 1 || fetch_count(job, FETCH_FAILED) != 1 ||
        job->results[COMICS - 1].status != FETCH_FAILED) {
        fail(name, "%s", "expected 5 feeds read and feed 5 (a 404) failed");
        return 0;
    }
    return 1;
}

static void check_fetch(const char *work)
{
    struct err err = {0};
    struct comicsrv *srv;
    struct comicsrv_opts o = {.count = COMICS, .latency_ms = 20, .jitter_ms = 10};
    o.faults[o.nfaults++] = (struct comicsrv_fault){COMICSRV_FAULT_404, 0, COMICS};
    if (comicsrv_start(&srv, &o, &err) != 0) {
        fail("fetch", "%s", err.msg);
        return;
    }
    char urls[COMICS][COMICSRV_URL_MAX];
    const char *list[COMICS];
    for (unsigned i = 0; i < COMICS; i++) {
        comicsrv_feed_url(srv, i, urls[i], sizeof urls[i]);
        list[i] = urls[i];
    }
    for (const struct fetch_style *st = fetch_styles; st->name != NULL; st++) {
        struct fetch_result results[COMICS];
        memset(results, 0, sizeof results);
        struct fetch_job job = {.style = st->name,
                                .urls = list,
                                .count = COMICS,
                                .mode = FETCH_COMIC,
                                .threads = WORKERS,
                                .limits = {.timeout_ms = 10000},
                                .results = results};
        if (st->run(&job) != 0)
            fail(st->name, "%s", "the style could not run");
        else if (fetch_ok(st->name, &job))
            printf("%s: 5 feeds read, the 404 reported\n", st->name);
        for (size_t i = 0; i < COMICS; i++)
            fetch_result_clear(&results[i]);
    }

    /* The capstone: fetched images handed to blur workers over a channel. */
    char out_dir[512];
    snprintf(out_dir, sizeof out_dir, "%s/capstone", work);
    if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
        fail("capstone", "cannot create %s", out_dir);
    } else {
        struct fetch_result results[COMICS];
        struct blur_result blurred[COMICS];
        memset(results, 0, sizeof results);
        memset(blurred, 0, sizeof blurred);
        struct capstone_job c = {
            .fetch = {.style = "capstone",
                      .urls = list,
                      .count = COMICS,
                      .threads = WORKERS,
                      .limits = {.timeout_ms = 10000},
                      .results = results},
            .out_dir = out_dir,
            .sigma = SIGMA,
            .blur_threads = 2,
            .blurred = blurred,
        };
        size_t done = 0;
        if (capstone_run(&c) != 0) {
            fail("capstone", "%s", "could not run");
        } else if (fetch_ok("capstone", &c.fetch)) {
            for (size_t i = 0; i < COMICS; i++)
                done += blurred[i].status == BLUR_DONE;
            if (done != COMICS - 1)
                fail("capstone", "%s", "expected the 5 comics fetched to be blurred");
            else
                printf("capstone: 5 comics fetched and blurred, the 404 reported\n");
        }
        for (size_t i = 0; i < COMICS; i++)
            fetch_result_clear(&results[i]);
    }
    comicsrv_stop(srv);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s WORK_DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "tsan_driver: cannot create %s (%s)\n", argv[1], strerror(errno));
        return 1;
    }
    check_runlog();
    check_chan();
    check_styles(argv[1]);
    check_faults(argv[1]);
    check_fetch(argv[1]);
    if (failures > 0) {
        fprintf(stderr, "tsan_driver: %d check(s) failed\n", failures);
        return 1;
    }
    printf("tsan_driver: every check passed\n");
    return 0;
}
