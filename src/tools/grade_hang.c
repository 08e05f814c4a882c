/* grade_hang.c - where the threads of a hung program wait; see grade.h.
 *
 * "No result after 90 s" teaches nothing. When a graded program stops making
 * progress, grade_proc.c calls grade_hang_where() before it kills it: gdb
 * (Debian's, in batch mode - a real unwinder, not ours) attaches, prints the
 * stack of every thread, and, for every thread, the three ints at the
 * address in %rdi. A thread blocked in the kernel sits in a futex system
 * call whose first argument (%rdi) is the futex word:
 *   - in pthread_mutex_lock it is the mutex itself, whose third int is
 *     __owner, the thread id of the holder (glibc's pthread_mutex_t on
 *     x86-64: __lock, __count, __owner);
 *   - in pthread_join it is the joined thread's tid field, which holds that
 *     thread's id until it ends.
 * The parser keeps, for every thread that has a frame in the participant's
 * file, the call it waits in (the library function their line called) and
 * that line, and names the holder of the mutex or the joined thread by
 * gdb's thread number. An owner that is no thread of the process has ended
 * while holding the lock. Where the lock was taken is not known (that would
 * need every lock recorded as it happens); the card says what is known.
 */
#include "grade.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 64
#define MAX_FRAMES 48
#define NAME_MAX_ 96

struct frame {
    char func[NAME_MAX_];
    char file[256]; /* as gdb prints it: build/planted/dead/05-pool/pool.c */
    int line;
};

struct thread {
    int num;  /* gdb's thread number: 1 is the main thread */
    long lwp; /* the kernel's thread id */
    struct frame frames[MAX_FRAMES];
    int nframes;
    long word[3]; /* the ints at %rdi in frame 0 */
    int has_word;
};

/* Library calls a thread can wait in, as the participant called them. */
static const char *const waits[] = {
    "pthread_mutex_lock",
    "pthread_mutex_timedlock",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "pthread_join",
    "pthread_barrier_wait",
    "pthread_rwlock_rdlock",
    "pthread_rwlock_wrlock",
    "pthread_spin_lock",
    "sem_wait",
    "sem_timedwait",
    "waitpid",
    "wait",
    "wait4",
    "read",
    "write",
    "poll",
    "epoll_wait",
    "select",
    "accept",
    "recv",
    "nanosleep",
    "clock_nanosleep",
    "sleep",
    "usleep",
    "pause",
    "sigwait",
    "curl_multi_poll",
    "curl_easy_perform",
    "flock",
    "lockf",
};

/* ___pthread_mutex_lock, __interceptor_pthread_join, pthread_cond_wait@@GLIBC_2.3.2,
 * __GI___poll -> the name the participant wrote. */
static void clean(const char *func, char *out, size_t cap)
{
    static const char *const prefixes[] = {"__interceptor_", "__GI_", "__libc_", "__"};
    const char *s = func;
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
            if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0) {
                s += strlen(prefixes[i]);
                again = 1;
            }
        while (*s == '_') {
            s++;
            again = 1;
        }
    }
    snprintf(out, cap, "%.*s", (int)strcspn(s, "@ "), s);
    /* glibc's pthread_join ends in a tail call, so it has no frame of its own. */
    if (strcmp(out, "pthread_clockjoin_ex") == 0 || strcmp(out, "pthread_timedjoin_ex") == 0)
        snprintf(out, cap, "pthread_join");
}

static int is_wait(const char *name)
{
    for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++)
        if (strcmp(name, waits[i]) == 0)
            return 1;
    return 0;
}

