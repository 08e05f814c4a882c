/* cmd_comics.c - `retreat comics`: a webcomic reader that opens what is new.
 *
 *     retreat comics                      the embedded comic server's feeds
 *     retreat comics feeds.txt            your own feeds (see feedlist.h)
 *     retreat comics --print feeds.txt    print the new comics, open nothing
 *
 * Every feed is fetched with one of the fetch styles (fetch.h; default
 * fetch-multi), and each new comic is opened in the browser *the moment its
 * feed is ready*: a fast feed listed last opens first. Opened comics are
 * recorded in the read-state file (readstate.h), so the next run opens only
 * what appeared since.
 *
 * The browser is $BROWSER, by the usual convention: a ':'-separated list of
 * commands, tried in turn, in which %s stands for the URL (appended when
 * absent) and %% for '%'. We run it directly with posix_spawnp, split on
 * spaces: never through a shell, so nothing in a URL can become a command.
 * Without $BROWSER, xdg-open.
 *
 * Signals: SIGINT and SIGTERM are blocked in every thread and taken by one
 * watcher thread. During the fetch, Ctrl-C saves what was read and quits.
 * With no feeds file the comics live in this process's server, so after
 * opening them we keep serving - the browser still has to load them - until
 * Ctrl-C.
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "comicsrv.h"
#include "commands.h"
#include "feed.h"
#include "feedlist.h"
#include "fetch.h"
#include "styles.h"
#include "readstate.h"

extern char **environ;

#define DEFAULT_STYLE "fetch-multi"
#define DEFAULT_PORT 8081 /* fixed, so the links - and the read state - are the same each run */
#define SAVE_EVERY_NS 1000000000u /* save the state at most once a second while reading */
#define FAILURES_SHOWN 20
#define BROWSER_ARGS 32
#define MAX_CHILDREN 64 /* browser processes remembered for reaping */

enum phase { PHASE_FETCH, PHASE_SERVE, PHASE_DONE };

/* Everything the callbacks share, under one lock: on_open may run on several
 * fetch threads at once, and the signal watcher on its own. */
struct reader {
    pthread_mutex_t lock;
    pthread_cond_t stopped;
    enum phase phase;
    int stop;
    sigset_t signals;

    struct readstate *state;
    const char *browser; /* $BROWSER, or NULL for xdg-open */
    int print_only;
    int progress; /* stderr is a terminal */
    uint64_t saved_ns;
    pid_t children[MAX_CHILDREN];
    size_t nchildren;

    size_t total, done, opened, already, failed;
};

/* --- Opening a comic ----------------------------------------------------- */

/* Splits one $BROWSER command into argv, with %s -> url and %% -> %, into
 * storage buf. Returns argc (0 for an empty command), -1 if it does not fit. */
static int browser_argv(const char *cmd, size_t len, const char *url, char *buf, size_t size,
                        char **argv)
{
    int argc = 0, used_url = 0;
    size_t at = 0;
    for (size_t k = 0; k < len;) {
        while (k < len && cmd[k] == ' ')
            k++;
        if (k == len)
            break;
        if (argc == BROWSER_ARGS - 2)
            return -1;
        argv[argc++] = buf + at;
        for (; k < len && cmd[k] != ' '; k++) {
            const char *piece = cmd + k;
            size_t n = 1;
            if (cmd[k] == '%' && k + 1 < len && cmd[k + 1] == 's') {
                piece = url;
                n = strlen(url);
                used_url = 1;
                k++;
            } else if (cmd[k] == '%' && k + 1 < len && cmd[k + 1] == '%') {
                k++; /* "%%" is one '%' */
            }
            if (at + n + 1 >= size)
                return -1;
            memcpy(buf + at, piece, n);
            at += n;
        }
        buf[at++] = '\0';
    }
    if (argc > 0 && !used_url)
        argv[argc++] = (char *)url;
    argv[argc] = NULL;
    return argc;
}

