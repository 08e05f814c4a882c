/* processes.c - exercise 03, reference solution: worker processes.
 *
 * fork() copies the whole program into a new process that runs on its own,
 * on any core. Python's multiprocessing / ProcessPoolExecutor are built on
 * exactly this. The children share nothing with the parent after the fork,
 * which is the point (no data races are possible) and the cost: a child's
 * b->results[i] = DONE stays in the child's copy of memory. So every result
 * travels back to the parent through a pipe, as a message carrying the item's
 * index.
 *
 * All children write to one pipe. That is safe because the kernel writes a
 * message of at most PIPE_BUF bytes into a pipe in one piece: messages from
 * different children never interleave. The parent reads until end of file,
 * which comes when every child has exited (and so closed its write end).
 *
 * Child k takes items k, k + n, k + 2n, ... of the batch. The parent knows
 * that mapping too, so if child k crashes, the items it never reported are
 * marked FAILED with the signal that killed it - one crash costs its items,
 * not the whole batch.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ladder.h"

/* What a child sends back for each item. */
struct report {
    size_t index;
    struct blur_result result;
};
_Static_assert(sizeof(struct report) <= PIPE_BUF, "a report must fit in one atomic pipe write");

/* The child: process my share, report each item, exit without returning
 * into the parent's code (and without running its atexit handlers). */
static _Noreturn void child(const struct blur_batch *b, int k, int n, int fd)
{
    for (size_t i = (size_t)k; i < b->count; i += (size_t)n) {
        batch_process(b, i);
        struct report rep = {.index = i, .result = b->results[i]};
        if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
            _exit(1);
    }
    _exit(0);
}

/* Reads one whole report; 1 if one was read, 0 at end of file, -1 on error. */
static int read_report(int fd, struct report *rep)
{
    size_t got = 0;
    while (got < sizeof *rep) {
        ssize_t n = read(fd, (char *)rep + got, sizeof *rep - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 && got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

/* Marks the items of worker k that nobody reported as failed, with why. */
static void fail_unreported(const struct blur_batch *b, int k, int n, const char *why)
{
    for (size_t i = (size_t)k; i < b->count; i += (size_t)n)
        if (b->results[i].status == BLUR_PENDING)
            batch_fail(b, i, why);
}

int processes_run(const struct blur_batch *b)
{
    int n = b->threads < 1 ? 1 : b->threads;
    if ((size_t)n > b->count)
        n = (int)b->count;
    if (n == 0)
        return 0;
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    int fds[2];
    if (pids == NULL || pipe(fds) != 0) {
        free(pids);
        return -1;
    }

    /* Output still buffered in stdio would be copied into every child and
     * could be printed once per process: write it out before forking. */
    fflush(NULL);
    int started = 0;
    for (int k = 0; k < n; k++) {
        pids[k] = fork();
        if (pids[k] == 0) {
            close(fds[0]);
            child(b, k, n, fds[1]); /* never returns */
        }
        if (pids[k] < 0)
            fail_unreported(b, k, n, "could not start a worker process for this image");
        else
            started++;
    }
    /* Our own copy of the write end must go, or we would never see EOF. */
    close(fds[1]);

    struct report rep;
    while (read_report(fds[0], &rep) == 1)
        if (rep.index < b->count)
            batch_result_set(b, rep.index, &rep.result);
    close(fds[0]);

    for (int k = 0; k < n; k++) {
        int status;
        if (pids[k] < 0 || waitpid(pids[k], &status, 0) < 0)
            continue;
        char why[128];
        if (WIFSIGNALED(status))
            snprintf(why, sizeof why, "worker process %d died (signal %d)", (int)pids[k],
                     WTERMSIG(status));
        else
            snprintf(why, sizeof why, "worker process %d exited (status %d) without reporting",
                     (int)pids[k], WEXITSTATUS(status));
        fail_unreported(b, k, n, why);
    }
    free(pids);
    return started > 0 ? 0 : -1;
}
