/* cmd_fetch.c - `retreat fetch`: GET plain URLs with any fetch style, timed.
 *
 *     retreat fetch --style fetch-events --urls urls.txt
 *     retreat fetch --style fetch-pool --threads 8 http://127.0.0.1:8080/feed/0.xml ...
 *
 * The styles are the reference solutions of exercises 09-13 (fetch.h). Each
 * URL is one GET (phase "get"); its body is counted and thrown away. At the
 * end: one line per failed URL with its reason, then a summary that can be
 * put next to `curl --parallel` doing the same work - count, ok, failed, wall
 * time, requests per second, the peak number of requests in flight (read
 * from the run log) and the peak memory of the process.
 * Exit status: 0 all fetched, 1 some URL failed, 2 the command line is wrong.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "args.h"
#include "clock.h"
#include "fetch.h"
#include "styles.h"
#include "runlog.h"

#define FETCH_THREADS_MAX 4096
#define FETCH_URLS_MAX 1000000
#define FETCH_FAILURES_SHOWN 20 /* more are counted, not listed */

struct fetch_opts {
    const struct fetch_style *style;
    int threads;
    long timeout_ms;
    long deadline_ms;
    const char *urls_file;
    const char *run_log;
    int feeds; /* --feeds: each URL is a feed; follow it to its newest comic */
};

static void usage(FILE *out)
{
    fprintf(out, "usage: retreat fetch [--style NAME] [--threads N] [--timeout MS] [--feeds]\n"
                 "                     [--deadline MS] [--run-log FILE] (--urls FILE | URL...)\n"
                 "\n"
                 "GETs every URL (http and https only) with one fetch style and prints a\n"
                 "timing summary. Bodies are counted, not kept. With --feeds every URL is a\n"
                 "feed, followed as the comic reader does: GET the feed, then HEAD its\n"
                 "newest comic.\n"
                 "\n"
                 "  --style NAME     how to wait for the responses (default fetch-events):\n");
    for (const struct fetch_style *s = fetch_styles; s->name != NULL; s++)
        fprintf(out, "                     %-14s %s\n", s->name, s->summary);
    fprintf(out,
            "  --threads N      workers of fetch-pool (default 8)\n"
            "  --timeout MS     longest one request may take (default %d)\n"
            "  --deadline MS    longest the whole run may take (default: none)\n"
            "  --urls FILE      read the URLs from FILE, one per line ('#' starts a comment)\n"
            "  --run-log FILE   append the run's spans (JSON Lines, docs/RUNLOG.md) to FILE\n"
            "\n"
            "Exit status: 0 all fetched, 1 some URL failed, 2 usage error.\n",
            FETCH_TIMEOUT_MS_DEFAULT);
}

static int parse_args(int argc, char **argv, struct fetch_opts *o, int *help)
{
    static const struct option longopts[] = {
        {"style", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"timeout", required_argument, NULL, 'T'},
        {"deadline", required_argument, NULL, 'd'},
        {"urls", required_argument, NULL, 'u'},
        {"run-log", required_argument, NULL, 'l'},
        {"feeds", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct err err;
    *o = (struct fetch_opts){.style = fetch_style_find("fetch-events"), .threads = 8};
    *help = 0;
    optind = 0; /* glibc: rescan from the start */
    opterr = 0; /* we say what is wrong ourselves */
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (fetch_style_lookup(optarg, &o->style, &err) != 0) {
                fprintf(stderr, "retreat fetch: %s\n", err.msg);
                return -1;
            }
            break;
        case 't':
        case 'T':
        case 'd': {
            long hi = c == 't' ? FETCH_THREADS_MAX : 3600L * 1000;
            if (args_long(optarg, 1, hi, &v) != 0) {
                fprintf(stderr, "retreat fetch: --%s '%s': expected a whole number from 1 to %ld\n",
                        c == 't'   ? "threads"
                        : c == 'T' ? "timeout"
                                   : "deadline",
                        optarg, hi);
                return -1;
            }
            if (c == 't')
                o->threads = (int)v;
            else if (c == 'T')
                o->timeout_ms = v;
            else
                o->deadline_ms = v;
            break;
        }
        case 'u':
            o->urls_file = optarg;
            break;
        case 'l':
            o->run_log = optarg;
            break;
        case 'f':
            o->feeds = 1;
            break;
        case 'h':
            *help = 1;
            return 0;
        case ':':
            fprintf(stderr, "retreat fetch: %s needs a value\n", argv[optind - 1]);
            return -1;
        default:
            fprintf(stderr, "retreat fetch: unknown option '%s'\n", argv[optind - 1]);
            return -1;
        }
    }
    if ((optind == argc) == (o->urls_file == NULL)) {
        fprintf(stderr, "retreat fetch: give either URLs or --urls FILE\n");
        return -1;
    }
    return 0;
}

/* A growable list of URL strings (owned). */
struct url_list {
    char **urls;
    size_t count, cap;
};

static int list_add(struct url_list *l, const char *url, size_t len, struct err *err)
{
    if (l->count == FETCH_URLS_MAX)
        return err_set(err, "more than %d URLs", FETCH_URLS_MAX);
    if (l->count == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 256;
        char **p = realloc(l->urls, cap * sizeof *p);
        if (p == NULL)
            return err_set(err, "out of memory for %zu URLs", cap);
        l->urls = p;
        l->cap = cap;
    }
    if ((l->urls[l->count] = strndup(url, len)) == NULL)
        return err_set(err, "out of memory");
    l->count++;
    return 0;
}