/* Starts the browser on url without waiting for it. */
static int open_in_browser(struct reader *rd, const char *url, struct err *err)
{
    const char *list = rd->browser != NULL ? rd->browser : "xdg-open";
    char buf[4 * FEED_URL_MAX], *argv[BROWSER_ARGS];
    int rc = -1;
    err_set(err, "cannot open %s: $BROWSER is empty", url);
    for (const char *cmd = list; *cmd != '\0' && rc != 0;) {
        size_t len = strcspn(cmd, ":");
        int argc = browser_argv(cmd, len, url, buf, sizeof buf, argv);
        cmd += len + (cmd[len] == ':');
        if (argc == 0)
            continue;
        if (argc < 0) {
            err_set(err, "cannot open %s: a $BROWSER command is too long", url);
            continue;
        }
        pid_t pid;
        rc = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
        if (rc != 0) {
            err_set(err, "cannot open %s: cannot run '%s': %s", url, argv[0], strerror(rc));
            rc = -1;
        } else if (rd->nchildren < MAX_CHILDREN) { /* beyond: reaped by init when we exit */
            rd->children[rd->nchildren++] = pid;
        }
    }
    return rc;
}

/* Collects the browser processes that have finished, so none stays a zombie. */
static void reap_children(struct reader *rd)
{
    for (size_t k = 0; k < rd->nchildren;) {
        if (waitpid(rd->children[k], NULL, WNOHANG) != 0)
            rd->children[k] = rd->children[--rd->nchildren];
        else
            k++;
    }
}

/* --- What the fetch style calls ------------------------------------------ */

static void show_progress(const struct reader *rd)
{
    if (rd->progress)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s %zu, already read %zu, failed %zu", rd->done,
                rd->total, rd->print_only ? "new" : "opened", rd->opened, rd->already, rd->failed);
}

static void clear_progress(const struct reader *rd)
{
    if (rd->progress)
        fprintf(stderr, "\r\033[K");
}

/* Saves the state if it has not been saved for a while (or force).
 * Returns -1 (after saying why) if it could not be saved. */
static int save_state(struct reader *rd, int force)
{
    struct err err = {{0}};
    uint64_t now = clock_now_ns();
    if (!force && now - rd->saved_ns < SAVE_EVERY_NS)
        return 0;
    rd->saved_ns = now;
    if (readstate_save(rd->state, &err) != 0) {
        clear_progress(rd);
        fprintf(stderr, "retreat comics: %s\n", err.msg);
        return -1;
    }
    if (readstate_dropped(rd->state) > 0) {
        clear_progress(rd);
        fprintf(stderr,
                "retreat comics: the read state reached %u bytes: forgot the %zu oldest "
                "comics read\n",
                READSTATE_MAX_BYTES, readstate_dropped(rd->state));
    }
    return 0;
}

/* fetch_job.on_open: item index's feed is done - open its comic if new. */
static void on_open(void *user, size_t index, struct fetch_result *r)
{
    struct reader *rd = user;
    struct err err = {{0}};
    (void)index;
    pthread_mutex_lock(&rd->lock);
    rd->done++;
    if (r->status != FETCH_DONE) {
        rd->failed++;
    } else if (readstate_has(rd->state, r->link)) {
        rd->already++;
    } else if (!rd->print_only && open_in_browser(rd, r->link, &err) != 0) {
        r->status = FETCH_FAILED; /* reported with the other failures */
        snprintf(r->error, sizeof r->error, "%s", err.msg);
        rd->failed++;
    } else {
        clear_progress(rd);
        printf(rd->print_only ? "%s\n" : "opened %s\n", r->link);
        fflush(stdout);
        rd->opened++;
        if (readstate_add(rd->state, r->link, &err) != 0)
            fprintf(stderr, "retreat comics: %s\n", err.msg);
        save_state(rd, 0); /* a failure here is said now and retried at the end */
    }
    reap_children(rd);
    show_progress(rd);
    pthread_mutex_unlock(&rd->lock);
}

