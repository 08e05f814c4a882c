/* stream_src_runlog.c - --run-log FILE...: finished runs, read whole at
 * start, each followed by the before/after photos it names. A log that
 * cannot be read ends the command before a frame is encoded, with the
 * file and line in the message: a half-shown run would mislead.
 */
#include <stdlib.h>
#include <string.h>

#include "runlog.h"
#include "stream_source.h"

struct src_runlog {
    struct stream_source base;
    const char *const *paths; /* the caller's (argv): they outlive the source */
    size_t n;
    const char *photo_dir;
};

static int runlog_start(struct stream_source *src, struct show *show, struct err *err)
{
    struct src_runlog *r = (struct src_runlog *)src;
    for (size_t i = 0; i < r->n; i++) {
        struct runlog_span *spans;
        size_t count;
        if (runlog_read(r->paths[i], &spans, &count, err) != 0)
            return -1;
        int rc = show_add_spans(show, spans, count, err);
        if (rc == 0)
            stream_photos_add(show, spans, count, r->photo_dir);
        free(spans);
        if (rc != 0)
            return err_prefix(err, "%s: ", r->paths[i]);
    }
    return 0;
}

static int runlog_poll(struct stream_source *src, struct show *show, int64_t frame, struct err *err)
{
    (void)src, (void)show, (void)frame, (void)err;
    return 0; /* everything was added at start */
}

static int runlog_done(const struct stream_source *src)
{
    (void)src;
    return 1;
}

static void runlog_free(struct stream_source *src)
{
    free(src);
}

static const struct stream_source_ops runlog_ops = {"run-log", runlog_start, runlog_poll,
                                                    runlog_done, runlog_free};

int stream_src_runlog_new(struct stream_source **out, const char *const *paths, size_t n,
                          const char *photo_dir, struct err *err)
{
    struct src_runlog *r = calloc(1, sizeof *r);
    if (r == NULL)
        return err_set(err, "out of memory for the run logs");
    r->base.ops = &runlog_ops;
    r->paths = paths;
    r->n = n;
    r->photo_dir = photo_dir;
    *out = &r->base;
    return 0;
}
