/* 07-pipeline.c - the tests of exercise 07: the channel, and pipeline_run().
 *
 *   correct     the channel keeps FIFO order, blocks a sender while full and
 *               a receiver while empty, close wakes everyone and lets
 *               receivers drain, several producers and consumers deliver
 *               every item exactly once; the pipeline's outputs match
 *               blur_gauss() exactly;
 *   errors      bad inputs fail one by one and do not stall the pipeline;
 *   concurrent  the run log shows reading or writing one image while another
 *               is blurred, on distinct threads: the point of a pipeline.
 *
 * Every test has a timeout: a lost wake-up is a hang, and a hang must fail.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "clock.h"
#include "ladder.h"
#include "support.h"

/* How long a test waits to be reasonably sure a thread is blocked. Waiting
 * longer never makes a correct channel fail, only the test slower. */
#define BLOCK_MS 100

#define ITEM(n) ((void *)(intptr_t)(n))
#define NUM(p) ((int)(intptr_t)(p))

Test(correct, fifo_order, .timeout = 10)
{
    struct chan *ch = chan_open(3);
    cr_assert(ch != NULL, "chan_open(3) returned NULL");
    /* 10 items through 3 slots: the ring wraps around several times. */
    int next_in = 1, next_out = 1;
    while (next_out <= 10) {
        while (next_in <= 10 && next_in - next_out < 3)
            cr_assert(chan_send(ch, ITEM(next_in++)) == 0, "chan_send() on an open channel "
                                                           "with room returned -1");
        void *item = NULL;
        cr_assert(chan_recv(ch, &item) == 0, "chan_recv() on a channel holding items returned -1");
        cr_assert(NUM(item) == next_out,
                  "chan_recv() returned item %d, expected %d: items must come out in the order "
                  "they went in (head moves on by one, modulo the capacity)",
                  NUM(item), next_out);
        next_out++;
    }
    chan_free(ch);
}

struct helper {
    struct chan *ch;
    void *item;      /* to send, or received */
    int rc;          /* what chan_send / chan_recv returned */
    atomic_int done; /* the call has returned */
};

static void *send_one(void *arg)
{
    struct helper *h = arg;
    h->rc = chan_send(h->ch, h->item);
    atomic_store(&h->done, 1);
    return NULL;
}

static void *recv_one(void *arg)
{
    struct helper *h = arg;
    h->rc = chan_recv(h->ch, &h->item);
    atomic_store(&h->done, 1);
    return NULL;
}

Test(correct, send_waits_while_full, .timeout = 10)
{
    struct chan *ch = chan_open(1);
    cr_assert(ch != NULL, "chan_open(1) returned NULL");
    cr_assert(chan_send(ch, ITEM(1)) == 0, "the first chan_send() failed");
    struct helper h = {.ch = ch, .item = ITEM(2)};
    pthread_t tid;
    cr_assert(pthread_create(&tid, NULL, send_one, &h) == 0);
    clock_sleep_ms(BLOCK_MS);
    cr_expect(!atomic_load(&h.done),
              "chan_send() into a full channel returned (%d) instead of waiting for room: "
              "wait on not_full while count == capacity",
              h.rc);
    void *item = NULL;
    cr_assert(chan_recv(ch, &item) == 0 && NUM(item) == 1, "chan_recv() did not return item 1");
    pthread_join(tid, NULL); /* a sender never woken by the recv hangs here: timeout */
    cr_expect(h.rc == 0, "the waiting chan_send() returned %d after a recv made room", h.rc);
    cr_assert(chan_recv(ch, &item) == 0 && NUM(item) == 2, "the waiting sender's item is lost");
    chan_free(ch);
}

Test(correct, recv_waits_while_empty, .timeout = 10)
{
    struct chan *ch = chan_open(2);
    cr_assert(ch != NULL, "chan_open(2) returned NULL");
    struct helper h = {.ch = ch};
    pthread_t tid;
    cr_assert(pthread_create(&tid, NULL, recv_one, &h) == 0);
    clock_sleep_ms(BLOCK_MS);
    cr_expect(!atomic_load(&h.done),
              "chan_recv() on an empty open channel returned (%d) instead of waiting: wait on "
              "not_empty while count == 0 and the channel is open",
              h.rc);
    cr_assert(chan_send(ch, ITEM(7)) == 0, "chan_send() failed");
    pthread_join(tid, NULL); /* a receiver never woken by the send hangs here: timeout */
    cr_expect(h.rc == 0 && NUM(h.item) == 7,
              "the waiting receiver got rc %d, item %d; expected 0, 7", h.rc, NUM(h.item));
    chan_free(ch);
}

