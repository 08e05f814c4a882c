/* 08-fast.c - the tests of exercise 08: fast_blur() and fast_run().
 *
 * fast_blur() is an approximation, so "correct" means close, by two
 * measures: no sample further than the tolerance of exercises/exercises.txt
 * from blur_gauss(), and a PSNR of at least FAST_MIN_PSNR over the image.
 *   correct     synthetic shapes (tiny, odd, RGBA, narrower than the box) at
 *               several sigmas, the workshop photos, a padded stride, the
 *               same picture whatever the number of threads, and fast_run();
 *   errors      bad sigma, mismatched destination, bad files in a batch;
 *   concurrent  fast_blur(threads = 3) runs on more than one thread, and on
 *               no more than three. fast_blur() writes no run log (it is a
 *               plain function, like blur_gauss()), so the test watches the
 *               process's threads in /proc/self/task instead. And fast_run()
 *               is a pool: two images decoded at once (the codecs must not
 *               wait on one thread), on no more workers than allowed.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ladder.h"
#include "support.h"

/* The overall accuracy asked of the approximation, in dB: an error of about
 * 2.5 levels on average. Three extended boxes reach 47+ on the workshop
 * photos; a single box, or boxes of the wrong width, fall well below. */
#define FAST_MIN_PSNR 40.0

/* From narrow (a few taps) to wider than most test images. The reference
 * runs the exact passes below sigma 4 and its narrowest boxes at 4. */
static const float sigmas[] = {0.5f, 2.0f, 4.0f, 5.0f, 12.0f, 30.0f};
#define NSIGMAS (sizeof sigmas / sizeof sigmas[0])

/* Blurs in with fast_blur() on `threads` threads and with blur_gauss(), and
 * compares the two within the tolerance. */
static void expect_close(const struct img *in, float sigma, int threads, const char *what)
{
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("08", &tolerance, &err) == 0, "%s", err.msg);
    struct img got, want;
    cr_assert(img_alloc_like(&got, in, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&want, in, &err) == 0, "%s", err.msg);
    cr_assert(blur_gauss(in, &want, sigma, &err) == 0, "%s", err.msg);
    int rc = fast_blur(in, &got, sigma, threads, &err);
    cr_assert(rc == 0, "fast_blur() failed on %s: returned %d (%s)", what, rc, err.msg);
    rc = support_compare(&got, &want, tolerance, FAST_MIN_PSNR, what, &err);
    img_free(&got);
    img_free(&want);
    cr_expect(rc == 0,
              "%s. Check that the K box widths give a total variance of sigma^2 (an extended "
              "box has variance (r(r+1)(2r+1)/3 + 2 alpha (r+1)^2) / (2r+1+2 alpha)), and that "
              "the borders clamp like the reference: pad each line with copies of its edge "
              "pixel, far enough for all K passes.",
              err.msg);
}

Test(correct, shapes_and_sigmas, .timeout = 60)
{
    struct err err = {0};
    for (size_t s = 0; s < support_shape_count; s++) {
        const struct support_shape *sh = &support_shapes[s];
        for (size_t k = 0; k < NSIGMAS; k++) {
            struct img in;
            cr_assert(support_image_make(&in, sh->width, sh->height, sh->channels,
                                         (unsigned)(s * NSIGMAS + k), &err) == 0,
                      "%s", err.msg);
            char what[128];
            snprintf(what, sizeof what, "the %dx%d %s image blurred at sigma %g", sh->width,
                     sh->height, sh->channels == 4 ? "RGBA" : "RGB", (double)sigmas[k]);
            expect_close(&in, sigmas[k], 2, what);
            img_free(&in);
        }
    }
}

/* The accuracy target is stated for real photographs: smooth areas, soft and
 * hard edges, stars on black. */
Test(correct, workshop_photos, .timeout = 120)
{
    static const char *const photos[] = {
        "workshop/images/astronaut.png", "workshop/images/chelsea.png",
        "workshop/images/coffee.png",    "workshop/images/hubble_deep_field.jpg",
        "workshop/images/rocket.jpg",
    };
    struct err err = {0};
    for (size_t p = 0; p < sizeof photos / sizeof photos[0]; p++) {
        struct img in;
        cr_assert(img_load(photos[p], &in, &err) == 0,
                  "%s (run the tests from the top of the repository)", err.msg);
        for (float sigma = 2.5f; sigma <= 10.0f; sigma *= 2) {
            char what[256];
            snprintf(what, sizeof what, "%s blurred at sigma %g", photos[p], (double)sigma);
            expect_close(&in, sigma, 2, what);
        }
        img_free(&in);
    }
}

