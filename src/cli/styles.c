/* styles.c - the table of blur styles, and running one; see styles.h.
 *
 * The run functions are the reference solutions in solutions/, linked from
 * libsolutions.a, and after them the library's styles beyond the ladder.
 * Adding a style to the ladder means one row here, in the order of the
 * exercises, so that the table reads like the workshop agenda.
 * Below the table: running a style with a progress bar and measuring it, and
 * the checks on the output folder that every command running styles needs.
 */
#include "styles.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "blur_expert.h"
#include "clock.h"
#include "ladder.h"
#include "progress.h"

const struct style styles[] = {
    {"linear", 2, "one image after the other: the baseline", 0, linear_run, 0},
    {"processes", 3, "worker processes (fork), results back through a pipe", 1, processes_run, 0},
    {"threads", 4, "one thread per image", 1, threads_run, 0},
    {"pool", 5, "a fixed pool of threads taking images from a shared queue", 1, pool_run, 0},
    {"rows", 6,
     "one image at a time, its rows split in bands over threads, a barrier between passes", 1,
     rows_run, 0},
    {"pipeline", 7, "decode, blur and encode stages joined by channels", 1, pipeline_run, 0},
    {"fast", 8, "stacked box blurs: an O(1)-per-pixel approximate Gaussian", 1, fast_run, 0},
    {"expert", 0, "beyond the ladder: a recursive Gaussian, 8 lines per AVX2 register", 1,
     blur_expert_run, 1},
    {NULL, 0, NULL, 0, NULL, 0},
};

size_t styles_count(void)
{
    size_t n = 0;
    while (styles[n].name != NULL)
        n++;
    return n;
}

const struct style *styles_find(const char *name)
{
    for (const struct style *s = styles; s->name != NULL; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

void styles_names(char *buf, size_t cap)
{
    size_t len = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (const struct style *s = styles; s->name != NULL && len < cap; s++) {
        int n = snprintf(buf + len, cap - len, "%s%s", s == styles ? "" : ", ", s->name);
        if (n < 0)
            break;
        len += (size_t)n;
    }
}

void styles_print(FILE *out, const char *indent)
{
    for (const struct style *s = styles; s->name != NULL; s++)
        fprintf(out, "%s%-10s %s\n", indent, s->name, s->summary);
}

int styles_lookup(const char *name, const struct style **out, struct err *err)
{
    *out = styles_find(name);
    if (*out != NULL)
        return 0;
    char known[256];
    styles_names(known, sizeof known);
    return err_set(err, "unknown style '%s'; known styles: %s", name, known);
}

/* CPU seconds used so far by this process and by its children that have been
 * waited for: getrusage counts a child only once it is reaped. */
static double cpu_seconds(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    const struct timeval *tv[] = {&self.ru_utime, &self.ru_stime, &kids.ru_utime, &kids.ru_stime};
    double s = 0;
    for (size_t i = 0; i < sizeof tv / sizeof tv[0]; i++)
        s += (double)tv[i]->tv_sec + (double)tv[i]->tv_usec / 1e6;
    return s;
}

int styles_run(const struct style *s, struct blur_batch *b, struct style_run *m)
{
    b->style = s->name;
    struct progress_watch watch;
    progress_watch_start(&watch, s->name, b->log, s->name, b->count);
    double cpu0 = cpu_seconds();
    uint64_t t0 = clock_now_ns();
    m->rc = s->run(b);
    uint64_t t1 = clock_now_ns();
    double cpu1 = cpu_seconds();
    progress_watch_stop(&watch);
    m->start_ns = t0;
    m->end_ns = t1;
    m->wall_s = clock_seconds(t0, t1);
    m->cpu_s = cpu1 - cpu0;
    return m->rc;
}

int styles_make_out_dir(const char *dir, struct err *err)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return err_set(err, "%s: cannot create output folder (%s)", dir, strerror(errno));
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return err_set(err, "%s: output folder exists but is not a folder", dir);
    return 0;
}

int styles_check_overwrite(const struct blur_batch *b, struct err *err)
{
    char **paths = calloc(b->count ? b->count : 1, sizeof *paths);
    if (paths == NULL)
        return err_set(err, "out of memory checking %zu output names", b->count);
    int rc = 0;
    for (size_t i = 0; i < b->count && rc == 0; i++) {
        char path[4096];
        struct stat in, out;
        if (batch_output_path(b, i, path, sizeof path, NULL) != 0)
            continue; /* the style will report this item's unusable name */
        if (stat(b->inputs[i], &in) == 0 && stat(path, &out) == 0 && in.st_dev == out.st_dev &&
            in.st_ino == out.st_ino)
            rc = err_set(err,
                         "%s: the result would overwrite this input; choose another output folder",
                         b->inputs[i]);
        /* a/cat.png and b/cat.png would both become out/cat.png. */
        for (size_t j = 0; j < i && rc == 0; j++)
            if (paths[j] != NULL && strcmp(path, paths[j]) == 0)
                rc = err_set(err, "%s and %s would both be written to %s; blur them separately",
                             b->inputs[j], b->inputs[i], path);
        if ((paths[i] = strdup(path)) == NULL)
            rc = err_set(err, "out of memory checking %zu output names", b->count);
    }
    for (size_t i = 0; i < b->count; i++)
        free(paths[i]);
    free(paths);
    return rc;
}
