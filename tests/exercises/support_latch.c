/* support_latch.c - the latch of the "concurrent" tests; see support_latch.h.
 *
 * The wrappers below stand between every style and the run log (the tests'
 * binary is linked with --wrap for runlog_begin, runlog_end, runlog_fail).
 * They count who is inside a span of the watched phase and, at the end of
 * one, hold the worker until the latch has been met once - or until the
 * bound runs out, which is then the evidence that nobody else could come.
 */
#include "support_latch.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "runlog.h"

/* The real functions, reached through the linker's --wrap. */
void __real_runlog_begin(struct runlog_span *s, const char *style, const char *item, long index,
                         const char *phase);
int __real_runlog_end(struct runlog *log, struct runlog_span *s);
int __real_runlog_fail(struct runlog *log, struct runlog_span *s, const char *detail);
void __wrap_runlog_begin(struct runlog_span *s, const char *style, const char *item, long index,
                         const char *phase);
int __wrap_runlog_end(struct runlog *log, struct runlog_span *s);
int __wrap_runlog_fail(struct runlog *log, struct runlog_span *s, const char *detail);

/* In MAP_SHARED memory: forked workers see the same counters and locks. */
struct support_latch {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled when met or gave_up becomes 1 */
    char style[RUNLOG_STYLE_MAX];
    char phase[RUNLOG_PHASE_MAX];
    int any_other;        /* met by a `phase` span and a span of another phase */
    long pid, caller;     /* the test's process and the thread that arms */
    size_t tasks;         /* threads in the test's process when armed */
    size_t inside;        /* `phase` spans begun and not yet ended */
    size_t others_inside; /* spans of other phases, likewise (any_other only) */
    struct support_latch_result seen;
};

/* The armed latch, or NULL. Global because the linker's --wrap leaves no other
 * way to reach it from inside the library's calls; atomic because workers read
 * it while the test arms and disarms. The mapping is made once per process
 * and never unmapped, so a stray thread still in a wrapper after the run
 * (a worker that was never joined) cannot touch freed memory here. */
static _Atomic(struct support_latch *) armed;
static struct support_latch *mapping;

/* Threads of this process now (the entries of /proc/self/task). */
static size_t count_tasks(void)
{
    DIR *d = opendir("/proc/self/task");
    if (d == NULL)
        return 0;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

struct support_latch *support_latch_arm(const char *style, const char *phase, const char *other,
                                        struct err *err)
{
    if (mapping == NULL) {
        void *p =
            mmap(NULL, sizeof *mapping, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            err_set(err, "support: cannot map the latch (%s)", strerror(errno));
            return NULL;
        }
        mapping = p;
    }
    struct support_latch *l = mapping;
    memset(l, 0, sizeof *l);
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&l->lock, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* the bound is not wall-clock time */
    pthread_cond_init(&l->cond, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(l->style, sizeof l->style, "%s", style);
    snprintf(l->phase, sizeof l->phase, "%s", phase);
    l->any_other = other != NULL;
    l->pid = (long)getpid();
    l->caller = (long)syscall(SYS_gettid);
    l->tasks = count_tasks();
    atomic_store(&armed, l);
    return l;
}

struct support_latch_result support_latch_disarm(struct support_latch *l)
{
    atomic_store(&armed, NULL);
    pthread_mutex_lock(&l->lock);
    struct support_latch_result r = l->seen;
    pthread_mutex_unlock(&l->lock);
    return r;
}

/* Which of the latch's counters span s belongs to: 1 `phase`, 2 another
 * phase that counts, 0 none. */
static int kind(const struct support_latch *l, const struct runlog_span *s)
{
    if (strcmp(s->style, l->style) != 0)
        return 0;
    if (strcmp(s->phase, l->phase) == 0)
        return 1;
    return l->any_other ? 2 : 0;
}

static void check_met(struct support_latch *l)
{
    int met = l->any_other ? l->inside >= 1 && l->others_inside >= 1 : l->inside >= 2;
    if (met && !l->seen.met) {
        l->seen.met = 1;
        pthread_cond_broadcast(&l->cond);
    }
}

void __wrap_runlog_begin(struct runlog_span *s, const char *style, const char *item, long index,
                         const char *phase)
{
    __real_runlog_begin(s, style, item, index, phase);
    struct support_latch *l = atomic_load(&armed);
    int k = l ? kind(l, s) : 0;
    if (k == 0)
        return;
    pthread_mutex_lock(&l->lock);
    if (k == 1) {
        l->inside++;
        l->seen.spans++;
        if (l->inside > l->seen.peak)
            l->seen.peak = l->inside;
    } else {
        l->others_inside++;
        l->seen.others++;
    }
    check_met(l);
    pthread_mutex_unlock(&l->lock);
}

/* Leaves the span; with wait, first holds the worker at the latch. */
static void leave(struct runlog_span *s, int wait)
{
    struct support_latch *l = atomic_load(&armed);
    int k = l ? kind(l, s) : 0;
    if (k == 0)
        return;
    pthread_mutex_lock(&l->lock);
    if (k == 1 && wait && !l->seen.met && !l->seen.gave_up) {
        /* The wait goes in one-second slices, each ended by a line on
         * stderr: the grader takes a run that shows nothing and uses no CPU
         * for GRADE_STALL_S (10 s) as a deadlock, and this wait is the
         * test's own, on purpose, not the participant's. */
        struct timespec until, slice;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += SUPPORT_LATCH_SECONDS;
        int waited = 0;
        while (!l->seen.met && !l->seen.gave_up) {
            clock_gettime(CLOCK_MONOTONIC, &slice);
            slice.tv_sec += 1;
            int last = slice.tv_sec > until.tv_sec ||
                       (slice.tv_sec == until.tv_sec && slice.tv_nsec >= until.tv_nsec);
            if (pthread_cond_timedwait(&l->cond, &l->lock, last ? &until : &slice) != ETIMEDOUT)
                continue;
            if (!last) {
                fprintf(stderr, "latch: a worker waits for a second one (%d s)\n", ++waited);
                continue;
            }
            /* Nobody came: say so once, and let every later span through.
             * Who waited, and who else was alive, is the likely cause. */
            l->seen.gave_up = !l->seen.met;
            l->seen.waiter_in_child = (long)getpid() != l->pid;
            l->seen.waiter_is_caller = (long)syscall(SYS_gettid) == l->caller;
            if (!l->seen.waiter_in_child) {
                size_t now = count_tasks(), base = l->tasks + !l->seen.waiter_is_caller;
                l->seen.threads_alive = now > base ? now - base : 0;
            }
            pthread_cond_broadcast(&l->cond);
        }
    }
    if (k == 1 && l->inside > 0)
        l->inside--;
    else if (k == 2 && l->others_inside > 0)
        l->others_inside--;
    pthread_mutex_unlock(&l->lock);
}

int __wrap_runlog_end(struct runlog *log, struct runlog_span *s)
{
    leave(s, 1);
    return __real_runlog_end(log, s);
}

/* A failed span does not wait: the failure is the news, not the overlap. */
int __wrap_runlog_fail(struct runlog *log, struct runlog_span *s, const char *detail)
{
    leave(s, 0);
    return __real_runlog_fail(log, s, detail);
}
