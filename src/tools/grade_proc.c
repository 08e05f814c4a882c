/* grade_proc.c - running a program the grader does not trust; see grade.h.
 *
 * A participant's code may deadlock, loop forever, fork workers that never
 * exit (or that call setsid() to leave), allocate gigabytes or print
 * megabytes. So every program runs:
 *  - in its own process group (setpgid), so that one kill(-pgid) reaches the
 *    test binary, Criterion's test processes and any worker it forked;
 *  - with stdout and stderr on one pipe that we keep reading with poll(), so
 *    it never blocks on a full pipe, while keeping only the first `cap` bytes;
 *  - against a deadline: when it passes, SIGKILL to the whole group.
 * A participant's program (grade_proc_run_contained) is also contained:
 *  - resource limits set in the child before exec (grade_limits_apply);
 *  - the grader is a child subreaper, so that every descendant stays in its
 *    tree; the tree is sampled every SAMPLE_MS for its memory, its number of
 *    processes and its progress, and everything in it is killed at the end;
 *  - no progress for GRADE_STALL_S seconds - no CPU used, no output, no new
 *    span in the run log, no process started or ended - is a hang: the
 *    stacks are taken with gdb before the kill, so the card can say where
 *    each thread waits. A deadlock is found in seconds; only a program that
 *    keeps computing waits for the full timeout.
 */
#include "grade.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define SAMPLE_MS 200 /* how often a contained tree is looked at */
#define TREE_SAMPLE 256

/* The child's side: own group, output into the pipe, extra environment, exec.
 * Only async-signal-safe calls would be strictly required after fork() in a
 * threaded parent; the grader is single-threaded, so setenv() is fine here. */
static void child(char *const argv[], char *const env[], int out_fd, const struct grade_run *r)
{
    setpgid(0, 0);
    if (r != NULL) {
        grade_limits_apply(r->sanitized);
        /* The grader dies (Ctrl-C on make): so does the program. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        /* Under Yama's ptrace_scope 1 only an ancestor may attach: let the
         * grader's gdb, a sibling, take the stacks of a hang. */
#ifdef PR_SET_PTRACER
        prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY);
#endif
    }
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

/* What the watcher of a contained run remembers between samples. */
struct watch {
    uint64_t next_sample, last_progress;
    uint64_t last_visible;             /* the last output, run-log growth or process change */
    unsigned long long cpu_visible;    /* CPU ticks of the tree then */
    unsigned long long cpu, out, file; /* at the last progress */
    size_t procs;
};

static unsigned long long file_size(const char *path)
{
    struct stat st;
    return path != NULL && stat(path, &st) == 0 ? (unsigned long long)st.st_size : 0;
}

/* The stacks of a hung tree: the processes in it, each with gdb, until one
 * has threads in the participant's file. Sets p->where. */
static void take_stacks(const struct grade_run *r, const struct grade_tree_proc *list, size_t n,
                        struct grade_proc *p)
{
    int tried = 0;
    char first[GRADE_TEXT_MAX] = "";
    /* The deepest processes first: Criterion runs each test in a child of
     * the runner, and the participant's threads are in that child. */
    for (size_t k = n; k-- > 0 && tried < GRADE_HANG_MAX_PROCS;) {
        if (list[k].state == 'Z')
            continue;
        tried++;
        struct err err = {0};
        char buf[GRADE_TEXT_MAX];
        int threads = grade_hang_where(list[k].pid, r->source, buf, sizeof buf, &err);
        if (threads > 0) {
            snprintf(p->where, sizeof p->where, "%s", buf);
            return;
        }
        if (threads < 0 && first[0] == '\0')
            snprintf(first, sizeof first, "(no stacks: %s)", err.msg);
    }
    snprintf(p->where, sizeof p->where, "%s", first);
}