static const char *base(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Whether a frame's file is the participant's: the same path, or one path
 * ends with the other ("/work/x/exercises/05-pool/pool.c"). */
static int in_file(const char *frame_file, const char *file)
{
    size_t a = strlen(frame_file), b = strlen(file);
    if (a == 0 || b == 0 || strcmp(base(frame_file), base(file)) != 0)
        return 0;
    if (a >= b)
        return strcmp(frame_file + a - b, file) == 0 && (a == b || frame_file[a - b - 1] == '/');
    return strcmp(file + b - a, frame_file) == 0 && file[b - a - 1] == '/';
}

/* "#5  0x000055b98c3c1737 in worker (arg=0x7ffd8ab77d30) at pool.c:25" or
 * "#1  __GI___lll_lock_wait (futex=...) at ./nptl/lowlevellock.c:49" or
 * "#8  0x00007f23a0c568ec in clone3 () from /lib/x86_64-linux-gnu/libc.so.6". */
static void parse_frame(const char *l, size_t n, struct frame *f)
{
    memset(f, 0, sizeof *f);
    const char *s = l + 1 + strspn(l + 1, "0123456789");
    s += strspn(s, " ");
    if (strncmp(s, "0x", 2) == 0) {
        const char *in = strstr(s, " in ");
        if (in == NULL || in > l + n)
            return;
        s = in + 4;
    }
    snprintf(f->func, sizeof f->func, "%.*s", (int)strcspn(s, " \n"), s);
    /* The file is after the last " at " of the line (arguments may contain
     * " at " inside strings, never after the closing parenthesis). */
    const char *at = NULL;
    for (const char *q = s; (q = strstr(q, " at ")) != NULL && q < l + n; q += 4)
        at = q;
    if (at == NULL)
        return;
    const char *path = at + 4;
    size_t plen = (size_t)(l + n - path);
    const char *colon = NULL;
    for (const char *q = path; q < path + plen; q++)
        if (*q == ':')
            colon = q;
    if (colon == NULL || !isdigit((unsigned char)colon[1]))
        return;
    snprintf(f->file, sizeof f->file, "%.*s", (int)(colon - path), path);
    f->line = atoi(colon + 1);
}

/* Reads gdb's output into threads; returns how many. Each line is copied
 * (truncated) first, so that no search runs past its end into the rest of
 * the text. */
static int parse(const char *text, struct thread *t, int max)
{
    int count = 0;
    struct thread *cur = NULL;
    int second = 0; /* inside a thread's section of the x/3dw pass */
    char l[2048];
    for (const char *next = text; *next != '\0';) {
        size_t whole = strcspn(next, "\n");
        size_t n = whole < sizeof l - 1 ? whole : sizeof l - 1;
        memcpy(l, next, n);
        l[n] = '\0';
        next += whole + (next[whole] == '\n');
        int num;
        if (sscanf(l, "Thread %d (", &num) == 1) {
            cur = NULL;
            for (int i = 0; i < count; i++)
                if (t[i].num == num)
                    cur = &t[i];
            second = cur != NULL;
            if (cur == NULL && count < max) {
                cur = &t[count++];
                memset(cur, 0, sizeof *cur);
                cur->num = num;
                const char *lwp = strstr(l, "(LWP ");
                if (lwp != NULL && lwp < l + n)
                    cur->lwp = strtol(lwp + 5, NULL, 10);
            }
        } else if (cur != NULL && !second && l[0] == '#' && cur->nframes < MAX_FRAMES) {
            parse_frame(l, n, &cur->frames[cur->nframes++]);
        } else if (cur != NULL && second && strncmp(l, "0x", 2) == 0 && !cur->has_word) {
            const char *colon = memchr(l, ':', n);
            if (colon != NULL &&
                sscanf(colon + 1, "%ld %ld %ld", &cur->word[0], &cur->word[1], &cur->word[2]) == 3)
                cur->has_word = 1;
        }
    }
    return count;
}

static const struct thread *by_lwp(const struct thread *t, int count, long lwp)
{
    for (int i = 0; i < count; i++)
        if (t[i].lwp == lwp)
            return &t[i];
    return NULL;
}

/* What one thread does, after its subject: "waits in pthread_join at
 * pool.c:56 for thread 3". Returns 0 if it has no frame in file. */
static int clause(const struct thread *t, int count, const struct thread *th, const char *file,
                  char *buf, size_t cap)
{
    int f = 0;
    while (f < th->nframes && !in_file(th->frames[f].file, file))
        f++;
    if (f == th->nframes)
        return 0;
    const struct frame *mine = &th->frames[f];
    char call[NAME_MAX_] = "", name[NAME_MAX_];
    /* The outermost wait below the participant's frame is the call they
     * wrote; the frames under it are the library's insides. */
    for (int k = f - 1; k >= 0 && call[0] == '\0'; k--) {
        clean(th->frames[k].func, name, sizeof name);
        if (is_wait(name))
            snprintf(call, sizeof call, "%s", name);
    }
    if (call[0] == '\0' && f > 0)
        clean(th->frames[f - 1].func, call, sizeof call);
    if (call[0] == '\0') {
        snprintf(buf, cap, "runs in %s() at %s:%d", mine->func, base(mine->file), mine->line);
        return 1;
    }
    int len = snprintf(buf, cap, "waits in %s at %s:%d", call, base(mine->file), mine->line);
    if (len < 0 || (size_t)len >= cap || !th->has_word)
        return 1;
    if (strstr(call, "pthread_mutex_") == call && th->word[2] > 0) {
        const struct thread *owner = by_lwp(t, count, th->word[2]);
        if (owner == th)
            snprintf(buf + len, cap - (size_t)len, " for a mutex it holds itself");
        else if (owner != NULL)
            snprintf(buf + len, cap - (size_t)len, " for a mutex held by thread %d", owner->num);
        else
            snprintf(buf + len, cap - (size_t)len,
                     " for a mutex held by a thread that has ended (it returned without "
                     "unlocking)");
    } else if (strcmp(call, "pthread_join") == 0 && th->word[0] > 0) {
        const struct thread *joined = by_lwp(t, count, th->word[0]);
        if (joined != NULL)
            snprintf(buf + len, cap - (size_t)len, " for thread %d", joined->num);
    }
    return 1;
}

int grade_hang_describe(const char *gdb_output, const char *file, char *buf, size_t cap)
{
    struct thread *t = calloc(MAX_THREADS, sizeof *t);
    if (t == NULL || cap == 0) {
        free(t);
        return 0;
    }
    int count = parse(gdb_output, t, MAX_THREADS);
    char what[MAX_THREADS][256];
    int has[MAX_THREADS] = {0}, described = 0;
    for (int i = 0; i < count; i++) {
        has[i] = clause(t, count, &t[i], file, what[i], sizeof what[i]);
        described += has[i];
    }
    /* Threads that do the same thing share one clause, in the order of
     * their numbers: "threads 3 and 4 wait in pthread_mutex_lock at ...". */
    size_t len = 0;
    buf[0] = '\0';
    int done[MAX_THREADS] = {0};
    for (int pass = 0; pass < count; pass++) {
        int first = -1;
        for (int i = 0; i < count; i++)
            if (has[i] && !done[i] && (first < 0 || t[i].num < t[first].num))
                first = i;
        if (first < 0)
            break;
        int same[MAX_THREADS], n = 0;
        for (int i = 0; i < count; i++)
            if (has[i] && !done[i] && strcmp(what[i], what[first]) == 0)
                same[n++] = i;
        /* in thread order */
        for (int a = 0; a < n; a++)
            for (int b = a + 1; b < n; b++)
                if (t[same[b]].num < t[same[a]].num) {
                    int x = same[a];
                    same[a] = same[b];
                    same[b] = x;
                }
        char subject[128];
        size_t sl = (size_t)snprintf(subject, sizeof subject, "thread%s ", n > 1 ? "s" : "");
        for (int k = 0; k < n && sl < sizeof subject; k++) {
            done[same[k]] = 1;
            sl += (size_t)snprintf(subject + sl, sizeof subject - sl, "%s%d",
                                   k == 0       ? ""
                                   : k == n - 1 ? " and "
                                                : ", ",
                                   t[same[k]].num);
        }
        /* "waits" -> "wait" for several */
        const char *verb_end = strchr(what[first], ' ');
        size_t vl = verb_end != NULL ? (size_t)(verb_end - what[first]) : strlen(what[first]);
        if (len < cap)
            len +=
                (size_t)snprintf(buf + len, cap - len, "%s%s %.*s%s", len > 0 ? "; " : "", subject,
                                 (int)(n > 1 ? vl - 1 : vl), what[first], what[first] + vl);
    }
    free(t);
    return described;
}

int grade_hang_where(int pid, const char *file, char *buf, size_t cap, struct err *err)
{
    char pid_s[16];
    snprintf(pid_s, sizeof pid_s, "%d", pid);
    /* -nx: no ~/.gdbinit; debuginfod would download symbols from the
     * internet, and ask first. */
    char *argv[] = {"gdb",
                    "-nx",
                    "-batch",
                    "-iex",
                    "set debuginfod enabled off",
                    "-ex",
                    "set pagination off",
                    "-ex",
                    "thread apply all bt",
                    "-ex",
                    "thread apply all -s x/3dw $rdi",
                    "-p",
                    pid_s,
                    NULL};
    struct grade_proc p;
    if (grade_proc_run(argv, NULL, GRADE_GDB_TIMEOUT, GRADE_OUTPUT_CAP, &p, err) != 0)
        return -1;
    int rc;
    if (p.status == 127)
        rc = err_set(err, "gdb is not installed (apt-get install gdb)");
    else if (strstr(p.output, "ptrace: Operation not permitted") != NULL)
        rc = err_set(err,
                     "gdb may not attach to process %d (ptrace: Operation not permitted; "
                     "see /proc/sys/kernel/yama/ptrace_scope)",
                     pid);
    else if (p.timed_out)
        rc = err_set(err, "gdb took over %d s to attach to process %d", GRADE_GDB_TIMEOUT, pid);
    else
        rc = grade_hang_describe(p.output, file, buf, cap);
    grade_proc_free(&p);
    return rc;
}
