/* processes.c - exercise 03: blur a batch in worker processes.
 *
 * Read README.md in this folder first. Grade your work with `make exercise 3`;
 * `make hint 3` gives a nudge. The function is declared in solutions/ladder.h.
 *
 * The plan: one pipe, n = min(b->threads, b->count) children. Child k
 * processes items k, k + n, k + 2n, ... and, after each one, writes a
 * struct report down the pipe. The parent reads reports until end of file,
 * then waits for every child. The reading is written for you below.
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

/* What a child sends back for each item: a write of at most PIPE_BUF bytes
 * to a pipe is atomic, so reports of different children never mix. */
struct report {
    size_t index;
    struct blur_result result;
};
_Static_assert(sizeof(struct report) <= PIPE_BUF, "a report must fit in one atomic pipe write");

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

int processes_run(const struct blur_batch *b)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;

    fflush(NULL); /* or buffered output would be copied into every child */

    /* TODO 1: fork() n children (keep their pids for TODO 3). In a child
     *         (fork returned 0): close the read end fds[0]; for each of
     *         its items i, call batch_process(b, i), then write
     *         struct report rep = {i, b->results[i]} to fds[1]; finally
     *         _exit(0) - never return from processes_run() in a child. */

    close(fds[1]); /* the parent's write end: EOF comes once all are closed */
    struct report rep;
    while (read_report(fds[0], &rep) == 1)
        if (rep.index < b->count)
            batch_result_set(b, rep.index, &rep.result);
    close(fds[0]);

    /* TODO 2: waitpid() every child. If one was killed by a signal
     *         (WIFSIGNALED, WTERMSIG), mark each of its items that is still
     *         BLUR_PENDING with batch_fail(b, i, "worker process <pid> died
     *         (signal <n>)"). */

    return 0;
}