/* One look at a contained tree. Returns 1 if it must be stopped (p->stop set). */
static int look(const struct grade_run *r, struct watch *w, uint64_t now, struct grade_proc *p)
{
    struct grade_tree_proc list[TREE_SAMPLE];
    size_t n = grade_tree_list(getpid(), list, TREE_SAMPLE);
    unsigned long long cpu = 0, rss = 0;
    size_t alive = 0;
    for (size_t i = 0; i < n; i++) {
        cpu += list[i].cpu_ticks;
        rss += list[i].rss;
        alive += list[i].state != 'Z';
    }
    if (alive > GRADE_LIMIT_PROCS) {
        p->stop = GRADE_STOP_PROCS;
        p->peak = alive;
        return 1;
    }
    if (rss > GRADE_LIMIT_RSS) {
        p->stop = GRADE_STOP_MEMORY;
        p->peak = rss;
        return 1;
    }
    if (r->stall_s <= 0)
        return 0;
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long long min_ticks =
        (unsigned long long)(GRADE_STALL_CPU_MS * (hz > 0 ? hz : 100)) / 1000;
    unsigned long long out = p->len + p->dropped, file = file_size(r->progress_path);
    /* CPU can go down (a process ended); anything that moved is progress. */
    /* CPU alone is progress for a hang, not for an endless loop: a loop
     * burns CPU and shows nothing else, a working program shows something
     * (a span, a line, a test's process) every few seconds. */
    int visible = out != w->out || file != w->file || alive != w->procs;
    if (visible || w->last_visible == 0 || cpu < w->cpu_visible) {
        w->last_visible = now;
        w->cpu_visible = cpu;
    }
    /* Busy: at least half a core on average since it last showed something. */
    double unseen = clock_seconds(w->last_visible, now);
    int busy = (double)(cpu - w->cpu_visible) >= unseen * (double)(hz > 0 ? hz : 100) / 2;
    if (r->spin_s > 0 && unseen >= r->spin_s && busy) {
        p->stop = GRADE_STOP_SPIN;
        p->stalled_s = unseen;
        if (r->source != NULL)
            take_stacks(r, list, n, p);
        return 1;
    }
    if (cpu >= w->cpu + min_ticks || cpu < w->cpu || visible) {
        w->last_progress = now;
        w->cpu = cpu;
        w->out = out;
        w->file = file;
        w->procs = alive;
        return 0;
    }
    double idle = clock_seconds(w->last_progress, now);
    if (idle < r->stall_s)
        return 0;
    p->stop = GRADE_STOP_STALL;
    p->stalled_s = idle;
    if (r->source != NULL)
        take_stacks(r, list, n, p);
    return 1;
}