/* Rows further apart than width * channels bytes: find them with img_row(). */
Test(correct, respects_stride, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    struct img big;
    cr_assert(support_image_make(&big, 120, 70, 3, 11, &err) == 0, "%s", err.msg);
    struct img view = big; /* the left 97 columns, rows still 120 pixels apart */
    view.width = 97;
    expect_close(&view, 4.0f, 2, "a 97x70 image with 120-pixel rows");
    img_free(&big);
}

/* Splitting the work must not change the picture: a thread boundary that
 * shows is a band that read rows not yet written, or wrote into another's. */
Test(correct, same_for_any_threads, .timeout = SUPPORT_TIMEOUT)
{
    struct err err = {0};
    struct img in, one, many;
    cr_assert(support_image_make(&in, 301, 207, 4, 5, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&one, &in, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&many, &in, &err) == 0, "%s", err.msg);
    cr_assert(fast_blur(&in, &one, 6.0f, 1, &err) == 0, "fast_blur() failed: %s", err.msg);
    for (int threads = 2; threads <= 7; threads += 5) {
        cr_assert(fast_blur(&in, &many, 6.0f, threads, &err) == 0, "fast_blur() failed: %s",
                  err.msg);
        size_t n = support_differing(&one, &many);
        cr_expect(n == 0,
                  "%zu samples differ between 1 and %d threads: each thread must compute "
                  "exactly what one thread would for its part, after every part of the "
                  "previous pass is finished",
                  n, threads);
    }
    img_free(&in);
    img_free(&one);
    img_free(&many);
}

Test(correct, batch_style, .timeout = 60)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    int tolerance;
    cr_assert(support_tolerance("08", &tolerance, &err) == 0, "%s", err.msg);
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, fast_run, "fast", &f, SUPPORT_SIGMA, 2, &err) == 0, "%s",
              err.msg);
    int rc = support_check_outputs(&run, &f, tolerance, FAST_MIN_PSNR, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

Test(errors, bad_sigma_refused, .timeout = SUPPORT_TIMEOUT)
{
    static const float bad[] = {0.0f, -1.0f, 0.49f, 50.5f, NAN};
    struct img in, out;
    struct err err = {0};
    cr_assert(support_image_make(&in, 20, 10, 3, 1, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&out, &in, &err) == 0, "%s", err.msg);
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memset(&err, 0, sizeof err);
        int rc = fast_blur(&in, &out, bad[k], 2, &err);
        cr_expect(rc == -1, "fast_blur() with sigma %g returned %d, expected -1", (double)bad[k],
                  rc);
        cr_expect(strstr(err.msg, "sigma") != NULL,
                  "fast_blur() with sigma %g should say what is wrong with sigma, said \"%s\": "
                  "blur_check_sigma() writes that message",
                  (double)bad[k], err.msg);
    }
    img_free(&in);
    img_free(&out);
}

Test(errors, mismatched_destination, .timeout = SUPPORT_TIMEOUT)
{
    struct img in, out;
    struct err err = {0};
    cr_assert(support_image_make(&in, 20, 10, 3, 1, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc(&out, 20, 11, 3, &err) == 0, "%s", err.msg);
    int rc = fast_blur(&in, &out, 3.0f, 2, &err);
    cr_expect(rc == -1,
              "fast_blur() into a 20x11 destination from a 20x10 source returned %d, "
              "expected -1: it would write past the end of the image",
              rc);
    cr_expect(err.msg[0] != '\0', "fast_blur() failed without a message");
    img_free(&in);
    img_free(&out);
}

Test(errors, bad_files_fail_alone, .timeout = 60)
{
    struct support_files f;
    struct support_run run;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 1, &err) == 0, "%s", err.msg);
    cr_assert(support_run_style(&run, fast_run, "fast", &f, SUPPORT_SIGMA, 2, &err) == 0, "%s",
              err.msg);
    int rc = support_check_errors(&run, &f, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0, "%s", err.msg);
}

