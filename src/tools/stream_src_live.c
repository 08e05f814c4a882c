/* stream_src_live.c - --live: the blur styles run now, in a worker process,
 * and shown as they happen.
 *
 * The styles come from the table the command hands in (a tool never names
 * a solution itself); each runs on the photos of --photos, writing its
 * spans into an in-memory run log that poll() reads back.
 *
 * The worker is a process, not a thread, and that matters for the stream.
 * A thread shares the process's locks: malloc's arenas, and the kernel's
 * lock on the address space, taken by every mmap of a big image buffer and
 * every page fault. A blur thread at the lowest priority that is preempted
 * while it holds one stalls the encoder that waits for it (priority
 * inversion); measured, that was tens of repeated frames a minute. A forked
 * process shares only what we give it: the in-memory run log (a memfd,
 * inherited across fork) that the render loop reads back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "batch.h"
#include "blur.h"
#include "runlog.h"
#include "stream_source.h"
#include "style.h" /* struct style only: the table itself is handed in */

#define STREAM_LIVE_NICE 19 /* the blur worker's nice value: the lowest */

struct src_live {
    struct stream_source base;
    const struct style *styles;
    size_t nstyles;
    const char *photo_dir;
    pid_t pid;          /* the worker; 0 once it has been waited for */
    struct runlog *log; /* in memory, written by the worker, read here */
    char **photos;
    size_t nphotos;
    int done;    /* the worker has finished every style */
    size_t seen; /* spans already handed to the show */
};

/* Runs in the worker process: every style, one after the other, then exits.
 * Everything it starts - the threads and processes of a style - inherits its
 * nice value, so all the blur work yields to the encoder. */
static void live_worker(struct src_live *lv)
{
    if (setpriority(PRIO_PROCESS, 0, STREAM_LIVE_NICE) != 0)
        perror("retreat stream: setpriority");
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    struct blur_result *results = calloc(lv->nphotos, sizeof *results);
    for (size_t k = 0; results != NULL && k < lv->nstyles; k++) {
        const struct style *s = &lv->styles[k];
        memset(results, 0, lv->nphotos * sizeof *results);
        struct blur_batch b = {.style = s->name,
                               .inputs = (const char *const *)lv->photos,
                               .count = lv->nphotos,
                               .sigma = BLUR_SIGMA_DEFAULT,
                               .threads = cpus > 0 ? (int)cpus : 1,
                               .log = lv->log,
                               .results = results};
        if (s->run(&b) != 0)
            fprintf(stderr, "retreat stream: style %s could not run\n", s->name);
    }
    _exit(results != NULL ? 0 : 1); /* _exit: the parent's stdio and atexit are not ours */
}

/* Starts the worker. Called before the encoder exists: fork() copies only
 * the calling thread, so the process should have no other threads yet. */
static int live_start(struct stream_source *src, struct show *show, struct err *err)
{
    (void)show;
    struct src_live *lv = (struct src_live *)src;
    if (stream_photos_list(lv->photo_dir, &lv->photos, &lv->nphotos, err) != 0 ||
        runlog_open_memory(&lv->log, err) != 0)
        return -1;
    fflush(NULL); /* or buffered output would be written twice */
    lv->pid = fork();
    if (lv->pid < 0) {
        lv->pid = 0;
        return err_set(err, "cannot start the blur worker (%s)", strerror(errno));
    }
    if (lv->pid == 0)
        live_worker(lv);
    return 0;
}

/* Hands the spans written since the last call to the show, and notes when
 * the worker has finished. */
static int live_poll(struct stream_source *src, struct show *show, int64_t frame, struct err *err)
{
    (void)frame;
    struct src_live *lv = (struct src_live *)src;
    int status;
    if (lv->pid > 0 && waitpid(lv->pid, &status, WNOHANG) == lv->pid) {
        lv->pid = 0;
        lv->done = 1;
    }
    if (lv->log == NULL)
        return 0;
    struct runlog_span *spans;
    size_t count;
    if (runlog_snapshot(lv->log, &spans, &count, err) != 0)
        return -1;
    int rc = 0;
    if (count > lv->seen)
        rc = show_add_spans(show, spans + lv->seen, count - lv->seen, err);
    lv->seen = count;
    free(spans);
    return rc;
}

static int live_done(const struct stream_source *src)
{
    return ((const struct src_live *)src)->done;
}

/* Stops the worker if it still runs (a style cannot be interrupted more
 * gently; its spans so far are in the log) and frees what --live holds. */
static void live_free(struct stream_source *src)
{
    struct src_live *lv = (struct src_live *)src;
    if (lv->pid > 0) {
        kill(lv->pid, SIGTERM);
        waitpid(lv->pid, NULL, 0);
    }
    runlog_close(lv->log);
    for (size_t i = 0; i < lv->nphotos; i++)
        free(lv->photos[i]);
    free(lv->photos);
    free(lv);
}

static const struct stream_source_ops live_ops = {"live", live_start, live_poll, live_done,
                                                  live_free};

int stream_src_live_new(struct stream_source **out, const struct style *styles, size_t nstyles,
                        const char *photo_dir, struct err *err)
{
    struct src_live *lv = calloc(1, sizeof *lv);
    if (lv == NULL)
        return err_set(err, "out of memory for --live");
    lv->base.ops = &live_ops;
    lv->base.live = 1;
    lv->styles = styles;
    lv->nstyles = nstyles;
    lv->photo_dir = photo_dir;
    *out = &lv->base;
    return 0;
}
