/* grade_limits.c - containing a participant's program: limits, its process
 * tree, and killing all of it; see grade.h and docs/LIMITS.md.
 *
 * A process group is not a container: a worker that calls setsid() leaves
 * the group and outlives a kill(-pgid). So the grader makes itself a child
 * subreaper (prctl PR_SET_CHILD_SUBREAPER, in grade_proc.c): every process
 * the program starts stays a descendant of the grader, even when its parent
 * dies, and the tree can be listed from /proc (PPid links) and killed.
 *
 * Limits are of two kinds. setrlimit() in the child before exec bounds what
 * one process may do (CPU seconds, file size, open files and, without a
 * sanitizer, address space). What the kernel counts per user or per process
 * - the number of processes (RLIMIT_NPROC counts every process of the user,
 * and is not enforced for root), the memory of the whole tree, and the
 * address space of a sanitizer binary, which reserves terabytes of shadow -
 * is watched from outside instead: grade_proc.c samples the tree with
 * grade_tree_list() and stops it past GRADE_LIMIT_RSS or GRADE_LIMIT_PROCS.
 */
#include "grade.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

#define TREE_MAX 4096 /* processes listed at once: far over GRADE_LIMIT_PROCS */

static void limit(int resource, unsigned long long value)
{
    struct rlimit r;
    if (getrlimit(resource, &r) != 0)
        return;
    /* Never raise a limit the grader itself runs under. */
    if (r.rlim_max != RLIM_INFINITY && r.rlim_max < value)
        value = r.rlim_max;
    r.rlim_cur = r.rlim_max = (rlim_t)value;
    setrlimit(resource, &r);
}

void grade_limits_apply(int sanitized)
{
    limit(RLIMIT_CPU, GRADE_LIMIT_CPU_S);
    limit(RLIMIT_FSIZE, GRADE_LIMIT_FSIZE);
    limit(RLIMIT_NOFILE, GRADE_LIMIT_NOFILE);
    limit(RLIMIT_CORE, 0); /* a crash is reported by its signal, not a core file */
    if (!sanitized)
        limit(RLIMIT_AS, GRADE_LIMIT_AS);
}

/* Reads /proc/PID/stat. The command name is in parentheses and may itself
 * contain spaces and parentheses: the fields start after the last ')'. */
static int read_stat(int pid, struct grade_tree_proc *out)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    const char *p = strrchr(text, ')');
    if (p == NULL)
        return -1;
    /* state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice threads itreal start vsize rss */
    char state;
    int ppid;
    unsigned long long ut, st, cut, cst, vsize;
    long long rss;
    if (sscanf(p + 1,
               " %c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu %*d %*d %*d %*d "
               "%*u %llu %lld",
               &state, &ppid, &ut, &st, &cut, &cst, &vsize, &rss) != 8)
        return -1;
    out->pid = pid;
    out->ppid = ppid;
    out->state = state;
    out->cpu_ticks = ut + st + cut + cst;
    out->rss = rss > 0 ? (unsigned long long)rss * (unsigned long long)sysconf(_SC_PAGESIZE) : 0;
    return 0;
}

size_t grade_tree_list(int root, struct grade_tree_proc *list, size_t max)
{
    /* Every process once, then the descendants of root by their PPid links:
     * a few hundred entries on a desktop, read in a few milliseconds. */
    struct grade_tree_proc *all = malloc(TREE_MAX * sizeof *all);
    if (all == NULL)
        return 0;
    size_t n = 0;
    DIR *d = opendir("/proc");
    if (d == NULL) {
        free(all);
        return 0;
    }
    for (struct dirent *e; (e = readdir(d)) != NULL && n < TREE_MAX;) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end != '\0' || pid <= 0)
            continue;
        if (read_stat((int)pid, &all[n]) == 0)
            n++;
    }
    closedir(d);

    /* Mark descendants: repeat until no new one is found (the listing is in
     * pid order, and a reparented child may have a lower pid than its parent). */
    char *in = calloc(n > 0 ? n : 1, 1);
    size_t found = 0, count = 0;
    if (in != NULL) {
        for (int grew = 1; grew;) {
            grew = 0;
            for (size_t i = 0; i < n; i++) {
                if (in[i])
                    continue;
                int parent_in = all[i].ppid == root;
                for (size_t j = 0; !parent_in && j < n; j++)
                    parent_in = in[j] && all[j].pid == all[i].ppid;
                if (parent_in) {
                    in[i] = 1;
                    grew = 1;
                    found++;
                }
            }
        }
        for (size_t i = 0; i < n; i++)
            if (in[i] && count < max)
                list[count++] = all[i];
    }
    free(in);
    free(all);
    return found < max ? found : max;
}