Test(correct, close_wakes_receivers, .timeout = 10)
{
    struct chan *ch = chan_open(2);
    cr_assert(ch != NULL, "chan_open(2) returned NULL");
    struct helper h[3];
    pthread_t tid[3];
    for (int i = 0; i < 3; i++) {
        h[i] = (struct helper){.ch = ch, .item = ITEM(-1)};
        cr_assert(pthread_create(&tid[i], NULL, recv_one, &h[i]) == 0);
    }
    clock_sleep_ms(BLOCK_MS);
    for (int i = 0; i < 3; i++)
        cr_expect(!atomic_load(&h[i].done),
                  "chan_recv() on an empty open channel returned (%d) instead of waiting", h[i].rc);
    chan_close(ch);
    for (int i = 0; i < 3; i++) /* anyone still asleep hangs here: timeout */
        pthread_join(tid[i], NULL);
    for (int i = 0; i < 3; i++)
        cr_expect(h[i].rc == -1,
                  "a receiver waiting on an empty channel got %d when it was closed, expected "
                  "-1 (closed and drained)",
                  h[i].rc);
    chan_free(ch);
}

Test(correct, close_wakes_senders, .timeout = 10)
{
    struct chan *ch = chan_open(1);
    cr_assert(ch != NULL, "chan_open(1) returned NULL");
    cr_assert(chan_send(ch, ITEM(1)) == 0, "the first chan_send() failed");
    struct helper h = {.ch = ch, .item = ITEM(2)};
    pthread_t tid;
    cr_assert(pthread_create(&tid, NULL, send_one, &h) == 0);
    clock_sleep_ms(BLOCK_MS);
    chan_close(ch);
    pthread_join(tid, NULL); /* a sender never woken by close hangs here: timeout */
    cr_expect(h.rc == -1,
              "a sender waiting on a full channel got %d when it was closed, expected -1: "
              "close must broadcast not_full too",
              h.rc);
    chan_free(ch);
}

Test(correct, close_then_drain, .timeout = 10)
{
    struct chan *ch = chan_open(4);
    cr_assert(ch != NULL, "chan_open(4) returned NULL");
    cr_assert(chan_send(ch, ITEM(1)) == 0 && chan_send(ch, ITEM(2)) == 0, "chan_send() failed");
    chan_close(ch);
    cr_expect(chan_send(ch, ITEM(3)) == -1, "chan_send() after chan_close() must return -1");
    void *item = NULL;
    cr_expect(chan_recv(ch, &item) == 0 && NUM(item) == 1,
              "after close, chan_recv() must still return what is left (item 1)");
    cr_expect(chan_recv(ch, &item) == 0 && NUM(item) == 2,
              "after close, chan_recv() must still return what is left (item 2)");
    cr_expect(chan_recv(ch, &item) == -1,
              "chan_recv() on a closed, drained channel must return -1 at once");
    chan_free(ch);
}

/* --- Many producers, many consumers ---------------------------------------- */

#define PRODUCERS 3
#define CONSUMERS 3
#define PER_PRODUCER 2000

struct mpmc {
    struct chan *ch;
    int first;            /* a producer sends first .. first + PER_PRODUCER - 1 */
    atomic_int *received; /* counts per item, shared by the consumers */
    int rc;
};

static void *produce(void *arg)
{
    struct mpmc *m = arg;
    for (int i = 0; i < PER_PRODUCER && m->rc == 0; i++)
        m->rc = chan_send(m->ch, ITEM(m->first + i));
    return NULL;
}

static void *consume(void *arg)
{
    struct mpmc *m = arg;
    void *item;
    while (chan_recv(m->ch, &item) == 0) {
        int n = NUM(item);
        if (n >= 0 && n < PRODUCERS * PER_PRODUCER)
            atomic_fetch_add(&m->received[n], 1);
        else
            m->rc = -1;
    }
    return NULL;
}