/* The signal watcher thread. */
static void *watch_signals(void *arg)
{
    struct reader *rd = arg;
    int sig;
    sigwait(&rd->signals, &sig);
    pthread_mutex_lock(&rd->lock);
    if (rd->phase == PHASE_FETCH) {
        save_state(rd, 1); /* exits 130 either way; a failure has been said */
        clear_progress(rd);
        fprintf(stderr, "retreat comics: interrupted; %zu comics opened so far are marked read\n",
                rd->opened);
        _exit(130); /* the fetch threads are mid-request: no orderly way to stop them here */
    }
    rd->stop = 1;
    pthread_cond_signal(&rd->stopped);
    pthread_mutex_unlock(&rd->lock);
    return NULL;
}

/* --- The command --------------------------------------------------------- */

static int usage(FILE *out)
{
    fprintf(out,
            "usage: retreat comics [OPTIONS] [FEEDS_FILE]\n"
            "\n"
            "Fetches every feed in FEEDS_FILE (one http(s) URL per line, '#' comments) and\n"
            "opens each comic you have not read yet in $BROWSER (else xdg-open) as soon as\n"
            "its feed is in. Without FEEDS_FILE, reads the comics of an embedded server and\n"
            "keeps serving them until Ctrl-C, so the opened pages can load.\n"
            "\n"
            "  --print        print the new comics' links instead of opening them\n"
            "  --style NAME   fetch style (default %s):\n",
            DEFAULT_STYLE);
    for (const struct fetch_style *s = fetch_styles; s->name != NULL; s++)
        fprintf(out, "                   %-14s %s\n", s->name, s->summary);
    fprintf(out,
            "  --threads N    workers of fetch-pool (default 8)\n"
            "  --timeout MS   longest one request may take (default %d)\n"
            "  --state FILE   the read state (default $XDG_STATE_HOME/retreat/read.txt,\n"
            "                 else ~/.local/state/retreat/read.txt)\n"
            "  --count N      embedded server: number of comics (default %d)\n"
            "  --port N       embedded server: TCP port (default %d; 0 any free one)\n"
            "  --latency MS   embedded server: mean delay of a comic (default 150)\n"
            "\n"
            "Exit status: 0 all feeds read, 1 some feed or line failed, 2 usage error.\n",
            FETCH_TIMEOUT_MS_DEFAULT, COMICSRV_DEFAULT_COUNT, DEFAULT_PORT);
    return out == stdout ? 0 : 2;
}