int grade_tree_kill(int root)
{
    struct grade_tree_proc *list = malloc(TREE_MAX * sizeof *list);
    int *seen = malloc(TREE_MAX * sizeof *seen); /* pids counted already */
    if (list == NULL || seen == NULL) {
        free(list);
        free(seen);
        return 0;
    }
    int killed = 0;
    uint64_t give_up = clock_now_ns() + 2000000000u;
    for (;;) {
        size_t n = grade_tree_list(root, list, TREE_MAX);
        if (n == 0 || clock_now_ns() > give_up)
            break;
        /* Stop them all first, so that none forks while we go through the
         * list; then kill. Zombies only need their parent to die or reap. */
        for (size_t i = 0; i < n; i++)
            if (list[i].state != 'Z')
                kill(list[i].pid, SIGSTOP);
        for (size_t i = 0; i < n; i++) {
            if (list[i].state == 'Z')
                continue;
            kill(list[i].pid, SIGKILL);
            /* A process killed in one pass may still be listed in the next,
             * before it is a zombie: count each once. */
            int counted = 0;
            for (int k = 0; k < killed && !counted; k++)
                counted = seen[k] == list[i].pid;
            if (!counted && killed < TREE_MAX)
                seen[killed++] = list[i].pid;
        }
        for (size_t i = 0; i < n; i++)
            if (list[i].ppid == root)
                waitpid(list[i].pid, NULL, WNOHANG);
        clock_sleep_ms(5);
    }
    free(list);
    free(seen);
    return killed;
}

void grade_limits_size(unsigned long long bytes, char *buf, size_t cap)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, cap, "%llu bytes", bytes);
    else if (v < 10 && v != (double)(long long)v)
        snprintf(buf, cap, "%.1f %s", v, unit[u]);
    else
        snprintf(buf, cap, "%.0f %s", v, unit[u]);
}

/* The first frame of a sanitizer stack that is in file: " in worker
 * .../pool.c:29" -> "worker() at pool.c:29". */
static int frame_in(const char *stack, const char *file, char *buf, size_t cap)
{
    const char *base = strrchr(file, '/') != NULL ? strrchr(file, '/') + 1 : file;
    size_t n;
    for (const char *l = stack; *l != '\0'; l += n + (l[n] == '\n')) {
        n = strcspn(l, "\n");
        const char *s = l + strspn(l, " ");
        if (s[0] != '#')
            break; /* the end of this stack */
        const char *in = strstr(l, " in ");
        const char *at = memmem(l, n, base, strlen(base));
        if (in == NULL || at == NULL || in > at || (at > l && at[-1] != '/' && at[-1] != ' '))
            continue;
        const char *fn = in + 4;
        size_t fl = strcspn(fn, " \n");
        size_t al = strcspn(at, " \n");
        /* drop the column: pool.c:29:17 -> pool.c:29 */
        const char *c1 = memchr(at, ':', al);
        const char *c2 = c1 != NULL ? memchr(c1 + 1, ':', al - (size_t)(c1 + 1 - at)) : NULL;
        if (c2 != NULL)
            al = (size_t)(c2 - at);
        snprintf(buf, cap, "%.*s() at %.*s", (int)fl, fn, (int)al, at);
        return 1;
    }
    return 0;
}

int grade_limits_alloc_parse(const char *report, const char *file, char *buf, size_t cap)
{
    /* "ERROR: AddressSanitizer: requested allocation size 0x280000000 (...)
     *  exceeds maximum supported size of 0x80000000 (thread T1)" */
    const char *e = strstr(report, "requested allocation size 0x");
    if (e == NULL)
        return 0;
    unsigned long long asked = strtoull(e + strlen("requested allocation size "), NULL, 16);
    const char *m = strstr(e, "maximum supported size of 0x");
    unsigned long long most = m != NULL
                                  ? strtoull(m + strlen("maximum supported size of "), NULL, 16)
                                  : (unsigned long long)GRADE_LIMIT_ALLOC_MB << 20;
    char a[32], l[32], frame[200], where[256] = "";
    grade_limits_size(asked, a, sizeof a);
    grade_limits_size(most, l, sizeof l);
    const char *stack = strstr(e, "\n");
    if (stack != NULL && frame_in(stack + 1, file, frame, sizeof frame))
        snprintf(where, sizeof where, " (in %s)", frame);
    snprintf(buf, cap, "your program asked for %s at once%s; the limit is %s", a, where, l);
    return 1;
}