/* --- Watching the threads ----------------------------------------------------
 * A watcher thread lists /proc/self/task every 100 microseconds while
 * fast_blur() runs, and remembers every thread id it saw that did not exist
 * before the call, and the most of them alive at once. */

#define MAX_SEEN 64

struct watch {
    atomic_int stop;
    long before[MAX_SEEN]; /* threads alive before the call */
    size_t nbefore;
    long seen[MAX_SEEN]; /* new threads seen during the call */
    size_t nseen;
    size_t most_at_once;
};

static size_t list_tasks(long *ids, size_t cap)
{
    DIR *d = opendir("/proc/self/task");
    size_t n = 0;
    if (d == NULL)
        return 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (e->d_name[0] != '.' && n < cap)
            ids[n++] = atol(e->d_name);
    closedir(d);
    return n;
}

static int contains(const long *ids, size_t n, long id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return 1;
    return 0;
}

static void *watcher(void *arg)
{
    struct watch *w = arg;
    long self = gettid();
    while (!atomic_load(&w->stop)) {
        long now[MAX_SEEN];
        size_t n = list_tasks(now, MAX_SEEN), at_once = 0;
        for (size_t i = 0; i < n; i++) {
            if (now[i] == self || contains(w->before, w->nbefore, now[i]))
                continue;
            at_once++;
            if (!contains(w->seen, w->nseen, now[i]) && w->nseen < MAX_SEEN)
                w->seen[w->nseen++] = now[i];
        }
        if (at_once > w->most_at_once)
            w->most_at_once = at_once;
        usleep(100);
    }
    return NULL;
}

Test(concurrent, fast_blur_uses_threads, .timeout = 60)
{
    struct err err = {0};
    struct img in, out;
    /* Big enough that each phase takes milliseconds, not microseconds. */
    cr_assert(support_image_make(&in, 1600, 1200, 3, 9, &err) == 0, "%s", err.msg);
    cr_assert(img_alloc_like(&out, &in, &err) == 0, "%s", err.msg);

    size_t most = 0, seen = 0;
    for (int attempt = 0; attempt < SUPPORT_ATTEMPTS && seen == 0; attempt++) {
        struct watch w = {0};
        w.nbefore = list_tasks(w.before, MAX_SEEN);
        pthread_t tid;
        cr_assert(pthread_create(&tid, NULL, watcher, &w) == 0, "could not start the watcher");
        clock_sleep_ms(2); /* let it take its first look */
        int rc = fast_blur(&in, &out, 8.0f, 3, &err);
        atomic_store(&w.stop, 1);
        pthread_join(tid, NULL);
        cr_assert(rc == 0, "fast_blur() failed: %s", err.msg);
        seen = w.nseen;
        most = w.most_at_once > most ? w.most_at_once : most;
    }
    img_free(&in);
    img_free(&out);
    cr_expect(seen >= 1,
              "fast_blur(threads = 3) never started a thread: split the rows (horizontal "
              "pass), then the columns (vertical pass), among threads");
    cr_expect(most <= 3,
              "fast_blur(threads = 3) had %zu threads of its own running at once: use at most "
              "`threads` (the calling thread may be one of them)",
              most);
}

/* The batch style is exercise 05's pool (README, "the fastest blur is wasted
 * if the codecs wait on one thread"): decodes of two images overlap on two
 * workers, and there are never more workers than b->threads. */
Test(concurrent, batch_style_is_a_pool, .timeout = 60)
{
    struct support_files f;
    struct err err = {0};
    cr_assert(support_files_make(&f, SUPPORT_GOOD, 0, &err) == 0, "%s", err.msg);
    int rc = support_concurrent(fast_run, "fast", &f, 2, "decode", 2, &err);
    cr_expect(rc == 0,
              "%s (fast_run() should be exercise 05's pool: each worker decodes, blurs and "
              "encodes whole images, so that the codecs run on every core too)",
              err.msg);
    struct support_run run;
    cr_assert(support_run_style(&run, fast_run, "fast", &f, SUPPORT_SIGMA, 2, &err) == 0, "%s",
              err.msg);
    rc = support_check_workers(&run, &f, "decode", 2, &err);
    support_run_free(&run);
    support_files_free(&f);
    cr_expect(rc == 0, "with b->threads = 2: %s", err.msg);
}