static int parse_number(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (s[0] == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "retreat comics: --%s '%s': expected a number from %ld to %ld\n", opt, s,
                lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

struct comics_opts {
    const char *feeds_file;
    const char *state_path;
    const struct fetch_style *style;
    int print_only;
    long threads, timeout_ms, count, port, latency_ms;
};

static int parse_args(int argc, char **argv, struct comics_opts *o)
{
    static const struct option longopts[] = {
        {"print", no_argument, NULL, 'P'},         {"style", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'}, {"timeout", required_argument, NULL, 'T'},
        {"state", required_argument, NULL, 'S'},   {"count", required_argument, NULL, 'n'},
        {"port", required_argument, NULL, 'p'},    {"latency", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    struct err err = {{0}};
    *o = (struct comics_opts){
        .threads = 8, .count = COMICSRV_DEFAULT_COUNT, .port = DEFAULT_PORT, .latency_ms = 150};
    if (fetch_style_lookup(DEFAULT_STYLE, &o->style, &err) != 0) {
        fprintf(stderr, "retreat comics: %s\n", err.msg);
        return 2;
    }
    int c, bad = 0;
    optind = 1;
    while (!bad && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'P':
            o->print_only = 1;
            break;
        case 's':
            if (fetch_style_lookup(optarg, &o->style, &err) != 0) {
                fprintf(stderr, "retreat comics: %s\n", err.msg);
                bad = 1;
            }
            break;
        case 'S':
            o->state_path = optarg;
            break;
        case 't':
            bad = parse_number("threads", optarg, 1, 1024, &o->threads) != 0;
            break;
        case 'T':
            bad = parse_number("timeout", optarg, 1, 3600000, &o->timeout_ms) != 0;
            break;
        case 'n':
            bad = parse_number("count", optarg, 1, COMICSRV_MAX_COUNT, &o->count) != 0;
            break;
        case 'p':
            bad = parse_number("port", optarg, 0, 65535, &o->port) != 0;
            break;
        case 'l':
            bad = parse_number("latency", optarg, 0, COMICSRV_MAX_LATENCY_MS / 3, &o->latency_ms) !=
                  0;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            bad = 1;
        }
    }
    if (!bad && argc - optind > 1) {
        fprintf(stderr, "retreat comics: one feeds file at most, got '%s' too\n", argv[optind + 1]);
        bad = 1;
    }
    if (bad) {
        usage(stderr);
        return 2;
    }
    o->feeds_file = optind < argc ? argv[optind] : NULL;
    return -1; /* go on */
}

/* Starts the embedded server and lists its feeds into list. */
static int start_server(const struct comics_opts *o, struct comicsrv **srv, struct feedlist *list,
                        struct err *err)
{
    struct comicsrv_opts so = {.count = (unsigned)o->count,
                               .port = (unsigned)o->port,
                               .latency_ms = (unsigned)o->latency_ms,
                               .jitter_ms = (unsigned)o->latency_ms / 3,
                               .seed = 1};
    if (comicsrv_start(srv, &so, err) != 0) {
        if (o->port == 0)
            return -1;
        fprintf(stderr,
                "retreat comics: port %ld is taken; serving on a free port instead (the links "
                "differ, so earlier comics count as new)\n",
                o->port);
        so.port = 0;
        if (comicsrv_start(srv, &so, err) != 0)
            return -1;
    }
    list->urls = calloc(so.count, sizeof *list->urls);
    if (list->urls == NULL)
        return err_set(err, "out of memory");
    for (unsigned i = 0; i < so.count; i++) {
        char url[COMICSRV_URL_MAX];
        comicsrv_feed_url(*srv, i, url, sizeof url);
        if ((list->urls[i] = strdup(url)) == NULL)
            return err_set(err, "out of memory");
        list->count++;
    }
    char where[COMICSRV_URL_MAX];
    comicsrv_url(*srv, "/feeds.txt", where, sizeof where);
    fprintf(stderr, "retreat comics: no feeds file, reading the embedded comics at %s\n", where);
    return 0;
}

static void print_summary(const struct reader *rd, const struct fetch_job *job)
{
    printf("%s %zu new, %zu already read, %zu failed (of %zu feeds)\n",
           rd->print_only ? "found" : "opened", rd->opened, rd->already, rd->failed, rd->total);
    size_t shown = 0;
    for (size_t i = 0; i < job->count; i++) {
        if (job->results[i].status == FETCH_DONE)
            continue;
        if (shown++ < FAILURES_SHOWN)
            printf("  failed: %s\n", job->results[i].status == FETCH_FAILED ? job->results[i].error
                                                                            : "never finished");
    }
    if (shown > FAILURES_SHOWN)
        printf("  ... and %zu more\n", shown - FAILURES_SHOWN);
}

int cmd_comics(int argc, char **argv)
{
    struct comics_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;

    struct err err = {{0}};
    char state_path[PATH_MAX];
    if (o.state_path == NULL && readstate_default_path(state_path, sizeof state_path, &err) != 0) {
        fprintf(stderr, "retreat comics: %s\n", err.msg);
        return 2;
    }
    struct reader rd = {.print_only = o.print_only,
                        .browser = getenv("BROWSER"),
                        .progress = isatty(STDERR_FILENO)};
    if (readstate_load(&rd.state, o.state_path ? o.state_path : state_path, &err) != 0) {
        fprintf(stderr, "retreat comics: %s\n", err.msg);
        return 1;
    }

    /* The feeds: the file's, or the embedded server's. */
    struct feedlist list = {0};
    struct comicsrv *srv = NULL;
    int status = 0;
    if (o.feeds_file != NULL) {
        if (feedlist_read(o.feeds_file, &list, &err) != 0) {
            fprintf(stderr, "retreat comics: %s\n", err.msg);
            readstate_free(rd.state);
            return 1;
        }
        for (size_t k = 0; k < list.nproblems; k++)
            fprintf(stderr, "retreat comics: %s\n", list.problems[k]);
        status = list.nproblems > 0;
        if (list.count == 0) {
            fprintf(stderr, "retreat comics: %s lists no usable feeds\n", o.feeds_file);
            feedlist_free(&list);
            readstate_free(rd.state);
            return 1;
        }
    }

    /* Block the stop signals before any thread starts, so every thread
     * inherits the mask and only the watcher takes them. */
    sigemptyset(&rd.signals);
    sigaddset(&rd.signals, SIGINT);
    sigaddset(&rd.signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &rd.signals, NULL);
    pthread_mutex_init(&rd.lock, NULL);
    pthread_cond_init(&rd.stopped, NULL);
    pthread_t watcher;
    int watching = pthread_create(&watcher, NULL, watch_signals, &rd) == 0;

    struct fetch_result *results = NULL;
    int ready = 0;
    if (o.feeds_file == NULL && start_server(&o, &srv, &list, &err) != 0)
        fprintf(stderr, "retreat comics: %s\n", err.msg);
    else if ((results = calloc(list.count, sizeof *results)) == NULL)
        fprintf(stderr, "retreat comics: out of memory\n");
    else if (fetch_global_init(&err) != 0)
        fprintf(stderr, "retreat comics: %s\n", err.msg);
    else
        ready = 1;
    status |= !ready;

    struct fetch_job job = {.style = o.style->name,
                            .urls = (const char *const *)list.urls,
                            .count = list.count,
                            .mode = FETCH_COMIC,
                            .threads = (int)o.threads,
                            .limits = {.timeout_ms = o.timeout_ms},
                            .results = results,
                            .on_open = on_open,
                            .user = &rd};
    rd.total = list.count;
    if (ready) {
        show_progress(&rd); /* no lock needed yet: no fetch thread runs */
        if (o.style->run(&job) != 0) {
            fprintf(stderr, "retreat comics: the %s style could not run\n", o.style->name);
            status = 1;
        }
        pthread_mutex_lock(&rd.lock);
        clear_progress(&rd);
        if (save_state(&rd, 1) != 0)
            status = 1; /* the comics opened now would open again next time */
        print_summary(&rd, &job);
        status |= rd.failed > 0;
        pthread_mutex_unlock(&rd.lock);
    }

    /* The opened pages are served by us: keep serving until Ctrl-C. */
    pthread_mutex_lock(&rd.lock);
    if (srv != NULL && rd.opened > 0 && !rd.print_only && watching) {
        rd.phase = PHASE_SERVE;
        printf("the comics are served by this process: press Ctrl-C when you are done reading\n");
        fflush(stdout);
        while (!rd.stop)
            pthread_cond_wait(&rd.stopped, &rd.lock);
    }
    rd.phase = PHASE_DONE;
    reap_children(&rd);
    if (watching && !rd.stop)
        pthread_kill(watcher, SIGTERM); /* wakes the watcher, which now just returns */
    pthread_mutex_unlock(&rd.lock);
    if (watching)
        pthread_join(watcher, NULL);

    comicsrv_stop(srv);
    for (size_t i = 0; i < list.count && results != NULL; i++)
        fetch_result_clear(&results[i]);
    free(results);
    feedlist_free(&list);
    readstate_free(rd.state);
    pthread_cond_destroy(&rd.stopped);
    pthread_mutex_destroy(&rd.lock);
    return status;
}
