/* test_batch.c - the timed steps of a blur batch, their run-log spans and
 * their per-item errors. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "blur.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/retreat-test-batch-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(batch, .init = setup, .fini = teardown);

Test(batch, process_writes_the_reference_blur_and_logs_three_phases)
{
    char in[128], out[128];
    struct img a, got, want;
    struct err err;
    snprintf(in, sizeof in, "%s/gradient.bmp", dir);
    cr_assert_eq(img_alloc(&a, 64, 32, 3, &err), 0);
    for (int y = 0; y < 32; y++)
        for (int x = 0; x < 64 * 3; x++)
            img_row(&a, y)[x] = (uint8_t)(x + 4 * y);
    /* Saved as PNG under a .bmp name: the loader goes by content, and the
     * output becomes gradient.png because BMP is not a format we write. */
    snprintf(out, sizeof out, "%s/gradient.png", dir);
    cr_assert_eq(img_save(out, &a, &err), 0);
    cr_assert_eq(rename(out, in), 0);

    struct runlog *log;
    cr_assert_eq(runlog_open_memory(&log, &err), 0);
    const char *inputs[] = {in};
    struct blur_result results[1] = {0};
    char outdir[128];
    snprintf(outdir, sizeof outdir, "%s/out", dir);
    cr_assert_eq(mkdir(outdir, 0755), 0);
    struct blur_batch b = {"test", inputs, 1, outdir, 2.0f, 1, log, results, IMG_FORMAT_AUTO, 0};
    cr_assert_eq(batch_process(&b, 0), 0, "%s", results[0].error);
    cr_expect_eq(results[0].status, BLUR_DONE);

    snprintf(out, sizeof out, "%s/gradient.png", outdir);
    cr_assert_eq(img_load(out, &got, &err), 0, "%s", err.msg);
    cr_assert_eq(img_alloc_like(&want, &a, &err), 0);
    cr_assert_eq(blur_gauss(&a, &want, 2.0f, &err), 0);
    struct img_diff d;
    cr_assert_eq(img_compare(&got, &want, &d, &err), 0);
    cr_expect_eq(d.max_abs, 0);

    struct runlog_span *spans;
    size_t n;
    cr_assert_eq(runlog_snapshot(log, &spans, &n, &err), 0);
    cr_assert_eq(n, 3);
    const char *phases[] = {"decode", "blur", "encode"};
    for (size_t i = 0; i < 3; i++) {
        cr_expect_str_eq(spans[i].phase, phases[i]);
        cr_expect_str_eq(spans[i].item, "gradient.bmp");
        cr_expect_str_eq(spans[i].style, "test");
        cr_expect(spans[i].ok);
    }
    free(spans);
    runlog_close(log);
    img_free(&a);
    img_free(&got);
    img_free(&want);
}

Test(batch, a_bad_item_fails_alone_with_its_reason)
{
    char bad[128], good[128];
    struct img a;
    struct err err;
    snprintf(bad, sizeof bad, "%s/broken.png", dir);
    snprintf(good, sizeof good, "%s/good.png", dir);
    FILE *f = fopen(bad, "w");
    fputs("not a png", f);
    fclose(f);
    cr_assert_eq(img_alloc(&a, 8, 8, 4, &err), 0);
    cr_assert_eq(img_save(good, &a, &err), 0);

    struct runlog *log;
    cr_assert_eq(runlog_open_memory(&log, &err), 0);
    const char *inputs[] = {bad, good};
    struct blur_result results[2] = {0};
    struct blur_batch b = {"test", inputs, 2, NULL, 1.0f, 1, log, results, IMG_FORMAT_AUTO, 0};
    cr_expect_eq(batch_process(&b, 0), -1);
    cr_expect_eq(batch_process(&b, 1), 0);
    cr_expect_eq(results[0].status, BLUR_FAILED);
    cr_expect(strstr(results[0].error, "broken.png") != NULL, "got: %s", results[0].error);
    cr_expect_eq(results[1].status, BLUR_DONE);
    cr_expect_eq(batch_count(&b, BLUR_DONE), 1);
    cr_expect_eq(batch_count(&b, BLUR_FAILED), 1);

    struct runlog_span *spans;
    size_t n;
    cr_assert_eq(runlog_snapshot(log, &spans, &n, &err), 0);
    cr_assert_eq(n, 4, "1 failed decode + 3 phases of the good one, got %zu", n);
    cr_expect_eq(spans[0].ok, 0);
    cr_expect(strstr(spans[0].detail, "broken.png") != NULL);
    free(spans);
    runlog_close(log);
    img_free(&a);
}

Test(batch, output_path_keeps_png_and_jpeg_and_renames_others)
{
    const char *inputs[] = {"/x/a.PNG", "b.jpeg", "dir.v2/c.gif", "noext"};
    struct blur_result results[4] = {0};
    struct blur_batch b = {"t", inputs, 4, "out", 1.0f, 1, NULL, results, IMG_FORMAT_AUTO, 0};
    const char *want[] = {"out/a.PNG", "out/b.jpeg", "out/c.png", "out/noext.png"};
    for (size_t i = 0; i < 4; i++) {
        char path[64];
        struct err err;
        cr_assert_eq(batch_output_path(&b, i, path, sizeof path, &err), 0);
        cr_expect_str_eq(path, want[i]);
    }
    char tiny[8];
    struct err err;
    cr_expect_eq(batch_output_path(&b, 0, tiny, sizeof tiny, &err), -1);
}

Test(batch, unwritable_output_folder_fails_the_item)
{
    char in[128];
    struct img a;
    struct err err;
    snprintf(in, sizeof in, "%s/a.png", dir);
    cr_assert_eq(img_alloc(&a, 8, 8, 3, &err), 0);
    cr_assert_eq(img_save(in, &a, &err), 0);
    const char *inputs[] = {in};
    struct blur_result results[1] = {0};
    struct blur_batch b = {"t", inputs, 1,       "/nonexistent/out", 1.0f,
                           1,   NULL,   results, IMG_FORMAT_AUTO,    0};
    cr_expect_eq(batch_process(&b, 0), -1);
    cr_expect_eq(results[0].status, BLUR_FAILED);
    cr_expect(strstr(results[0].error, "/nonexistent/out/a.png") != NULL, "got: %s",
              results[0].error);
    img_free(&a);
}