static void list_free(struct url_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->urls[i]);
    free(l->urls);
}

/* Reads one URL per line; blank lines and lines starting with '#' are
 * skipped, surrounding spaces trimmed. */
static int read_urls(const char *path, struct url_list *l, struct err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
        char *s = line, *e = line + n;
        while (s < e && (*s == ' ' || *s == '\t'))
            s++;
        while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
            e--;
        if (e > s && *s != '#')
            rc = list_add(l, s, (size_t)(e - s), err);
    }
    if (rc == 0 && ferror(f))
        rc = err_set(err, "%s: read error", path);
    free(line);
    fclose(f);
    if (rc == 0 && l->count == 0)
        rc = err_set(err, "%s: no URLs in it", path);
    return rc;
}

/* Thousands of transfers at once need thousands of descriptors: raise the
 * soft limit to the hard one (allowed without privileges). */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* Copies the in-memory spans to the --run-log file. */
static int save_run_log(const struct runlog_span *spans, size_t count, const char *path,
                        struct err *err)
{
    struct runlog *file;
    if (runlog_open(&file, path, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++)
        if (runlog_append(file, &spans[i]) != 0)
            rc = err_set(err, "%s: cannot write run log", path);
    runlog_close(file);
    return rc;
}

static void print_summary(const struct fetch_job *job, const struct fetch_opts *o, double secs,
                          const struct runlog_span *spans, size_t nspans)
{
    size_t ok = fetch_count(job, FETCH_DONE), failed = job->count - ok, shown = 0;
    size_t bytes = 0, requests = 0;
    for (size_t i = 0; i < job->count; i++) {
        const struct fetch_result *r = &job->results[i];
        bytes += r->bytes;
        requests += (size_t)r->requests;
        if (r->status != FETCH_DONE && shown++ < FETCH_FAILURES_SHOWN)
            fprintf(stderr, "retreat fetch: %s\n",
                    r->status == FETCH_FAILED ? r->error : "never finished");
    }
    if (shown > FETCH_FAILURES_SHOWN)
        fprintf(stderr, "retreat fetch: ... and %zu more failures\n", shown - FETCH_FAILURES_SHOWN);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("style         %s\n", job->style);
    if (o->style->takes_threads)
        printf("threads       %d\n", o->threads);
    printf("urls          %zu\n", job->count);
    printf("ok            %zu\n", ok);
    printf("failed        %zu\n", failed);
    printf("requests      %zu (retries included)\n", requests);
    printf("bytes         %zu\n", bytes);
    printf("wall time     %.3f s\n", secs);
    printf("requests/s    %.1f\n", secs > 0 ? (double)requests / secs : 0.0);
    printf("peak inflight %zu\n", fetch_peak_inflight(spans, nspans, job->style, NULL));
    printf("peak memory   %ld KiB\n", ru.ru_maxrss);
}

int cmd_fetch(int argc, char **argv)
{
    struct fetch_opts o;
    int help;
    if (parse_args(argc, argv, &o, &help) != 0) {
        fprintf(stderr, "Try 'retreat fetch --help'.\n");
        return 2;
    }
    if (help) {
        usage(stdout);
        return 0;
    }

    struct err err = {0};
    struct url_list urls = {0};
    if (o.urls_file != NULL) {
        if (read_urls(o.urls_file, &urls, &err) != 0) {
            fprintf(stderr, "retreat fetch: %s\n", err.msg);
            list_free(&urls);
            return 2;
        }
    } else {
        for (int i = optind; i < argc; i++)
            if (list_add(&urls, argv[i], strlen(argv[i]), &err) != 0) {
                fprintf(stderr, "retreat fetch: %s\n", err.msg);
                list_free(&urls);
                return 2;
            }
    }

    raise_fd_limit();
    struct runlog *log = NULL;
    struct fetch_result *results = calloc(urls.count, sizeof *results);
    if (results == NULL || runlog_open_memory(&log, &err) != 0 || fetch_global_init(&err) != 0) {
        fprintf(stderr, "retreat fetch: %s\n", results == NULL ? "out of memory" : err.msg);
        free(results);
        runlog_close(log);
        list_free(&urls);
        return 1;
    }
    struct fetch_job job = {
        .style = o.style->name,
        .urls = (const char *const *)urls.urls,
        .count = urls.count,
        .mode = o.feeds ? FETCH_COMIC : FETCH_PLAIN,
        .threads = o.threads,
        .limits = {.timeout_ms = o.timeout_ms},
        .log = log,
        .results = results,
    };
    fetch_job_deadline(&job, o.deadline_ms);

    uint64_t t0 = clock_now_ns();
    int rc = o.style->run(&job);
    double secs = clock_seconds(t0, clock_now_ns());

    int status = 0;
    struct runlog_span *spans = NULL;
    size_t nspans = 0;
    if (rc != 0) {
        fprintf(stderr, "retreat fetch: style %s could not run (out of threads or memory?)\n",
                job.style);
        status = 1;
    }
    if (runlog_snapshot(log, &spans, &nspans, &err) != 0) {
        fprintf(stderr, "retreat fetch: %s\n", err.msg);
        status = 1;
    }
    print_summary(&job, &o, secs, spans, nspans);
    if (o.run_log != NULL && save_run_log(spans, nspans, o.run_log, &err) != 0) {
        fprintf(stderr, "retreat fetch: %s\n", err.msg);
        status = 1;
    }
    if (fetch_count(&job, FETCH_DONE) != job.count)
        status = 1;

    free(spans);
    runlog_close(log);
    free(results);
    list_free(&urls);
    return status;
}
