/* batch.c - the timed steps of blurring one item of a batch; see batch.h. */
#include "batch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "blur.h"
#include "path.h"

int batch_fail(const struct blur_batch *b, size_t i, const char *reason)
{
    struct blur_result *r = &b->results[i];
    r->status = BLUR_FAILED;
    snprintf(r->error, sizeof r->error, "%s", reason);
    return -1;
}

void batch_result_set(const struct blur_batch *b, size_t i, const struct blur_result *r)
{
    b->results[i] = *r;
    b->results[i].error[sizeof r->error - 1] = '\0';
}

int batch_decode(const struct blur_batch *b, size_t i, struct img *im)
{
    struct runlog_span s;
    struct err err;
    runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "decode");
    if (img_load(b->inputs[i], im, &err) != 0) {
        runlog_fail(b->log, &s, err.msg);
        return batch_fail(b, i, err.msg);
    }
    runlog_end(b->log, &s);
    return 0;
}

int batch_blur(const struct blur_batch *b, size_t i, const struct img *in, struct img *out)
{
    struct runlog_span s;
    struct err err;
    runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "blur");
    if (img_alloc_like(out, in, &err) != 0 || blur_gauss(in, out, b->sigma, &err) != 0) {
        img_free(out);
        err_prefix(&err, "%s: ", b->inputs[i]);
        runlog_fail(b->log, &s, err.msg);
        return batch_fail(b, i, err.msg);
    }
    runlog_end(b->log, &s);
    return 0;
}

int batch_output_path(const struct blur_batch *b, size_t i, char *path, size_t cap, struct err *err)
{
    const char *name = path_base_name(b->inputs[i]);
    const char *dot = strrchr(name, '.');
    int png = dot && strcasecmp(dot, ".png") == 0;
    int jpeg = dot && (strcasecmp(dot, ".jpg") == 0 || strcasecmp(dot, ".jpeg") == 0);
    /* keep: the input's extension already says the format wanted. */
    int keep = b->format == IMG_FORMAT_PNG    ? png
               : b->format == IMG_FORMAT_JPEG ? jpeg
                                              : png || jpeg;
    const char *ext = keep ? "" : b->format == IMG_FORMAT_JPEG ? ".jpg" : ".png";
    int stem = dot && !keep ? (int)(dot - name) : (int)strlen(name);
    int n = snprintf(path, cap, "%s/%.*s%s", b->out_dir, stem, name, ext);
    if (n < 0 || (size_t)n >= cap)
        return err_set(err, "%s: output path too long", b->inputs[i]);
    return 0;
}

int batch_encode(const struct blur_batch *b, size_t i, const struct img *im)
{
    struct runlog_span s;
    struct err err;
    runlog_begin(&s, b->style, path_base_name(b->inputs[i]), (long)i, "encode");
    if (b->out_dir != NULL) {
        char path[4096];
        if (batch_output_path(b, i, path, sizeof path, &err) != 0 ||
            img_save_quality(path, im, b->jpeg_quality ? b->jpeg_quality : IMG_JPEG_QUALITY,
                             &err) != 0) {
            runlog_fail(b->log, &s, err.msg);
            return batch_fail(b, i, err.msg);
        }
    }
    runlog_end(b->log, &s);
    b->results[i].status = BLUR_DONE;
    return 0;
}

int batch_process(const struct blur_batch *b, size_t i)
{
    struct img in, out;
    if (batch_decode(b, i, &in) != 0)
        return -1;
    int rc = batch_blur(b, i, &in, &out);
    img_free(&in);
    if (rc != 0)
        return -1;
    rc = batch_encode(b, i, &out);
    img_free(&out);
    return rc;
}

size_t batch_count(const struct blur_batch *b, enum blur_status status)
{
    size_t n = 0;
    for (size_t i = 0; i < b->count; i++)
        n += b->results[i].status == status;
    return n;
}