Test(correct, many_producers_and_consumers, .timeout = 30)
{
    static atomic_int received[PRODUCERS * PER_PRODUCER];
    struct chan *ch = chan_open(4); /* small: everyone waits often */
    cr_assert(ch != NULL, "chan_open(4) returned NULL");
    struct mpmc p[PRODUCERS], c[CONSUMERS];
    pthread_t pt[PRODUCERS], ct[CONSUMERS];
    for (int i = 0; i < CONSUMERS; i++) {
        c[i] = (struct mpmc){.ch = ch, .received = received};
        cr_assert(pthread_create(&ct[i], NULL, consume, &c[i]) == 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        p[i] = (struct mpmc){.ch = ch, .first = i * PER_PRODUCER};
        cr_assert(pthread_create(&pt[i], NULL, produce, &p[i]) == 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        pthread_join(pt[i], NULL);
        cr_expect(p[i].rc == 0, "a producer's chan_send() failed on an open channel");
    }
    chan_close(ch);
    for (int i = 0; i < CONSUMERS; i++) { /* hangs here if close does not wake them */
        pthread_join(ct[i], NULL);
        cr_expect(c[i].rc == 0, "a consumer received an item that was never sent");
    }
    int lost = 0, twice = 0;
    for (int n = 0; n < PRODUCERS * PER_PRODUCER; n++) {
        lost += received[n] == 0;
        twice += received[n] > 1;
    }
    cr_expect(lost == 0 && twice == 0,
              "of %d items, %d were never received and %d more than once: every change to "
              "head, count and the ring must happen with the mutex held, and waits must be "
              "in a while loop",
              PRODUCERS * PER_PRODUCER, lost, twice);
    chan_free(ch);
}

/* --- The pipeline ----------------------------------------------------------- */

Test(correct, every_image_blurred, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("07", &tolerance, &err) == 0, "%s", err.msg);
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    for (int threads = 1; threads <= 2; threads++) {
        struct support_run run;
        cr_assert(support_run_style(&run, pipeline_run, "pipeline", &f, SUPPORT_SIGMA, threads,
                                    &err) == 0,
                  "%s", err.msg);
        int rc = support_check_outputs(&run, &f, tolerance, 0, &err);
        support_run_free(&run);
        cr_expect(rc == 0, "with b->threads = %d: %s", threads, err.msg);
    }
    support_files_free(&f);
}

Test(errors, bad_files_do_not_stall, .timeout = SUPPORT_TIMEOUT)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 1, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, pipeline_run, "pipeline", &f, SUPPORT_SIGMA, 2, &err) == 0,
              "%s", err.msg);
    int rc = support_check_errors(&run, &f, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0,
              "%s. An image that fails in one stage must not be passed on, and the stage "
              "must go on with the next one.",
              err.msg);
}

/* Some "decode" or "encode" span and some "blur" span overlap in time, on
 * distinct workers. */
static int io_overlaps_blur(const struct support_run *run)
{
    for (size_t i = 0; i < run->nspans; i++) {
        const struct runlog_span *io = &run->spans[i];
        if (strcmp(io->phase, "decode") != 0 && strcmp(io->phase, "encode") != 0)
            continue;
        for (size_t j = 0; j < run->nspans; j++) {
            const struct runlog_span *bl = &run->spans[j];
            if (strcmp(bl->phase, "blur") == 0 && bl->worker != io->worker &&
                io->start_ns < bl->end_ns && bl->start_ns < io->end_ns)
                return 1;
        }
    }
    return 0;
}

Test(concurrent, io_overlaps_blur, .timeout = 60)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    /* The latch holds the blur stage at the end of a blur until a decode or
     * an encode is under way too: a pipeline always gets there, a single
     * thread doing every stage in turn never does (support_latch.h). */
    struct support_latch *latch = support_latch_arm("pipeline", "blur", "*", &err);
    cr_assert(latch != NULL, "%s", err.msg);
    struct support_run run;
    int rc = support_run_style(&run, pipeline_run, "pipeline", &f, SUPPORT_SIGMA, 1, &err);
    struct support_latch_result seen = support_latch_disarm(latch);
    support_files_free(&f);
    cr_assert(rc == 0, "%s", err.msg);
    int overlapped = io_overlaps_blur(&run);
    size_t workers = runlog_workers(run.spans, run.nspans, "pipeline", NULL);
    support_run_free(&run);
    cr_expect(overlapped,
              "with b->threads = 1, no image was decoded or encoded while another was being "
              "blurred: %s(%zu blur span(s), %zu other span(s), %zu distinct workers). Give "
              "each stage its own thread, and start them all before joining any",
              seen.gave_up ? "the blur stage waited " SUPPORT_LATCH_SECONDS_STR
                             " s at the end of a blur for a decode or encode that never came "
                           : "",
              seen.spans, seen.others, workers);
}