static int run(char *const argv[], char *const env[], int timeout_s, size_t cap,
               const struct grade_run *r, struct grade_proc *p, struct err *err)
{
    memset(p, 0, sizeof *p);
    p->status = -1;
    p->timeout_s = timeout_s;
    p->output = malloc(cap + 1);
    if (p->output == NULL)
        return err_set(err, "%s: out of memory for its output", argv[0]);
    p->output[0] = '\0';
    /* Orphans of a contained program are re-parented to us, not to init. */
    if (r != NULL && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
        free(p->output);
        p->output = NULL;
        return err_set(err, "%s: cannot become a child subreaper (%s)", argv[0], strerror(errno));
    }

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(p->output);
        p->output = NULL;
        return err_set(err, "%s: pipe failed (%s)", argv[0], strerror(errno));
    }
    uint64_t start = clock_now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(p->output);
        p->output = NULL;
        return err_set(err, "%s: fork failed (%s)", argv[0], strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        child(argv, env, fds[1], r);
    }
    /* Also from the parent: whichever runs first, the group exists before we
     * might need to kill it. */
    setpgid(pid, pid);
    close(fds[1]);

    struct watch w = {.next_sample = start, .last_progress = start};
    uint64_t deadline = start + (uint64_t)timeout_s * 1000000000u;
    int open_pipe = 1, wstatus = 0, reaped = 0;
    while (!reaped) {
        uint64_t now = clock_now_ns();
        if (now >= deadline) {
            p->timed_out = 1;
            /* With progress watched, it was still busy: not a deadlock. */
            p->stop = r != NULL && r->stall_s > 0 ? GRADE_STOP_TIMEOUT : GRADE_STOP_NONE;
            break;
        }
        if (r != NULL && now >= w.next_sample) {
            w.next_sample = now + SAMPLE_MS * 1000000u;
            if (look(r, &w, now, p)) {
                p->timed_out = 1;
                break;
            }
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
        pid_t got = waitpid(pid, &wstatus, WNOHANG);
        reaped = got == pid;
    }
    /* Whatever is left of the group - all of it on a timeout, forgotten
     * workers otherwise - goes now; a contained run's whole tree too. */
    kill(-pid, SIGKILL);
    if (!reaped)
        waitpid(pid, &wstatus, 0);
    if (r != NULL)
        p->survivors = grade_tree_kill(getpid());
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

int grade_proc_run(char *const argv[], char *const env[], int timeout_s, size_t cap,
                   struct grade_proc *p, struct err *err)
{
    return run(argv, env, timeout_s, cap, NULL, p, err);
}

int grade_proc_run_contained(const struct grade_run *r, struct grade_proc *p, struct err *err)
{
    return run(r->argv, r->env, r->timeout_s, r->cap, r, p, err);
}

void grade_proc_free(struct grade_proc *p)
{
    free(p->output);
    p->output = NULL;
    p->len = 0;
}

int grade_proc_describe(const struct grade_proc *p, int timeout_s, char *buf, size_t cap)
{
    if (p->timeout_s > 0)
        timeout_s = p->timeout_s;
    char size[32], limit[32];
    switch (p->stop) {
    case GRADE_STOP_STALL:
        return snprintf(buf, cap,
                        "no progress for %.0f s (no CPU used, no output), stopped after %.1f s: "
                        "a deadlock?%s%s",
                        p->stalled_s, p->seconds, p->where[0] != '\0' ? " " : "", p->where);
    case GRADE_STOP_SPIN:
        return snprintf(buf, cap,
                        "busy for %.0f s with nothing to show (CPU used, but no output, no new "
                        "span, no process started or ended), stopped after %.1f s: an endless "
                        "loop?%s%s",
                        p->stalled_s, p->seconds, p->where[0] != '\0' ? " " : "", p->where);
    case GRADE_STOP_MEMORY:
        grade_limits_size(p->peak, size, sizeof size);
        grade_limits_size(GRADE_LIMIT_RSS, limit, sizeof limit);
        return snprintf(buf, cap,
                        "stopped after %.1f s: your program used %s of memory; the "
                        "limit is %s",
                        p->seconds, size, limit);
    case GRADE_STOP_PROCS:
        return snprintf(buf, cap,
                        "stopped after %.1f s: your program ran %llu processes at once; the limit "
                        "is %d",
                        p->seconds, p->peak, GRADE_LIMIT_PROCS);
    case GRADE_STOP_TIMEOUT:
        return snprintf(buf, cap,
                        "no result after %.0f s, still computing: an endless loop? (the limit is "
                        "%d s)",
                        p->seconds, timeout_s);
    case GRADE_STOP_NONE:
        break;
    }
    if (p->timed_out)
        return snprintf(buf, cap, "no result after %d s: a deadlock or an endless loop?",
                        timeout_s);
    if (p->signal == SIGXCPU)
        return snprintf(buf, cap, "stopped: your program used %d s of CPU time; the limit is %d s",
                        GRADE_LIMIT_CPU_S, GRADE_LIMIT_CPU_S);
    if (p->signal == SIGXFSZ) {
        grade_limits_size(GRADE_LIMIT_FSIZE, limit, sizeof limit);
        return snprintf(buf, cap, "stopped: your program wrote a file over the limit of %s", limit);
    }
    if (p->signal != 0)
        return snprintf(buf, cap, "crashed: %s (signal %d)", strsignal(p->signal), p->signal);
    return 0;
}
