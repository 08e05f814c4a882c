/* grade_proc.c - running a program the grader does not trust; see grade.h.
 *
 * A participant's code may deadlock, loop forever, fork workers that never
 * exit, or print megabytes. So every program runs:
 *  - in its own process group (setpgid), so that one kill(-pgid) reaches the
 *    test binary, Criterion's test processes and any worker it forked;
 *  - with stdout and stderr on one pipe that we keep reading with poll(), so
 *    it never blocks on a full pipe, while keeping only the first `cap` bytes;
 *  - against a deadline: when it passes, SIGKILL to the whole group.
 */
#include "grade.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

/* The child's side: own group, output into the pipe, extra environment, exec.
 * Only async-signal-safe calls would be strictly required after fork() in a
 * threaded parent; the grader is single-threaded, so setenv() is fine here. */
static void child(char *const argv[], char *const env[], int out_fd)
{
    setpgid(0, 0);
    dup2(out_fd, STDOUT_FILENO);
    dup2(out_fd, STDERR_FILENO);
    close(out_fd);
    for (size_t i = 0; env != NULL && env[i] != NULL; i++)
        putenv(env[i]);
    execvp(argv[0], argv);
    dprintf(STDERR_FILENO, "%s: cannot run (%s)\n", argv[0], strerror(errno));
    _exit(127);
}

/* Keeps up to cap bytes, counts the rest. Returns 0 at end of file. */
static ssize_t drain(int fd, struct grade_proc *p, size_t cap)
{
    char chunk[16384];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n <= 0)
        return n;
    size_t keep = p->len < cap ? cap - p->len : 0;
    if (keep > (size_t)n)
        keep = (size_t)n;
    memcpy(p->output + p->len, chunk, keep);
    p->len += keep;
    p->dropped += (size_t)n - keep;
    return n;
}

int grade_proc_run(char *const argv[], char *const env[], int timeout_s, size_t cap,
                   struct grade_proc *p, struct err *err)
{
    memset(p, 0, sizeof *p);
    p->status = -1;
    p->output = malloc(cap + 1);
    if (p->output == NULL)
        return err_set(err, "%s: out of memory for its output", argv[0]);
    p->output[0] = '\0';

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return err_set(err, "%s: pipe failed (%s)", argv[0], strerror(errno));
    uint64_t start = clock_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return err_set(err, "%s: fork failed (%s)", argv[0], strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(argv, env, fds[1]);
    }
    /* Also from the parent: whichever runs first, the group exists before we
     * might need to kill it. */
    setpgid(pid, pid);
    close(fds[1]);

    uint64_t deadline = start + (uint64_t)timeout_s * 1000000000u;
    int open_pipe = 1, wstatus = 0, reaped = 0;
    while (!reaped) {
        uint64_t now = clock_now_ns();
        if (now >= deadline) {
            p->timed_out = 1;
            break;
        }
        if (open_pipe) {
            /* Wake up at least every 100 ms to check whether the child ended:
             * a grandchild may hold the pipe open after it exits. */
            struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
            int ms = (int)((deadline - now) / 1000000u) + 1;
            if (poll(&pfd, 1, ms < 100 ? ms : 100) > 0 && drain(fds[0], p, cap) == 0)
                open_pipe = 0;
        } else {
            clock_sleep_ms(10);
        }
        pid_t w = waitpid(pid, &wstatus, WNOHANG);
        reaped = w == pid;
    }
    /* Whatever is left of the group - all of it on a timeout, forgotten
     * workers otherwise - goes now. */
    kill(-pid, SIGKILL);
    if (!reaped)
        waitpid(pid, &wstatus, 0);
    /* Read what was written before the end, without waiting for stragglers. */
    fcntl(fds[0], F_SETFL, O_NONBLOCK);
    while (open_pipe && drain(fds[0], p, cap) > 0)
        ;
    close(fds[0]);
    p->output[p->len] = '\0';
    p->seconds = clock_seconds(start, clock_now_ns());

    if (!p->timed_out && WIFEXITED(wstatus))
        p->status = WEXITSTATUS(wstatus);
    else if (!p->timed_out && WIFSIGNALED(wstatus))
        p->signal = WTERMSIG(wstatus);
    return 0;
}

void grade_proc_free(struct grade_proc *p)
{
    free(p->output);
    p->output = NULL;
    p->len = 0;
}

int grade_proc_describe(const struct grade_proc *p, int timeout_s, char *buf, size_t cap)
{
    if (p->timed_out)
        return snprintf(buf, cap, "no result after %d s: a deadlock or an endless loop?",
                        timeout_s);
    if (p->signal != 0)
        return snprintf(buf, cap, "crashed: %s (signal %d)", strsignal(p->signal), p->signal);
    return 0;
}
